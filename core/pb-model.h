/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* A pair model described as data: an architecture (PbArch) expands into trunk applications and a
 * table of named tensors. Parameters, gradients and both Adam moments are four blocks of one
 * layout, so the optimiser is one flat loop and saving is one walk over the table (llm.c). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pb-profile.h"
#include "pb-rng.h"
#include "pb-status.h"

typedef enum
{
  PB_KIND_SIAMESE, /* one trunk, applied to each image */
  PB_KIND_TWIN,    /* one trunk per image, no weight sharing */
  PB_KIND_STACKED, /* the report's baseline: the pair as a 2-channel image */
} PbKind;

#define PB_N_CONV 3

/* What follows fc1 in a trunk. */
typedef enum
{
  PB_HIDDEN_NONE, /* the report's: fc1 → fc2 directly */
  PB_HIDDEN_RELU, /* fc1 → ReLU → (dropout) → fc2 */
} PbHiddenAct;

/* How the pair's label is decided from the 20 digit logits. */
typedef enum
{
  PB_RULE_HEAD,      /* the report's learned Linear(20 → 2) head on the concatenated logits */
  PB_RULE_POSTERIOR, /* P(first > second) = Σ_{i>j} p1(i)·p2(j) from the two digit softmaxes;
                        no head tensors */
  PB_RULE_BOTH,      /* the average of the head's P(label = 1) and the posterior */
} PbRule;

typedef struct
{
  PbKind kind;
  bool aux;                   /* add the digit cross-entropies to the loss */
  float aux_weight;           /* their weight (default 1) */
  int kernel;                 /* conv kernel size (2) */
  int channels[PB_N_CONV];    /* 16, 64, 128 */
  int padding[PB_N_CONV];     /* 0, 1, 1 */
  int hidden;                 /* fc1 width (64) */
  float dropout;              /* before fc2 (0) */
  PbHiddenAct hidden_act;     /* after fc1 (PB_HIDDEN_NONE) */
  bool batch_norm;            /* conv → BN → pool → ReLU (true); off: conv → pool → ReLU */
  PbRule rule;                /* decision rule (PB_RULE_HEAD) */
} PbArch;

#define PB_N_MODEL_NAMES 6
extern const char *const pb_model_names[PB_N_MODEL_NAMES];

/* The report's defaults for the named model ("siamese", "twin-aux", "stacked", …). */
PbStatus pb_arch_from_name (const char *name, PbArch *out, PbError *err);
/* "siamese-aux" etc.; static storage. */
const char *pb_arch_name (const PbArch *arch);
/* The auxiliary loss is on with a weight above 0. Without it only the pair head learns, and the
 * digit outputs' error means nothing. */
bool pb_arch_trains_digits (const PbArch *arch);
/* Checks that the trunk's spatial sizes stay ≥ 1 and the settings are in range. */
PbStatus pb_arch_validate (const PbArch *arch, PbError *err);
size_t pb_arch_param_count (const PbArch *arch);

/* "none", "relu" / "head", "posterior", "both": the names the settings JSON uses. */
const char *pb_hidden_act_name (PbHiddenAct act);
PbStatus pb_hidden_act_from_name (const char *name, PbHiddenAct *out, PbError *err);
const char *pb_rule_name (PbRule rule);
PbStatus pb_rule_from_name (const char *name, PbRule *out, PbError *err);

typedef enum
{
  PB_BLOCK_PARAMS,  /* trainable: has a gradient and Adam moments */
  PB_BLOCK_BUFFERS, /* batch-norm running statistics */
} PbBlock;

typedef struct
{
  char name[48];      /* PyTorch state_dict name, e.g. "trunk.bn1.running_var" */
  PbBlock block;
  int ndim;
  int shape[4];
  size_t offset;      /* in floats, into its block */
  size_t size;        /* in floats */
} PbTensorInfo;

typedef struct PbModel PbModel;

/* Sizes every activation for up to max_batch pairs; nothing is allocated afterwards. */
PbStatus pb_model_new (const PbArch *arch, int max_batch, PbModel **out, PbError *err);
void     pb_model_free (PbModel *self);

