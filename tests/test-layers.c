/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "layer-check.h"
#include "pb-gemm.h"
#include "pb-layers.h"
#include "pb-rng.h"

/* ---- conv2d ------------------------------------------------------------------------------ */

static double
conv_loss (void *ctx)
{
  ConvCase *cc = ctx;
  pb_conv2d_forward (&cc->s, cc->in, cc->weight, cc->bias, cc->out, cc->work);
  return project (cc->out, cc->r, cc->out_n);
}

static const struct
{
  int batch, in_c, h, w, out_c, kernel, pad;
} conv_configs[] = {
  { 3, 1, 5, 6, 2, 3, 1 },
  { 2, 2, 5, 4, 3, 3, 0 },
  { 2, 2, 4, 5, 3, 2, 1 },
  { 3, 1, 6, 5, 2, 2, 0 },
  { 2, 2, 7, 7, 4, 3, 1 },
};

static void
test_conv2d_shape (void)
{
  PbConvShape s = { 4, 1, 13, 11, 8, 3, 1 };
  g_assert_cmpint (pb_conv2d_out_h (&s), ==, 13);
  g_assert_cmpint (pb_conv2d_out_w (&s), ==, 11);
  s.pad = 0;
  g_assert_cmpint (pb_conv2d_out_h (&s), ==, 11);
  g_assert_cmpint (pb_conv2d_out_w (&s), ==, 9);
  s.kernel = 2;
  s.pad = 1;
  g_assert_cmpint (pb_conv2d_out_h (&s), ==, 14);
  g_assert_cmpint (pb_conv2d_workspace_floats (&s), >=, (size_t) 1 * 2 * 2 * 4 * 14 * 12);
}

/* Forward against a direct convolution, so forward and backward cannot share one mistake. */
static void
test_conv2d_forward (void)
{
  for (guint t = 0; t < G_N_ELEMENTS (conv_configs); t++)
    {
      g_autoptr (ConvCase) cc = conv_case_new (conv_configs[t].batch, conv_configs[t].in_c,
                                               conv_configs[t].h, conv_configs[t].w,
                                               conv_configs[t].out_c, conv_configs[t].kernel,
                                               conv_configs[t].pad, 100 + t);
      const PbConvShape *s = &cc->s;
      const int ho = pb_conv2d_out_h (s), wo = pb_conv2d_out_w (s), k = s->kernel;
      g_autofree double *want = g_new (double, cc->out_n);

      for (int b = 0; b < s->batch; b++)
        for (int o = 0; o < s->out_c; o++)
          for (int y = 0; y < ho; y++)
            for (int x = 0; x < wo; x++)
              {
                double acc = cc->bias[o];
                for (int c = 0; c < s->in_c; c++)
                  for (int i = 0; i < k; i++)
                    for (int j = 0; j < k; j++)
                      {
                        int iy = y + i - s->pad, ix = x + j - s->pad;
                        if (iy < 0 || iy >= s->in_h || ix < 0 || ix >= s->in_w)
                          continue;
                        acc += (double) cc->in[((b * s->in_c + c) * s->in_h + iy) * s->in_w + ix]
                               * cc->weight[((o * s->in_c + c) * k + i) * k + j];
                      }
                want[((b * s->out_c + o) * ho + y) * wo + x] = acc;
              }

      pb_conv2d_forward (s, cc->in, cc->weight, cc->bias, cc->out, cc->work);
      assert_close (cc->out, want, cc->out_n, 1e-5);
    }
}

static void
test_conv2d_backward (void)
{
  for (guint t = 0; t < G_N_ELEMENTS (conv_configs); t++)
    {
      g_autoptr (ConvCase) cc = conv_case_new (conv_configs[t].batch, conv_configs[t].in_c,
                                               conv_configs[t].h, conv_configs[t].w,
                                               conv_configs[t].out_c, conv_configs[t].kernel,
                                               conv_configs[t].pad, 200 + t);

      g_test_message ("conv B=%d C=%d %dx%d K=%d k=%d pad=%d", cc->s.batch, cc->s.in_c,
                      cc->s.in_h, cc->s.in_w, cc->s.out_c, cc->s.kernel, cc->s.pad);
      pb_conv2d_forward (&cc->s, cc->in, cc->weight, cc->bias, cc->out, cc->work);
      pb_conv2d_backward (&cc->s, cc->in, cc->weight, cc->r, cc->dweight, cc->dbias, cc->din,
                          cc->work);

      check_grad ("conv din", cc->in, cc->in_n, cc->din, NULL, conv_loss, cc, 1e-2f);
      check_grad ("conv dweight", cc->weight, cc->w_n, cc->dweight, NULL, conv_loss, cc, 1e-2f);
      check_grad ("conv dbias", cc->bias, cc->s.out_c, cc->dbias, NULL, conv_loss, cc, 1e-2f);
    }
}

