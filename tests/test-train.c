/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Whole runs on the shipped MNIST: determinism, learning, callbacks, cancellation, divergence,
 * and the study's pairing of seeds. */

#include <glib.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "pb-core.h"

static PbMnist mnist;

static void
small_settings (PbTrainSettings *s, const char *model, int epochs)
{
  g_assert_cmpint (pb_train_settings_init (s, model, NULL), ==, PB_OK);
  s->epochs = epochs;
  s->train_pairs = 300;
  s->test_pairs = 200;
  s->batch = 50;
  s->seed = 3;
}

static PbRun *
train (const PbTrainSettings *s)
{
  PbRun *run = NULL;
  PbError err = { { 0 } };
  g_assert_cmpint (pb_run_new (s, &mnist, &run, &err), ==, PB_OK);
  g_assert_cmpint (pb_run_train (run, NULL, &err), ==, PB_OK);
  return run;
}

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

static void
test_augmentation_in_run (void)
{
  PbTrainSettings s;
  small_settings (&s, "siamese", 1);
  s.augment_deg = 0.0f;
  PbRun *plain = train (&s);
  g_assert_cmpint (pb_run_augmented_pairs (plain)->n, ==, 300);
  g_assert_null (pb_run_augment_angles (plain));

  s.augment_deg = 25.0f;
  PbRun *aug = train (&s);
  const PbPairs *a = pb_run_augmented_pairs (aug), *t = pb_run_train_pairs (aug);
  g_assert_cmpint (a->n, ==, 600);
  /* The originals come first and are the training pairs; then the rotated copies. */
  g_assert_cmpmem (a->images, 300 * PB_PAIR_FLOATS * sizeof (float), t->images,
                   300 * PB_PAIR_FLOATS * sizeof (float));
  g_assert_cmpmem (a->classes + 600, 600, t->classes, 600);
  for (int i = 0; i < 600; i++)
    {
      float angle = pb_run_augment_angles (aug)[i];
      g_assert_cmpfloat (fabsf (angle), <=, 25.0f);
    }
  /* Same pairs either way: augmentation draws from its own stream. */
  g_assert_cmpmem (t->images, 300 * PB_PAIR_FLOATS * sizeof (float),
                   pb_run_train_pairs (plain)->images, 300 * PB_PAIR_FLOATS * sizeof (float));
  pb_run_free (plain);
  pb_run_free (aug);
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
  PbError err = { { 0 } };
  int rc;

  g_test_init (&argc, &argv, NULL);
  pb_blas_set_single_thread ();
  if (pb_mnist_load (g_getenv ("PAIRBENCH_DATA_DIR"), &mnist, &err) != PB_OK)
    g_error ("%s", err.message);
  g_test_add_func ("/core/train/defaults", test_defaults);
  g_test_add_func ("/core/train/validation", test_validation);
  g_test_add_func ("/core/train/deterministic", test_deterministic);
  g_test_add_func ("/core/train/eval-every", test_eval_every);
  g_test_add_func ("/core/train/learns", test_learns);
  g_test_add_func ("/core/train/records", test_records);
  g_test_add_func ("/core/train/callbacks-and-cancel", test_callbacks_and_cancel);
  g_test_add_func ("/core/train/divergence", test_divergence);
  g_test_add_func ("/core/train/step", test_step);
  g_test_add_func ("/core/train/set-lr", test_set_lr);
  g_test_add_func ("/core/train/augmentation", test_augmentation_in_run);
  g_test_add_func ("/core/train/study", test_study);
  rc = g_test_run ();
  pb_mnist_clear (&mnist);
  return rc;
}
