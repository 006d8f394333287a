/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Whole runs on the shipped MNIST: determinism, learning, callbacks, cancellation, divergence,
 * the study's pairing of seeds, the optimiser and the settings. */

#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>

#include "pb-core.h"
#include "pb-session.h"
#include "train-check.h"

static void
test_defaults (void)
{
  PbTrainSettings s;
  g_assert_cmpint (pb_train_settings_init (&s, "siamese-aux", NULL), ==, PB_OK);
  g_assert_cmpint (s.epochs, ==, 25);
  g_assert_cmpint (s.batch, ==, 100);
  g_assert_cmpfloat (s.lr, ==, 1e-3f);
  g_assert_cmpint (s.train_pairs, ==, 1000);
  g_assert_cmpint (s.test_pairs, ==, 1000);
  g_assert_cmpfloat (s.augment_deg, ==, 10.0f);
  g_assert_cmpint (s.eval_every, ==, 1);
  g_assert_cmpfloat (s.arch.aux_weight, ==, 1.0f);
  g_assert_true (s.arch.aux);
  g_assert_cmpint (pb_train_settings_validate (&s, NULL), ==, PB_OK);
}

static void
test_validation (void)
{
  PbTrainSettings s;
  PbError err = { { 0 } };

  small_settings (&s, "siamese", 1);
  s.epochs = 0;
  g_assert_cmpint (pb_train_settings_validate (&s, &err), ==, PB_ERR_INVALID);
  g_assert_nonnull (strstr (err.message, "--epochs"));
  small_settings (&s, "siamese", 1);
  s.lr = NAN;
  g_assert_cmpint (pb_train_settings_validate (&s, &err), ==, PB_ERR_INVALID);
  g_assert_nonnull (strstr (err.message, "--lr"));
  small_settings (&s, "siamese", 1);
  s.batch = s.train_pairs + 1;
  g_assert_cmpint (pb_train_settings_validate (&s, &err), ==, PB_ERR_INVALID);
  g_assert_nonnull (strstr (err.message, "--batch"));
  small_settings (&s, "siamese", 1);
  s.augment_deg = 181;
  g_assert_cmpint (pb_train_settings_validate (&s, &err), ==, PB_ERR_INVALID);
  g_assert_nonnull (strstr (err.message, "--augment"));
  small_settings (&s, "siamese", 1);
  s.eval_every = -1;
  g_assert_cmpint (pb_train_settings_validate (&s, &err), ==, PB_ERR_INVALID);
  g_assert_nonnull (strstr (err.message, "--eval-every"));

  /* More pairs than the data holds depends on the data, so pb_run_new reports it. */
  PbRun *run = NULL;
  small_settings (&s, "siamese", 1);
  s.test_pairs = 5000;
  s.train_pairs = 1000;
  PbMnist few = mnist;
  few.n_test = 9000;
  g_assert_cmpint (pb_run_new (&s, &few, &run, &err), ==, PB_ERR_INVALID);
  g_assert_null (run);
  g_assert_nonnull (strstr (err.message, "10000 images"));
}

static void
test_deterministic (void)
{
  PbTrainSettings s;
  small_settings (&s, "siamese-aux", 2);
  PbRun *a = train (&s), *b = train (&s);
  PbModel *ma = pb_run_model (a), *mb = pb_run_model (b);

  g_assert_cmpmem (pb_model_params (ma), pb_model_param_count (ma) * sizeof (float),
                   pb_model_params (mb), pb_model_param_count (mb) * sizeof (float));
  g_assert_cmpmem (pb_model_buffers (ma), pb_model_buffer_count (ma) * sizeof (float),
                   pb_model_buffers (mb), pb_model_buffer_count (mb) * sizeof (float));
  for (int e = 0; e < 2; e++)
    {
      g_assert_cmpfloat (pb_run_epochs (a)[e].train_loss, ==, pb_run_epochs (b)[e].train_loss);
      g_assert_cmpfloat (pb_run_epochs (a)[e].test_error, ==, pb_run_epochs (b)[e].test_error);
    }

  /* Another seed gives another run. */
  s.seed = 4;
  PbRun *c = train (&s);
  g_assert_true (memcmp (pb_model_params (ma), pb_model_params (pb_run_model (c)),
                         pb_model_param_count (ma) * sizeof (float)) != 0);
  pb_run_free (a);
  pb_run_free (b);
  pb_run_free (c);
}

