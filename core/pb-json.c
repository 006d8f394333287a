/* SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE
#include "pb-json.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_DEPTH 64

typedef struct
{
  const char *text;
  size_t len;
  size_t pos;
  const char *what;
  PbError *err;
  PbStatus status;
} Parser;

static bool
fail (Parser *p, const char *expected)
{
  if (p->status == PB_OK)
    {
      char found[16];
      if (p->pos >= p->len)
        snprintf (found, sizeof found, "the end");
      else if ((unsigned char) p->text[p->pos] >= 0x20 && (unsigned char) p->text[p->pos] < 0x7f)
        snprintf (found, sizeof found, "'%c'", p->text[p->pos]);
      else
        snprintf (found, sizeof found, "byte 0x%02x", (unsigned char) p->text[p->pos]);
      p->status = pb_error_set (p->err, PB_ERR_FORMAT, "%s: byte %zu: expected %s, found %s",
                                p->what, p->pos, expected, found);
    }
  return false;
}

static void
skip_ws (Parser *p)
{
  while (p->pos < p->len && (p->text[p->pos] == ' ' || p->text[p->pos] == '\t'
                             || p->text[p->pos] == '\n' || p->text[p->pos] == '\r'))
    p->pos++;
}

static bool parse_value (Parser *p, PbJson *out, int depth);

static int
hex_digit (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

static bool
parse_hex4 (Parser *p, unsigned *out)
{
  unsigned v = 0;
  if (p->len - p->pos < 4)
    return fail (p, "four hex digits");
  for (int i = 0; i < 4; i++)
    {
      int d = hex_digit (p->text[p->pos]);
      if (d < 0)
        return fail (p, "a hex digit");
      v = v * 16 + (unsigned) d;
      p->pos++;
    }
  *out = v;
  return true;
}

static void
put_utf8 (char *buf, size_t *n, unsigned cp)
{
  if (cp < 0x80)
    buf[(*n)++] = (char) cp;
  else if (cp < 0x800)
    {
      buf[(*n)++] = (char) (0xc0 | (cp >> 6));
      buf[(*n)++] = (char) (0x80 | (cp & 0x3f));
    }
  else if (cp < 0x10000)
    {
      buf[(*n)++] = (char) (0xe0 | (cp >> 12));
      buf[(*n)++] = (char) (0x80 | ((cp >> 6) & 0x3f));
      buf[(*n)++] = (char) (0x80 | (cp & 0x3f));
    }
  else
    {
      buf[(*n)++] = (char) (0xf0 | (cp >> 18));
      buf[(*n)++] = (char) (0x80 | ((cp >> 12) & 0x3f));
      buf[(*n)++] = (char) (0x80 | ((cp >> 6) & 0x3f));
      buf[(*n)++] = (char) (0x80 | (cp & 0x3f));
    }
}

/* An escaped string never grows when decoded, so the raw length bounds the buffer. */
static bool
parse_string (Parser *p, char **out)
{
  size_t start, n = 0;
  char *buf;

  if (p->pos >= p->len || p->text[p->pos] != '"')
    return fail (p, "'\"'");
  start = ++p->pos;
  while (p->pos < p->len && p->text[p->pos] != '"')
    p->pos += p->text[p->pos] == '\\' ? 2 : 1;
  if (p->pos >= p->len)
    return fail (p, "a closing '\"'");
  buf = malloc (p->pos - start + 1);
  if (buf == NULL)
    {
      p->status = pb_error_set (p->err, PB_ERR_NOMEM, "%s: out of memory", p->what);
      return false;
    }
  p->pos = start;
  while (p->text[p->pos] != '"')
    {
      unsigned char c = (unsigned char) p->text[p->pos];
      if (c < 0x20)
        {
          free (buf);
          return fail (p, "no control characters in a string");
        }
      if (c != '\\')
        {
          buf[n++] = (char) c;
          p->pos++;
          continue;
        }
      p->pos++;
      char e = p->text[p->pos++];
      unsigned cp;
      switch (e)
        {
        case '"': buf[n++] = '"'; break;
        case '\\': buf[n++] = '\\'; break;
        case '/': buf[n++] = '/'; break;
        case 'b': buf[n++] = '\b'; break;
        case 'f': buf[n++] = '\f'; break;
        case 'n': buf[n++] = '\n'; break;
        case 'r': buf[n++] = '\r'; break;
        case 't': buf[n++] = '\t'; break;
        case 'u':
          if (!parse_hex4 (p, &cp))
            {
              free (buf);
              return false;
            }
          if (cp == 0)
            {
              p->pos -= 6;
              free (buf);
              return fail (p, "no \\u0000 in a string");
            }
          /* A lone surrogate becomes U+FFFD; a \uXXXX takes 6 bytes and yields at most 4. */
          if (cp >= 0xd800 && cp < 0xdc00 && p->len - p->pos >= 6 && p->text[p->pos] == '\\'
              && p->text[p->pos + 1] == 'u')
            {
              unsigned lo;
              size_t save = p->pos;
              p->pos += 2;
              if (parse_hex4 (p, &lo) && lo >= 0xdc00 && lo < 0xe000)
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
              else
                {
                  p->status = PB_OK;
                  p->pos = save;
                  cp = 0xfffd;
                }
            }
          else if (cp >= 0xd800 && cp < 0xe000)
            cp = 0xfffd;
          put_utf8 (buf, &n, cp);
          break;
        default:
          p->pos--;
          free (buf);
          return fail (p, "a valid escape");
        }
    }
  p->pos++;
  buf[n] = '\0';
  *out = buf;
  return true;
}

