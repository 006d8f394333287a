/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-trainer"

#include "config.h"

#include <math.h>
#include <string.h>
#include <glib.h>
#include <gio/gio.h>

#include "pb-run-item.h"
#include "pb-trainer.h"
#include "pb-uninstalled.h"
#include "gui-test-util.h"

#define RUN_TIMEOUT_S 240

static char *data_dir;

typedef struct
{
  guint progress;
  guint finished;
  gint64 first;
  gint64 last;
} Counts;

static void
on_progress (PbTrainer *trainer,
             PbRunItem *item,
             Counts    *counts)
{
  gint64 now = g_get_monotonic_time ();

  if (counts->progress++ == 0)
    counts->first = now;
  counts->last = now;
}

static void
on_finished (PbTrainer *trainer,
             PbRunItem *item,
             Counts    *counts)
{
  counts->finished++;
}

static PbRunItem *
small_run (int epochs,
           int pairs,
           int batch)
{
  PbTrainSettings s;
  PbError err;

  g_assert_cmpint (pb_train_settings_init (&s, "siamese-aux", &err), ==, PB_OK);
  s.epochs = epochs;
  s.train_pairs = pairs;
  s.test_pairs = pairs;
  s.batch = batch;
  return pb_run_item_new (&s, 0);
}

static guint n_batches (PbRunItem *item);

static guint
n_epochs (PbRunItem *item)
{
  guint ne;

  pb_run_item_get_epochs (item, &ne);
  return ne;
}

static void
iterate_until_finished (Counts *counts)
{
  pb_test_wait_for (counts->finished > 0, RUN_TIMEOUT_S);
}

static void
test_trainer_coalesced (void)
{
  g_autoptr(PbTrainer) trainer = pb_trainer_new ();
  g_autoptr(PbRunItem) item = small_run (3, 400, 20);
  g_autoptr(GError) error = NULL;
  Counts counts = { 0 };
  guint ne, nb, bpe;
  double seconds;

  g_signal_connect (trainer, "progress", G_CALLBACK (on_progress), &counts);
  g_signal_connect (trainer, "finished", G_CALLBACK (on_finished), &counts);
  g_assert_true (pb_trainer_start (trainer, item, data_dir, &error));
  g_assert_no_error (error);
  g_assert_true (pb_trainer_get_running (trainer));
  /* One run at a time. */
  g_assert_false (pb_trainer_start (trainer, item, data_dir, NULL));
  iterate_until_finished (&counts);

  g_assert_false (pb_trainer_get_running (trainer));
  g_assert_cmpint (pb_run_item_get_status (item), ==, PB_RUN_STATUS_FINISHED);
  pb_run_item_get_epochs (item, &ne);
  pb_run_item_get_batches (item, &nb);
  bpe = pb_run_item_get_batches_per_epoch (item);
  g_assert_cmpuint (ne, ==, 3);
  g_assert_cmpuint (nb, ==, 3 * bpe);
  g_assert_cmpuint (bpe, ==, 2 * 400 / 20);

  /* Every record arrived, in fewer updates than batches, and at most ~30 a second. */
  seconds = (counts.last - counts.first) / (double) G_USEC_PER_SEC;
  g_test_message ("%u batches in %u updates over %.2f s", nb, counts.progress, seconds);
  g_assert_cmpuint (counts.progress, <=, nb + 1);
  g_assert_cmpfloat (counts.progress, <=, seconds * 30 * 1.25 + 3);
  g_assert_cmpuint (counts.finished, ==, 1);
  g_assert_nonnull (pb_run_item_get_run (item));
}

static void
test_trainer_stop_keeps_records (void)
{
  g_autoptr(PbTrainer) trainer = pb_trainer_new ();
  g_autoptr(PbRunItem) item = small_run (30, 1000, 100);
  Counts counts = { 0 };
  const guint8 *labels, *digits;
  const float *prob1;
  guint ne, nb;
  int at_stop;

  g_signal_connect (trainer, "progress", G_CALLBACK (on_progress), &counts);
  g_signal_connect (trainer, "finished", G_CALLBACK (on_finished), &counts);
  g_assert_true (pb_trainer_start (trainer, item, data_dir, NULL));

  /* Let one epoch finish so that the stopped run has predictions. */
  pb_test_wait_for (n_epochs (item) >= 1, RUN_TIMEOUT_S);
  pb_trainer_stop (trainer);
  at_stop = pb_run_item_get_batches_at_stop (item);
  iterate_until_finished (&counts);

  pb_run_item_get_batches (item, &nb);
  pb_run_item_get_epochs (item, &ne);
  g_test_message ("stopped after %d batches; %u recorded, %u epochs", at_stop, nb, ne);
  g_assert_cmpint (pb_run_item_get_status (item), ==, PB_RUN_STATUS_CANCELLED);
  g_assert_cmpint (at_stop, >=, (int) pb_run_item_get_batches_per_epoch (item));
  g_assert_cmpuint (nb, >=, (guint) at_stop);
  g_assert_cmpuint (nb, <=, (guint) at_stop + 1);
  g_assert_cmpuint (ne, >=, 1);
  g_assert_true (pb_run_item_get_predictions (item, &labels, &prob1, &digits));
  g_assert_cmpfloat (prob1[0], >=, 0);
  g_assert_cmpfloat (prob1[0], <=, 1);
}

