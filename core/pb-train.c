/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "pb-train.h"
#include "pb-train-private.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pb-adam.h"

#define PB_N_CHUNKS 20

double
pb_now_seconds (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec * 1e-9;
}

PbStatus
pb_train_settings_init (PbTrainSettings *self, const char *model, PbError *err)
{
  memset (self, 0, sizeof *self);
  self->epochs = 25;
  self->batch = 100;
  self->lr = 1e-3f;
  self->beta1 = 0.9f;
  self->beta2 = 0.999f;
  self->adam_eps = 1e-8f;
  self->train_pairs = 1000;
  self->test_pairs = 1000;
  self->augment_deg = 10.0f;
  self->seed = 1;
  self->eval_every = 1;
  self->schedule = PB_SCHEDULE_CONSTANT;
  return pb_arch_from_name (model != NULL ? model : "siamese-aux", &self->arch, err);
}

static const char *const preset_names[] = { "report", "best", NULL };

const char *const *
pb_train_preset_names (void)
{
  return preset_names;
}

PbStatus
pb_train_settings_preset (PbTrainSettings *self, const char *name, PbError *err)
{
  PbTrainSettings s;
  PbStatus st;
  bool known = false;
  char names[128] = "";

  for (int i = 0; preset_names[i] != NULL; i++)
    {
      known = known || (name != NULL && strcmp (name, preset_names[i]) == 0);
      size_t n = strlen (names);
      snprintf (names + n, sizeof names - n, "%s%s", i > 0 ? ", " : "", preset_names[i]);
    }
  if (!known)
    return pb_error_set (err, PB_ERR_INVALID, "--preset: expected one of %s, got '%s'", names,
                         name != NULL ? name : "");
  if ((st = pb_train_settings_init (&s, "siamese-aux", err)) != PB_OK)
    return st;
  if (strcmp (name, "best") == 0)
    {
      /* Chosen by tools/search-best.py on validation splits of the training pairs; the
       * numbers and the search's path are in docs/results.md. */
      s.arch.kernel = 3;
      for (int l = 0; l < PB_N_CONV; l++)
        s.arch.padding[l] = 1;
      s.arch.channels[0] = 32;
      s.arch.channels[1] = 64;
      s.arch.channels[2] = 64;
      s.arch.hidden = 96;
      s.arch.hidden_act = PB_HIDDEN_RELU;
      s.arch.dropout = 0.2f;
      s.arch.rule = PB_RULE_POSTERIOR;
      s.batch = 25;
      s.lr = 2e-3f;
      s.schedule = PB_SCHEDULE_COSINE;
      s.weight_decay = 1e-4f;
      s.translate = 1;
      s.swap = true;
      s.repair = true;
      s.augment_deg = 10.0f;
    }
  if ((st = pb_train_settings_validate (&s, err)) != PB_OK)
    return st;
  *self = s;
  return PB_OK;
}

const char *
pb_schedule_name (PbSchedule schedule)
{
  return schedule == PB_SCHEDULE_COSINE ? "cosine" : "constant";
}

bool
pb_schedule_from_name (const char *name, PbSchedule *out)
{
  if (name != NULL && strcmp (name, "constant") == 0)
    *out = PB_SCHEDULE_CONSTANT;
  else if (name != NULL && strcmp (name, "cosine") == 0)
    *out = PB_SCHEDULE_COSINE;
  else
    return false;
  return true;
}

float
pb_schedule_lr (PbSchedule schedule, float base, long t, long total)
{
  if (schedule != PB_SCHEDULE_COSINE || total <= 0)
    return base;
  return (float) ((double) base * 0.5 * (1.0 + cos (M_PI * (double) t / (double) total)));
}

