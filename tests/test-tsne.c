/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <sys/wait.h>

#include "pb-rng.h"
#include "pb-tsne.h"

/* n points of dim coordinates, N(0, 1). */
static float *
random_points (uint64_t seed, int n, int dim)
{
  PbRng rng;
  float *x = g_new (float, (size_t) n * dim);

  pb_rng_seed (&rng, seed, 1);
  for (int c = 0; c < n * dim; c++)
    x[c] = (float) pb_rng_normal (&rng);
  return x;
}

static double *
random_map (uint64_t seed, int n, double scale)
{
  PbRng rng;
  double *y = g_new (double, 2 * (size_t) n);

  pb_rng_seed (&rng, seed, 2);
  for (int c = 0; c < 2 * n; c++)
    y[c] = scale * pb_rng_normal (&rng);
  return y;
}

/* k well-separated Gaussian clusters in dim dimensions; labels[i] is the cluster. */
static float *
cluster_points (int clusters, int per, int dim, int **labels)
{
  PbRng rng;
  int n = clusters * per;
  float *x = g_new (float, (size_t) n * dim);

  *labels = g_new (int, n);
  pb_rng_seed (&rng, 7, 3);
  for (int i = 0; i < n; i++)
    {
      int k = i % clusters;
      (*labels)[i] = k;
      for (int d = 0; d < dim; d++)
        x[(size_t) i * dim + d] = (float) ((d == k ? 12.0 : 0.0) + pb_rng_normal (&rng));
    }
  return x;
}

static PbTsne *
new_tsne (const float *x, int n, int dim, const PbTsneSettings *settings)
{
  PbTsne *tsne = NULL;
  PbError err = { { 0 } };
  PbStatus status = pb_tsne_new (x, n, dim, settings, NULL, &tsne, &err);

  if (status != PB_OK)
    g_error ("pb_tsne_new: %s", err.message);
  return tsne;
}

static void
step (PbTsne *tsne, int iterations)
{
  PbError err = { { 0 } };

  if (pb_tsne_step (tsne, iterations, &err) != PB_OK)
    g_error ("pb_tsne_step: %s", err.message);
}

static double *
coords_as_double (PbTsne *tsne)
{
  int n = pb_tsne_n (tsne);
  double *y = g_new (double, 2 * (size_t) n);

  for (int c = 0; c < 2 * n; c++)
    y[c] = pb_tsne_coords (tsne)[c];
  return y;
}

static void
test_calibration (void)
{
  const double perplexities[] = { 2.0, 5.0, 10.0, 30.0, 50.0 };
  PbRng rng;
  double dist2[150], p[150];

  pb_rng_seed (&rng, 1, 1);
  for (int trial = 0; trial < 20; trial++)
    {
      /* Scales from 1e-4 to 1e4, so the search has to move β far from its start. */
      double scale = pow (10.0, -4.0 + trial * 0.4);
      for (int m = 0; m < 150; m++)
        dist2[m] = scale * pb_rng_uniform_double (&rng) * (1.0 + m);
      if (trial % 5 == 0)
        dist2[30] = dist2[31] = dist2[40]; /* ties */

      for (size_t t = 0; t < G_N_ELEMENTS (perplexities); t++)
        {
          double target = perplexities[t], sum = 0.0, entropy = 0.0;
          double beta = pb_tsne_calibrate_row (dist2, 150, target, p);

          g_assert_true (beta > 0.0 && isfinite (beta));
          for (int m = 0; m < 150; m++)
            {
              g_assert_true (p[m] >= 0.0);
              sum += p[m];
              if (p[m] > 0.0)
                entropy -= p[m] * log (p[m]);
            }
          g_assert_cmpfloat_with_epsilon (sum, 1.0, 1e-12);
          g_assert_cmpfloat_with_epsilon (exp (entropy), target, 1e-3);
        }
    }

  /* All neighbours at distance 0 (duplicates): uniform, no NaN. */
  memset (dist2, 0, sizeof dist2);
  pb_tsne_calibrate_row (dist2, 90, 30.0, p);
  for (int m = 0; m < 90; m++)
    g_assert_cmpfloat_with_epsilon (p[m], 1.0 / 90, 1e-12);
}

