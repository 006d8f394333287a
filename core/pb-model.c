/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "pb-model.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pb-data.h"
#include "pb-gemm.h"
#include "pb-layers.h"

#define PB_BN_MOMENTUM 0.1f
#define PB_BN_EPS 1e-5f
#define PB_N_DIGITS 10
#define PB_MAX_TENSORS 64
#define PB_MAX_TRUNKS 2
#define MAX(a, b) ((a) > (b) ? (a) : (b))

const char *const pb_model_names[PB_N_MODEL_NAMES] = {
  "siamese", "siamese-aux", "twin", "twin-aux", "stacked", "stacked-aux",
};

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

static const PbArch report_arch = {
  .kind = PB_KIND_SIAMESE,
  .aux = false,
  .aux_weight = 1.0f,
  .kernel = 2,
  .channels = { 16, 64, 128 },
  .padding = { 0, 1, 1 },
  .hidden = 64,
  .dropout = 0.0f,
  .hidden_act = PB_HIDDEN_NONE,
  .batch_norm = true,
  .rule = PB_RULE_HEAD,
};

static const char *const hidden_act_names[] = { "none", "relu" };
static const char *const rule_names[] = { "head", "posterior", "both" };

const char *
pb_hidden_act_name (PbHiddenAct act)
{
  return (unsigned) act < 2 ? hidden_act_names[act] : "?";
}

PbStatus
pb_hidden_act_from_name (const char *name, PbHiddenAct *out, PbError *err)
{
  for (int i = 0; i < 2; i++)
    if (strcmp (name, hidden_act_names[i]) == 0)
      {
        *out = (PbHiddenAct) i;
        return PB_OK;
      }
  return pb_error_set (err, PB_ERR_INVALID,
                       "unknown hidden activation '%s'; expected none or relu", name);
}

const char *
pb_rule_name (PbRule rule)
{
  return (unsigned) rule < 3 ? rule_names[rule] : "?";
}

PbStatus
pb_rule_from_name (const char *name, PbRule *out, PbError *err)
{
  for (int i = 0; i < 3; i++)
    if (strcmp (name, rule_names[i]) == 0)
      {
        *out = (PbRule) i;
        return PB_OK;
      }
  return pb_error_set (err, PB_ERR_INVALID,
                       "unknown decision rule '%s'; expected head, posterior or both", name);
}

PbStatus
pb_arch_from_name (const char *name, PbArch *out, PbError *err)
{
  static const PbKind kinds[PB_N_MODEL_NAMES] = {
    PB_KIND_SIAMESE, PB_KIND_SIAMESE, PB_KIND_TWIN, PB_KIND_TWIN, PB_KIND_STACKED, PB_KIND_STACKED,
  };

  for (int i = 0; i < PB_N_MODEL_NAMES; i++)
    if (strcmp (name, pb_model_names[i]) == 0)
      {
        *out = report_arch;
        out->kind = kinds[i];
        out->aux = (i % 2) == 1;
        return PB_OK;
      }
  return pb_error_set (err, PB_ERR_INVALID,
                       "unknown model '%s'; expected one of siamese, siamese-aux, twin, twin-aux, "
                       "stacked, stacked-aux", name);
}

const char *
pb_arch_name (const PbArch *arch)
{
  int index = arch->kind == PB_KIND_SIAMESE ? 0 : arch->kind == PB_KIND_TWIN ? 2 : 4;
  return pb_model_names[index + (arch->aux ? 1 : 0)];
}

bool
pb_arch_trains_digits (const PbArch *arch)
{
  return arch->aux && arch->aux_weight > 0.0f;
}

/* Returns the first conv layer whose output is too small for the 2×2 pooling, or −1. */
static int
trunk_geometry (const PbArch *arch, TrunkGeometry *g)
{
  g->side[0] = PB_IMAGE_SIDE;
  for (int l = 0; l < PB_N_CONV; l++)
    {
      g->conv_side[l] = g->side[l] + 2 * arch->padding[l] - arch->kernel + 1;
      if (g->conv_side[l] < 2)
        return l;
      g->side[l + 1] = g->conv_side[l] / 2;
    }
  return -1;
}

PbStatus
pb_arch_validate (const PbArch *arch, PbError *err)
{
  TrunkGeometry g;
  int bad;

  if (arch->kind != PB_KIND_SIAMESE && arch->kind != PB_KIND_TWIN
      && arch->kind != PB_KIND_STACKED)
    return pb_error_set (err, PB_ERR_INVALID, "model kind %d is not siamese, twin or stacked",
                         (int) arch->kind);
  if (arch->kernel < 1 || arch->kernel > 7)
    return pb_error_set (err, PB_ERR_INVALID, "kernel size: expected 1–7, got %d", arch->kernel);
  for (int l = 0; l < PB_N_CONV; l++)
    {
      if (arch->channels[l] < 1 || arch->channels[l] > 1024)
        return pb_error_set (err, PB_ERR_INVALID, "conv%d channels: expected 1–1024, got %d",
                             l + 1, arch->channels[l]);
      if (arch->padding[l] < 0 || arch->padding[l] > arch->kernel)
        return pb_error_set (err, PB_ERR_INVALID, "conv%d padding: expected 0–%d, got %d",
                             l + 1, arch->kernel, arch->padding[l]);
    }
  if (arch->hidden < 1 || arch->hidden > 4096)
    return pb_error_set (err, PB_ERR_INVALID, "hidden width: expected 1–4096, got %d",
                         arch->hidden);
  if (!(arch->dropout >= 0.0f && arch->dropout < 1.0f))
    return pb_error_set (err, PB_ERR_INVALID, "dropout: expected 0 ≤ p < 1, got %g",
                         (double) arch->dropout);
  if (!(arch->aux_weight >= 0.0f && isfinite (arch->aux_weight)))
    return pb_error_set (err, PB_ERR_INVALID, "aux weight: expected a finite value ≥ 0, got %g",
                         (double) arch->aux_weight);
  if (arch->hidden_act != PB_HIDDEN_NONE && arch->hidden_act != PB_HIDDEN_RELU)
    return pb_error_set (err, PB_ERR_INVALID, "hidden activation %d is not none or relu",
                         (int) arch->hidden_act);
  if (arch->rule != PB_RULE_HEAD && arch->rule != PB_RULE_POSTERIOR && arch->rule != PB_RULE_BOTH)
    return pb_error_set (err, PB_ERR_INVALID, "decision rule %d is not head, posterior or both",
                         (int) arch->rule);
  if ((bad = trunk_geometry (arch, &g)) >= 0)
    return pb_error_set (err, PB_ERR_INVALID,
                         "kernel %d with padding %d/%d/%d: conv%d maps its %d×%d input to "
                         "%d×%d, too small for the 2×2 pooling (needs at least 2×2)",
                         arch->kernel, arch->padding[0], arch->padding[1], arch->padding[2],
                         bad + 1, g.side[bad], g.side[bad], MAX (g.conv_side[bad], 0),
                         MAX (g.conv_side[bad], 0));
  return PB_OK;
}

