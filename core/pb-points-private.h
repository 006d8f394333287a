/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* What the parts of the point sets share: pb-points.c (reading files, .npy) and
 * pb-points-csv.c (parsing and writing CSV). Not installed; core/ only. */

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "pb-points.h"

/* Numbers */

static inline bool
is_digit (char c)
{
  return c >= '0' && c <= '9';
}

/* Length of the printable UTF-8 character at s, or 0 for a control or an invalid byte. */
static inline size_t
utf8_char (const unsigned char *s, size_t len)
{
  size_t need;
  unsigned char lo = 0x80, hi = 0xbf;

  if (s[0] < 0x20 || s[0] == 0x7f)
    return 0;
  if (s[0] < 0x80)
    return 1;
  if (s[0] >= 0xc2 && s[0] <= 0xdf)
    need = 2;
  else if (s[0] >= 0xe0 && s[0] <= 0xef)
    {
      need = 3;
      lo = s[0] == 0xe0 ? 0xa0 : 0x80;
      hi = s[0] == 0xed ? 0x9f : 0xbf;
    }
  else if (s[0] >= 0xf0 && s[0] <= 0xf4)
    {
      need = 4;
      lo = s[0] == 0xf0 ? 0x90 : 0x80;
      hi = s[0] == 0xf4 ? 0x8f : 0xbf;
    }
  else
    return 0;
  if (len < need || s[1] < lo || s[1] > hi)
    return 0;
  for (size_t k = 2; k < need; k++)
    if (s[k] < 0x80 || s[k] > 0xbf)
      return 0;
  return need;
}

/* Copies text for a one-line message: printable UTF-8 as is, other bytes as \xNN, and "..."
 * when it does not fit. size must be at least 8. */
static inline void
quote_found (const char *text, size_t len, char *buf, size_t size)
{
  const unsigned char *s = (const unsigned char *) text;
  size_t o = 0, k = 0;

  while (k < len)
    {
      size_t n = utf8_char (s + k, len - k);
      if (o + (n > 0 ? n : 4) + 4 > size)
        {
          memcpy (buf + o, "...", 3);
          o += 3;
          break;
        }
      if (n > 0)
        {
          memcpy (buf + o, s + k, n);
          o += n;
          k += n;
        }
      else
        {
          snprintf (buf + o, 5, "\\x%02x", s[k++]);
          o += 4;
        }
    }
  buf[o] = '\0';
}
