/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pb-trainer"

#include "config.h"

#include <glib/gi18n.h>

#include "pb-trainer.h"
#include "pb-util.h"

/* At most this many updates a second reach the main thread. */
#define MIN_DISPATCH_INTERVAL_US (G_USEC_PER_SEC / 30)

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
  GArray *batches;
  GArray *epochs;
  int batches_copied;
  int epochs_copied;
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
};

G_DEFINE_TYPE (PbTrainer, pb_trainer, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_RUNNING,
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
  g_array_unref (job->batches);
  g_array_unref (job->epochs);
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
apply_update (PbTrainer *self,
              Job       *job,
              GArray    *batches,
              GArray    *epochs,
              guint      batches_per_epoch)
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
  if (batches_per_epoch > 0)
    pb_run_item_set_batches_per_epoch (item, batches_per_epoch);
  pb_run_item_set_elapsed (item,
                           (g_get_monotonic_time () - job->started) / (double) G_USEC_PER_SEC);
  pb_run_item_append (item,
                      (const PbBatchRecord *) (gpointer) batches->data, batches->len,
                      (const PbEpochRecord *) (gpointer) epochs->data, epochs->len);
  g_signal_emit (self, signals[PROGRESS], 0, item);

  if (done)
    {
      g_autoptr(PbRunItem) finished = g_steal_pointer (&self->item);

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
  guint batches_per_epoch;
  guint n_batches, n_epochs;

  g_mutex_lock (&job->lock);
  job->dispatch_pending = FALSE;
  job->last_dispatch = t0;
  g_array_append_vals (batches, job->batches->data, job->batches->len);
  g_array_append_vals (epochs, job->epochs->data, job->epochs->len);
  g_array_set_size (job->batches, 0);
  g_array_set_size (job->epochs, 0);
  batches_per_epoch = job->batches_per_epoch;
  g_mutex_unlock (&job->lock);

  n_batches = batches->len;
  n_epochs = epochs->len;

  /* The window, and with it the trainer, may be gone: then the results are dropped. */
  trainer = g_weak_ref_get (&job->trainer);
  if (trainer != NULL && trainer->job == job)
    apply_update (trainer, job, batches, epochs, batches_per_epoch);

  if (pb_debug_timing ())
    g_message ("progress handler: %.3f ms (%u batches, %u epochs)",
               (g_get_monotonic_time () - t0) / 1000.0, n_batches, n_epochs);

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

static void
on_progress (void        *user_data,
             const PbRun *run,
             PbProgress   what)
{
  Job *job = user_data;
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
  if (job->snapshot != NULL && n_epochs > job->snapshot_epoch)
    {
      pb_model_copy_weights (job->snapshot, pb_run_model_const (run));
      job->snapshot_epoch = n_epochs;
      job->snapshot_fresh = TRUE;
    }
  schedule_dispatch (job);
  g_mutex_unlock (&job->lock);
}

static bool
on_cancelled (void *user_data)
{
  Job *job = user_data;

  return g_atomic_int_get (&job->cancel) != 0;
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
  PbStatus status;
  PbTrainCallbacks cb = { on_progress, on_cancelled, job };

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

  status = pb_run_train (run, &cb, &err);
  finish (job, status, status == PB_OK || status == PB_ERR_CANCELLED ? NULL : err.message, run);

out:
  job_unref (job);
  return NULL;
}

static void
pb_trainer_dispose (GObject *object)
{
  PbTrainer *self = PB_TRAINER (object);

  if (self->thread != NULL)
    {
      g_atomic_int_set (&self->job->cancel, 1);
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
  job->batches = g_array_new (FALSE, FALSE, sizeof (PbBatchRecord));
  job->epochs = g_array_new (FALSE, FALSE, sizeof (PbEpochRecord));
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
  g_atomic_int_set (&self->job->cancel, 1);
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
