/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pb-trainer"

#include "config.h"

#include <math.h>

#include <gio/gio.h>
#include <glib/gi18n.h>

#include "pb-debug.h"
#include "pb-mnist-cache.h"
#include "pb-trainer.h"

/* At most this many updates a second reach the main thread. */
#define MIN_DISPATCH_INTERVAL_US (G_USEC_PER_SEC / 30)
/* The speed readout forgets older batches with this time constant, in seconds of training. */
#define SPEED_MEMORY_S 3.0

/* Shared by the worker, the pending main-loop source and the trainer; reference-counted so that
 * whichever lets go last frees it. */
typedef struct
{
  PbTrainSettings settings;
  char *data_dir;
  GWeakRef trainer;
  gint cancel;
  gint batches_done;
  gint64 started;

  GMutex lock;
  /* Wakes the worker held by a pause: for a step, a resume, a learning rate or a stop. */
  GCond wake;
  gboolean paused;
  int steps;
  float pending_lr;
  gboolean held;
  GArray *batches;
  GArray *epochs;
  GArray *lr_changes;
  int batches_copied;
  int epochs_copied;
  int lr_changes_copied;
  /* Decaying sums behind the speed readout (worker only), and what it last published. */
  double speed_pairs, speed_train_s, speed_wall_s;
  double seconds_per_pair, pairs_per_second;
  guint batches_per_epoch;
  gboolean dispatch_pending;
  gint64 last_dispatch;
  gboolean done;
  PbStatus status;
  char *message;
  PbRun *run;
  guint8 *labels;
  float *prob1;
  guint8 *digits;

  /* The weights at the last epoch's end, for views that look inside the running model. */
  PbModel *snapshot;
  int snapshot_epoch;
  gboolean snapshot_fresh;
  const PbPairs *test;
  double input_mean;
  double input_std;
} Job;

struct _PbTrainer
{
  GObject parent_instance;

  Job *job;
  GThread *thread;
  PbRunItem *item;
  gboolean paused;
  gboolean holding;
  double lr;
  int n_lr_requested;
  double seconds_per_pair;
  double pairs_per_second;
};

G_DEFINE_TYPE (PbTrainer, pb_trainer, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_RUNNING,
  PROP_PAUSED,
  PROP_HOLDING,
  N_PROPS
};

enum {
  PROGRESS,
  FINISHED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
job_clear (gpointer data)
{
  Job *job = data;

  g_free (job->data_dir);
  g_weak_ref_clear (&job->trainer);
  g_mutex_clear (&job->lock);
  g_cond_clear (&job->wake);
  g_array_unref (job->batches);
  g_array_unref (job->epochs);
  g_array_unref (job->lr_changes);
  g_free (job->message);
  g_clear_pointer (&job->run, pb_run_free);
  g_free (job->labels);
  g_free (job->prob1);
  g_free (job->digits);
  g_clear_pointer (&job->snapshot, pb_model_free);
}

static Job *
job_ref (Job *job)
{
  return g_atomic_rc_box_acquire (job);
}

static void
job_unref (gpointer job)
{
  g_atomic_rc_box_release_full (job, job_clear);
}

/* What one dispatch carries from the worker to the main thread. */
typedef struct
{
  GArray *batches;
  GArray *epochs;
  GArray *lr_changes;
  guint batches_per_epoch;
  gboolean held;
  double seconds_per_pair;
  double pairs_per_second;
} Update;

static void
set_holding (PbTrainer *self,
             gboolean   holding)
{
  if (self->holding == holding)
    return;
  self->holding = holding;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HOLDING]);
}

static void
set_paused (PbTrainer *self,
            gboolean   paused)
{
  if (self->paused == paused)
    return;
  self->paused = paused;
  if (self->item != NULL)
    pb_run_item_set_paused (self->item, paused);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PAUSED]);
}

static void
update_snapshot (PbRunItem *item,
                 Job       *job)
{
  /* Notifications wait until the lock is released, so listeners never stall the worker. */
  g_object_freeze_notify (G_OBJECT (item));
  g_mutex_lock (&job->lock);
  if (job->snapshot_fresh)
    {
      pb_run_item_set_snapshot (item, job->snapshot, job->snapshot_epoch, job->input_mean,
                                job->input_std, job->test);
      job->snapshot_fresh = FALSE;
    }
  g_mutex_unlock (&job->lock);
  g_object_thaw_notify (G_OBJECT (item));
}

