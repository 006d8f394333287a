/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "pb-layers.h"

#include <assert.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pb-layers-private.h"

/* ---- batch norm + max-pool + ReLU -------------------------------------------------------- */

/* Sum and sum of squares of x − pivot over n floats, in 16 float lanes added up in double: one
 * pass over memory, and the pivot (a sample of the data) keeps the variance from cancelling. */
PB_HOT static void
shifted_moments (const float *x, size_t n, float pivot, double *s1, double *s2)
{
  const PbV8 vp = { pivot, pivot, pivot, pivot, pivot, pivot, pivot, pivot };
  PbV8 a1 = { 0 }, a2 = { 0 }, b1 = { 0 }, b2 = { 0 };
  double t1 = 0.0, t2 = 0.0;
  size_t i = 0;

  for (; i + 16 <= n; i += 16)
    {
      PbV8 d, e;
      V_LOAD (d, x + i);
      V_LOAD (e, x + i + 8);
      d -= vp;
      e -= vp;
      a1 += d;
      a2 += d * d;
      b1 += e;
      b2 += e * e;
    }
  for (; i < n; i++)
    {
      double d = (double) x[i] - pivot;
      t1 += d;
      t2 += d * d;
    }
  for (int j = 0; j < 8; j++)
    {
      t1 += (double) a1[j] + b1[j];
      t2 += (double) a2[j] + b2[j];
    }
  *s1 = t1;
  *s2 = t2;
}

/* One channel of one group, pool order: y = scale·(x − mu) + shift over the four window phases
 * x0..x3 (q floats each, per image), the first of tied maxima kept (the order of a row-major scan
 * of the window: top row, bottom row, then the rows), then ReLU. act, argmax: [B, q] */
static inline float
pool_one (float v0, float v1, float v2, float v3, uint8_t *code)
{
  int ct = v1 > v0, cb = v3 > v2;
  float top = ct ? v1 : v0, bot = cb ? v3 : v2;
  int cv = bot > top;
  float best = cv ? bot : top;
  *code = (uint8_t) (ct + cv * (2 + cb - ct));
  return best > 0.0f ? best : 0.0f;
}

/* L lanes of pool_one at j; the comparison masks are −1 where true. */
#define POOL_LANES(FT, IT, L)                                                                   \
  do                                                                                            \
    {                                                                                           \
      FT v0, v1, v2, v3, zero = { 0 };                                                          \
      V_LOAD (v0, x0 + j);                                                                      \
      V_LOAD (v1, x1 + j);                                                                      \
      V_LOAD (v2, x2 + j);                                                                      \
      V_LOAD (v3, x3 + j);                                                                      \
      v0 = (v0 - mu) * scale + shift;                                                           \
      v1 = (v1 - mu) * scale + shift;                                                           \
      v2 = (v2 - mu) * scale + shift;                                                           \
      v3 = (v3 - mu) * scale + shift;                                                           \
      IT ct = v1 > v0, cb = v3 > v2;                                                            \
      FT top = V_SELECT (IT, FT, ct, v1, v0), bot = V_SELECT (IT, FT, cb, v3, v2);              \
      IT cv = bot > top;                                                                        \
      FT best = V_SELECT (IT, FT, cv, bot, top);                                                \
      best = V_SELECT (IT, FT, best > zero, best, zero);                                        \
      V_STORE (act + j, best);                                                                  \
      if (argmax != NULL)                                                                       \
        {                                                                                       \
          IT code = -ct + (cv & (2 - cb + ct));                                                 \
          for (int l = 0; l < (L); l++)                                                         \
            argmax[j + l] = (uint8_t) code[l];                                                  \
        }                                                                                       \
    }                                                                                           \
  while (0)

