/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "pb-gemm.h"
#include "pb-layers.h"
#include "pb-rng.h"

/* ---- helpers ----------------------------------------------------------------------------- */

/* Gradient check criterion: |analytic − numeric| ≤ RTOL·max(|a|, |n|) + ATOL·max|n|.
 * check_grad also asserts that the analytic gradient scaled by 1.1 fails it, so the criterion is
 * known to be strict enough to catch a real bug. */
#define GRAD_RTOL 1e-2
#define GRAD_ATOL 1e-3

typedef double (*LossFunc) (void *ctx);

static void
fill_uniform (PbRng *rng, float *x, size_t n, double lo, double hi)
{
  for (size_t i = 0; i < n; i++)
    x[i] = (float) (lo + (hi - lo) * pb_rng_uniform_double (rng));
}

static double
project (const float *out, const float *r, size_t n)
{
  double acc = 0.0;
  for (size_t i = 0; i < n; i++)
    acc += (double) out[i] * r[i];
  return acc;
}

static gboolean
grad_matches (const float *grad, double grad_scale, const double *numeric, const gboolean *skip,
              size_t n, double *worst_out)
{
  double largest = 0.0, worst = 0.0;
  gboolean ok = TRUE;

  for (size_t i = 0; i < n; i++)
    if (!(skip && skip[i]))
      largest = MAX (largest, fabs (numeric[i]));

  for (size_t i = 0; i < n; i++)
    {
      if (skip && skip[i])
        continue;
      double a = grad[i] * grad_scale, d = numeric[i];
      double err = fabs (a - d);
      double allowed = GRAD_RTOL * MAX (fabs (a), fabs (d)) + GRAD_ATOL * largest;
      worst = MAX (worst, err / (MAX (fabs (a), fabs (d)) + GRAD_ATOL * largest + 1e-30));
      if (err > allowed)
        ok = FALSE;
    }

  if (worst_out)
    *worst_out = worst;
  return ok;
}

/* Compares grad with central differences of loss over every x[i] not skipped. */
static void
check_grad (const char *what, float *x, size_t n, const float *grad, const gboolean *skip,
            LossFunc loss, void *ctx, float eps)
{
  g_autofree double *numeric = g_new0 (double, n);
  size_t checked = 0;
  double largest = 0.0, worst = 0.0;

  for (size_t i = 0; i < n; i++)
    {
      if (skip && skip[i])
        continue;

      const float x0 = x[i];
      const float xp = x0 + eps, xm = x0 - eps;

      x[i] = xp;
      double lp = loss (ctx);
      x[i] = xm;
      double lm = loss (ctx);
      x[i] = x0;

      /* Divide by the step float actually took, not by the nominal 2·eps. */
      numeric[i] = (lp - lm) / ((double) xp - (double) xm);
      largest = MAX (largest, fabs (numeric[i]));
      checked++;
    }

  gboolean ok = grad_matches (grad, 1.0, numeric, skip, n, &worst);
  g_test_message ("%s: %zu of %zu checked, max |grad| %.3g, worst rel err %.3g",
                  what, checked, n, largest, worst);
  g_assert_cmpuint (checked, >, 0);
  g_assert_cmpfloat (largest, >, 0.0);
  g_assert_true (ok);
  /* A gradient that is 10% off must not pass. */
  g_assert_false (grad_matches (grad, 1.1, numeric, skip, n, NULL));
}

static void
assert_close (const float *got, const double *want, size_t n, double tol)
{
  for (size_t i = 0; i < n; i++)
    if (fabs (got[i] - want[i]) > tol * (1.0 + fabs (want[i])))
      g_error ("element %zu: got %.8g, want %.8g", i, (double) got[i], want[i]);
}

/* After one backward from zero gave once[] and two gave twice[], twice must be 2·once. */
static void
assert_doubled (const float *once, const float *twice, size_t n)
{
  double largest = 0.0;
  for (size_t i = 0; i < n; i++)
    largest = MAX (largest, fabs (once[i]));
  g_assert_cmpfloat (largest, >, 0.0);
  for (size_t i = 0; i < n; i++)
    g_assert_cmpfloat (fabs (twice[i] - 2.0 * once[i]), <=, 1e-5 * (fabs (once[i]) + largest));
}