/* Evaluating less often changes nothing but the records of the epochs skipped. */
static void
test_eval_every (void)
{
  PbTrainSettings s;
  small_settings (&s, "siamese-aux", 5);
  s.augment_deg = 0.0f;
  PbRun *every = train (&s);
  s.eval_every = 0;
  PbRun *last = train (&s);
  s.eval_every = 2;
  PbRun *second = train (&s);
  PbModel *me = pb_run_model (every), *ml = pb_run_model (last);
  const PbEpochRecord *re = pb_run_epochs (every), *rl = pb_run_epochs (last);
  const PbEpochRecord *r2 = pb_run_epochs (second);

  g_assert_cmpmem (pb_model_params (me), pb_model_param_count (me) * sizeof (float),
                   pb_model_params (ml), pb_model_param_count (ml) * sizeof (float));
  g_assert_cmpmem (pb_model_buffers (me), pb_model_buffer_count (me) * sizeof (float),
                   pb_model_buffers (ml), pb_model_buffer_count (ml) * sizeof (float));
  g_assert_cmpint (pb_run_n_epochs_done (last), ==, 5);
  for (int e = 0; e < 5; e++)
    {
      g_assert_cmpint (rl[e].epoch, ==, e + 1);
      g_assert_cmpfloat (rl[e].train_loss, ==, re[e].train_loss);
      g_assert_cmpfloat (r2[e].train_loss, ==, re[e].train_loss);
      g_assert_true (isfinite (re[e].test_error));
      if (e < 4)
        {
          g_assert_true (isnan (rl[e].train_error) && isnan (rl[e].test_error));
          g_assert_true (isnan (rl[e].digit_error) && isnan (rl[e].chunk_sd));
        }
      g_assert_true (isfinite (r2[e].test_error) == (e == 1 || e == 3 || e == 4));
    }
  g_assert_cmpfloat (rl[4].test_error, ==, re[4].test_error);
  g_assert_cmpfloat (rl[4].train_error, ==, re[4].train_error);
  g_assert_cmpfloat (rl[4].digit_error, ==, re[4].digit_error);
  g_assert_cmpfloat (rl[4].chunk_sd, ==, re[4].chunk_sd);

  /* The setting goes through the settings JSON. */
  PbStr json;
  PbJson *obj = NULL;
  PbTrainSettings back;
  pb_str_init (&json);
  s.eval_every = 0;
  pb_train_settings_append_json (&s, &json);
  g_assert_cmpint (pb_json_parse (json.data, json.len, "settings", &obj, NULL), ==, PB_OK);
  small_settings (&back, "siamese", 1);
  g_assert_cmpint (pb_train_settings_from_json (obj, &back, "settings", NULL), ==, PB_OK);
  g_assert_cmpint (back.eval_every, ==, 0);
  pb_json_free (obj);
  pb_str_clear (&json);

  pb_run_free (every);
  pb_run_free (last);
  pb_run_free (second);
}

static void
test_learns (void)
{
  PbTrainSettings s;
  g_assert_cmpint (pb_train_settings_init (&s, "siamese-aux", NULL), ==, PB_OK);
  s.epochs = 3;
  PbRun *run = train (&s);
  const PbEpochRecord *last = &pb_run_epochs (run)[2];

  g_test_message ("siamese-aux, 3 epochs: test error %.3f, digit error %.3f", last->test_error,
                  last->digit_error);
  g_assert_cmpfloat (last->test_error, <, 0.35);
  g_assert_cmpfloat (last->digit_error, <, 0.2);
  g_assert_cmpfloat (pb_run_epochs (run)[2].train_loss, <, pb_run_epochs (run)[0].train_loss);
  g_assert_cmpint (pb_run_n_batches_done (run), ==, 3 * 20);
  pb_run_free (run);
}

static void
test_records (void)
{
  PbTrainSettings s;
  small_settings (&s, "twin-aux", 2);
  PbRun *run = train (&s);

  /* 300 pairs plus 300 rotated copies, in batches of 50. */
  g_assert_cmpint (pb_run_augmented_pairs (run)->n, ==, 600);
  g_assert_cmpint (pb_run_batches_per_epoch (run), ==, 12);
  g_assert_cmpint (pb_run_n_batches_done (run), ==, 24);
  g_assert_cmpint (pb_run_n_epochs_done (run), ==, 2);
  for (int e = 0; e < 2; e++)
    {
      const PbEpochRecord *r = &pb_run_epochs (run)[e];
      double sum = 0.0, main = 0.0, aux = 0.0;
      for (int b = 0; b < 12; b++)
        {
          const PbBatchRecord *br = &pb_run_batches (run)[e * 12 + b];
          g_assert_cmpint (br->epoch, ==, e + 1);
          g_assert_cmpint (br->step, ==, e * 12 + b + 1);
          g_assert_cmpfloat_with_epsilon (br->loss, br->main_loss + br->aux_loss, 1e-4);
          sum += br->loss;
          main += br->main_loss;
          aux += br->aux_loss;
        }
      g_assert_cmpint (r->epoch, ==, e + 1);
      g_assert_cmpfloat_with_epsilon (r->train_loss, sum / 12, 1e-5);
      g_assert_cmpfloat_with_epsilon (r->train_main_loss, main / 12, 1e-5);
      g_assert_cmpfloat_with_epsilon (r->train_aux_loss, aux / 12, 1e-5);
      g_assert_cmpfloat (r->test_error, >=, 0.0);
      g_assert_cmpfloat (r->test_error, <=, 1.0);
      g_assert_cmpfloat (r->train_seconds, >, 0.0);
      g_assert_cmpfloat (r->eval_seconds, >, 0.0);
      g_assert_cmpfloat (r->seconds, >=, r->train_seconds);
    }

  /* The run's own evaluation agrees with the public one on the same model. */
  PbEvaluation ev;
  g_assert_cmpint (pb_model_evaluate (pb_run_model (run), pb_run_input_mean (run),
                                      pb_run_input_std (run), pb_run_test_pairs (run), &ev, NULL),
                   ==, PB_OK);
  g_assert_cmpfloat (ev.error, ==, pb_run_epochs (run)[1].test_error);
  g_assert_cmpfloat (ev.digit_error, ==, pb_run_epochs (run)[1].digit_error);
  g_assert_cmpfloat (ev.chunk_sd, ==, pb_run_epochs (run)[1].chunk_sd);
  pb_run_free (run);
}

