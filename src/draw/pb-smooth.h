/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The curve views' numeric helpers, free of GTK and GLib so they are tested on their own:
 * TensorBoard's smoothing and its outlier-robust y range. */

#include <stdbool.h>
#include <stddef.h>

/* The largest smoothing weight; 1 would freeze the average at its first point. */
#define PB_SMOOTH_MAX 0.99
/* The quantile TensorBoard's "ignore outliers" cuts at each end: 5th to 95th percentile. */
#define PB_SMOOTH_OUTLIER_QUANTILE 0.05

/* TensorBoard's debiased exponential moving average, weight s in [0, PB_SMOOTH_MAX]:
 *   last = last·s + (1 − s)·y[i];  out[i] = last / (1 − s^t)
 * where t counts the finite points so far (1-based). A non-finite y[i] is copied to out[i] and
 * neither advances t nor breaks the average. s ≤ 0 copies y. out may be y. */
void   pb_smooth_ema (const double *y, size_t n, double s, double *out);

/* The q-quantile (0 ≤ q ≤ 1) of sorted[0..n), linear between order statistics (numpy's
 * default). n must be > 0. */
double pb_quantile_sorted (const double *sorted, size_t n, double q);

/* The range of the finite values of y from its q-th to (1 − q)-th quantiles (q = 0: min and
 * max), widened on each side by margin × the span (a zero span by margin × |value|, or by
 * margin when the value is 0). With positive_only, values ≤ 0 are left out and the margin is
 * taken on log10 (for a logarithmic axis). Reorders y: the values used come first, sorted.
 * Returns the number of values used; 0 leaves lo and hi untouched. */
size_t pb_robust_range (double *y, size_t n, double q, double margin, bool positive_only,
                        double *lo, double *hi);
