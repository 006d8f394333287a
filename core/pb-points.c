/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "pb-points.h"

#include "pb-points-private.h"

#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

void
pb_points_clear (PbPoints *self)
{
  if (self->labels != NULL)
    for (int i = 0; i < self->n; i++)
      free (self->labels[i]);
  free (self->labels);
  free (self->values);
  memset (self, 0, sizeof *self);
}

static void
describe_errno (int errnum, char *buf, size_t size)
{
  if (strerror_r (errnum, buf, size) != 0)
    snprintf (buf, size, "error %d", errnum);
}

/* Reads a whole file; growth follows what is actually read, never a size claimed inside it. */
static PbStatus
read_file (const char *path, char **out, size_t *out_size, PbError *err)
{
  char reason[128];
  FILE *f = fopen (path, "rb");
  size_t cap = 0, size = 0;
  char *buf = NULL;

  if (f == NULL)
    {
      describe_errno (errno, reason, sizeof reason);
      return pb_error_set (err, PB_ERR_IO, "%s: cannot open: %s", path, reason);
    }

  struct stat st;
  if (fstat (fileno (f), &st) == 0 && S_ISREG (st.st_mode) && st.st_size > 0
      && (uintmax_t) st.st_size < SIZE_MAX - 1)
    cap = (size_t) st.st_size + 1;
  if (cap < 4096)
    cap = 4096;

  for (;;)
    {
      if (buf == NULL || size == cap)
        {
          size_t new_cap = buf == NULL ? cap : cap + cap / 2;
          char *grown = new_cap > cap || buf == NULL ? realloc (buf, new_cap + 1) : NULL;
          if (grown == NULL)
            {
              free (buf);
              fclose (f);
              return pb_error_set (err, PB_ERR_NOMEM, "%s: out of memory reading the file", path);
            }
          buf = grown;
          cap = new_cap;
        }
      size_t got = fread (buf + size, 1, cap - size, f);
      size += got;
      if (got == 0)
        break;
    }
  if (ferror (f))
    {
      describe_errno (errno, reason, sizeof reason);
      free (buf);
      fclose (f);
      return pb_error_set (err, PB_ERR_IO, "%s: cannot read: %s", path, reason);
    }
  fclose (f);
  buf[size] = '\0';
  *out = buf;
  *out_size = size;
  return PB_OK;
}

/* .npy */

typedef struct
{
  const char *name;
  const char *text;
  size_t      len, at, offset; /* offset: the header's first byte in the file */
  PbError    *err;
} Header;

static void
header_skip_space (Header *h)
{
  while (h->at < h->len && (h->text[h->at] == ' ' || h->text[h->at] == '\t'
                            || h->text[h->at] == '\n' || h->text[h->at] == '\r'))
    h->at++;
}

static PbStatus
header_fail (Header *h, const char *expected)
{
  char found[32];

  if (h->at >= h->len)
    snprintf (found, sizeof found, "the end of the header");
  else
    {
      char one[16];
      quote_found (h->text + h->at, 1, one, sizeof one);
      snprintf (found, sizeof found, "'%s'", one);
    }
  return pb_error_set (h->err, PB_ERR_FORMAT, "%s: byte %zu: expected %s in the .npy header, "
                       "found %s", h->name, h->offset + h->at, expected, found);
}

static bool
header_eat (Header *h, char ch)
{
  header_skip_space (h);
  if (h->at < h->len && h->text[h->at] == ch)
    {
      h->at++;
      return true;
    }
  return false;
}

/* A quoted string; points *start, *len into the header. */
static PbStatus
header_string (Header *h, size_t *start, size_t *len)
{
  header_skip_space (h);
  if (h->at >= h->len || (h->text[h->at] != '\'' && h->text[h->at] != '"'))
    return header_fail (h, "a quoted string");
  char quote = h->text[h->at++];
  *start = h->at;
  while (h->at < h->len && h->text[h->at] != quote)
    h->at++;
  if (h->at >= h->len)
    return header_fail (h, "a closing quote");
  *len = h->at - *start;
  h->at++;
  return PB_OK;
}