typedef struct
{
  int batches;
  int epochs;
  int cancel_after;
} Counter;

static void
count_progress (void *user_data, const PbRun *run, PbProgress what)
{
  Counter *c = user_data;
  if (what == PB_PROGRESS_BATCH)
    {
      c->batches++;
      g_assert_cmpint (pb_run_n_batches_done (run), ==, c->batches);
    }
  else
    {
      c->epochs++;
      g_assert_cmpint (pb_run_n_epochs_done (run), ==, c->epochs);
    }
}

static bool
cancel_check (void *user_data)
{
  Counter *c = user_data;
  return c->cancel_after >= 0 && c->batches >= c->cancel_after;
}

static void
test_callbacks_and_cancel (void)
{
  PbTrainSettings s;
  PbError err = { { 0 } };
  PbRun *run = NULL;
  Counter c = { .cancel_after = -1 };
  PbTrainCallbacks cb = { .progress = count_progress, .cancelled = cancel_check, .user_data = &c };

  small_settings (&s, "stacked", 2);
  g_assert_cmpint (pb_run_new (&s, &mnist, &run, &err), ==, PB_OK);
  g_assert_cmpint (pb_run_train (run, &cb, &err), ==, PB_OK);
  g_assert_cmpint (c.batches, ==, 24);
  g_assert_cmpint (c.epochs, ==, 2);
  pb_run_free (run);

  memset (&c, 0, sizeof c);
  c.cancel_after = 15;
  g_assert_cmpint (pb_run_new (&s, &mnist, &run, &err), ==, PB_OK);
  g_assert_cmpint (pb_run_train (run, &cb, &err), ==, PB_ERR_CANCELLED);
  g_assert_cmpint (pb_run_n_batches_done (run), ==, 15);
  g_assert_cmpint (pb_run_n_epochs_done (run), ==, 1);
  g_assert_nonnull (strstr (err.message, "epoch 2"));
  pb_run_free (run);
}

static void
test_divergence (void)
{
  PbTrainSettings s;
  PbError err = { { 0 } };
  PbRun *run = NULL;

  small_settings (&s, "siamese", 5);
  s.lr = 1e30f;
  g_assert_cmpint (pb_run_new (&s, &mnist, &run, &err), ==, PB_OK);
  PbStatus st = pb_run_train (run, NULL, &err);
  g_test_message ("lr 1e30: %s", err.message);
  g_assert_cmpint (st, ==, PB_ERR_DIVERGED);
  g_assert_nonnull (strstr (err.message, "epoch"));
  g_assert_nonnull (strstr (err.message, "batch"));
  for (int e = 0; e < pb_run_n_epochs_done (run); e++)
    g_assert_true (isfinite (pb_run_epochs (run)[e].train_loss));
  pb_run_free (run);
}

static void
test_step (void)
{
  PbTrainSettings s;
  PbError err = { { 0 } };
  PbRun *stepped = NULL;

  small_settings (&s, "siamese-aux", 1);
  PbRun *whole = train (&s);
  g_assert_cmpint (pb_run_new (&s, &mnist, &stepped, &err), ==, PB_OK);
  while (!pb_run_finished (stepped))
    g_assert_cmpint (pb_run_step (stepped, &err), ==, PB_OK);
  g_assert_cmpmem (pb_model_params (pb_run_model (whole)),
                   pb_model_param_count (pb_run_model (whole)) * sizeof (float),
                   pb_model_params (pb_run_model (stepped)),
                   pb_model_param_count (pb_run_model (stepped)) * sizeof (float));
  pb_run_free (whole);
  pb_run_free (stepped);
}

typedef struct
{
  int done;
} StudyCount;

static void
study_done (void *user_data, const PbRoundResult *r)
{
  ((StudyCount *) user_data)->done++;
  g_assert_cmpint (r->status, ==, PB_OK);
}

