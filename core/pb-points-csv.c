/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "pb-points.h"

#include "pb-json.h"
#include "pb-points-private.h"

#include <errno.h>
#include <float.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Longer number tokens are not numbers anyone wrote by hand or by printf. */
#define MAX_NUMBER_LEN 256

/* Numbers */

/* [+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)? */
static bool
valid_number_syntax (const char *s)
{
  int digits = 0;

  if (*s == '+' || *s == '-')
    s++;
  while (is_digit (*s))
    s++, digits++;
  if (*s == '.')
    {
      s++;
      while (is_digit (*s))
        s++, digits++;
    }
  if (digits == 0)
    return false;
  if (*s == 'e' || *s == 'E')
    {
      s++;
      if (*s == '+' || *s == '-')
        s++;
      if (!is_digit (*s))
        return false;
      while (is_digit (*s))
        s++;
    }
  return *s == '\0';
}

static bool
parse_double_c (const char *text, locale_t c_locale, double *out)
{
  if (!valid_number_syntax (text))
    return false;

  /* The syntax is checked, so only the decimal point depends on the locale. */
  locale_t old = uselocale (c_locale);
  char *end;
  errno = 0;
  double v = strtod (text, &end);
  uselocale (old);
  if (*end != '\0' || !isfinite (v))
    return false;
  *out = v;
  return true;
}

/* CSV */

typedef struct
{
  const char *name;
  const char *p, *end;
  int         line;
  char       *field;
  size_t      field_len, field_cap;
  PbError    *err;
} Csv;

static bool
csv_append (Csv *c, char ch)
{
  if (c->field_len + 1 >= c->field_cap)
    {
      size_t cap = c->field_cap < 64 ? 64 : c->field_cap * 2;
      char *grown = realloc (c->field, cap);
      if (grown == NULL)
        return false;
      c->field = grown;
      c->field_cap = cap;
    }
  c->field[c->field_len++] = ch;
  c->field[c->field_len] = '\0';
  return true;
}

static void
csv_skip_blank (Csv *c)
{
  while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
    c->p++;
}

/* Consumes the end of a line at c->p, if there is one there. */
static bool
csv_eat_newline (Csv *c)
{
  if (c->p < c->end && *c->p == '\r')
    {
      c->p++;
      if (c->p < c->end && *c->p == '\n')
        c->p++;
      c->line++;
      return true;
    }
  if (c->p < c->end && *c->p == '\n')
    {
      c->p++;
      c->line++;
      return true;
    }
  return false;
}

/* Skips lines with nothing but blanks; returns false at the end of the data. */
static bool
csv_next_record (Csv *c)
{
  while (c->p < c->end)
    {
      const char *q = c->p;
      while (q < c->end && (*q == ' ' || *q == '\t'))
        q++;
      if (q < c->end && *q != '\r' && *q != '\n')
        return true;
      c->p = q;
      if (!csv_eat_newline (c))
        return false;
    }
  return false;
}

/* Reads one field into c->field; *last says it ended its record. */
static PbStatus
csv_field (Csv *c, bool *last)
{
  if (c->field == NULL && !csv_append (c, '\0'))
    goto nomem;
  c->field_len = 0;
  c->field[0] = '\0';

  csv_skip_blank (c);
  if (c->p < c->end && *c->p == '"')
    {
      int start_line = c->line;
      c->p++;
      for (;;)
        {
          if (c->p >= c->end)
            return pb_error_set (c->err, PB_ERR_FORMAT, "%s:%d: expected a closing '\"', found "
                                 "the end of the file", c->name, start_line);
          char ch = *c->p++;
          if (ch == '"')
            {
              if (c->p < c->end && *c->p == '"')
                c->p++;
              else
                break;
            }
          else if (ch == '\n')
            c->line++;
          if (!csv_append (c, ch))
            goto nomem;
        }
      csv_skip_blank (c);
      if (c->p < c->end && *c->p != ',' && *c->p != '\r' && *c->p != '\n')
        {
          char found[32];
          quote_found (c->p, 1, found, sizeof found);
          return pb_error_set (c->err, PB_ERR_FORMAT, "%s:%d: expected ',' or the end of the line "
                               "after a quoted field, found '%s'", c->name, c->line, found);
        }
    }
  else
    {
      const char *start = c->p;
      while (c->p < c->end && *c->p != ',' && *c->p != '\r' && *c->p != '\n')
        c->p++;
      const char *stop = c->p;
      while (stop > start && (stop[-1] == ' ' || stop[-1] == '\t'))
        stop--;
      for (const char *q = start; q < stop; q++)
        if (!csv_append (c, *q))
          goto nomem;
    }

  if (c->p < c->end && *c->p == ',')
    {
      c->p++;
      *last = false;
    }
  else
    {
      csv_eat_newline (c);
      *last = true;
    }
  return PB_OK;

nomem:
  return pb_error_set (c->err, PB_ERR_NOMEM, "%s:%d: out of memory", c->name, c->line);
}