static void
apply_update (PbTrainer    *self,
              Job          *job,
              const Update *up)
{
  PbRunItem *item = self->item;
  gboolean done;
  PbStatus status;
  g_autofree char *message = NULL;
  PbRun *run = NULL;
  guint8 *labels = NULL;
  float *prob1 = NULL;
  guint8 *digits = NULL;

  g_mutex_lock (&job->lock);
  done = job->done;
  status = job->status;
  if (done)
    {
      message = g_steal_pointer (&job->message);
      run = g_steal_pointer (&job->run);
      labels = g_steal_pointer (&job->labels);
      prob1 = g_steal_pointer (&job->prob1);
      digits = g_steal_pointer (&job->digits);
    }
  g_mutex_unlock (&job->lock);

  update_snapshot (item, job);
  if (up->batches_per_epoch > 0)
    pb_run_item_set_batches_per_epoch (item, up->batches_per_epoch);
  pb_run_item_set_elapsed (item,
                           (g_get_monotonic_time () - job->started) / (double) G_USEC_PER_SEC);
  if (up->seconds_per_pair > 0)
    {
      self->seconds_per_pair = up->seconds_per_pair;
      self->pairs_per_second = up->pairs_per_second;
    }
  pb_run_item_append_lr_changes (item, (const PbLrChange *) (gpointer) up->lr_changes->data,
                                 up->lr_changes->len);
  pb_run_item_append (item,
                      (const PbBatchRecord *) (gpointer) up->batches->data, up->batches->len,
                      (const PbEpochRecord *) (gpointer) up->epochs->data, up->epochs->len);
  set_holding (self, self->paused && up->held && !done);
  g_signal_emit (self, signals[PROGRESS], 0, item);

  if (done)
    {
      g_autoptr(PbRunItem) finished = g_steal_pointer (&self->item);

      pb_run_item_set_paused (finished, FALSE);
      if (run != NULL)
        pb_run_item_take_run (finished, run, labels, prob1, digits);
      pb_run_item_set_core_status (finished, status);
      switch (status)
        {
        case PB_OK:
          pb_run_item_set_status (finished, PB_RUN_STATUS_FINISHED, NULL);
          break;
        case PB_ERR_CANCELLED:
          pb_run_item_set_status (finished, PB_RUN_STATUS_CANCELLED, NULL);
          break;
        default:
          pb_run_item_set_status (finished, PB_RUN_STATUS_FAILED, message);
          break;
        }

      g_thread_join (g_steal_pointer (&self->thread));
      g_clear_pointer (&self->job, job_unref);
      self->lr = 0;
      set_paused (self, FALSE);
      set_holding (self, FALSE);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
      g_signal_emit (self, signals[FINISHED], 0, finished);
    }
}

static gboolean
dispatch_cb (gpointer data)
{
  Job *job = data;
  gint64 t0 = g_get_monotonic_time ();
  g_autoptr(PbTrainer) trainer = NULL;
  g_autoptr(GArray) batches = g_array_new (FALSE, FALSE, sizeof (PbBatchRecord));
  g_autoptr(GArray) epochs = g_array_new (FALSE, FALSE, sizeof (PbEpochRecord));
  g_autoptr(GArray) lr_changes = g_array_new (FALSE, FALSE, sizeof (PbLrChange));
  Update up = { batches, epochs, lr_changes, 0, FALSE, 0, 0 };

  g_mutex_lock (&job->lock);
  job->dispatch_pending = FALSE;
  job->last_dispatch = t0;
  g_array_append_vals (batches, job->batches->data, job->batches->len);
  g_array_append_vals (epochs, job->epochs->data, job->epochs->len);
  g_array_append_vals (lr_changes, job->lr_changes->data, job->lr_changes->len);
  g_array_set_size (job->batches, 0);
  g_array_set_size (job->epochs, 0);
  g_array_set_size (job->lr_changes, 0);
  up.batches_per_epoch = job->batches_per_epoch;
  up.held = job->held;
  up.seconds_per_pair = job->seconds_per_pair;
  up.pairs_per_second = job->pairs_per_second;
  g_mutex_unlock (&job->lock);

  /* The window, and with it the trainer, may be gone: then the results are dropped. */
  trainer = g_weak_ref_get (&job->trainer);
  if (trainer != NULL && trainer->job == job)
    apply_update (trainer, job, &up);

  if (pb_debug_timing ())
    g_message ("progress handler: %.3f ms (%u batches, %u epochs)",
               (g_get_monotonic_time () - t0) / 1000.0, batches->len, epochs->len);

  return G_SOURCE_REMOVE;
}