/* Tensor table: the order is PyTorch's state_dict order. */

static int
add_tensor (PbModel *self, const char *prefix, const char *name, PbBlock block, int ndim,
            const int *shape)
{
  PbTensorInfo *t = &self->tensors[self->n_tensors];
  size_t size = 1;

  assert (self->n_tensors < PB_MAX_TENSORS);
  snprintf (t->name, sizeof t->name, "%s%s", prefix, name);
  t->block = block;
  t->ndim = ndim;
  for (int i = 0; i < ndim; i++)
    {
      t->shape[i] = shape[i];
      size *= (size_t) shape[i];
    }
  t->size = size;
  if (block == PB_BLOCK_PARAMS)
    {
      t->offset = self->n_params;
      self->n_params += size;
    }
  else
    {
      t->offset = self->n_buffers;
      self->n_buffers += size;
    }
  return self->n_tensors++;
}

static void
add_trunk_tensors (PbModel *self, Trunk *tr, const char *prefix)
{
  const PbArch *a = &self->arch;
  int in_c = tr->in_c;
  char name[32];

  for (int l = 0; l < PB_N_CONV; l++)
    {
      int c = a->channels[l];
      int wshape[4] = { c, in_c, a->kernel, a->kernel };

      snprintf (name, sizeof name, "conv%d.weight", l + 1);
      tr->conv_w[l] = add_tensor (self, prefix, name, PB_BLOCK_PARAMS, 4, wshape);
      snprintf (name, sizeof name, "conv%d.bias", l + 1);
      tr->conv_b[l] = add_tensor (self, prefix, name, PB_BLOCK_PARAMS, 1, &c);
      in_c = c;
      tr->bn_g[l] = tr->bn_b[l] = tr->bn_rm[l] = tr->bn_rv[l] = -1;
      if (!a->batch_norm)
        continue;
      snprintf (name, sizeof name, "bn%d.weight", l + 1);
      tr->bn_g[l] = add_tensor (self, prefix, name, PB_BLOCK_PARAMS, 1, &c);
      snprintf (name, sizeof name, "bn%d.bias", l + 1);
      tr->bn_b[l] = add_tensor (self, prefix, name, PB_BLOCK_PARAMS, 1, &c);
      snprintf (name, sizeof name, "bn%d.running_mean", l + 1);
      tr->bn_rm[l] = add_tensor (self, prefix, name, PB_BLOCK_BUFFERS, 1, &c);
      snprintf (name, sizeof name, "bn%d.running_var", l + 1);
      tr->bn_rv[l] = add_tensor (self, prefix, name, PB_BLOCK_BUFFERS, 1, &c);
    }

  int flat = a->channels[PB_N_CONV - 1] * self->geom.side[PB_N_CONV] * self->geom.side[PB_N_CONV];
  int fc1_shape[2] = { a->hidden, flat };
  int fc2_shape[2] = { tr->n_out, a->hidden };
  tr->fc1_w = add_tensor (self, prefix, "fc1.weight", PB_BLOCK_PARAMS, 2, fc1_shape);
  tr->fc1_b = add_tensor (self, prefix, "fc1.bias", PB_BLOCK_PARAMS, 1, &a->hidden);
  tr->fc2_w = add_tensor (self, prefix, "fc2.weight", PB_BLOCK_PARAMS, 2, fc2_shape);
  tr->fc2_b = add_tensor (self, prefix, "fc2.bias", PB_BLOCK_PARAMS, 1, &tr->n_out);
}

