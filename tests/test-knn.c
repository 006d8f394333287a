/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pb_knn against a brute-force reference (all distances, then repeated selection of the
 * nearest unused point, lowest index first), on random data, on a grid full of ties, and on
 * cases worked out by hand. */

#include <glib.h>
#include <math.h>
#include <string.h>

#include "pb-knn.h"

static double
reference_distance (const float *a, const float *b, int dim, PbDistance metric)
{
  double s = 0, na = 0, nb = 0;

  if (metric == PB_DISTANCE_EUCLIDEAN)
    {
      for (int j = 0; j < dim; j++)
        s += ((double) a[j] - b[j]) * ((double) a[j] - b[j]);
      return sqrt (s);
    }
  for (int j = 0; j < dim; j++)
    {
      na += (double) a[j] * a[j];
      nb += (double) b[j] * b[j];
    }
  if (na == 0 || nb == 0)
    return 1;
  for (int j = 0; j < dim; j++)
    s += (a[j] / sqrt (na)) * (b[j] / sqrt (nb));
  return 1 - s;
}

/* ref_idx [k], ref_dist [k] */
static void
reference_knn (const float *points, int n, int dim, int query, int k, PbDistance metric,
               int *ref_idx, double *ref_dist)
{
  double *d = g_new (double, n);
  gboolean *used = g_new0 (gboolean, n);

  for (int i = 0; i < n; i++)
    d[i] = reference_distance (points + (gsize) query * dim, points + (gsize) i * dim, dim,
                               metric);
  used[query] = TRUE;
  for (int j = 0; j < k; j++)
    {
      int best = -1;

      for (int i = 0; i < n; i++)
        if (!used[i] && (best < 0 || d[i] < d[best]))
          best = i;
      used[best] = TRUE;
      ref_idx[j] = best;
      ref_dist[j] = d[best];
    }
  g_free (d);
  g_free (used);
}

static void
compare_with_reference (const float *points, int n, int dim, int k, PbDistance metric,
                        double tolerance)
{
  int *idx = g_new (int, k), *ref_idx = g_new (int, k);
  float *dist = g_new (float, k);
  double *ref_dist = g_new (double, k), worst = 0;

  for (int q = 0; q < n; q++)
    {
      PbError err = { { 0 } };

      g_assert_cmpint (pb_knn (points, n, dim, q, k, metric, idx, dist, &err), ==, PB_OK);
      reference_knn (points, n, dim, q, k, metric, ref_idx, ref_dist);
      for (int j = 0; j < k; j++)
        {
          if (idx[j] != ref_idx[j])
            g_error ("query %d, neighbour %d: pb_knn gives point %d (%.9g), the reference %d "
                     "(%.9g)", q, j, idx[j], dist[j], ref_idx[j], ref_dist[j]);
          g_assert_cmpint (idx[j], !=, q);
          worst = MAX (worst, fabs (dist[j] - ref_dist[j]));
          if (j > 0)
            g_assert_cmpfloat (dist[j], >=, dist[j - 1]);
        }
    }
  g_test_message ("n %d dim %d k %d metric %d: worst distance difference %.3g", n, dim, k,
                  metric, worst);
  g_assert_cmpfloat (worst, <=, tolerance);
  g_free (idx);
  g_free (ref_idx);
  g_free (dist);
  g_free (ref_dist);
}

static void
test_random (void)
{
  GRand *rand = g_rand_new_with_seed (7);
  const int n = 120, dim = 16;
  float *points = g_new (float, n * dim);

  for (int i = 0; i < n * dim; i++)
    points[i] = (float) g_rand_double_range (rand, -3, 3);
  compare_with_reference (points, n, dim, 10, PB_DISTANCE_EUCLIDEAN, 1e-5);
  compare_with_reference (points, n, dim, 10, PB_DISTANCE_COSINE, 1e-6);
  compare_with_reference (points, n, dim, n - 1, PB_DISTANCE_EUCLIDEAN, 1e-5);
  compare_with_reference (points, n, dim, 1, PB_DISTANCE_COSINE, 1e-6);
  g_free (points);
  g_rand_free (rand);
}

/* Integer points on a 4 × 4 grid, twice over: nearly every distance is tied, so the order
 * rests on the tie-break by index. (Cosine ties between parallel vectors of different lengths
 * are exact only up to rounding, so the hand cases test its ties.) */
static void
test_ties (void)
{
  float points[32 * 2];

  for (int i = 0; i < 32; i++)
    {
      points[2 * i] = (float) ((i * 7) % 4);
      points[2 * i + 1] = (float) ((i / 4) % 4);
    }
  compare_with_reference (points, 32, 2, 31, PB_DISTANCE_EUCLIDEAN, 1e-6);
}