/* With job->lock held. */
static void
schedule_dispatch (Job *job)
{
  gint64 wait;
  GSource *source;

  if (job->dispatch_pending)
    return;
  job->dispatch_pending = TRUE;

  wait = job->last_dispatch + MIN_DISPATCH_INTERVAL_US - g_get_monotonic_time ();
  if (wait <= 0)
    source = g_idle_source_new ();
  else
    source = g_timeout_source_new ((guint) (wait / 1000) + 1);
  g_source_set_priority (source, G_PRIORITY_LOW);
  g_source_set_callback (source, dispatch_cb, job_ref (job), job_unref);
  g_source_set_static_name (source, "[pb-trainer] progress");
  g_source_attach (source, NULL);
  g_source_unref (source);
}

/* Folds one step into the speed readout. wall_s is the step's time on the worker, evaluation
 * included; the core's cumulative evaluation time tells how much of it was evaluation. */
static void
measure_speed (Job         *job,
               const PbRun *run,
               int          epochs_before,
               double       wall_s)
{
  const PbTrainSettings *s = pb_run_settings (run);
  const PbBatchRecord *last = &pb_run_batches (run)[pb_run_n_batches_done (run) - 1];
  int bpe = pb_run_batches_per_epoch (run);
  int index = (last->step - 1) % MAX (bpe, 1);
  int pairs = MIN (s->batch, pb_run_augmented_pairs (run)->n - index * s->batch);
  int ne = pb_run_n_epochs_done (run);
  double eval_s = 0, decay;

  if (ne > epochs_before)
    {
      const PbEpochRecord *er = pb_run_epochs (run);
      eval_s = er[ne - 1].eval_seconds - (ne > 1 ? er[ne - 2].eval_seconds : 0);
    }
  decay = exp (-wall_s / SPEED_MEMORY_S);
  job->speed_pairs = job->speed_pairs * decay + pairs;
  job->speed_train_s = job->speed_train_s * decay + MAX (wall_s - eval_s, 0);
  job->speed_wall_s = job->speed_wall_s * decay + wall_s;
}

/* After every step, on the worker: hands the new records to the main thread. */
static void
publish_progress (Job         *job,
                  const PbRun *run)
{
  int n_batches = pb_run_n_batches_done (run);
  int n_epochs = pb_run_n_epochs_done (run);

  g_atomic_int_set (&job->batches_done, n_batches);

  g_mutex_lock (&job->lock);
  if (n_batches > job->batches_copied)
    {
      g_array_append_vals (job->batches, pb_run_batches (run) + job->batches_copied,
                           n_batches - job->batches_copied);
      job->batches_copied = n_batches;
    }
  if (n_epochs > job->epochs_copied)
    {
      g_array_append_vals (job->epochs, pb_run_epochs (run) + job->epochs_copied,
                           n_epochs - job->epochs_copied);
      job->epochs_copied = n_epochs;
    }
  if (job->speed_pairs > 0 && job->speed_wall_s > 0)
    {
      job->seconds_per_pair = job->speed_train_s / job->speed_pairs;
      job->pairs_per_second = job->speed_pairs / job->speed_wall_s;
    }
  if (job->snapshot != NULL && n_epochs > job->snapshot_epoch)
    {
      pb_model_copy_weights (job->snapshot, pb_run_model_const (run));
      job->snapshot_epoch = n_epochs;
      job->snapshot_fresh = TRUE;
    }
  schedule_dispatch (job);
  g_mutex_unlock (&job->lock);
}