PB_HOT static void
pool_relu_plane (int batch, size_t plane, size_t q, const float *x, float mu, float scale,
                 float shift, float *act, uint8_t *argmax)
{
  for (int n = 0; n < batch; n++, x += plane, act += q)
    {
      const float *x0 = x, *x1 = x + q, *x2 = x + 2 * q, *x3 = x + 3 * q;
      size_t j = 0;

      for (; j + 8 <= q; j += 8)
        POOL_LANES (PbV8, PbV8i, 8);
      for (; j + 4 <= q; j += 4)
        POOL_LANES (PbV4, PbV4i, 4);
      for (; j < q; j++)
        {
          uint8_t code;
          act[j] = pool_one (scale * (x0[j] - mu) + shift, scale * (x1[j] - mu) + shift,
                             scale * (x2[j] - mu) + shift, scale * (x3[j] - mu) + shift, &code);
          if (argmax != NULL)
            argmax[j] = code;
        }
      if (argmax != NULL)
        argmax += q;
    }
}

/* conv: [C, G·B, H·W pool order] → act, argmax: [C, G·B, H/2, W/2]; mean, invstd: [G, C] */
void
pb_bn_pool_relu_forward_train (const PbBnPoolShape *s, const float *conv,
                               const float *conv_bias, const float *gamma, const float *beta,
                               float *mean, float *invstd, float *running_mean,
                               float *running_var, float momentum, float eps, float *act,
                               uint8_t *argmax)
{
  const size_t plane = (size_t) s->h * s->w, pooled = (size_t) (s->h / 2) * (s->w / 2);
  const size_t count = (size_t) s->batch * plane;
  const size_t n_img = (size_t) s->groups * s->batch;

  assert (count > 1);

  for (int g = 0; g < s->groups; g++)
    for (int c = 0; c < s->channels; c++)
      {
        const size_t img0 = (size_t) c * n_img + (size_t) g * s->batch;
        const float *x = conv + img0 * plane;
        double s1, s2;

        shifted_moments (x, count, x[0], &s1, &s2);
        const double m1 = s1 / (double) count;
        const double mu = (double) x[0] + m1;
        double var = s2 / (double) count - m1 * m1;
        if (var < 0.0)
          var = 0.0;
        const double is = 1.0 / sqrt (var + (double) eps);
        const double mu_b = mu + (conv_bias != NULL ? conv_bias[c] : 0.0f);

        mean[(size_t) g * s->channels + c] = (float) mu;
        invstd[(size_t) g * s->channels + c] = (float) is;
        if (running_mean != NULL)
          running_mean[c] = (float) ((1.0 - momentum) * running_mean[c] + momentum * mu_b);
        if (running_var != NULL)
          running_var[c] = (float) ((1.0 - momentum) * running_var[c]
                                    + momentum * var * (double) count / (double) (count - 1));
        pool_relu_plane (s->batch, plane, pooled, x, (float) mu, (float) (gamma[c] * is),
                         beta[c], act + img0 * pooled, argmax + img0 * pooled);
      }
}

void
pb_bn_pool_relu_forward_eval (const PbBnPoolShape *s, const float *conv,
                              const float *conv_bias, const float *gamma, const float *beta,
                              const float *running_mean, const float *running_var, float eps,
                              float *act, uint8_t *argmax)
{
  const size_t pooled = (size_t) (s->h / 2) * (s->w / 2);
  const size_t plane = s->pooled_only ? 4 * pooled : (size_t) s->h * s->w;
  const size_t n_img = (size_t) s->groups * s->batch;

  for (int c = 0; c < s->channels; c++)
    {
      const float scale = (float) (gamma[c] / sqrt ((double) running_var[c] + eps));
      const float mu = running_mean[c] - (conv_bias != NULL ? conv_bias[c] : 0.0f);

      pool_relu_plane ((int) n_img, plane, pooled, conv + (size_t) c * n_img * plane, mu, scale,
                       beta[c], act + (size_t) c * n_img * pooled,
                       argmax != NULL ? argmax + (size_t) c * n_img * pooled : NULL);
    }
}