static void
build_table (PbModel *self)
{
  static const char *const twin_prefixes[2] = { "trunk_a.", "trunk_b." };
  const PbArch *a = &self->arch;
  int head_shape[2] = { 2, 2 * PB_N_DIGITS };
  int two = 2;

  self->n_trunks = a->kind == PB_KIND_TWIN ? 2 : 1;
  for (int t = 0; t < self->n_trunks; t++)
    {
      Trunk *tr = &self->trunks[t];
      tr->in_c = a->kind == PB_KIND_STACKED ? 2 : 1;
      tr->n_out = a->kind == PB_KIND_STACKED ? 2 * PB_N_DIGITS : PB_N_DIGITS;
      add_trunk_tensors (self, tr, a->kind == PB_KIND_TWIN ? twin_prefixes[t] : "trunk.");
    }
  self->head_w = self->head_b = -1;
  if (a->rule != PB_RULE_POSTERIOR)
    {
      self->head_w = add_tensor (self, "", "head.weight", PB_BLOCK_PARAMS, 2, head_shape);
      self->head_b = add_tensor (self, "", "head.bias", PB_BLOCK_PARAMS, 1, &two);
    }

  self->n_apps = a->kind == PB_KIND_STACKED ? 1 : 2;
  /* A siamese trunk could also make one pass over both images (groups = 2, N = 2B: one GEMM
   * of 2B columns per convolution, batch norm per half). Measured on a 2 MB-L2 core, two passes
   * of N = B are 10–15% faster: each pass's activations and im2col columns stay in L2, which
   * matters more than the wider GEMMs. The kernels support both (siamese_one_pass). */
  const bool siamese_one_pass = false;

  if (a->kind == PB_KIND_STACKED || (a->kind == PB_KIND_SIAMESE && siamese_one_pass))
    {
      self->n_passes = 1;
      self->passes[0] = (TrunkPass) {
        .trunk = 0, .groups = a->kind == PB_KIND_SIAMESE ? 2 : 1, .image = -1,
      };
    }
  else
    {
      self->n_passes = 2;
      for (int i = 0; i < 2; i++)
        self->passes[i] = (TrunkPass) {
          .trunk = a->kind == PB_KIND_TWIN ? i : 0, .groups = 1, .image = i,
        };
    }
}

size_t
pb_arch_param_count (const PbArch *arch)
{
  PbModel *m = calloc (1, sizeof *m);
  size_t n;

  if (m == NULL || trunk_geometry (arch, &m->geom) >= 0)
    {
      free (m);
      return 0;
    }
  m->arch = *arch;
  build_table (m);
  n = m->n_params;
  free (m);
  return n;
}

/* Activation layout, run twice: once to count (base NULL), once to hand out pointers. */

static float *
take (PbModel *self, size_t n)
{
  float *p = self->acts != NULL ? self->acts + self->acts_used : NULL;
  self->acts_used += n;
  return p;
}

static uint8_t *
take_bytes (PbModel *self, size_t n)
{
  uint8_t *p = self->argmax_block != NULL ? self->argmax_block + self->argmax_used : NULL;
  self->argmax_used += n;
  return p;
}

static PbConvShape conv_shape (const PbModel *self, const Trunk *tr, int l, int n_img);

static void
layout_activations (PbModel *self)
{
  const PbArch *a = &self->arch;
  const TrunkGeometry *g = &self->geom;
  size_t B = (size_t) self->max_batch;
  size_t largest_conv = 0;

  self->acts_used = 0;
  self->argmax_used = 0;
  for (int i = 0; i < self->n_passes; i++)
    {
      TrunkPass *ps = &self->passes[i];
      const Trunk *tr = &self->trunks[ps->trunk];
      size_t N = B * (size_t) ps->groups;
      size_t flat = (size_t) a->channels[PB_N_CONV - 1] * (size_t) g->side[PB_N_CONV]
                    * (size_t) g->side[PB_N_CONV];

      ps->x = take (self, N * (size_t) tr->in_c * PB_IMAGE_PIXELS);
      for (int l = 0; l < PB_N_CONV; l++)
        {
          size_t c = (size_t) a->channels[l];
          size_t conv = N * c * (size_t) g->conv_side[l] * (size_t) g->conv_side[l];
          size_t pooled = N * c * (size_t) g->side[l + 1] * (size_t) g->side[l + 1];
          PbConvShape cs = conv_shape (self, tr, l, (int) N);

          ps->conv[l] = take (self, conv);
          if (a->batch_norm)
            {
              ps->mean[l] = take (self, c * (size_t) ps->groups);
              ps->invstd[l] = take (self, c * (size_t) ps->groups);
            }
          ps->act[l] = take (self, pooled);
          ps->dact[l] = take (self, pooled);
          ps->argmax[l] = take_bytes (self, pooled);
          ps->work[l] = take (self, pb_conv2d_cm_workspace_floats (&cs));
          if (conv > largest_conv)
            largest_conv = conv;
        }
      ps->flat = take (self, N * flat);
      ps->dflat = take (self, N * flat);
      ps->hidden = take (self, N * (size_t) a->hidden);
      ps->dropped = take (self, N * (size_t) a->hidden);
      ps->mask = take (self, N * (size_t) a->hidden);
      ps->dhidden = take (self, N * (size_t) a->hidden);
      ps->ddropped = take (self, N * (size_t) a->hidden);
      ps->logits = take (self, N * (size_t) tr->n_out);
      ps->dlogits = take (self, N * (size_t) tr->n_out);
    }
  self->dconv = take (self, largest_conv);
  self->concat = take (self, B * 2 * PB_N_DIGITS);
  self->dconcat = take (self, B * 2 * PB_N_DIGITS);
  self->main_logits = take (self, B * 2);
  self->head_out = take (self, B * 2);
  self->post_logp = take (self, B * 2);
  self->post_scale = take (self, B);
  self->probs_main = take (self, B * 2);
  self->dmain = take (self, B * 2);
  for (int i = 0; i < 2; i++)
    {
      self->digits[i] = take (self, B * PB_N_DIGITS);
      self->probs_digit[i] = take (self, B * PB_N_DIGITS);
      self->ddigit[i] = take (self, B * PB_N_DIGITS);
    }
}

static PbConvShape
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

