/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The input affinities: exact kNN by sgemm, perplexity calibration, symmetric sparse P. */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pb-gemm.h"
#include "pb-tsne-private.h"

/* Rows of the kNN distance block: bounds its memory to about 16 MB. */
#define KNN_BLOCK_FLOATS (4 << 20)

double
pb_tsne_sum_p_log_p (const PbTsneAffinities *p)
{
  double s = 0.0;

  for (int e = 0; e < p->row[p->n]; e++)
    if (p->val[e] > 0.0)
      s += p->val[e] * log (p->val[e]);
  return s;
}

double
pb_tsne_calibrate_row (const double *dist2, int k, double perplexity, double *p)
{
  double target = log (perplexity);
  double dmin = INFINITY, mean = 0.0;

  for (int m = 0; m < k; m++)
    dmin = fmin (dmin, dist2[m]);
  for (int m = 0; m < k; m++)
    mean += dist2[m] - dmin;
  mean /= k;

  /* Distances are shifted by their minimum, so the sum is at least 1 and duplicates are fine. */
  double beta = mean > 0.0 ? 1.0 / mean : 1.0;
  double lo = 0.0, hi = INFINITY, used = beta, sum = 1.0;

  for (int step = 0; step < 200; step++)
    {
      double weighted = 0.0;

      sum = 0.0;
      for (int m = 0; m < k; m++)
        {
          double e = exp (-beta * (dist2[m] - dmin));
          p[m] = e;
          sum += e;
          weighted += e * (dist2[m] - dmin);
        }
      used = beta;
      double entropy = log (sum) + beta * weighted / sum;
      if (fabs (entropy - target) < 1e-5)
        break;
      if (entropy > target)
        {
          lo = beta;
          beta = isinf (hi) ? beta * 2.0 : 0.5 * (beta + hi);
        }
      else
        {
          hi = beta;
          beta = 0.5 * (lo + beta);
        }
    }
  for (int m = 0; m < k; m++)
    p[m] /= sum;
  return used;
}

void
pb_tsne_affinities_clear (PbTsneAffinities *p)
{
  free (p->row);
  free (p->col);
  free (p->val);
  memset (p, 0, sizeof *p);
}

static inline bool
pair_less (float da, int ja, float db, int jb)
{
  return da < db || (da == db && ja < jb);
}

/* Max-heap of the k best (distance, index) pairs so far. */
static void
heap_sift_down (float *hd, int *hj, int k, int at)
{
  for (;;)
    {
      int l = 2 * at + 1, r = l + 1, big = at;
      if (l < k && pair_less (hd[big], hj[big], hd[l], hj[l]))
        big = l;
      if (r < k && pair_less (hd[big], hj[big], hd[r], hj[r]))
        big = r;
      if (big == at)
        return;
      float td = hd[at];
      int tj = hj[at];
      hd[at] = hd[big];
      hj[at] = hj[big];
      hd[big] = td;
      hj[big] = tj;
      at = big;
    }
}

static void
heap_sift_up (float *hd, int *hj, int at)
{
  while (at > 0)
    {
      int parent = (at - 1) / 2;
      if (!pair_less (hd[parent], hj[parent], hd[at], hj[at]))
        return;
      float td = hd[at];
      int tj = hj[at];
      hd[at] = hd[parent];
      hj[at] = hj[parent];
      hd[parent] = td;
      hj[parent] = tj;
      at = parent;
    }
}

static int
compare_int (const void *a, const void *b)
{
  int x = *(const int *) a, y = *(const int *) b;
  return (x > y) - (x < y);
}

