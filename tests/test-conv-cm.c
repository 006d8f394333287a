/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <glib.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "layer-check.h"
#include "pb-gemm.h"
#include "pb-layers.h"
#include "pb-rng.h"

/* ---- channel-major convolution ------------------------------------------------------- */

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

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  pb_blas_set_single_thread ();

  g_test_add_func ("/core/conv-cm/forward-backward", test_conv2d_cm);
  return g_test_run ();
}
