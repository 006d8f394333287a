/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <glib.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "layer-check.h"
#include "pb-gemm.h"
#include "pb-layers.h"
#include "pb-rng.h"

/* ---- batch norm + max-pool + ReLU, fused ---------------------------------------------- */

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

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  pb_blas_set_single_thread ();

  g_test_add_func ("/core/bn-pool/bn-pool-relu", test_bn_pool_relu);
  g_test_add_func ("/core/bn-pool/pool-relu", test_pool_relu);
  return g_test_run ();
}