static bool
header_word (Header *h, const char *word)
{
  size_t wl = strlen (word);

  header_skip_space (h);
  if (h->len - h->at >= wl && memcmp (h->text + h->at, word, wl) == 0)
    {
      h->at += wl;
      return true;
    }
  return false;
}

#define MAX_NPY_DIMS 8

static PbStatus
header_shape (Header *h, uint64_t *shape, int *n_dims)
{
  *n_dims = 0;
  if (!header_eat (h, '('))
    return header_fail (h, "'(' to start the shape");
  for (;;)
    {
      if (header_eat (h, ')'))
        return PB_OK;
      header_skip_space (h);
      if (h->at >= h->len || !is_digit (h->text[h->at]))
        return header_fail (h, "a dimension");
      size_t start = h->at;
      uint64_t v = 0;
      while (h->at < h->len && is_digit (h->text[h->at]))
        {
          v = v * 10 + (uint64_t) (h->text[h->at++] - '0');
          if (v > INT_MAX)
            v = (uint64_t) INT_MAX + 1; /* saturate: reported below */
        }
      if (v > INT_MAX)
        {
          char found[32];
          quote_found (h->text + start, h->at - start, found, sizeof found);
          return pb_error_set (h->err, PB_ERR_FORMAT, "%s: byte %zu: expected a dimension up to "
                               "%d in the .npy shape, found %s", h->name, h->offset + start,
                               INT_MAX, found);
        }
      if (*n_dims == MAX_NPY_DIMS)
        return pb_error_set (h->err, PB_ERR_FORMAT, "%s: byte %zu: expected a 2-D array, found "
                             "more than %d dimensions", h->name, h->offset + h->at, MAX_NPY_DIMS);
      shape[(*n_dims)++] = v;
      if (header_eat (h, ','))
        continue;
      if (header_eat (h, ')'))
        return PB_OK;
      return header_fail (h, "',' or ')' in the shape");
    }
}

static uint32_t
read_le32 (const unsigned char *b)
{
  return (uint32_t) b[0] | (uint32_t) b[1] << 8 | (uint32_t) b[2] << 16 | (uint32_t) b[3] << 24;
}

