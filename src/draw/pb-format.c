/* SPDX-License-Identifier: GPL-3.0-or-later */

#include <string.h>

#include "pb-format.h"

char *
pb_format_count (gsize n)
{
  g_autofree char *digits = g_strdup_printf ("%" G_GSIZE_FORMAT, n);
  GString *out = g_string_new (NULL);
  gsize len = strlen (digits);

  for (gsize i = 0; i < len; i++)
    {
      if (i > 0 && (len - i) % 3 == 0)
        /* A narrow no-break space: a count never wraps between its digit groups. */
        g_string_append (out, "\u202f");
      g_string_append_c (out, digits[i]);
    }
  return g_string_free (out, FALSE);
}

char *
pb_format_duration (double seconds)
{
  gint64 s = (gint64) (seconds + 0.5);

  if (s < 0)
    s = 0;
  if (s >= 3600)
    return g_strdup_printf ("%d:%02d:%02d", (int) (s / 3600), (int) (s / 60 % 60), (int) (s % 60));
  return g_strdup_printf ("%d:%02d", (int) (s / 60), (int) (s % 60));
}
