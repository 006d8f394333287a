/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The paired tests against scipy (tests/fixtures/stats.json, made by tools/gen-stats-fixtures.py)
 * and against values worked out by hand. */

#include <glib.h>
#include <math.h>
#include <string.h>

#include "pb-json.h"
#include "pb-stats.h"

static double worst_rel;

/* null is NaN; "inf" and "-inf" are the infinities JSON cannot hold. */
static double
fixture_number (const PbJson *v)
{
  g_assert_nonnull (v);
  if (v->type == PB_JSON_NUMBER)
    return v->number;
  if (v->type == PB_JSON_STRING)
    {
      g_assert_true (strcmp (v->string, "inf") == 0 || strcmp (v->string, "-inf") == 0);
      return v->string[0] == '-' ? -INFINITY : INFINITY;
    }
  g_assert_cmpint (v->type, ==, PB_JSON_NULL);
  return NAN;
}

static void
assert_close (const char *where, const char *what, double got, double want)
{
  double diff;

  if (isnan (want) || isnan (got))
    {
      if (isnan (want) != isnan (got))
        g_error ("%s %s: got %.17g, scipy %.17g", where, what, got, want);
      return;
    }
  /* scipy's t for differences that are all equal is ±∞, or ±1e16 when its variance is not quite
   * 0; the core checks the equality exactly and always gives ±∞. */
  if (isinf (got) || isinf (want))
    {
      if (!(signbit (got) == signbit (want) && fabs (got) > 1e12 && fabs (want) > 1e12))
        g_error ("%s %s: got %.17g, scipy %.17g", where, what, got, want);
      return;
    }
  diff = fabs (got - want);
  if (diff > 1e-12 && diff > 1e-9 * fabs (want))
    g_error ("%s %s: got %.17g, scipy %.17g (relative difference %.3g)", where, what, got, want,
             diff / fabs (want));
  /* 0 vs scipy's 1e-302 for equal differences is not a precision loss. */
  if (want != 0.0 && got != 0.0)
    worst_rel = MAX (worst_rel, diff / fabs (want));
}

static double *
fixture_array (const PbJson *c, const char *key)
{
  const PbJson *arr = pb_json_get (c, key);
  double *v;

  g_assert_nonnull (arr);
  g_assert_cmpint (arr->type, ==, PB_JSON_ARRAY);
  v = g_new (double, MAX (arr->n, 1));
  for (int i = 0; i < arr->n; i++)
    v[i] = arr->items[i].number;
  return v;
}