/* The sparse P against a dense computation: exact kNN, calibration, (C + Cᵀ) / 2N. */
static void
test_affinities (void)
{
  const int n = 80, dim = 6;
  const double perplexity = 5.0;
  const int k = 15;
  g_autofree float *x = random_points (3, n, dim);
  g_autofree double *dense = g_new0 (double, (size_t) n * n);
  PbTsneAffinities p;
  PbError err = { { 0 } };

  x[5 * dim + 0] = x[9 * dim + 0]; /* one duplicate pair */
  memcpy (x + 9 * dim, x + 5 * dim, dim * sizeof (float));

  for (int i = 0; i < n; i++)
    {
      double d2[80], cond[80];
      int idx[80], m = 0;

      for (int j = 0; j < n; j++)
        {
          if (j == i)
            continue;
          double s = 0.0;
          for (int d = 0; d < dim; d++)
            {
              double t = (double) x[i * dim + d] - x[j * dim + d];
              s += t * t;
            }
          d2[m] = s;
          idx[m++] = j;
        }
      /* Selection sort of the k nearest, ties by index. */
      for (int a = 0; a < k; a++)
        for (int b = a + 1; b < m; b++)
          if (d2[b] < d2[a] || (d2[b] == d2[a] && idx[b] < idx[a]))
            {
              double td = d2[a];
              int ti = idx[a];
              d2[a] = d2[b], idx[a] = idx[b];
              d2[b] = td, idx[b] = ti;
            }
      pb_tsne_calibrate_row (d2, k, perplexity, cond);
      for (int a = 0; a < k; a++)
        {
          dense[(size_t) i * n + idx[a]] += cond[a] / (2.0 * n);
          dense[(size_t) idx[a] * n + i] += cond[a] / (2.0 * n);
        }
    }

  g_assert_cmpint (pb_tsne_affinities_compute (x, n, dim, perplexity, NULL, &p, &err), ==,
                   PB_OK);
  g_assert_cmpint (p.n, ==, n);

  double total = 0.0, worst = 0.0;
  int nnz = 0;
  for (int i = 0; i < n; i++)
    for (int e = p.row[i]; e < p.row[i + 1]; e++)
      {
        if (e > p.row[i])
          g_assert_cmpint (p.col[e], >, p.col[e - 1]);
        g_assert_cmpint (p.col[e], !=, i);
        worst = MAX (worst, fabs (p.val[e] - dense[(size_t) i * n + p.col[e]]));
        total += p.val[e];
        nnz++;
      }
  for (int i = 0; i < n * n; i++)
    nnz -= dense[i] > 0.0;
  g_test_message ("worst |P - dense P| = %.3g", worst);
  g_assert_cmpint (nnz, ==, 0);
  g_assert_cmpfloat (worst, <, 1e-12);
  g_assert_cmpfloat_with_epsilon (total, 1.0, 1e-12);
  pb_tsne_affinities_clear (&p);
}

static void
make_affinities (int n, int dim, double perplexity, uint64_t seed, PbTsneAffinities *p)
{
  g_autofree float *x = random_points (seed, n, dim);
  PbError err = { { 0 } };

  if (pb_tsne_affinities_compute (x, n, dim, perplexity, NULL, p, &err) != PB_OK)
    g_error ("affinities: %s", err.message);
}

static void
test_gradient_finite_difference (void)
{
  const int n = 40;
  PbTsneAffinities p;
  g_autofree double *y = random_map (5, n, 2.0);
  g_autofree double *grad = g_new (double, 2 * n);
  double worst = 0.0, scale = 0.0;

  make_affinities (n, 5, 8.0, 4, &p);
  pb_tsne_exact_gradient (&p, y, grad);
  for (int c = 0; c < 2 * n; c++)
    {
      const double h = 1e-5;
      double keep = y[c];
      y[c] = keep + h;
      double up = pb_tsne_exact_kl (&p, y);
      y[c] = keep - h;
      double down = pb_tsne_exact_kl (&p, y);
      y[c] = keep;
      double fd = (up - down) / (2 * h);
      worst = MAX (worst, fabs (fd - grad[c]));
      scale = MAX (scale, fabs (grad[c]));
    }
  g_test_message ("worst |grad - fd| = %.3g of max |grad| %.3g", worst, scale);
  g_assert_cmpfloat (scale, >, 1e-3);
  g_assert_cmpfloat (worst / scale, <, 1e-6);
  pb_tsne_affinities_clear (&p);
}

static double
relative_difference (const double *a, const double *b, int len)
{
  double diff = 0.0, norm = 0.0;

  for (int c = 0; c < len; c++)
    {
      diff += (a[c] - b[c]) * (a[c] - b[c]);
      norm += b[c] * b[c];
    }
  return sqrt (diff / norm);
}

static void
test_gradient_bh_exact (void)
{
  const int n = 300;
  PbTsneAffinities p;
  g_autofree double *y = random_map (6, n, 5.0);
  g_autofree double *exact = g_new (double, 2 * n);
  g_autofree double *bh = g_new (double, 2 * n);
  PbError err = { { 0 } };
  double kl_bh;

  /* Duplicates in the map share a leaf that cannot be split. */
  for (int i = 10; i < 20; i++)
    y[2 * i] = y[20], y[2 * i + 1] = y[21];

  make_affinities (n, 8, 20.0, 7, &p);
  pb_tsne_exact_gradient (&p, y, exact);
  g_assert_cmpint (pb_tsne_bh_gradient (&p, y, 0.0, bh, &kl_bh, &err), ==, PB_OK);
  double rel = relative_difference (bh, exact, 2 * n);
  g_test_message ("theta 0: relative difference %.3g", rel);
  g_assert_cmpfloat (rel, <, 1e-9);
  for (int c = 0; c < 2 * n; c++)
    g_assert_cmpfloat (fabs (bh[c] - exact[c]), <=, 1e-5 * fabs (exact[c]) + 1e-12);
  g_assert_cmpfloat_with_epsilon (kl_bh, pb_tsne_exact_kl (&p, y), 1e-10);
  pb_tsne_affinities_clear (&p);
}

