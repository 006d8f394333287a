/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the model files share: the model's struct and its trunk types, and the convolution
 * shape of a trunk layer. pb-model.c (architectures, the tensor table, the activation layout,
 * creation, accessors, initialisation) and pb-model-pass.c (the trunk passes, the decision rule,
 * forward, loss and backward). Not installed; core/ only. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pb-layers.h"
#include "pb-model.h"

#define PB_N_DIGITS 10
#define PB_MAX_TENSORS 64
#define PB_MAX_TRUNKS 2

typedef struct
{
  int in_c;
  int n_out;
  int conv_w[PB_N_CONV], conv_b[PB_N_CONV];
  int bn_g[PB_N_CONV], bn_b[PB_N_CONV], bn_rm[PB_N_CONV], bn_rv[PB_N_CONV]; /* −1: no BN */
  int fc1_w, fc1_b, fc2_w, fc2_b;
  int64_t batches_tracked;
} Trunk;

/* The spatial sizes of one trunk: conv l maps side[l] to conv_side[l], pooling halves it. */
typedef struct
{
  int side[PB_N_CONV + 1];
  int conv_side[PB_N_CONV];
} TrunkGeometry;

/* One pass of a trunk over a batch of images, channel-major ([C, N, H, W]): siamese and twin
 * models make one pass per image of the pair (N = B; siamese passes share the trunk), a stacked
 * one a single pass over the 2-channel pairs. A pass may also hold several batch-norm groups
 * (a siamese trunk over both images at once, N = 2B, statistics per half). */
typedef struct
{
  int trunk;
  int groups;             /* batch-norm groups: 2 for siamese (one per image), else 1 */
  int image;              /* twin: the image of the pair; -1: both (as groups or channels) */
  float *x;               /* [Cin, N, 14, 14] */
  float *conv[PB_N_CONV]; /* [C_l, N, conv_side², pool order], without the conv bias */
  float *mean[PB_N_CONV], *invstd[PB_N_CONV]; /* [G, C_l], with batch norm */
  uint8_t *argmax[PB_N_CONV];
  float *act[PB_N_CONV];  /* [C_l, N, side/2, side/2], after (BN,) pool and ReLU */
  float *work[PB_N_CONV]; /* each convolution's workspace, kept from forward to backward */
  float *flat;            /* [N, C_3·side·side], fc1's input in PyTorch's flatten order */
  float *hidden;          /* [N, hidden], after the hidden activation */
  float *dropped;         /* [N, hidden] */
  float *mask;            /* [N, hidden] */
  float *logits;          /* [N, n_out] */
  float *dact[PB_N_CONV]; /* as act */
  float *dflat, *dhidden, *ddropped, *dlogits;
} TrunkPass;

struct PbModel
{
  PbArch arch;
  int max_batch;
  int batch;             /* of the last forward */
  bool last_training;
  TrunkGeometry geom;

  int n_tensors;
  PbTensorInfo tensors[PB_MAX_TENSORS];
  size_t n_params, n_buffers;
  float *params, *grads, *adam_m, *adam_v, *buffers;

  int n_trunks;
  Trunk trunks[PB_MAX_TRUNKS];
  int head_w, head_b;    /* −1: no head (PB_RULE_POSTERIOR) */

  int n_apps;            /* trunk applications as PyTorch sees them: 2, or 1 for stacked */
  int n_passes;
  TrunkPass passes[PB_MAX_TRUNKS];

  float *dconv;          /* [C, N, side, side] of the largest layer: backward scratch */

  float *acts;           /* one block for every activation, gradient and workspace */
  size_t acts_floats, acts_used;
  uint8_t *argmax_block;
  size_t argmax_bytes, argmax_used;

  float *concat;         /* [B, 20] */
  float *dconcat;        /* [B, 20] */
  float *main_logits;    /* [B, 2], as the rule gives them */
  float *head_out;       /* [B, 2]: the head's logits (the main logits under PB_RULE_HEAD) */
  float *post_logp;      /* [B, 2]: log P(first ≤ second), log P(first > second) */
  float *post_scale;     /* [B]: each pair's weight in the posterior's backward */
  float *digits[2];      /* [B, 10] each, contiguous copies for the cross-entropy */
  float *probs_main;     /* [B, 2] */
  float *probs_digit[2]; /* [B, 10] */
  float *ddigit[2];      /* [B, 10] */
  float *dmain;          /* [B, 2] */
  uint8_t *digit_targets[2]; /* [B] each */

  PbProfile *profile;    /* of training steps, or NULL */
};

static inline PbConvShape
conv_shape (const PbModel *self, const Trunk *tr, int l, int n_img)
{
  PbConvShape s = {
    .batch = n_img,
    .in_c = l == 0 ? tr->in_c : self->arch.channels[l - 1],
    .in_h = self->geom.side[l],
    .in_w = self->geom.side[l],
    .out_c = self->arch.channels[l],
    .kernel = self->arch.kernel,
    .pad = self->arch.padding[l],
    .pool_order = 1,
  };
  return s;
}
