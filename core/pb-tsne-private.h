/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* What the parts of the t-SNE share: pb-tsne.c (the optimiser, the exact repulsion),
 * pb-tsne-affinities.c (kNN, calibration, P), pb-tsne-bh.c (the Barnes–Hut tree) and
 * pb-tsne-fft.c (interpolation on a grid, convolution by FFT). */

#include <pthread.h>
#include <stdbool.h>

#include "pb-tsne.h"

#define PB_TSNE_MAX_THREADS 16

typedef void (*PbTsnePoolFunc) (void *ctx, int thread);

/* The caller's thread is worker 0, so one thread means no pthreads at all. */
typedef struct
{
  int             n_threads;
  pthread_t       workers[PB_TSNE_MAX_THREADS];
  pthread_mutex_t lock;
  pthread_cond_t  start;
  pthread_cond_t  done;
  unsigned        generation;
  int             pending;
  bool            quit;
  PbTsnePoolFunc  func;
  void           *ctx;
} PbTsnePool;

/* Runs func (ctx, t) on every worker t and waits; pool NULL runs func (ctx, 0) alone. */
void     pb_tsne_pool_run (PbTsnePool *pool, PbTsnePoolFunc func, void *ctx);
int      pb_tsne_pool_threads (const PbTsnePool *pool);

static inline bool
pb_tsne_is_cancelled (const PbTsneCallbacks *cb)
{
  return cb != NULL && cb->cancelled != NULL && cb->cancelled (cb->user_data);
}

static inline void
pb_tsne_report (const PbTsneCallbacks *cb, PbTsneStage stage, double fraction)
{
  if (cb != NULL && cb->progress != NULL)
    cb->progress (stage, fraction, cb->user_data);
}

double   pb_tsne_sum_p_log_p (const PbTsneAffinities *p);

/* Every method fills, for each point i, attr[i] = Σ_j p_ij w_ij (y_i − y_j), rep[i] =
 * Σ_j w_ij² (y_i − y_j) and, when kl is not NULL, kl[i] = Σ_j p_ij ln (1 + d_ij²), with
 * w = 1 / (1 + d²), and returns Z = Σ_{i≠j} w_ij. Sums run in an order fixed by y alone. */

/* attr and kl only, over P's rows split between the workers, in the order `order` [n] (a
 * permutation that keeps nearby points together, for the cache), or index order if NULL. */
void     pb_tsne_attraction (PbTsnePool *pool, const PbTsneAffinities *p, const double *y,
                             const int *order, double *attr, double *kl);

/* Barnes–Hut (pb-tsne-bh.c). */
typedef struct _PbTsneTree PbTsneTree;

PbTsneTree *pb_tsne_tree_new (int n, int n_threads);
void        pb_tsne_tree_free (PbTsneTree *tree);
double      pb_tsne_bh_terms (PbTsnePool *pool, const PbTsneAffinities *p, const double *y,
                              PbTsneTree *tree, double theta, double *attr, double *rep,
                              double *z, double *kl);

/* FFT-accelerated interpolation (pb-tsne-fft.c). */
typedef struct _PbTsneFft PbTsneFft;

PbTsneFft  *pb_tsne_fft_new (int n);
void        pb_tsne_fft_free (PbTsneFft *fft);
/* The grid's buffers and plans are made again only when its size changes: then
 * PB_ERR_NOMEM can happen. *zsum gets Z. */
PbStatus    pb_tsne_fft_terms (PbTsnePool *pool, const PbTsneAffinities *p, const double *y,
                               PbTsneFft *fft, double *attr, double *rep, double *kl,
                               double *zsum, PbError *err);
/* The grid's side in boxes at the last call, for the tests. */
int         pb_tsne_fft_boxes (const PbTsneFft *fft);
