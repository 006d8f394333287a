/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "pb-stats.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pb-json.h"

double
pb_stats_mean (const double *x, int n)
{
  double sum = 0.0;

  if (n <= 0)
    return NAN;
  for (int i = 0; i < n; i++)
    sum += x[i];
  return sum / n;
}

double
pb_stats_std (const double *x, int n)
{
  double mean, ss = 0.0;

  if (n < 2)
    return NAN;
  mean = pb_stats_mean (x, n);
  for (int i = 0; i < n; i++)
    ss += (x[i] - mean) * (x[i] - mean);
  return sqrt (ss / (n - 1));
}

/* The continued fraction of I_x(a, b) (Abramowitz & Stegun 26.5.8) is 1 / F with
 * F = 1 + c1 / (1 + c2 / (1 + …)); F is evaluated front to back by the modified Lentz method. */
static double
betainc_coefficient (double a, double b, double x, int k)
{
  double m = k / 2;

  if (k % 2 == 0)
    return m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m));
  return -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1));
}

static double
betainc_fraction (double a, double b, double x)
{
  const double tiny = 1e-300;
  double f = 1.0, c = 1.0, d = 0.0;

  for (int k = 1; k < 10000; k++)
    {
      double coef = betainc_coefficient (a, b, x, k);
      double delta;

      d = 1.0 + coef * d;
      if (fabs (d) < tiny)
        d = tiny;
      c = 1.0 + coef / c;
      if (fabs (c) < tiny)
        c = tiny;
      d = 1.0 / d;
      delta = c * d;
      f *= delta;
      if (fabs (delta - 1.0) < 1e-15)
        break;
    }
  return 1.0 / f;
}

/* y = 1 − x is passed separately: the t distribution knows it more precisely than 1 − x. */
static double
betainc_xy (double a, double b, double x, double y)
{
  double log_front;

  if (isnan (a) || isnan (b) || isnan (x) || isnan (y))
    return NAN;
  if (x <= 0.0)
    return 0.0;
  if (y <= 0.0)
    return 1.0;
  log_front = lgamma (a + b) - lgamma (a) - lgamma (b) + a * log (x) + b * log (y);
  /* The fraction converges fast only left of the mean; right of it, I_x(a, b) = 1 − I_y(b, a). */
  if (x < (a + 1.0) / (a + b + 2.0))
    return exp (log_front) * betainc_fraction (a, b, x) / a;
  return 1.0 - exp (log_front) * betainc_fraction (b, a, y) / b;
}

double
pb_stats_betainc (double a, double b, double x)
{
  return betainc_xy (a, b, x, 1.0 - x);
}

/* P(|T| > |t|) */
static double
t_two_sided (double t, double df)
{
  double t2 = t * t;

  if (isnan (t) || isnan (df))
    return NAN;
  if (isinf (t2))
    return 0.0;
  return betainc_xy (df / 2.0, 0.5, df / (df + t2), t2 / (df + t2));
}

double
pb_stats_t_sf (double t, double df)
{
  double tail = 0.5 * t_two_sided (t, df);
  return t > 0.0 ? tail : 1.0 - tail;
}

double
pb_stats_normal_sf (double z)
{
  return 0.5 * erfc (z / sqrt (2.0));
}

/* Rounded to 9 decimals as numpy's round (x, 9) does, so that fixtures made with it match. */
static double
paired_diff (const double *a, const double *b, int i)
{
  double d = b != NULL ? a[i] - b[i] : a[i];
  return rint (d * 1e9) / 1e9;
}

void
pb_stats_ttest_paired (const double *a, const double *b, int n, PbTest *out)
{
  double sum = 0.0, mean, ss = 0.0, first, t;
  bool all_equal = true;

  *out = (PbTest) { .n = n, .statistic = NAN, .df = n >= 1 ? n - 1 : NAN, .pvalue = NAN };
  if (n < 2)
    return;
  for (int i = 0; i < n; i++)
    sum += paired_diff (a, b, i);
  mean = sum / n;
  first = paired_diff (a, b, 0);
  for (int i = 0; i < n; i++)
    {
      double d = paired_diff (a, b, i);
      ss += (d - mean) * (d - mean);
      all_equal = all_equal && d == first;
    }
  /* Checked exactly rather than through ss, which float noise can leave just above 0. */
  if (all_equal)
    {
      if (first != 0.0)
        {
          out->statistic = copysign (INFINITY, first);
          out->pvalue = 0.0;
        }
      return;
    }
  t = mean / sqrt (ss / (n - 1) / n);
  out->statistic = t;
  out->pvalue = t_two_sided (t, n - 1);
}

static int
compare_abs (const void *pa, const void *pb)
{
  double x = fabs (*(const double *) pa), y = fabs (*(const double *) pb);
  return (x > y) - (x < y);
}

/* 2 min (P(W+ ≤ w), P(W+ ≥ w)) under the null, where each rank 1..n is positive with
 * probability 1/2. The counts of sign patterns are integers below 2^53, so the sums are exact. */