static void
test_gradient_bh_theta (void)
{
  const int n = 600;
  PbTsneAffinities p;
  g_autofree double *y = random_map (8, n, 8.0);
  g_autofree double *exact = g_new (double, 2 * n);
  g_autofree double *bh = g_new (double, 2 * n);
  PbError err = { { 0 } };
  double kl_bh;

  make_affinities (n, 8, 30.0, 9, &p);
  pb_tsne_exact_gradient (&p, y, exact);
  g_assert_cmpint (pb_tsne_bh_gradient (&p, y, 0.5, bh, &kl_bh, &err), ==, PB_OK);
  double rel = relative_difference (bh, exact, 2 * n);
  double kl = pb_tsne_exact_kl (&p, y);
  g_test_message ("theta 0.5: relative gradient difference %.3g, KL %.6f vs exact %.6f", rel,
                  kl_bh, kl);
  /* Approximate, so not equal; but within a few percent. */
  g_assert_cmpfloat (rel, >, 1e-7);
  g_assert_cmpfloat (rel, <, 0.03);
  g_assert_cmpfloat (fabs (kl_bh - kl), <, 0.01 * kl);
  pb_tsne_affinities_clear (&p);
}

/* The FFT interpolation against the exact sums, at a compact map (the grid's 50 boxes a side
 * are then narrow) and at a spread one (boxes one unit wide, 3 nodes each). */
static void
check_fft_gradient (uint64_t seed, int n, double scale, double bound)
{
  PbTsneAffinities p;
  g_autofree double *y = random_map (seed, n, scale);
  g_autofree double *exact = g_new (double, 2 * n);
  g_autofree double *fft = g_new (double, 2 * n);
  PbError err = { { 0 } };
  double kl_fft;

  make_affinities (n, 8, 30.0, 9, &p);
  pb_tsne_exact_gradient (&p, y, exact);
  g_assert_cmpint (pb_tsne_fft_gradient (&p, y, fft, &kl_fft, &err), ==, PB_OK);
  double rel = relative_difference (fft, exact, 2 * n);
  double kl = pb_tsne_exact_kl (&p, y);
  g_test_message ("fft, map scale %g: relative gradient difference %.3g, KL %.8f vs exact %.8f",
                  scale, rel, kl_fft, kl);
  g_assert_cmpfloat (rel, >, 1e-9);
  g_assert_cmpfloat (rel, <, bound);
  g_assert_cmpfloat (fabs (kl_fft - kl), <, 1e-4 * kl);
  pb_tsne_affinities_clear (&p);
}

static void
test_gradient_fft (void)
{
  check_fft_gradient (10, 800, 1.0, 1e-3);
  check_fft_gradient (11, 800, 20.0, 1e-2);
  check_fft_gradient (12, 2000, 60.0, 1e-2);
}

static double
label_purity (const float *y, const int *labels, int n, int k)
{
  double pure = 0.0;
  double *d = g_new (double, n);
  int *order = g_new (int, n);

  for (int i = 0; i < n; i++)
    {
      for (int j = 0; j < n; j++)
        {
          double dx = y[2 * i] - y[2 * j], dy = y[2 * i + 1] - y[2 * j + 1];
          d[j] = j == i ? INFINITY : dx * dx + dy * dy;
          order[j] = j;
        }
      for (int a = 0; a < k; a++)
        for (int b = a + 1; b < n; b++)
          if (d[order[b]] < d[order[a]])
            {
              int t = order[a];
              order[a] = order[b];
              order[b] = t;
            }
      for (int a = 0; a < k; a++)
        pure += labels[order[a]] == labels[i];
    }
  g_free (d);
  g_free (order);
  return pure / ((double) n * k);
}