static void
test_conv2d_backward_null_din (void)
{
  g_autoptr (ConvCase) cc = conv_case_new (2, 2, 5, 5, 3, 3, 1, 7);
  g_autofree float *dw = g_new0 (float, cc->w_n);
  g_autofree float *db = g_new0 (float, cc->s.out_c);

  pb_conv2d_backward (&cc->s, cc->in, cc->weight, cc->r, cc->dweight, cc->dbias, cc->din,
                      cc->work);
  pb_conv2d_backward (&cc->s, cc->in, cc->weight, cc->r, dw, db, NULL, cc->work);
  g_assert_cmpmem (dw, sizeof (float) * cc->w_n, cc->dweight, sizeof (float) * cc->w_n);
  g_assert_cmpmem (db, sizeof (float) * cc->s.out_c, cc->dbias, sizeof (float) * cc->s.out_c);
}

/* ---- batch norm -------------------------------------------------------------------------- */

typedef struct
{
  PbBnShape s;
  size_t n;
  float *in, *gamma, *beta, *out, *xhat, *r;
  float mean[8], invstd[8], rmean[8], rvar[8];
  float dgamma[8], dbeta[8];
  float *din;
} BnCase;

static BnCase *
bn_case_new (int batch, int channels, int spatial, guint64 seed)
{
  BnCase *bc = g_new0 (BnCase, 1);
  PbRng rng;

  g_assert_cmpint (channels, <=, 8);
  bc->s = (PbBnShape) { batch, channels, spatial };
  bc->n = (size_t) batch * channels * spatial;
  bc->in = g_new (float, bc->n);
  bc->out = g_new (float, bc->n);
  bc->xhat = g_new (float, bc->n);
  bc->r = g_new (float, bc->n);
  bc->din = g_new0 (float, bc->n);
  bc->gamma = g_new (float, channels);
  bc->beta = g_new (float, channels);

  pb_rng_seed (&rng, seed, 2);
  fill_uniform (&rng, bc->in, bc->n, -2, 3);
  fill_uniform (&rng, bc->r, bc->n, -1, 1);
  fill_uniform (&rng, bc->gamma, channels, 0.5, 1.5);
  fill_uniform (&rng, bc->beta, channels, -1, 1);
  return bc;
}

static void
bn_case_free (BnCase *bc)
{
  g_free (bc->in);
  g_free (bc->out);
  g_free (bc->xhat);
  g_free (bc->r);
  g_free (bc->din);
  g_free (bc->gamma);
  g_free (bc->beta);
  g_free (bc);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BnCase, bn_case_free)

static double
bn_loss (void *ctx)
{
  BnCase *bc = ctx;
  pb_batchnorm_forward_train (&bc->s, bc->in, bc->gamma, bc->beta, bc->out, bc->xhat, bc->mean,
                              bc->invstd, bc->rmean, bc->rvar, 0.1f, 1e-5f);
  return project (bc->out, bc->r, bc->n);
}

static void
test_batchnorm_backward (void)
{
  static const int shapes[][3] = { { 3, 2, 4 }, { 2, 3, 5 }, { 8, 1, 1 } };

  for (guint t = 0; t < G_N_ELEMENTS (shapes); t++)
    {
      g_autoptr (BnCase) bc = bn_case_new (shapes[t][0], shapes[t][1], shapes[t][2], 300 + t);
      const int c = bc->s.channels;

      bn_loss (bc);
      pb_batchnorm_backward (&bc->s, bc->xhat, bc->invstd, bc->gamma, bc->r, bc->dgamma,
                             bc->dbeta, bc->din);

      check_grad ("bn din", bc->in, bc->n, bc->din, NULL, bn_loss, bc, 1e-2f);
      check_grad ("bn dgamma", bc->gamma, c, bc->dgamma, NULL, bn_loss, bc, 1e-2f);
      check_grad ("bn dbeta", bc->beta, c, bc->dbeta, NULL, bn_loss, bc, 1e-2f);
    }
}

/* [B=2, C=2, S=2]: channel 0 holds 1, 2, 3, 4 (mean 2.5, biased var 1.25, unbiased 5/3);
 * channel 1 holds −1, 1, 0, 4 (mean 1, biased var 3.5, unbiased 14/3). */
