/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <stddef.h>

typedef struct
{
  float lr;
  float beta1;
  float beta2;
  float eps;
  float weight_decay; /* decoupled, as torch.optim.AdamW; 0 is plain Adam */
} PbAdam;

/* One step over flat blocks of n floats; t is the 1-based step count (bias correction). */
void pb_adam_step (const PbAdam *adam, size_t n, float *params, const float *grads, float *m,
                   float *v, long t);