PbStatus
pb_model_new (const PbArch *arch, int max_batch, PbModel **out, PbError *err)
{
  PbModel *self;
  PbStatus st;

  *out = NULL;
  if ((st = pb_arch_validate (arch, err)) != PB_OK)
    return st;
  if (max_batch < 1)
    return pb_error_set (err, PB_ERR_INVALID, "batch size: expected ≥ 1, got %d", max_batch);

  self = calloc (1, sizeof *self);
  if (self == NULL)
    return pb_error_set (err, PB_ERR_NOMEM, "out of memory creating the model");
  self->arch = *arch;
  self->max_batch = max_batch;
  (void) trunk_geometry (arch, &self->geom);
  build_table (self);

  layout_activations (self);
  self->acts_floats = self->acts_used;
  self->argmax_bytes = self->argmax_used;

  self->params = calloc (self->n_params * 4, sizeof (float));
  self->buffers = calloc (self->n_buffers > 0 ? self->n_buffers : 1, sizeof (float));
  self->acts = calloc (self->acts_floats, sizeof (float));
  self->argmax_block = calloc (self->argmax_bytes, 1);
  self->digit_targets[0] = calloc (2 * (size_t) max_batch, 1);
  self->digit_targets[1] = self->digit_targets[0] != NULL ? self->digit_targets[0] + max_batch
                                                          : NULL;
  if (self->digit_targets[0] == NULL || self->params == NULL || self->buffers == NULL || self->acts == NULL
      || self->argmax_block == NULL)
    {
      size_t floats = self->n_params * 4 + self->acts_floats;
      pb_model_free (self);
      return pb_error_set (err, PB_ERR_NOMEM, "out of memory allocating the model's %zu floats",
                           floats);
    }
  self->grads = self->params + self->n_params;
  self->adam_m = self->grads + self->n_params;
  self->adam_v = self->adam_m + self->n_params;
  layout_activations (self);

  for (int t = 0; t < self->n_trunks; t++)
    for (int l = 0; l < PB_N_CONV && arch->batch_norm; l++)
      {
        float *rv = pb_model_tensor_data (self, self->trunks[t].bn_rv[l]);
        for (size_t i = 0; i < self->tensors[self->trunks[t].bn_rv[l]].size; i++)
          rv[i] = 1.0f;
      }

  *out = self;
  return PB_OK;
}

void
pb_model_free (PbModel *self)
{
  if (self == NULL)
    return;
  free (self->params);
  free (self->buffers);
  free (self->acts);
  free (self->argmax_block);
  free (self->digit_targets[0]);
  free (self);
}

void pb_model_set_profile (PbModel *self, PbProfile *profile) { self->profile = profile; }
PbProfile *pb_model_profile (const PbModel *self) { return self->profile; }
const PbArch *pb_model_arch (const PbModel *self) { return &self->arch; }
int pb_model_max_batch (const PbModel *self) { return self->max_batch; }
size_t pb_model_param_count (const PbModel *self) { return self->n_params; }
size_t pb_model_buffer_count (const PbModel *self) { return self->n_buffers; }
int pb_model_n_tensors (const PbModel *self) { return self->n_tensors; }
float *pb_model_params (PbModel *self) { return self->params; }
float *pb_model_grads (PbModel *self) { return self->grads; }
float *pb_model_adam_m (PbModel *self) { return self->adam_m; }
float *pb_model_adam_v (PbModel *self) { return self->adam_v; }
float *pb_model_buffers (PbModel *self) { return self->buffers; }
int pb_model_n_trunks (const PbModel *self) { return self->n_trunks; }
int pb_model_n_applications (const PbModel *self) { return self->n_apps; }
const float *pb_model_main_logits (const PbModel *self) { return self->main_logits; }
const float *pb_model_digit_logits (const PbModel *self) { return self->concat; }

const PbTensorInfo *
pb_model_tensor (const PbModel *self, int i)
{
  assert (i >= 0 && i < self->n_tensors);
  return &self->tensors[i];
}

int
pb_model_find_tensor (const PbModel *self, const char *name)
{
  for (int i = 0; i < self->n_tensors; i++)
    if (strcmp (self->tensors[i].name, name) == 0)
      return i;
  return -1;
}

float *
pb_model_tensor_data (PbModel *self, int i)
{
  const PbTensorInfo *t = pb_model_tensor (self, i);
  return (t->block == PB_BLOCK_PARAMS ? self->params : self->buffers) + t->offset;
}

int64_t
pb_model_batches_tracked (const PbModel *self, int trunk)
{
  assert (trunk >= 0 && trunk < self->n_trunks);
  return self->trunks[trunk].batches_tracked;
}

void
pb_model_set_batches_tracked (PbModel *self, int trunk, int64_t n)
{
  assert (trunk >= 0 && trunk < self->n_trunks);
  self->trunks[trunk].batches_tracked = n;
}

const char *
pb_model_trunk_prefix (const PbModel *self, int trunk)
{
  assert (trunk >= 0 && trunk < self->n_trunks);
  if (self->arch.kind != PB_KIND_TWIN)
    return "trunk";
  return trunk == 0 ? "trunk_a" : "trunk_b";
}

int
pb_model_feature_side (const PbModel *self, int layer)
{
  return self->geom.side[layer + 1];
}

void
pb_model_feature_maps (const PbModel *self, int application, int layer, int b, float *out)
{
  const TrunkPass *ps;
  int n;

  assert (layer >= 0 && layer < PB_N_CONV && b >= 0 && b < self->batch);
  if (self->n_passes == 2)
    {
      ps = &self->passes[application];
      n = b;
    }
  else
    {
      /* one pass: stacked (application 0) or siamese over both images (groups of B) */
      ps = &self->passes[0];
      n = ps->groups == 2 ? application * self->batch + b : b;
    }
  const int N = self->batch * ps->groups;
  const int C = self->arch.channels[layer];
  const size_t S = (size_t) self->geom.side[layer + 1] * (size_t) self->geom.side[layer + 1];
  for (int c = 0; c < C; c++)
    memcpy (out + (size_t) c * S, ps->act[layer] + ((size_t) c * N + (size_t) n) * S,
            S * sizeof (float));
}

