/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The trunk passes, the decision rule, and the model's forward, loss and backward. */
#include "pb-model.h"

#include <assert.h>
#include <math.h>
#include <string.h>

#include "pb-data.h"
#include "pb-gemm.h"
#include "pb-layers.h"
#include "pb-model-private.h"

#define PB_BN_MOMENTUM 0.1f
#define PB_BN_EPS 1e-5f

#define P(i) pb_model_tensor_data (self, (i))
#define G(i) (self->grads + self->tensors[(i)].offset)

/* pb_linear_forward and the weight and input gradients of pb_linear_backward with their GEMMs
 * timed. in: [B, I]  weight: [O, I]  out: [B, O] */
static void
fc_forward (PbProfile *prof, int batch, int in_f, int out_f, const float *in,
            const float *weight, const float *bias, float *out)
{
  double t0 = pb_profile_start (prof);
  for (int b = 0; b < batch; b++)
    memcpy (out + (size_t) b * out_f, bias, (size_t) out_f * sizeof (float));
  pb_profile_part (prof, PB_PROF_ELTWISE, t0);
  pb_profile_sgemm (prof, false, true, batch, out_f, in_f, 1.0f, in, in_f, weight, in_f, 1.0f,
                    out, out_f);
}

/* dweight += doutᵀ · in, dbias += Σ dout, din = dout · weight (written) */
static void
fc_backward (PbProfile *prof, int batch, int in_f, int out_f, const float *in,
             const float *weight, const float *dout, float *dweight, float *dbias, float *din)
{
  pb_profile_sgemm (prof, true, false, out_f, in_f, batch, 1.0f, dout, out_f, in, in_f, 1.0f,
                    dweight, in_f);
  double t0 = pb_profile_start (prof);
  pb_linear_backward (batch, in_f, out_f, in, weight, dout, NULL, dbias, NULL);
  pb_profile_part (prof, PB_PROF_ELTWISE, t0);
  pb_profile_sgemm (prof, false, false, batch, in_f, out_f, 1.0f, dout, out_f, weight, in_f,
                    0.0f, din, in_f);
}

