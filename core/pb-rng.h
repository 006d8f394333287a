/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <stdint.h>

/* PCG32 (O'Neill 2014): small state, so every run and thread owns its own stream. */
typedef struct
{
  uint64_t state;
  uint64_t inc;
} PbRng;

void     pb_rng_seed    (PbRng *self, uint64_t seed, uint64_t stream);
uint32_t pb_rng_u32     (PbRng *self);
/* Uniform in [0, bound), without modulo bias. */
uint32_t pb_rng_below   (PbRng *self, uint32_t bound);
/* Uniform in [0, 1) with 24 bits, exactly representable as float. */
float    pb_rng_uniform (PbRng *self);
double   pb_rng_uniform_double (PbRng *self);
/* Standard normal (Box-Muller, no cached second value so the stream stays simple). */
double   pb_rng_normal  (PbRng *self);
/* Fisher-Yates shuffle of n ints. */
void     pb_rng_shuffle (PbRng *self, int *items, int n);
