/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* A small JSON reader (a tree, with a nesting limit and byte offsets in its errors) and a string
 * builder for writing JSON and CSV. Numbers are read and written in the C locale whatever the
 * process's locale is, so a French desktop never writes "0,5". */

#include <stdbool.h>
#include <stddef.h>

#include "pb-status.h"

typedef enum
{
  PB_JSON_NULL,
  PB_JSON_BOOL,
  PB_JSON_NUMBER,
  PB_JSON_STRING,
  PB_JSON_ARRAY,
  PB_JSON_OBJECT,
} PbJsonType;

typedef struct PbJson PbJson;
struct PbJson
{
  PbJsonType type;
  bool boolean;
  double number;
  /* PB_JSON_NUMBER: the literal is text[offset, offset + length) of the parsed text, for
   * messages that quote the file's own digits (a double rounds above 2^53). */
  size_t offset, length;
  char *string;      /* PB_JSON_STRING: NUL-terminated, may hold no NUL inside */
  int n;             /* items of an array or members of an object */
  PbJson *items;     /* [n] */
  char **keys;       /* [n], objects only */
};

/* what names the source in messages, e.g. the file name. */
PbStatus pb_json_parse (const char *text, size_t len, const char *what, PbJson **out,
                        PbError *err);
void     pb_json_free (PbJson *self);
/* NULL when obj is not an object or has no such key. */
const PbJson *pb_json_get (const PbJson *obj, const char *key);
/* The number, or fallback when the key is missing or not a number. */
double   pb_json_get_number (const PbJson *obj, const char *key, double fallback);
const char *pb_json_get_string (const PbJson *obj, const char *key);

typedef struct
{
  char *data;
  size_t len;
  size_t cap;
  bool failed;       /* an allocation failed; the contents are incomplete */
} PbStr;

void pb_str_init (PbStr *self);
void pb_str_clear (PbStr *self);
void pb_str_append (PbStr *self, const char *s);
void pb_str_append_len (PbStr *self, const char *s, size_t n);
void pb_str_printf (PbStr *self, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
/* A JSON string literal with quotes and escapes. */
void pb_str_append_json_string (PbStr *self, const char *s);
/* Shortest "%.*g" that reads back to the same double (or float), in the C locale; non-finite
 * values are written as null, as JSON has no NaN. */
void pb_str_append_double (PbStr *self, double v);
void pb_str_append_float (PbStr *self, float v);

/* snprintf in the C locale. */
int  pb_snprintf_c (char *buf, size_t n, const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));
/* strtod in the C locale. */
double pb_strtod_c (const char *s, char **end);

/* Writes len bytes to a temporary file beside path, then renames it over path, so an error never
 * leaves a partial file and the old one stays intact. */
PbStatus pb_write_file_atomic (const char *path, const void *data, size_t len, PbError *err);

/* Reads a whole file into a NUL-terminated malloc'd buffer (free it). A file over max_bytes is
 * PB_ERR_FORMAT: "PATH: expected WHAT of at most N MiB, found a larger file". */
PbStatus pb_read_file (const char *path, size_t max_bytes, const char *what, char **data_out,
                       size_t *len_out, PbError *err);
