/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "pb-layers.h"

#include <assert.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pb-gemm.h"

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

static size_t
conv_cols_rows (const PbConvShape *s)
{
  return (size_t) s->in_c * s->kernel * s->kernel;
}

static size_t
conv_cols_width (const PbConvShape *s)
{
  return (size_t) s->batch * pb_conv2d_out_h (s) * pb_conv2d_out_w (s);
}

/* columns [C·k·k, B·Ho·Wo] followed by a [K, B·Ho·Wo] staging matrix */
size_t
pb_conv2d_workspace_floats (const PbConvShape *s)
{
  return (conv_cols_rows (s) + (size_t) s->out_c) * conv_cols_width (s);
}

static void
conv_check_shape (const PbConvShape *s)
{
  assert (s->batch > 0 && s->in_c > 0 && s->out_c > 0 && s->kernel > 0 && s->pad >= 0);
  assert (pb_conv2d_out_h (s) > 0 && pb_conv2d_out_w (s) > 0);
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

/* Eight (or four) floats at a time through GCC's generic vectors (SSE registers on plain
 * x86-64, AVX in the AVX2 clone): the compiler does not vectorise these selects at -O2 by itself.
 * Helpers are macros so that no vector crosses a function boundary (no ABI question). */
typedef float PbV8 __attribute__ ((vector_size (32)));
typedef int32_t PbV8i __attribute__ ((vector_size (32)));
typedef float PbV4 __attribute__ ((vector_size (16)));
typedef int32_t PbV4i __attribute__ ((vector_size (16)));

#if defined(__GNUC__) && defined(__x86_64__) && defined(__GLIBC__)
#define PB_HOT __attribute__ ((target_clones ("avx2", "default")))
#else
#define PB_HOT
#endif

#define V_LOAD(v, p) memcpy (&(v), (p), sizeof (v))
#define V_STORE(p, v) memcpy ((p), &(v), sizeof (v))
/* mask ? a : b, mask lanes all ones or zeros */
#define V_SELECT(IT, FT, mask, a, b) ((FT) (((IT) (a) & (mask)) | ((IT) (b) & ~(mask))))

/* ---- channel-major convolution ----------------------------------------------------------- */

/* Two formulations, both one GEMM over every image:
 * - im2col: columns [C·k·k, N·Ho·Wo], out = W · columns. Kept from the forward for dweight.
 * - "kn2row": Y [k·k·K, N·H·W] = Wₜ · in for every tap t at once, then out is the sum of the k·k
 *   shifted planes of Y. It multiplies only real pixels, never padding: for the 2×2 kernel with
 *   padding 1 on a 3×3 input, that is 9 positions per tap instead of 16. Used when the input has
 *   fewer positions than the output and enough channels for a GEMM with a healthy K.
 * Moving data between input and output positions goes through small per-tap index tables, which
 * also put the output in pool order when asked. */

static bool
cm_use_kn2row (const PbConvShape *s)
{
  return s->in_c >= 32
         && (size_t) s->in_h * s->in_w < (size_t) pb_conv2d_out_h (s) * pb_conv2d_out_w (s);
}

void
pb_pool_order (int h, int w, int32_t *order)
{
  const int hp = h / 2, wp = w / 2, q = hp * wp;
  int rest = 4 * q;

  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      {
        if (y < 2 * hp && x < 2 * wp)
          order[y * w + x] = ((y & 1) * 2 + (x & 1)) * q + (y / 2) * wp + x / 2;
        else
          order[y * w + x] = rest++;
      }
}

/* Ints of table space: k·k tables over the larger plane, an order map of the output, and the
 * compressed lists table_gather builds (a start per position, a tap and index per entry). */
static size_t
cm_table_ints (const PbConvShape *s)
{
  size_t in = (size_t) s->in_h * s->in_w;
  size_t out = (size_t) pb_conv2d_out_h (s) * pb_conv2d_out_w (s);
  size_t big = in > out ? in : out, taps = (size_t) s->kernel * s->kernel;
  return taps * big + out + (big + 1) + 2 * taps * big + 2;
}

size_t
pb_conv2d_cm_workspace_floats (const PbConvShape *s)
{
  const size_t taps = (size_t) s->kernel * s->kernel;
  size_t floats;

  if (cm_use_kn2row (s))
    floats = taps * s->out_c * (size_t) s->batch * s->in_h * s->in_w
             + 2 * taps * s->out_c * (size_t) s->in_c;
  else
    floats = conv_cols_rows (s) * conv_cols_width (s);
  /* int32 tables after the floats, the same size each */
  return floats + cm_table_ints (s);
}

static int32_t *
cm_tables (const PbConvShape *s, float *work)
{
  return (int32_t *) (work + pb_conv2d_cm_workspace_floats (s) - cm_table_ints (s));
}

/* Scratch for table_gather's lists, after the tables and the order map. */
static int32_t *
cm_lists (const PbConvShape *s, int32_t *tab)
{
  size_t in = (size_t) s->in_h * s->in_w;
  size_t out = (size_t) pb_conv2d_out_h (s) * pb_conv2d_out_w (s);
  return tab + (size_t) s->kernel * s->kernel * (in > out ? in : out) + out;
}

/* For each tap t: tab[t·pd + j] is, for position j of the destination plane, the position of the
 * source plane that tap t reads (−1: none).
 * out_from_in: destination = output positions (in the output's order), source = input (row-major);
 * otherwise destination = input positions, source = output positions. */
static int
cm_build_tables (const PbConvShape *s, bool out_from_in, int32_t *tab)
{
  const int k = s->kernel, ho = pb_conv2d_out_h (s), wo = pb_conv2d_out_w (s);
  const int h = s->in_h, w = s->in_w;
  const int pd = out_from_in ? ho * wo : h * w;
  int32_t *order = tab + (size_t) k * k * (size_t) (h * w > ho * wo ? h * w : ho * wo);

  if (s->pool_order)
    pb_pool_order (ho, wo, order);
  else
    for (int i = 0; i < ho * wo; i++)
      order[i] = i;

  for (int ki = 0; ki < k; ki++)
    for (int kj = 0; kj < k; kj++)
      {
        int32_t *t = tab + (size_t) (ki * k + kj) * pd;
        for (int oy = 0; oy < ho; oy++)
          for (int ox = 0; ox < wo; ox++)
            {
              int iy = oy + ki - s->pad, ix = ox + kj - s->pad;
              bool inside = iy >= 0 && iy < h && ix >= 0 && ix < w;
              if (out_from_in)
                t[order[oy * wo + ox]] = inside ? iy * w + ix : -1;
              else if (inside)
                t[iy * w + ix] = order[oy * wo + ox];
            }
        if (!out_from_in)
          /* input positions that no output of this tap reads */
          for (int iy = 0; iy < h; iy++)
            for (int ix = 0; ix < w; ix++)
              {
                int oy = iy - ki + s->pad, ox = ix - kj + s->pad;
                if (oy < 0 || oy >= ho || ox < 0 || ox >= wo)
                  t[iy * w + ix] = -1;
              }
      }
  return pd;
}

/* Branch-free read of a tap: the index clamped to 0 where it is −1, and the value masked. */
#define TAP(src, i) ((src)[(i) & ~((i) >> 31)] * (float) ((i) >= 0))

/* dst[t·tap_stride + c·chan_stride + n·pd + j] = src[c, n, tab[t·pd + j]] (0 where −1).
 * src: [C, N, ps] */
PB_HOT static void
table_spread (int channels, int n_img, int taps, int pd, int ps, const int32_t *tab,
              const float *src, size_t tap_stride, size_t chan_stride, float *dst)
{
  for (int c = 0; c < channels; c++)
    for (int t = 0; t < taps; t++)
      {
        const int32_t *tt = tab + (size_t) t * pd;
        float *d = dst + (size_t) t * tap_stride + (size_t) c * chan_stride;
        const float *sp = src + (size_t) c * n_img * ps;

        int first = 0, last = pd;

        /* Each tap's valid destinations form one run per row of the output; outside the
         * image the columns are zero. Find the span that needs the mask. */
        while (first < pd && tt[first] >= 0)
          first++;
        while (last > first && tt[last - 1] >= 0)
          last--;
        for (int n = 0; n < n_img; n++, d += pd, sp += ps)
          {
            for (int j = 0; j < first; j++)
              d[j] = sp[tt[j]];
            for (int j = first; j < last; j++)
              {
                int32_t i = tt[j];
                d[j] = TAP (sp, i);
              }
            for (int j = last; j < pd; j++)
              d[j] = sp[tt[j]];
          }
      }
}

/* dst[c, n, j] = bias[c] (or 0) + Σₜ src[t·tap_stride + c·chan_stride + n·ps + tab[t·pd + j]],
 * in tap order, skipping −1. dst: [C, N, pd]. The tables are first turned into one list of
 * (tap, index) per destination, so the inner loop reads only what it adds. */
PB_HOT static void
table_gather (int channels, int n_img, int taps, int pd, int ps, const int32_t *tab,
              int32_t *lists, const float *src, size_t tap_stride, size_t chan_stride,
              const float *bias, float *dst)
{
  int32_t *start = lists, *entry = lists + pd + 1;
  ptrdiff_t *off;
  int n_entries = 0;

  for (int j = 0; j < pd; j++)
    {
      start[j] = n_entries;
      for (int t = 0; t < taps; t++)
        if (tab[(size_t) t * pd + j] >= 0)
          n_entries++;
    }
  start[pd] = n_entries;
  /* the offsets (tap · stride + index) as ptrdiff_t, aligned after the starts */
  off = (ptrdiff_t *) (((uintptr_t) entry + sizeof (ptrdiff_t) - 1)
                       & ~(uintptr_t) (sizeof (ptrdiff_t) - 1));
  for (int j = 0, e = 0; j < pd; j++)
    for (int t = 0; t < taps; t++)
      {
        int32_t i = tab[(size_t) t * pd + j];
        if (i >= 0)
          off[e++] = (ptrdiff_t) t * (ptrdiff_t) tap_stride + i;
      }

  /* Every position reading all four taps (col2im of a padded 2×2 convolution): no lists. */
  const bool four = taps == 4 && n_entries == 4 * pd;

  for (int c = 0; c < channels; c++)
    {
      const float b0 = bias != NULL ? bias[c] : 0.0f;
      float *d = dst + (size_t) c * n_img * pd;
      const float *sc = src + (size_t) c * chan_stride;

      if (four)
        for (int n = 0; n < n_img; n++, d += pd)
          {
            const float *sn = sc + (size_t) n * ps;
            for (int j = 0; j < pd; j++)
              {
                const ptrdiff_t *o = off + 4 * j;
                d[j] = b0 + sn[o[0]] + sn[o[1]] + sn[o[2]] + sn[o[3]];
              }
          }
      else
        for (int n = 0; n < n_img; n++, d += pd)
          {
            const float *sn = sc + (size_t) n * ps;
            for (int j = 0; j < pd; j++)
              {
                float acc = b0;
                for (int e = start[j]; e < start[j + 1]; e++)
                  acc += sn[off[e]];
                d[j] = acc;
              }
          }
    }
}

/* weight [K, C, t] ↔ wstack [t, K, C] */
static void
kn2row_pack (const PbConvShape *s, const float *weight, float *wstack)
{
  const int taps = s->kernel * s->kernel;

  for (int o = 0; o < s->out_c; o++)
    for (int c = 0; c < s->in_c; c++)
      for (int t = 0; t < taps; t++)
        wstack[((size_t) t * s->out_c + o) * s->in_c + c]
          = weight[((size_t) o * s->in_c + c) * taps + t];
}

static void
row_sums_add (int rows, size_t n, const float *m, float *out)
{
  for (int r = 0; r < rows; r++)
    {
      const float *x = m + (size_t) r * n;
      float acc[16] = { 0 };
      double total = 0.0;
      size_t i = 0;

      for (; i + 16 <= n; i += 16)
        for (int j = 0; j < 16; j++)
          acc[j] += x[i + j];
      for (; i < n; i++)
        total += x[i];
      for (int j = 0; j < 16; j++)
        total += acc[j];
      out[r] += (float) total;
    }
}

/* in: [C, N, H, W]  weight: [K, C, k, k]  bias: [K] or NULL  out: [K, N, Ho, Wo] */
void
pb_conv2d_cm_forward (const PbConvShape *s, const float *in, const float *weight,
                      const float *bias, float *out, float *work)
{
  conv_check_shape (s);

  const int k = s->kernel, taps = k * k;
  const int ho = pb_conv2d_out_h (s), wo = pb_conv2d_out_w (s);
  const int p_in = s->in_h * s->in_w, p_full = ho * wo;
  const int p_out = s->pooled_only ? 4 * (ho / 2) * (wo / 2) : p_full;
  const size_t N = (size_t) s->batch;
  int32_t *tab = cm_tables (s, work);
  PbProfile *prof = s->profile;
  double t0 = pb_profile_start (prof);

  assert (!s->pooled_only || s->pool_order);
  cm_build_tables (s, true, tab);
  if (p_out < p_full)
    /* keep each tap's first p_out entries: the pooled positions come first in pool order */
    for (int t = 1; t < taps; t++)
      memmove (tab + (size_t) t * p_out, tab + (size_t) t * p_full, sizeof (int32_t) * p_out);
  if (cm_use_kn2row (s))
    {
      const size_t nhw = N * p_in;
      float *y = work;
      float *wstack = y + (size_t) taps * s->out_c * nhw;

      kn2row_pack (s, weight, wstack);
      pb_profile_part (prof, PB_PROF_COPY, t0);
      /* Y [t·K, N·H·W] = wstack [t·K, C] · in [C, N·H·W] */
      pb_profile_sgemm (prof, false, false, taps * s->out_c, (int) nhw, s->in_c,
                        1.0f, wstack, s->in_c, in, (int) nhw, 0.0f, y, (int) nhw);
      t0 = pb_profile_start (prof);
      table_gather (s->out_c, s->batch, taps, p_out, p_in, tab, cm_lists (s, tab), y,
                    (size_t) s->out_c * nhw, nhw, bias, out);
      pb_profile_part (prof, PB_PROF_COPY, t0);
      return;
    }

  const size_t rows = conv_cols_rows (s), width = N * p_out;
  float *cols = work;

  table_spread (s->in_c, s->batch, taps, p_out, p_in, tab, in, width, (size_t) taps * width,
                cols);
  pb_profile_part (prof, PB_PROF_COPY, t0);
  pb_profile_sgemm (prof, false, false, s->out_c, (int) width, (int) rows,
                    1.0f, weight, (int) rows, cols, (int) width, 0.0f, out, (int) width);
  t0 = pb_profile_start (prof);
  if (bias != NULL)
    for (int o = 0; o < s->out_c; o++)
      {
        float *row = out + (size_t) o * width;
        for (size_t i = 0; i < width; i++)
          row[i] += bias[o];
      }
  pb_profile_part (prof, PB_PROF_ELTWISE, t0);
}

/* in: [C, N, H, W]  weight: [K, C, k, k]  dout: [K, N, Ho, Wo]
 * → dweight += [K, C, k, k], dbias += [K], din = [C, N, H, W] */
void
pb_conv2d_cm_backward (const PbConvShape *s, const float *in, const float *weight,
                       const float *dout, float *dweight, float *dbias, float *din,
                       float *work)
{
  conv_check_shape (s);

  const int k = s->kernel, taps = k * k;
  const int p_in = s->in_h * s->in_w, p_out = pb_conv2d_out_h (s) * pb_conv2d_out_w (s);
  const size_t N = (size_t) s->batch;
  const size_t width = conv_cols_width (s);
  int32_t *tab = cm_tables (s, work);
  PbProfile *prof = s->profile;
  double t0 = pb_profile_start (prof);

  assert (!s->pooled_only);
  if (dbias != NULL)
    row_sums_add (s->out_c, width, dout, dbias);
  pb_profile_part (prof, PB_PROF_ELTWISE, t0);

  if (cm_use_kn2row (s))
    {
      const size_t nhw = N * p_in;
      const size_t tk = (size_t) taps * s->out_c;
      float *dy = work;
      float *wstack = dy + tk * nhw;
      float *dws = wstack + tk * s->in_c;

      /* dY [t, K, N·H·W]: each tap's view of dout at the input positions */
      t0 = pb_profile_start (prof);
      cm_build_tables (s, false, tab);
      table_spread (s->out_c, s->batch, taps, p_in, p_out, tab, dout, (size_t) s->out_c * nhw,
                    nhw, dy);
      pb_profile_part (prof, PB_PROF_COPY, t0);
      if (dweight != NULL)
        {
          /* dws [t·K, C] = dY [t·K, N·H·W] · inᵀ [N·H·W, C] */
          pb_profile_sgemm (prof, false, true, (int) tk, s->in_c, (int) nhw,
                            1.0f, dy, (int) nhw, in, (int) nhw, 0.0f, dws, s->in_c);
          t0 = pb_profile_start (prof);
          for (int o = 0; o < s->out_c; o++)
            for (int c = 0; c < s->in_c; c++)
              for (int t = 0; t < taps; t++)
                dweight[((size_t) o * s->in_c + c) * taps + t]
                  += dws[((size_t) t * s->out_c + o) * s->in_c + c];
          pb_profile_part (prof, PB_PROF_COPY, t0);
        }
      if (din != NULL)
        {
          t0 = pb_profile_start (prof);
          kn2row_pack (s, weight, wstack);
          pb_profile_part (prof, PB_PROF_COPY, t0);
          /* din [C, N·H·W] = wstackᵀ [C, t·K] · dY [t·K, N·H·W] */
          pb_profile_sgemm (prof, true, false, s->in_c, (int) nhw, (int) tk,
                            1.0f, wstack, s->in_c, dy, (int) nhw, 0.0f, din, (int) nhw);
        }
      return;
    }

  const size_t rows = conv_cols_rows (s);
  float *cols = work;

  if (dweight != NULL)
    /* dweight [K, C·k·k] += dout [K, N·P] · colsᵀ [N·P, C·k·k], with cols from the forward */
    pb_profile_sgemm (prof, false, true, s->out_c, (int) rows, (int) width,
                      1.0f, dout, (int) width, cols, (int) width, 1.0f, dweight, (int) rows);
  if (din != NULL)
    {
      /* cols [C·k·k, N·P] = weightᵀ · dout, then each input pixel gathers its taps */
      pb_profile_sgemm (prof, true, false, (int) rows, (int) width, s->out_c,
                        1.0f, weight, (int) rows, dout, (int) width, 0.0f, cols, (int) width);
      t0 = pb_profile_start (prof);
      cm_build_tables (s, false, tab);
      table_gather (s->in_c, s->batch, taps, p_in, p_out, tab, cm_lists (s, tab), cols, width,
                    (size_t) taps * width, NULL, din);
      pb_profile_part (prof, PB_PROF_COPY, t0);
    }
}

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