static bool
parse_number (Parser *p, PbJson *out)
{
  size_t start = p->pos;
  char tmp[64];

  if (p->pos < p->len && p->text[p->pos] == '-')
    p->pos++;
  if (p->pos >= p->len || p->text[p->pos] < '0' || p->text[p->pos] > '9')
    return fail (p, "a digit");
  while (p->pos < p->len && ((p->text[p->pos] >= '0' && p->text[p->pos] <= '9')
                             || p->text[p->pos] == '.' || p->text[p->pos] == 'e'
                             || p->text[p->pos] == 'E' || p->text[p->pos] == '+'
                             || p->text[p->pos] == '-'))
    p->pos++;
  if (p->pos - start >= sizeof tmp)
    {
      p->pos = start;
      return fail (p, "a number of at most 63 characters");
    }
  memcpy (tmp, p->text + start, p->pos - start);
  tmp[p->pos - start] = '\0';
  char *end;
  out->type = PB_JSON_NUMBER;
  out->offset = start;
  out->length = p->pos - start;
  out->number = pb_strtod_c (tmp, &end);
  if (*end != '\0')
    {
      p->pos = start + (size_t) (end - tmp);
      return fail (p, "a well-formed number");
    }
  return true;
}

static bool
parse_literal (Parser *p, const char *word)
{
  size_t n = strlen (word);
  if (p->len - p->pos < n || memcmp (p->text + p->pos, word, n) != 0)
    return fail (p, "a value");
  p->pos += n;
  return true;
}

static bool
push_item (Parser *p, PbJson *container, int *cap)
{
  if (container->n == *cap)
    {
      int ncap = *cap == 0 ? 4 : *cap * 2;
      PbJson *items = realloc (container->items, (size_t) ncap * sizeof *items);
      if (items == NULL)
        goto nomem;
      container->items = items;
      if (container->type == PB_JSON_OBJECT)
        {
          char **keys = realloc (container->keys, (size_t) ncap * sizeof *keys);
          if (keys == NULL)
            goto nomem;
          container->keys = keys;
        }
      *cap = ncap;
    }
  memset (&container->items[container->n], 0, sizeof (PbJson));
  return true;

nomem:
  p->status = pb_error_set (p->err, PB_ERR_NOMEM, "%s: out of memory", p->what);
  return false;
}