static void
test_batchnorm_running_stats (void)
{
  PbBnShape s = { 2, 2, 2 };
  const float in[8] = { 1, 2, -1, 1, 3, 4, 0, 4 };
  const float gamma[2] = { 1, 2 }, beta[2] = { 0, 0.5f };
  float out[8], xhat[8], mean[2], invstd[2];
  float rmean[2] = { 1, -2 }, rvar[2] = { 2, 0.5f };
  const float eps = 1e-5f;

  pb_batchnorm_forward_train (&s, in, gamma, beta, out, xhat, mean, invstd, rmean, rvar, 0.1f,
                              eps);

  g_assert_cmpfloat_with_epsilon (mean[0], 2.5, 1e-6);
  g_assert_cmpfloat_with_epsilon (mean[1], 1.0, 1e-6);
  g_assert_cmpfloat_with_epsilon (invstd[0], 1.0 / sqrt (1.25 + eps), 1e-6);
  g_assert_cmpfloat_with_epsilon (invstd[1], 1.0 / sqrt (3.5 + eps), 1e-6);
  g_assert_cmpfloat_with_epsilon (rmean[0], 0.9 * 1 + 0.1 * 2.5, 1e-6);
  g_assert_cmpfloat_with_epsilon (rmean[1], 0.9 * -2 + 0.1 * 1.0, 1e-6);
  g_assert_cmpfloat_with_epsilon (rvar[0], 0.9 * 2 + 0.1 * 5.0 / 3.0, 1e-6);
  g_assert_cmpfloat_with_epsilon (rvar[1], 0.9 * 0.5 + 0.1 * 14.0 / 3.0, 1e-6);

  const double want_out[8] = {
    (1 - 2.5) / sqrt (1.25 + eps), (2 - 2.5) / sqrt (1.25 + eps),
    2 * (-1 - 1) / sqrt (3.5 + eps) + 0.5, 2 * (1 - 1) / sqrt (3.5 + eps) + 0.5,
    (3 - 2.5) / sqrt (1.25 + eps), (4 - 2.5) / sqrt (1.25 + eps),
    2 * (0 - 1) / sqrt (3.5 + eps) + 0.5, 2 * (4 - 1) / sqrt (3.5 + eps) + 0.5,
  };
  assert_close (out, want_out, 8, 1e-6);

  /* A second step moves the averages again from where the first left them. */
  pb_batchnorm_forward_train (&s, in, gamma, beta, out, xhat, mean, invstd, rmean, rvar, 0.1f,
                              eps);
  g_assert_cmpfloat_with_epsilon (rmean[0], 0.9 * 1.15 + 0.1 * 2.5, 1e-6);
  g_assert_cmpfloat_with_epsilon (rvar[1], 0.9 * (0.45 + 0.1 * 14.0 / 3.0) + 0.1 * 14.0 / 3.0,
                                  1e-6);
}

static void
test_batchnorm_eval (void)
{
  PbBnShape s = { 2, 2, 2 };
  const float in[8] = { 1, 2, -1, 1, 3, 4, 0, 4 };
  const float gamma[2] = { 2, 0.5f }, beta[2] = { 1, -1 };
  const float rmean[2] = { 0.5f, -1 }, rvar[2] = { 4, 0.25f };
  float out[8];

  /* eps = 0: channel 0 is 2·(x − 0.5)/2 + 1 = x + 0.5; channel 1 is 0.5·(x + 1)/0.5 − 1 = x. */
  pb_batchnorm_forward_eval (&s, in, gamma, beta, rmean, rvar, 0.0f, out);
  const double want0[8] = { 1.5, 2.5, -1, 1, 3.5, 4.5, 0, 4 };
  assert_close (out, want0, 8, 1e-6);

  /* eps = 0.75 makes channel 1's denominator sqrt(1): 0.5·(x + 1) − 1. */
  pb_batchnorm_forward_eval (&s, in, gamma, beta, rmean, rvar, 0.75f, out);
  const double want1[8] = {
    2 * 0.5 / sqrt (4.75) + 1, 2 * 1.5 / sqrt (4.75) + 1, -1, -0.0,
    2 * 2.5 / sqrt (4.75) + 1, 2 * 3.5 / sqrt (4.75) + 1, -0.5, 1.5,
  };
  assert_close (out, want1, 8, 1e-6);
}

/* ---- max-pool ---------------------------------------------------------------------------- */

/* 5×5 → 2×2: the last row and column are dropped (floor mode) even though they hold the largest
 * values, and the tie in the second window goes to the first maximum in row-major order. */
static void
test_maxpool_forward_hand (void)
{
  const float in[25] = {
    1, 2,   7, 7,  90,
    3, 4,   5, 7,  91,
    -1, -2, 0, 9,  92,
    -3, -4, 9, 1,  93,
    99, 98, 97, 96, 95,
  };
  float out[4];
  int32_t argmax[4];

  pb_maxpool2_forward (1, 5, 5, in, out, argmax);

  const float want[4] = { 4, 7, -1, 9 };
  const int32_t want_arg[4] = { 6, 2, 10, 13 };
  for (int i = 0; i < 4; i++)
    {
      g_assert_cmpfloat (out[i], ==, want[i]);
      g_assert_cmpint (argmax[i], ==, want_arg[i]);
    }
}

/* 13×13 → 6×6 over several planes: argmax is a flat index into the whole input. */
static void
test_maxpool_forward_odd (void)
{
  const int n = 3, h = 13, w = 13, ho = 6, wo = 6;
  g_autofree float *in = g_new (float, n * h * w);
  float out[3 * 36];
  int32_t argmax[3 * 36];
  PbRng rng;

  pb_rng_seed (&rng, 13, 3);
  fill_uniform (&rng, in, (size_t) n * h * w, -1, 1);
  /* The row and column that floor mode drops hold the largest values. */
  for (int p = 0; p < n; p++)
    for (int i = 0; i < 13; i++)
      {
        in[(p * h + 12) * w + i] = 10.0f + i;
        in[(p * h + i) * w + 12] = 10.0f + i;
      }

  pb_maxpool2_forward (n, h, w, in, out, argmax);

  for (int p = 0; p < n; p++)
    for (int y = 0; y < ho; y++)
      for (int x = 0; x < wo; x++)
        {
          int o = (p * ho + y) * wo + x;
          float best = -INFINITY;
          int best_i = -1;
          for (int dy = 0; dy < 2; dy++)
            for (int dx = 0; dx < 2; dx++)
              {
                int i = (p * h + 2 * y + dy) * w + 2 * x + dx;
                if (in[i] > best)
                  {
                    best = in[i];
                    best_i = i;
                  }
              }
          g_assert_cmpfloat (out[o], ==, best);
          g_assert_cmpint (argmax[o], ==, best_i);
          g_assert_cmpfloat (out[o], <, 10.0f);
        }
}

