/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "pb-layers.h"

#include <assert.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pb-gemm.h"
#include "pb-layers-private.h"

/* ---- conv2d ------------------------------------------------------------------------------ */

/* The batch is folded into the GEMM's N dimension: the columns are [C·k·k, B·Ho·Wo] and the
 * GEMM result is [K, B·Ho·Wo], which is then permuted to [B, K, Ho·Wo]. */

int
pb_conv2d_out_h (const PbConvShape *s)
{
  return s->in_h + 2 * s->pad - s->kernel + 1;
}

int
pb_conv2d_out_w (const PbConvShape *s)
{
  return s->in_w + 2 * s->pad - s->kernel + 1;
}

/* columns [C·k·k, B·Ho·Wo] followed by a [K, B·Ho·Wo] staging matrix */
size_t
pb_conv2d_workspace_floats (const PbConvShape *s)
{
  return (conv_cols_rows (s) + (size_t) s->out_c) * conv_cols_width (s);
}

/* in: [B, C, H, W] → cols: [C·k·k, B·Ho·Wo], zero outside the image */
static void
conv_im2col (const PbConvShape *s, const float *in, float *cols)
{
  const int k = s->kernel, ho = pb_conv2d_out_h (s), wo = pb_conv2d_out_w (s);
  const size_t width = conv_cols_width (s);
  const size_t plane_out = (size_t) ho * wo;

  for (int c = 0; c < s->in_c; c++)
    for (int ki = 0; ki < k; ki++)
      for (int kj = 0; kj < k; kj++)
        {
          float *row = cols + ((size_t) (c * k + ki) * k + kj) * width;

          for (int b = 0; b < s->batch; b++)
            {
              const float *plane = in + ((size_t) b * s->in_c + c) * s->in_h * s->in_w;
              float *dst = row + (size_t) b * plane_out;

              for (int oy = 0; oy < ho; oy++)
                {
                  int iy = oy + ki - s->pad;
                  float *drow = dst + (size_t) oy * wo;

                  if (iy < 0 || iy >= s->in_h)
                    {
                      memset (drow, 0, sizeof (float) * (size_t) wo);
                      continue;
                    }
                  for (int ox = 0; ox < wo; ox++)
                    {
                      int ix = ox + kj - s->pad;
                      bool inside = ix >= 0 && ix < s->in_w;
                      drow[ox] = inside ? plane[(size_t) iy * s->in_w + ix] : 0.0f;
                    }
                }
            }
        }
}

/* cols: [C·k·k, B·Ho·Wo] → din: [B, C, H, W], adding */
static void
conv_col2im_add (const PbConvShape *s, const float *cols, float *din)
{
  const int k = s->kernel, ho = pb_conv2d_out_h (s), wo = pb_conv2d_out_w (s);
  const size_t width = conv_cols_width (s);
  const size_t plane_out = (size_t) ho * wo;

  for (int c = 0; c < s->in_c; c++)
    for (int ki = 0; ki < k; ki++)
      for (int kj = 0; kj < k; kj++)
        {
          const float *row = cols + ((size_t) (c * k + ki) * k + kj) * width;

          for (int b = 0; b < s->batch; b++)
            {
              float *plane = din + ((size_t) b * s->in_c + c) * s->in_h * s->in_w;
              const float *src = row + (size_t) b * plane_out;

              for (int oy = 0; oy < ho; oy++)
                {
                  int iy = oy + ki - s->pad;

                  if (iy < 0 || iy >= s->in_h)
                    continue;
                  for (int ox = 0; ox < wo; ox++)
                    {
                      int ix = ox + kj - s->pad;
                      if (ix >= 0 && ix < s->in_w)
                        plane[(size_t) iy * s->in_w + ix] += src[(size_t) oy * wo + ox];
                    }
                }
            }
        }
}

/* in: [B, C, H, W]  weight: [K, C, k, k]  bias: [K]  out: [B, K, Ho, Wo]
 * work: pb_conv2d_workspace_floats (s) */
void
pb_conv2d_forward (const PbConvShape *s, const float *in, const float *weight,
                   const float *bias, float *out, float *work)
{
  conv_check_shape (s);

  const size_t rows = conv_cols_rows (s), width = conv_cols_width (s);
  const size_t plane_out = (size_t) pb_conv2d_out_h (s) * pb_conv2d_out_w (s);
  float *cols = work;
  float *staged = work + rows * width;

  conv_im2col (s, in, cols);
  pb_sgemm (false, false, s->out_c, (int) width, (int) rows,
            1.0f, weight, (int) rows, cols, (int) width, 0.0f, staged, (int) width);

  for (int b = 0; b < s->batch; b++)
    for (int o = 0; o < s->out_c; o++)
      {
        const float *src = staged + (size_t) o * width + (size_t) b * plane_out;
        float *dst = out + ((size_t) b * s->out_c + o) * plane_out;
        const float bo = bias ? bias[o] : 0.0f;

        for (size_t p = 0; p < plane_out; p++)
          dst[p] = src[p] + bo;
      }
}