static void
test_clusters (void)
{
  const int clusters = 5, per = 60, dim = 10, n = clusters * per;
  g_autofree int *labels = NULL;
  g_autofree float *x = cluster_points (clusters, per, dim, &labels);
  PbTsneSettings settings;

  pb_tsne_settings_init (&settings);
  settings.perplexity = 15.0;
  PbTsne *tsne = new_tsne (x, n, dim, &settings);
  step (tsne, 1000);
  double purity = label_purity (pb_tsne_coords (tsne), labels, n, 10);
  g_test_message ("kNN label purity %.4f", purity);
  g_assert_cmpfloat (purity, >, 0.95);

  /* And the clusters are apart: every cluster's spread is well below the gaps between them. */
  double centre[5][2] = { { 0 } }, spread = 0.0, gap = INFINITY;
  const float *y = pb_tsne_coords (tsne);
  for (int i = 0; i < n; i++)
    centre[labels[i]][0] += y[2 * i] / per, centre[labels[i]][1] += y[2 * i + 1] / per;
  for (int i = 0; i < n; i++)
    spread = MAX (spread, hypot (y[2 * i] - centre[labels[i]][0],
                                 y[2 * i + 1] - centre[labels[i]][1]));
  for (int a = 0; a < clusters; a++)
    for (int b = a + 1; b < clusters; b++)
      gap = MIN (gap, hypot (centre[a][0] - centre[b][0], centre[a][1] - centre[b][1]));
  g_test_message ("largest radius %.3f, smallest centre gap %.3f", spread, gap);
  g_assert_cmpfloat (gap, >, 2.0 * spread);
  pb_tsne_free (tsne);
}

static void
test_kl_falls (void)
{
  const int n = 400, dim = 12;
  g_autofree float *x = random_points (11, n, dim);
  PbTsneSettings settings;
  double kl[5];
  const int at[5] = { 250, 300, 400, 600, 1000 };

  pb_tsne_settings_init (&settings);
  settings.theta = 0.0; /* so that pb_tsne_kl can be checked against the exact KL */
  PbTsne *tsne = new_tsne (x, n, dim, &settings);

  /* During exaggeration the reported KL is that of the unexaggerated P. */
  step (tsne, 100);
  g_autofree double *y100 = coords_as_double (tsne);
  double exact100 = pb_tsne_exact_kl (pb_tsne_affinities (tsne), y100);
  g_test_message ("KL at 100: %.6f (exact %.6f)", pb_tsne_kl (tsne), exact100);
  g_assert_cmpfloat (fabs (pb_tsne_kl (tsne) - exact100), <, 1e-4 * exact100);

  for (int k = 0; k < 5; k++)
    {
      step (tsne, at[k] - pb_tsne_iteration (tsne));
      g_assert_cmpint (pb_tsne_iteration (tsne), ==, at[k]);
      kl[k] = pb_tsne_kl (tsne);
      g_test_message ("KL at %d: %.5f", at[k], kl[k]);
      if (k > 0)
        g_assert_cmpfloat (kl[k], <, kl[k - 1]);
    }
  /* Most of the fall happens once exaggeration ends. */
  g_assert_cmpfloat (kl[4], <, 0.8 * kl[0]);

  g_autofree double *y = coords_as_double (tsne);
  g_assert_cmpfloat (fabs (kl[4] - pb_tsne_exact_kl (pb_tsne_affinities (tsne), y)), <,
                     1e-4 * kl[4]);
  pb_tsne_free (tsne);
}

static float *
run_coords (const float *x, int n, int dim, PbTsneSettings *settings, int iterations)
{
  PbTsne *tsne = new_tsne (x, n, dim, settings);
  float *y;

  step (tsne, iterations);
  y = g_memdup2 (pb_tsne_coords (tsne), 2 * sizeof (float) * n);
  pb_tsne_free (tsne);
  return y;
}

static void
check_deterministic (PbTsneMethod method)
{
  const int n = 700, dim = 10;
  g_autofree float *x = random_points (13, n, dim);
  PbTsneSettings settings;

  pb_tsne_settings_init (&settings);
  settings.method = method;
  settings.seed = 42;
  settings.threads = 1;
  g_autofree float *a = run_coords (x, n, dim, &settings, 300);
  g_autofree float *b = run_coords (x, n, dim, &settings, 300);
  settings.threads = 2;
  g_autofree float *c = run_coords (x, n, dim, &settings, 300);
  settings.threads = 3;
  g_autofree float *d = run_coords (x, n, dim, &settings, 300);
  g_assert_cmpmem (a, 2 * sizeof (float) * n, b, 2 * sizeof (float) * n);
  g_assert_cmpmem (a, 2 * sizeof (float) * n, c, 2 * sizeof (float) * n);
  g_assert_cmpmem (a, 2 * sizeof (float) * n, d, 2 * sizeof (float) * n);

  /* Stepping in pieces is the same run. */
  PbTsne *tsne = new_tsne (x, n, dim, &settings);
  for (int k = 0; k < 30; k++)
    step (tsne, 10);
  g_assert_cmpmem (a, 2 * sizeof (float) * n, pb_tsne_coords (tsne), 2 * sizeof (float) * n);
  pb_tsne_free (tsne);

  /* The seed matters for a random init. */
  settings.init = PB_TSNE_INIT_RANDOM;
  g_autofree float *e = run_coords (x, n, dim, &settings, 50);
  settings.seed = 43;
  g_autofree float *f = run_coords (x, n, dim, &settings, 50);
  g_assert_true (memcmp (e, f, 2 * sizeof (float) * n) != 0);
}