static void
apply_lr (Job   *job,
          PbRun *run,
          float  lr)
{
  PbError err = { { 0 } };
  int n;

  /* Set and set back before the worker saw the first: nothing changed. */
  if (lr == pb_run_lr (run))
    return;
  /* The trainer checked the value and the number of changes, so the core only refuses what the
   * main thread would have refused too. */
  if (pb_run_set_lr (run, lr, &err) != PB_OK)
    {
      g_debug ("learning rate not changed: %s", err.message);
      return;
    }
  n = pb_run_n_lr_changes (run);
  g_mutex_lock (&job->lock);
  g_array_append_vals (job->lr_changes, pb_run_lr_changes (run) + job->lr_changes_copied,
                       n - job->lr_changes_copied);
  job->lr_changes_copied = n;
  schedule_dispatch (job);
  g_mutex_unlock (&job->lock);
}

/* Between steps: applies a new learning rate, and holds while paused until a step, a resume or
 * a stop. FALSE when the run is to stop. */
static gboolean
wait_for_turn (Job   *job,
               PbRun *run)
{
  gboolean go = TRUE;

  g_mutex_lock (&job->lock);
  for (;;)
    {
      if (job->pending_lr > 0)
        {
          float lr = job->pending_lr;

          job->pending_lr = 0;
          g_mutex_unlock (&job->lock);
          apply_lr (job, run, lr);
          g_mutex_lock (&job->lock);
          continue;
        }
      if (g_atomic_int_get (&job->cancel))
        {
          go = FALSE;
          break;
        }
      if (!job->paused)
        break;
      if (job->steps > 0)
        {
          job->steps--;
          break;
        }
      if (!job->held)
        {
          job->held = TRUE;
          schedule_dispatch (job);
        }
      g_cond_wait (&job->wake, &job->lock);
    }
  job->held = FALSE;
  g_mutex_unlock (&job->lock);
  return go;
}

static void
finish (Job        *job,
        PbStatus    status,
        const char *message,
        PbRun      *run)
{
  guint8 *labels = NULL;
  float *prob1 = NULL;
  guint8 *digits = NULL;

  if (run != NULL && pb_run_n_epochs_done (run) > 0)
    {
      const PbPairs *test = pb_run_test_pairs (run);
      PbError err = { { 0 } };

      labels = g_new (guint8, test->n);
      prob1 = g_new (float, test->n);
      digits = g_new (guint8, 2 * test->n);
      if (pb_model_predict (pb_run_model (run), pb_run_input_mean (run), pb_run_input_std (run),
                            test, labels, prob1, digits, &err) != PB_OK)
        g_clear_pointer (&labels, g_free);
    }

  g_mutex_lock (&job->lock);
  job->done = TRUE;
  job->status = status;
  job->message = g_strdup (message);
  job->run = run;
  job->labels = labels;
  job->prob1 = prob1;
  job->digits = digits;
  if (run != NULL)
    job->batches_per_epoch = pb_run_batches_per_epoch (run);
  if (labels == NULL)
    {
      g_clear_pointer (&job->prob1, g_free);
      g_clear_pointer (&job->digits, g_free);
    }
  schedule_dispatch (job);
  g_mutex_unlock (&job->lock);
}

static gpointer
worker (gpointer data)
{
  Job *job = data;
  g_autoptr(GError) error = NULL;
  const PbMnist *mnist;
  PbRun *run = NULL;
  PbError err = { { 0 } };
  PbStatus status = PB_OK;

  mnist = pb_mnist_cache_get (job->data_dir, &error);
  if (mnist == NULL)
    {
      finish (job, PB_ERR_IO, error->message, NULL);
      goto out;
    }

  status = pb_run_new (&job->settings, mnist, &run, &err);
  if (status != PB_OK)
    {
      finish (job, status, err.message, NULL);
      goto out;
    }

  g_mutex_lock (&job->lock);
  job->batches_per_epoch = pb_run_batches_per_epoch (run);
  if (pb_model_new (&job->settings.arch, 1, &job->snapshot, &err) == PB_OK)
    {
      job->test = pb_run_test_pairs (run);
      job->input_mean = pb_run_input_mean (run);
      job->input_std = pb_run_input_std (run);
    }
  g_mutex_unlock (&job->lock);

  while (!pb_run_finished (run))
    {
      int epochs_before = pb_run_n_epochs_done (run);
      gint64 t0;

      if (!wait_for_turn (job, run))
        {
          status = PB_ERR_CANCELLED;
          break;
        }
      t0 = g_get_monotonic_time ();
      if ((status = pb_run_step (run, &err)) != PB_OK)
        break;
      measure_speed (job, run, epochs_before,
                     (g_get_monotonic_time () - t0) / (double) G_USEC_PER_SEC);
      publish_progress (job, run);
    }
  finish (job, status, status == PB_OK || status == PB_ERR_CANCELLED ? NULL : err.message, run);

out:
  job_unref (job);
  return NULL;
}

