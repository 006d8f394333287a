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