static void
test_deterministic (void)
{
  check_deterministic (PB_TSNE_METHOD_BH);
  check_deterministic (PB_TSNE_METHOD_FFT);
  check_deterministic (PB_TSNE_METHOD_EXACT);
}

/* A short run of each method from the same start ends at about the same KL, each map scored
 * with the exact normaliser. */
static void
test_methods_kl (void)
{
  const int clusters = 6, per = 250, dim = 12, n = clusters * per;
  g_autofree int *labels = NULL;
  g_autofree float *x = cluster_points (clusters, per, dim, &labels);
  const PbTsneMethod methods[] = { PB_TSNE_METHOD_EXACT, PB_TSNE_METHOD_BH, PB_TSNE_METHOD_FFT };
  double kl[3];

  for (int m = 0; m < 3; m++)
    {
      PbTsneSettings settings;
      pb_tsne_settings_init (&settings);
      settings.method = methods[m];
      PbTsne *tsne = new_tsne (x, n, dim, &settings);
      g_assert_cmpint (pb_tsne_method_used (tsne), ==, methods[m]);
      step (tsne, 500);
      g_autofree double *y = coords_as_double (tsne);
      kl[m] = pb_tsne_exact_kl (pb_tsne_affinities (tsne), y);
      /* The method's own KL is close to the exact one. */
      g_assert_cmpfloat (fabs (pb_tsne_kl (tsne) - kl[m]), <, 0.01 * kl[m]);
      pb_tsne_free (tsne);
    }
  g_test_message ("KL after 500 iterations: exact %.5f, bh %.5f, fft %.5f", kl[0], kl[1], kl[2]);
  g_assert_cmpfloat (fabs (kl[2] - kl[0]), <, 0.02 * kl[0]);
  g_assert_cmpfloat (kl[2], <, kl[1] * 1.02);
}

static void
test_method_names (void)
{
  PbTsneMethod m = PB_TSNE_METHOD_EXACT;
  g_autofree float *x = random_points (21, 40, 3);
  PbTsneSettings settings;
  PbTsne *tsne = NULL;
  PbError err = { { 0 } };

  for (int k = PB_TSNE_METHOD_AUTO; k <= PB_TSNE_METHOD_EXACT; k++)
    {
      g_assert_true (pb_tsne_method_parse (pb_tsne_method_name (k), &m));
      g_assert_cmpint (m, ==, k);
    }
  g_assert_false (pb_tsne_method_parse ("BH", &m));
  g_assert_false (pb_tsne_method_parse ("", &m));
  g_assert_false (pb_tsne_method_parse (NULL, &m));
  g_assert_null (pb_tsne_method_name (99));

  /* auto: exact for a few hundred points, Barnes–Hut in between, FFT for many; the others
   * are kept. */
  g_assert_cmpint (pb_tsne_method_for (PB_TSNE_METHOD_AUTO, 100), ==, PB_TSNE_METHOD_EXACT);
  g_assert_cmpint (pb_tsne_method_for (PB_TSNE_METHOD_AUTO, 5000), ==, PB_TSNE_METHOD_BH);
  g_assert_cmpint (pb_tsne_method_for (PB_TSNE_METHOD_AUTO, 70000), ==, PB_TSNE_METHOD_FFT);
  g_assert_cmpint (pb_tsne_method_for (PB_TSNE_METHOD_FFT, 100), ==, PB_TSNE_METHOD_FFT);
  g_assert_cmpint (pb_tsne_method_for (PB_TSNE_METHOD_BH, 70000), ==, PB_TSNE_METHOD_BH);

  pb_tsne_settings_init (&settings);
  g_assert_cmpint (settings.method, ==, PB_TSNE_METHOD_AUTO);
  settings.method = (PbTsneMethod) 7;
  g_assert_cmpint (pb_tsne_new (x, 40, 3, &settings, NULL, &tsne, &err), ==, PB_ERR_INVALID);
  g_assert_null (tsne);
  g_assert_nonnull (strstr (err.message, "unknown method 7"));
}

static void
test_pca_init (void)
{
  const int n = 200, dim = 5;
  g_autofree float *x = random_points (17, n, dim);
  double sx = 0.0, sxx = 0.0, corr = 0.0, norm_x = 0.0, norm_y = 0.0;

  /* Stretch the data along (1, 1, 0, 0, 0) / √2: the first principal axis. */
  for (int i = 0; i < n; i++)
    {
      float t = 10.0f * x[i * dim + 4];
      x[i * dim + 0] += t;
      x[i * dim + 1] += t;
      x[i * dim + 4] *= 0.1f;
    }
  PbTsne *tsne = new_tsne (x, n, dim, NULL);
  const float *y = pb_tsne_coords (tsne);
  g_assert_cmpint (pb_tsne_iteration (tsne), ==, 0);
  for (int i = 0; i < n; i++)
    {
      double proj = (x[i * dim] + x[i * dim + 1]) / sqrt (2.0);
      sx += y[2 * i];
      sxx += (double) y[2 * i] * y[2 * i];
      corr += proj * y[2 * i];
      norm_x += proj * proj;
      norm_y += (double) y[2 * i] * y[2 * i];
    }
  double std = sqrt (sxx / n - (sx / n) * (sx / n));
  g_assert_cmpfloat_with_epsilon (std, 1e-4, 1e-7);
  g_assert_cmpfloat_with_epsilon (sx / n, 0.0, 1e-9);
  g_assert_cmpfloat (fabs (corr) / sqrt (norm_x * norm_y), >, 0.99);
  pb_tsne_free (tsne);
}