typedef struct
{
  int n, h, w;
  size_t in_n, out_n;
  float *in, *out, *r, *din;
  int32_t *argmax;
} PoolCase;

static double
pool_loss (void *ctx)
{
  PoolCase *pc = ctx;
  pb_maxpool2_forward (pc->n, pc->h, pc->w, pc->in, pc->out, pc->argmax);
  return project (pc->out, pc->r, pc->out_n);
}

static void
test_maxpool_backward (void)
{
  const float eps = 1e-2f;
  PoolCase pc = { .n = 3, .h = 7, .w = 6 };
  PbRng rng;

  pc.in_n = (size_t) pc.n * pc.h * pc.w;
  pc.out_n = (size_t) pc.n * (pc.h / 2) * (pc.w / 2);
  g_autofree float *in = pc.in = g_new (float, pc.in_n);
  g_autofree float *out = pc.out = g_new (float, pc.out_n);
  g_autofree float *r = pc.r = g_new (float, pc.out_n);
  g_autofree float *din = pc.din = g_new0 (float, pc.in_n);
  g_autofree int32_t *argmax = pc.argmax = g_new (int32_t, pc.out_n);
  g_autofree gboolean *skip = g_new0 (gboolean, pc.in_n);

  pb_rng_seed (&rng, 17, 4);
  fill_uniform (&rng, pc.in, pc.in_n, -1, 1);
  fill_uniform (&rng, pc.r, pc.out_n, -1, 1);

  /* Skip windows whose two largest values are within reach of the step: the max is a kink. */
  for (int p = 0; p < pc.n; p++)
    for (int y = 0; y < pc.h / 2; y++)
      for (int x = 0; x < pc.w / 2; x++)
        {
          int idx[4];
          float a = -INFINITY, b = -INFINITY;
          for (int k = 0; k < 4; k++)
            {
              idx[k] = (p * pc.h + 2 * y + k / 2) * pc.w + 2 * x + k % 2;
              float v = pc.in[idx[k]];
              if (v > a)
                {
                  b = a;
                  a = v;
                }
              else if (v > b)
                b = v;
            }
          if (a - b < 4 * eps)
            for (int k = 0; k < 4; k++)
              skip[idx[k]] = TRUE;
        }

  pool_loss (&pc);
  pb_maxpool2_backward (pc.n, pc.h, pc.w, pc.r, pc.argmax, pc.din);
  check_grad ("maxpool din", pc.in, pc.in_n, pc.din, skip, pool_loss, &pc, eps);

  /* The dropped last row gets no gradient. */
  for (int p = 0; p < pc.n; p++)
    for (int x = 0; x < pc.w; x++)
      g_assert_cmpfloat (pc.din[(p * pc.h + pc.h - 1) * pc.w + x], ==, 0.0f);
}

/* ---- relu -------------------------------------------------------------------------------- */

typedef struct
{
  size_t n;
  float *in, *out, *r;
} ReluCase;

static double
relu_loss (void *ctx)
{
  ReluCase *rc = ctx;
  pb_relu_forward (rc->n, rc->in, rc->out);
  return project (rc->out, rc->r, rc->n);
}

static void
test_relu (void)
{
  const float eps = 1e-2f;
  const size_t n = 200;
  ReluCase rc = { .n = n };
  PbRng rng;

  g_autofree float *in = rc.in = g_new (float, n);
  g_autofree float *out = rc.out = g_new (float, n);
  g_autofree float *r = rc.r = g_new (float, n);
  g_autofree float *din = g_new0 (float, n);
  g_autofree gboolean *skip = g_new0 (gboolean, n);

  pb_rng_seed (&rng, 23, 5);
  fill_uniform (&rng, in, n, -1, 1);
  fill_uniform (&rng, r, n, -1, 1);
  for (size_t i = 0; i < n; i++)
    skip[i] = fabsf (in[i]) < 2 * eps;

  relu_loss (&rc);
  for (size_t i = 0; i < n; i++)
    g_assert_cmpfloat (out[i], ==, in[i] > 0 ? in[i] : 0.0f);

  pb_relu_backward (n, out, r, din);
  check_grad ("relu din", in, n, din, skip, relu_loss, &rc, eps);

  /* In place. */
  float x[4] = { -1, 0, 2, -0.5f };
  pb_relu_forward (4, x, x);
  g_assert_cmpfloat (x[0], ==, 0);
  g_assert_cmpfloat (x[1], ==, 0);
  g_assert_cmpfloat (x[2], ==, 2);
  g_assert_cmpfloat (x[3], ==, 0);
}

/* ---- linear ------------------------------------------------------------------------------ */

typedef struct
{
  int batch, in_f, out_f;
  float *in, *weight, *bias, *out, *r;
} LinearCase;

