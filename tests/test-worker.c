/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-worker"

#include <gio/gio.h>

#include "pb-worker.h"

/* The worker skeleton under the trainer, the comparison and the embedder, without GTK: posts
 * coalesce into dispatches at most PB_WORKER_MAX_RATE a second, nothing posted is lost, done runs
 * once on the main thread after the last progress, a cancel wakes and stops the thread, and an
 * owner that is gone (or let go) gets nothing while the job's data is still freed. */

#define TIMEOUT_S 10.0
#define INTERVAL_US (G_USEC_PER_SEC / PB_WORKER_MAX_RATE)

typedef struct
{
  /* Job parameters. */
  int n_posts;
  gint64 post_every_us;
  gboolean wait_for_cancel;

  /* Under the worker's lock. */
  int posted;

  /* Worker thread only, read after done. */
  gboolean saw_cancel;

  /* Set by the thread. */
  gint started;
  gint returned;

  /* Main thread. */
  int drained;
  GArray *dispatch_times;
  int n_done;
  int progress_after_done;
  GThread *done_thread;

  struct Outcome *out;
} Data;

/* What outlives the job's data, owned by the test. */
typedef struct Outcome
{
  gboolean freed;
  int n_progress;
  int n_done;
} Outcome;

static GThread *main_thread;

static void
data_free (gpointer user_data)
{
  Data *data = user_data;

  data->out->freed = TRUE;
  g_array_unref (data->dispatch_times);
  g_free (data);
}

static Data *
data_new (Outcome *out)
{
  Data *data = g_new0 (Data, 1);

  data->dispatch_times = g_array_new (FALSE, FALSE, sizeof (gint64));
  data->out = out;
  return data;
}

static void
job_run (PbWorker *worker,
         gpointer  user_data)
{
  Data *data = user_data;

  g_atomic_int_set (&data->started, 1);
  for (int i = 0; i < data->n_posts && !pb_worker_is_cancelled (worker); i++)
    {
      pb_worker_lock (worker);
      data->posted++;
      pb_worker_post (worker);
      pb_worker_unlock (worker);
      if (data->post_every_us > 0)
        g_usleep (data->post_every_us);
    }
  if (data->wait_for_cancel)
    {
      gint64 deadline = g_get_monotonic_time () + (gint64) (TIMEOUT_S * G_USEC_PER_SEC);

      pb_worker_lock (worker);
      /* Only a cancel wakes this wait: nothing calls pb_worker_wake. */
      while (!pb_worker_is_cancelled (worker) && g_get_monotonic_time () < deadline)
        pb_worker_wait (worker);
      data->saw_cancel = pb_worker_is_cancelled (worker);
      pb_worker_unlock (worker);
    }
  g_atomic_int_set (&data->returned, 1);
}

static void
job_progress (PbWorker *worker,
              gpointer  owner,
              gpointer  user_data)
{
  Data *data = user_data;
  gint64 now = g_get_monotonic_time ();

  g_assert_true (g_thread_self () == main_thread);
  g_assert_true (G_IS_OBJECT (owner));
  data->out->n_progress++;
  if (data->n_done > 0)
    data->progress_after_done++;
  g_array_append_val (data->dispatch_times, now);
  pb_worker_lock (worker);
  data->drained += data->posted;
  data->posted = 0;
  pb_worker_unlock (worker);
}

static void
job_done (PbWorker *worker,
          gpointer  owner,
          gpointer  user_data)
{
  Data *data = user_data;

  data->out->n_done++;
  data->n_done++;
  data->done_thread = g_thread_self ();
}

static const PbWorkerFuncs funcs = { job_run, job_progress, job_done };

/* Runs the default main context until cond holds; FALSE after TIMEOUT_S. */
static gboolean
iterate_until (gboolean (*cond) (gpointer),
               gpointer  user_data)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) (TIMEOUT_S * G_USEC_PER_SEC);

  while (!cond (user_data))
    {
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (200);
    }
  return TRUE;
}

static gboolean
is_done (gpointer user_data)
{
  return ((Data *) user_data)->n_done > 0;
}

static gboolean
has_started (gpointer user_data)
{
  return g_atomic_int_get (&((Data *) user_data)->started) != 0;
}

static gboolean
has_returned (gpointer user_data)
{
  return g_atomic_int_get (&((Data *) user_data)->returned) != 0;
}

static gboolean
is_freed (gpointer user_data)
{
  return ((Outcome *) user_data)->freed;
}