static bool
is_label_name (const char *s)
{
  return strlen (s) == 5 && strncasecmp (s, "label", 5) == 0;
}

typedef struct
{
  float  *values;
  size_t  values_len, values_cap;
  char  **labels;
  size_t  labels_len, labels_cap;
} Rows;

static bool
rows_push_value (Rows *r, float v)
{
  if (r->values_len == r->values_cap)
    {
      size_t cap = r->values_cap < 1024 ? 1024 : r->values_cap * 2;
      float *grown = realloc (r->values, cap * sizeof (float));
      if (grown == NULL)
        return false;
      r->values = grown;
      r->values_cap = cap;
    }
  r->values[r->values_len++] = v;
  return true;
}

static bool
rows_push_label (Rows *r, const char *text)
{
  if (r->labels_len == r->labels_cap)
    {
      size_t cap = r->labels_cap < 256 ? 256 : r->labels_cap * 2;
      char **grown = realloc (r->labels, cap * sizeof (char *));
      if (grown == NULL)
        return false;
      r->labels = grown;
      r->labels_cap = cap;
    }
  r->labels[r->labels_len] = strdup (text);
  return r->labels[r->labels_len++] != NULL;
}

static void
describe_columns (char *buf, size_t size, int columns, int label_column)
{
  if (label_column < 0)
    snprintf (buf, size, "%d number%s", columns, columns == 1 ? "" : "s");
  else
    snprintf (buf, size, "%d columns (%d number%s and a label)", columns, columns - 1,
              columns == 2 ? "" : "s");
}