static double
linear_loss (void *ctx)
{
  LinearCase *lc = ctx;
  pb_linear_forward (lc->batch, lc->in_f, lc->out_f, lc->in, lc->weight, lc->bias, lc->out);
  return project (lc->out, lc->r, (size_t) lc->batch * lc->out_f);
}

static void
test_linear (void)
{
  LinearCase lc = { .batch = 3, .in_f = 7, .out_f = 4 };
  const size_t in_n = 21, w_n = 28, out_n = 12;
  PbRng rng;

  g_autofree float *in = lc.in = g_new (float, in_n);
  g_autofree float *weight = lc.weight = g_new (float, w_n);
  g_autofree float *bias = lc.bias = g_new (float, lc.out_f);
  g_autofree float *out = lc.out = g_new (float, out_n);
  g_autofree float *r = lc.r = g_new (float, out_n);
  g_autofree float *din = g_new0 (float, in_n);
  g_autofree float *dweight = g_new0 (float, w_n);
  g_autofree float *dbias = g_new0 (float, lc.out_f);
  double want[12];

  pb_rng_seed (&rng, 29, 6);
  fill_uniform (&rng, in, in_n, -1, 1);
  fill_uniform (&rng, weight, w_n, -1, 1);
  fill_uniform (&rng, bias, lc.out_f, -1, 1);
  fill_uniform (&rng, r, out_n, -1, 1);

  for (int b = 0; b < lc.batch; b++)
    for (int o = 0; o < lc.out_f; o++)
      {
        double acc = bias[o];
        for (int i = 0; i < lc.in_f; i++)
          acc += (double) in[b * lc.in_f + i] * weight[o * lc.in_f + i];
        want[b * lc.out_f + o] = acc;
      }
  linear_loss (&lc);
  assert_close (out, want, out_n, 1e-5);

  pb_linear_backward (lc.batch, lc.in_f, lc.out_f, in, weight, r, dweight, dbias, din);
  check_grad ("linear din", in, in_n, din, NULL, linear_loss, &lc, 1e-2f);
  check_grad ("linear dweight", weight, w_n, dweight, NULL, linear_loss, &lc, 1e-2f);
  check_grad ("linear dbias", bias, lc.out_f, dbias, NULL, linear_loss, &lc, 1e-2f);

  /* din may be NULL. */
  g_autofree float *dweight2 = g_new0 (float, w_n);
  g_autofree float *dbias2 = g_new0 (float, lc.out_f);
  pb_linear_backward (lc.batch, lc.in_f, lc.out_f, in, weight, r, dweight2, dbias2, NULL);
  g_assert_cmpmem (dweight2, sizeof (float) * w_n, dweight, sizeof (float) * w_n);
  g_assert_cmpmem (dbias2, sizeof (float) * lc.out_f, dbias, sizeof (float) * lc.out_f);
}

/* ---- dropout ----------------------------------------------------------------------------- */

typedef struct
{
  size_t n;
  float p;
  float *in, *out, *mask, *r;
} DropoutCase;

static double
dropout_loss (void *ctx)
{
  DropoutCase *dc = ctx;
  PbRng rng;

  /* The same seed every time, so every evaluation drops the same units. */
  pb_rng_seed (&rng, 31, 7);
  pb_dropout_forward (dc->n, dc->p, &rng, dc->in, dc->out, dc->mask);
  return project (dc->out, dc->r, dc->n);
}

static void
test_dropout_identity (void)
{
  const size_t n = 100;
  g_autofree float *in = g_new (float, n);
  g_autofree float *out = g_new (float, n);
  g_autofree float *mask = g_new (float, n);
  g_autofree float *dout = g_new (float, n);
  g_autofree float *din = g_new0 (float, n);
  PbRng rng;

  pb_rng_seed (&rng, 37, 8);
  fill_uniform (&rng, in, n, -1, 1);
  fill_uniform (&rng, dout, n, -1, 1);

  pb_dropout_forward (n, 0.0f, &rng, in, out, mask);
  pb_dropout_backward (n, mask, dout, din);
  for (size_t i = 0; i < n; i++)
    {
      g_assert_cmpfloat (out[i], ==, in[i]);
      g_assert_cmpfloat (mask[i], ==, 1.0f);
      g_assert_cmpfloat (din[i], ==, dout[i]);
    }
}

