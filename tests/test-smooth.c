/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-smooth"

#include <math.h>
#include <glib.h>

#include "pb-smooth.h"

#define EPS 1e-12

static void
assert_values (const double *got,
               const double *want,
               size_t        n)
{
  for (size_t i = 0; i < n; i++)
    {
      if (isnan (want[i]))
        g_assert_true (isnan (got[i]));
      else if (isinf (want[i]))
        g_assert_cmpfloat (got[i], ==, want[i]);
      else
        g_assert_cmpfloat_with_epsilon (got[i], want[i], EPS);
    }
}

/* By hand, s = 0.5 on 1, 2, 3: last = 0.5, 1.25, 2.125 over 1 − s^t = 0.5, 0.75, 0.875. */
static void
test_ema_by_hand (void)
{
  const double y[] = { 1, 2, 3 };
  const double want[] = { 1, 5.0 / 3, 17.0 / 7 };
  double out[3];

  pb_smooth_ema (y, 3, 0.5, out);
  assert_values (out, want, 3);
}

/* Without the debiasing the first point would be (1 − s)·y = 4 and the second 2.4. */
static void
test_ema_debiases_first_points (void)
{
  const double y[] = { 10, 0, 0 };
  /* t = 3: last = 2.4·0.6 = 1.44 over 1 − 0.216 = 0.784. */
  const double want[] = { 10, 3.75, 1.44 / 0.784 };
  double out[3];

  pb_smooth_ema (y, 3, 0.6, out);
  assert_values (out, want, 3);

  /* The first point is itself whatever the weight. */
  for (double s = 0.1; s < 0.99; s += 0.2)
    {
      pb_smooth_ema (y, 1, s, out);
      g_assert_cmpfloat_with_epsilon (out[0], 10, EPS);
    }
}

static void
test_ema_skips_missing (void)
{
  const double y[] = { NAN, 1, NAN, INFINITY, 2, 3, NAN };
  const double want[] = { NAN, 1, NAN, INFINITY, 5.0 / 3, 17.0 / 7, NAN };
  double out[G_N_ELEMENTS (y)];

  pb_smooth_ema (y, G_N_ELEMENTS (y), 0.5, out);
  assert_values (out, want, G_N_ELEMENTS (y));
}

static void
test_ema_edges (void)
{
  double y[] = { 3, -1, 4, 1, 5 };
  const double copy[] = { 3, -1, 4, 1, 5 };
  const double constant[] = { 0.7, 0.7, 0.7, 0.7 };
  double out[5], heavy[2];

  /* s = 0 (or below) is the raw curve. */
  pb_smooth_ema (y, 5, 0, out);
  assert_values (out, copy, 5);
  pb_smooth_ema (y, 5, -0.3, out);
  assert_values (out, copy, 5);

  /* A constant stays constant. */
  pb_smooth_ema (constant, 4, 0.9, out);
  assert_values (out, constant, 4);

  /* Weights above the maximum act as the maximum, never as 1 (which would divide by 0). */
  pb_smooth_ema ((const double[]) { 1, 0 }, 2, 1.0, out);
  pb_smooth_ema ((const double[]) { 1, 0 }, 2, PB_SMOOTH_MAX, heavy);
  g_assert_true (isfinite (out[1]));
  g_assert_cmpfloat_with_epsilon (out[1], heavy[1], EPS);
  g_assert_cmpfloat_with_epsilon (heavy[1], 0.99 / 1.99, EPS);

  /* In place. */
  pb_smooth_ema (y, 5, 0.5, y);
  g_assert_cmpfloat_with_epsilon (y[0], 3, EPS);
  g_assert_cmpfloat_with_epsilon (y[1], (0.75 - 0.5) / 0.75, EPS);

  pb_smooth_ema (NULL, 0, 0.5, NULL);
}

/* Heavier smoothing follows a step more slowly. */
static void
test_ema_monotone_in_weight (void)
{
  double y[40], light[40], heavy[40];

  for (int i = 0; i < 40; i++)
    y[i] = i < 20 ? 1 : 0;
  pb_smooth_ema (y, 40, 0.6, light);
  pb_smooth_ema (y, 40, 0.95, heavy);
  for (int i = 0; i < 20; i++)
    {
      g_assert_cmpfloat_with_epsilon (light[i], 1, 1e-9);
      g_assert_cmpfloat_with_epsilon (heavy[i], 1, 1e-9);
    }
  for (int i = 20; i < 40; i++)
    {
      g_assert_cmpfloat (light[i], <, 1);
      g_assert_cmpfloat (heavy[i], >, light[i]);
    }
}

