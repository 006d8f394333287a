/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "pb-layers.h"

#include <assert.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- digit posterior --------------------------------------------------------------------- */

#define PB_DIGITS 10

/* log P(event) for one pair, event "first > second" when greater, else "first ≤ second".
 * z1, z2: [10]. With the optional outputs: p1, p2 the two softmaxes and r1, r2 the digit
 * distributions given the event. All in double. */
static double
posterior_event (const float *z1, const float *z2, bool greater, double *p1, double *p2,
                 double *r1, double *r2)
{
  double a[PB_DIGITS], b[PB_DIGITS], m1 = z1[0], m2 = z2[0], la = 0.0, lb = 0.0;
  double top = -INFINITY, sum = 0.0;

  for (int i = 1; i < PB_DIGITS; i++)
    {
      m1 = fmax (m1, z1[i]);
      m2 = fmax (m2, z2[i]);
    }
  for (int i = 0; i < PB_DIGITS; i++)
    {
      a[i] = (double) z1[i] - m1;
      b[i] = (double) z2[i] - m2;
      la += exp (a[i]);
      lb += exp (b[i]);
    }
  la = log (la);
  lb = log (lb);
  for (int i = 0; i < PB_DIGITS; i++)
    for (int j = 0; j < PB_DIGITS; j++)
      if ((i > j) == greater && a[i] + b[j] > top)
        top = a[i] + b[j];
  if (r1 != NULL)
    for (int i = 0; i < PB_DIGITS; i++)
      r1[i] = r2[i] = 0.0;
  for (int i = 0; i < PB_DIGITS; i++)
    for (int j = 0; j < PB_DIGITS; j++)
      if ((i > j) == greater)
        {
          double w = exp (a[i] + b[j] - top);
          sum += w;
          if (r1 != NULL)
            {
              r1[i] += w;
              r2[j] += w;
            }
        }
  if (r1 != NULL)
    for (int i = 0; i < PB_DIGITS; i++)
      {
        r1[i] /= sum;
        r2[i] /= sum;
        p1[i] = exp (a[i] - la);
        p2[i] = exp (b[i] - lb);
      }
  return top + log (sum) - la - lb;
}

double
pb_digit_posterior (const float *logits1, const float *logits2)
{
  return exp (posterior_event (logits1, logits2, true, NULL, NULL, NULL, NULL));
}

/* digits: [B, 20] → logp: [B, 2] */
void
pb_posterior_forward (int batch, const float *digits, float *logp)
{
  for (int b = 0; b < batch; b++)
    {
      const float *z = digits + (size_t) b * 2 * PB_DIGITS;
      logp[2 * b] = (float) posterior_event (z, z + PB_DIGITS, false, NULL, NULL, NULL, NULL);
      logp[2 * b + 1] = (float) posterior_event (z, z + PB_DIGITS, true, NULL, NULL, NULL, NULL);
    }
}

/* digits: [B, 20]  labels, scale: [B] → ddigits += [B, 20] */
void
pb_posterior_backward (int batch, const float *digits, const uint8_t *labels,
                       const float *scale, float *ddigits)
{
  for (int b = 0; b < batch; b++)
    {
      const float *z = digits + (size_t) b * 2 * PB_DIGITS;
      float *dz = ddigits + (size_t) b * 2 * PB_DIGITS;
      double p1[PB_DIGITS], p2[PB_DIGITS], r1[PB_DIGITS], r2[PB_DIGITS];

      assert (labels[b] <= 1);
      /* d(−log q)/dz = p − r: the softmax's gradient minus that of the event's log-sum-exp */
      posterior_event (z, z + PB_DIGITS, labels[b] == 1, p1, p2, r1, r2);
      for (int i = 0; i < PB_DIGITS; i++)
        {
          dz[i] += (float) (scale[b] * (p1[i] - r1[i]));
          dz[PB_DIGITS + i] += (float) (scale[b] * (p2[i] - r2[i]));
        }
    }
}