static void
test_scipy (void)
{
  const char *dir = g_getenv ("PAIRBENCH_FIXTURES");
  g_autofree char *path = NULL;
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  PbError err = { { 0 } };
  PbJson *doc = NULL;
  const PbJson *cases;
  gsize len;
  int n_exact = 0, n_approx = 0;

  if (dir == NULL)
    {
      g_test_skip ("PAIRBENCH_FIXTURES is not set");
      return;
    }
  path = g_build_filename (dir, "stats.json", NULL);
  g_file_get_contents (path, &text, &len, &error);
  g_assert_no_error (error);
  if (pb_json_parse (text, len, path, &doc, &err) != PB_OK)
    g_error ("%s", err.message);
  g_assert_cmpfloat (pb_json_get_number (doc, "wilcoxon_exact_max", 0), ==,
                     PB_STATS_WILCOXON_EXACT_MAX);
  cases = pb_json_get (doc, "cases");
  g_assert_nonnull (cases);
  g_assert_cmpint (cases->n, >=, 30);

  worst_rel = 0.0;
  for (int i = 0; i < cases->n; i++)
    {
      const PbJson *c = &cases->items[i];
      const char *name = pb_json_get_string (c, "name");
      const PbJson *t = pb_json_get (c, "ttest");
      const PbJson *w = pb_json_get (c, "wilcoxon");
      int n = pb_json_get (c, "a")->n;
      g_autofree double *a = fixture_array (c, "a");
      g_autofree double *b = fixture_array (c, "b");
      g_autofree double *d = fixture_array (c, "d");
      PbPairedTests r, from_d;

      g_assert_cmpint (pb_stats_paired_tests (a, b, n, &r, &err), ==, PB_OK);
      g_assert_cmpint (pb_stats_paired_tests (d, NULL, n, &from_d, &err), ==, PB_OK);

      assert_close (name, "t", r.t.statistic, fixture_number (pb_json_get (t, "statistic")));
      assert_close (name, "t p", r.t.pvalue, fixture_number (pb_json_get (t, "pvalue")));
      g_assert_cmpfloat (r.t.df, ==, pb_json_get_number (t, "df", -1));
      assert_close (name, "W", r.wilcoxon.statistic,
                    fixture_number (pb_json_get (w, "statistic")));
      assert_close (name, "W p", r.wilcoxon.pvalue, fixture_number (pb_json_get (w, "pvalue")));
      g_assert_cmpint (r.wilcoxon.n, ==, (int) pb_json_get_number (w, "n", -1));
      if (r.wilcoxon.n > 0)
        g_assert_cmpint (r.wilcoxon.exact, ==,
                         strcmp (pb_json_get_string (w, "method"), "exact") == 0);
      n_exact += r.wilcoxon.n > 0 && r.wilcoxon.exact;
      n_approx += r.wilcoxon.n > 0 && !r.wilcoxon.exact;

      /* The core's rounding of a − b is numpy's round (a − b, 9), bit for bit. */
      assert_close (name, "t p from d", from_d.t.pvalue, r.t.pvalue);
      assert_close (name, "W p from d", from_d.wilcoxon.pvalue, r.wilcoxon.pvalue);
      g_assert_cmpfloat (from_d.mean_diff, ==, r.mean_diff);
    }
  g_test_message ("%d cases (scipy %s; Wilcoxon %d exact, %d approximate); worst relative "
                  "difference %.3g", cases->n, pb_json_get_string (doc, "scipy"), n_exact,
                  n_approx, worst_rel);
  g_assert_cmpint (n_exact, >=, 10);
  g_assert_cmpint (n_approx, >=, 10);
  pb_json_free (doc);
}

static void
test_summary (void)
{
  const double x[] = { 2, 4, 4, 4, 5, 5, 7, 9 };

  g_assert_cmpfloat (pb_stats_mean (x, 8), ==, 5.0);
  g_assert_cmpfloat_with_epsilon (pb_stats_std (x, 8), sqrt (32.0 / 7.0), 1e-15);
  g_assert_cmpfloat (pb_stats_mean (x, 1), ==, 2.0);
  g_assert_true (isnan (pb_stats_std (x, 1)));
  g_assert_true (isnan (pb_stats_mean (x, 0)));
}