/* x: [B, 2, 14, 14] → ps->logits [N, n_out] */
static void
pass_forward (PbModel *self, TrunkPass *ps, const float *x, int B, bool training, PbRng *rng)
{
  const PbArch *a = &self->arch;
  Trunk *tr = &self->trunks[ps->trunk];
  const int N = B * ps->groups;
  const float *in = ps->x;
  PbProfile *prof = training ? self->profile : NULL;

  pb_profile_enter (prof, PB_PROF_CONV1, PB_PROF_FWD);
  double t0 = pb_profile_start (prof);
  /* [B, 2, P] → [2, B, P]: both layouts of the pass's input (the two groups of a siamese pass,
   * the two channels of a stacked one) put image h of pair b at h·B + b */
  for (int h = 0; h < 2; h++)
    if (ps->image < 0 || ps->image == h)
      for (int b = 0; b < B; b++)
        memcpy (ps->x + ((size_t) (ps->image < 0 ? h : 0) * B + b) * PB_IMAGE_PIXELS,
                x + ((size_t) b * 2 + (size_t) h) * PB_IMAGE_PIXELS,
                PB_IMAGE_PIXELS * sizeof (float));
  pb_profile_part (prof, PB_PROF_ELTWISE, t0);

  for (int l = 0; l < PB_N_CONV; l++)
    {
      PbConvShape cs = conv_shape (self, tr, l, N);
      int side = self->geom.conv_side[l];
      PbBnPoolShape bs = {
        .groups = ps->groups, .batch = B, .channels = a->channels[l], .h = side, .w = side,
      };

      /* Evaluation needs no batch statistics, so only the positions the pooling reads. */
      cs.pooled_only = bs.pooled_only = !training;
      cs.profile = prof;
      pb_profile_enter (prof, PB_PROF_CONV1 + l, PB_PROF_FWD);
      /* The bias is one per channel: with batch norm it moves the batch mean only and enters
       * through the normalisation; without, it commutes with the max and is added after it. */
      pb_conv2d_cm_forward (&cs, in, P (tr->conv_w[l]), NULL, ps->conv[l], ps->work[l]);
      t0 = pb_profile_start (prof);
      if (!a->batch_norm)
        pb_pool_relu_forward (&bs, ps->conv[l], P (tr->conv_b[l]), ps->act[l],
                              training ? ps->argmax[l] : NULL);
      else if (training)
        pb_bn_pool_relu_forward_train (&bs, ps->conv[l], P (tr->conv_b[l]), P (tr->bn_g[l]),
                                       P (tr->bn_b[l]), ps->mean[l], ps->invstd[l],
                                       P (tr->bn_rm[l]), P (tr->bn_rv[l]), PB_BN_MOMENTUM,
                                       PB_BN_EPS, ps->act[l], ps->argmax[l]);
      else
        pb_bn_pool_relu_forward_eval (&bs, ps->conv[l], P (tr->conv_b[l]), P (tr->bn_g[l]),
                                      P (tr->bn_b[l]), P (tr->bn_rm[l]), P (tr->bn_rv[l]),
                                      PB_BN_EPS, ps->act[l], NULL);
      pb_profile_part (prof, PB_PROF_BNPOOL, t0);
      in = ps->act[l];
    }
  if (training)
    tr->batches_tracked += ps->groups;

  /* [C, N, S] → [N, C·S] */
  const int C3 = a->channels[PB_N_CONV - 1];
  const int S = self->geom.side[PB_N_CONV] * self->geom.side[PB_N_CONV];
  const int flat = C3 * S;
  pb_profile_enter (prof, PB_PROF_FC1, PB_PROF_FWD);
  t0 = pb_profile_start (prof);
  for (int c = 0; c < C3; c++)
    for (int n = 0; n < N; n++)
      for (int p = 0; p < S; p++)
        ps->flat[(size_t) n * flat + (size_t) c * S + p] = in[((size_t) c * N + n) * S + p];
  pb_profile_part (prof, PB_PROF_ELTWISE, t0);

  size_t nh = (size_t) N * (size_t) a->hidden;
  fc_forward (prof, N, flat, a->hidden, ps->flat, P (tr->fc1_w), P (tr->fc1_b), ps->hidden);
  t0 = pb_profile_start (prof);
  if (a->hidden_act == PB_HIDDEN_RELU)
    pb_relu_forward (nh, ps->hidden, ps->hidden);
  if (training && a->dropout > 0.0f)
    pb_dropout_forward (nh, a->dropout, rng, ps->hidden, ps->dropped, ps->mask);
  else
    memcpy (ps->dropped, ps->hidden, nh * sizeof (float));
  pb_profile_part (prof, PB_PROF_ELTWISE, t0);
  pb_profile_enter (prof, PB_PROF_FC2, PB_PROF_FWD);
  fc_forward (prof, N, a->hidden, tr->n_out, ps->dropped, P (tr->fc2_w), P (tr->fc2_b),
              ps->logits);
}

