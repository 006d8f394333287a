/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* What the parts of a run share: pb-train.c (the settings, the training loop, evaluation,
 * predictions and the study) and pb-train-data.c (the run's pairs, augmentation and buffers:
 * pb_run_new and pb_run_free). Not installed; core/ only. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pb-adam.h"
#include "pb-train.h"

struct PbRun
{
  PbTrainSettings s;
  PbPairs train, val, test, augmented;
  PbPairs current;   /* the epoch's training set, when augmenting per epoch */
  float *angles;
  double mean, std;
  PbModel *model;
  PbAdam adam;
  float base_lr;
  long step, total_steps;
  bool per_epoch;
  bool skip_test;    /* pb_run_skip_test */
  int current_epoch; /* 0-based epoch that current and train_x hold */

  float *train_x;    /* [n_aug, 2, 14, 14], standardised */
  float *orig_x;     /* [n_train, ...], standardised: the first n_train rows of train_x, or
                      * its own buffer when train_x changes every epoch */
  float *val_x;      /* [n_val, ...], standardised, or NULL */
  float *test_x;     /* [n_test, ...], standardised */
  int *order;        /* [n_aug] */
  int *pool_perm;    /* [2 n_aug]: the image slots of an epoch's pairs */
  float *batch_x;    /* [batch, 2, 14, 14] */
  uint8_t *batch_classes, *batch_labels;
  uint8_t *eval_pred;   /* [max(n_train, n_val, n_test)] */
  uint8_t *eval_digits; /* [max(...), 2] */

  PbRng shuffle_rng, dropout_rng;
  int batches_per_epoch;
  int epoch;         /* 0-based epoch in progress */
  int batch_index;   /* next batch within the epoch */
  double loss_sum, main_sum, aux_sum;

  PbEpochRecord *epochs;
  int n_epochs_done;
  PbBatchRecord *batches;
  int n_batches_done;
  PbLrChange lr_changes[PB_MAX_LR_CHANGES];
  int n_lr_changes;

  double started, train_seconds, eval_seconds;
};

static inline void
standardise (const PbPairs *pairs, double mean, double std, float *out)
{
  size_t n = (size_t) pairs->n * PB_PAIR_FLOATS;
  float m = (float) mean, inv = (float) (1.0 / std);
  for (size_t i = 0; i < n; i++)
    out[i] = (pairs->images[i] - m) * inv;
}

/* Epoch e's (0-based) training set from the augmented pairs (pb-train-data.c). */
void pb_run_build_epoch (const PbRun *self, int epoch, PbPairs *out, int *perm,
                         PbAugmentInfo *info);