static bool
parse_container (Parser *p, PbJson *out, int depth, bool object)
{
  int cap = 0;
  char close = object ? '}' : ']';

  out->type = object ? PB_JSON_OBJECT : PB_JSON_ARRAY;
  p->pos++;
  skip_ws (p);
  if (p->pos < p->len && p->text[p->pos] == close)
    {
      p->pos++;
      return true;
    }
  for (;;)
    {
      char *key = NULL;
      skip_ws (p);
      if (object)
        {
          if (!parse_string (p, &key))
            return false;
          skip_ws (p);
          if (p->pos >= p->len || p->text[p->pos] != ':')
            {
              free (key);
              return fail (p, "':'");
            }
          p->pos++;
        }
      if (!push_item (p, out, &cap))
        {
          free (key);
          return false;
        }
      if (object)
        out->keys[out->n] = key;
      out->n++;
      if (!parse_value (p, &out->items[out->n - 1], depth + 1))
        return false;
      skip_ws (p);
      if (p->pos < p->len && p->text[p->pos] == ',')
        {
          p->pos++;
          continue;
        }
      if (p->pos < p->len && p->text[p->pos] == close)
        {
          p->pos++;
          return true;
        }
      return fail (p, object ? "',' or '}'" : "',' or ']'");
    }
}

static bool
parse_value (Parser *p, PbJson *out, int depth)
{
  memset (out, 0, sizeof *out);
  if (depth > MAX_DEPTH)
    return fail (p, "at most 64 levels of nesting");
  skip_ws (p);
  if (p->pos >= p->len)
    return fail (p, "a value");
  switch (p->text[p->pos])
    {
    case '{': return parse_container (p, out, depth, true);
    case '[': return parse_container (p, out, depth, false);
    case '"':
      out->type = PB_JSON_STRING;
      return parse_string (p, &out->string);
    case 't':
      out->type = PB_JSON_BOOL;
      out->boolean = true;
      return parse_literal (p, "true");
    case 'f':
      out->type = PB_JSON_BOOL;
      return parse_literal (p, "false");
    case 'n':
      return parse_literal (p, "null");
    default:
      if (p->text[p->pos] != '-' && (p->text[p->pos] < '0' || p->text[p->pos] > '9'))
        return fail (p, "a value");
      return parse_number (p, out);
    }
}

static void
json_clear (PbJson *v)
{
  free (v->string);
  for (int i = 0; i < v->n; i++)
    {
      json_clear (&v->items[i]);
      if (v->keys != NULL)
        free (v->keys[i]);
    }
  free (v->items);
  free (v->keys);
}

PbStatus
pb_json_parse (const char *text, size_t len, const char *what, PbJson **out, PbError *err)
{
  Parser p = { .text = text, .len = len, .what = what, .err = err };
  PbJson *root = calloc (1, sizeof *root);

  *out = NULL;
  if (root == NULL)
    return pb_error_set (err, PB_ERR_NOMEM, "%s: out of memory", what);
  if (parse_value (&p, root, 0))
    {
      skip_ws (&p);
      if (p.pos < p.len)
        fail (&p, "the end of the JSON text");
    }
  if (p.status != PB_OK)
    {
      pb_json_free (root);
      return p.status;
    }
  *out = root;
  return PB_OK;
}

void
pb_json_free (PbJson *self)
{
  if (self == NULL)
    return;
  json_clear (self);
  free (self);
}

const PbJson *
pb_json_get (const PbJson *obj, const char *key)
{
  if (obj == NULL || obj->type != PB_JSON_OBJECT)
    return NULL;
  for (int i = 0; i < obj->n; i++)
    if (strcmp (obj->keys[i], key) == 0)
      return &obj->items[i];
  return NULL;
}

double
pb_json_get_number (const PbJson *obj, const char *key, double fallback)
{
  const PbJson *v = pb_json_get (obj, key);
  return v != NULL && v->type == PB_JSON_NUMBER ? v->number : fallback;
}

