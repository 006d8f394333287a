/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the error tests share (test-errors.c, test-errors-writes.c): running pairbench-cli,
 * writing files, a small valid MNIST folder and a valid points CSV, and looking at folders. */
#pragma once

#include <glib.h>

typedef struct
{
  int status;
  char *out;
  char *err;
} Result;

void result_clear (Result *r);
/* Runs the CLI; fsize > 0 limits the size of any file it writes (a full disk). */
Result run_cli_argv (char **args, guint fsize);
Result run_cli (const char *first, ...) G_GNUC_NULL_TERMINATED;

void write_bytes (const char *path, const void *data, gsize len);
GBytes *read_bytes (const char *path);
GByteArray *idx_bytes (guint8 type, int ndim, const guint32 *dims, const void *data, gsize len);
void write_idx (const char *path, guint8 type, int ndim, const guint32 *dims, const void *data,
                gsize len);

#define MNIST_N 200

/* MNIST_N random images and labels for each of train and t10k in dir. */
void make_mnist (const char *dir);
/* 100 rows of 3 columns and a label. */
void fx_points_good (const char *path);

/* Files of dir named stem or stem.* (a failed write's output or its temporary file). */
int count_prefixed (const char *dir, const char *stem);
void remove_tree (const char *path);
