/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Weights as safetensors with PyTorch's state_dict names, so that
 * `model.load_state_dict (load_file (path), strict=True)` works (docs/pytorch.md). */

#include <stdint.h>

#include "pb-json.h"
#include "pb-model.h"
#include "pb-status.h"
#include "pb-train.h"

typedef struct
{
  PbTrainSettings settings;   /* from the "settings" metadata (model defaults where absent) */
  double input_mean;
  double input_std;
  uint64_t seed;
} PbWeightsInfo;

PbStatus pb_safetensors_save (const char *path, PbModel *model, const PbTrainSettings *settings,
                              double input_mean, double input_std, PbError *err);
/* The same, with the learning-rate changes made while it trained in the "lr_changes" metadata
 * (a JSON array of {step, epoch, lr}; absent when there are none). */
PbStatus pb_safetensors_save_with_lr_changes (const char *path, PbModel *model,
                                              const PbTrainSettings *settings, double input_mean,
                                              double input_std, const PbLrChange *lr_changes,
                                              int n_lr_changes, PbError *err);
/* Builds the model the metadata names (max_batch pairs per forward) and fills it. */
PbStatus pb_safetensors_load (const char *path, int max_batch, PbModel **model,
                              PbWeightsInfo *info, PbError *err);
/* The same, from memory (what names the source in messages). */
PbStatus pb_safetensors_load_bytes (const uint8_t *data, size_t len, const char *what,
                                    int max_batch, PbModel **model, PbWeightsInfo *info,
                                    PbError *err);

/* Every architecture and training setting as one JSON object. */
void     pb_train_settings_append_json (const PbTrainSettings *settings, PbStr *out);
/* Reads what pb_train_settings_append_json wrote; keys that are absent keep their value. */
PbStatus pb_train_settings_from_json (const PbJson *obj, PbTrainSettings *settings,
                                      const char *what, PbError *err);