PbStatus
pb_train_settings_validate (const PbTrainSettings *self, PbError *err)
{
  if (self->epochs < 1 || self->epochs > 10000)
    return pb_error_set (err, PB_ERR_INVALID, "--epochs: expected 1–10000, got %d", self->epochs);
  /* The upper limits depend on the data; pb_run_new checks them against the image counts. */
  if (self->train_pairs < 1 || self->train_pairs > PB_MAX_PAIRS)
    return pb_error_set (err, PB_ERR_INVALID, "--pairs: expected 1–%d, got %d", PB_MAX_PAIRS,
                         self->train_pairs);
  if (self->test_pairs < 1 || self->test_pairs > PB_MAX_PAIRS)
    return pb_error_set (err, PB_ERR_INVALID, "--test-pairs: expected 1–%d, got %d",
                         PB_MAX_PAIRS, self->test_pairs);
  if (self->val_pairs < 0 || self->val_pairs >= self->train_pairs)
    return pb_error_set (err, PB_ERR_INVALID,
                         "--val-pairs: expected 0–%d (fewer than the %d training pairs), got %d",
                         self->train_pairs - 1, self->train_pairs, self->val_pairs);
  if (self->batch < 1 || self->batch > self->train_pairs - self->val_pairs)
    return pb_error_set (err, PB_ERR_INVALID, "--batch: expected 1–%d (the training pairs), got %d",
                         self->train_pairs - self->val_pairs, self->batch);
  if (!(self->lr > 0.0f) || !isfinite (self->lr))
    return pb_error_set (err, PB_ERR_INVALID, "--lr: expected a finite number > 0, got %g",
                         (double) self->lr);
  if (!(self->beta1 >= 0.0f && self->beta1 < 1.0f) || !(self->beta2 >= 0.0f && self->beta2 < 1.0f))
    return pb_error_set (err, PB_ERR_INVALID, "Adam betas: expected 0 ≤ β < 1, got %g and %g",
                         (double) self->beta1, (double) self->beta2);
  if (!(self->adam_eps > 0.0f) || !isfinite (self->adam_eps))
    return pb_error_set (err, PB_ERR_INVALID, "Adam eps: expected a finite number > 0, got %g",
                         (double) self->adam_eps);
  if (self->eval_every < 0 || self->eval_every > 10000)
    return pb_error_set (err, PB_ERR_INVALID, "--eval-every: expected 0–10000, got %d",
                         self->eval_every);
  if (!(self->augment_deg >= 0.0f && self->augment_deg <= 180.0f))
    return pb_error_set (err, PB_ERR_INVALID, "--augment: expected 0–180 degrees, got %g",
                         (double) self->augment_deg);
  if (self->schedule != PB_SCHEDULE_CONSTANT && self->schedule != PB_SCHEDULE_COSINE)
    return pb_error_set (err, PB_ERR_INVALID, "--schedule: expected constant or cosine, got %d",
                         (int) self->schedule);
  if (!(self->weight_decay >= 0.0f && self->weight_decay <= PB_MAX_WEIGHT_DECAY))
    return pb_error_set (err, PB_ERR_INVALID, "--weight-decay: expected 0–%g, got %g",
                         (double) PB_MAX_WEIGHT_DECAY, (double) self->weight_decay);
  if (!(self->scale >= 0.0f && self->scale <= PB_MAX_SCALE))
    return pb_error_set (err, PB_ERR_INVALID, "--scale: expected a fraction in 0–%g, got %g",
                         (double) PB_MAX_SCALE, (double) self->scale);
  if (!(self->shear >= 0.0f && self->shear <= PB_MAX_SHEAR))
    return pb_error_set (err, PB_ERR_INVALID, "--shear: expected a factor in 0–%g, got %g",
                         (double) PB_MAX_SHEAR, (double) self->shear);
  if (self->translate < 0 || self->translate > PB_MAX_TRANSLATE)
    return pb_error_set (err, PB_ERR_INVALID, "--translate: expected 0–%d pixels, got %d",
                         PB_MAX_TRANSLATE, self->translate);
  return pb_arch_validate (&self->arch, err);
}

/* Eval-mode pass over n standardised pairs, in chunks of the model's batch.
 * pred: [n]  digits: [n, 2]  prob1: [n] (optional) */
static void
predict_standardised (PbModel *model, const float *x, int n, uint8_t *pred, uint8_t *digits,
                      float *prob1)
{
  int max_b = pb_model_max_batch (model);

  for (int start = 0; start < n; start += max_b)
    {
      int B = n - start < max_b ? n - start : max_b;
      pb_model_forward (model, x + (size_t) start * PB_PAIR_FLOATS, B, false, NULL);
      const float *main = pb_model_main_logits (model);
      const float *dig = pb_model_digit_logits (model);

      for (int b = 0; b < B; b++)
        {
          const float *o = main + 2 * b;
          int i = start + b;
          if (pred != NULL)
            pred[i] = o[1] > o[0] ? 1 : 0;
          if (prob1 != NULL)
            prob1[i] = (float) (1.0 / (1.0 + exp ((double) o[0] - (double) o[1])));
          if (digits != NULL)
            for (int h = 0; h < 2; h++)
              {
                const float *d = dig + (size_t) b * 20 + (size_t) h * 10;
                int best = 0;
                for (int j = 1; j < 10; j++)
                  if (d[j] > d[best])
                    best = j;
                digits[2 * i + h] = (uint8_t) best;
              }
        }
    }
}

