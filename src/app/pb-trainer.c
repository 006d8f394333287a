/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pb-trainer"

#include "config.h"

#include <math.h>

#include <gio/gio.h>
#include <glib/gi18n.h>

#include "pb-mnist-cache.h"
#include "pb-trainer.h"
#include "pb-worker.h"

/* The speed readout forgets older batches with this time constant, in seconds of training. */
#define SPEED_MEMORY_S 3.0

/* The worker's data. The fields below started are under the worker's lock, whose condition
 * wakes the worker held by a pause: for a step, a resume, a learning rate or a stop. What the
 * thread leaves when it ends (status to digits) is read after the join. */
typedef struct
{
  PbTrainSettings settings;
  char *data_dir;
  gint batches_done;
  gint64 started;

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

  PbWorker *worker;
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
job_free (gpointer data)
{
  Job *job = data;

  g_free (job->data_dir);
  g_array_unref (job->batches);
  g_array_unref (job->epochs);
  g_array_unref (job->lr_changes);
  g_free (job->message);
  g_clear_pointer (&job->run, pb_run_free);
  g_free (job->labels);
  g_free (job->prob1);
  g_free (job->digits);
  g_clear_pointer (&job->snapshot, pb_model_free);
  g_free (job);
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
                 PbWorker  *worker,
                 Job       *job)
{
  /* Notifications wait until the lock is released, so listeners never stall the worker. */
  g_object_freeze_notify (G_OBJECT (item));
  pb_worker_lock (worker);
  if (job->snapshot_fresh)
    {
      pb_run_item_set_snapshot (item, job->snapshot, job->snapshot_epoch, job->input_mean,
                                job->input_std, job->test);
      job->snapshot_fresh = FALSE;
    }
  pb_worker_unlock (worker);
  g_object_thaw_notify (G_OBJECT (item));
}

/* Main thread: hands the records posted since the last dispatch to the run item. */
static void
on_progress (PbWorker *worker,
             gpointer  owner,
             gpointer  data)
{
  PbTrainer *self = owner;
  Job *job = data;
  PbRunItem *item = self->item;
  g_autoptr(GArray) batches = g_array_new (FALSE, FALSE, sizeof (PbBatchRecord));
  g_autoptr(GArray) epochs = g_array_new (FALSE, FALSE, sizeof (PbEpochRecord));
  g_autoptr(GArray) lr_changes = g_array_new (FALSE, FALSE, sizeof (PbLrChange));
  Update up = { batches, epochs, lr_changes, 0, FALSE, 0, 0 };

  pb_worker_lock (worker);
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
  pb_worker_unlock (worker);

  update_snapshot (item, worker, job);
  if (up.batches_per_epoch > 0)
    pb_run_item_set_batches_per_epoch (item, up.batches_per_epoch);
  pb_run_item_set_elapsed (item,
                           (g_get_monotonic_time () - job->started) / (double) G_USEC_PER_SEC);
  if (up.seconds_per_pair > 0)
    {
      self->seconds_per_pair = up.seconds_per_pair;
      self->pairs_per_second = up.pairs_per_second;
    }
  pb_run_item_append_lr_changes (item, (const PbLrChange *) (gpointer) up.lr_changes->data,
                                 up.lr_changes->len);
  pb_run_item_append (item,
                      (const PbBatchRecord *) (gpointer) up.batches->data, up.batches->len,
                      (const PbEpochRecord *) (gpointer) up.epochs->data, up.epochs->len);
  /* A worker that ended is never held: it clears held on leaving its wait. */
  set_holding (self, self->paused && up.held);
  g_signal_emit (self, signals[PROGRESS], 0, item);
}

/* Main thread, after the last progress: the run item takes the run and its status. */
static void
on_done (PbWorker *worker,
         gpointer  owner,
         gpointer  data)
{
  PbTrainer *self = owner;
  Job *job = data;
  g_autoptr(PbRunItem) finished = g_steal_pointer (&self->item);

  pb_run_item_set_paused (finished, FALSE);
  if (job->run != NULL)
    pb_run_item_take_run (finished, g_steal_pointer (&job->run), g_steal_pointer (&job->labels),
                          g_steal_pointer (&job->prob1), g_steal_pointer (&job->digits));
  pb_run_item_set_core_status (finished, job->status);
  switch (job->status)
    {
    case PB_OK:
      pb_run_item_set_status (finished, PB_RUN_STATUS_FINISHED, NULL);
      break;
    case PB_ERR_CANCELLED:
      pb_run_item_set_status (finished, PB_RUN_STATUS_CANCELLED, NULL);
      break;
    default:
      pb_run_item_set_status (finished, PB_RUN_STATUS_FAILED, job->message);
      break;
    }

  g_clear_pointer (&self->worker, pb_worker_unref);
  self->lr = 0;
  set_paused (self, FALSE);
  set_holding (self, FALSE);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
  g_signal_emit (self, signals[FINISHED], 0, finished);
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
publish_progress (PbWorker    *worker,
                  Job         *job,
                  const PbRun *run)
{
  int n_batches = pb_run_n_batches_done (run);
  int n_epochs = pb_run_n_epochs_done (run);

  g_atomic_int_set (&job->batches_done, n_batches);

  pb_worker_lock (worker);
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
  pb_worker_post (worker);
  pb_worker_unlock (worker);
}

static void
apply_lr (PbWorker *worker,
          Job      *job,
          PbRun    *run,
          float     lr)
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
  pb_worker_lock (worker);
  g_array_append_vals (job->lr_changes, pb_run_lr_changes (run) + job->lr_changes_copied,
                       n - job->lr_changes_copied);
  job->lr_changes_copied = n;
  pb_worker_post (worker);
  pb_worker_unlock (worker);
}

/* Between steps: applies a new learning rate, and holds while paused until a step, a resume or
 * a stop. FALSE when the run is to stop. */
static gboolean
wait_for_turn (PbWorker *worker,
               Job      *job,
               PbRun    *run)
{
  gboolean go = TRUE;

  pb_worker_lock (worker);
  for (;;)
    {
      if (job->pending_lr > 0)
        {
          float lr = job->pending_lr;

          job->pending_lr = 0;
          pb_worker_unlock (worker);
          apply_lr (worker, job, run, lr);
          pb_worker_lock (worker);
          continue;
        }
      if (pb_worker_is_cancelled (worker))
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
          pb_worker_post (worker);
        }
      pb_worker_wait (worker);
    }
  job->held = FALSE;
  pb_worker_unlock (worker);
  return go;
}