/* in: [B, C, H, W]  weight: [K, C, k, k]  dout: [B, K, Ho, Wo]
 * → dweight += [K, C, k, k], dbias += [K], din += [B, C, H, W] (din may be NULL)
 * work: pb_conv2d_workspace_floats (s) */
void
pb_conv2d_backward (const PbConvShape *s, const float *in, const float *weight,
                    const float *dout, float *dweight, float *dbias, float *din,
                    float *work)
{
  conv_check_shape (s);

  const size_t rows = conv_cols_rows (s), width = conv_cols_width (s);
  const size_t plane_out = (size_t) pb_conv2d_out_h (s) * pb_conv2d_out_w (s);
  float *cols = work;
  float *staged = work + rows * width;

  /* dout [B, K, P] → staged [K, B·P] */
  for (int b = 0; b < s->batch; b++)
    for (int o = 0; o < s->out_c; o++)
      memcpy (staged + (size_t) o * width + (size_t) b * plane_out,
              dout + ((size_t) b * s->out_c + o) * plane_out, sizeof (float) * plane_out);

  if (dbias)
    for (int o = 0; o < s->out_c; o++)
      {
        const float *row = staged + (size_t) o * width;
        double acc = 0.0;

        for (size_t p = 0; p < width; p++)
          acc += row[p];
        dbias[o] += (float) acc;
      }

  if (dweight)
    {
      conv_im2col (s, in, cols);
      /* dweight [K, C·k·k] += staged [K, N] · colsᵀ [N, C·k·k] */
      pb_sgemm (false, true, s->out_c, (int) rows, (int) width,
                1.0f, staged, (int) width, cols, (int) width, 1.0f, dweight, (int) rows);
    }

  if (din)
    {
      /* cols [C·k·k, N] = weightᵀ [C·k·k, K] · staged [K, N] */
      pb_sgemm (true, false, (int) rows, (int) width, s->out_c,
                1.0f, weight, (int) rows, staged, (int) width, 0.0f, cols, (int) width);
      conv_col2im_add (s, cols, din);
    }
}

/* ---- batch norm -------------------------------------------------------------------------- */

/* in, out, xhat: [B, C, S]  gamma, beta, mean, invstd, running_mean, running_var: [C] */
void
pb_batchnorm_forward_train (const PbBnShape *s, const float *in, const float *gamma,
                            const float *beta, float *out, float *xhat, float *mean,
                            float *invstd, float *running_mean, float *running_var,
                            float momentum, float eps)
{
  const size_t count = (size_t) s->batch * s->spatial;
  const size_t sp = (size_t) s->spatial;

  /* PyTorch refuses a single value per channel: the unbiased variance would divide by zero. */
  assert (count > 1);

  for (int c = 0; c < s->channels; c++)
    {
      double sum = 0.0, sq = 0.0;

      for (int b = 0; b < s->batch; b++)
        {
          const float *x = in + ((size_t) b * s->channels + c) * sp;
          for (size_t i = 0; i < sp; i++)
            sum += x[i];
        }
      const double mu = sum / (double) count;

      /* Two passes, so a large mean does not cancel the variance. */
      for (int b = 0; b < s->batch; b++)
        {
          const float *x = in + ((size_t) b * s->channels + c) * sp;
          for (size_t i = 0; i < sp; i++)
            {
              double d = x[i] - mu;
              sq += d * d;
            }
        }
      const double var = sq / (double) count;
      const double is = 1.0 / sqrt (var + (double) eps);
      const float g = gamma[c], bt = beta[c];

      for (int b = 0; b < s->batch; b++)
        {
          size_t off = ((size_t) b * s->channels + c) * sp;
          for (size_t i = 0; i < sp; i++)
            {
              float xh = (float) ((in[off + i] - mu) * is);
              xhat[off + i] = xh;
              out[off + i] = g * xh + bt;
            }
        }

      mean[c] = (float) mu;
      invstd[c] = (float) is;
      if (running_mean)
        running_mean[c] = (float) ((1.0 - momentum) * running_mean[c] + momentum * mu);
      if (running_var)
        running_var[c] = (float) ((1.0 - momentum) * running_var[c]
                                  + momentum * var * (double) count / (double) (count - 1));
    }
}