static void
score (const PbPairs *pairs, const uint8_t *pred, const uint8_t *digits, PbEvaluation *out)
{
  int wrong = 0, wrong_digits = 0;
  double chunk_err[PB_N_CHUNKS];
  int n = pairs->n, chunk = n / PB_N_CHUNKS;

  for (int i = 0; i < n; i++)
    {
      wrong += pred[i] != pairs->labels[i];
      wrong_digits += (digits[2 * i] != pairs->classes[2 * i])
                      + (digits[2 * i + 1] != pairs->classes[2 * i + 1]);
    }
  out->error = (double) wrong / n;
  out->digit_error = (double) wrong_digits / (2.0 * n);
  out->chunk_sd = 0.0;
  if (chunk >= 1)
    {
      double mean = 0.0, ss = 0.0;
      for (int c = 0; c < PB_N_CHUNKS; c++)
        {
          int w = 0;
          for (int i = c * chunk; i < (c + 1) * chunk; i++)
            w += pred[i] != pairs->labels[i];
          chunk_err[c] = (double) w / chunk;
          mean += chunk_err[c];
        }
      mean /= PB_N_CHUNKS;
      for (int c = 0; c < PB_N_CHUNKS; c++)
        ss += (chunk_err[c] - mean) * (chunk_err[c] - mean);
      out->chunk_sd = sqrt (ss / (PB_N_CHUNKS - 1));
    }
}

static void
end_epoch (PbRun *self)
{
  PbEpochRecord *r = &self->epochs[self->n_epochs_done];
  PbEvaluation train_eval = { NAN, NAN, NAN }, test_eval = { NAN, NAN, NAN };
  PbEvaluation val_eval = { NAN, NAN, NAN };
  int nb = self->batch_index, done = self->epoch + 1;
  bool due = done == self->s.epochs
             || (self->s.eval_every > 0 && done % self->s.eval_every == 0);

  if (due)
    {
      double t0 = pb_now_seconds ();
      predict_standardised (self->model, self->orig_x, self->train.n, self->eval_pred,
                            self->eval_digits, NULL);
      score (&self->train, self->eval_pred, self->eval_digits, &train_eval);
      if (!self->skip_test)
        {
          predict_standardised (self->model, self->test_x, self->test.n, self->eval_pred,
                                self->eval_digits, NULL);
          score (&self->test, self->eval_pred, self->eval_digits, &test_eval);
        }
      if (self->val.n > 0)
        {
          predict_standardised (self->model, self->val_x, self->val.n, self->eval_pred,
                                self->eval_digits, NULL);
          score (&self->val, self->eval_pred, self->eval_digits, &val_eval);
        }
      self->eval_seconds += pb_now_seconds () - t0;
    }

  r->epoch = done;
  r->train_loss = self->loss_sum / nb;
  r->train_main_loss = self->main_sum / nb;
  r->train_aux_loss = self->aux_sum / nb;
  r->train_error = train_eval.error;
  r->test_error = test_eval.error;
  r->digit_error = test_eval.digit_error;
  r->chunk_sd = test_eval.chunk_sd;
  r->val_error = val_eval.error;
  r->val_digit_error = val_eval.digit_error;
  r->seconds = pb_now_seconds () - self->started;
  r->train_seconds = self->train_seconds;
  r->eval_seconds = self->eval_seconds;
  self->n_epochs_done++;
  self->epoch++;
  self->batch_index = 0;
  self->loss_sum = self->main_sum = self->aux_sum = 0.0;
}

bool
pb_run_finished (const PbRun *self)
{
  return self->n_epochs_done >= self->s.epochs;
}