static void
test_trainer_dispose_while_running (void)
{
  PbTrainer *trainer = pb_trainer_new ();
  g_autoptr(PbRunItem) item = small_run (30, 1000, 100);

  g_assert_true (pb_trainer_start (trainer, item, data_dir, NULL));
  pb_test_wait_for (n_batches (item) > 0, RUN_TIMEOUT_S);
  /* Joins the worker; an update still pending finds no trainer and is dropped. */
  g_object_unref (trainer);
  pb_test_settle ();
  g_assert_cmpint (pb_run_item_get_status (item), ==, PB_RUN_STATUS_RUNNING);
}

static void
test_trainer_missing_data (void)
{
  g_autoptr(PbTrainer) trainer = pb_trainer_new ();
  g_autoptr(PbRunItem) item = small_run (1, 100, 100);
  Counts counts = { 0 };

  g_signal_connect (trainer, "finished", G_CALLBACK (on_finished), &counts);
  g_assert_true (pb_trainer_start (trainer, item, "/nonexistent/mnist", NULL));
  iterate_until_finished (&counts);
  g_assert_cmpint (pb_run_item_get_status (item), ==, PB_RUN_STATUS_FAILED);
  g_assert_cmpint (pb_run_item_get_core_status (item), ==, PB_ERR_IO);
  g_assert_nonnull (strstr (pb_run_item_get_message (item), "/nonexistent/mnist"));
}


/* Pause, step and resume. */

static gboolean
trainer_idle (gpointer data)
{
  return !pb_trainer_get_running (data);
}

static gboolean
trainer_holding (gpointer data)
{
  return pb_trainer_get_holding (data);
}

static gboolean
trainer_holding_or_idle (gpointer data)
{
  return pb_trainer_get_holding (data) || !pb_trainer_get_running (data);
}

static guint
n_batches (PbRunItem *item)
{
  guint nb;

  pb_run_item_get_batches (item, &nb);
  return nb;
}

typedef struct
{
  PbRunItem *item;
  guint n;
} BatchWait;

static gboolean
has_batches (gpointer data)
{
  BatchWait *w = data;
  return n_batches (w->item) >= w->n;
}

static void
wait_for_batches (PbRunItem *item,
                  guint      n)
{
  BatchWait w = { item, n };
  g_assert_true (pb_test_wait_until (has_batches, &w, RUN_TIMEOUT_S));
}

static void
pause_and_hold (PbTrainer *trainer)
{
  pb_trainer_pause (trainer);
  g_assert_true (pb_trainer_get_paused (trainer));
  g_assert_true (pb_test_wait_until (trainer_holding, trainer, RUN_TIMEOUT_S));
}

static void
step_and_hold (PbTrainer *trainer)
{
  g_assert_true (pb_trainer_step (trainer));
  g_assert_false (pb_trainer_get_holding (trainer));
  g_assert_true (pb_test_wait_until (trainer_holding, trainer, RUN_TIMEOUT_S));
}

