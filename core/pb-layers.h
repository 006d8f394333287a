/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The layers, each a forward and a backward function.
 * Conventions (llm.c): tensors are contiguous row-major float arrays, shapes are in the comment
 * above each function, and every backward ADDS into its gradient outputs (dweight, dbias, din),
 * so a caller zeroes gradients once per step and can apply one layer several times. */

#include <stddef.h>
#include <stdint.h>

#include "pb-profile.h"
#include "pb-rng.h"

typedef struct
{
  int batch;
  int in_c, in_h, in_w;
  int out_c;
  int kernel;
  int pad;
  /* Channel-major kernels only: each output image in pool order (see pb_pool_order), the
   * layout pb_bn_pool_relu_* read. 0: row-major. */
  int pool_order;
  /* Forward only, with pool_order: compute just the positions the pooling reads (the first
   * 4·(Ho/2)·(Wo/2) of each image), as an evaluation needs no batch statistics. */
  int pooled_only;
  /* Channel-major kernels only: where their GEMMs and copies are timed, or NULL. */
  PbProfile *profile;
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

/* ---- channel-major kernels: the models' fast path ----------------------------------------- *
 * Layout [C, N, H, W]: the N images of one channel are contiguous, so a convolution is one GEMM
 * over every image of the batch (both halves of a siamese pair included), and a batch-norm
 * channel is one contiguous row per group of images.
 * Parameter gradients (dweight, dbias, dgamma, dbeta) are ADDED, as everywhere; the activation
 * gradient din is WRITTEN, because each activation has exactly one consumer and overwriting it
 * saves zeroing a buffer on every step. */

/* Floats of scratch for pb_conv2d_cm_*. The forward leaves in it what the backward reads, so a
 * caller that interleaves several convolutions gives each its own. */
size_t pb_conv2d_cm_workspace_floats (const PbConvShape *s);
/* in: [C, N, H, W]  weight: [K, C, k, k]  bias: [K] or NULL  out: [K, N, Ho, Wo]
 * (s->batch is N, the number of images) */
void pb_conv2d_cm_forward (const PbConvShape *s, const float *in, const float *weight,
                           const float *bias, float *out, float *work);
/* dout: [K, N, Ho, Wo] → dweight += [K, C, k, k], dbias += [K] (may be NULL),
 * din = [C, N, H, W] (written; may be NULL). work: as the forward with the same in left it. */
void pb_conv2d_cm_backward (const PbConvShape *s, const float *in, const float *weight,
                            const float *dout, float *dweight, float *dbias, float *din,
                            float *work);

/* Pool order of an h×w map: the four phases (dy, dx) = (0,0), (0,1), (1,0), (1,1) of the 2×2
 * pooling windows, each [h/2, w/2] row-major, then the positions no window covers (the last row
 * or column of an odd side), row-major. Pooling then reads four contiguous streams.
 * order: [h·w], order[y·w + x] is the pool-order index of (y, x). */
void pb_pool_order (int h, int w, int32_t *order);

/* Batch norm, 2×2 max-pool (stride 2, floor) and ReLU in one pass over memory, on the output of
 * a convolution without its bias. The N = groups · batch images are split into `groups` blocks
 * of `batch`, each normalised with its own statistics (a siamese trunk applied to each image of
 * the pair, as PyTorch calling the trunk twice); the running statistics move once per group, in
 * group order. */
typedef struct
{
  int groups;
  int batch;    /* images per group */
  int channels;
  int h, w;     /* of the convolution output; the pooled side is h/2 × w/2 */
  int pooled_only; /* eval only: conv holds just the pooled positions (see PbConvShape) */
} PbBnPoolShape;

/* conv: [C, G·B, H·W in pool order] (without the conv bias)  conv_bias, gamma, beta, running_*: [C]
 * → act: [C, G·B, H/2, W/2], argmax: [C, G·B, H/2, W/2] (0–3, the row-major window position),
 *   mean, invstd: [G, C] (cache; mean is that of conv, without the bias) */
void pb_bn_pool_relu_forward_train (const PbBnPoolShape *s, const float *conv,
                                    const float *conv_bias, const float *gamma,
                                    const float *beta, float *mean, float *invstd,
                                    float *running_mean, float *running_var, float momentum,
                                    float eps, float *act, uint8_t *argmax);
/* The same with the running statistics; argmax may be NULL. */
void pb_bn_pool_relu_forward_eval (const PbBnPoolShape *s, const float *conv,
                                   const float *conv_bias, const float *gamma, const float *beta,
                                   const float *running_mean, const float *running_var,
                                   float eps, float *act, uint8_t *argmax);
/* dact: [C, G·B, H/2, W/2] → dgamma, dbeta, dconv_bias += [C] (dconv_bias may be NULL),
 * dconv = [C, G·B, H·W in pool order] (written) */
void pb_bn_pool_relu_backward (const PbBnPoolShape *s, const float *conv, const float *mean,
                               const float *invstd, const float *gamma, const float *act,
                               const uint8_t *argmax, const float *dact, float *dgamma,
                               float *dbeta, float *dconv_bias, float *dconv);

/* Max-pool and ReLU without batch norm: act = ReLU(max over each 2×2 window of conv + bias).
 * The bias is one per channel, so it commutes with the max and is added after pooling: the
 * convolution runs without it, as before a batch norm. Only s->groups · s->batch (the number of
 * images N) matters; with s->pooled_only, conv holds just the pooled positions.
 * conv: [C, N, H·W in pool order]  bias: [C]
 * → act: [C, N, H/2, W/2], argmax: [C, N, H/2, W/2] (0–3 as above; may be NULL) */
void pb_pool_relu_forward (const PbBnPoolShape *s, const float *conv, const float *bias,
                           float *act, uint8_t *argmax);
/* dact: [C, N, H/2, W/2] → dbias += [C] (Σ dact where act > 0; may be NULL),
 * dconv = [C, N, H·W in pool order] (written: dact at each window's maximum where act > 0,
 * 0 everywhere else) */
void pb_pool_relu_backward (const PbBnPoolShape *s, const float *act, const uint8_t *argmax,
                            const float *dact, float *dbias, float *dconv);

/* ---- the digit posterior: a decision rule without parameters ----------------------------- *
 * With p1 = softmax(logits1) and p2 = softmax(logits2) over the 10 digits,
 * P(first > second) = Σ_{i>j} p1(i)·p2(j) and P(first ≤ second) = Σ_{i≤j} p1(i)·p2(j) (a tie has
 * label 0). Each event is summed on its own as a log-sum-exp over its terms in double, so
 * neither probability is 1 minus the other and neither underflows for any finite logits. */

/* logits1, logits2: [10] → P(first > second) */
double pb_digit_posterior (const float *logits1, const float *logits2);
/* digits: [B, 20] (image 1's 10 logits, then image 2's)
 * → logp: [B, 2] = [log P(first ≤ second), log P(first > second)] */
void pb_posterior_forward (int batch, const float *digits, float *logp);
/* The gradient of −log P(label_b) with respect to digit row b, times scale[b]:
 * ddigits[b] += scale[b] · (p − r), where p is each image's softmax and r each image's digit
 * distribution given the label's event (the share of that event's probability with that digit).
 * digits: [B, 20]  labels, scale: [B] → ddigits += [B, 20] */
void pb_posterior_backward (int batch, const float *digits, const uint8_t *labels,
                            const float *scale, float *ddigits);
