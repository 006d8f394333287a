/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* A run's name says what sets it apart from the report: its base (the model, or a preset such as
 * "best" when the run is closer to it), the settings that differ from that base, and the seed,
 * e.g. "siamese-aux · k3 · lr 0.002 · seed 3" or "best · seed 1". The settings are written as
 * short technical tokens in the C locale ("k3", "ch 32-64-64", "lr 0.002", "cosine"), the same
 * in every language; the app translates only the joining "seed" part. */

#include <stddef.h>
#include <stdint.h>

#include "pb-train.h"

#define PB_RUN_NAME_MAX 512

typedef struct
{
  const char *base;                  /* a model or preset name; static storage */
  char differences[PB_RUN_NAME_MAX]; /* " · "-separated in settings order, "" when none */
  int n_differences;
  uint64_t seed;
} PbRunName;

void pb_run_name_describe (const PbTrainSettings *settings, PbRunName *out);
/* The whole name as above into buf (truncated to size − 1 bytes); returns its length untruncated,
 * as snprintf does. */
int  pb_run_name_format (const PbTrainSettings *settings, char *buf, size_t size);