static void
test_distributions (void)
{
  for (double x = 0.0; x <= 1.0; x += 0.125)
    {
      g_assert_cmpfloat_with_epsilon (pb_stats_betainc (1, 1, x), x, 1e-15);
      g_assert_cmpfloat_with_epsilon (pb_stats_betainc (3.5, 1, x), pow (x, 3.5), 1e-14);
      g_assert_cmpfloat_with_epsilon (pb_stats_betainc (1, 2.5, x), 1 - pow (1 - x, 2.5), 1e-14);
    }
  g_assert_cmpfloat_with_epsilon (pb_stats_betainc (7.5, 7.5, 0.5), 0.5, 1e-15);
  g_assert_true (isnan (pb_stats_betainc (NAN, 1, 0.5)));

  /* df = 1 is the Cauchy distribution, df = 2 has a closed form too. */
  for (double t = -30.0; t <= 30.0; t += 2.5)
    {
      g_assert_cmpfloat_with_epsilon (pb_stats_t_sf (t, 1), 0.5 - atan (t) / G_PI, 1e-14);
      g_assert_cmpfloat_with_epsilon (pb_stats_t_sf (t, 2), 0.5 - t / (2 * sqrt (2 + t * t)),
                                      1e-14);
    }
  g_assert_cmpfloat (pb_stats_t_sf (0, 9), ==, 0.5);
  g_assert_cmpfloat (pb_stats_t_sf (INFINITY, 9), ==, 0.0);
  /* Far tail of df = 1: P(T > t) ≈ 1 / (π t), kept to full relative precision. */
  g_assert_cmpfloat_with_epsilon (pb_stats_t_sf (1e10, 1) * G_PI * 1e10, 1.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (pb_stats_normal_sf (1.959963984540054), 0.025, 1e-15);
}

static void
test_wilcoxon_hand (void)
{
  const double up[] = { 5, 1, 4, 2, 3 };
  const double noisy_a[] = { 0.3, 0.5, 0.7 }, noisy_b[] = { 0.1, 0.3, 0.6 };
  const double with_nan[] = { 1, NAN, 2 };
  PbError err = { { 0 } };
  PbTest w, t;

  /* All five ranks positive: W− = 0 and P = 2 / 2^5. */
  g_assert_cmpint (pb_stats_wilcoxon_paired (up, NULL, 5, &w, &err), ==, PB_OK);
  g_assert_true (w.exact);
  g_assert_cmpint (w.n, ==, 5);
  g_assert_cmpfloat (w.statistic, ==, 0.0);
  g_assert_cmpfloat (w.pvalue, ==, 0.0625);

  /* 0.3 − 0.1 and 0.5 − 0.3 differ in the last bit; rounded they tie, so no exact p-value. The
   * ranks are 1.5, 1.5, 3; the tie correction takes 2 × 3 / 2 from n(n+1)(2n+1) = 84. */
  g_assert_true (noisy_a[0] - noisy_b[0] != noisy_a[1] - noisy_b[1]);
  g_assert_cmpint (pb_stats_wilcoxon_paired (noisy_a, noisy_b, 3, &w, &err), ==, PB_OK);
  g_assert_false (w.exact);
  g_assert_cmpfloat (w.statistic, ==, 0.0);
  g_assert_cmpfloat_with_epsilon (w.pvalue, 2 * pb_stats_normal_sf (3.0 / sqrt (81.0 / 24.0)),
                                  1e-15);

  /* Likewise the t-test sees 0.2, 0.2, 0.1 rather than float noise. */
  pb_stats_ttest_paired (noisy_a, noisy_b, 2, &t);
  g_assert_true (isinf (t.statistic) && t.statistic > 0);
  g_assert_cmpfloat (t.pvalue, ==, 0.0);

  g_assert_cmpint (pb_stats_wilcoxon_paired (with_nan, NULL, 3, &w, &err), ==, PB_OK);
  g_assert_true (isnan (w.pvalue));
  pb_stats_ttest_paired (with_nan, NULL, 3, &t);
  g_assert_true (isnan (t.pvalue));
  g_assert_cmpint (pb_stats_wilcoxon_paired (up, NULL, 0, &w, &err), ==, PB_OK);
  g_assert_true (isnan (w.pvalue) && isnan (w.statistic));
}

static gboolean
same (double x, double y)
{
  return x == y || (isnan (x) && isnan (y));
}

static void
test_matrix (void)
{
  /* Three models × four rounds. */
  const double values[] = {
    0.20, 0.22, 0.21, 0.19,
    0.18, 0.20, 0.20, 0.18,
    0.20, 0.22, 0.21, 0.19,
  };
  PbPairedTests m[9];
  PbError err = { { 0 } };

  g_assert_cmpint (pb_stats_paired_matrix (values, 3, 4, m, &err), ==, PB_OK);
  for (int i = 0; i < 3; i++)
    {
      g_assert_true (isnan (m[i * 3 + i].mean_diff));
      g_assert_true (isnan (m[i * 3 + i].t.pvalue) && isnan (m[i * 3 + i].wilcoxon.pvalue));
      for (int j = 0; j < 3; j++)
        if (i != j)
          {
            const PbPairedTests *ij = &m[i * 3 + j], *ji = &m[j * 3 + i];
            g_assert_true (same (ij->mean_diff, -ji->mean_diff));
            g_assert_true (same (ij->t.statistic, -ji->t.statistic));
            g_assert_true (same (ij->t.pvalue, ji->t.pvalue));
            g_assert_true (same (ij->wilcoxon.statistic, ji->wilcoxon.statistic));
            g_assert_true (same (ij->wilcoxon.pvalue, ji->wilcoxon.pvalue));
          }
    }
  /* d = 0.02, 0.02, 0.01, 0.01: t = 0.015 / (0.00577… / 2) = 3√3, df = 3. */
  g_assert_cmpfloat_with_epsilon (m[1].mean_diff, 0.015, 1e-15);
  g_assert_cmpfloat_with_epsilon (m[1].t.statistic, 3 * sqrt (3.0), 1e-12);
  g_assert_cmpfloat_with_epsilon (m[1].t.pvalue, 2 * pb_stats_t_sf (3 * sqrt (3.0), 3), 1e-12);
  /* Identical models: every difference is zero. */
  g_assert_cmpfloat (m[2].mean_diff, ==, 0.0);
  g_assert_true (isnan (m[2].t.pvalue));
  g_assert_true (isnan (m[2].wilcoxon.pvalue));
  g_assert_cmpint (m[2].wilcoxon.n, ==, 0);
}

static void
test_format_p (void)
{
  static const struct { double p; const char *want; } cases[] = {
    { 0.5, "0.50" }, { 1.0, "1.0" }, { 0.03125, "0.031" }, { 0.0996, "0.10" },
    { 0.99996, "1.0" }, { 0.04996, "0.050" }, { 0.0012345, "0.0012" }, { 0.000999, "0.0010" },
    { 1.234e-5, "1.2e-05" }, { 9.96e-5, "1.0e-04" }, { 3e-300, "3.0e-300" }, { 0.0, "0" },
    { 0.123456, "0.12" },
  };
  char buf[32];

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      pb_stats_format_p (buf, sizeof buf, cases[i].p);
      g_assert_cmpstr (buf, ==, cases[i].want);
    }
  g_assert_cmpint (pb_stats_format_p (buf, sizeof buf, NAN), ==, (int) strlen ("—"));
  g_assert_cmpstr (buf, ==, "—");
}