PbStatus
pb_run_step (PbRun *self, PbError *err)
{
  int n_aug = self->augmented.n;
  int bs = self->s.batch;
  double t0;

  if (pb_run_finished (self))
    return PB_OK;
  if (self->started < 0.0)
    self->started = pb_now_seconds ();

  PbProfile *prof = pb_model_profile (self->model);
  double tp = pb_profile_start (prof);
  t0 = pb_now_seconds ();
  if (self->batch_index == 0)
    {
      if (self->per_epoch && self->current_epoch != self->epoch)
        {
          pb_run_build_epoch (self, self->epoch, &self->current, self->pool_perm, NULL);
          standardise (&self->current, self->mean, self->std, self->train_x);
          self->current_epoch = self->epoch;
        }
      pb_profile_add (prof, PB_PROF_AUGMENT, tp);
      tp = pb_profile_start (prof);
      pb_rng_shuffle (&self->shuffle_rng, self->order, n_aug);
    }
  const PbPairs *set = self->per_epoch ? &self->current : &self->augmented;

  int start = self->batch_index * bs;
  int B = n_aug - start < bs ? n_aug - start : bs;
  for (int b = 0; b < B; b++)
    {
      int i = self->order[start + b];
      memcpy (self->batch_x + (size_t) b * PB_PAIR_FLOATS,
              self->train_x + (size_t) i * PB_PAIR_FLOATS, PB_PAIR_FLOATS * sizeof (float));
      self->batch_classes[2 * b] = set->classes[2 * i];
      self->batch_classes[2 * b + 1] = set->classes[2 * i + 1];
      self->batch_labels[b] = set->labels[i];
    }
  pb_profile_add (prof, PB_PROF_BATCH, tp);

  pb_model_forward (self->model, self->batch_x, B, true, &self->dropout_rng);
  PbLoss loss = pb_model_loss (self->model, self->batch_classes, self->batch_labels);
  if (!isfinite (loss.total))
    {
      self->train_seconds += pb_now_seconds () - t0;
      return pb_error_set (err, PB_ERR_DIVERGED,
                           "the loss became %s at epoch %d, batch %d; try a smaller learning rate",
                           isnan (loss.total) ? "NaN" : "infinite", self->epoch + 1,
                           self->batch_index + 1);
    }
  tp = pb_profile_start (prof);
  pb_model_zero_grad (self->model);
  pb_profile_add (prof, PB_PROF_ZERO_GRAD, tp);
  pb_model_backward (self->model, self->batch_classes, self->batch_labels);
  tp = pb_profile_start (prof);
  self->adam.lr = pb_schedule_lr (self->s.schedule, self->base_lr, self->step,
                                  self->total_steps);
  self->step++;
  pb_adam_step (&self->adam, pb_model_param_count (self->model), pb_model_params (self->model),
                pb_model_grads (self->model), pb_model_adam_m (self->model),
                pb_model_adam_v (self->model), self->step);
  pb_profile_add (prof, PB_PROF_ADAM, tp);
  double dt = pb_now_seconds () - t0;
  self->train_seconds += dt;
  if (prof != NULL)
    {
      prof->step_seconds += dt;
      prof->steps++;
    }

  PbBatchRecord *rec = &self->batches[self->n_batches_done++];
  rec->epoch = self->epoch + 1;
  rec->step = (int) self->step;
  rec->loss = (float) loss.total;
  rec->main_loss = (float) loss.main;
  rec->aux_loss = (float) loss.aux;
  rec->lr = self->adam.lr;
  rec->seconds = pb_now_seconds () - self->started;
  self->loss_sum += loss.total;
  self->main_sum += loss.main;
  self->aux_sum += loss.aux;

  self->batch_index++;
  if (self->batch_index == self->batches_per_epoch)
    end_epoch (self);
  return PB_OK;
}

PbStatus
pb_run_train (PbRun *self, const PbTrainCallbacks *cb, PbError *err)
{
  while (!pb_run_finished (self))
    {
      PbStatus st;
      int epochs_before = self->n_epochs_done;

      if (cb != NULL && cb->cancelled != NULL && cb->cancelled (cb->user_data))
        return pb_error_set (err, PB_ERR_CANCELLED, "cancelled at epoch %d, batch %d",
                             self->epoch + 1, self->batch_index + 1);
      if ((st = pb_run_step (self, err)) != PB_OK)
        return st;
      if (cb != NULL && cb->progress != NULL)
        {
          cb->progress (cb->user_data, self, PB_PROGRESS_BATCH);
          if (self->n_epochs_done > epochs_before)
            cb->progress (cb->user_data, self, PB_PROGRESS_EPOCH);
        }
    }
  return PB_OK;
}