/* Stops the worker, waking it if a pause holds it. */
static void
cancel_job (Job *job)
{
  g_mutex_lock (&job->lock);
  g_atomic_int_set (&job->cancel, 1);
  g_cond_broadcast (&job->wake);
  g_mutex_unlock (&job->lock);
}

static void
pb_trainer_dispose (GObject *object)
{
  PbTrainer *self = PB_TRAINER (object);

  if (self->thread != NULL)
    {
      cancel_job (self->job);
      g_thread_join (g_steal_pointer (&self->thread));
    }
  g_clear_pointer (&self->job, job_unref);
  g_clear_object (&self->item);

  G_OBJECT_CLASS (pb_trainer_parent_class)->dispose (object);
}

static void
pb_trainer_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  PbTrainer *self = PB_TRAINER (object);

  switch (prop_id)
    {
    case PROP_RUNNING:
      g_value_set_boolean (value, pb_trainer_get_running (self));
      break;
    case PROP_PAUSED:
      g_value_set_boolean (value, self->paused);
      break;
    case PROP_HOLDING:
      g_value_set_boolean (value, self->holding);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pb_trainer_class_init (PbTrainerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = pb_trainer_dispose;
  object_class->get_property = pb_trainer_get_property;

  properties[PROP_RUNNING] =
    g_param_spec_boolean ("running", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_PAUSED] =
    g_param_spec_boolean ("paused", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_HOLDING] =
    g_param_spec_boolean ("holding", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[PROGRESS] = g_signal_new ("progress", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                    0, NULL, NULL, NULL, G_TYPE_NONE, 1, PB_TYPE_RUN_ITEM);
  signals[FINISHED] = g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                    0, NULL, NULL, NULL, G_TYPE_NONE, 1, PB_TYPE_RUN_ITEM);
}

static void
pb_trainer_init (PbTrainer *self)
{
}

PbTrainer *
pb_trainer_new (void)
{
  return g_object_new (PB_TYPE_TRAINER, NULL);
}

gboolean
pb_trainer_start (PbTrainer   *self,
                  PbRunItem   *item,
                  const char  *data_dir,
                  GError     **error)
{
  Job *job;
  GThread *thread;

  g_return_val_if_fail (PB_IS_TRAINER (self), FALSE);
  g_return_val_if_fail (PB_IS_RUN_ITEM (item), FALSE);

  if (self->thread != NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_BUSY, _("A run is already training"));
      return FALSE;
    }

  job = g_atomic_rc_box_new0 (Job);
  job->settings = *pb_run_item_get_settings (item);
  job->data_dir = g_strdup (data_dir);
  g_weak_ref_init (&job->trainer, self);
  g_mutex_init (&job->lock);
  g_cond_init (&job->wake);
  job->batches = g_array_new (FALSE, FALSE, sizeof (PbBatchRecord));
  job->epochs = g_array_new (FALSE, FALSE, sizeof (PbEpochRecord));
  job->lr_changes = g_array_new (FALSE, FALSE, sizeof (PbLrChange));
  job->started = g_get_monotonic_time ();

  thread = g_thread_try_new ("pb-trainer", worker, job_ref (job), error);
  if (thread == NULL)
    {
      job_unref (job);
      job_unref (job);
      return FALSE;
    }

  self->job = job;
  self->thread = thread;
  self->lr = job->settings.lr;
  self->n_lr_requested = 0;
  self->seconds_per_pair = self->pairs_per_second = 0;
  g_set_object (&self->item, item);
  pb_run_item_set_status (item, PB_RUN_STATUS_RUNNING, NULL);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
  return TRUE;
}

