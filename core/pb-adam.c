/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "pb-adam.h"

#include <math.h>
#include <stdbool.h>

/* As torch.optim.AdamW: p ← p·(1 − lr·wd), then Adam's step
 * lr / (1 − β1ᵗ) · m / (sqrt(v) / sqrt(1 − β2ᵗ) + eps). With wd = 0 the factor is exactly 1, and
 * the loop skips it so that plain Adam stays as it was. */
void
pb_adam_step (const PbAdam *adam, size_t n, float *params, const float *grads, float *m, float *v,
              long t)
{
  float b1 = adam->beta1, b2 = adam->beta2;
  float step = (float) ((double) adam->lr / (1.0 - pow ((double) b1, (double) t)));
  float v_scale = (float) (1.0 / sqrt (1.0 - pow ((double) b2, (double) t)));
  float keep = (float) (1.0 - (double) adam->lr * (double) adam->weight_decay);
  bool decay = adam->weight_decay != 0.0f;

  for (size_t i = 0; i < n; i++)
    {
      float g = grads[i];
      if (decay)
        params[i] *= keep;
      m[i] = b1 * m[i] + (1.0f - b1) * g;
      v[i] = b2 * v[i] + (1.0f - b2) * g * g;
      params[i] -= step * m[i] / (sqrtf (v[i]) * v_scale + adam->eps);
    }
}