static void
test_study (void)
{
  PbTrainSettings s;
  PbArch models[2];
  PbRoundResult results[4], again[4];
  PbError err = { { 0 } };
  StudyCount count = { 0 };
  PbStudyCallbacks cb = { .round_done = study_done, .user_data = &count };

  small_settings (&s, "siamese", 1);
  s.augment_deg = 0.0f;
  s.seed = 10;
  pb_arch_from_name ("siamese", &models[0], NULL);
  pb_arch_from_name ("stacked-aux", &models[1], NULL);
  g_assert_cmpint (pb_study_run (&s, models, 2, 2, 2, &mnist, &cb, results, &err), ==, PB_OK);
  g_assert_cmpint (count.done, ==, 4);
  for (int m = 0; m < 2; m++)
    for (int r = 0; r < 2; r++)
      {
        const PbRoundResult *res = &results[m * 2 + r];
        g_assert_cmpint (res->model_index, ==, m);
        g_assert_cmpint (res->round, ==, r);
        g_assert_cmpuint (res->seed, ==, 10 + (guint64) r);
        g_assert_cmpint (res->n_epochs, ==, 1);
      }
  g_assert_cmpuint (results[0].params, ==, 71076);
  g_assert_cmpuint (results[2].params, ==, 71790);

  /* A study's round is the same run as training that seed alone, whatever the threads. */
  s.seed = 11;
  s.arch = models[1];
  PbRun *alone = train (&s);
  g_assert_cmpfloat (results[3].final.test_error, ==, pb_run_epochs (alone)[0].test_error);
  g_assert_cmpfloat (results[3].final.train_loss, ==, pb_run_epochs (alone)[0].train_loss);
  pb_run_free (alone);

  s.seed = 10;
  g_assert_cmpint (pb_study_run (&s, models, 2, 2, 1, &mnist, NULL, again, &err), ==, PB_OK);
  for (int i = 0; i < 4; i++)
    g_assert_cmpfloat (again[i].final.test_error, ==, results[i].final.test_error);
  pb_study_results_clear (results, 4);
  pb_study_results_clear (again, 4);

  g_assert_cmpint (pb_study_run (&s, models, 2, 0, 1, &mnist, NULL, again, &err), ==,
                   PB_ERR_INVALID);
  g_assert_nonnull (strstr (err.message, "--rounds"));
  g_assert_cmpint (pb_study_run (&s, models, 2, 1, 0, &mnist, NULL, again, &err), ==,
                   PB_ERR_INVALID);
  g_assert_nonnull (strstr (err.message, "--jobs"));
}

/* ---- optimiser ------------------------------------------------------------------------- */

static void
test_cosine_schedule (void)
{
  PbTrainSettings s;
  PbError err = { { 0 } };
  PbRun *run = NULL;

  small_settings (&s, "siamese", 2);
  s.augment_deg = 0.0f;
  s.schedule = PB_SCHEDULE_COSINE;
  s.lr = 2e-3f;
  PbRun *whole = train (&s);
  const PbBatchRecord *b = pb_run_batches (whole);
  /* 300 pairs in batches of 50: T = 2 × 6 steps. */
  int T = 2 * pb_run_batches_per_epoch (whole);
  g_assert_cmpint (T, ==, 12);
  g_assert_cmpfloat (b[0].lr, ==, 2e-3f);
  g_assert_cmpfloat_with_epsilon (b[T / 2].lr, 1e-3, 1e-10);
  g_assert_cmpfloat_with_epsilon (b[T - 1].lr, 2e-3 * 0.5 * (1.0 + cos (M_PI * 11.0 / 12.0)),
                                  1e-10);
  for (int t = 1; t < T; t++)
    g_assert_cmpfloat (b[t].lr, <, b[t - 1].lr);
  g_assert_cmpfloat (pb_run_lr (whole), ==, 2e-3f);

  /* A live change sets the base from the next step; the schedule goes on scaling it. */
  g_assert_cmpint (pb_run_new (&s, &mnist, &run, &err), ==, PB_OK);
  for (int t = 0; t < 3; t++)
    g_assert_cmpint (pb_run_step (run, &err), ==, PB_OK);
  g_assert_cmpint (pb_run_set_lr (run, 1e-2f, &err), ==, PB_OK);
  while (!pb_run_finished (run))
    g_assert_cmpint (pb_run_step (run, &err), ==, PB_OK);
  const PbBatchRecord *c = pb_run_batches (run);
  for (int t = 0; t < 3; t++)
    g_assert_cmpfloat (c[t].lr, ==, b[t].lr);
  for (int t = 3; t < T; t++)
    g_assert_cmpfloat_with_epsilon (c[t].lr, 1e-2 * 0.5 * (1.0 + cos (M_PI * t / T)), 1e-9);
  g_assert_cmpfloat (pb_run_lr (run), ==, 1e-2f);
  g_assert_cmpint (pb_run_n_lr_changes (run), ==, 1);
  g_assert_cmpint (pb_run_lr_changes (run)[0].step, ==, 3);
  g_assert_cmpfloat (pb_run_lr_changes (run)[0].lr, ==, 1e-2f);

  /* The constant schedule keeps the base exactly. */
  s.schedule = PB_SCHEDULE_CONSTANT;
  PbRun *flat = train (&s);
  for (int t = 0; t < T; t++)
    g_assert_cmpfloat (pb_run_batches (flat)[t].lr, ==, 2e-3f);
  pb_run_free (whole);
  pb_run_free (run);
  pb_run_free (flat);
}

/* The Adam step as it was before weight decay, for the bit-for-bit comparison. */
static void
reference_adam (const PbAdam *adam, size_t n, float *params, const float *grads, float *m,
                float *v, long t)
{
  float b1 = adam->beta1, b2 = adam->beta2;
  float step = (float) ((double) adam->lr / (1.0 - pow ((double) b1, (double) t)));
  float v_scale = (float) (1.0 / sqrt (1.0 - pow ((double) b2, (double) t)));
  for (size_t i = 0; i < n; i++)
    {
      float g = grads[i];
      m[i] = b1 * m[i] + (1.0f - b1) * g;
      v[i] = b2 * v[i] + (1.0f - b2) * g * g;
      params[i] -= step * m[i] / (sqrtf (v[i]) * v_scale + adam->eps);
    }
}