/* nbr: [n, k] neighbour indices, sorted by index within each row. */
static PbStatus
knn (const float *points, int n, int dim, int k, const PbTsneCallbacks *cb, int *nbr,
     double *dist2, PbError *err)
{
  float *centred = malloc ((size_t) n * dim * sizeof (float));
  double *mean = calloc ((size_t) dim, sizeof (double));
  float *norms = malloc ((size_t) n * sizeof (float));
  int block = KNN_BLOCK_FLOATS / n;
  float *dist = NULL, *hd = malloc ((size_t) k * sizeof (float));
  int *hj = malloc ((size_t) k * sizeof (int));
  PbStatus status = PB_OK;

  block = block < 16 ? 16 : block > n ? n : block;
  dist = malloc ((size_t) block * n * sizeof (float));
  if (!centred || !mean || !norms || !dist || !hd || !hj)
    {
      status = pb_error_set (err, PB_ERR_NOMEM, "t-SNE: out of memory for the neighbours of %d "
                             "points", n);
      goto out;
    }

  /* Centring keeps ‖a‖² + ‖b‖² − 2a·b from cancelling catastrophically. */
  for (int i = 0; i < n; i++)
    for (int d = 0; d < dim; d++)
      mean[d] += points[(size_t) i * dim + d];
  for (int d = 0; d < dim; d++)
    mean[d] /= n;
  for (int i = 0; i < n; i++)
    {
      double s = 0.0;
      for (int d = 0; d < dim; d++)
        {
          float v = (float) (points[(size_t) i * dim + d] - mean[d]);
          centred[(size_t) i * dim + d] = v;
          s += (double) v * v;
        }
      norms[i] = (float) s;
    }

  for (int i0 = 0; i0 < n; i0 += block)
    {
      int rows = i0 + block <= n ? block : n - i0;

      if (pb_tsne_is_cancelled (cb))
        {
          status = pb_error_set (err, PB_ERR_CANCELLED, "t-SNE: cancelled");
          goto out;
        }
      pb_tsne_report (cb, PB_TSNE_STAGE_NEIGHBOURS, (double) i0 / n);
      pb_sgemm (false, true, rows, n, dim, -2.0f, centred + (size_t) i0 * dim, dim, centred, dim,
                0.0f, dist, n);

      for (int r = 0; r < rows; r++)
        {
          int i = i0 + r, size = 0;
          const float *row = dist + (size_t) r * n;

          for (int j = 0; j < n; j++)
            {
              if (j == i)
                continue;
              float d = row[j] + norms[i] + norms[j];
              if (size < k)
                {
                  hd[size] = d;
                  hj[size] = j;
                  heap_sift_up (hd, hj, size++);
                }
              else if (pair_less (d, j, hd[0], hj[0]))
                {
                  hd[0] = d;
                  hj[0] = j;
                  heap_sift_down (hd, hj, k, 0);
                }
            }

          int *out_j = nbr + (size_t) i * k;
          memcpy (out_j, hj, (size_t) k * sizeof (int));
          qsort (out_j, (size_t) k, sizeof (int), compare_int);
          /* The selection used float dot products; the affinities get exact distances. */
          for (int m = 0; m < k; m++)
            {
              const float *a = points + (size_t) i * dim, *b = points + (size_t) out_j[m] * dim;
              double s = 0.0;
              for (int d = 0; d < dim; d++)
                {
                  double t = (double) a[d] - b[d];
                  s += t * t;
                }
              dist2[(size_t) i * k + m] = s;
            }
        }
    }
  pb_tsne_report (cb, PB_TSNE_STAGE_NEIGHBOURS, 1.0);

out:
  free (centred);
  free (mean);
  free (norms);
  free (dist);
  free (hd);
  free (hj);
  return status;
}

static int
neighbour_count (int n, double perplexity)
{
  int k = (int) floor (3.0 * perplexity + 1e-9);
  return k < 1 ? 1 : k > n - 1 ? n - 1 : k;
}