/* ---- conv2d ------------------------------------------------------------------------------ */

typedef struct
{
  PbConvShape s;
  size_t in_n, w_n, out_n;
  float *in, *weight, *bias, *out, *r, *work;
  float *dweight, *dbias, *din;
} ConvCase;

static ConvCase *
conv_case_new (int batch, int in_c, int h, int w, int out_c, int kernel, int pad, guint64 seed)
{
  ConvCase *cc = g_new0 (ConvCase, 1);
  PbRng rng;

  cc->s = (PbConvShape) { batch, in_c, h, w, out_c, kernel, pad };
  cc->in_n = (size_t) batch * in_c * h * w;
  cc->w_n = (size_t) out_c * in_c * kernel * kernel;
  cc->out_n = (size_t) batch * out_c * pb_conv2d_out_h (&cc->s) * pb_conv2d_out_w (&cc->s);

  cc->in = g_new (float, cc->in_n);
  cc->weight = g_new (float, cc->w_n);
  cc->bias = g_new (float, out_c);
  cc->out = g_new (float, cc->out_n);
  cc->r = g_new (float, cc->out_n);
  cc->work = g_new (float, pb_conv2d_workspace_floats (&cc->s));
  cc->dweight = g_new0 (float, cc->w_n);
  cc->dbias = g_new0 (float, out_c);
  cc->din = g_new0 (float, cc->in_n);

  pb_rng_seed (&rng, seed, 1);
  fill_uniform (&rng, cc->in, cc->in_n, -1, 1);
  fill_uniform (&rng, cc->weight, cc->w_n, -1, 1);
  fill_uniform (&rng, cc->bias, out_c, -1, 1);
  fill_uniform (&rng, cc->r, cc->out_n, -1, 1);
  return cc;
}

static void
conv_case_free (ConvCase *cc)
{
  g_free (cc->in);
  g_free (cc->weight);
  g_free (cc->bias);
  g_free (cc->out);
  g_free (cc->r);
  g_free (cc->work);
  g_free (cc->dweight);
  g_free (cc->dbias);
  g_free (cc->din);
  g_free (cc);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConvCase, conv_case_free)

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

/* ---- the checker itself ------------------------------------------------------------------ */

/* A deliberately wrong gradient must fail the criterion check_grad uses. */
/* ---- channel-major kernels --------------------------------------------------------------- */

/* [B, C, P] ↔ [C, B, P] */
static void
to_channel_major (int b_n, int c_n, size_t p, const float *in, float *out)
{
  for (int b = 0; b < b_n; b++)
    for (int c = 0; c < c_n; c++)
      memcpy (out + ((size_t) c * b_n + b) * p, in + ((size_t) b * c_n + c) * p, p * sizeof (float));
}

typedef struct
{
  PbConvShape s;
  size_t in_n, w_n, out_n;
  float *in, *weight, *bias, *out, *r, *work;
  float *dweight, *dbias, *din;
} CmCase;

static double
cm_loss (void *ctx)
{
  CmCase *cc = ctx;
  pb_conv2d_cm_forward (&cc->s, cc->in, cc->weight, cc->bias, cc->out, cc->work);
  return project (cc->out, cc->r, cc->out_n);
}

/* Both formulations (im2col, and kn2row for many channels on a padded small input) agree with
 * the batch-major convolution and with finite differences. */
