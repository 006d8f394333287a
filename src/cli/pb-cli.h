/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Helpers shared by pairbench-cli's commands. */

#include <stdbool.h>

#include "pb-data.h"
#include "pb-status.h"

/* Prints "pairbench-cli CMD: message" and returns 2. */
int  pb_cli_usage_error (const char *cmd, const char *fmt, ...)
  __attribute__ ((format (printf, 2, 3)));
/* Prints "pairbench-cli CMD: err" and returns 1. */
int  pb_cli_failure (const char *cmd, const PbError *err);
/* Matches "--name value" or "--name=value" at argv[*i]; value is NULL when it is missing. */
bool pb_cli_match (int argc, char **argv, int *i, const char *name, const char **value);
bool pb_cli_parse_int (const char *s, long min, long max, long *out);
bool pb_cli_parse_double (const char *s, double min, double max, bool min_inclusive,
                          double *out);
const char *pb_cli_default_data_dir (void);
/* Loads MNIST from dir (NULL: the default); returns 0, or 1 after printing the error. */
int  pb_cli_load_mnist (const char *cmd, const char *dir, PbMnist *mnist);