static void
test_errors (void)
{
  g_autofree float *x = random_points (19, 40, 3);
  PbTsneSettings settings;
  PbTsne *tsne = NULL;
  PbError err = { { 0 } };

  pb_tsne_settings_init (&settings);

  g_assert_cmpint (pb_tsne_new (x, 4, 3, &settings, NULL, &tsne, &err), ==, PB_ERR_INVALID);
  g_assert_null (tsne);
  g_assert_nonnull (strstr (err.message, "at least 5 points"));

  x[7] = NAN;
  g_assert_cmpint (pb_tsne_new (x, 40, 3, &settings, NULL, &tsne, &err), ==, PB_ERR_INVALID);
  g_assert_nonnull (strstr (err.message, "point 2, coordinate 1 is NaN"));
  x[7] = INFINITY;
  g_assert_cmpint (pb_tsne_new (x, 40, 3, &settings, NULL, &tsne, &err), ==, PB_ERR_INVALID);
  g_assert_nonnull (strstr (err.message, "infinite"));
  x[7] = 0.5f;

  settings.perplexity = 0.0;
  g_assert_cmpint (pb_tsne_new (x, 40, 3, &settings, NULL, &tsne, &err), ==, PB_ERR_INVALID);
  g_assert_nonnull (strstr (err.message, "perplexity"));
  settings.perplexity = 30.0;
  settings.theta = -0.1;
  g_assert_cmpint (pb_tsne_new (x, 40, 3, &settings, NULL, &tsne, &err), ==, PB_ERR_INVALID);
  settings.theta = 0.5;
  settings.threads = 99;
  g_assert_cmpint (pb_tsne_new (x, 40, 3, &settings, NULL, &tsne, &err), ==, PB_ERR_INVALID);
  settings.threads = 0;
  g_assert_null (tsne);

  /* 3 · 30 > 39: clamped to 39 / 3, and said so. */
  g_assert_cmpint (pb_tsne_new (x, 40, 3, &settings, NULL, &tsne, &err), ==, PB_OK);
  g_assert_true (pb_tsne_perplexity_clamped (tsne));
  g_assert_cmpfloat_with_epsilon (pb_tsne_perplexity_used (tsne), 13.0, 1e-12);
  g_assert_cmpfloat (pb_tsne_learning_rate_used (tsne), ==, 200.0);
  step (tsne, 300);
  g_assert_true (isfinite (pb_tsne_kl (tsne)));
  pb_tsne_free (tsne);

  settings.perplexity = 10.0;
  g_assert_cmpint (pb_tsne_new (x, 40, 3, &settings, NULL, &tsne, &err), ==, PB_OK);
  g_assert_false (pb_tsne_perplexity_clamped (tsne));
  g_assert_cmpfloat (pb_tsne_perplexity_used (tsne), ==, 10.0);
  pb_tsne_free (tsne);
}

static void
check_finite_run (const float *x, int n, int dim, PbTsneInit init)
{
  PbTsneSettings settings;

  pb_tsne_settings_init (&settings);
  settings.init = init;
  PbTsne *tsne = new_tsne (x, n, dim, &settings);
  step (tsne, 400);
  for (int c = 0; c < 2 * n; c++)
    g_assert_true (isfinite (pb_tsne_coords (tsne)[c]));
  g_assert_true (isfinite (pb_tsne_kl (tsne)));
  pb_tsne_free (tsne);
}

static void
test_duplicates (void)
{
  const int n = 300, dim = 4;
  g_autofree float *x = random_points (23, n, dim);
  g_autofree float *same = g_new0 (float, n * dim);

  /* Half the points are copies of five others. */
  for (int i = n / 2; i < n; i++)
    memcpy (x + i * dim, x + (i % 5) * dim, dim * sizeof (float));
  check_finite_run (x, n, dim, PB_TSNE_INIT_PCA);
  check_finite_run (x, n, dim, PB_TSNE_INIT_RANDOM);

  /* Every point the same: no direction to project on, no distances to calibrate. */
  for (int c = 0; c < n * dim; c++)
    same[c] = 3.0f;
  check_finite_run (same, n, dim, PB_TSNE_INIT_PCA);
  check_finite_run (same, 20, dim, PB_TSNE_INIT_RANDOM);
}