const float *
pb_model_hidden (const PbModel *self, int application)
{
  assert (application >= 0 && application < self->n_apps);
  if (self->n_passes == 2)
    return self->passes[application].hidden;
  /* siamese: the second image's rows follow the first's */
  return self->passes[0].hidden + (size_t) application * self->batch * self->arch.hidden;
}

static void
fill_uniform (PbRng *rng, float *data, size_t n, float bound)
{
  for (size_t i = 0; i < n; i++)
    data[i] = (2.0f * pb_rng_uniform (rng) - 1.0f) * bound;
}

static void
init_affine (PbModel *self, PbRng *rng, int weight, int bias, int fan_in)
{
  float bound = 1.0f / sqrtf ((float) fan_in);
  fill_uniform (rng, pb_model_tensor_data (self, weight), self->tensors[weight].size, bound);
  fill_uniform (rng, pb_model_tensor_data (self, bias), self->tensors[bias].size, bound);
}

void
pb_model_init (PbModel *self, PbRng *rng)
{
  const PbArch *a = &self->arch;

  for (int t = 0; t < self->n_trunks; t++)
    {
      Trunk *tr = &self->trunks[t];
      int in_c = tr->in_c;

      for (int l = 0; l < PB_N_CONV; l++)
        {
          int c = a->channels[l];

          init_affine (self, rng, tr->conv_w[l], tr->conv_b[l], in_c * a->kernel * a->kernel);
          in_c = c;
          if (!a->batch_norm)
            continue;

          float *g = pb_model_tensor_data (self, tr->bn_g[l]);
          float *rv = pb_model_tensor_data (self, tr->bn_rv[l]);
          for (int i = 0; i < c; i++)
            {
              g[i] = 1.0f;
              rv[i] = 1.0f;
            }
          memset (pb_model_tensor_data (self, tr->bn_b[l]), 0, (size_t) c * sizeof (float));
          memset (pb_model_tensor_data (self, tr->bn_rm[l]), 0, (size_t) c * sizeof (float));
        }
      init_affine (self, rng, tr->fc1_w, tr->fc1_b, self->tensors[tr->fc1_w].shape[1]);
      init_affine (self, rng, tr->fc2_w, tr->fc2_b, a->hidden);
      tr->batches_tracked = 0;
    }
  if (self->head_w >= 0)
    init_affine (self, rng, self->head_w, self->head_b, 2 * PB_N_DIGITS);
  memset (self->grads, 0, self->n_params * 3 * sizeof (float));
}

void
pb_model_zero_grad (PbModel *self)
{
  memset (self->grads, 0, self->n_params * sizeof (float));
}

void
pb_model_copy_weights (PbModel *dst, const PbModel *src)
{
  assert (dst->n_params == src->n_params && dst->n_buffers == src->n_buffers);
  memcpy (dst->params, src->params, src->n_params * sizeof (float));
  memcpy (dst->buffers, src->buffers, src->n_buffers * sizeof (float));
  for (int t = 0; t < src->n_trunks; t++)
    dst->trunks[t].batches_tracked = src->trunks[t].batches_tracked;
}

#define P(i) pb_model_tensor_data (self, (i))
#define G(i) (self->grads + self->tensors[(i)].offset)

/* pb_linear_forward and the weight and input gradients of pb_linear_backward with their GEMMs
 * timed. in: [B, I]  weight: [O, I]  out: [B, O] */
static void
fc_forward (PbProfile *prof, int batch, int in_f, int out_f, const float *in,
            const float *weight, const float *bias, float *out)
{
  double t0 = pb_profile_start (prof);
  for (int b = 0; b < batch; b++)
    memcpy (out + (size_t) b * out_f, bias, (size_t) out_f * sizeof (float));
  pb_profile_part (prof, PB_PROF_ELTWISE, t0);
  pb_profile_sgemm (prof, false, true, batch, out_f, in_f, 1.0f, in, in_f, weight, in_f, 1.0f,
                    out, out_f);
}

/* dweight += doutᵀ · in, dbias += Σ dout, din = dout · weight (written) */
static void
fc_backward (PbProfile *prof, int batch, int in_f, int out_f, const float *in,
             const float *weight, const float *dout, float *dweight, float *dbias, float *din)
{
  pb_profile_sgemm (prof, true, false, out_f, in_f, batch, 1.0f, dout, out_f, in, in_f, 1.0f,
                    dweight, in_f);
  double t0 = pb_profile_start (prof);
  pb_linear_backward (batch, in_f, out_f, in, weight, dout, NULL, dbias, NULL);
  pb_profile_part (prof, PB_PROF_ELTWISE, t0);
  pb_profile_sgemm (prof, false, false, batch, in_f, out_f, 1.0f, dout, out_f, weight, in_f,
                    0.0f, din, in_f);
}