static void
test_quantile (void)
{
  const double sorted[] = { 1, 2, 3, 4, 5 };

  g_assert_cmpfloat (pb_quantile_sorted (sorted, 5, 0), ==, 1);
  g_assert_cmpfloat (pb_quantile_sorted (sorted, 5, 1), ==, 5);
  g_assert_cmpfloat (pb_quantile_sorted (sorted, 5, 0.5), ==, 3);
  /* numpy.quantile([1, 2, 3, 4, 5], 0.05) = 1.2 */
  g_assert_cmpfloat_with_epsilon (pb_quantile_sorted (sorted, 5, 0.05), 1.2, EPS);
  g_assert_cmpfloat_with_epsilon (pb_quantile_sorted (sorted, 5, 0.95), 4.8, EPS);
  g_assert_cmpfloat (pb_quantile_sorted (sorted, 1, 0.3), ==, 1);
}

static void
test_robust_range (void)
{
  double y[101], lo = -1, hi = -1;

  /* 0..100 shuffled: the 5th and 95th percentiles are 5 and 95. */
  for (int i = 0; i < 101; i++)
    y[i] = (i * 37) % 101;
  g_assert_cmpuint (pb_robust_range (y, 101, 0.05, 0, false, &lo, &hi), ==, 101);
  g_assert_cmpfloat_with_epsilon (lo, 5, EPS);
  g_assert_cmpfloat_with_epsilon (hi, 95, EPS);

  /* A tenth of the span on each side. */
  g_assert_cmpuint (pb_robust_range (y, 101, 0.05, 0.1, false, &lo, &hi), ==, 101);
  g_assert_cmpfloat_with_epsilon (lo, 5 - 9, EPS);
  g_assert_cmpfloat_with_epsilon (hi, 95 + 9, EPS);

  /* q = 0 is the full range. */
  g_assert_cmpuint (pb_robust_range (y, 101, 0, 0, false, &lo, &hi), ==, 101);
  g_assert_cmpfloat (lo, ==, 0);
  g_assert_cmpfloat (hi, ==, 100);
}

static void
test_robust_range_ignores_spike (void)
{
  /* A loss curve with one early spike: the spike decides the full range, not the robust one. */
  double y[60], lo, hi;

  for (int i = 0; i < 60; i++)
    y[i] = 0.5 + 0.01 * (i % 7);
  y[2] = 40;
  y[10] = NAN;
  y[11] = -INFINITY;
  g_assert_cmpuint (pb_robust_range (y, 60, 0, 0, false, &lo, &hi), ==, 58);
  g_assert_cmpfloat (hi, ==, 40);
  g_assert_cmpuint (pb_robust_range (y, 60, PB_SMOOTH_OUTLIER_QUANTILE, 0, false, &lo, &hi), ==,
                    58);
  g_assert_cmpfloat (hi, <=, 0.56 + EPS);
  g_assert_cmpfloat (lo, >=, 0.5 - EPS);
}

static void
test_robust_range_edges (void)
{
  double none[] = { NAN, INFINITY, NAN };
  double one[] = { 2 };
  double zero[] = { 0, 0 };
  double logv[] = { 0, -1, 0.01, 0.1, 1 };
  double lo = 7, hi = 8;

  g_assert_cmpuint (pb_robust_range (none, 3, 0.05, 0.1, false, &lo, &hi), ==, 0);
  g_assert_cmpfloat (lo, ==, 7);
  g_assert_cmpfloat (hi, ==, 8);
  g_assert_cmpuint (pb_robust_range (NULL, 0, 0.05, 0.1, false, &lo, &hi), ==, 0);

  /* A single value is widened around itself, so an axis has some height. */
  g_assert_cmpuint (pb_robust_range (one, 1, 0.05, 0.1, false, &lo, &hi), ==, 1);
  g_assert_cmpfloat_with_epsilon (lo, 1.8, EPS);
  g_assert_cmpfloat_with_epsilon (hi, 2.2, EPS);
  g_assert_cmpuint (pb_robust_range (zero, 2, 0.05, 0.1, false, &lo, &hi), ==, 2);
  g_assert_cmpfloat_with_epsilon (lo, -0.1, EPS);
  g_assert_cmpfloat_with_epsilon (hi, 0.1, EPS);

  /* For a log axis: positive values only, the margin in decades (0.1 × 2 decades). */
  g_assert_cmpuint (pb_robust_range (logv, 5, 0, 0.1, true, &lo, &hi), ==, 3);
  g_assert_cmpfloat_with_epsilon (lo, pow (10, -2.2), 1e-12);
  g_assert_cmpfloat_with_epsilon (hi, pow (10, 0.2), 1e-12);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/smooth/ema/by-hand", test_ema_by_hand);
  g_test_add_func ("/smooth/ema/debiases-first-points", test_ema_debiases_first_points);
  g_test_add_func ("/smooth/ema/skips-missing", test_ema_skips_missing);
  g_test_add_func ("/smooth/ema/edges", test_ema_edges);
  g_test_add_func ("/smooth/ema/monotone-in-weight", test_ema_monotone_in_weight);
  g_test_add_func ("/smooth/quantile", test_quantile);
  g_test_add_func ("/smooth/robust-range", test_robust_range);
  g_test_add_func ("/smooth/robust-range/ignores-spike", test_robust_range_ignores_spike);
  g_test_add_func ("/smooth/robust-range/edges", test_robust_range_edges);
  return g_test_run ();
}
