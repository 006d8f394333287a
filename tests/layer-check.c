/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "layer-check.h"

#include <math.h>
#include <string.h>

void
fill_uniform (PbRng *rng, float *x, size_t n, double lo, double hi)
{
  for (size_t i = 0; i < n; i++)
    x[i] = (float) (lo + (hi - lo) * pb_rng_uniform_double (rng));
}

double
project (const float *out, const float *r, size_t n)
{
  double acc = 0.0;
  for (size_t i = 0; i < n; i++)
    acc += (double) out[i] * r[i];
  return acc;
}

gboolean
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
void
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

void
assert_close (const float *got, const double *want, size_t n, double tol)
{
  for (size_t i = 0; i < n; i++)
    if (fabs (got[i] - want[i]) > tol * (1.0 + fabs (want[i])))
      g_error ("element %zu: got %.8g, want %.8g", i, (double) got[i], want[i]);
}

/* After one backward from zero gave once[] and two gave twice[], twice must be 2·once. */
void
assert_doubled (const float *once, const float *twice, size_t n)
{
  double largest = 0.0;
  for (size_t i = 0; i < n; i++)
    largest = MAX (largest, fabs (once[i]));
  g_assert_cmpfloat (largest, >, 0.0);
  for (size_t i = 0; i < n; i++)
    g_assert_cmpfloat (fabs (twice[i] - 2.0 * once[i]), <=, 1e-5 * (fabs (once[i]) + largest));
}

/* [B, C, P] ↔ [C, B, P] */
void
to_channel_major (int b_n, int c_n, size_t p, const float *in, float *out)
{
  for (int b = 0; b < b_n; b++)
    for (int c = 0; c < c_n; c++)
      memcpy (out + ((size_t) c * b_n + b) * p, in + ((size_t) b * c_n + c) * p, p * sizeof (float));
}


ConvCase *
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

void
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