static void
test_adamw (void)
{
  PbAdam adam = { .lr = 0.01f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f,
                  .weight_decay = 0.1f };
  float p[3] = { 1.0f, -2.0f, 0.5f }, g[3] = { 0.1f, -0.3f, 0.0f };
  float m[3] = { 0 }, v[3] = { 0 };

  /* Step 1: p·(1 − lr·wd), then m̂ = g and v̂ = g², so the Adam step is lr·g / (|g| + eps). */
  pb_adam_step (&adam, 3, p, g, m, v, 1);
  g_assert_cmpfloat_with_epsilon (p[0], 1.0 * 0.999 - 0.01 * 0.1 / (0.1 + 1e-8), 1e-6);
  g_assert_cmpfloat_with_epsilon (p[1], -2.0 * 0.999 + 0.01 * 0.3 / (0.3 + 1e-8), 1e-6);
  g_assert_cmpfloat_with_epsilon (p[2], 0.5 * 0.999, 1e-7);
  g_assert_cmpfloat_with_epsilon (m[1], -0.03, 1e-8);
  /* 1 − 0.999f is 0.00099999…, not 0.001, in float. */
  g_assert_cmpfloat_with_epsilon (v[1], 0.001 * 0.09, 1e-8);

  /* With wd = 0 every bit is plain Adam's, over several steps. */
  enum { N = 257 };
  float pa[N], pb[N], ma[N] = { 0 }, mb[N] = { 0 }, va[N] = { 0 }, vb[N] = { 0 }, gr[N];
  PbRng rng;
  pb_rng_seed (&rng, 9, 0);
  for (int i = 0; i < N; i++)
    pa[i] = pb[i] = (float) pb_rng_normal (&rng);
  adam.weight_decay = 0.0f;
  adam.lr = 1e-3f;
  for (long t = 1; t <= 5; t++)
    {
      for (int i = 0; i < N; i++)
        gr[i] = (float) pb_rng_normal (&rng) * (i % 7 == 0 ? 0.0f : 1.0f);
      pb_adam_step (&adam, N, pa, gr, ma, va, t);
      reference_adam (&adam, N, pb, gr, mb, vb, t);
    }
  g_assert_cmpmem (pa, sizeof pa, pb, sizeof pb);
  g_assert_cmpmem (ma, sizeof ma, mb, sizeof mb);
  g_assert_cmpmem (va, sizeof va, vb, sizeof vb);
}

/* In a run, the first step with decay differs from the one without by lr·wd·p₀ alone: the same
 * init and batch give the same gradient. */
static void
test_weight_decay_in_run (void)
{
  PbTrainSettings s;
  PbError err = { { 0 } };
  PbRun *plain = NULL, *decayed = NULL;

  small_settings (&s, "twin-aux", 1);
  g_assert_cmpint (pb_run_new (&s, &mnist, &plain, &err), ==, PB_OK);
  s.weight_decay = 0.5f;
  s.lr = 0.01f;
  g_assert_cmpint (pb_run_new (&s, &mnist, &decayed, &err), ==, PB_OK);
  PbModel *mp = pb_run_model (plain), *md = pb_run_model (decayed);
  size_t n = pb_model_param_count (mp);
  g_autofree float *p0 = g_memdup2 (pb_model_params (mp), n * sizeof (float));
  g_assert_cmpint (pb_run_set_lr (plain, 0.01f, &err), ==, PB_OK);
  g_assert_cmpint (pb_run_step (plain, &err), ==, PB_OK);
  g_assert_cmpint (pb_run_step (decayed, &err), ==, PB_OK);
  double worst = 0.0;
  for (size_t i = 0; i < n; i++)
    {
      double diff = (double) pb_model_params (mp)[i] - pb_model_params (md)[i];
      worst = MAX (worst, fabs (diff - 0.01 * 0.5 * p0[i]));
    }
  g_assert_cmpfloat (worst, <, 2e-6);
  g_assert_cmpfloat (pb_run_batches (decayed)[0].loss, ==, pb_run_batches (plain)[0].loss);
  pb_run_free (plain);
  pb_run_free (decayed);
}

/* ---- settings: presets, validation, JSON ---------------------------------------------- */

static void
test_presets (void)
{
  PbTrainSettings s, report;
  PbError err = { { 0 } };
  const char *const *names = pb_train_preset_names ();
  int n = 0;

  while (names[n] != NULL)
    n++;
  g_assert_cmpint (n, >=, 2);
  g_assert_cmpstr (names[0], ==, "report");
  g_assert_true (g_strv_contains ((const char *const *) names, "best"));

  g_assert_cmpint (pb_train_settings_init (&report, "siamese-aux", NULL), ==, PB_OK);
  small_settings (&s, "stacked", 1);
  g_assert_cmpint (pb_train_settings_preset (&s, "report", &err), ==, PB_OK);
  g_assert_cmpmem (&s, sizeof s, &report, sizeof report);

  for (int i = 0; i < n; i++)
    {
      g_assert_cmpint (pb_train_settings_preset (&s, names[i], &err), ==, PB_OK);
      g_assert_cmpint (pb_train_settings_validate (&s, &err), ==, PB_OK);
    }
  g_assert_cmpint (pb_train_settings_preset (&s, "best", &err), ==, PB_OK);
  g_assert_cmpint (s.schedule, ==, PB_SCHEDULE_COSINE);
  g_assert_true (s.swap && s.repair);
  g_assert_cmpint (s.translate, ==, 1);
  g_assert_cmpint (s.val_pairs, ==, 0);

  PbTrainSettings before = s;
  g_assert_cmpint (pb_train_settings_preset (&s, "fastest", &err), ==, PB_ERR_INVALID);
  g_test_message ("%s", err.message);
  g_assert_nonnull (strstr (err.message, "fastest"));
  g_assert_nonnull (strstr (err.message, "report"));
  g_assert_nonnull (strstr (err.message, "best"));
  g_assert_null (strchr (err.message, '\n'));
  g_assert_cmpmem (&s, sizeof s, &before, sizeof before);
}

