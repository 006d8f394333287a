/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The summary table (the report's Table II) as CSV, Markdown or LaTeX with booktabs, shared by
 * `pairbench-cli study --table` and the app's export, so both write the same bytes. */

#include <stdbool.h>
#include <stddef.h>

#include "pb-json.h"
#include "pb-stats.h"

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
  /* No auxiliary loss (pb_arch_trains_digits): the digit error is "—" ("---" in LaTeX, empty
   * in CSV) with a note under the table. */
  bool digit_untrained;
} PbTableRow;

/* By the extension: .csv, .md or .tex. */
bool pb_table_format_from_path (const char *path, PbTableFormat *format);
void pb_table_format_rows (PbStr *out, const PbTableRow *rows, int n, PbTableFormat format);
/* The paired tests of every pair i < j (matrix: [n_models × n_models] as pb_stats_paired_matrix)
 * on `rounds` shared rounds, as a second table with p to two significant digits, each marked
 * "too few rounds: n = …" when its test could not reach p < 0.05 with so few. Markdown and
 * LaTeX only: CSV holds one table, and the tests are in study's JSON. */
void pb_table_format_tests (PbStr *out, const char *const *names, int n_models,
                            const PbPairedTests *matrix, int rounds, PbTableFormat format);

/* What follows a p-value when its test could not reach p < 0.05 with its n pairs, with the
 * leading space, or "": " (too few rounds: n = 2)". rounds is the shared rounds; the Wilcoxon
 * test's n counts only the non-zero differences. */
void pb_table_append_too_few (PbStr *out, const PbTest *test, bool wilcoxon, int rounds);