static void
test_conv2d_cm (void)
{
  static const int configs[][7] = {
    /* batch, in_c, h, w, out_c, kernel, pad */
    { 3, 1, 6, 5, 4, 2, 0 },
    { 2, 3, 5, 5, 4, 2, 1 },
    { 2, 2, 5, 4, 3, 3, 1 },
    { 2, 32, 3, 3, 5, 2, 1 },   /* kn2row */
    { 3, 33, 2, 3, 4, 3, 2 },   /* kn2row, 3×3 */
    /* the trunk's layers with kernels 3 and 5 and the paddings that keep the side */
    { 2, 1, 14, 14, 3, 3, 1 },
    { 2, 32, 7, 7, 4, 3, 1 },   /* as many positions in as out: im2col */
    { 2, 2, 14, 14, 3, 5, 2 },
    { 2, 32, 3, 3, 4, 5, 2 },   /* im2col with every tap partly outside */
    { 2, 32, 3, 3, 4, 5, 4 },   /* kn2row, 5×5, 7×7 output from 3×3 */
    { 2, 40, 4, 4, 3, 3, 2 },   /* kn2row, 3×3, 6×6 output */
    { 2, 32, 3, 3, 4, 3, 3 },   /* kn2row, padding = kernel: the border reads only padding */
    { 2, 3, 3, 3, 4, 2, 2 },    /* the same through im2col */
  };

  for (guint t = 0; t < G_N_ELEMENTS (configs); t++)
    {
      const int *k = configs[t];
      PbConvShape s = { k[0], k[1], k[2], k[3], k[4], k[5], k[6] };
      g_autoptr (ConvCase) ref = conv_case_new (k[0], k[1], k[2], k[3], k[4], k[5], k[6], 700 + t);
      const size_t p_in = (size_t) s.in_h * s.in_w;
      const size_t p_out = (size_t) pb_conv2d_out_h (&s) * pb_conv2d_out_w (&s);
      CmCase cc = { .s = s, .in_n = ref->in_n, .w_n = ref->w_n, .out_n = ref->out_n };
      g_autofree float *in = g_new (float, ref->in_n), *out = g_new (float, ref->out_n);
      g_autofree float *r = g_new (float, ref->out_n), *work = NULL;
      g_autofree float *dweight = g_new0 (float, ref->w_n), *dbias = g_new0 (float, s.out_c);
      g_autofree float *din = g_new (float, ref->in_n), *din_ref = g_new (float, ref->in_n);
      g_autofree float *want = g_new (float, ref->out_n);

      work = g_new (float, pb_conv2d_cm_workspace_floats (&s));
      to_channel_major (s.batch, s.in_c, p_in, ref->in, in);
      to_channel_major (s.batch, s.out_c, p_out, ref->r, r);
      cc.in = in;
      cc.weight = ref->weight;
      cc.bias = ref->bias;
      cc.out = out;
      cc.r = r;
      cc.work = work;

      /* forward against the batch-major layer */
      pb_conv2d_forward (&ref->s, ref->in, ref->weight, ref->bias, ref->out, ref->work);
      to_channel_major (s.batch, s.out_c, p_out, ref->out, want);
      cm_loss (&cc);
      for (size_t i = 0; i < ref->out_n; i++)
        g_assert_cmpfloat (fabsf (out[i] - want[i]), <=, 1e-5f * (1.0f + fabsf (want[i])));

      /* backward: parameter gradients add, din is written (garbage before it must not leak) */
      for (size_t i = 0; i < ref->in_n; i++)
        din[i] = NAN;
      pb_conv2d_cm_backward (&s, in, ref->weight, r, dweight, dbias, din, work);
      pb_conv2d_backward (&ref->s, ref->in, ref->weight, ref->r, ref->dweight, ref->dbias,
                          ref->din, ref->work);
      to_channel_major (s.batch, s.in_c, p_in, ref->din, din_ref);
      for (size_t i = 0; i < ref->in_n; i++)
        g_assert_cmpfloat (fabsf (din[i] - din_ref[i]), <=, 1e-4f * (1.0f + fabsf (din_ref[i])));
      for (size_t i = 0; i < ref->w_n; i++)
        g_assert_cmpfloat (fabsf (dweight[i] - ref->dweight[i]), <=,
                           1e-4f * (1.0f + fabsf (ref->dweight[i])));

      /* Pool order permutes each output image and nothing else. */
      {
        const int ho = pb_conv2d_out_h (&s), wo = pb_conv2d_out_w (&s);
        g_autofree int32_t *order = g_new (int32_t, p_out);
        g_autofree float *po = g_new (float, ref->out_n), *po_r = g_new (float, ref->out_n);
        g_autofree float *po_work = g_new (float, pb_conv2d_cm_workspace_floats (&s));
        g_autofree float *po_din = g_new (float, ref->in_n);
        g_autofree float *po_dw = g_new0 (float, ref->w_n);
        PbConvShape ps = s;

        ps.pool_order = 1;
        pb_pool_order (ho, wo, order);
        for (size_t img = 0; img < (size_t) s.out_c * s.batch; img++)
          for (size_t p = 0; p < p_out; p++)
            po_r[img * p_out + order[p]] = r[img * p_out + p];
        pb_conv2d_cm_forward (&ps, in, ref->weight, ref->bias, po, po_work);
        pb_conv2d_cm_backward (&ps, in, ref->weight, po_r, po_dw, NULL, po_din, po_work);
        for (size_t img = 0; img < (size_t) s.out_c * s.batch; img++)
          for (size_t p = 0; p < p_out; p++)
            /* the same sums; BLAS may block the permuted columns differently */
            g_assert_cmpfloat (fabsf (po[img * p_out + order[p]] - out[img * p_out + p]), <=,
                               1e-5f * (1.0f + fabsf (out[img * p_out + p])));
        for (size_t i = 0; i < ref->in_n; i++)
          g_assert_cmpfloat (fabsf (po_din[i] - din[i]), <=, 1e-5f * (1.0f + fabsf (din[i])));
        for (size_t i = 0; i < ref->w_n; i++)
          g_assert_cmpfloat (fabsf (po_dw[i] - dweight[i]), <=, 1e-4f * (1.0f + fabsf (dweight[i])));

        /* pooled_only: the first 4·(Ho/2)·(Wo/2) positions of each image, nothing more */
        const size_t p4 = 4 * (size_t) (ho / 2) * (size_t) (wo / 2);
        if (p4 > 0)
          {
            g_autofree float *pq = g_new (float, (size_t) s.out_c * s.batch * p4);
            ps.pooled_only = 1;
            pb_conv2d_cm_forward (&ps, in, ref->weight, ref->bias, pq, po_work);
            for (size_t img = 0; img < (size_t) s.out_c * s.batch; img++)
              for (size_t p = 0; p < p4; p++)
                g_assert_cmpfloat (fabsf (pq[img * p4 + p] - po[img * p_out + p]), <=,
                                   1e-5f * (1.0f + fabsf (po[img * p_out + p])));
          }
      }

      check_grad ("cm conv din", in, ref->in_n, din, NULL, cm_loss, &cc, 1e-2f);
      check_grad ("cm conv dweight", ref->weight, ref->w_n, dweight, NULL, cm_loss, &cc, 1e-2f);
      check_grad ("cm conv dbias", ref->bias, (size_t) s.out_c, dbias, NULL, cm_loss, &cc, 1e-2f);

      /* adds: a second backward doubles the parameter gradients */
      g_autofree float *once = g_memdup2 (dweight, ref->w_n * sizeof (float));
      pb_conv2d_cm_backward (&s, in, ref->weight, r, dweight, NULL, NULL, work);
      assert_doubled (once, dweight, ref->w_n);
    }
}