static void
expect_invalid (const PbTrainSettings *s, const char *option)
{
  PbError err = { { 0 } };
  g_assert_cmpint (pb_train_settings_validate (s, &err), ==, PB_ERR_INVALID);
  g_test_message ("%s", err.message);
  g_assert_nonnull (strstr (err.message, option));
  g_assert_null (strchr (err.message, '\n'));
}

static void
test_new_settings_validation (void)
{
  PbTrainSettings s;

  small_settings (&s, "siamese", 1);
  s.schedule = (PbSchedule) 7;
  expect_invalid (&s, "--schedule");
  small_settings (&s, "siamese", 1);
  s.weight_decay = -0.1f;
  expect_invalid (&s, "--weight-decay");
  s.weight_decay = NAN;
  expect_invalid (&s, "--weight-decay");
  s.weight_decay = 2.0f;
  expect_invalid (&s, "--weight-decay");
  small_settings (&s, "siamese", 1);
  s.translate = -1;
  expect_invalid (&s, "--translate");
  s.translate = PB_MAX_TRANSLATE + 1;
  expect_invalid (&s, "--translate");
  small_settings (&s, "siamese", 1);
  s.val_pairs = -1;
  expect_invalid (&s, "--val-pairs");
  s.val_pairs = s.train_pairs;
  expect_invalid (&s, "--val-pairs");
  /* A batch must fit the pairs left for training. */
  s.val_pairs = 260;
  expect_invalid (&s, "--batch");
  s.val_pairs = 250;
  s.translate = PB_MAX_TRANSLATE;
  s.weight_decay = 1.0f;
  s.schedule = PB_SCHEDULE_COSINE;
  g_assert_cmpint (pb_train_settings_validate (&s, NULL), ==, PB_OK);

  PbSchedule sch;
  g_assert_true (pb_schedule_from_name ("cosine", &sch) && sch == PB_SCHEDULE_COSINE);
  g_assert_true (pb_schedule_from_name (pb_schedule_name (PB_SCHEDULE_CONSTANT), &sch)
                 && sch == PB_SCHEDULE_CONSTANT);
  g_assert_false (pb_schedule_from_name ("step", &sch));
}