/* x: [B, 2, 14, 14] → ps->logits [N, n_out] */
static void
pass_forward (PbModel *self, TrunkPass *ps, const float *x, int B, bool training, PbRng *rng)
{
  const PbArch *a = &self->arch;
  Trunk *tr = &self->trunks[ps->trunk];
  const int N = B * ps->groups;
  const float *in = ps->x;
  PbProfile *prof = training ? self->profile : NULL;

  pb_profile_enter (prof, PB_PROF_CONV1, PB_PROF_FWD);
  double t0 = pb_profile_start (prof);
  /* [B, 2, P] → [2, B, P]: both layouts of the pass's input (the two groups of a siamese pass,
   * the two channels of a stacked one) put image h of pair b at h·B + b */
  for (int h = 0; h < 2; h++)
    if (ps->image < 0 || ps->image == h)
      for (int b = 0; b < B; b++)
        memcpy (ps->x + ((size_t) (ps->image < 0 ? h : 0) * B + b) * PB_IMAGE_PIXELS,
                x + ((size_t) b * 2 + (size_t) h) * PB_IMAGE_PIXELS,
                PB_IMAGE_PIXELS * sizeof (float));
  pb_profile_part (prof, PB_PROF_ELTWISE, t0);

  for (int l = 0; l < PB_N_CONV; l++)
    {
      PbConvShape cs = conv_shape (self, tr, l, N);
      int side = self->geom.conv_side[l];
      PbBnPoolShape bs = {
        .groups = ps->groups, .batch = B, .channels = a->channels[l], .h = side, .w = side,
      };

      /* Evaluation needs no batch statistics, so only the positions the pooling reads. */
      cs.pooled_only = bs.pooled_only = !training;
      cs.profile = prof;
      pb_profile_enter (prof, PB_PROF_CONV1 + l, PB_PROF_FWD);
      /* The bias is one per channel: with batch norm it moves the batch mean only and enters
       * through the normalisation; without, it commutes with the max and is added after it. */
      pb_conv2d_cm_forward (&cs, in, P (tr->conv_w[l]), NULL, ps->conv[l], ps->work[l]);
      t0 = pb_profile_start (prof);
      if (!a->batch_norm)
        pb_pool_relu_forward (&bs, ps->conv[l], P (tr->conv_b[l]), ps->act[l],
                              training ? ps->argmax[l] : NULL);
      else if (training)
        pb_bn_pool_relu_forward_train (&bs, ps->conv[l], P (tr->conv_b[l]), P (tr->bn_g[l]),
                                       P (tr->bn_b[l]), ps->mean[l], ps->invstd[l],
                                       P (tr->bn_rm[l]), P (tr->bn_rv[l]), PB_BN_MOMENTUM,
                                       PB_BN_EPS, ps->act[l], ps->argmax[l]);
      else
        pb_bn_pool_relu_forward_eval (&bs, ps->conv[l], P (tr->conv_b[l]), P (tr->bn_g[l]),
                                      P (tr->bn_b[l]), P (tr->bn_rm[l]), P (tr->bn_rv[l]),
                                      PB_BN_EPS, ps->act[l], NULL);
      pb_profile_part (prof, PB_PROF_BNPOOL, t0);
      in = ps->act[l];
    }
  if (training)
    tr->batches_tracked += ps->groups;

  /* [C, N, S] → [N, C·S] */
  const int C3 = a->channels[PB_N_CONV - 1];
  const int S = self->geom.side[PB_N_CONV] * self->geom.side[PB_N_CONV];
  const int flat = C3 * S;
  pb_profile_enter (prof, PB_PROF_FC1, PB_PROF_FWD);
  t0 = pb_profile_start (prof);
  for (int c = 0; c < C3; c++)
    for (int n = 0; n < N; n++)
      for (int p = 0; p < S; p++)
        ps->flat[(size_t) n * flat + (size_t) c * S + p] = in[((size_t) c * N + n) * S + p];
  pb_profile_part (prof, PB_PROF_ELTWISE, t0);

  size_t nh = (size_t) N * (size_t) a->hidden;
  fc_forward (prof, N, flat, a->hidden, ps->flat, P (tr->fc1_w), P (tr->fc1_b), ps->hidden);
  t0 = pb_profile_start (prof);
  if (a->hidden_act == PB_HIDDEN_RELU)
    pb_relu_forward (nh, ps->hidden, ps->hidden);
  if (training && a->dropout > 0.0f)
    pb_dropout_forward (nh, a->dropout, rng, ps->hidden, ps->dropped, ps->mask);
  else
    memcpy (ps->dropped, ps->hidden, nh * sizeof (float));
  pb_profile_part (prof, PB_PROF_ELTWISE, t0);
  pb_profile_enter (prof, PB_PROF_FC2, PB_PROF_FWD);
  fc_forward (prof, N, a->hidden, tr->n_out, ps->dropped, P (tr->fc2_w), P (tr->fc2_b),
              ps->logits);
}