PbStatus
pb_tsne_affinities_compute (const float *points, int n, int dim, double perplexity,
                            const PbTsneCallbacks *cb, PbTsneAffinities *out, PbError *err)
{
  int k = neighbour_count (n, perplexity);
  size_t nk = (size_t) n * k;

  memset (out, 0, sizeof *out);
  /* P's row offsets are ints and it has at most 2nk entries. */
  if (nk > INT_MAX / 2)
    return pb_error_set (err, PB_ERR_INVALID, "t-SNE: %d points with %d neighbours each is too "
                         "many; lower the perplexity", n, k);

  int *nbr = malloc (nk * sizeof (int));
  double *dist2 = malloc (nk * sizeof (double));
  double *cond = malloc (nk * sizeof (double));
  int *trow = calloc ((size_t) n + 1, sizeof (int));
  int *tcol = malloc (nk * sizeof (int));
  double *tval = malloc (nk * sizeof (double));
  int *fill = malloc ((size_t) n * sizeof (int));
  PbStatus status;

  out->n = n;
  out->row = malloc (((size_t) n + 1) * sizeof (int));
  out->col = malloc (2 * nk * sizeof (int));
  out->val = malloc (2 * nk * sizeof (double));
  if (!nbr || !dist2 || !cond || !trow || !tcol || !tval || !fill || !out->row || !out->col
      || !out->val)
    {
      status = pb_error_set (err, PB_ERR_NOMEM, "t-SNE: out of memory for the affinities of %d "
                             "points", n);
      goto out;
    }

  status = knn (points, n, dim, k, cb, nbr, dist2, err);
  if (status != PB_OK)
    goto out;

  for (int i = 0; i < n; i++)
    {
      if (i % 256 == 0)
        {
          if (pb_tsne_is_cancelled (cb))
            {
              status = pb_error_set (err, PB_ERR_CANCELLED, "t-SNE: cancelled");
              goto out;
            }
          pb_tsne_report (cb, PB_TSNE_STAGE_CALIBRATION, (double) i / n);
        }
      pb_tsne_calibrate_row (dist2 + (size_t) i * k, k, perplexity, cond + (size_t) i * k);
    }
  pb_tsne_report (cb, PB_TSNE_STAGE_CALIBRATION, 1.0);

  /* Transpose of the conditional matrix; rows come out sorted by column. */
  for (size_t e = 0; e < nk; e++)
    trow[nbr[e] + 1]++;
  for (int i = 0; i < n; i++)
    trow[i + 1] += trow[i];
  memcpy (fill, trow, (size_t) n * sizeof (int));
  for (int i = 0; i < n; i++)
    for (int m = 0; m < k; m++)
      {
        int j = nbr[(size_t) i * k + m], at = fill[j]++;
        tcol[at] = i;
        tval[at] = cond[(size_t) i * k + m];
      }

  /* P = (C + Cᵀ) / 2N, merging two sorted rows. */
  double scale = 0.5 / n;
  int nnz = 0;
  for (int i = 0; i < n; i++)
    {
      const int *ac = nbr + (size_t) i * k;
      const double *av = cond + (size_t) i * k;
      int a = 0, b = trow[i], b_end = trow[i + 1];

      out->row[i] = nnz;
      while (a < k || b < b_end)
        {
          int col;
          double v = 0.0;
          if (b >= b_end || (a < k && ac[a] < tcol[b]))
            {
              col = ac[a];
              v = av[a++];
            }
          else if (a >= k || tcol[b] < ac[a])
            {
              col = tcol[b];
              v = tval[b++];
            }
          else
            {
              col = ac[a];
              v = av[a++] + tval[b++];
            }
          out->col[nnz] = col;
          out->val[nnz++] = v * scale;
        }
    }
  out->row[n] = nnz;

  /* Shrinking cannot fail in practice, but keep the larger block if it does. */
  int *col = realloc (out->col, (size_t) (nnz > 0 ? nnz : 1) * sizeof (int));
  if (col != NULL)
    out->col = col;
  double *val = realloc (out->val, (size_t) (nnz > 0 ? nnz : 1) * sizeof (double));
  if (val != NULL)
    out->val = val;

out:
  if (status != PB_OK)
    pb_tsne_affinities_clear (out);
  free (nbr);
  free (dist2);
  free (cond);
  free (trow);
  free (tcol);
  free (tval);
  free (fill);
  return status;
}
