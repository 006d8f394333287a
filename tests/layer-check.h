/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the layer tests share: central finite differences and their criterion, and the
 * channel-major layout. */
#pragma once

#include <glib.h>

#include "pb-layers.h"
#include "pb-rng.h"

/* Gradient check criterion: |analytic − numeric| ≤ RTOL·max(|a|, |n|) + ATOL·max|n|.
 * check_grad also asserts that the analytic gradient scaled by 1.1 fails it, so the criterion is
 * known to be strict enough to catch a real bug. */
#define GRAD_RTOL 1e-2
#define GRAD_ATOL 1e-3

typedef double (*LossFunc) (void *ctx);

void fill_uniform (PbRng *rng, float *x, size_t n, double lo, double hi);
double project (const float *out, const float *r, size_t n);
gboolean grad_matches (const float *grad, double grad_scale, const double *numeric,
                       const gboolean *skip, size_t n, double *worst_out);
/* Compares grad with central differences of loss over every x[i] not skipped. */
void check_grad (const char *what, float *x, size_t n, const float *grad, const gboolean *skip,
                 LossFunc loss, void *ctx, float eps);
void assert_close (const float *got, const double *want, size_t n, double tol);
/* After one backward from zero gave once[] and two gave twice[], twice must be 2·once. */
void assert_doubled (const float *once, const float *twice, size_t n);
/* [B, C, P] ↔ [C, B, P] */
void to_channel_major (int b_n, int c_n, size_t p, const float *in, float *out);

/* A convolution with random input, weights and projection, and zeroed gradients. */
typedef struct
{
  PbConvShape s;
  size_t in_n, w_n, out_n;
  float *in, *weight, *bias, *out, *r, *work;
  float *dweight, *dbias, *din;
} ConvCase;

ConvCase *conv_case_new (int batch, int in_c, int h, int w, int out_c, int kernel, int pad,
                         guint64 seed);
void conv_case_free (ConvCase *cc);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConvCase, conv_case_free)