/* ps->dlogits [N, n_out] → parameter gradients (added) */
static void
pass_backward (PbModel *self, TrunkPass *ps, int B)
{
  const PbArch *a = &self->arch;
  Trunk *tr = &self->trunks[ps->trunk];
  const int N = B * ps->groups;
  const int C3 = a->channels[PB_N_CONV - 1];
  const int S = self->geom.side[PB_N_CONV] * self->geom.side[PB_N_CONV];
  const int flat = C3 * S;
  const int H = a->hidden;
  size_t nh = (size_t) N * (size_t) H;
  PbProfile *prof = self->profile;

  /* fc2, fc1: the weight and bias gradients add; the input gradients are written (beta 0) */
  pb_profile_enter (prof, PB_PROF_FC2, PB_PROF_BWD);
  fc_backward (prof, N, H, tr->n_out, ps->dropped, P (tr->fc2_w), ps->dlogits, G (tr->fc2_w),
               G (tr->fc2_b), ps->ddropped);
  pb_profile_enter (prof, PB_PROF_FC1, PB_PROF_BWD);
  double t0 = pb_profile_start (prof);
  if (a->dropout > 0.0f)
    {
      memset (ps->dhidden, 0, nh * sizeof (float));
      pb_dropout_backward (nh, ps->mask, ps->ddropped, ps->dhidden);
    }
  else
    memcpy (ps->dhidden, ps->ddropped, nh * sizeof (float));
  /* ReLU backward in place: hidden holds its output, the gradient passes where it is > 0 */
  if (a->hidden_act == PB_HIDDEN_RELU)
    for (size_t i = 0; i < nh; i++)
      if (!(ps->hidden[i] > 0.0f))
        ps->dhidden[i] = 0.0f;
  pb_profile_part (prof, PB_PROF_ELTWISE, t0);

  fc_backward (prof, N, flat, H, ps->flat, P (tr->fc1_w), ps->dhidden, G (tr->fc1_w),
               G (tr->fc1_b), ps->dflat);
  pb_profile_enter (prof, PB_PROF_CONV3, PB_PROF_BWD);
  t0 = pb_profile_start (prof);
  float *dlast = ps->dact[PB_N_CONV - 1];
  for (int c = 0; c < C3; c++)
    for (int n = 0; n < N; n++)
      for (int p = 0; p < S; p++)
        dlast[((size_t) c * N + n) * S + p] = ps->dflat[(size_t) n * flat + (size_t) c * S + p];
  pb_profile_part (prof, PB_PROF_ELTWISE, t0);

  for (int l = PB_N_CONV - 1; l >= 0; l--)
    {
      PbConvShape cs = conv_shape (self, tr, l, N);
      int side = self->geom.conv_side[l];
      PbBnPoolShape bs = {
        .groups = ps->groups, .batch = B, .channels = a->channels[l], .h = side, .w = side,
      };

      cs.profile = prof;
      pb_profile_enter (prof, PB_PROF_CONV1 + l, PB_PROF_BWD);
      t0 = pb_profile_start (prof);
      if (a->batch_norm)
        pb_bn_pool_relu_backward (&bs, ps->conv[l], ps->mean[l], ps->invstd[l],
                                  P (tr->bn_g[l]), ps->act[l], ps->argmax[l], ps->dact[l],
                                  G (tr->bn_g[l]), G (tr->bn_b[l]), G (tr->conv_b[l]),
                                  self->dconv);
      else
        pb_pool_relu_backward (&bs, ps->act[l], ps->argmax[l], ps->dact[l], G (tr->conv_b[l]),
                               self->dconv);
      pb_profile_part (prof, PB_PROF_BNPOOL, t0);
      pb_conv2d_cm_backward (&cs, l == 0 ? ps->x : ps->act[l - 1], P (tr->conv_w[l]),
                             self->dconv, G (tr->conv_w[l]), NULL,
                             l > 0 ? ps->dact[l - 1] : NULL, ps->work[l]);
    }
}

/* log((e^x + e^y) / 2) */
static double
log_mean_exp (double x, double y)
{
  double m = x > y ? x : y;
  return m + log ((exp (x - m) + exp (y - m)) / 2.0);
}

/* log softmax of a row of two logits: out [2] */
static void
log_softmax2 (const float *z, double *out)
{
  double m = z[0] > z[1] ? z[0] : z[1];
  double lse = m + log (exp ((double) z[0] - m) + exp ((double) z[1] - m));
  out[0] = (double) z[0] - lse;
  out[1] = (double) z[1] - lse;
}