/* Σ dy and Σ dy·(x − mu) over the windows' maxima, dy = dact where act > 0. */
#define SUMS_LANES(FT, IT, L, ACC1, ACC2)                                                                   \
  do                                                                                            \
    {                                                                                           \
      FT va, vda, v, w, zero = { 0 };                                                           \
      IT code = { 0 };                                                                          \
      V_LOAD (va, an + j);                                                                      \
      V_LOAD (vda, dan + j);                                                                    \
      for (int l = 0; l < (L); l++)                                                             \
        code[l] = amn[j + l];                                                                   \
      FT dy = V_SELECT (IT, FT, va > zero, vda, zero);                                          \
      V_LOAD (v, x0 + j);                                                                       \
      V_LOAD (w, x0 + q + j);                                                                   \
      v = V_SELECT (IT, FT, code == 1, w, v);                                                   \
      V_LOAD (w, x0 + 2 * q + j);                                                               \
      v = V_SELECT (IT, FT, code == 2, w, v);                                                   \
      V_LOAD (w, x0 + 3 * q + j);                                                               \
      v = V_SELECT (IT, FT, code == 3, w, v);                                                   \
      ACC1 += dy;                                                                               \
      ACC2 += dy * (v - mu);                                                                    \
    }                                                                                           \
  while (0)

PB_HOT static void
bn_pool_sums (int batch, size_t plane, size_t q, const float *x, float mu, const float *a,
              const float *da, const uint8_t *am, double *sum_dy, double *sum_dyx)
{
  PbV8 a1 = { 0 }, a2 = { 0 };
  PbV4 b1 = { 0 }, b2 = { 0 };
  double t1 = 0.0, t2 = 0.0;
  for (int n = 0; n < batch; n++)
    {
      const float *x0 = x + (size_t) n * plane;
      const float *an = a + (size_t) n * q, *dan = da + (size_t) n * q;
      const uint8_t *amn = am + (size_t) n * q;
      size_t j = 0;

      for (; j + 8 <= q; j += 8)
        SUMS_LANES (PbV8, PbV8i, 8, a1, a2);
      for (; j + 4 <= q; j += 4)
        SUMS_LANES (PbV4, PbV4i, 4, b1, b2);
      for (; j < q; j++)
        if (an[j] > 0.0f)
          {
            t1 += dan[j];
            t2 += (double) dan[j] * (x0[amn[j] * q + j] - mu);
          }
    }
  for (int l = 0; l < 8; l++)
    {
      t1 += a1[l];
      t2 += a2[l];
    }
  for (int l = 0; l < 4; l++)
    {
      t1 += b1[l];
      t2 += b2[l];
    }
  *sum_dy = t1;
  *sum_dyx = t2;
}

/* dx = base + slope·(x − mu) everywhere, plus k·dy at each window's maximum: one pass. */
#define GRAD_LANES(FT, IT, L)                                                                   \
  do                                                                                            \
    {                                                                                           \
      FT va, vda, v, zero = { 0 };                                                              \
      IT code = { 0 };                                                                          \
      V_LOAD (va, an + j);                                                                      \
      V_LOAD (vda, dan + j);                                                                    \
      for (int l = 0; l < (L); l++)                                                             \
        code[l] = amn[j + l];                                                                   \
      FT kdy = V_SELECT (IT, FT, va > zero, vda * k, zero);                                     \
      for (int p = 0; p < 4; p++)                                                               \
        {                                                                                       \
          V_LOAD (v, x0 + (size_t) p * q + j);                                                  \
          v = base + slope * (v - mu) + V_SELECT (IT, FT, code == p, kdy, zero);                \
          V_STORE (dx0 + (size_t) p * q + j, v);                                                \
        }                                                                                       \
    }                                                                                           \
  while (0)

