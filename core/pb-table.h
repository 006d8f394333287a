/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The summary table (the report's Table II) as CSV, Markdown or LaTeX with booktabs, shared by
 * `pairbench-cli study --table` and the app's export, so both write the same bytes. */

#include <stdbool.h>
#include <stddef.h>

#include "pb-json.h"

typedef enum
{
  PB_TABLE_CSV,
  PB_TABLE_MARKDOWN,
  PB_TABLE_LATEX,
} PbTableFormat;

typedef struct
{
  const char *model;
  size_t params;
  double test_mean, test_std, digit_mean, digit_std, seconds;
  int rounds;
} PbTableRow;

/* By the extension: .csv, .md or .tex. */
bool pb_table_format_from_path (const char *path, PbTableFormat *format);
void pb_table_format_rows (PbStr *out, const PbTableRow *rows, int n, PbTableFormat format);