/* concat [B, 20] → main_logits [B, 2] */
static void
rule_forward (PbModel *self, int B)
{
  switch (self->arch.rule)
    {
    case PB_RULE_HEAD:
      pb_linear_forward (B, 2 * PB_N_DIGITS, 2, self->concat, P (self->head_w),
                         P (self->head_b), self->main_logits);
      break;
    case PB_RULE_POSTERIOR:
      pb_posterior_forward (B, self->concat, self->main_logits);
      break;
    case PB_RULE_BOTH:
      pb_linear_forward (B, 2 * PB_N_DIGITS, 2, self->concat, P (self->head_w),
                         P (self->head_b), self->head_out);
      pb_posterior_forward (B, self->concat, self->post_logp);
      /* [log((h0 + q0)/2), log((h1 + q1)/2)], h the head's softmax and q the posterior */
      for (int b = 0; b < B; b++)
        {
          double lh[2];
          log_softmax2 (self->head_out + 2 * b, lh);
          for (int c = 0; c < 2; c++)
            self->main_logits[2 * b + c] = (float) log_mean_exp (lh[c], self->post_logp[2 * b + c]);
        }
      break;
    }
}

/* The main loss −log P(label) is the cross-entropy of the main logits under every rule (their
 * softmax is the rule's probabilities); its gradient flows into dconcat [B, 20] (added) and
 * the head's parameters. */
static void
rule_backward (PbModel *self, const uint8_t *labels, int B)
{
  switch (self->arch.rule)
    {
    case PB_RULE_HEAD:
      memset (self->dmain, 0, (size_t) B * 2 * sizeof (float));
      pb_cross_entropy_backward (B, 2, self->probs_main, labels, 1.0f, self->dmain);
      pb_linear_backward (B, 2 * PB_N_DIGITS, 2, self->concat, P (self->head_w), self->dmain,
                          G (self->head_w), G (self->head_b), self->dconcat);
      break;
    case PB_RULE_POSTERIOR:
      for (int b = 0; b < B; b++)
        self->post_scale[b] = 1.0f / (float) B;
      pb_posterior_backward (B, self->concat, labels, self->post_scale, self->dconcat);
      break;
    case PB_RULE_BOTH:
      /* −log((h_y + q_y)/2): each part gets the gradient of its own −log, weighted by its share
       * α = h_y / (h_y + q_y) of the mixture */
      for (int b = 0; b < B; b++)
        {
          const int y = labels[b];
          double lh[2];
          log_softmax2 (self->head_out + 2 * b, lh);
          const double alpha = 1.0 / (1.0 + exp ((double) self->post_logp[2 * b + y] - lh[y]));
          for (int c = 0; c < 2; c++)
            self->dmain[2 * b + c] = (float) (alpha / B * (exp (lh[c]) - (c == y ? 1.0 : 0.0)));
          self->post_scale[b] = (float) ((1.0 - alpha) / B);
        }
      pb_linear_backward (B, 2 * PB_N_DIGITS, 2, self->concat, P (self->head_w), self->dmain,
                          G (self->head_w), G (self->head_b), self->dconcat);
      pb_posterior_backward (B, self->concat, labels, self->post_scale, self->dconcat);
      break;
    }
}

void
pb_model_forward (PbModel *self, const float *x, int batch, bool training, PbRng *rng)
{
  assert (batch >= 1 && batch <= self->max_batch);
  self->batch = batch;
  self->last_training = training;

  for (int i = 0; i < self->n_passes; i++)
    pass_forward (self, &self->passes[i], x, batch, training, rng);

  PbProfile *prof = training ? self->profile : NULL;
  double t0 = pb_profile_start (prof);
  /* logits → concat [B, 20]: the first image's 10 digit logits, then the second's */
  for (int b = 0; b < batch; b++)
    {
      float *row = self->concat + (size_t) b * 2 * PB_N_DIGITS;
      if (self->n_apps == 1)
        memcpy (row, self->passes[0].logits + (size_t) b * 2 * PB_N_DIGITS,
                2 * PB_N_DIGITS * sizeof (float));
      else
        for (int i = 0; i < 2; i++)
          {
            const float *src = self->n_passes == 2
                               ? self->passes[i].logits + (size_t) b * PB_N_DIGITS
                               : self->passes[0].logits + ((size_t) i * batch + b) * PB_N_DIGITS;
            memcpy (row + i * PB_N_DIGITS, src, PB_N_DIGITS * sizeof (float));
          }
      for (int i = 0; i < 2; i++)
        memcpy (self->digits[i] + (size_t) b * PB_N_DIGITS, row + i * PB_N_DIGITS,
                PB_N_DIGITS * sizeof (float));
    }
  rule_forward (self, batch);
  pb_profile_add (prof, pb_profile_slot (PB_PROF_HEAD, PB_PROF_FWD, PB_PROF_ELTWISE), t0);
}

