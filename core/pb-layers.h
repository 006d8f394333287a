/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The layers, each a forward and a backward function.
 * Conventions (llm.c): tensors are contiguous row-major float arrays, shapes are in the comment
 * above each function, and every backward ADDS into its gradient outputs (dweight, dbias, din),
 * so a caller zeroes gradients once per step and can apply one layer several times. */

#include <stddef.h>
#include <stdint.h>

#include "pb-rng.h"

typedef struct
{
  int batch;
  int in_c, in_h, in_w;
  int out_c;
  int kernel;
  int pad;
} PbConvShape;

int    pb_conv2d_out_h (const PbConvShape *s);
int    pb_conv2d_out_w (const PbConvShape *s);
/* Floats of scratch the caller provides to forward and backward (im2col columns). */
size_t pb_conv2d_workspace_floats (const PbConvShape *s);

/* in: [B, C, H, W]  weight: [K, C, k, k]  bias: [K]  out: [B, K, Ho, Wo], stride 1,
 * Ho = H + 2·pad − k + 1. */
void pb_conv2d_forward (const PbConvShape *s, const float *in, const float *weight,
                        const float *bias, float *out, float *work);
/* dout: [B, K, Ho, Wo] → dweight [K, C, k, k], dbias [K], din [B, C, H, W] (din may be NULL). */
void pb_conv2d_backward (const PbConvShape *s, const float *in, const float *weight,
                         const float *dout, float *dweight, float *dbias, float *din,
                         float *work);

/* Batch norm over [B, C, S] (S = H·W), PyTorch semantics: training uses the batch mean and the
 * biased variance, and moves running_mean/running_var (unbiased) by momentum; eval uses them. */
typedef struct
{
  int batch;
  int channels;
  int spatial;
} PbBnShape;

/* in, out: [B, C, S]  gamma, beta, mean, invstd, running_*: [C]  xhat: [B, C, S] (cache) */
void pb_batchnorm_forward_train (const PbBnShape *s, const float *in, const float *gamma,
                                 const float *beta, float *out, float *xhat, float *mean,
                                 float *invstd, float *running_mean, float *running_var,
                                 float momentum, float eps);
void pb_batchnorm_forward_eval (const PbBnShape *s, const float *in, const float *gamma,
                                const float *beta, const float *running_mean,
                                const float *running_var, float eps, float *out);
/* dout: [B, C, S] → dgamma, dbeta [C], din [B, C, S] */
void pb_batchnorm_backward (const PbBnShape *s, const float *xhat, const float *invstd,
                            const float *gamma, const float *dout, float *dgamma, float *dbeta,
                            float *din);

/* 2×2 max-pool, stride 2, floor mode (13 → 6).
 * in: [N, H, W] with N = B·C  out: [N, H/2, W/2]  argmax: [N, H/2, W/2], flat index into in. */
void pb_maxpool2_forward (int n, int h, int w, const float *in, float *out, int32_t *argmax);
void pb_maxpool2_backward (int n, int h, int w, const float *dout, const int32_t *argmax,
                           float *din);

/* in, out: [n] (may alias) */
void pb_relu_forward (size_t n, const float *in, float *out);
/* Uses the forward output: the gradient passes where out > 0. */
void pb_relu_backward (size_t n, const float *out, const float *dout, float *din);

/* in: [B, I]  weight: [O, I]  bias: [O]  out: [B, O] */
void pb_linear_forward (int batch, int in_f, int out_f, const float *in, const float *weight,
                        const float *bias, float *out);
/* dout: [B, O] → dweight [O, I], dbias [O], din [B, I] (din may be NULL) */
void pb_linear_backward (int batch, int in_f, int out_f, const float *in, const float *weight,
                         const float *dout, float *dweight, float *dbias, float *din);

/* Inverted dropout: kept units are scaled by 1/(1−p). mask: [n], 0 or 1/(1−p).
 * p == 0 copies in to out and fills the mask with ones. in, out may alias. */
void pb_dropout_forward (size_t n, float p, PbRng *rng, const float *in, float *out,
                         float *mask);
void pb_dropout_backward (size_t n, const float *mask, const float *dout, float *din);

/* Softmax cross-entropy, mean over the batch (PyTorch's default reduction).
 * logits: [B, C]  targets: [B], each in [0, C)  probs: [B, C] (cache). Returns the mean loss,
 * accumulated in double. */
double pb_cross_entropy_forward (int batch, int classes, const float *logits,
                                 const uint8_t *targets, float *probs);
/* dlogits += scale · (probs − onehot(targets)) / B */
void pb_cross_entropy_backward (int batch, int classes, const float *probs,
                                const uint8_t *targets, float scale, float *dlogits);
