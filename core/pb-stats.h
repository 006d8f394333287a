/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Summary statistics and the two-sided paired tests that compare models over shared seeds. They
 * match scipy.stats.ttest_rel and scipy.stats.wilcoxon (zero_method="wilcox", correction=False),
 * except that the Wilcoxon p-value is exact only when there are no ties (see below).
 *
 * The paired functions take a[i] − b[i] and round it to 9 decimals before anything else, so that
 * two differences of errors that are both 0.002 compare equal whatever float noise the
 * subtraction left (errors are multiples of 1/1000). Ties and zeros are then exact comparisons.
 * b may be NULL, in which case a holds the differences.
 *
 * NaN means "undefined": callers print it as "—" or JSON null. */

#include <stdbool.h>
#include <stddef.h>

#include "pb-status.h"

/* The largest number of non-zero differences for which the Wilcoxon p-value is exact. */
#define PB_STATS_WILCOXON_EXACT_MAX 25

typedef struct
{
  int    n;          /* pairs used: all for t, the non-zero differences for Wilcoxon */
  double statistic;  /* t; or min (W+, W−) for Wilcoxon */
  double df;         /* t only: n − 1 */
  double pvalue;     /* two-sided, in [0, 1]; NaN when undefined */
  bool   exact;      /* Wilcoxon only: from the exact null distribution of W+ */
} PbTest;

typedef struct
{
  double mean_diff;  /* mean of a − b */
  PbTest t;
  PbTest wilcoxon;
} PbPairedTests;

/* NaN when n = 0. */
double   pb_stats_mean (const double *x, int n);
/* The sample standard deviation (divisor n − 1); NaN when n < 2. */
double   pb_stats_std (const double *x, int n);

/* The regularised incomplete beta function I_x(a, b), a, b > 0, 0 ≤ x ≤ 1. */
double   pb_stats_betainc (double a, double b, double x);
/* P(T > t) for Student's t with df > 0 degrees of freedom. */
double   pb_stats_t_sf (double t, double df);
/* P(Z > z) for the standard normal. */
double   pb_stats_normal_sf (double z);

/* Paired t-test on d = a − b: t = mean (d) / (std (d) / √n), df = n − 1. As scipy: n < 2 or all
 * differences zero give NaN; all differences equal and non-zero give t = ±∞ and p = 0. */
void     pb_stats_ttest_paired (const double *a, const double *b, int n, PbTest *out);

/* Wilcoxon signed-rank test on d = a − b. Zero differences are dropped, ties in |d| get average
 * ranks. With no ties and at most PB_STATS_WILCOXON_EXACT_MAX differences left, p is exact;
 * otherwise it is the normal approximation with the tie correction of the variance and no
 * continuity correction. No differences left gives NaN. PB_ERR_NOMEM is the only failure. */
PbStatus pb_stats_wilcoxon_paired (const double *a, const double *b, int n, PbTest *out,
                                   PbError *err);

/* Both tests and the mean difference. */
PbStatus pb_stats_paired_tests (const double *a, const double *b, int n, PbPairedTests *out,
                                PbError *err);

/* The fewest pairs with which the test can reach p < alpha for any data at all; below it, no
 * result can be significant. The t-test needs 2: with df = 1, p still falls toward 0 as |t| grows.
 * The exact Wilcoxon test's smallest p is that of differences all of one sign, 2 / 2^n, so it
 * needs 6 at alpha = 0.05. (With ties, the normal approximation can fall below alpha with fewer,
 * but it does not hold at such n.) 0 when no n up to PB_STATS_WILCOXON_EXACT_MAX suffices. */
int      pb_stats_ttest_min_pairs (double alpha);
int      pb_stats_wilcoxon_min_pairs (double alpha);

/* A p-value to two significant digits, in the C locale: "0.031", "0.50", "1.0", "0.0012",
 * "1.2e-05"; "0" for 0 and "—" for NaN. Returns what snprintf returns. */
int      pb_stats_format_p (char *buf, size_t size, double p);

/* Every ordered pair of k samples of r paired values each.
 * values: [k, r]  out: [k, k], out[i × k + j] compares i with j (the diagonal is NaN). */
PbStatus pb_stats_paired_matrix (const double *values, int k, int r, PbPairedTests *out,
                                 PbError *err);