static void
test_settings_json (void)
{
  PbTrainSettings s, back, defaults;
  PbStr json;
  PbJson *obj = NULL;
  PbError err = { { 0 } };

  small_settings (&s, "twin-aux", 4);
  s.schedule = PB_SCHEDULE_COSINE;
  s.weight_decay = 0.0125f;
  s.translate = 2;
  s.swap = true;
  s.repair = true;
  s.val_pairs = 40;
  pb_str_init (&json);
  pb_train_settings_append_json (&s, &json);
  g_assert_cmpint (pb_json_parse (json.data, json.len, "settings", &obj, NULL), ==, PB_OK);
  small_settings (&back, "siamese", 1);
  g_assert_cmpint (pb_train_settings_from_json (obj, &back, "settings", &err), ==, PB_OK);
  g_assert_cmpmem (&back, sizeof back, &s, sizeof s);
  pb_json_free (obj);
  pb_str_clear (&json);

  /* Files written before these settings load with the defaults. */
  const char *old = "{\"model\":\"siamese-aux\",\"epochs\":3,\"lr\":0.002}";
  g_assert_cmpint (pb_json_parse (old, strlen (old), "old", &obj, NULL), ==, PB_OK);
  g_assert_cmpint (pb_train_settings_init (&back, "siamese-aux", NULL), ==, PB_OK);
  g_assert_cmpint (pb_train_settings_from_json (obj, &back, "old", &err), ==, PB_OK);
  g_assert_cmpint (pb_train_settings_init (&defaults, "siamese-aux", NULL), ==, PB_OK);
  defaults.epochs = 3;
  defaults.lr = 0.002f;
  g_assert_cmpmem (&back, sizeof back, &defaults, sizeof defaults);
  pb_json_free (obj);

  const char *bad[][2] = {
    { "{\"schedule\":\"step\"}", "'schedule'" },
    { "{\"schedule\":1}", "'schedule'" },
    { "{\"swap\":1}", "'swap'" },
    { "{\"translate\":1.5}", "'translate'" },
    { "{\"weight_decay\":\"x\"}", "'weight_decay'" },
  };
  for (size_t i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_assert_cmpint (pb_json_parse (bad[i][0], strlen (bad[i][0]), "bad", &obj, NULL), ==,
                       PB_OK);
      g_assert_cmpint (pb_train_settings_from_json (obj, &back, "bad.safetensors", &err), ==,
                       PB_ERR_FORMAT);
      g_assert_nonnull (strstr (err.message, bad[i][1]));
      g_assert_nonnull (strstr (err.message, "bad.safetensors"));
      pb_json_free (obj);
    }

  /* A comparison keeps them too, and the validation errors of its rounds. */
  PbSession session, loaded;
  PbArch model;
  PbStr text;
  PbEpochRecord epochs[2] = {
    { .epoch = 1, .train_loss = 1, .train_error = 0.5, .test_error = 0.4, .digit_error = 0.3,
      .chunk_sd = 0.1, .val_error = 0.25, .val_digit_error = NAN },
    { .epoch = 2, .train_loss = 0.5, .train_error = 0.3, .test_error = 0.2, .digit_error = 0.1,
      .chunk_sd = 0.05, .val_error = 0.125, .val_digit_error = 0.0625 },
  };
  PbRoundResult round = { .model_index = 0, .round = 0, .seed = 3, .status = PB_OK,
                          .params = 10, .epochs = epochs, .n_epochs = 2 };
  s.epochs = 2;
  pb_arch_from_name ("twin-aux", &model, NULL);
  g_assert_cmpint (pb_session_init (&session, &s, &model, 1, 1, &err), ==, PB_OK);
  g_assert_cmpint (pb_session_set_round (&session, &round, &err), ==, PB_OK);
  pb_str_init (&text);
  pb_session_to_json (&session, &text);
  g_assert_cmpint (pb_session_from_json (text.data, text.len, "c.json", &loaded, &err), ==,
                   PB_OK);
  g_assert_cmpint (loaded.base.schedule, ==, PB_SCHEDULE_COSINE);
  g_assert_cmpfloat (loaded.base.weight_decay, ==, 0.0125f);
  g_assert_cmpint (loaded.base.translate, ==, 2);
  g_assert_true (loaded.base.swap && loaded.base.repair);
  g_assert_cmpint (loaded.base.val_pairs, ==, 40);
  const PbRoundResult *r = pb_session_round (&loaded, 0, 0);
  g_assert_cmpfloat (r->epochs[0].val_error, ==, 0.25);
  g_assert_true (isnan (r->epochs[0].val_digit_error));
  g_assert_cmpfloat (r->epochs[1].val_digit_error, ==, 0.0625);
  pb_session_clear (&loaded);
  pb_str_clear (&text);
  pb_session_clear (&session);
}