PbStatus
pb_points_parse_npy (const char *name, const void *data, size_t size, PbPoints *out,
                     PbError *err)
{
  const unsigned char *b = data;
  char found[64];

  memset (out, 0, sizeof *out);
  if (size < 6 || memcmp (b, "\x93NUMPY", 6) != 0)
    {
      quote_found ((const char *) b, size < 6 ? size : 6, found, sizeof found);
      return pb_error_set (err, PB_ERR_FORMAT, "%s: byte 0: expected the .npy magic "
                           "'\\x93NUMPY', found '%s'", name, found);
    }
  if (size < 10)
    return pb_error_set (err, PB_ERR_FORMAT, "%s: byte %zu: expected the .npy version and header "
                         "length, found the end of the file", name, size);

  int major = b[6];
  size_t header_start;
  uint64_t header_len;
  if (major == 1)
    {
      header_len = (uint64_t) b[8] | (uint64_t) b[9] << 8;
      header_start = 10;
    }
  else if (major == 2 || major == 3)
    {
      if (size < 12)
        return pb_error_set (err, PB_ERR_FORMAT, "%s: byte %zu: expected the .npy header length, "
                             "found the end of the file", name, size);
      header_len = read_le32 (b + 8);
      header_start = 12;
    }
  else
    return pb_error_set (err, PB_ERR_FORMAT, "%s: byte 6: expected .npy format version 1, 2 or "
                         "3, found %d", name, major);

  if (header_len > size - header_start)
    return pb_error_set (err, PB_ERR_FORMAT, "%s: byte %zu: expected a header of %llu bytes, "
                         "found %zu bytes before the end of the file", name, header_start,
                         (unsigned long long) header_len, size - header_start);

  Header h = { name, (const char *) b + header_start, (size_t) header_len, 0, header_start, err };
  size_t descr_start = 0, descr_len = 0;
  bool have_descr = false, have_order = false, have_shape = false, fortran = false;
  uint64_t shape[MAX_NPY_DIMS];
  int n_dims = 0;
  PbStatus status;

  if (memchr (h.text, '\0', h.len) != NULL)
    {
      h.at = (size_t) ((const char *) memchr (h.text, '\0', h.len) - h.text);
      return header_fail (&h, "text");
    }
  if (!header_eat (&h, '{'))
    return header_fail (&h, "'{'");
  for (;;)
    {
      size_t ks, kl;

      if (header_eat (&h, '}'))
        break;
      status = header_string (&h, &ks, &kl);
      if (status != PB_OK)
        return status;
      if (!header_eat (&h, ':'))
        return header_fail (&h, "':'");

      const char *key = h.text + ks;
      if (kl == 5 && memcmp (key, "descr", 5) == 0)
        {
          status = header_string (&h, &descr_start, &descr_len);
          if (status != PB_OK)
            return status;
          have_descr = true;
        }
      else if (kl == 13 && memcmp (key, "fortran_order", 13) == 0)
        {
          if (header_word (&h, "True"))
            fortran = true;
          else if (header_word (&h, "False"))
            fortran = false;
          else
            return header_fail (&h, "True or False");
          have_order = true;
        }
      else if (kl == 5 && memcmp (key, "shape", 5) == 0)
        {
          status = header_shape (&h, shape, &n_dims);
          if (status != PB_OK)
            return status;
          have_shape = true;
        }
      else
        {
          char k[40];
          quote_found (key, kl, k, sizeof k);
          return pb_error_set (err, PB_ERR_FORMAT, "%s: byte %zu: expected the key 'descr', "
                               "'fortran_order' or 'shape' in the .npy header, found '%s'", name,
                               header_start + ks, k);
        }
      if (header_eat (&h, ','))
        continue;
      if (header_eat (&h, '}'))
        break;
      return header_fail (&h, "',' or '}'");
    }
  if (!have_descr || !have_order || !have_shape)
    return pb_error_set (err, PB_ERR_FORMAT, "%s: expected 'descr', 'fortran_order' and 'shape' "
                         "in the .npy header, found no '%s'", name,
                         !have_descr ? "descr" : !have_order ? "fortran_order" : "shape");

  int item;
  if (descr_len == 3 && memcmp (h.text + descr_start, "<f4", 3) == 0)
    item = 4;
  else if (descr_len == 3 && memcmp (h.text + descr_start, "<f8", 3) == 0)
    item = 8;
  else
    {
      quote_found (h.text + descr_start, descr_len, found, sizeof found);
      return pb_error_set (err, PB_ERR_FORMAT, "%s: byte %zu: expected dtype '<f4' or '<f8' "
                           "(little-endian float32 or float64), found '%s'", name,
                           header_start + descr_start, found);
    }
  if (fortran)
    return pb_error_set (err, PB_ERR_FORMAT, "%s: expected C order (fortran_order False), found "
                         "Fortran order", name);
  if (n_dims != 2)
    return pb_error_set (err, PB_ERR_FORMAT, "%s: expected a 2-D array (points × dimensions), "
                         "found %d dimension%s", name, n_dims, n_dims == 1 ? "" : "s");
  if (shape[1] < 1)
    return pb_error_set (err, PB_ERR_FORMAT, "%s: expected at least one column, found shape "
                         "(%llu, 0)", name, (unsigned long long) shape[0]);

  /* Both dimensions are at most INT_MAX, so count fits 62 bits; count · item might not. */
  uint64_t count = shape[0] * shape[1];
  size_t data_start = header_start + (size_t) header_len;
  uint64_t have = size - data_start;
  if (count > have / item || count * item != have)
    return pb_error_set (err, PB_ERR_FORMAT, "%s: byte %zu: expected %llu values of %d bytes for "
                         "shape (%llu, %llu), found %llu bytes%s", name, data_start,
                         (unsigned long long) count, item, (unsigned long long) shape[0],
                         (unsigned long long) shape[1], (unsigned long long) have,
                         count > have / item ? " (truncated)" : "");
  if (count > SIZE_MAX / sizeof (float))
    return pb_error_set (err, PB_ERR_NOMEM, "%s: too large for this machine", name);

  float *values = malloc ((size_t) (count > 0 ? count : 1) * sizeof (float));
  if (values == NULL)
    return pb_error_set (err, PB_ERR_NOMEM, "%s: out of memory for %llu values", name,
                         (unsigned long long) count);
  for (uint64_t k = 0; k < count; k++)
    {
      const unsigned char *at = b + data_start + k * item;
      double v;
      if (item == 4)
        {
          uint32_t bits = read_le32 (at);
          float f;
          memcpy (&f, &bits, sizeof f);
          v = f;
        }
      else
        {
          uint64_t bits = (uint64_t) read_le32 (at) | (uint64_t) read_le32 (at + 4) << 32;
          memcpy (&v, &bits, sizeof v);
        }
      if (!isfinite (v) || fabs (v) > FLT_MAX)
        {
          free (values);
          return pb_error_set (err, PB_ERR_FORMAT, "%s: byte %zu: row %llu, column %llu: "
                               "expected a finite float32 number, found %g", name,
                               (size_t) (at - b), (unsigned long long) (k / shape[1]) + 1,
                               (unsigned long long) (k % shape[1]) + 1, v);
        }
      values[k] = (float) v;
    }

  out->n = (int) shape[0];
  out->dim = (int) shape[1];
  out->values = values;
  return PB_OK;
}

