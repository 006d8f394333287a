/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* t-SNE, stepwise so that a UI can draw while it optimises:
 *
 *   pb_tsne_new ()  → kNN with sgemm, perplexity calibration, sparse symmetric P, init
 *   pb_tsne_step () → k iterations of gradient descent, the repulsion by one of three methods:
 *                     exact O(N²), Barnes–Hut (van der Maaten 2014), or interpolation on a grid
 *                     with FFT convolution (Linderman et al. 2019, "FIt-SNE")
 *   pb_tsne_coords (), pb_tsne_iteration (), pb_tsne_kl ()
 *   pb_tsne_free ()
 *
 * Gradients and learning rates are in bhtsne's units: without the factor 4 of dKL/dy, so the
 * "auto" learning rate max (N / 12, 200) is scikit-learn's max (N / 12 / 4, 50) times 4.
 * A run is deterministic for a seed whatever the number of threads. */

#include <stdbool.h>
#include <stdint.h>

#include "pb-status.h"

typedef struct _PbTsne PbTsne;

typedef enum
{
  PB_TSNE_INIT_PCA,    /* the first two principal components, scaled to std 1e-4 */
  PB_TSNE_INIT_RANDOM, /* N(0, 1e-4²) */
} PbTsneInit;

typedef enum
{
  PB_TSNE_METHOD_AUTO,  /* by N: see pb_tsne_method_for */
  PB_TSNE_METHOD_BH,    /* Barnes–Hut, O(N log N), accuracy by theta */
  PB_TSNE_METHOD_FFT,   /* interpolation on equispaced boxes, 3 nodes each, FFT convolution */
  PB_TSNE_METHOD_EXACT, /* every pair, O(N²) */
} PbTsneMethod;

typedef struct
{
  double     perplexity;                /* 30; clamped to (N − 1) / 3 when too large */
  PbTsneMethod method;                  /* auto */
  double     theta;                     /* 0.5, for bh only; 0 gives the exact repulsion */
  double     learning_rate;             /* <= 0 means auto: max (N / 12, 200) */
  PbTsneInit init;
  uint64_t   seed;
  double     exaggeration;              /* 12 */
  int        exaggeration_iterations;   /* 250 */
  double     momentum;                  /* 0.5 */
  double     final_momentum;            /* 0.8 */
  int        momentum_switch_iteration; /* 250 */
  int        threads;                   /* 0: up to 2, as the machine has cores; max 16 */
} PbTsneSettings;

typedef enum
{
  PB_TSNE_STAGE_NEIGHBOURS,
  PB_TSNE_STAGE_CALIBRATION,
} PbTsneStage;

/* Any member may be NULL. Both are called from the thread that calls pb_tsne_new/step. */
typedef struct
{
  void  (*progress)  (PbTsneStage stage, double fraction, void *user_data);
  bool  (*cancelled) (void *user_data);
  void   *user_data;
} PbTsneCallbacks;

/* Symmetric input affinities P in CSR form, summing to 1. */
typedef struct
{
  int     n;
  int    *row; /* [n + 1] */
  int    *col; /* [row[n]] */
  double *val; /* [row[n]] */
} PbTsneAffinities;

void        pb_tsne_settings_init (PbTsneSettings *settings);

/* "auto", "bh", "fft", "exact"; NULL for a value out of range. */
const char *pb_tsne_method_name (PbTsneMethod method);
/* false for an unknown name. */
bool        pb_tsne_method_parse (const char *name, PbTsneMethod *out);
/* What auto picks for n points (measured: docs/tsne-performance.md); other methods unchanged. */
PbTsneMethod pb_tsne_method_for (PbTsneMethod method, int n);

/* points: [n, dim]. Errors: n < 5, non-finite values, settings out of range (PB_ERR_INVALID),
 * PB_ERR_CANCELLED, PB_ERR_NOMEM. cb may be NULL; it is copied. */
PbStatus    pb_tsne_new (const float *points, int n, int dim, const PbTsneSettings *settings,
                         const PbTsneCallbacks *cb, PbTsne **out, PbError *err);
void        pb_tsne_free (PbTsne *self);

/* Runs `iterations` more iterations, polling the cancel check between them.
 * PB_ERR_CANCELLED leaves a usable state; PB_ERR_DIVERGED does not. */
PbStatus    pb_tsne_step (PbTsne *self, int iterations, PbError *err);

/* [n, 2], valid until the next step or free. */
const float *pb_tsne_coords (const PbTsne *self);
int          pb_tsne_n (const PbTsne *self);
int          pb_tsne_iteration (const PbTsne *self);
/* The method in use: never auto. */
PbTsneMethod pb_tsne_method_used (const PbTsne *self);
/* KL (P ‖ Q) at the current coordinates, against the unexaggerated P, with Q's normaliser Z
 * from the run's method (exact, the Barnes–Hut tree, or the FFT grid); the attractive part is
 * exact for every method. During early exaggeration this equals KL_α / α − ln α of the
 * exaggerated objective, so values are comparable throughout. Costs about one iteration;
 * cached until the next step. It can only fail for want of memory (fft): then NaN. */
double       pb_tsne_kl (PbTsne *self);
double       pb_tsne_perplexity_used (const PbTsne *self);
bool         pb_tsne_perplexity_clamped (const PbTsne *self);
double       pb_tsne_learning_rate_used (const PbTsne *self);
const PbTsneAffinities *pb_tsne_affinities (const PbTsne *self);

/* Lower-level pieces, exposed for the tests and the benchmark. */

/* Fills p[k] with the Gaussian conditional probabilities over squared distances dist2[k],
 * with the precision found by binary search so that exp (entropy) = perplexity.
 * Returns the precision β. */
double   pb_tsne_calibrate_row (const double *dist2, int k, double perplexity, double *p);

/* Exact kNN (k = min (⌊3·perplexity⌋, n − 1) neighbours), calibration and symmetrisation
 * (P + Pᵀ) / 2N. */
PbStatus pb_tsne_affinities_compute (const float *points, int n, int dim, double perplexity,
                                     const PbTsneCallbacks *cb, PbTsneAffinities *out,
                                     PbError *err);
void     pb_tsne_affinities_clear (PbTsneAffinities *p);

/* y: [n, 2]. KL (P ‖ Q) with the exact O(N²) normaliser. */
double   pb_tsne_exact_kl (const PbTsneAffinities *p, const double *y);
/* grad: [n, 2] = dKL/dy (with the factor 4), exact O(N²). */
void     pb_tsne_exact_gradient (const PbTsneAffinities *p, const double *y, double *grad);
/* The same with Barnes–Hut repulsion; theta = 0 is exact. kl (may be NULL) gets the KL with
 * the tree's normaliser. */
PbStatus pb_tsne_bh_gradient (const PbTsneAffinities *p, const double *y, double theta,
                              double *grad, double *kl, PbError *err);
/* The same with the FFT-interpolated repulsion; kl (may be NULL) with the grid's Z. */
PbStatus pb_tsne_fft_gradient (const PbTsneAffinities *p, const double *y, double *grad,
                               double *kl, PbError *err);