/* One-dimensional data still gives a two-dimensional map. */
static void
test_line (void)
{
  const int n = 100;
  g_autofree float *x = random_points (31, n, 1);
  PbTsne *tsne = new_tsne (x, n, 1, NULL);
  double s = 0.0, ss = 0.0;

  step (tsne, 300);
  for (int i = 0; i < n; i++)
    {
      double v = pb_tsne_coords (tsne)[2 * i + 1];
      s += v;
      ss += v * v;
    }
  g_assert_cmpfloat (sqrt (ss / n - (s / n) * (s / n)), >, 0.1);
  pb_tsne_free (tsne);
}

typedef struct
{
  int    calls[2];
  double last[2];
  bool   monotone;
  int    cancel_after;
  int    polls;
} Watch;

static void
watch_progress (PbTsneStage stage, double fraction, void *user_data)
{
  Watch *w = user_data;

  g_assert_true (stage == PB_TSNE_STAGE_NEIGHBOURS || stage == PB_TSNE_STAGE_CALIBRATION);
  if (fraction < w->last[stage] || fraction < 0.0 || fraction > 1.0)
    w->monotone = false;
  w->last[stage] = fraction;
  w->calls[stage]++;
}

static bool
watch_cancelled (void *user_data)
{
  Watch *w = user_data;
  return ++w->polls > w->cancel_after;
}

static void
test_callbacks (void)
{
  const int n = 3000, dim = 8;
  g_autofree float *x = random_points (29, n, dim);
  Watch w = { .monotone = true, .cancel_after = G_MAXINT };
  PbTsneCallbacks cb = { watch_progress, watch_cancelled, &w };
  PbTsne *tsne = NULL;
  PbError err = { { 0 } };

  g_assert_cmpint (pb_tsne_new (x, n, dim, NULL, &cb, &tsne, &err), ==, PB_OK);
  g_assert_true (w.monotone);
  g_assert_cmpint (w.calls[0], >=, 2);
  g_assert_cmpint (w.calls[1], >=, 2);
  g_assert_cmpfloat (w.last[0], ==, 1.0);
  g_assert_cmpfloat (w.last[1], ==, 1.0);

  /* Cancelled between iterations: the state stays usable. */
  w.polls = 0;
  w.cancel_after = 7;
  g_assert_cmpint (pb_tsne_step (tsne, 100, &err), ==, PB_ERR_CANCELLED);
  g_assert_cmpint (pb_tsne_iteration (tsne), ==, 7);
  w.cancel_after = G_MAXINT;
  step (tsne, 3);
  g_assert_cmpint (pb_tsne_iteration (tsne), ==, 10);
  pb_tsne_free (tsne);

  /* Cancelled during the neighbour search. */
  w.polls = 0;
  w.cancel_after = 1;
  tsne = NULL;
  g_assert_cmpint (pb_tsne_new (x, n, dim, NULL, &cb, &tsne, &err), ==, PB_ERR_CANCELLED);
  g_assert_null (tsne);
}

/* The CLI, when the dispatcher has it: $PAIRBENCH_CLI tsne ... */

static int
run_cli (const char *const *args, char **out, char **errout)
{
  const char *cli = g_getenv ("PAIRBENCH_CLI");
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  int wait_status = 0;

  g_ptr_array_add (argv, (char *) cli);
  g_ptr_array_add (argv, (char *) "tsne");
  for (int k = 0; args[k] != NULL; k++)
    g_ptr_array_add (argv, (char *) args[k]);
  g_ptr_array_add (argv, NULL);
  if (!g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, out, errout,
                     &wait_status, &error))
    g_error ("spawn %s: %s", cli, error->message);
  return WIFEXITED (wait_status) ? WEXITSTATUS (wait_status) : -1;
}

