/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "pb-model.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pb-data.h"
#include "pb-layers.h"
#include "pb-model-private.h"

#define MAX(a, b) ((a) > (b) ? (a) : (b))

const char *const pb_model_names[PB_N_MODEL_NAMES] = {
  "siamese", "siamese-aux", "twin", "twin-aux", "stacked", "stacked-aux",
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