const PbArch *pb_model_arch (const PbModel *self);
int      pb_model_max_batch (const PbModel *self);
size_t   pb_model_param_count (const PbModel *self);
size_t   pb_model_buffer_count (const PbModel *self);
int      pb_model_n_tensors (const PbModel *self);
const PbTensorInfo *pb_model_tensor (const PbModel *self, int i);
int      pb_model_find_tensor (const PbModel *self, const char *name);
float   *pb_model_tensor_data (PbModel *self, int i);

float   *pb_model_params (PbModel *self);
float   *pb_model_grads (PbModel *self);
float   *pb_model_adam_m (PbModel *self);
float   *pb_model_adam_v (PbModel *self);
float   *pb_model_buffers (PbModel *self);
/* Training forwards through each trunk, PyTorch's num_batches_tracked (a siamese trunk counts
 * two per step). */
int      pb_model_n_trunks (const PbModel *self);
int64_t  pb_model_batches_tracked (const PbModel *self, int trunk);
void     pb_model_set_batches_tracked (PbModel *self, int trunk, int64_t n);
/* "trunk", "trunk_a", "trunk_b": the PyTorch attribute name of a trunk. */
const char *pb_model_trunk_prefix (const PbModel *self, int trunk);

/* PyTorch's default initialisation: conv/linear weight and bias uniform in ±1/sqrt(fan_in),
 * batch norm γ = 1, β = 0, running mean 0, running var 1. Adam moments are zeroed. */
void     pb_model_init (PbModel *self, PbRng *rng);
void     pb_model_zero_grad (PbModel *self);
/* Times the training steps' forward and backward into profile (NULL: off; see pb-profile.h). */
void     pb_model_set_profile (PbModel *self, PbProfile *profile);
PbProfile *pb_model_profile (const PbModel *self);
/* Copies parameters and buffers (not gradients or moments) of a model with the same arch. */
void     pb_model_copy_weights (PbModel *dst, const PbModel *src);

/* x: [B, 2, 14, 14], standardised. Training mode uses batch statistics, moves the running ones
 * and applies dropout with rng; eval mode uses running statistics and no dropout.
 * After it: main logits [B, 2] and digit logits [B, 20] (first image's 10, then the second's).
 * The main logits follow the rule: the head's output, or [log(1 − p), log p] with p the
 * rule's P(label = 1), so that softmax gives the rule's probabilities and o[1] > o[0] its
 * decision in every case. */
void     pb_model_forward (PbModel *self, const float *x, int batch, bool training, PbRng *rng);
const float *pb_model_main_logits (const PbModel *self);
const float *pb_model_digit_logits (const PbModel *self);
/* The fc1 output (after the hidden activation, before dropout) of trunk application a:
 * [B, hidden] (stacked: a = 0 only). */
const float *pb_model_hidden (const PbModel *self, int application);
int      pb_model_n_applications (const PbModel *self);
/* Side of conv layer l's output after pooling (the feature maps' height and width). */
int      pb_model_feature_side (const PbModel *self, int layer);
/* Copies conv layer l's feature maps (after batch norm if any, pooling and ReLU) of pair b from the
 * last forward, for trunk application a (stacked: a = 0).
 * out: [channels[l], side, side] with side = pb_model_feature_side (self, l) */
void     pb_model_feature_maps (const PbModel *self, int application, int layer, int b,
                                float *out);

typedef struct
{
  double main;  /* −log of the rule's probability of the label, mean over the batch */
  double aux;   /* CE(digit 1) + CE(digit 2), unweighted; computed for every model */
  double total; /* main, plus aux_weight · aux when arch.aux */
} PbLoss;

/* Needs the forward just before it. classes: [B, 2]  labels: [B] */
PbLoss   pb_model_loss (PbModel *self, const uint8_t *classes, const uint8_t *labels);
/* Adds d(total)/d(params) into the gradient block; needs pb_model_loss just before it. */
void     pb_model_backward (PbModel *self, const uint8_t *classes, const uint8_t *labels);