void pb_run_skip_test (PbRun *self, bool skip) { self->skip_test = skip; }
const PbTrainSettings *pb_run_settings (const PbRun *self) { return &self->s; }
PbModel *pb_run_model (PbRun *self) { return self->model; }
const PbModel *pb_run_model_const (const PbRun *self) { return self->model; }
const PbPairs *pb_run_train_pairs (const PbRun *self) { return &self->train; }
const PbPairs *pb_run_augmented_pairs (const PbRun *self) { return &self->augmented; }
const float *pb_run_augment_angles (const PbRun *self) { return self->angles; }
const PbPairs *pb_run_val_pairs (const PbRun *self) { return &self->val; }
const PbPairs *pb_run_test_pairs (const PbRun *self) { return &self->test; }
bool pb_run_augments_per_epoch (const PbRun *self) { return self->per_epoch; }
const PbPairs *pb_run_current_pairs (const PbRun *self)
{
  return self->per_epoch ? &self->current : &self->augmented;
}
double pb_run_input_mean (const PbRun *self) { return self->mean; }
double pb_run_input_std (const PbRun *self) { return self->std; }
int pb_run_n_epochs_done (const PbRun *self) { return self->n_epochs_done; }
const PbEpochRecord *pb_run_epochs (const PbRun *self) { return self->epochs; }
int pb_run_n_batches_done (const PbRun *self) { return self->n_batches_done; }
const PbBatchRecord *pb_run_batches (const PbRun *self) { return self->batches; }
int pb_run_batches_per_epoch (const PbRun *self) { return self->batches_per_epoch; }
float pb_run_lr (const PbRun *self) { return self->base_lr; }
int pb_run_n_lr_changes (const PbRun *self) { return self->n_lr_changes; }
const PbLrChange *pb_run_lr_changes (const PbRun *self) { return self->lr_changes; }

PbStatus
pb_run_set_lr (PbRun *self, float lr, PbError *err)
{
  if (!(lr > 0.0f) || !isfinite (lr))
    return pb_error_set (err, PB_ERR_INVALID, "learning rate: expected a finite number > 0, got %g",
                         (double) lr);
  if (self->n_lr_changes >= PB_MAX_LR_CHANGES)
    return pb_error_set (err, PB_ERR_INVALID, "learning rate: at most %d changes per run",
                         PB_MAX_LR_CHANGES);
  self->lr_changes[self->n_lr_changes++] = (PbLrChange) {
    .step = self->n_batches_done, .epoch = self->epoch + 1, .lr = lr,
  };
  self->base_lr = lr;
  return PB_OK;
}

PbStatus
pb_model_predict (PbModel *model, double mean, double std, const PbPairs *pairs,
                  uint8_t *labels_out, float *prob1, uint8_t *digits, PbError *err)
{
  float *x = malloc ((size_t) (pairs->n > 0 ? pairs->n : 1) * PB_PAIR_FLOATS * sizeof (float));

  if (x == NULL)
    return pb_error_set (err, PB_ERR_NOMEM, "out of memory for %d pairs", pairs->n);
  if (!(std > 0.0) || !isfinite (mean))
    {
      free (x);
      return pb_error_set (err, PB_ERR_INVALID, "input standardisation: mean %g, std %g", mean,
                           std);
    }
  standardise (pairs, mean, std, x);
  predict_standardised (model, x, pairs->n, labels_out, digits, prob1);
  free (x);
  return PB_OK;
}

PbStatus
pb_model_evaluate (PbModel *model, double mean, double std, const PbPairs *pairs,
                   PbEvaluation *out, PbError *err)
{
  uint8_t *pred = malloc ((size_t) (pairs->n > 0 ? pairs->n : 1) * 3);
  PbStatus st;

  if (pred == NULL)
    return pb_error_set (err, PB_ERR_NOMEM, "out of memory for %d pairs", pairs->n);
  st = pb_model_predict (model, mean, std, pairs, pred, NULL, pred + pairs->n, err);
  if (st == PB_OK)
    score (pairs, pred, pred + pairs->n, out);
  free (pred);
  return st;
}