typedef struct
{
  PbBnPoolShape s;
  size_t n_conv, n_act;
  float *conv, *bias, *gamma, *beta, *mean, *invstd, *rmean, *rvar, *act, *r;
  uint8_t *argmax;
} BpCase;

static double
bp_loss (void *ctx)
{
  BpCase *bc = ctx;
  pb_bn_pool_relu_forward_train (&bc->s, bc->conv, bc->bias, bc->gamma, bc->beta, bc->mean,
                                 bc->invstd, NULL, NULL, 0.1f, 1e-5f, bc->act, bc->argmax);
  return project (bc->act, bc->r, bc->n_act);
}

/* The fused batch norm → max-pool → ReLU equals the three layers applied group by group, and
 * its backward matches finite differences (skipping pooling windows with near ties). */
static void
test_bn_pool_relu (void)
{
  static const int shapes[][5] = {
    /* groups, batch, channels, h, w */
    { 2, 3, 2, 4, 4 },
    { 1, 2, 3, 5, 7 },
    { 2, 2, 2, 3, 3 },
  };

  for (guint t = 0; t < G_N_ELEMENTS (shapes); t++)
    {
      const int *k = shapes[t];
      BpCase bc = { .s = { k[0], k[1], k[2], k[3], k[4] } };
      const int G = k[0], B = k[1], C = k[2], H = k[3], W = k[4];
      const size_t N = (size_t) G * B, plane = (size_t) H * W, pooled = (size_t) (H / 2) * (W / 2);
      g_autofree int32_t *order = g_new (int32_t, plane);
      PbRng rng;

      /* The kernels read the conv output in pool order; every index below goes through it. */
      pb_pool_order (H, W, order);

      bc.n_conv = (size_t) C * N * plane;
      bc.n_act = (size_t) C * N * pooled;
      bc.conv = g_new (float, bc.n_conv);
      bc.bias = g_new (float, C);
      bc.gamma = g_new (float, C);
      bc.beta = g_new (float, C);
      bc.mean = g_new (float, (size_t) G * C);
      bc.invstd = g_new (float, (size_t) G * C);
      bc.rmean = g_new0 (float, C);
      bc.rvar = g_new (float, C);
      bc.act = g_new (float, bc.n_act);
      bc.r = g_new (float, bc.n_act);
      bc.argmax = g_new (uint8_t, bc.n_act);
      pb_rng_seed (&rng, 900 + t, 1);
      fill_uniform (&rng, bc.conv, bc.n_conv, -2, 2);
      fill_uniform (&rng, bc.bias, C, -1, 1);
      fill_uniform (&rng, bc.gamma, C, 0.5, 1.5);
      bc.gamma[0] = -bc.gamma[0]; /* a negative scale turns the maximum into the minimum */
      fill_uniform (&rng, bc.beta, C, -0.5, 0.5);
      fill_uniform (&rng, bc.r, bc.n_act, -1, 1);
      for (int c = 0; c < C; c++)
        bc.rvar[c] = 1.0f;

      /* Reference: per group, [B, C, H, W] batch-major through the three layers. */
      for (int g = 0; g < G; g++)
        {
          PbBnShape bs = { B, C, (int) plane };
          const size_t nb = (size_t) B * C * plane, nbp = (size_t) B * C * pooled;
          g_autofree float *x = g_new (float, nb), *y = g_new (float, nb), *xh = g_new (float, nb);
          g_autofree float *m = g_new (float, C), *is = g_new (float, C);
          g_autofree float *pool = g_new (float, nbp);
          g_autofree int32_t *am = g_new (int32_t, nbp);

          for (int b = 0; b < B; b++)
            for (int c = 0; c < C; c++)
              for (size_t p = 0; p < plane; p++)
                x[((size_t) b * C + c) * plane + p]
                  = bc.conv[((size_t) c * N + (size_t) g * B + b) * plane + order[p]] + bc.bias[c];
          pb_batchnorm_forward_train (&bs, x, bc.gamma, bc.beta, y, xh, m, is, NULL, NULL, 0.1f,
                                      1e-5f);
          pb_maxpool2_forward (B * C, H, W, y, pool, am);
          pb_relu_forward (nbp, pool, pool);
          bp_loss (&bc);
          for (int b = 0; b < B; b++)
            for (int c = 0; c < C; c++)
              for (size_t p = 0; p < pooled; p++)
                {
                  float want = pool[((size_t) b * C + c) * pooled + p];
                  float got = bc.act[((size_t) c * N + (size_t) g * B + b) * pooled + p];
                  g_assert_cmpfloat (fabsf (got - want), <=, 1e-5f * (1.0f + fabsf (want)));
                }
        }

      /* Running statistics move once per group, in order. */
      pb_bn_pool_relu_forward_train (&bc.s, bc.conv, bc.bias, bc.gamma, bc.beta, bc.mean,
                                     bc.invstd, bc.rmean, bc.rvar, 0.1f, 1e-5f, bc.act, bc.argmax);
      g_assert_cmpfloat (bc.rvar[0], !=, 1.0f);

      g_autofree float *dconv = g_new (float, bc.n_conv);
      g_autofree float *dgamma = g_new0 (float, C), *dbeta = g_new0 (float, C);
      g_autofree float *dbias = g_new0 (float, C);
      g_autofree gboolean *skip = g_new0 (gboolean, bc.n_conv);
      for (size_t i = 0; i < bc.n_conv; i++)
        dconv[i] = NAN;
      bp_loss (&bc);
      pb_bn_pool_relu_backward (&bc.s, bc.conv, bc.mean, bc.invstd, bc.gamma, bc.act, bc.argmax,
                                bc.r, dgamma, dbeta, dbias, dconv);

      /* Skip the inputs of windows whose two largest values are closer than the step, and
       * windows whose maximum sits near the ReLU's kink. */
      for (int c = 0; c < C; c++)
        for (size_t n = 0; n < N; n++)
          for (int py = 0; py < H / 2; py++)
            for (int px = 0; px < W / 2; px++)
              {
                const float *x = bc.conv + ((size_t) c * N + n) * plane;
                float v[4] = { x[order[2 * py * W + 2 * px]], x[order[2 * py * W + 2 * px + 1]],
                               x[order[(2 * py + 1) * W + 2 * px]],
                               x[order[(2 * py + 1) * W + 2 * px + 1]] };
                gboolean close = FALSE;
                for (int i = 0; i < 4; i++)
                  for (int j = i + 1; j < 4; j++)
                    close |= fabsf (v[i] - v[j]) < 0.05f;
                size_t j = ((size_t) c * N + n) * (H / 2) * (W / 2) + (size_t) py * (W / 2) + px;
                close |= fabsf (bc.act[j]) < 0.05f && bc.act[j] != 0.0f;
                if (close)
                  for (int dy = 0; dy < 2; dy++)
                    for (int dx = 0; dx < 2; dx++)
                      skip[((size_t) c * N + n) * plane
                           + (size_t) order[(2 * py + dy) * W + 2 * px + dx]] = TRUE;
              }
      check_grad ("bn-pool-relu dconv", bc.conv, bc.n_conv, dconv, skip, bp_loss, &bc, 1e-3f);
      check_grad ("bn-pool-relu dgamma", bc.gamma, C, dgamma, NULL, bp_loss, &bc, 1e-3f);
      check_grad ("bn-pool-relu dbeta", bc.beta, C, dbeta, NULL, bp_loss, &bc, 1e-3f);
      /* The conv bias only moves the batch mean: its gradient is zero. */
      for (int c = 0; c < C; c++)
        g_assert_cmpfloat (fabsf (dbias[c]), <=, 1e-4f * (1.0f + fabsf (dbeta[c])));

      /* Eval mode with the running statistics is the same affine map, then pool and ReLU. */
      pb_bn_pool_relu_forward_eval (&bc.s, bc.conv, bc.bias, bc.gamma, bc.beta, bc.rmean,
                                    bc.rvar, 1e-5f, bc.act, NULL);
      for (int c = 0; c < C; c++)
        {
          float sc = bc.gamma[c] / sqrtf (bc.rvar[c] + 1e-5f);
          const float *x = bc.conv + (size_t) c * N * plane;
          float best = -INFINITY;
          for (int dy = 0; dy < 2; dy++)
            for (int dx = 0; dx < 2; dx++)
              best = fmaxf (best, sc * (x[order[dy * W + dx]] + bc.bias[c] - bc.rmean[c])
                                  + bc.beta[c]);
          best = fmaxf (best, 0.0f);
          g_assert_cmpfloat (fabsf (bc.act[(size_t) c * N * pooled] - best), <=, 1e-5f);
        }

      g_free (bc.conv); g_free (bc.bias); g_free (bc.gamma); g_free (bc.beta);
      g_free (bc.mean); g_free (bc.invstd); g_free (bc.rmean); g_free (bc.rvar);
      g_free (bc.act); g_free (bc.r); g_free (bc.argmax);
    }
}