/* What the run leaves for the main thread, which takes it once the thread has ended. */
static void
finish (PbWorker   *worker,
        Job        *job,
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

  pb_worker_lock (worker);
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
  pb_worker_unlock (worker);
}

static void
train (PbWorker *worker,
       gpointer  data)
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
      finish (worker, job, PB_ERR_IO, error->message, NULL);
      return;
    }

  status = pb_run_new (&job->settings, mnist, &run, &err);
  if (status != PB_OK)
    {
      finish (worker, job, status, err.message, NULL);
      return;
    }

  pb_worker_lock (worker);
  job->batches_per_epoch = pb_run_batches_per_epoch (run);
  if (pb_model_new (&job->settings.arch, 1, &job->snapshot, &err) == PB_OK)
    {
      job->test = pb_run_test_pairs (run);
      job->input_mean = pb_run_input_mean (run);
      job->input_std = pb_run_input_std (run);
    }
  pb_worker_unlock (worker);

  while (!pb_run_finished (run))
    {
      int epochs_before = pb_run_n_epochs_done (run);
      gint64 t0;

      if (!wait_for_turn (worker, job, run))
        {
          status = PB_ERR_CANCELLED;
          break;
        }
      t0 = g_get_monotonic_time ();
      if ((status = pb_run_step (run, &err)) != PB_OK)
        break;
      measure_speed (job, run, epochs_before,
                     (g_get_monotonic_time () - t0) / (double) G_USEC_PER_SEC);
      publish_progress (worker, job, run);
    }
  finish (worker, job, status,
          status == PB_OK || status == PB_ERR_CANCELLED ? NULL : err.message, run);
}