/* ps->dlogits [N, n_out] → parameter gradients (added) */
static void
pass_backward (PbModel *self, TrunkPass *ps, int B)
{
  const PbArch *a = &self->arch;
  Trunk *tr = &self->trunks[ps->trunk];
  const int N = B * ps->groups;
  const int C3 = a->channels[PB_N_CONV - 1];
  const int S = self->geom.side[PB_N_CONV] * self->geom.side[PB_N_CONV];
  const int flat = C3 * S;
  const int H = a->hidden;
  size_t nh = (size_t) N * (size_t) H;
  PbProfile *prof = self->profile;

  /* fc2, fc1: the weight and bias gradients add; the input gradients are written (beta 0) */
  pb_profile_enter (prof, PB_PROF_FC2, PB_PROF_BWD);
  fc_backward (prof, N, H, tr->n_out, ps->dropped, P (tr->fc2_w), ps->dlogits, G (tr->fc2_w),
               G (tr->fc2_b), ps->ddropped);
  pb_profile_enter (prof, PB_PROF_FC1, PB_PROF_BWD);
  double t0 = pb_profile_start (prof);
  if (a->dropout > 0.0f)
    {
      memset (ps->dhidden, 0, nh * sizeof (float));
      pb_dropout_backward (nh, ps->mask, ps->ddropped, ps->dhidden);
    }
  else
    memcpy (ps->dhidden, ps->ddropped, nh * sizeof (float));
  /* ReLU backward in place: hidden holds its output, the gradient passes where it is > 0 */
  if (a->hidden_act == PB_HIDDEN_RELU)
    for (size_t i = 0; i < nh; i++)
      if (!(ps->hidden[i] > 0.0f))
        ps->dhidden[i] = 0.0f;
  pb_profile_part (prof, PB_PROF_ELTWISE, t0);

  fc_backward (prof, N, flat, H, ps->flat, P (tr->fc1_w), ps->dhidden, G (tr->fc1_w),
               G (tr->fc1_b), ps->dflat);
  pb_profile_enter (prof, PB_PROF_CONV3, PB_PROF_BWD);
  t0 = pb_profile_start (prof);
  float *dlast = ps->dact[PB_N_CONV - 1];
  for (int c = 0; c < C3; c++)
    for (int n = 0; n < N; n++)
      for (int p = 0; p < S; p++)
        dlast[((size_t) c * N + n) * S + p] = ps->dflat[(size_t) n * flat + (size_t) c * S + p];
  pb_profile_part (prof, PB_PROF_ELTWISE, t0);

  for (int l = PB_N_CONV - 1; l >= 0; l--)
    {
      PbConvShape cs = conv_shape (self, tr, l, N);
      int side = self->geom.conv_side[l];
      PbBnPoolShape bs = {
        .groups = ps->groups, .batch = B, .channels = a->channels[l], .h = side, .w = side,
      };

      cs.profile = prof;
      pb_profile_enter (prof, PB_PROF_CONV1 + l, PB_PROF_BWD);
      t0 = pb_profile_start (prof);
      if (a->batch_norm)
        pb_bn_pool_relu_backward (&bs, ps->conv[l], ps->mean[l], ps->invstd[l],
                                  P (tr->bn_g[l]), ps->act[l], ps->argmax[l], ps->dact[l],
                                  G (tr->bn_g[l]), G (tr->bn_b[l]), G (tr->conv_b[l]),
                                  self->dconv);
      else
        pb_pool_relu_backward (&bs, ps->act[l], ps->argmax[l], ps->dact[l], G (tr->conv_b[l]),
                               self->dconv);
      pb_profile_part (prof, PB_PROF_BNPOOL, t0);
      pb_conv2d_cm_backward (&cs, l == 0 ? ps->x : ps->act[l - 1], P (tr->conv_w[l]),
                             self->dconv, G (tr->conv_w[l]), NULL,
                             l > 0 ? ps->dact[l - 1] : NULL, ps->work[l]);
    }
}

/* log((e^x + e^y) / 2) */
static double
log_mean_exp (double x, double y)
{
  double m = x > y ? x : y;
  return m + log ((exp (x - m) + exp (y - m)) / 2.0);
}

/* log softmax of a row of two logits: out [2] */
static void
log_softmax2 (const float *z, double *out)
{
  double m = z[0] > z[1] ? z[0] : z[1];
  double lse = m + log (exp ((double) z[0] - m) + exp ((double) z[1] - m));
  out[0] = (double) z[0] - lse;
  out[1] = (double) z[1] - lse;
}

/* concat [B, 20] → main_logits [B, 2] */
static void
rule_forward (PbModel *self, int B)
{
  switch (self->arch.rule)
    {
    case PB_RULE_HEAD:
      pb_linear_forward (B, 2 * PB_N_DIGITS, 2, self->concat, P (self->head_w),
                         P (self->head_b), self->main_logits);
      break;
    case PB_RULE_POSTERIOR:
      pb_posterior_forward (B, self->concat, self->main_logits);
      break;
    case PB_RULE_BOTH:
      pb_linear_forward (B, 2 * PB_N_DIGITS, 2, self->concat, P (self->head_w),
                         P (self->head_b), self->head_out);
      pb_posterior_forward (B, self->concat, self->post_logp);
      /* [log((h0 + q0)/2), log((h1 + q1)/2)], h the head's softmax and q the posterior */
      for (int b = 0; b < B; b++)
        {
          double lh[2];
          log_softmax2 (self->head_out + 2 * b, lh);
          for (int c = 0; c < 2; c++)
            self->main_logits[2 * b + c] = (float) log_mean_exp (lh[c], self->post_logp[2 * b + c]);
        }
      break;
    }
}

/* The main loss −log P(label) is the cross-entropy of the main logits under every rule (their
 * softmax is the rule's probabilities); its gradient flows into dconcat [B, 20] (added) and
 * the head's parameters. */
static void
rule_backward (PbModel *self, const uint8_t *labels, int B)
{
  switch (self->arch.rule)
    {
    case PB_RULE_HEAD:
      memset (self->dmain, 0, (size_t) B * 2 * sizeof (float));
      pb_cross_entropy_backward (B, 2, self->probs_main, labels, 1.0f, self->dmain);
      pb_linear_backward (B, 2 * PB_N_DIGITS, 2, self->concat, P (self->head_w), self->dmain,
                          G (self->head_w), G (self->head_b), self->dconcat);
      break;
    case PB_RULE_POSTERIOR:
      for (int b = 0; b < B; b++)
        self->post_scale[b] = 1.0f / (float) B;
      pb_posterior_backward (B, self->concat, labels, self->post_scale, self->dconcat);
      break;
    case PB_RULE_BOTH:
      /* −log((h_y + q_y)/2): each part gets the gradient of its own −log, weighted by its share
       * α = h_y / (h_y + q_y) of the mixture */
      for (int b = 0; b < B; b++)
        {
          const int y = labels[b];
          double lh[2];
          log_softmax2 (self->head_out + 2 * b, lh);
          const double alpha = 1.0 / (1.0 + exp ((double) self->post_logp[2 * b + y] - lh[y]));
          for (int c = 0; c < 2; c++)
            self->dmain[2 * b + c] = (float) (alpha / B * (exp (lh[c]) - (c == y ? 1.0 : 0.0)));
          self->post_scale[b] = (float) ((1.0 - alpha) / B);
        }
      pb_linear_backward (B, 2 * PB_N_DIGITS, 2, self->concat, P (self->head_w), self->dmain,
                          G (self->head_w), G (self->head_b), self->dconcat);
      pb_posterior_backward (B, self->concat, labels, self->post_scale, self->dconcat);
      break;
    }
}

