/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <glib.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "layer-check.h"
#include "pb-layers.h"
#include "pb-rng.h"

/* ---- digit posterior: P(first > second) from the two digit softmaxes ----------------------- */

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

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/posterior/forward-backward", test_posterior);
  return g_test_run ();
}