PbLoss
pb_model_loss (PbModel *self, const uint8_t *classes, const uint8_t *labels)
{
  int B = self->batch;
  PbLoss loss = { 0 };
  PbProfile *prof = self->last_training ? self->profile : NULL;
  double t0 = pb_profile_start (prof);

  loss.main = pb_cross_entropy_forward (B, 2, self->main_logits, labels, self->probs_main);
  for (int i = 0; i < 2; i++)
    {
      uint8_t *digit_targets = self->digit_targets[i];
      for (int b = 0; b < B; b++)
        digit_targets[b] = classes[2 * b + i];
      loss.aux += pb_cross_entropy_forward (B, PB_N_DIGITS, self->digits[i], digit_targets,
                                            self->probs_digit[i]);
    }
  loss.total = loss.main + (self->arch.aux ? (double) self->arch.aux_weight * loss.aux : 0.0);
  pb_profile_add (prof, PB_PROF_LOSS, t0);
  return loss;
}

void
pb_model_backward (PbModel *self, const uint8_t *classes, const uint8_t *labels)
{
  int B = self->batch;
  size_t nc = (size_t) B * 2 * PB_N_DIGITS;

  PbProfile *prof = self->profile;
  double t0 = pb_profile_start (prof);

  assert (self->last_training);
  memset (self->dconcat, 0, nc * sizeof (float));
  rule_backward (self, labels, B);
  pb_profile_add (prof, pb_profile_slot (PB_PROF_HEAD, PB_PROF_BWD, PB_PROF_ELTWISE), t0);
  t0 = pb_profile_start (prof);
  if (self->arch.aux)
    for (int i = 0; i < 2; i++)
      {
        memset (self->ddigit[i], 0, (size_t) B * PB_N_DIGITS * sizeof (float));
        pb_cross_entropy_backward (B, PB_N_DIGITS, self->probs_digit[i], self->digit_targets[i],
                                   self->arch.aux_weight, self->ddigit[i]);
        for (int b = 0; b < B; b++)
          for (int j = 0; j < PB_N_DIGITS; j++)
            self->dconcat[(size_t) b * 2 * PB_N_DIGITS + (size_t) (i * PB_N_DIGITS + j)]
              += self->ddigit[i][(size_t) b * PB_N_DIGITS + (size_t) j];
      }
  (void) classes;
  pb_profile_add (prof, PB_PROF_LOSS, t0);
  t0 = pb_profile_start (prof);

  for (int b = 0; b < B; b++)
    {
      const float *row = self->dconcat + (size_t) b * 2 * PB_N_DIGITS;
      if (self->n_apps == 1)
        memcpy (self->passes[0].dlogits + (size_t) b * 2 * PB_N_DIGITS, row,
                2 * PB_N_DIGITS * sizeof (float));
      else
        for (int i = 0; i < 2; i++)
          {
            float *dst = self->n_passes == 2
                         ? self->passes[i].dlogits + (size_t) b * PB_N_DIGITS
                         : self->passes[0].dlogits + ((size_t) i * B + b) * PB_N_DIGITS;
            memcpy (dst, row + i * PB_N_DIGITS, PB_N_DIGITS * sizeof (float));
          }
    }
  pb_profile_add (prof, pb_profile_slot (PB_PROF_HEAD, PB_PROF_BWD, PB_PROF_ELTWISE), t0);
  for (int i = self->n_passes - 1; i >= 0; i--)
    pass_backward (self, &self->passes[i], B);
}