const char *
pb_json_get_string (const PbJson *obj, const char *key)
{
  const PbJson *v = pb_json_get (obj, key);
  return v != NULL && v->type == PB_JSON_STRING ? v->string : NULL;
}

/* String builder */

void
pb_str_init (PbStr *self)
{
  memset (self, 0, sizeof *self);
}

void
pb_str_clear (PbStr *self)
{
  free (self->data);
  pb_str_init (self);
}

static bool
reserve (PbStr *self, size_t extra)
{
  if (self->failed)
    return false;
  if (self->len + extra + 1 > self->cap)
    {
      size_t cap = self->cap == 0 ? 256 : self->cap;
      while (cap < self->len + extra + 1)
        cap *= 2;
      char *data = realloc (self->data, cap);
      if (data == NULL)
        {
          self->failed = true;
          return false;
        }
      self->data = data;
      self->cap = cap;
    }
  return true;
}

void
pb_str_append_len (PbStr *self, const char *s, size_t n)
{
  if (!reserve (self, n))
    return;
  memcpy (self->data + self->len, s, n);
  self->len += n;
  self->data[self->len] = '\0';
}

void
pb_str_append (PbStr *self, const char *s)
{
  pb_str_append_len (self, s, strlen (s));
}

static locale_t
c_locale (void)
{
  return newlocale (LC_ALL_MASK, "C", (locale_t) 0);
}

static int
vprintf_c (PbStr *self, const char *fmt, va_list ap)
{
  locale_t c = c_locale ();
  locale_t old = c != (locale_t) 0 ? uselocale (c) : (locale_t) 0;
  va_list ap2;
  int n;

  va_copy (ap2, ap);
  n = vsnprintf (NULL, 0, fmt, ap);
  if (n >= 0 && reserve (self, (size_t) n))
    {
      vsnprintf (self->data + self->len, (size_t) n + 1, fmt, ap2);
      self->len += (size_t) n;
    }
  va_end (ap2);
  if (c != (locale_t) 0)
    {
      uselocale (old);
      freelocale (c);
    }
  return n;
}

void
pb_str_printf (PbStr *self, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  vprintf_c (self, fmt, ap);
  va_end (ap);
}

int
pb_snprintf_c (char *buf, size_t n, const char *fmt, ...)
{
  locale_t c = c_locale ();
  locale_t old = c != (locale_t) 0 ? uselocale (c) : (locale_t) 0;
  va_list ap;
  int r;

  va_start (ap, fmt);
  r = vsnprintf (buf, n, fmt, ap);
  va_end (ap);
  if (c != (locale_t) 0)
    {
      uselocale (old);
      freelocale (c);
    }
  return r;
}

double
pb_strtod_c (const char *s, char **end)
{
  locale_t c = c_locale ();
  double v;

  if (c == (locale_t) 0)
    return strtod (s, end);
  v = strtod_l (s, end, c);
  freelocale (c);
  return v;
}

void
pb_str_append_json_string (PbStr *self, const char *s)
{
  pb_str_append (self, "\"");
  for (const unsigned char *c = (const unsigned char *) s; *c != '\0'; c++)
    {
      if (*c == '"' || *c == '\\')
        {
          char esc[2] = { '\\', (char) *c };
          pb_str_append_len (self, esc, 2);
        }
      else if (*c < 0x20)
        pb_str_printf (self, "\\u%04x", *c);
      else
        pb_str_append_len (self, (const char *) c, 1);
    }
  pb_str_append (self, "\"");
}

void
pb_str_append_double (PbStr *self, double v)
{
  char buf[40];

  if (!isfinite (v))
    {
      pb_str_append (self, "null");
      return;
    }
  for (int prec = 6; prec <= 17; prec++)
    {
      pb_snprintf_c (buf, sizeof buf, "%.*g", prec, v);
      if (pb_strtod_c (buf, NULL) == v)
        break;
    }
  pb_str_append (self, buf);
}