static void
test_dropout_half (void)
{
  const size_t n = 20000;
  DropoutCase dc = { .n = n, .p = 0.5f };
  PbRng rng;

  g_autofree float *in = dc.in = g_new (float, n);
  g_autofree float *out = dc.out = g_new (float, n);
  g_autofree float *mask = dc.mask = g_new (float, n);
  g_autofree float *r = dc.r = g_new (float, n);
  g_autofree float *din = g_new0 (float, n);

  pb_rng_seed (&rng, 41, 9);
  fill_uniform (&rng, in, n, -1, 1);
  fill_uniform (&rng, r, n, -1, 1);

  dropout_loss (&dc);
  size_t kept = 0;
  for (size_t i = 0; i < n; i++)
    {
      g_assert_true (mask[i] == 0.0f || mask[i] == 2.0f);
      g_assert_cmpfloat (out[i], ==, in[i] * mask[i]);
      kept += mask[i] != 0.0f;
    }
  g_test_message ("dropout p=0.5 kept %zu of %zu", kept, n);
  /* Binomial(20000, 0.5) has a standard deviation of about 71. */
  g_assert_cmpuint (kept, >, n / 2 - 600);
  g_assert_cmpuint (kept, <, n / 2 + 600);

  pb_dropout_backward (n, mask, r, din);
  for (size_t i = 0; i < n; i++)
    g_assert_cmpfloat (din[i], ==, mask[i] * r[i]);

  /* Finite differences on a smaller slice keep the test quick. */
  dc.n = 300;
  check_grad ("dropout din", in, dc.n, din, NULL, dropout_loss, &dc, 1e-2f);

  /* In place gives the same values as out of place. */
  g_autofree float *copy = g_memdup2 (in, sizeof (float) * n);
  pb_rng_seed (&rng, 31, 7);
  pb_dropout_forward (300, 0.5f, &rng, copy, copy, mask);
  pb_rng_seed (&rng, 31, 7);
  pb_dropout_forward (300, 0.5f, &rng, in, out, mask);
  g_assert_cmpmem (copy, sizeof (float) * 300, out, sizeof (float) * 300);
}

/* ---- cross-entropy ----------------------------------------------------------------------- */

typedef struct
{
  int batch, classes;
  float *logits, *probs;
  const uint8_t *targets;
  float scale;
} CeCase;

static double
ce_loss (void *ctx)
{
  CeCase *cc = ctx;
  return cc->scale
         * pb_cross_entropy_forward (cc->batch, cc->classes, cc->logits, cc->targets, cc->probs);
}

static void
test_cross_entropy_forward (void)
{
  const float logits[6] = { 1, 2, 3, 0, 0, 0 };
  const uint8_t targets[2] = { 2, 0 };
  float probs[6];

  double loss = pb_cross_entropy_forward (2, 3, logits, targets, probs);
  double lse = log (exp (1.0) + exp (2.0) + exp (3.0));
  g_assert_cmpfloat_with_epsilon (loss, ((lse - 3.0) + log (3.0)) / 2, 1e-6);
  for (int c = 0; c < 3; c++)
    {
      g_assert_cmpfloat_with_epsilon (probs[c], exp (c + 1.0 - lse), 1e-6);
      g_assert_cmpfloat_with_epsilon (probs[3 + c], 1.0 / 3.0, 1e-6);
    }

  /* Large logits would overflow a naive exp. */
  const float big[4] = { 1000, 1001, -1000, -1002 };
  const uint8_t big_targets[2] = { 0, 1 };
  loss = pb_cross_entropy_forward (2, 2, big, big_targets, probs);
  double want = (log1p (exp (-1.0)) + 1.0 + log1p (exp (-2.0)) + 2.0) / 2;
  g_assert_true (isfinite (loss));
  g_assert_cmpfloat_with_epsilon (loss, want, 1e-5);
}

static void
test_cross_entropy_backward (void)
{
  CeCase cc = { .batch = 4, .classes = 10, .scale = 2.0f };
  const uint8_t targets[4] = { 3, 0, 9, 3 };
  const size_t n = 40;
  PbRng rng;

  g_autofree float *logits = cc.logits = g_new (float, n);
  g_autofree float *probs = cc.probs = g_new (float, n);
  g_autofree float *dlogits = g_new0 (float, n);
  cc.targets = targets;

  pb_rng_seed (&rng, 43, 10);
  fill_uniform (&rng, logits, n, -3, 3);

  ce_loss (&cc);
  pb_cross_entropy_backward (cc.batch, cc.classes, probs, targets, cc.scale, dlogits);
  check_grad ("ce dlogits", logits, n, dlogits, NULL, ce_loss, &cc, 1e-2f);
}

/* ---- backward adds ----------------------------------------------------------------------- */