typedef struct
{
  PbBnPoolShape s;
  size_t n_conv, n_act;
  float *conv, *bias, *act, *r;
  uint8_t *argmax;
} PrCase;

static double
pr_loss (void *ctx)
{
  PrCase *pc = ctx;
  pb_pool_relu_forward (&pc->s, pc->conv, pc->bias, pc->act, pc->argmax);
  return project (pc->act, pc->r, pc->n_act);
}

/* Max-pool → ReLU with the conv bias, without batch norm: the same as adding the bias and then
 * the two layers, in training and eval (pooled-only) layouts; the backward writes dconv and adds
 * dbias, and both match finite differences away from ties and the ReLU's kink. */
static void
test_pool_relu (void)
{
  static const int shapes[][4] = {
    /* images, channels, h, w */
    { 3, 2, 4, 4 },
    { 2, 3, 5, 7 },
    { 5, 2, 6, 6 },   /* 9 windows per image: the 8-lane path and the tail */
  };

  for (guint t = 0; t < G_N_ELEMENTS (shapes); t++)
    {
      const int *k = shapes[t];
      const int N = k[0], C = k[1], H = k[2], W = k[3];
      const size_t plane = (size_t) H * W, q = (size_t) (H / 2) * (W / 2);
      PrCase pc = { .s = { .groups = 1, .batch = N, .channels = C, .h = H, .w = W } };
      g_autofree int32_t *order = g_new (int32_t, plane);
      PbRng rng;

      pb_pool_order (H, W, order);
      pc.n_conv = (size_t) C * N * plane;
      pc.n_act = (size_t) C * N * q;
      pc.conv = g_new (float, pc.n_conv);
      pc.bias = g_new (float, C);
      pc.act = g_new (float, pc.n_act);
      pc.r = g_new (float, pc.n_act);
      pc.argmax = g_new (uint8_t, pc.n_act);
      pb_rng_seed (&rng, 950 + t, 1);
      fill_uniform (&rng, pc.conv, pc.n_conv, -2, 2);
      fill_uniform (&rng, pc.bias, C, -1, 1);
      fill_uniform (&rng, pc.r, pc.n_act, -1, 1);

      /* reference: [N·C, H, W] row-major, bias added, then max-pool and ReLU */
      {
        g_autofree float *x = g_new (float, pc.n_conv), *pool = g_new (float, pc.n_act);
        g_autofree int32_t *am = g_new (int32_t, pc.n_act);
        for (int c = 0; c < C; c++)
          for (int n = 0; n < N; n++)
            for (size_t p = 0; p < plane; p++)
              x[((size_t) n * C + c) * plane + p]
                = pc.conv[((size_t) c * N + n) * plane + order[p]] + pc.bias[c];
        pb_maxpool2_forward (N * C, H, W, x, pool, am);
        pb_relu_forward (pc.n_act, pool, pool);
        pr_loss (&pc);
        for (int c = 0; c < C; c++)
          for (int n = 0; n < N; n++)
            for (size_t p = 0; p < q; p++)
              g_assert_cmpfloat (fabsf (pc.act[((size_t) c * N + n) * q + p]
                                        - pool[((size_t) n * C + c) * q + p]), <=, 1e-6f);
      }

      /* pooled-only input (eval): only the 4·q pooled positions of each image */
      {
        g_autofree float *short_conv = g_new (float, (size_t) C * N * 4 * q);
        g_autofree float *act2 = g_new (float, pc.n_act);
        PbBnPoolShape es = pc.s;
        es.pooled_only = 1;
        for (size_t img = 0; img < (size_t) C * N; img++)
          memcpy (short_conv + img * 4 * q, pc.conv + img * plane, 4 * q * sizeof (float));
        pb_pool_relu_forward (&es, short_conv, pc.bias, act2, NULL);
        g_assert_cmpmem (act2, pc.n_act * sizeof (float), pc.act, pc.n_act * sizeof (float));
      }

      g_autofree float *dconv = g_new (float, pc.n_conv), *dbias = g_new (float, C);
      g_autofree gboolean *skip = g_new0 (gboolean, pc.n_conv);
      for (size_t i = 0; i < pc.n_conv; i++)
        dconv[i] = NAN;
      for (int c = 0; c < C; c++)
        dbias[c] = 0.5f;
      pr_loss (&pc);
      pb_pool_relu_backward (&pc.s, pc.act, pc.argmax, pc.r, dbias, dconv);
      for (int c = 0; c < C; c++)
        dbias[c] -= 0.5f; /* it added */
      for (size_t i = 0; i < pc.n_conv; i++)
        g_assert_false (isnan (dconv[i]));

      for (int c = 0; c < C; c++)
        for (int n = 0; n < N; n++)
          for (int py = 0; py < H / 2; py++)
            for (int px = 0; px < W / 2; px++)
              {
                const float *x = pc.conv + ((size_t) c * N + n) * plane;
                float v[4] = { x[order[2 * py * W + 2 * px]], x[order[2 * py * W + 2 * px + 1]],
                               x[order[(2 * py + 1) * W + 2 * px]],
                               x[order[(2 * py + 1) * W + 2 * px + 1]] };
                gboolean close = FALSE;
                for (int i = 0; i < 4; i++)
                  for (int j = i + 1; j < 4; j++)
                    close |= fabsf (v[i] - v[j]) < 0.05f;
                float pre = fmaxf (fmaxf (v[0], v[1]), fmaxf (v[2], v[3])) + pc.bias[c];
                close |= fabsf (pre) < 0.05f;
                if (close)
                  for (int dy = 0; dy < 2; dy++)
                    for (int dx = 0; dx < 2; dx++)
                      skip[((size_t) c * N + n) * plane
                           + (size_t) order[(2 * py + dy) * W + 2 * px + dx]] = TRUE;
              }
      check_grad ("pool-relu dconv", pc.conv, pc.n_conv, dconv, skip, pr_loss, &pc, 1e-3f);
      check_grad ("pool-relu dbias", pc.bias, C, dbias, NULL, pr_loss, &pc, 1e-3f);

      g_free (pc.conv); g_free (pc.bias); g_free (pc.act); g_free (pc.r); g_free (pc.argmax);
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

/* −Σ_b scale_b · log P_b(label_b) of the digit posterior */
typedef struct
{
  int batch;
  float *digits, *logp, *scale;
  uint8_t *labels;
} PostCase;

static double
post_loss (void *ctx)
{
  PostCase *pc = ctx;
  double l = 0.0;
  pb_posterior_forward (pc->batch, pc->digits, pc->logp);
  for (int b = 0; b < pc->batch; b++)
    l -= pc->scale[b] * (double) pc->logp[2 * b + pc->labels[b]];
  return l;
}

static void
test_posterior (void)
{
  PostCase pc = { .batch = 5 };
  PbRng rng;

  pc.digits = g_new (float, 5 * 20);
  pc.logp = g_new (float, 5 * 2);
  pc.scale = g_new (float, 5);
  pc.labels = g_new (uint8_t, 5);
  pb_rng_seed (&rng, 31, 1);
  fill_uniform (&rng, pc.digits, 5 * 20, -3, 3);
  fill_uniform (&rng, pc.scale, 5, 0.1, 1.0);
  for (int b = 0; b < 5; b++)
    pc.labels[b] = (uint8_t) (b % 2);
  /* a confident pair, wrong for its label: the gradient stays bounded (|p − r| ≤ 1) */
  pc.digits[20 * 4 + 9] = 12.0f;
  pc.digits[20 * 4 + 10] = 12.0f;
  pc.labels[4] = 0;

  g_autofree float *grad = g_new (float, 5 * 20);
  for (int i = 0; i < 5 * 20; i++)
    grad[i] = 0.25f;
  post_loss (&pc);
  pb_posterior_backward (pc.batch, pc.digits, pc.labels, pc.scale, grad);
  for (int i = 0; i < 5 * 20; i++)
    {
      grad[i] -= 0.25f; /* it added */
      g_assert_cmpfloat (fabsf (grad[i]), <=, 1.0f);
    }
  /* each image's softmax sums to 1 and so does r: the gradient of each half sums to 0 */
  for (int h = 0; h < 10; h++)
    {
      double sum = 0.0;
      for (int i = 0; i < 10; i++)
        sum += grad[h * 10 + i];
      g_assert_cmpfloat (fabs (sum), <=, 1e-6);
    }
  for (int b = 0; b < 5; b++)
    {
      double total = exp ((double) pc.logp[2 * b]) + exp ((double) pc.logp[2 * b + 1]);
      g_assert_cmpfloat_with_epsilon (total, 1.0, 1e-6);
    }
  check_grad ("posterior ddigits", pc.digits, 5 * 20, grad, NULL, post_loss, &pc, 1e-3f);

  g_free (pc.digits); g_free (pc.logp); g_free (pc.scale); g_free (pc.labels);
}

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
  g_test_add_func ("/core/layers/conv2d-cm", test_conv2d_cm);
  g_test_add_func ("/core/layers/bn-pool-relu", test_bn_pool_relu);
  g_test_add_func ("/core/layers/pool-relu", test_pool_relu);
  g_test_add_func ("/core/layers/hidden-relu", test_hidden_relu);
  g_test_add_func ("/core/layers/posterior", test_posterior);

  return g_test_run ();
}