PB_HOT static void
bn_pool_grad (int batch, size_t plane, size_t q, const float *x, float mu, float base,
              float slope, float k, const float *a, const float *da, const uint8_t *am,
              float *dx)
{
  for (int n = 0; n < batch; n++)
    {
      const float *x0 = x + (size_t) n * plane;
      float *dx0 = dx + (size_t) n * plane;
      const float *an = a + (size_t) n * q, *dan = da + (size_t) n * q;
      const uint8_t *amn = am + (size_t) n * q;
      size_t j = 0;

      for (; j + 8 <= q; j += 8)
        GRAD_LANES (PbV8, PbV8i, 8);
      for (; j + 4 <= q; j += 4)
        GRAD_LANES (PbV4, PbV4i, 4);
      for (; j < q; j++)
        for (int p = 0; p < 4; p++)
          {
            float add = (an[j] > 0.0f && amn[j] == p) ? k * dan[j] : 0.0f;
            dx0[(size_t) p * q + j] = base + slope * (x0[(size_t) p * q + j] - mu) + add;
          }
      /* positions no window covers */
      for (size_t i = 4 * q; i < plane; i++)
        dx0[i] = base + slope * (x0[i] - mu);
    }
}

/* dact: [C, G·B, H/2, W/2] → dgamma, dbeta, dconv_bias += [C], dconv = [C, G·B, H·W pool order] */
void
pb_bn_pool_relu_backward (const PbBnPoolShape *s, const float *conv, const float *mean,
                          const float *invstd, const float *gamma, const float *act,
                          const uint8_t *argmax, const float *dact, float *dgamma, float *dbeta,
                          float *dconv_bias, float *dconv)
{
  const size_t plane = (size_t) s->h * s->w, q = (size_t) (s->h / 2) * (s->w / 2);
  const size_t count = (size_t) s->batch * plane;
  const size_t n_img = (size_t) s->groups * s->batch;

  for (int g = 0; g < s->groups; g++)
    for (int c = 0; c < s->channels; c++)
      {
        const size_t img0 = (size_t) c * n_img + (size_t) g * s->batch;
        const float *x = conv + img0 * plane;
        const float *a = act + img0 * q, *da = dact + img0 * q;
        const uint8_t *am = argmax + img0 * q;
        float *dx = dconv + img0 * plane;
        const float mu = mean[(size_t) g * s->channels + c];
        const float is = invstd[(size_t) g * s->channels + c];
        double sum_dy = 0.0, sum_dy_xhat = 0.0;

        /* The gradient reaches the normalised map only at each window's maximum, where the
         * ReLU let it through: dy there, 0 elsewhere. */
        bn_pool_sums (s->batch, plane, q, x, mu, a, da, am, &sum_dy, &sum_dy_xhat);
        sum_dy_xhat *= is;
        dgamma[c] += (float) sum_dy_xhat;
        dbeta[c] += (float) sum_dy;

        /* dx = γ·invstd·(dy − mean(dy) − x̂·mean(dy·x̂)) */
        const float k = gamma[c] * is;
        const float base = (float) (-k * (sum_dy / (double) count));
        const float slope = (float) (-k * (sum_dy_xhat / (double) count)) * is;
        bn_pool_grad (s->batch, plane, q, x, mu, base, slope, k, a, da, am, dx);
        /* Σ dx = count·base + k·Σdy + slope·Σ(x − mu), and Σ(x − mu) = 0 as mu is the mean:
         * the bias before a training-mode batch norm has (up to rounding) no gradient. */
        if (dconv_bias != NULL)
          dconv_bias[c] += (float) ((double) base * (double) count + (double) k * sum_dy);
      }
}

/* ---- max-pool + ReLU without batch norm -------------------------------------------------- */

/* conv: [C, N, H·W pool order] → act, argmax: [C, N, H/2, W/2]. The shared pooling kernel
 * computes scale·(x − mu) + shift; mu = 0, scale = 1 leave x + bias exactly. */