static void
test_backward_adds (void)
{
  PbRng rng;
  pb_rng_seed (&rng, 47, 11);

  {
    g_autoptr (ConvCase) cc = conv_case_new (2, 2, 5, 5, 3, 3, 1, 53);
    g_autofree float *dw2 = g_new0 (float, cc->w_n);
    g_autofree float *db2 = g_new0 (float, cc->s.out_c);
    g_autofree float *din2 = g_new0 (float, cc->in_n);

    pb_conv2d_backward (&cc->s, cc->in, cc->weight, cc->r, cc->dweight, cc->dbias, cc->din,
                        cc->work);
    for (int k = 0; k < 2; k++)
      pb_conv2d_backward (&cc->s, cc->in, cc->weight, cc->r, dw2, db2, din2, cc->work);
    assert_doubled (cc->dweight, dw2, cc->w_n);
    assert_doubled (cc->dbias, db2, cc->s.out_c);
    assert_doubled (cc->din, din2, cc->in_n);
  }

  {
    g_autoptr (BnCase) bc = bn_case_new (3, 2, 4, 59);
    float dg2[2] = { 0 }, db2[2] = { 0 };
    g_autofree float *din2 = g_new0 (float, bc->n);

    bn_loss (bc);
    pb_batchnorm_backward (&bc->s, bc->xhat, bc->invstd, bc->gamma, bc->r, bc->dgamma,
                           bc->dbeta, bc->din);
    for (int k = 0; k < 2; k++)
      pb_batchnorm_backward (&bc->s, bc->xhat, bc->invstd, bc->gamma, bc->r, dg2, db2, din2);
    assert_doubled (bc->dgamma, dg2, 2);
    assert_doubled (bc->dbeta, db2, 2);
    assert_doubled (bc->din, din2, bc->n);
  }

  {
    float in[4 * 5 * 4], out[4 * 2 * 2], dout[16], d1[80] = { 0 }, d2[80] = { 0 };
    int32_t argmax[16];

    fill_uniform (&rng, in, 80, -1, 1);
    fill_uniform (&rng, dout, 16, -1, 1);
    pb_maxpool2_forward (4, 5, 4, in, out, argmax);
    pb_maxpool2_backward (4, 5, 4, dout, argmax, d1);
    for (int k = 0; k < 2; k++)
      pb_maxpool2_backward (4, 5, 4, dout, argmax, d2);
    assert_doubled (d1, d2, 80);
  }

  {
    float in[50], out[50], dout[50], d1[50] = { 0 }, d2[50] = { 0 };

    fill_uniform (&rng, in, 50, -1, 1);
    fill_uniform (&rng, dout, 50, -1, 1);
    pb_relu_forward (50, in, out);
    pb_relu_backward (50, out, dout, d1);
    for (int k = 0; k < 2; k++)
      pb_relu_backward (50, out, dout, d2);
    assert_doubled (d1, d2, 50);
  }

  {
    float in[3 * 5], w[4 * 5], dout[3 * 4];
    float dw1[20] = { 0 }, db1[4] = { 0 }, din1[15] = { 0 };
    float dw2[20] = { 0 }, db2[4] = { 0 }, din2[15] = { 0 };

    fill_uniform (&rng, in, 15, -1, 1);
    fill_uniform (&rng, w, 20, -1, 1);
    fill_uniform (&rng, dout, 12, -1, 1);
    pb_linear_backward (3, 5, 4, in, w, dout, dw1, db1, din1);
    for (int k = 0; k < 2; k++)
      pb_linear_backward (3, 5, 4, in, w, dout, dw2, db2, din2);
    assert_doubled (dw1, dw2, 20);
    assert_doubled (db1, db2, 4);
    assert_doubled (din1, din2, 15);
  }

  {
    float in[64], out[64], mask[64], dout[64], d1[64] = { 0 }, d2[64] = { 0 };

    fill_uniform (&rng, in, 64, -1, 1);
    fill_uniform (&rng, dout, 64, -1, 1);
    pb_dropout_forward (64, 0.3f, &rng, in, out, mask);
    pb_dropout_backward (64, mask, dout, d1);
    for (int k = 0; k < 2; k++)
      pb_dropout_backward (64, mask, dout, d2);
    assert_doubled (d1, d2, 64);
  }

  {
    float logits[3 * 5], probs[15], d1[15] = { 0 }, d2[15] = { 0 };
    const uint8_t targets[3] = { 4, 0, 2 };

    fill_uniform (&rng, logits, 15, -2, 2);
    pb_cross_entropy_forward (3, 5, logits, targets, probs);
    pb_cross_entropy_backward (3, 5, probs, targets, 1.0f, d1);
    for (int k = 0; k < 2; k++)
      pb_cross_entropy_backward (3, 5, probs, targets, 1.0f, d2);
    assert_doubled (d1, d2, 15);
  }
}

/* fc1 → ReLU (in place, as the trunk applies it) → fc2, projected: the trunk's hidden layer. */
typedef struct
{
  int batch, in_f, hid, out_f;
  float *x, *w1, *b1, *w2, *b2, *h, *y, *r;
} HiddenCase;

static double
hidden_loss (void *ctx)
{
  HiddenCase *hc = ctx;
  pb_linear_forward (hc->batch, hc->in_f, hc->hid, hc->x, hc->w1, hc->b1, hc->h);
  pb_relu_forward ((size_t) hc->batch * hc->hid, hc->h, hc->h);
  pb_linear_forward (hc->batch, hc->hid, hc->out_f, hc->h, hc->w2, hc->b2, hc->y);
  return project (hc->y, hc->r, (size_t) hc->batch * hc->out_f);
}