static void
test_cli (void)
{
  const char *cli = g_getenv ("PAIRBENCH_CLI");
  g_autofree char *dir = NULL, *input = NULL, *tiny = NULL, *output = NULL;
  g_autoptr (GString) csv = g_string_new ("a,b,label,c\n");
  g_autofree int *labels = NULL;
  g_autofree float *x = cluster_points (3, 20, 3, &labels);
  char *out = NULL, *errout = NULL;
  int code;

  if (cli == NULL || !g_file_test (cli, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_test_skip ("PAIRBENCH_CLI is not set");
      return;
    }
  code = run_cli ((const char *[]) { "--help", NULL }, &out, &errout);
  if (code != 0 || strstr (out, "--perplexity") == NULL)
    {
      g_test_skip ("pairbench-cli has no tsne command yet");
      g_free (out);
      g_free (errout);
      return;
    }
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&errout, g_free);

  dir = g_dir_make_tmp ("test-tsne-XXXXXX", NULL);
  input = g_build_filename (dir, "points.csv", NULL);
  tiny = g_build_filename (dir, "tiny.csv", NULL);
  output = g_build_filename (dir, "map.csv", NULL);
  for (int i = 0; i < 60; i++)
    g_string_append_printf (csv, "%.6f,%.6f,digit %d,%.6f\n", x[3 * i], x[3 * i + 1], labels[i],
                            x[3 * i + 2]);
  g_assert_true (g_file_set_contents (input, csv->str, -1, NULL));
  g_assert_true (g_file_set_contents (tiny, "1,2\n3,4\n5,6\n", -1, NULL));

  code = run_cli ((const char *[]) { "--input", input, "--out", output, "--perplexity", "-1",
                                     NULL }, &out, &errout);
  g_assert_cmpint (code, ==, 2);
  g_assert_cmpstr (errout, ==, "pairbench-cli tsne: --perplexity: expected a number > 0, got "
                   "'-1'\n");
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&errout, g_free);

  code = run_cli ((const char *[]) { "--input", input, "--out", output, "--method", "fast",
                                     NULL }, &out, &errout);
  g_assert_cmpint (code, ==, 2);
  g_assert_cmpstr (errout, ==, "pairbench-cli tsne: --method: expected auto, bh, fft or exact, "
                   "got 'fast'\n");
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&errout, g_free);

  code = run_cli ((const char *[]) { "--input", input, "--out", output, "--method", "fft",
                                     "--theta", "0.3", NULL }, &out, &errout);
  g_assert_cmpint (code, ==, 2);
  g_assert_cmpstr (errout, ==, "pairbench-cli tsne: --theta: applies to --method bh only, not "
                   "fft\n");
  g_assert_false (g_file_test (output, G_FILE_TEST_EXISTS));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&errout, g_free);

  code = run_cli ((const char *[]) { "--input", tiny, "--out", output, NULL }, &out, &errout);
  g_assert_cmpint (code, ==, 1);
  g_assert_nonnull (strstr (errout, "at least 5 points, got 3"));
  g_assert_false (g_file_test (output, G_FILE_TEST_EXISTS));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&errout, g_free);

  code = run_cli ((const char *[]) { "--input", input, "--out", output, "--iterations", "300",
                                     "--json", NULL }, &out, &errout);
  g_assert_cmpint (code, ==, 0);
  g_assert_true (g_str_has_prefix (out, "{\"kl\": "));
  g_assert_nonnull (strstr (out, "\"perplexity\": 19.6666"));  /* clamped: (60 − 1) / 3 */
  g_assert_nonnull (strstr (out, "\"kl_trace\": [[50, "));
  g_assert_nonnull (strstr (out, "[300, "));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&errout, g_free);

  code = run_cli ((const char *[]) { "--input", input, "--out", output, "--iterations", "100",
                                     "--method", "fft", "--kl-exact", "--json", NULL },
                  &out, &errout);
  g_assert_cmpint (code, ==, 0);
  g_assert_nonnull (strstr (out, "\"method\": \"fft\""));
  g_assert_nonnull (strstr (out, "\"kl_exact\": "));
  g_assert_nonnull (strstr (errout, "method fft"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&errout, g_free);

  g_autofree char *written = NULL;
  g_assert_true (g_file_get_contents (output, &written, NULL, NULL));
  g_auto (GStrv) lines = g_strsplit (written, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 62);  /* header, 60 rows, empty tail */
  g_assert_cmpstr (lines[0], ==, "x,y,label");
  g_assert_true (g_str_has_suffix (lines[1], ",digit 0"));
  g_assert_true (g_str_has_suffix (lines[60], ",digit 2"));

  g_unlink (input);
  g_unlink (tiny);
  g_unlink (output);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/tsne/calibration", test_calibration);
  g_test_add_func ("/core/tsne/affinities", test_affinities);
  g_test_add_func ("/core/tsne/gradient/finite-difference", test_gradient_finite_difference);
  g_test_add_func ("/core/tsne/gradient/bh-theta-0", test_gradient_bh_exact);
  g_test_add_func ("/core/tsne/gradient/bh-theta-0.5", test_gradient_bh_theta);
  g_test_add_func ("/core/tsne/gradient/fft", test_gradient_fft);
  g_test_add_func ("/core/tsne/clusters", test_clusters);
  g_test_add_func ("/core/tsne/kl-falls", test_kl_falls);
  g_test_add_func ("/core/tsne/deterministic", test_deterministic);
  g_test_add_func ("/core/tsne/methods/kl", test_methods_kl);
  g_test_add_func ("/core/tsne/methods/names", test_method_names);
  g_test_add_func ("/core/tsne/pca-init", test_pca_init);
  g_test_add_func ("/core/tsne/errors", test_errors);
  g_test_add_func ("/core/tsne/duplicates", test_duplicates);
  g_test_add_func ("/core/tsne/line", test_line);
  g_test_add_func ("/core/tsne/callbacks", test_callbacks);
  g_test_add_func ("/core/tsne/cli", test_cli);

  return g_test_run ();
}