static bool
has_npy_extension (const char *path)
{
  size_t len = strlen (path);
  return len >= 4 && strcasecmp (path + len - 4, ".npy") == 0;
}

PbStatus
pb_points_read_csv (const char *path, PbPoints *out, PbError *err)
{
  char *data;
  size_t size;
  PbStatus status = read_file (path, &data, &size, err);

  memset (out, 0, sizeof *out);
  if (status != PB_OK)
    return status;
  status = pb_points_parse_csv (path, data, size, out, err);
  free (data);
  return status;
}

PbStatus
pb_points_read_npy (const char *path, PbPoints *out, PbError *err)
{
  char *data;
  size_t size;
  PbStatus status = read_file (path, &data, &size, err);

  memset (out, 0, sizeof *out);
  if (status != PB_OK)
    return status;
  status = pb_points_parse_npy (path, data, size, out, err);
  free (data);
  return status;
}

PbStatus
pb_points_read (const char *path, PbPoints *out, PbError *err)
{
  char *data;
  size_t size;
  PbStatus status = read_file (path, &data, &size, err);

  memset (out, 0, sizeof *out);
  if (status != PB_OK)
    return status;
  if (has_npy_extension (path) || (size >= 6 && memcmp (data, "\x93NUMPY", 6) == 0))
    status = pb_points_parse_npy (path, data, size, out, err);
  else
    status = pb_points_parse_csv (path, data, size, out, err);
  free (data);
  return status;
}

bool
pb_points_label_int (const PbPoints *self, int i, int *value)
{
  if (self->labels == NULL || i < 0 || i >= self->n)
    return false;

  const char *s = self->labels[i];
  char *end;
  errno = 0;
  long v = strtol (s, &end, 10);
  if (end == s || *end != '\0' || errno != 0 || v < INT_MIN || v > INT_MAX
      || !(is_digit (s[0]) || ((s[0] == '-' || s[0] == '+') && is_digit (s[1]))))
    return false;
  *value = (int) v;
  return true;
}