static void
test_hand (void)
{
  /* 1-D: 0, 1, 3, −1, 10. From 0: 1 and −1 tie at 1, the lower index first. */
  const float line[] = { 0, 1, 3, -1, 10 };
  /* (1, 0) (2, 0) (0, 1) (−1, 0) (0, 0) */
  const float plane[] = { 1, 0, 2, 0, 0, 1, -1, 0, 0, 0 };
  int idx[4];
  float dist[4];
  PbError err = { { 0 } };

  g_assert_cmpint (pb_knn (line, 5, 1, 0, 3, PB_DISTANCE_EUCLIDEAN, idx, dist, &err), ==,
                   PB_OK);
  g_assert_cmpint (idx[0], ==, 1);
  g_assert_cmpint (idx[1], ==, 3);
  g_assert_cmpint (idx[2], ==, 2);
  g_assert_cmpfloat (dist[0], ==, 1);
  g_assert_cmpfloat (dist[1], ==, 1);
  g_assert_cmpfloat (dist[2], ==, 3);

  /* Cosine ignores length: (2, 0) is at 0 from (1, 0); the zero vector is at 1, after the
   * orthogonal (0, 1) by index; the opposite (−1, 0) at 2. */
  g_assert_cmpint (pb_knn (plane, 5, 2, 0, 4, PB_DISTANCE_COSINE, idx, dist, &err), ==, PB_OK);
  g_assert_cmpint (idx[0], ==, 1);
  g_assert_cmpint (idx[1], ==, 2);
  g_assert_cmpint (idx[2], ==, 4);
  g_assert_cmpint (idx[3], ==, 3);
  g_assert_cmpfloat (dist[0], ==, 0);
  g_assert_cmpfloat (dist[1], ==, 1);
  g_assert_cmpfloat (dist[2], ==, 1);
  g_assert_cmpfloat (dist[3], ==, 2);

  /* From the zero vector everything is at 1, so the order is the index order. */
  g_assert_cmpint (pb_knn (plane, 5, 2, 4, 4, PB_DISTANCE_COSINE, idx, dist, &err), ==, PB_OK);
  for (int j = 0; j < 4; j++)
    {
      g_assert_cmpint (idx[j], ==, j);
      g_assert_cmpfloat (dist[j], ==, 1);
    }

  /* Distances are optional. */
  g_assert_cmpint (pb_knn (plane, 5, 2, 3, 1, PB_DISTANCE_EUCLIDEAN, idx, NULL, &err), ==,
                   PB_OK);
  g_assert_cmpint (idx[0], ==, 4);
}

static void
expect_error (const float *points, int n, int dim, int query, int k, PbDistance metric,
              const char *fragment)
{
  PbError err = { { 0 } };
  int idx[8] = { -7, -7, -7, -7, -7, -7, -7, -7 };

  g_assert_cmpint (pb_knn (points, n, dim, query, k, metric, idx, NULL, &err), ==,
                   PB_ERR_INVALID);
  g_test_message ("%s", err.message);
  g_assert_nonnull (strstr (err.message, fragment));
  g_assert_cmpint (idx[0], ==, -7);
}

static void
test_errors (void)
{
  const float line[] = { 0, 1, 3, -1, 10 };
  float bad[] = { 0, 1, 3, -1, 10 };

  expect_error (line, 5, 1, 0, 0, PB_DISTANCE_EUCLIDEAN, "k = 0");
  expect_error (line, 5, 1, 0, 5, PB_DISTANCE_EUCLIDEAN, "expected 1 to 4");
  expect_error (line, 5, 1, 5, 2, PB_DISTANCE_EUCLIDEAN, "query point 5");
  expect_error (line, 5, 1, -1, 2, PB_DISTANCE_EUCLIDEAN, "query point -1");
  expect_error (line, 1, 1, 0, 1, PB_DISTANCE_EUCLIDEAN, "1 points");
  expect_error (line, 5, 0, 0, 1, PB_DISTANCE_EUCLIDEAN, "dimension 0");
  expect_error (line, 5, 1, 0, 1, (PbDistance) 7, "unknown metric 7");
  expect_error (NULL, 5, 1, 0, 1, PB_DISTANCE_EUCLIDEAN, "no points");
  bad[3] = NAN;
  expect_error (bad, 5, 1, 0, 1, PB_DISTANCE_COSINE, "point 3, coordinate 0 is not finite");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/core/knn/random", test_random);
  g_test_add_func ("/core/knn/ties", test_ties);
  g_test_add_func ("/core/knn/hand", test_hand);
  g_test_add_func ("/core/knn/errors", test_errors);
  return g_test_run ();
}