PbStatus
pb_points_parse_csv (const char *name, const char *data, size_t size, PbPoints *out,
                     PbError *err)
{
  Csv c = { .name = name, .p = data, .end = data + size, .line = 1, .err = err };
  Rows rows = { 0 };
  locale_t c_locale = newlocale (LC_ALL_MASK, "C", (locale_t) 0);
  int columns = -1, label_column = -1;
  size_t n = 0;
  bool header_checked = false;
  PbStatus status = PB_OK;

  memset (out, 0, sizeof *out);
  if (c_locale == (locale_t) 0)
    return pb_error_set (err, PB_ERR_NOMEM, "%s: cannot create the C locale", name);

  if (size >= 3 && memcmp (data, "\xef\xbb\xbf", 3) == 0)
    c.p += 3;

  while (csv_next_record (&c))
    {
      int record_line = c.line, count = 0;
      bool last = false, is_header = false;

      if (!header_checked)
        {
          /* The first record is a header when any of its fields is not a number. */
          Csv probe = c;
          probe.field = NULL;
          probe.field_cap = 0;
          columns = 0;
          do
            {
              double v;
              status = csv_field (&probe, &last);
              if (status != PB_OK)
                {
                  free (probe.field);
                  goto out;
                }
              if (!parse_double_c (probe.field, c_locale, &v))
                is_header = true;
              if (is_label_name (probe.field) && label_column < 0)
                label_column = columns;
              if (columns == INT_MAX - 1)
                {
                  free (probe.field);
                  status = pb_error_set (err, PB_ERR_FORMAT, "%s:%d: too many columns", name,
                                         record_line);
                  goto out;
                }
              columns++;
            }
          while (!last);
          free (probe.field);
          header_checked = true;
          if (!is_header)
            label_column = -1;
          if (columns - (label_column >= 0) < 1)
            {
              status = pb_error_set (err, PB_ERR_FORMAT, "%s:%d: expected at least one numeric "
                                     "column, found only a label", name, record_line);
              goto out;
            }
          if (is_header)
            {
              do
                {
                  status = csv_field (&c, &last);
                  if (status != PB_OK)
                    goto out;
                }
              while (!last);
              continue;
            }
        }

      if (n == (size_t) INT_MAX)
        {
          status = pb_error_set (err, PB_ERR_FORMAT, "%s:%d: too many rows", name, record_line);
          goto out;
        }

      do
        {
          status = csv_field (&c, &last);
          if (status != PB_OK)
            goto out;
          if (count >= columns)
            {
              count++;
              continue; /* counted for the message below */
            }
          if (count == label_column)
            {
              if (!rows_push_label (&rows, c.field))
                goto nomem;
            }
          else
            {
              double v;
              char found[64];
              if (!parse_double_c (c.field, c_locale, &v))
                {
                  quote_found (c.field, c.field_len, found, sizeof found);
                  status = pb_error_set (err, PB_ERR_FORMAT, "%s:%d: column %d: expected a "
                                         "finite number, found '%s'", name, record_line,
                                         count + 1, found);
                  goto out;
                }
              if (fabs (v) > FLT_MAX)
                {
                  quote_found (c.field, c.field_len, found, sizeof found);
                  status = pb_error_set (err, PB_ERR_FORMAT, "%s:%d: column %d: expected a "
                                         "number within float32 range, found '%s'", name,
                                         record_line, count + 1, found);
                  goto out;
                }
              if (!rows_push_value (&rows, (float) v))
                goto nomem;
            }
          count++;
        }
      while (!last);

      if (count != columns)
        {
          char expected[96];
          describe_columns (expected, sizeof expected, columns, label_column);
          status = pb_error_set (err, PB_ERR_FORMAT, "%s:%d: expected %s, found %d", name,
                                 record_line, expected, count);
          goto out;
        }
      n++;
    }

  if (n == 0)
    {
      status = pb_error_set (err, PB_ERR_FORMAT, "%s: expected one point per row, found no rows",
                             name);
      goto out;
    }

  out->n = (int) n;
  out->dim = columns - (label_column >= 0);
  out->values = rows.values;
  rows.values = NULL;
  if (label_column >= 0)
    {
      out->labels = rows.labels;
      rows.labels = NULL;
      rows.labels_len = 0;
    }
  goto out;

nomem:
  status = pb_error_set (err, PB_ERR_NOMEM, "%s: out of memory", name);

out:
  for (size_t i = 0; i < rows.labels_len; i++)
    free (rows.labels[i]);
  free (rows.labels);
  free (rows.values);
  free (c.field);
  freelocale (c_locale);
  return status;
}

/* Writing */

static bool
needs_quotes (const char *s)
{
  size_t len = strlen (s);

  if (len == 0)
    return false;
  return s[0] == ' ' || s[0] == '\t' || s[len - 1] == ' ' || s[len - 1] == '\t'
         || strpbrk (s, ",\"\r\n") != NULL;
}

static void
append_label (PbStr *out, const char *s)
{
  if (!needs_quotes (s))
    {
      pb_str_append (out, s);
      return;
    }
  pb_str_append (out, "\"");
  for (; *s != '\0'; s++)
    pb_str_append (out, *s == '"' ? "\"\"" : (char[]) { *s, '\0' });
  pb_str_append (out, "\"");
}

PbStatus
pb_points_write_csv (const char *path, const float *xy, int n, const char *const *labels,
                     PbError *err)
{
  PbStr out;
  PbStatus status;

  pb_str_init (&out);
  pb_str_append (&out, labels != NULL ? "x,y,label\n" : "x,y\n");
  for (int i = 0; i < n; i++)
    {
      pb_str_append_float (&out, xy[2 * i]);
      pb_str_append (&out, ",");
      pb_str_append_float (&out, xy[2 * i + 1]);
      if (labels != NULL)
        {
          pb_str_append (&out, ",");
          append_label (&out, labels[i] != NULL ? labels[i] : "");
        }
      pb_str_append (&out, "\n");
    }
  if (out.failed)
    status = pb_error_set (err, PB_ERR_NOMEM, "%s: out of memory for %d rows", path, n);
  else
    status = pb_write_file_atomic (path, out.data, out.len, err);
  pb_str_clear (&out);
  return status;
}