void
pb_pool_relu_forward (const PbBnPoolShape *s, const float *conv, const float *bias, float *act,
                      uint8_t *argmax)
{
  const size_t pooled = (size_t) (s->h / 2) * (s->w / 2);
  const size_t plane = s->pooled_only ? 4 * pooled : (size_t) s->h * s->w;
  const size_t n_img = (size_t) s->groups * s->batch;

  for (int c = 0; c < s->channels; c++)
    pool_relu_plane ((int) n_img, plane, pooled, conv + (size_t) c * n_img * plane, 0.0f, 1.0f,
                     bias[c], act + (size_t) c * n_img * pooled,
                     argmax != NULL ? argmax + (size_t) c * n_img * pooled : NULL);
}

/* dy = dact where act > 0, written at the window's maximum and 0 at its three other positions. */
#define POOL_GRAD_LANES(FT, IT, L, ACC)                                                         \
  do                                                                                            \
    {                                                                                           \
      FT va, vda, zero = { 0 };                                                                 \
      IT code = { 0 };                                                                          \
      V_LOAD (va, an + j);                                                                      \
      V_LOAD (vda, dan + j);                                                                    \
      for (int l = 0; l < (L); l++)                                                             \
        code[l] = amn[j + l];                                                                   \
      FT dy = V_SELECT (IT, FT, va > zero, vda, zero);                                          \
      ACC += dy;                                                                                \
      for (int p = 0; p < 4; p++)                                                               \
        {                                                                                       \
          FT v = V_SELECT (IT, FT, code == p, dy, zero);                                        \
          V_STORE (dx0 + (size_t) p * q + j, v);                                                \
        }                                                                                       \
    }                                                                                           \
  while (0)

/* One channel: a, da, am: [N, q] → dx: [N, plane] (written); returns Σ dy */
PB_HOT static double
pool_relu_grad (int n_img, size_t plane, size_t q, const float *a, const float *da,
                const uint8_t *am, float *dx)
{
  PbV8 a8 = { 0 };
  PbV4 a4 = { 0 };
  double total = 0.0;

  for (int n = 0; n < n_img; n++)
    {
      const float *an = a + (size_t) n * q, *dan = da + (size_t) n * q;
      const uint8_t *amn = am + (size_t) n * q;
      float *dx0 = dx + (size_t) n * plane;
      size_t j = 0;

      for (; j + 8 <= q; j += 8)
        POOL_GRAD_LANES (PbV8, PbV8i, 8, a8);
      for (; j + 4 <= q; j += 4)
        POOL_GRAD_LANES (PbV4, PbV4i, 4, a4);
      for (; j < q; j++)
        {
          float dy = an[j] > 0.0f ? dan[j] : 0.0f;
          total += dy;
          for (int p = 0; p < 4; p++)
            dx0[(size_t) p * q + j] = amn[j] == p ? dy : 0.0f;
        }
      /* positions no window covers */
      memset (dx0 + 4 * q, 0, (plane - 4 * q) * sizeof (float));
    }
  for (int l = 0; l < 8; l++)
    total += a8[l];
  for (int l = 0; l < 4; l++)
    total += a4[l];
  return total;
}

/* dact: [C, N, H/2, W/2] → dbias += [C], dconv = [C, N, H·W pool order] */
void
pb_pool_relu_backward (const PbBnPoolShape *s, const float *act, const uint8_t *argmax,
                       const float *dact, float *dbias, float *dconv)
{
  const size_t plane = (size_t) s->h * s->w, q = (size_t) (s->h / 2) * (s->w / 2);
  const size_t n_img = (size_t) s->groups * s->batch;

  assert (!s->pooled_only);
  for (int c = 0; c < s->channels; c++)
    {
      const size_t img0 = (size_t) c * n_img;
      double sum = pool_relu_grad ((int) n_img, plane, q, act + img0 * q, dact + img0 * q,
                                   argmax + img0 * q, dconv + img0 * plane);
      if (dbias != NULL)
        dbias[c] += (float) sum;
    }
}