void
pb_model_forward (PbModel *self, const float *x, int batch, bool training, PbRng *rng)
{
  assert (batch >= 1 && batch <= self->max_batch);
  self->batch = batch;
  self->last_training = training;

  for (int i = 0; i < self->n_passes; i++)
    pass_forward (self, &self->passes[i], x, batch, training, rng);

  PbProfile *prof = training ? self->profile : NULL;
  double t0 = pb_profile_start (prof);
  /* logits → concat [B, 20]: the first image's 10 digit logits, then the second's */
  for (int b = 0; b < batch; b++)
    {
      float *row = self->concat + (size_t) b * 2 * PB_N_DIGITS;
      if (self->n_apps == 1)
        memcpy (row, self->passes[0].logits + (size_t) b * 2 * PB_N_DIGITS,
                2 * PB_N_DIGITS * sizeof (float));
      else
        for (int i = 0; i < 2; i++)
          {
            const float *src = self->n_passes == 2
                               ? self->passes[i].logits + (size_t) b * PB_N_DIGITS
                               : self->passes[0].logits + ((size_t) i * batch + b) * PB_N_DIGITS;
            memcpy (row + i * PB_N_DIGITS, src, PB_N_DIGITS * sizeof (float));
          }
      for (int i = 0; i < 2; i++)
        memcpy (self->digits[i] + (size_t) b * PB_N_DIGITS, row + i * PB_N_DIGITS,
                PB_N_DIGITS * sizeof (float));
    }
  rule_forward (self, batch);
  pb_profile_add (prof, pb_profile_slot (PB_PROF_HEAD, PB_PROF_FWD, PB_PROF_ELTWISE), t0);
}

PbLoss
pb_model_loss (PbModel *self, const uint8_t *classes, const uint8_t *labels)
{
  int B = self->batch;
  PbLoss loss = { 0 };
  PbProfile *prof = self->last_training ? self->profile : NULL;
  double t0 = pb_profile_start (prof);

  loss.main = pb_cross_entropy_forward (B, 2, self->main_logits, labels, self->probs_main);
  for (int i = 0; i < 2; i++)
    {
      uint8_t *digit_targets = self->digit_targets[i];
      for (int b = 0; b < B; b++)
        digit_targets[b] = classes[2 * b + i];
      loss.aux += pb_cross_entropy_forward (B, PB_N_DIGITS, self->digits[i], digit_targets,
                                            self->probs_digit[i]);
    }
  loss.total = loss.main + (self->arch.aux ? (double) self->arch.aux_weight * loss.aux : 0.0);
  pb_profile_add (prof, PB_PROF_LOSS, t0);
  return loss;
}

void
pb_model_backward (PbModel *self, const uint8_t *classes, const uint8_t *labels)
{
  int B = self->batch;
  size_t nc = (size_t) B * 2 * PB_N_DIGITS;

  PbProfile *prof = self->profile;
  double t0 = pb_profile_start (prof);

  assert (self->last_training);
  memset (self->dconcat, 0, nc * sizeof (float));
  rule_backward (self, labels, B);
  pb_profile_add (prof, pb_profile_slot (PB_PROF_HEAD, PB_PROF_BWD, PB_PROF_ELTWISE), t0);
  t0 = pb_profile_start (prof);
  if (self->arch.aux)
    for (int i = 0; i < 2; i++)
      {
        memset (self->ddigit[i], 0, (size_t) B * PB_N_DIGITS * sizeof (float));
        pb_cross_entropy_backward (B, PB_N_DIGITS, self->probs_digit[i], self->digit_targets[i],
                                   self->arch.aux_weight, self->ddigit[i]);
        for (int b = 0; b < B; b++)
          for (int j = 0; j < PB_N_DIGITS; j++)
            self->dconcat[(size_t) b * 2 * PB_N_DIGITS + (size_t) (i * PB_N_DIGITS + j)]
              += self->ddigit[i][(size_t) b * PB_N_DIGITS + (size_t) j];
      }
  (void) classes;
  pb_profile_add (prof, PB_PROF_LOSS, t0);
  t0 = pb_profile_start (prof);

  for (int b = 0; b < B; b++)
    {
      const float *row = self->dconcat + (size_t) b * 2 * PB_N_DIGITS;
      if (self->n_apps == 1)
        memcpy (self->passes[0].dlogits + (size_t) b * 2 * PB_N_DIGITS, row,
                2 * PB_N_DIGITS * sizeof (float));
      else
        for (int i = 0; i < 2; i++)
          {
            float *dst = self->n_passes == 2
                         ? self->passes[i].dlogits + (size_t) b * PB_N_DIGITS
                         : self->passes[0].dlogits + ((size_t) i * B + b) * PB_N_DIGITS;
            memcpy (dst, row + i * PB_N_DIGITS, PB_N_DIGITS * sizeof (float));
          }
    }
  pb_profile_add (prof, pb_profile_slot (PB_PROF_HEAD, PB_PROF_BWD, PB_PROF_ELTWISE), t0);
  for (int i = self->n_passes - 1; i >= 0; i--)
    pass_backward (self, &self->passes[i], B);
}