void
pb_trainer_stop (PbTrainer *self)
{
  g_return_if_fail (PB_IS_TRAINER (self));

  if (self->job == NULL || g_atomic_int_get (&self->job->cancel))
    return;
  cancel_job (self->job);
  pb_run_item_set_batches_at_stop (self->item, g_atomic_int_get (&self->job->batches_done));
}

gboolean
pb_trainer_get_running (PbTrainer *self)
{
  g_return_val_if_fail (PB_IS_TRAINER (self), FALSE);
  return self->thread != NULL;
}

PbRunItem *
pb_trainer_get_item (PbTrainer *self)
{
  g_return_val_if_fail (PB_IS_TRAINER (self), NULL);
  return self->item;
}

void
pb_trainer_pause (PbTrainer *self)
{
  g_return_if_fail (PB_IS_TRAINER (self));

  if (self->job == NULL || self->paused)
    return;
  g_mutex_lock (&self->job->lock);
  self->job->paused = TRUE;
  g_mutex_unlock (&self->job->lock);
  set_paused (self, TRUE);
}

void
pb_trainer_resume (PbTrainer *self)
{
  g_return_if_fail (PB_IS_TRAINER (self));

  if (self->job == NULL || !self->paused)
    return;
  g_mutex_lock (&self->job->lock);
  self->job->paused = FALSE;
  self->job->steps = 0;
  self->job->held = FALSE;
  g_cond_broadcast (&self->job->wake);
  g_mutex_unlock (&self->job->lock);
  set_holding (self, FALSE);
  set_paused (self, FALSE);
}

gboolean
pb_trainer_get_paused (PbTrainer *self)
{
  g_return_val_if_fail (PB_IS_TRAINER (self), FALSE);
  return self->paused;
}

gboolean
pb_trainer_step (PbTrainer *self)
{
  g_return_val_if_fail (PB_IS_TRAINER (self), FALSE);

  if (self->job == NULL || !self->paused)
    return FALSE;
  g_mutex_lock (&self->job->lock);
  self->job->steps++;
  /* Until the worker holds again after this step, what the main thread has is not all. */
  self->job->held = FALSE;
  g_cond_broadcast (&self->job->wake);
  g_mutex_unlock (&self->job->lock);
  set_holding (self, FALSE);
  return TRUE;
}

gboolean
pb_trainer_get_holding (PbTrainer *self)
{
  g_return_val_if_fail (PB_IS_TRAINER (self), FALSE);
  return self->holding;
}

gboolean
pb_trainer_set_lr (PbTrainer  *self,
                   double      lr,
                   GError    **error)
{
  gboolean replaces;

  g_return_val_if_fail (PB_IS_TRAINER (self), FALSE);

  if (self->job == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
                           _("No run is training"));
      return FALSE;
    }
  if (!isfinite (lr) || lr <= 0 || (float) lr <= 0)
    {
      g_autofree char *text = g_strdup_printf ("%g", lr);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("Learning rate: expected a number greater than 0, got %s"), text);
      return FALSE;
    }
  if ((float) lr == (float) self->lr)
    return TRUE;

  g_mutex_lock (&self->job->lock);
  replaces = self->job->pending_lr > 0;
  if (!replaces && self->n_lr_requested >= PB_MAX_LR_CHANGES)
    {
      g_mutex_unlock (&self->job->lock);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                   _("Learning rate: a run records at most %d changes"), PB_MAX_LR_CHANGES);
      return FALSE;
    }
  self->job->pending_lr = (float) lr;
  g_cond_broadcast (&self->job->wake);
  g_mutex_unlock (&self->job->lock);

  if (!replaces)
    self->n_lr_requested++;
  self->lr = (float) lr;
  return TRUE;
}

double
pb_trainer_get_lr (PbTrainer *self)
{
  g_return_val_if_fail (PB_IS_TRAINER (self), 0);
  return self->lr;
}

gboolean
pb_trainer_get_speed (PbTrainer *self,
                      double    *seconds_per_pair,
                      double    *pairs_per_second)
{
  g_return_val_if_fail (PB_IS_TRAINER (self), FALSE);

  if (self->seconds_per_pair <= 0)
    return FALSE;
  *seconds_per_pair = self->seconds_per_pair;
  *pairs_per_second = self->pairs_per_second;
  return TRUE;
}
