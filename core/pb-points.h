/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Point sets for t-SNE: CSV (one point per row, an optional header row, a column named `label`
 * carried through) and .npy (2-D float32/float64, C order, little-endian, header v1–v3).
 * Numbers are read and written in the C locale whatever the process locale is. Errors name the
 * file and the line (CSV) or byte (.npy), what was expected and what was found. */

#include <stdbool.h>
#include <stddef.h>

#include "pb-status.h"

typedef struct
{
  int     n;
  int     dim;
  float  *values; /* [n, dim] */
  char  **labels; /* [n], the `label` column as written, or NULL when there is none */
} PbPoints;

/* A .npy by its extension or its magic bytes, a CSV otherwise. */
PbStatus pb_points_read      (const char *path, PbPoints *out, PbError *err);
PbStatus pb_points_read_csv  (const char *path, PbPoints *out, PbError *err);
PbStatus pb_points_read_npy  (const char *path, PbPoints *out, PbError *err);

/* The same from memory; name is used in messages. */
PbStatus pb_points_parse_csv (const char *name, const char *data, size_t size, PbPoints *out,
                              PbError *err);
PbStatus pb_points_parse_npy (const char *name, const void *data, size_t size, PbPoints *out,
                              PbError *err);

void     pb_points_clear     (PbPoints *self);

/* True when label i is a whole decimal number that fits an int. */
bool     pb_points_label_int (const PbPoints *self, int i, int *value);

/* Writes `x,y` or `x,y,label` rows (labels may be NULL) to a temporary file in the same folder,
 * then renames it over path: on error the old file is intact. xy: [n, 2]. */
PbStatus pb_points_write_csv (const char *path, const float *xy, int n,
                              const char *const *labels, PbError *err);