void
pb_str_append_float (PbStr *self, float v)
{
  char buf[40];

  if (!isfinite (v))
    {
      pb_str_append (self, "null");
      return;
    }
  for (int prec = 6; prec <= 9; prec++)
    {
      pb_snprintf_c (buf, sizeof buf, "%.*g", prec, (double) v);
      if ((float) pb_strtod_c (buf, NULL) == v)
        break;
    }
  pb_str_append (self, buf);
}

PbStatus
pb_write_file_atomic (const char *path, const void *data, size_t len, PbError *err)
{
  size_t plen = strlen (path);
  char *tmp = malloc (plen + 16);
  const char *p = data;
  int fd, saved;

  if (tmp == NULL)
    return pb_error_set (err, PB_ERR_NOMEM, "%s: out of memory", path);
  memcpy (tmp, path, plen);
  memcpy (tmp + plen, ".tmp-XXXXXX", 12);
  fd = mkstemp (tmp);
  if (fd < 0)
    {
      saved = errno;
      free (tmp);
      return pb_error_set (err, PB_ERR_IO, "%s: cannot create a temporary file beside it: %s",
                           path, strerror (saved));
    }
  while (len > 0)
    {
      ssize_t w = write (fd, p, len);
      if (w < 0 && errno == EINTR)
        continue;
      if (w <= 0)
        goto write_failed;
      p += w;
      len -= (size_t) w;
    }
  if (fsync (fd) != 0 && errno != EINVAL && errno != EROFS)
    goto write_failed;
  fchmod (fd, 0644);
  if (close (fd) != 0)
    {
      fd = -1;
      goto write_failed;
    }
  if (rename (tmp, path) != 0)
    {
      saved = errno;
      unlink (tmp);
      free (tmp);
      return pb_error_set (err, PB_ERR_IO, "%s: cannot rename the temporary file over it: %s",
                           path, strerror (saved));
    }
  free (tmp);
  return PB_OK;

write_failed:
  saved = errno != 0 ? errno : EIO;
  if (fd >= 0)
    close (fd);
  unlink (tmp);
  free (tmp);
  return pb_error_set (err, PB_ERR_IO, "%s: write failed: %s; the previous file is unchanged",
                       path, strerror (saved));
}

PbStatus
pb_read_file (const char *path, size_t max_bytes, const char *what, char **data_out,
              size_t *len_out, PbError *err)
{
  FILE *f = fopen (path, "rb");
  char *buf = NULL;
  size_t len = 0, cap = 0, n;

  *data_out = NULL;
  *len_out = 0;
  if (f == NULL)
    return pb_error_set (err, PB_ERR_IO, "%s: %s", path, strerror (errno));
  do
    {
      if (len + 1 >= cap)
        {
          char *grown;
          if (cap > max_bytes)
            {
              free (buf);
              fclose (f);
              return pb_error_set (err, PB_ERR_FORMAT, "%s: expected %s of at most %zu MiB, "
                                   "found a larger file", path, what, max_bytes >> 20);
            }
          cap = cap ? 2 * cap : 65536;
          grown = realloc (buf, cap);
          if (grown == NULL)
            {
              free (buf);
              fclose (f);
              return pb_error_set (err, PB_ERR_NOMEM, "%s: out of memory", path);
            }
          buf = grown;
        }
      n = fread (buf + len, 1, cap - len - 1, f);
      len += n;
    }
  while (n > 0);
  if (ferror (f) || len > max_bytes)
    {
      bool big = len > max_bytes;
      free (buf);
      fclose (f);
      if (big)
        return pb_error_set (err, PB_ERR_FORMAT, "%s: expected %s of at most %zu MiB, found a "
                             "larger file", path, what, max_bytes >> 20);
      return pb_error_set (err, PB_ERR_IO, "%s: could not read the file", path);
    }
  fclose (f);
  buf[len] = '\0';
  *data_out = buf;
  *len_out = len;
  return PB_OK;
}