static void
pb_trainer_dispose (GObject *object)
{
  PbTrainer *self = PB_TRAINER (object);

  g_clear_pointer (&self->worker, pb_worker_release);
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
  static const PbWorkerFuncs funcs = { train, on_progress, on_done };
  PbWorker *worker;
  Job *job;

  g_return_val_if_fail (PB_IS_TRAINER (self), FALSE);
  g_return_val_if_fail (PB_IS_RUN_ITEM (item), FALSE);

  if (self->worker != NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_BUSY, _("A run is already training"));
      return FALSE;
    }

  job = g_new0 (Job, 1);
  job->settings = *pb_run_item_get_settings (item);
  job->data_dir = g_strdup (data_dir);
  job->batches = g_array_new (FALSE, FALSE, sizeof (PbBatchRecord));
  job->epochs = g_array_new (FALSE, FALSE, sizeof (PbEpochRecord));
  job->lr_changes = g_array_new (FALSE, FALSE, sizeof (PbLrChange));
  job->started = g_get_monotonic_time ();

  worker = pb_worker_start ("pb-trainer", self, &funcs, job, job_free, error);
  if (worker == NULL)
    return FALSE;

  self->worker = worker;
  self->lr = pb_run_item_get_settings (item)->lr;
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
  Job *job;

  g_return_if_fail (PB_IS_TRAINER (self));

  if (self->worker == NULL || pb_worker_is_cancelled (self->worker))
    return;
  job = pb_worker_get_data (self->worker);
  pb_worker_cancel (self->worker);
  pb_run_item_set_batches_at_stop (self->item, g_atomic_int_get (&job->batches_done));
}

gboolean
pb_trainer_get_running (PbTrainer *self)
{
  g_return_val_if_fail (PB_IS_TRAINER (self), FALSE);
  return self->worker != NULL;
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
  Job *job;

  g_return_if_fail (PB_IS_TRAINER (self));

  if (self->worker == NULL || self->paused)
    return;
  job = pb_worker_get_data (self->worker);
  pb_worker_lock (self->worker);
  job->paused = TRUE;
  pb_worker_unlock (self->worker);
  set_paused (self, TRUE);
}

void
pb_trainer_resume (PbTrainer *self)
{
  Job *job;

  g_return_if_fail (PB_IS_TRAINER (self));

  if (self->worker == NULL || !self->paused)
    return;
  job = pb_worker_get_data (self->worker);
  pb_worker_lock (self->worker);
  job->paused = FALSE;
  job->steps = 0;
  job->held = FALSE;
  pb_worker_wake (self->worker);
  pb_worker_unlock (self->worker);
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
  Job *job;

  g_return_val_if_fail (PB_IS_TRAINER (self), FALSE);

  if (self->worker == NULL || !self->paused)
    return FALSE;
  job = pb_worker_get_data (self->worker);
  pb_worker_lock (self->worker);
  job->steps++;
  /* Until the worker holds again after this step, what the main thread has is not all. */
  job->held = FALSE;
  pb_worker_wake (self->worker);
  pb_worker_unlock (self->worker);
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
  Job *job;

  g_return_val_if_fail (PB_IS_TRAINER (self), FALSE);

  if (self->worker == NULL)
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

  job = pb_worker_get_data (self->worker);
  pb_worker_lock (self->worker);
  replaces = job->pending_lr > 0;
  if (!replaces && self->n_lr_requested >= PB_MAX_LR_CHANGES)
    {
      pb_worker_unlock (self->worker);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                   _("Learning rate: a run records at most %d changes"), PB_MAX_LR_CHANGES);
      return FALSE;
    }
  job->pending_lr = (float) lr;
  pb_worker_wake (self->worker);
  pb_worker_unlock (self->worker);

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