/* The thresholds are the tests' own: the smallest p that n pairs can give. */
static void
test_min_pairs (void)
{
  double same_sign[6] = { 0.1, 0.2, 0.3, 0.4, 0.5, 0.6 };
  PbTest t;
  PbError err = { { 0 } };

  g_assert_cmpint (pb_stats_wilcoxon_min_pairs (0.05), ==, 6);
  g_assert_cmpint (pb_stats_wilcoxon_min_pairs (0.01), ==, 8);
  g_assert_cmpint (pb_stats_ttest_min_pairs (0.05), ==, 2);
  /* 5 differences of one sign: the exact p is 2/32, 6 give 2/64. */
  g_assert_cmpint (pb_stats_wilcoxon_paired (same_sign, NULL, 5, &t, &err), ==, PB_OK);
  g_assert_cmpfloat (t.pvalue, ==, 0.0625);
  g_assert_cmpint (pb_stats_wilcoxon_paired (same_sign, NULL, 6, &t, &err), ==, PB_OK);
  g_assert_cmpfloat (t.pvalue, ==, 0.03125);
  /* Two rounds: the Wilcoxon p is at least 0.5, but the t-test's can be small. */
  double a[2] = { 0.10, 0.11 }, b[2] = { 0.20, 0.2101 };
  pb_stats_ttest_paired (a, b, 2, &t);
  g_assert_cmpfloat (t.pvalue, <, 0.05);
  pb_stats_ttest_paired (a, b, 1, &t);
  g_assert_true (isnan (t.pvalue));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/core/stats/scipy", test_scipy);
  g_test_add_func ("/core/stats/summary", test_summary);
  g_test_add_func ("/core/stats/distributions", test_distributions);
  g_test_add_func ("/core/stats/wilcoxon-hand", test_wilcoxon_hand);
  g_test_add_func ("/core/stats/matrix", test_matrix);
  g_test_add_func ("/core/stats/format-p", test_format_p);
  g_test_add_func ("/core/stats/min-pairs", test_min_pairs);
  return g_test_run ();
}
