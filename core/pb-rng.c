/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "pb-rng.h"

#include <math.h>

void
pb_rng_seed (PbRng *self, uint64_t seed, uint64_t stream)
{
  self->state = 0;
  self->inc = (stream << 1u) | 1u;
  pb_rng_u32 (self);
  self->state += seed;
  pb_rng_u32 (self);
}

uint32_t
pb_rng_u32 (PbRng *self)
{
  uint64_t old = self->state;
  self->state = old * 6364136223846793005ULL + self->inc;
  uint32_t xorshifted = (uint32_t) (((old >> 18u) ^ old) >> 27u);
  uint32_t rot = (uint32_t) (old >> 59u);
  return (xorshifted >> rot) | (xorshifted << ((-rot) & 31));
}

uint32_t
pb_rng_below (PbRng *self, uint32_t bound)
{
  uint32_t threshold = -bound % bound;
  for (;;)
    {
      uint32_t r = pb_rng_u32 (self);
      if (r >= threshold)
        return r % bound;
    }
}

float
pb_rng_uniform (PbRng *self)
{
  return (float) (pb_rng_u32 (self) >> 8) * (1.0f / 16777216.0f);
}

double
pb_rng_uniform_double (PbRng *self)
{
  uint64_t hi = pb_rng_u32 (self) >> 5, lo = pb_rng_u32 (self) >> 6;
  return ((double) hi * 67108864.0 + (double) lo) * (1.0 / 9007199254740992.0);
}

double
pb_rng_normal (PbRng *self)
{
  double u1 = pb_rng_uniform_double (self);
  double u2 = pb_rng_uniform_double (self);
  if (u1 < 1e-300)
    u1 = 1e-300;
  return sqrt (-2.0 * log (u1)) * cos (2.0 * M_PI * u2);
}

void
pb_rng_shuffle (PbRng *self, int *items, int n)
{
  for (int i = n - 1; i > 0; i--)
    {
      int j = (int) pb_rng_below (self, (uint32_t) i + 1);
      int t = items[i];
      items[i] = items[j];
      items[j] = t;
    }
}
