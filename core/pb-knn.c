/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>
#include <stdlib.h>

#include "pb-knn.h"

typedef struct
{
  double dist;
  int index;
} Candidate;

static int
candidate_compare (const void *a,
                   const void *b)
{
  const Candidate *x = a, *y = b;

  if (x->dist != y->dist)
    return x->dist < y->dist ? -1 : 1;
  return (x->index > y->index) - (x->index < y->index);
}

static double
dot (const float *a,
     const float *b,
     int          dim)
{
  double s = 0;

  for (int j = 0; j < dim; j++)
    s += (double) a[j] * b[j];
  return s;
}

static double
euclidean (const float *a,
           const float *b,
           int          dim)
{
  double s = 0;

  for (int j = 0; j < dim; j++)
    {
      double d = (double) a[j] - b[j];
      s += d * d;
    }
  return sqrt (s);
}

PbStatus
pb_knn (const float *points,
        int          n,
        int          dim,
        int          query,
        int          k,
        PbDistance   metric,
        int         *out_idx,
        float       *out_dist,
        PbError     *err)
{
  const float *q;
  Candidate *c;
  double qnorm = 0;
  int m = 0;

  if (points == NULL || out_idx == NULL)
    return pb_error_set (err, PB_ERR_INVALID, "kNN: no points or no output given");
  if (n < 2)
    return pb_error_set (err, PB_ERR_INVALID, "kNN: %d points; at least 2 are needed", n);
  if (dim < 1)
    return pb_error_set (err, PB_ERR_INVALID, "kNN: dimension %d; expected at least 1", dim);
  if (query < 0 || query >= n)
    return pb_error_set (err, PB_ERR_INVALID, "kNN: query point %d is not in [0, %d]", query,
                         n - 1);
  if (k < 1 || k > n - 1)
    return pb_error_set (err, PB_ERR_INVALID,
                         "kNN: k = %d neighbours; expected 1 to %d (the other points)", k, n - 1);
  if (metric != PB_DISTANCE_EUCLIDEAN && metric != PB_DISTANCE_COSINE)
    return pb_error_set (err, PB_ERR_INVALID, "kNN: unknown metric %d; expected Euclidean (%d) "
                         "or cosine (%d)", (int) metric, PB_DISTANCE_EUCLIDEAN,
                         PB_DISTANCE_COSINE);
  for (size_t i = 0; i < (size_t) n * dim; i++)
    if (!isfinite (points[i]))
      return pb_error_set (err, PB_ERR_INVALID,
                           "kNN: point %zu, coordinate %zu is not finite; expected finite "
                           "features", i / dim, i % dim);

  c = malloc (sizeof *c * (size_t) (n - 1));
  if (c == NULL)
    return pb_error_set (err, PB_ERR_NOMEM, "kNN: out of memory for %d distances", n - 1);

  q = points + (size_t) query * dim;
  if (metric == PB_DISTANCE_COSINE)
    qnorm = sqrt (dot (q, q, dim));
  for (int i = 0; i < n; i++)
    {
      const float *p = points + (size_t) i * dim;
      double d;

      if (i == query)
        continue;
      if (metric == PB_DISTANCE_EUCLIDEAN)
        d = euclidean (q, p, dim);
      else
        {
          double pnorm = sqrt (dot (p, p, dim));

          if (qnorm == 0 || pnorm == 0)
            d = 1;
          else
            {
              double cosine = dot (q, p, dim) / (qnorm * pnorm);
              /* Rounding can push |cos| a hair past 1. */
              d = 1 - fmin (1, fmax (-1, cosine));
            }
        }
      /* Ranked by the distance reported, so that equal reported distances come in index
       * order even when the doubles differ in the last bits. */
      c[m].dist = (float) d;
      c[m].index = i;
      m++;
    }

  qsort (c, (size_t) m, sizeof *c, candidate_compare);
  for (int j = 0; j < k; j++)
    {
      out_idx[j] = c[j].index;
      if (out_dist != NULL)
        out_dist[j] = (float) c[j].dist;
    }
  free (c);
  return PB_OK;
}