static void
test_trainer_pause_holds (void)
{
  g_autoptr(PbTrainer) trainer = pb_trainer_new ();
  g_autoptr(PbRunItem) item = small_run (30, 1000, 100);
  Counts counts = { 0 };
  guint held_at;

  g_signal_connect (trainer, "finished", G_CALLBACK (on_finished), &counts);
  /* Nothing to pause or step before a run. */
  pb_trainer_pause (trainer);
  g_assert_false (pb_trainer_get_paused (trainer));
  g_assert_false (pb_trainer_step (trainer));

  g_assert_true (pb_trainer_start (trainer, item, data_dir, NULL));
  /* Stepping needs a pause first. */
  g_assert_false (pb_trainer_step (trainer));
  wait_for_batches (item, 2);
  pause_and_hold (trainer);
  held_at = n_batches (item);
  g_test_message ("holding after %u batches", held_at);

  /* No batch is recorded while paused, however long it lasts. */
  pb_test_run_for (500);
  g_assert_cmpuint (n_batches (item), ==, held_at);
  g_assert_true (pb_trainer_get_holding (trainer));
  g_assert_true (pb_trainer_get_running (trainer));
  g_assert_cmpint (pb_run_item_get_status (item), ==, PB_RUN_STATUS_RUNNING);

  /* A step records exactly one batch, the next one, and holds again. */
  step_and_hold (trainer);
  g_assert_cmpuint (n_batches (item), ==, held_at + 1);
  pb_test_settle ();
  g_assert_cmpuint (n_batches (item), ==, held_at + 1);
  {
    guint n;
    g_assert_cmpint (pb_run_item_get_batches (item, &n)[held_at].step, ==, (int) held_at + 1);
  }

  /* Steps asked for in a row are each one batch. */
  g_assert_true (pb_trainer_step (trainer));
  g_assert_true (pb_trainer_step (trainer));
  g_assert_true (pb_trainer_step (trainer));
  g_assert_true (pb_test_wait_until (trainer_holding, trainer, RUN_TIMEOUT_S));
  pb_test_settle ();
  g_assert_cmpuint (n_batches (item), ==, held_at + 4);

  /* Resuming trains on by itself. */
  pb_trainer_resume (trainer);
  g_assert_false (pb_trainer_get_paused (trainer));
  g_assert_false (pb_trainer_get_holding (trainer));
  wait_for_batches (item, held_at + 6);
  pb_trainer_stop (trainer);
  iterate_until_finished (&counts);
  g_assert_cmpint (pb_run_item_get_status (item), ==, PB_RUN_STATUS_CANCELLED);
  g_assert_false (pb_trainer_get_paused (trainer));
}

/* Trains settings with the given seed, pausing and stepping along the way when asked. */
static PbRunItem *
train_item (const PbTrainSettings *s,
            gboolean               interrupt)
{
  g_autoptr(PbTrainer) trainer = pb_trainer_new ();
  PbRunItem *item = pb_run_item_new (s, 0);
  guint bpe;

  g_assert_true (pb_trainer_start (trainer, item, data_dir, NULL));
  if (interrupt)
    {
      /* Paused before the first batch, stepped, resumed and paused again at once, then
       * stepped across the first epoch's end (its evaluation included). */
      pause_and_hold (trainer);
      g_assert_cmpuint (n_batches (item), ==, 0);
      step_and_hold (trainer);
      g_assert_cmpuint (n_batches (item), ==, 1);
      bpe = pb_run_item_get_batches_per_epoch (item);
      pb_trainer_resume (trainer);
      pb_trainer_pause (trainer);
      g_assert_true (pb_test_wait_until (trainer_holding_or_idle, trainer, RUN_TIMEOUT_S));
      while (pb_trainer_get_running (trainer) && n_batches (item) < bpe + 1)
        step_and_hold (trainer);
      pb_trainer_resume (trainer);
    }
  g_assert_true (pb_test_wait_until (trainer_idle, trainer, RUN_TIMEOUT_S));
  g_assert_cmpint (pb_run_item_get_status (item), ==, PB_RUN_STATUS_FINISHED);
  return item;
}

static void
assert_same_run (PbRunItem *a,
                 PbRunItem *b)
{
  PbModel *ma = pb_run_item_get_model (a), *mb = pb_run_item_get_model (b);
  guint na, nb;
  const PbBatchRecord *ba = pb_run_item_get_batches (a, &na);
  const PbBatchRecord *bb = pb_run_item_get_batches (b, &nb);
  const PbEpochRecord *ea = pb_run_item_get_epochs (a, &na);
  const PbEpochRecord *eb = pb_run_item_get_epochs (b, &nb);

  g_assert_cmpuint (pb_model_param_count (ma), ==, pb_model_param_count (mb));
  g_assert_cmpmem (pb_model_params (ma), pb_model_param_count (ma) * sizeof (float),
                   pb_model_params (mb), pb_model_param_count (mb) * sizeof (float));
  g_assert_cmpuint (na, ==, nb);
  for (guint e = 0; e < na; e++)
    {
      g_assert_cmpfloat (ea[e].train_loss, ==, eb[e].train_loss);
      g_assert_cmpfloat (ea[e].test_error, ==, eb[e].test_error);
    }
  pb_run_item_get_batches (a, &na);
  pb_run_item_get_batches (b, &nb);
  g_assert_cmpuint (na, ==, nb);
  for (guint i = 0; i < na; i++)
    {
      g_assert_cmpint (ba[i].step, ==, bb[i].step);
      g_assert_cmpfloat (ba[i].loss, ==, bb[i].loss);
      g_assert_cmpfloat (ba[i].lr, ==, bb[i].lr);
    }
}