/* in, out: [B, C, S]  gamma, beta, running_mean, running_var: [C] */
void
pb_batchnorm_forward_eval (const PbBnShape *s, const float *in, const float *gamma,
                           const float *beta, const float *running_mean,
                           const float *running_var, float eps, float *out)
{
  const size_t sp = (size_t) s->spatial;

  for (int c = 0; c < s->channels; c++)
    {
      const float scale = (float) (gamma[c] / sqrt ((double) running_var[c] + eps));
      const float shift = beta[c] - running_mean[c] * scale;

      for (int b = 0; b < s->batch; b++)
        {
          size_t off = ((size_t) b * s->channels + c) * sp;
          for (size_t i = 0; i < sp; i++)
            out[off + i] = in[off + i] * scale + shift;
        }
    }
}

/* xhat, dout: [B, C, S]  invstd, gamma: [C] → dgamma += [C], dbeta += [C], din += [B, C, S] */
void
pb_batchnorm_backward (const PbBnShape *s, const float *xhat, const float *invstd,
                       const float *gamma, const float *dout, float *dgamma, float *dbeta,
                       float *din)
{
  const size_t count = (size_t) s->batch * s->spatial;
  const size_t sp = (size_t) s->spatial;

  for (int c = 0; c < s->channels; c++)
    {
      double sum_dy = 0.0, sum_dy_xhat = 0.0;

      for (int b = 0; b < s->batch; b++)
        {
          size_t off = ((size_t) b * s->channels + c) * sp;
          for (size_t i = 0; i < sp; i++)
            {
              sum_dy += dout[off + i];
              sum_dy_xhat += (double) dout[off + i] * xhat[off + i];
            }
        }

      if (dgamma)
        dgamma[c] += (float) sum_dy_xhat;
      if (dbeta)
        dbeta[c] += (float) sum_dy;
      if (!din)
        continue;

      /* din = γ·invstd·(dy − mean(dy) − x̂·mean(dy·x̂)) */
      const double mean_dy = sum_dy / (double) count;
      const double mean_dy_xhat = sum_dy_xhat / (double) count;
      const double k = (double) gamma[c] * invstd[c];

      for (int b = 0; b < s->batch; b++)
        {
          size_t off = ((size_t) b * s->channels + c) * sp;
          for (size_t i = 0; i < sp; i++)
            din[off + i] += (float) (k * (dout[off + i] - mean_dy - xhat[off + i] * mean_dy_xhat));
        }
    }
}

/* ---- max-pool ---------------------------------------------------------------------------- */

/* in: [N, H, W]  out, argmax: [N, H/2, W/2]; argmax is the flat index into in */
void
pb_maxpool2_forward (int n, int h, int w, const float *in, float *out, int32_t *argmax)
{
  const int ho = h / 2, wo = w / 2;

  assert ((size_t) n * h * w <= INT32_MAX);

  for (int p = 0; p < n; p++)
    for (int oy = 0; oy < ho; oy++)
      for (int ox = 0; ox < wo; ox++)
        {
          const size_t base = (size_t) p * h * w;
          const size_t o = ((size_t) p * ho + oy) * wo + ox;
          size_t best = base + (size_t) (2 * oy) * w + 2 * ox;
          float bv = in[best];

          /* Row-major window order with a strict '>' keeps the first of tied maxima, and NaN
           * wins, as in PyTorch. */
          for (int dy = 0; dy < 2; dy++)
            for (int dx = 0; dx < 2; dx++)
              {
                size_t i = base + (size_t) (2 * oy + dy) * w + 2 * ox + dx;
                float v = in[i];
                if (v > bv || (isnan (v) && !isnan (bv)))
                  {
                    bv = v;
                    best = i;
                  }
              }

          out[o] = bv;
          argmax[o] = (int32_t) best;
        }
}

/* dout, argmax: [N, H/2, W/2] → din += [N, H, W] */
void
pb_maxpool2_backward (int n, int h, int w, const float *dout, const int32_t *argmax,
                      float *din)
{
  const size_t count = (size_t) n * (h / 2) * (w / 2);

  for (size_t o = 0; o < count; o++)
    din[argmax[o]] += dout[o];
}

/* ---- relu -------------------------------------------------------------------------------- */