int
pb_model_feature_rows (const PbModel *model, int n_pairs)
{
  return pb_model_arch (model)->kind == PB_KIND_STACKED ? n_pairs : 2 * n_pairs;
}

int
pb_model_feature_dim (const PbModel *model, PbLayer layer)
{
  if (layer == PB_LAYER_FC1)
    return pb_model_arch (model)->hidden;
  return pb_model_arch (model)->kind == PB_KIND_STACKED ? 20 : 10;
}

PbStatus
pb_model_features (PbModel *model, double mean, double std, const PbPairs *pairs, PbLayer layer,
                   float *out, PbError *err)
{
  int max_b = pb_model_max_batch (model);
  int dim = pb_model_feature_dim (model, layer);
  bool per_image = pb_model_arch (model)->kind != PB_KIND_STACKED;
  float *x = malloc ((size_t) max_b * PB_PAIR_FLOATS * sizeof (float));
  PbPairs chunk;

  if (x == NULL)
    return pb_error_set (err, PB_ERR_NOMEM, "out of memory for the features");
  if (!(std > 0.0) || !isfinite (mean))
    {
      free (x);
      return pb_error_set (err, PB_ERR_INVALID, "input standardisation: mean %g, std %g", mean,
                           std);
    }
  for (int start = 0; start < pairs->n; start += max_b)
    {
      int B = pairs->n - start < max_b ? pairs->n - start : max_b;
      chunk.n = B;
      chunk.images = pairs->images + (size_t) start * PB_PAIR_FLOATS;
      standardise (&chunk, mean, std, x);
      pb_model_forward (model, x, B, false, NULL);
      for (int b = 0; b < B; b++)
        for (int h = 0; h < (per_image ? 2 : 1); h++)
          {
            float *row = out + ((size_t) (start + b) * (per_image ? 2 : 1) + (size_t) h)
                               * (size_t) dim;
            const float *src = layer == PB_LAYER_FC1
                                 ? pb_model_hidden (model, h) + (size_t) b * (size_t) dim
                                 : pb_model_digit_logits (model) + (size_t) b * 20
                                     + (size_t) (per_image ? h * 10 : 0);
            memcpy (row, src, (size_t) dim * sizeof (float));
          }
    }
  free (x);
  return PB_OK;
}

/* The study: a shared queue of (round, model) items taken by `jobs` threads. */

typedef struct
{
  const PbTrainSettings *base;  /* with models: shared settings; else NULL */
  const PbTrainSettings *each;  /* or every model's own settings */
  const PbArch *models;
  int n_models, rounds;
  const PbMnist *mnist;
  const PbStudyCallbacks *cb;
  PbRoundResult *results;
  pthread_mutex_t lock;
  int next;
  PbStatus first_error;
  PbError error;
} Study;

static bool
study_cancelled (void *user_data)
{
  Study *study = user_data;
  return study->cb != NULL && study->cb->cancelled != NULL
         && study->cb->cancelled (study->cb->user_data);
}

