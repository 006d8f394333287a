/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-trainer"

#include "config.h"

#include <string.h>
#include <glib.h>

#include "pb-run-item.h"
#include "pb-trainer.h"
#include "pb-util.h"

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

static void
iterate_until_finished (Counts *counts)
{
  while (counts->finished == 0)
    g_main_context_iteration (NULL, TRUE);
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
  do
    {
      g_main_context_iteration (NULL, TRUE);
      pb_run_item_get_epochs (item, &ne);
    }
  while (ne < 1);
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
  guint nb = 0;

  g_assert_true (pb_trainer_start (trainer, item, data_dir, NULL));
  while (nb == 0)
    {
      g_main_context_iteration (NULL, TRUE);
      pb_run_item_get_batches (item, &nb);
    }
  /* Joins the worker; an update still pending finds no trainer and is dropped. */
  g_object_unref (trainer);
  for (int i = 0; i < 20; i++)
    g_main_context_iteration (NULL, FALSE);
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
  return g_test_run ();
}