static void
test_trainer_resume_same_weights (void)
{
  g_autoptr(PbRunItem) item = small_run (2, 300, 50);
  const PbTrainSettings *s = pb_run_item_get_settings (item);
  g_autoptr(PbRunItem) plain = train_item (s, FALSE);
  g_autoptr(PbRunItem) paused = train_item (s, TRUE);
  g_autoptr(PbRunItem) again = train_item (s, TRUE);

  /* Bit for bit, and pausing twice the same way is as deterministic as not pausing. */
  assert_same_run (plain, paused);
  assert_same_run (paused, again);
  g_assert_false (pb_run_item_get_modified (paused));
}

static gboolean
item_modified (gpointer data)
{
  return pb_run_item_get_modified (data);
}

static void
count_notify (GObject    *object,
              GParamSpec *pspec,
              int        *count)
{
  (*count)++;
}

static void
test_trainer_lr_change (void)
{
  g_autoptr(PbTrainer) trainer = pb_trainer_new ();
  g_autoptr(PbRunItem) item = small_run (2, 300, 50);
  g_autoptr(PbRunItem) plain = train_item (pb_run_item_get_settings (item), FALSE);
  g_autoptr(GError) error = NULL;
  g_autofree char *described = NULL;
  const PbLrChange *changes;
  const PbBatchRecord *br;
  PbRun *run;
  PbModel *a, *b;
  guint n, held_at;
  float lr0 = pb_run_item_get_settings (item)->lr;
  int notified = 0;
  double spp, pps;

  g_assert_false (pb_trainer_set_lr (trainer, 1e-4, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED);
  g_clear_error (&error);
  g_signal_connect (item, "notify::modified", G_CALLBACK (count_notify), &notified);

  g_assert_true (pb_trainer_start (trainer, item, data_dir, NULL));
  g_assert_cmpfloat (pb_trainer_get_lr (trainer), ==, lr0);
  wait_for_batches (item, 3);
  pause_and_hold (trainer);
  held_at = n_batches (item);

  /* Bad values are refused with a message, and the same rate is no change. */
  g_assert_false (pb_trainer_set_lr (trainer, 0, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (pb_trainer_set_lr (trainer, -1e-3, NULL));
  g_assert_false (pb_trainer_set_lr (trainer, NAN, NULL));
  g_assert_false (pb_trainer_set_lr (trainer, INFINITY, NULL));
  g_assert_true (pb_trainer_set_lr (trainer, lr0, NULL));
  pb_test_settle ();
  g_assert_false (pb_run_item_get_modified (item));

  /* While paused the change is recorded at once, after the batches done so far. */
  g_assert_true (pb_trainer_set_lr (trainer, 5e-4, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (pb_trainer_get_lr (trainer), ==, 5e-4f);
  g_assert_true (pb_test_wait_until (item_modified, item, RUN_TIMEOUT_S));
  g_assert_cmpint (notified, ==, 1);
  g_assert_cmpuint (n_batches (item), ==, held_at);
  changes = pb_run_item_get_lr_changes (item, &n);
  g_assert_cmpuint (n, ==, 1);
  g_assert_cmpint (changes[0].step, ==, (int) held_at);
  g_assert_cmpint (changes[0].epoch, ==, 1);
  g_assert_cmpfloat (changes[0].lr, ==, 5e-4f);
  g_assert_cmpfloat (pb_run_item_get_lr (item), ==, 5e-4f);
  described = pb_run_item_describe_lr_changes (item);
  g_test_message ("%s", described);
  g_assert_nonnull (strstr (described, "0.0005"));

  /* The next batch trains with it. */
  step_and_hold (trainer);
  br = pb_run_item_get_batches (item, &n);
  g_assert_cmpuint (n, ==, held_at + 1);
  g_assert_cmpfloat (br[held_at - 1].lr, ==, lr0);
  g_assert_cmpfloat (br[held_at].lr, ==, 5e-4f);

  /* A change while running applies between batches too. */
  pb_trainer_resume (trainer);
  g_assert_true (pb_trainer_set_lr (trainer, 2e-3, NULL));
  g_assert_true (pb_test_wait_until (trainer_idle, trainer, RUN_TIMEOUT_S));
  g_assert_cmpint (pb_run_item_get_status (item), ==, PB_RUN_STATUS_FINISHED);
  changes = pb_run_item_get_lr_changes (item, &n);
  g_assert_cmpuint (n, ==, 2);
  g_assert_cmpint (changes[1].step, >, (int) held_at);
  g_assert_cmpfloat (changes[1].lr, ==, 2e-3f);
  br = pb_run_item_get_batches (item, &n);
  g_assert_cmpfloat (br[n - 1].lr, ==, 2e-3f);
  g_assert_cmpfloat (br[changes[1].step - 1].lr, ==, 5e-4f);
  g_assert_cmpfloat (br[changes[1].step].lr, ==, 2e-3f);
  g_assert_true (pb_run_item_get_modified (item));
  g_assert_cmpint (notified, ==, 1);

  /* The run itself agrees, and its weights differ from the unmodified run's. */
  run = pb_run_item_get_run (item);
  g_assert_cmpint (pb_run_n_lr_changes (run), ==, 2);
  g_assert_cmpmem (pb_run_lr_changes (run), 2 * sizeof (PbLrChange), changes,
                   2 * sizeof (PbLrChange));
  a = pb_run_item_get_model (item);
  b = pb_run_item_get_model (plain);
  g_assert_false (memcmp (pb_model_params (a), pb_model_params (b),
                          pb_model_param_count (a) * sizeof (float)) == 0);
  g_assert_false (pb_run_item_get_modified (plain));

  /* The speed readout: positive, and the running time per pair covers the training time. */
  g_assert_true (pb_trainer_get_speed (trainer, &spp, &pps));
  g_test_message ("%.3f ms/pair, %.0f pairs/s", 1000 * spp, pps);
  g_assert_cmpfloat (spp, >, 0);
  g_assert_cmpfloat (pps, >, 0);
  g_assert_cmpfloat (spp * pps, <=, 1 + 1e-9);
}

static void
test_trainer_stop_while_paused (void)
{
  g_autoptr(PbTrainer) trainer = pb_trainer_new ();
  g_autoptr(PbRunItem) item = small_run (30, 1000, 100);
  Counts counts = { 0 };
  guint held_at;

  g_signal_connect (trainer, "finished", G_CALLBACK (on_finished), &counts);
  g_assert_true (pb_trainer_start (trainer, item, data_dir, NULL));
  wait_for_batches (item, 1);
  pause_and_hold (trainer);
  held_at = n_batches (item);
  pb_trainer_stop (trainer);
  iterate_until_finished (&counts);
  g_assert_cmpint (pb_run_item_get_status (item), ==, PB_RUN_STATUS_CANCELLED);
  g_assert_cmpuint (n_batches (item), ==, held_at);
  g_assert_false (pb_trainer_get_paused (trainer));
  g_assert_false (pb_trainer_get_holding (trainer));
}

static void
test_trainer_dispose_while_paused (void)
{
  PbTrainer *trainer = pb_trainer_new ();
  g_autoptr(PbRunItem) item = small_run (30, 1000, 100);

  g_assert_true (pb_trainer_start (trainer, item, data_dir, NULL));
  pause_and_hold (trainer);
  /* Wakes the held worker and joins it rather than waiting forever. */
  g_object_unref (trainer);
  pb_test_settle ();
  g_assert_cmpint (pb_run_item_get_status (item), ==, PB_RUN_STATUS_RUNNING);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  data_dir = pb_resolve_data_dir (NULL);

  g_test_add_func ("/trainer/coalesced", test_trainer_coalesced);
  g_test_add_func ("/trainer/stop-keeps-records", test_trainer_stop_keeps_records);
  g_test_add_func ("/trainer/dispose-while-running", test_trainer_dispose_while_running);
  g_test_add_func ("/trainer/missing-data", test_trainer_missing_data);
  g_test_add_func ("/trainer/pause-holds", test_trainer_pause_holds);
  g_test_add_func ("/trainer/resume-same-weights", test_trainer_resume_same_weights);
  g_test_add_func ("/trainer/lr-change", test_trainer_lr_change);
  g_test_add_func ("/trainer/stop-while-paused", test_trainer_stop_while_paused);
  g_test_add_func ("/trainer/dispose-while-paused", test_trainer_dispose_while_paused);
  return g_test_run ();
}