static void
test_hidden_relu (void)
{
  HiddenCase hc = { .batch = 4, .in_f = 6, .hid = 5, .out_f = 3 };
  const size_t nh = (size_t) hc.batch * hc.hid;
  PbRng rng;

  hc.x = g_new (float, hc.batch * hc.in_f);
  hc.w1 = g_new (float, hc.hid * hc.in_f);
  hc.b1 = g_new (float, hc.hid);
  hc.w2 = g_new (float, hc.out_f * hc.hid);
  hc.b2 = g_new (float, hc.out_f);
  hc.h = g_new (float, nh);
  hc.y = g_new (float, hc.batch * hc.out_f);
  hc.r = g_new (float, hc.batch * hc.out_f);
  pb_rng_seed (&rng, 77, 1);
  fill_uniform (&rng, hc.x, hc.batch * hc.in_f, -1, 1);
  fill_uniform (&rng, hc.w1, hc.hid * hc.in_f, -1, 1);
  fill_uniform (&rng, hc.b1, hc.hid, -0.5, 0.5);
  fill_uniform (&rng, hc.w2, hc.out_f * hc.hid, -1, 1);
  fill_uniform (&rng, hc.b2, hc.out_f, -1, 1);
  fill_uniform (&rng, hc.r, hc.batch * hc.out_f, -1, 1);

  g_autofree float *dh = g_new0 (float, nh), *dpre = g_new0 (float, nh);
  g_autofree float *dx = g_new0 (float, hc.batch * hc.in_f);
  g_autofree float *dw1 = g_new0 (float, hc.hid * hc.in_f), *db1 = g_new0 (float, hc.hid);
  g_autofree float *dw2 = g_new0 (float, hc.out_f * hc.hid), *db2 = g_new0 (float, hc.out_f);
  int zeros = 0;

  hidden_loss (&hc);
  for (size_t i = 0; i < nh; i++)
    zeros += hc.h[i] == 0.0f;
  /* Some units must be cut, or the ReLU is not exercised. */
  g_assert_cmpint (zeros, >, 0);
  g_assert_cmpint (zeros, <, (int) nh);
  pb_linear_backward (hc.batch, hc.hid, hc.out_f, hc.h, hc.w2, hc.r, dw2, db2, dh);
  pb_relu_backward (nh, hc.h, dh, dpre);
  pb_linear_backward (hc.batch, hc.in_f, hc.hid, hc.x, hc.w1, dpre, dw1, db1, dx);

  check_grad ("hidden relu dx", hc.x, hc.batch * hc.in_f, dx, NULL, hidden_loss, &hc, 1e-3f);
  check_grad ("hidden relu dw1", hc.w1, hc.hid * hc.in_f, dw1, NULL, hidden_loss, &hc, 1e-3f);
  check_grad ("hidden relu db1", hc.b1, hc.hid, db1, NULL, hidden_loss, &hc, 1e-3f);
  check_grad ("hidden relu dw2", hc.w2, hc.out_f * hc.hid, dw2, NULL, hidden_loss, &hc, 1e-3f);

  g_free (hc.x); g_free (hc.w1); g_free (hc.b1); g_free (hc.w2); g_free (hc.b2);
  g_free (hc.h); g_free (hc.y); g_free (hc.r);
}

/* A deliberately wrong gradient must fail the criterion check_grad uses. */
static void
test_grad_check_rejects_wrong (void)
{
  const double numeric[4] = { 1.0, -0.5, 0.25, 0.0 };
  const float right[4] = { 1.002f, -0.501f, 0.2502f, 0.0f };
  const float sign_flip[4] = { 1.0f, 0.5f, 0.25f, 0.0f };
  const float leak[4] = { 1.0f, -0.5f, 0.25f, 0.05f };

  g_assert_true (grad_matches (right, 1.0, numeric, NULL, 4, NULL));
  g_assert_false (grad_matches (right, 1.1, numeric, NULL, 4, NULL));
  g_assert_false (grad_matches (right, 0.9, numeric, NULL, 4, NULL));
  g_assert_false (grad_matches (sign_flip, 1.0, numeric, NULL, 4, NULL));
  g_assert_false (grad_matches (leak, 1.0, numeric, NULL, 4, NULL));
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  pb_blas_set_single_thread ();

  g_test_add_func ("/core/layers/grad-check-rejects-wrong", test_grad_check_rejects_wrong);
  g_test_add_func ("/core/layers/conv2d/shape", test_conv2d_shape);
  g_test_add_func ("/core/layers/conv2d/forward", test_conv2d_forward);
  g_test_add_func ("/core/layers/conv2d/backward", test_conv2d_backward);
  g_test_add_func ("/core/layers/conv2d/backward-null-din", test_conv2d_backward_null_din);
  g_test_add_func ("/core/layers/batchnorm/backward", test_batchnorm_backward);
  g_test_add_func ("/core/layers/batchnorm/running-stats", test_batchnorm_running_stats);
  g_test_add_func ("/core/layers/batchnorm/eval", test_batchnorm_eval);
  g_test_add_func ("/core/layers/maxpool/forward-hand", test_maxpool_forward_hand);
  g_test_add_func ("/core/layers/maxpool/forward-odd", test_maxpool_forward_odd);
  g_test_add_func ("/core/layers/maxpool/backward", test_maxpool_backward);
  g_test_add_func ("/core/layers/relu", test_relu);
  g_test_add_func ("/core/layers/linear", test_linear);
  g_test_add_func ("/core/layers/dropout/identity", test_dropout_identity);
  g_test_add_func ("/core/layers/dropout/half", test_dropout_half);
  g_test_add_func ("/core/layers/cross-entropy/forward", test_cross_entropy_forward);
  g_test_add_func ("/core/layers/cross-entropy/backward", test_cross_entropy_backward);
  g_test_add_func ("/core/layers/backward-adds", test_backward_adds);
  g_test_add_func ("/core/layers/hidden-relu", test_hidden_relu);
  return g_test_run ();
}
