/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "pb-adam.h"

#include <math.h>

/* As torch.optim.Adam: the step is lr / (1 − β1ᵗ) · m / (sqrt(v) / sqrt(1 − β2ᵗ) + eps). */
void
pb_adam_step (const PbAdam *adam, size_t n, float *params, const float *grads, float *m, float *v,
              long t)
{
  float b1 = adam->beta1, b2 = adam->beta2;
  float step = (float) ((double) adam->lr / (1.0 - pow ((double) b1, (double) t)));
  float v_scale = (float) (1.0 / sqrt (1.0 - pow ((double) b2, (double) t)));

  for (size_t i = 0; i < n; i++)
    {
      float g = grads[i];
      m[i] = b1 * m[i] + (1.0f - b1) * g;
      v[i] = b2 * v[i] + (1.0f - b2) * g * g;
      params[i] -= step * m[i] / (sqrtf (v[i]) * v_scale + adam->eps);
    }
}