/* in, out: [n] (may alias) */
void
pb_relu_forward (size_t n, const float *in, float *out)
{
  for (size_t i = 0; i < n; i++)
    out[i] = in[i] > 0.0f ? in[i] : 0.0f;
}

/* out, dout: [n] → din += [n] */
void
pb_relu_backward (size_t n, const float *out, const float *dout, float *din)
{
  for (size_t i = 0; i < n; i++)
    if (out[i] > 0.0f)
      din[i] += dout[i];
}

/* ---- linear ------------------------------------------------------------------------------ */

/* in: [B, I]  weight: [O, I]  bias: [O]  out: [B, O] */
void
pb_linear_forward (int batch, int in_f, int out_f, const float *in, const float *weight,
                   const float *bias, float *out)
{
  for (int b = 0; b < batch; b++)
    for (int o = 0; o < out_f; o++)
      out[(size_t) b * out_f + o] = bias ? bias[o] : 0.0f;

  /* out [B, O] += in [B, I] · weightᵀ [I, O] */
  pb_sgemm (false, true, batch, out_f, in_f, 1.0f, in, in_f, weight, in_f, 1.0f, out, out_f);
}

/* in: [B, I]  weight: [O, I]  dout: [B, O]
 * → dweight += [O, I], dbias += [O], din += [B, I] (din may be NULL) */
void
pb_linear_backward (int batch, int in_f, int out_f, const float *in, const float *weight,
                    const float *dout, float *dweight, float *dbias, float *din)
{
  if (dweight)
    pb_sgemm (true, false, out_f, in_f, batch, 1.0f, dout, out_f, in, in_f, 1.0f, dweight, in_f);

  if (dbias)
    for (int o = 0; o < out_f; o++)
      {
        double acc = 0.0;
        for (int b = 0; b < batch; b++)
          acc += dout[(size_t) b * out_f + o];
        dbias[o] += (float) acc;
      }

  if (din)
    pb_sgemm (false, false, batch, in_f, out_f, 1.0f, dout, out_f, weight, in_f, 1.0f, din, in_f);
}

/* ---- dropout ----------------------------------------------------------------------------- */

/* in, out, mask: [n] (in, out may alias); p in [0, 1) */
void
pb_dropout_forward (size_t n, float p, PbRng *rng, const float *in, float *out, float *mask)
{
  assert (p >= 0.0f && p < 1.0f);

  if (p == 0.0f)
    {
      if (out != in)
        memmove (out, in, sizeof (float) * n);
      for (size_t i = 0; i < n; i++)
        mask[i] = 1.0f;
      return;
    }

  const float keep = 1.0f / (1.0f - p);

  for (size_t i = 0; i < n; i++)
    {
      mask[i] = pb_rng_uniform (rng) >= p ? keep : 0.0f;
      out[i] = in[i] * mask[i];
    }
}

/* mask, dout: [n] → din += [n] */
void
pb_dropout_backward (size_t n, const float *mask, const float *dout, float *din)
{
  for (size_t i = 0; i < n; i++)
    din[i] += mask[i] * dout[i];
}

/* ---- softmax cross-entropy --------------------------------------------------------------- */

/* logits, probs: [B, C]  targets: [B] → mean loss */
double
pb_cross_entropy_forward (int batch, int classes, const float *logits,
                          const uint8_t *targets, float *probs)
{
  double total = 0.0;

  for (int b = 0; b < batch; b++)
    {
      const float *z = logits + (size_t) b * classes;
      float *pr = probs + (size_t) b * classes;
      float zmax = z[0];
      double sum = 0.0;

      assert (targets[b] < classes);

      for (int c = 1; c < classes; c++)
        if (z[c] > zmax)
          zmax = z[c];
      for (int c = 0; c < classes; c++)
        sum += exp ((double) z[c] - zmax);
      for (int c = 0; c < classes; c++)
        pr[c] = (float) (exp ((double) z[c] - zmax) / sum);

      total += log (sum) - ((double) z[targets[b]] - zmax);
    }

  return batch > 0 ? total / batch : 0.0;
}

/* probs: [B, C]  targets: [B] → dlogits += scale·(probs − onehot)/B  [B, C] */
void
pb_cross_entropy_backward (int batch, int classes, const float *probs,
                           const uint8_t *targets, float scale, float *dlogits)
{
  const float k = scale / (float) batch;

  for (int b = 0; b < batch; b++)
    for (int c = 0; c < classes; c++)
      {
        size_t i = (size_t) b * classes + c;
        float onehot = c == targets[b] ? 1.0f : 0.0f;
        dlogits[i] += k * (probs[i] - onehot);
      }
}