static void *
study_worker (void *data)
{
  Study *study = data;
  PbTrainCallbacks cb = { .cancelled = study_cancelled, .user_data = study };

  for (;;)
    {
      int item, m, r;
      PbRun *run = NULL;
      PbError err = { { 0 } };
      PbStatus st;

      pthread_mutex_lock (&study->lock);
      item = study->next < study->n_models * study->rounds && study->first_error == PB_OK
             ? study->next++ : -1;
      pthread_mutex_unlock (&study->lock);
      if (item < 0 || study_cancelled (study))
        break;

      /* Round-major, so every model's first rounds finish before anyone's last. */
      r = item / study->n_models;
      m = item % study->n_models;
      PbRoundResult *res = &study->results[m * study->rounds + r];
      PbTrainSettings s = study->each != NULL ? study->each[m] : *study->base;
      if (study->each == NULL)
        s.arch = study->models[m];
      s.seed += (uint64_t) r;

      st = pb_run_new (&s, study->mnist, &run, &err);
      if (st == PB_OK)
        st = pb_run_train (run, &cb, &err);
      res->model_index = m;
      res->round = r;
      res->seed = s.seed;
      res->status = st;
      res->params = pb_arch_param_count (&s.arch);
      if (run != NULL)
        {
          res->n_epochs = pb_run_n_epochs_done (run);
          res->epochs = malloc ((size_t) (res->n_epochs > 0 ? res->n_epochs : 1)
                                * sizeof (PbEpochRecord));
          if (res->epochs != NULL && res->n_epochs > 0)
            {
              memcpy (res->epochs, pb_run_epochs (run),
                      (size_t) res->n_epochs * sizeof (PbEpochRecord));
              res->final = res->epochs[res->n_epochs - 1];
            }
          if (st == PB_OK && study->cb != NULL && study->cb->round_run != NULL)
            study->cb->round_run (study->cb->user_data, res, run);
          pb_run_free (run);
        }

      pthread_mutex_lock (&study->lock);
      if (st != PB_OK && st != PB_ERR_CANCELLED && study->first_error == PB_OK)
        {
          study->first_error = st;
          pb_error_set (&study->error, st, "%s, round %d (seed %llu): %s", pb_arch_name (&s.arch),
                        r + 1, (unsigned long long) s.seed, err.message);
        }
      if (st == PB_OK && study->cb != NULL && study->cb->round_done != NULL)
        study->cb->round_done (study->cb->user_data, res);
      pthread_mutex_unlock (&study->lock);
    }
  return NULL;
}

static PbStatus
study_run (Study *study, int jobs, PbError *err)
{
  pthread_t threads[64];
  int n_threads = jobs, n_models = study->n_models, rounds = study->rounds;

  if (rounds < 1 || rounds > 1000)
    return pb_error_set (err, PB_ERR_INVALID, "--rounds: expected 1–1000, got %d", rounds);
  if (jobs < 1 || jobs > 64)
    return pb_error_set (err, PB_ERR_INVALID, "--jobs: expected 1–64, got %d", jobs);
  if (n_models < 1)
    return pb_error_set (err, PB_ERR_INVALID, "--models: expected at least one model");

  memset (study->results, 0, (size_t) n_models * (size_t) rounds * sizeof *study->results);
  pthread_mutex_init (&study->lock, NULL);
  if (n_threads > n_models * rounds)
    n_threads = n_models * rounds;
  for (int i = 0; i < n_threads; i++)
    if (pthread_create (&threads[i], NULL, study_worker, study) != 0)
      {
        n_threads = i;
        break;
      }
  if (n_threads == 0)
    study_worker (study);
  for (int i = 0; i < n_threads; i++)
    pthread_join (threads[i], NULL);
  pthread_mutex_destroy (&study->lock);

  if (study->first_error != PB_OK)
    {
      if (err != NULL)
        *err = study->error;
      return study->first_error;
    }
  if (study_cancelled (study))
    return pb_error_set (err, PB_ERR_CANCELLED, "the study was cancelled");
  return PB_OK;
}

PbStatus
pb_study_run (const PbTrainSettings *base, const PbArch *models, int n_models, int rounds,
              int jobs, const PbMnist *mnist, const PbStudyCallbacks *cb,
              PbRoundResult *results, PbError *err)
{
  Study study = {
    .base = base, .models = models, .n_models = n_models, .rounds = rounds,
    .mnist = mnist, .cb = cb, .results = results,
  };
  PbStatus st;

  if ((st = pb_train_settings_validate (base, err)) != PB_OK)
    return st;
  for (int m = 0; m < n_models; m++)
    if ((st = pb_arch_validate (&models[m], err)) != PB_OK)
      return st;
  return study_run (&study, jobs, err);
}

PbStatus
pb_study_run_each (const PbTrainSettings *each, int n_models, int rounds, int jobs,
                   const PbMnist *mnist, const PbStudyCallbacks *cb, PbRoundResult *results,
                   PbError *err)
{
  Study study = {
    .each = each, .n_models = n_models, .rounds = rounds, .mnist = mnist, .cb = cb,
    .results = results,
  };
  PbStatus st;

  for (int m = 0; m < n_models; m++)
    if ((st = pb_train_settings_validate (&each[m], err)) != PB_OK)
      return st;
  return study_run (&study, jobs, err);
}

void
pb_study_results_clear (PbRoundResult *results, int n)
{
  for (int i = 0; i < n; i++)
    {
      free (results[i].epochs);
      results[i].epochs = NULL;
    }
}