static void
test_throttle (void)
{
  g_autoptr(GObject) owner = g_object_new (G_TYPE_OBJECT, NULL);
  Outcome out = { 0 };
  Data *data = data_new (&out);
  g_autoptr(PbWorker) worker = NULL;
  g_autoptr(GError) error = NULL;
  gint64 t0 = g_get_monotonic_time ();
  double elapsed_s;
  guint n;

  /* 2 000 posts over at least 0.4 s. */
  data->n_posts = 2000;
  data->post_every_us = 200;
  worker = pb_worker_start ("test-worker", owner, &funcs, data, data_free, &error);
  g_assert_no_error (error);
  g_assert_nonnull (worker);

  if (!iterate_until (is_done, data))
    g_error ("the worker did not report done within %.0f s", TIMEOUT_S);
  elapsed_s = (g_get_monotonic_time () - t0) / (double) G_USEC_PER_SEC;
  n = data->dispatch_times->len;
  g_test_message ("%d posts in %.3f s: %u dispatches", data->n_posts, elapsed_s, n);

  g_assert_cmpint (data->drained, ==, data->n_posts);
  g_assert_cmpint (data->n_done, ==, 1);
  g_assert_true (data->done_thread == main_thread);
  g_assert_cmpint (data->progress_after_done, ==, 0);
  /* Progress arrived while the job ran, not only at its end. */
  g_assert_cmpuint (n, >=, 2);
  g_assert_cmpfloat (n, <=, elapsed_s * PB_WORKER_MAX_RATE + 2);
  for (guint i = 1; i < n; i++)
    {
      gint64 gap = g_array_index (data->dispatch_times, gint64, i)
                   - g_array_index (data->dispatch_times, gint64, i - 1);

      if (gap < INTERVAL_US - 2000)
        g_error ("dispatches %u and %u came %.1f ms apart, expected at least %.1f ms", i - 1, i,
                 gap / 1000.0, INTERVAL_US / 1000.0);
    }

  /* Nothing more arrives, and the data goes with the last reference. */
  for (int i = 0; i < 20; i++)
    g_main_context_iteration (NULL, FALSE);
  g_assert_cmpint (data->n_done, ==, 1);
  g_clear_pointer (&worker, pb_worker_unref);
  g_assert_true (out.freed);
}

static void
test_cancel (void)
{
  g_autoptr(GObject) owner = g_object_new (G_TYPE_OBJECT, NULL);
  Outcome out = { 0 };
  Data *data = data_new (&out);
  g_autoptr(PbWorker) worker = NULL;
  gint64 t0;

  data->wait_for_cancel = TRUE;
  worker = pb_worker_start ("test-worker", owner, &funcs, data, data_free, NULL);
  g_assert_nonnull (worker);
  g_assert_false (pb_worker_is_cancelled (worker));
  if (!iterate_until (has_started, data))
    g_error ("the worker thread did not start within %.0f s", TIMEOUT_S);
  /* Give it time to sleep in its wait, so the cancel must wake it. */
  g_usleep (20000);
  g_assert_false (g_atomic_int_get (&data->returned));

  t0 = g_get_monotonic_time ();
  pb_worker_cancel (worker);
  g_assert_true (pb_worker_is_cancelled (worker));
  g_assert_true (g_cancellable_is_cancelled (pb_worker_get_cancellable (worker)));
  if (!iterate_until (is_done, data))
    g_error ("the cancelled worker did not report done within %.0f s", TIMEOUT_S);
  g_assert_true (data->saw_cancel);
  g_assert_cmpint (data->n_done, ==, 1);
  g_assert_true (data->done_thread == main_thread);
  g_assert_cmpfloat ((g_get_monotonic_time () - t0) / (double) G_USEC_PER_SEC, <, 1.0);
  g_clear_pointer (&worker, pb_worker_unref);
  g_assert_true (out.freed);
}

static void
test_owner_gone (void)
{
  GObject *owner = g_object_new (G_TYPE_OBJECT, NULL);
  Outcome out = { 0 };
  Data *data = data_new (&out);
  PbWorker *worker;

  data->n_posts = 10;
  worker = pb_worker_start ("test-worker", owner, &funcs, data, data_free, NULL);
  g_assert_nonnull (worker);
  /* The thread posts and ends while the main context does not run, so its dispatch is pending
   * when the owner goes. */
  {
    gint64 deadline = g_get_monotonic_time () + (gint64) (TIMEOUT_S * G_USEC_PER_SEC);

    while (!has_returned (data) && g_get_monotonic_time () < deadline)
      g_usleep (1000);
    g_assert_true (has_returned (data));
  }
  g_assert_cmpuint (data->dispatch_times->len, ==, 0);
  g_object_unref (owner);
  pb_worker_unref (worker);
  g_assert_false (out.freed);

  if (!iterate_until (is_freed, &out))
    g_error ("the job's data was not freed within %.0f s of its owner going", TIMEOUT_S);
  g_assert_cmpint (out.n_progress, ==, 0);
  g_assert_cmpint (out.n_done, ==, 0);
}

static void
test_release (void)
{
  g_autoptr(GObject) owner = g_object_new (G_TYPE_OBJECT, NULL);
  Outcome out = { 0 };
  Data *data = data_new (&out);
  PbWorker *worker;
  int n_progress;

  data->n_posts = 5;
  data->wait_for_cancel = TRUE;
  worker = pb_worker_start ("test-worker", owner, &funcs, data, data_free, NULL);
  g_assert_nonnull (worker);
  if (!iterate_until (has_started, data))
    g_error ("the worker thread did not start within %.0f s", TIMEOUT_S);

  /* Cancels, joins and unrefs: the thread has returned once it is back. */
  pb_worker_release (worker);
  g_assert_true (has_returned (data));
  g_assert_true (data->saw_cancel);
  n_progress = out.n_progress;
  if (!iterate_until (is_freed, &out))
    g_error ("the released worker's data was not freed within %.0f s", TIMEOUT_S);
  g_assert_cmpint (out.n_progress, ==, n_progress);
  g_assert_cmpint (out.n_done, ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  main_thread = g_thread_self ();

  g_test_add_func ("/worker/throttle", test_throttle);
  g_test_add_func ("/worker/cancel", test_cancel);
  g_test_add_func ("/worker/owner-gone", test_owner_gone);
  g_test_add_func ("/worker/release", test_release);
  return g_test_run ();
}