/* The learning-rate changes of a run go into the weights' metadata and come back. */
static void
test_lr_changes_saved (void)
{
  PbTrainSettings s;
  PbError err = { { 0 } };
  PbRun *run = NULL;
  PbModel *loaded = NULL;
  PbWeightsInfo info;
  g_autofree char *dir = g_dir_make_tmp ("pb-train-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "w.safetensors", NULL);

  small_settings (&s, "siamese", 1);
  s.schedule = PB_SCHEDULE_COSINE;
  g_assert_cmpint (pb_run_new (&s, &mnist, &run, &err), ==, PB_OK);
  g_assert_cmpint (pb_run_step (run, &err), ==, PB_OK);
  g_assert_cmpint (pb_run_set_lr (run, 5e-4f, &err), ==, PB_OK);
  g_assert_cmpint (pb_run_step (run, &err), ==, PB_OK);
  g_assert_cmpint (pb_run_step (run, &err), ==, PB_OK);
  g_assert_cmpint (pb_run_set_lr (run, 3e-3f, &err), ==, PB_OK);
  g_assert_cmpint (pb_safetensors_save_with_lr (path, pb_run_model (run), &s,
                                                pb_run_input_mean (run), pb_run_input_std (run),
                                                pb_run_lr_changes (run),
                                                pb_run_n_lr_changes (run), &err), ==, PB_OK);
  g_assert_cmpint (pb_safetensors_load (path, 10, &loaded, &info, &err), ==, PB_OK);
  g_assert_cmpint (info.n_lr_changes, ==, 2);
  g_assert_cmpint (info.lr_changes[0].step, ==, 1);
  g_assert_cmpint (info.lr_changes[0].epoch, ==, 1);
  g_assert_cmpfloat (info.lr_changes[0].lr, ==, 5e-4f);
  g_assert_cmpint (info.lr_changes[1].step, ==, 3);
  g_assert_cmpfloat (info.lr_changes[1].lr, ==, 3e-3f);
  g_assert_cmpint (info.settings.schedule, ==, PB_SCHEDULE_COSINE);
  pb_model_free (loaded);

  /* Without changes the key is absent and the count 0. */
  g_assert_cmpint (pb_safetensors_save (path, pb_run_model (run), &s, 1.0, 2.0, &err), ==, PB_OK);
  g_assert_cmpint (pb_safetensors_load (path, 10, &loaded, &info, &err), ==, PB_OK);
  g_assert_cmpint (info.n_lr_changes, ==, 0);
  pb_model_free (loaded);
  g_remove (path);
  g_rmdir (dir);
  pb_run_free (run);
}

/* pb_run_set_lr: a change is recorded with the step it follows, bad values are refused and leave
 * the run as it was, and the batches after it report the new rate. */
static void
test_set_lr (void)
{
  PbTrainSettings s;
  PbError err = { { 0 } };
  PbRun *run = NULL;
  const PbBatchRecord *br;
  const PbLrChange *ch;

  small_settings (&s, "siamese-aux", 2);
  g_assert_cmpint (pb_run_new (&s, &mnist, &run, &err), ==, PB_OK);
  g_assert_cmpint (pb_run_n_lr_changes (run), ==, 0);
  g_assert_cmpfloat (pb_run_lr (run), ==, s.lr);
  for (int i = 0; i < 3; i++)
    g_assert_cmpint (pb_run_step (run, &err), ==, PB_OK);

  g_assert_cmpint (pb_run_set_lr (run, 0.0f, &err), ==, PB_ERR_INVALID);
  g_assert_nonnull (strstr (err.message, "learning rate"));
  g_assert_cmpint (pb_run_set_lr (run, -1e-3f, &err), ==, PB_ERR_INVALID);
  g_assert_cmpint (pb_run_set_lr (run, NAN, &err), ==, PB_ERR_INVALID);
  g_assert_cmpint (pb_run_set_lr (run, INFINITY, &err), ==, PB_ERR_INVALID);
  g_assert_cmpint (pb_run_n_lr_changes (run), ==, 0);
  g_assert_cmpfloat (pb_run_lr (run), ==, s.lr);

  g_assert_cmpint (pb_run_set_lr (run, 5e-4f, &err), ==, PB_OK);
  g_assert_cmpfloat (pb_run_lr (run), ==, 5e-4f);
  g_assert_cmpint (pb_run_n_lr_changes (run), ==, 1);
  ch = pb_run_lr_changes (run);
  g_assert_cmpint (ch[0].step, ==, 3);
  g_assert_cmpint (ch[0].epoch, ==, 1);
  g_assert_cmpfloat (ch[0].lr, ==, 5e-4f);

  g_assert_cmpint (pb_run_step (run, &err), ==, PB_OK);
  br = pb_run_batches (run);
  g_assert_cmpint (pb_run_n_batches_done (run), ==, 4);
  g_assert_cmpfloat (br[2].lr, ==, s.lr);
  g_assert_cmpfloat (br[3].lr, ==, 5e-4f);
  g_assert_cmpint (br[3].step, ==, ch[0].step + 1);

  /* A change at an epoch boundary belongs to the epoch that comes next. */
  while (pb_run_n_epochs_done (run) < 1)
    g_assert_cmpint (pb_run_step (run, &err), ==, PB_OK);
  g_assert_cmpint (pb_run_set_lr (run, 2e-3f, &err), ==, PB_OK);
  g_assert_cmpint (pb_run_lr_changes (run)[1].step, ==, pb_run_batches_per_epoch (run));
  g_assert_cmpint (pb_run_lr_changes (run)[1].epoch, ==, 2);
  while (!pb_run_finished (run))
    g_assert_cmpint (pb_run_step (run, &err), ==, PB_OK);
  br = pb_run_batches (run);
  g_assert_cmpfloat (br[pb_run_n_batches_done (run) - 1].lr, ==, 2e-3f);

  /* Only so many changes fit; the one past the limit is refused and not recorded. */
  while (pb_run_n_lr_changes (run) < PB_MAX_LR_CHANGES)
    g_assert_cmpint (pb_run_set_lr (run, 1e-3f, &err), ==, PB_OK);
  g_assert_cmpint (pb_run_set_lr (run, 3e-3f, &err), ==, PB_ERR_INVALID);
  g_assert_cmpint (pb_run_n_lr_changes (run), ==, PB_MAX_LR_CHANGES);
  g_assert_cmpfloat (pb_run_lr (run), ==, 1e-3f);
  pb_run_free (run);
}

int
main (int argc, char **argv)
{
  train_check_init (&argc, &argv);
  g_test_add_func ("/core/train/defaults", test_defaults);
  g_test_add_func ("/core/train/validation", test_validation);
  g_test_add_func ("/core/train/deterministic", test_deterministic);
  g_test_add_func ("/core/train/eval-every", test_eval_every);
  g_test_add_func ("/core/train/learns", test_learns);
  g_test_add_func ("/core/train/records", test_records);
  g_test_add_func ("/core/train/callbacks-and-cancel", test_callbacks_and_cancel);
  g_test_add_func ("/core/train/divergence", test_divergence);
  g_test_add_func ("/core/train/step", test_step);
  g_test_add_func ("/core/train/study", test_study);
  g_test_add_func ("/core/train/cosine-schedule", test_cosine_schedule);
  g_test_add_func ("/core/train/adamw", test_adamw);
  g_test_add_func ("/core/train/weight-decay-in-run", test_weight_decay_in_run);
  g_test_add_func ("/core/train/presets", test_presets);
  g_test_add_func ("/core/train/new-settings-validation", test_new_settings_validation);
  g_test_add_func ("/core/train/settings-json", test_settings_json);
  g_test_add_func ("/core/train/lr-changes-saved", test_lr_changes_saved);
  g_test_add_func ("/core/train/set-lr", test_set_lr);
  return train_check_run ();
}