static double
wilcoxon_exact_p (int n, int w_plus)
{
  double counts[PB_STATS_WILCOXON_EXACT_MAX * (PB_STATS_WILCOXON_EXACT_MAX + 1) / 2 + 1] = { 0 };
  int total = n * (n + 1) / 2;
  double below = 0.0, above = 0.0, p;

  assert (n >= 1 && n <= PB_STATS_WILCOXON_EXACT_MAX);
  counts[0] = 1.0;
  for (int k = 1; k <= n; k++)
    for (int s = k * (k + 1) / 2; s >= k; s--)
      counts[s] += counts[s - k];
  if (w_plus == total / 2)
    return 1.0;
  for (int s = 0; s <= total; s++)
    {
      if (s <= w_plus)
        below += counts[s];
      if (s >= w_plus)
        above += counts[s];
    }
  p = 2.0 * fmin (below, above) / ldexp (1.0, n);
  return fmin (p, 1.0);
}

PbStatus
pb_stats_wilcoxon_paired (const double *a, const double *b, int n, PbTest *out, PbError *err)
{
  double w_plus = 0.0, w_minus = 0.0, ties = 0.0;
  double *d;
  int m = 0;

  *out = (PbTest) { .statistic = NAN, .df = NAN, .pvalue = NAN };
  if (n <= 0)
    return PB_OK;
  d = malloc ((size_t) n * sizeof *d);
  if (d == NULL)
    return pb_error_set (err, PB_ERR_NOMEM, "Wilcoxon test: out of memory for %d pairs", n);
  for (int i = 0; i < n; i++)
    {
      double di = paired_diff (a, b, i);
      if (isnan (di))
        {
          free (d);
          return PB_OK;
        }
      if (di != 0.0)
        d[m++] = di;
    }
  out->n = m;
  if (m == 0)
    {
      free (d);
      return PB_OK;
    }

  qsort (d, (size_t) m, sizeof *d, compare_abs);
  for (int i = 0; i < m;)
    {
      int j = i + 1;
      double rank, t;

      while (j < m && fabs (d[j]) == fabs (d[i]))
        j++;
      rank = (i + 1 + j) / 2.0;
      for (int k = i; k < j; k++)
        {
          if (d[k] > 0.0)
            w_plus += rank;
          else
            w_minus += rank;
        }
      t = j - i;
      ties += t * (t * t - 1.0);
      i = j;
    }
  free (d);

  out->statistic = fmin (w_plus, w_minus);
  if (ties == 0.0 && m <= PB_STATS_WILCOXON_EXACT_MAX)
    {
      out->exact = true;
      out->pvalue = wilcoxon_exact_p (m, (int) w_plus);
    }
  else
    {
      double mean = m * (m + 1.0) / 4.0;
      double var = (m * (m + 1.0) * (2.0 * m + 1.0) - ties / 2.0) / 24.0;
      double z = (out->statistic - mean) / sqrt (var);
      out->pvalue = 2.0 * pb_stats_normal_sf (fabs (z));
    }
  return PB_OK;
}

PbStatus
pb_stats_paired_tests (const double *a, const double *b, int n, PbPairedTests *out,
                       PbError *err)
{
  double sum = 0.0;

  for (int i = 0; i < n; i++)
    sum += paired_diff (a, b, i);
  out->mean_diff = n > 0 ? sum / n : NAN;
  pb_stats_ttest_paired (a, b, n, &out->t);
  return pb_stats_wilcoxon_paired (a, b, n, &out->wilcoxon, err);
}

PbStatus
pb_stats_paired_matrix (const double *values, int k, int r, PbPairedTests *out, PbError *err)
{
  const PbTest undefined = { .statistic = NAN, .df = NAN, .pvalue = NAN };

  for (int i = 0; i < k; i++)
    for (int j = 0; j < k; j++)
      {
        PbPairedTests *cell = &out[i * k + j];
        PbStatus st;

        if (i == j)
          {
            *cell = (PbPairedTests) { .mean_diff = NAN, .t = undefined, .wilcoxon = undefined };
            continue;
          }
        st = pb_stats_paired_tests (values + (size_t) i * r, values + (size_t) j * r, r, cell,
                                    err);
        if (st != PB_OK)
          return st;
      }
  return PB_OK;
}

int
pb_stats_ttest_min_pairs (double alpha)
{
  /* Two equal non-zero differences give t = ±∞ and p = 0; one pair gives no test. */
  return alpha > 0.0 ? 2 : 0;
}

int
pb_stats_wilcoxon_min_pairs (double alpha)
{
  for (int n = 1; n <= PB_STATS_WILCOXON_EXACT_MAX; n++)
    if (wilcoxon_exact_p (n, 0) < alpha)
      return n;
  return 0;
}

int
pb_stats_format_p (char *buf, size_t size, double p)
{
  char sci[32];
  const char *e;
  int exponent;

  if (isnan (p))
    return snprintf (buf, size, "—");
  if (p <= 0.0)
    return snprintf (buf, size, "0");
  /* Rounded first, so that 0.0996 becomes "0.10", not "0.100". */
  pb_snprintf_c (sci, sizeof sci, "%.1e", p);
  e = strchr (sci, 'e');
  exponent = e != NULL ? atoi (e + 1) : 0;
  if (exponent < -3)
    return snprintf (buf, size, "%s", sci);
  return pb_snprintf_c (buf, size, "%.*f", 1 - exponent, p);
}
