/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pb-comparison"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "pb-comparison.h"
#include "pb-core-error.h"
#include "pb-mnist-cache.h"
#include "pb-table.h"
#include "pb-worker.h"

/* A copy of a round's trained model, enough to map its last layer. */
typedef struct
{
  PbModel *model;
  PbTrainSettings settings;
  double input_mean, input_std;
  int round;
  char *title;
} Kept;

/* The worker's data. pending and the kept models are under the worker's lock; status and
 * message are read after the join. */
typedef struct
{
  PbTrainSettings base;
  PbArch models[PB_SESSION_MAX_MODELS];
  int n_models, rounds, jobs;
  char *data_dir;

  GPtrArray *pending;   /* PbRoundResult *, epochs owned */
  PbStatus status;
  char *message;
  /* Each model's first finished round (the lowest index), until the main thread takes it. */
  Kept kept[PB_SESSION_MAX_MODELS];
  int kept_round[PB_SESSION_MAX_MODELS];
} Job;

struct _PbComparison
{
  GObject parent_instance;

  PbWorker *worker;
  PbSession *session;
  gint64 started, finished;
  Kept kept[PB_SESSION_MAX_MODELS];
  gboolean loaded;
};

G_DEFINE_TYPE (PbComparison, pb_comparison, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_RUNNING,
  N_PROPS
};

enum {
  CHANGED,
  FINISHED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
round_free (gpointer data)
{
  PbRoundResult *r = data;

  g_free (r->epochs);
  g_free (r);
}

static void
kept_clear (Kept *kept)
{
  g_clear_pointer (&kept->model, pb_model_free);
  g_clear_pointer (&kept->title, g_free);
}

static void
job_free (gpointer data)
{
  Job *job = data;

  for (guint i = 0; i < G_N_ELEMENTS (job->kept); i++)
    kept_clear (&job->kept[i]);
  g_free (job->data_dir);
  g_ptr_array_unref (job->pending);
  g_free (job->message);
  g_free (job);
}

static void
session_free (PbSession *session)
{
  pb_session_clear (session);
  g_free (session);
}

/* Main thread: the rounds finished since the last dispatch, and any lower round's weights. */
static void
on_progress (PbWorker *worker,
             gpointer  owner,
             gpointer  data)
{
  PbComparison *self = owner;
  Job *job = data;
  g_autoptr(GPtrArray) rounds = NULL;

  pb_worker_lock (worker);
  rounds = g_steal_pointer (&job->pending);
  job->pending = g_ptr_array_new_with_free_func (round_free);
  for (int m = 0; m < job->n_models; m++)
    if (job->kept[m].model != NULL
        && (self->kept[m].model == NULL || job->kept[m].round < self->kept[m].round))
      {
        kept_clear (&self->kept[m]);
        self->kept[m] = job->kept[m];
        memset (&job->kept[m], 0, sizeof job->kept[m]);
      }
  pb_worker_unlock (worker);

  for (guint i = 0; i < rounds->len; i++)
    pb_session_set_round (self->session, g_ptr_array_index (rounds, i), NULL);
  if (rounds->len > 0)
    g_signal_emit (self, signals[CHANGED], 0);
}

static void
on_done (PbWorker *worker,
         gpointer  owner,
         gpointer  data)
{
  PbComparison *self = owner;
  Job *job = data;
  PbStatus status = job->status;
  g_autofree char *message = g_steal_pointer (&job->message);

  g_clear_pointer (&self->worker, pb_worker_unref);
  self->finished = g_get_monotonic_time ();
  self->session->partial = status != PB_OK;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
  g_signal_emit (self, signals[FINISHED], 0, (int) status, message);
}

static void
on_round_done (void                *user_data,
               const PbRoundResult *result)
{
  PbWorker *worker = user_data;
  Job *job = pb_worker_get_data (worker);
  PbRoundResult *copy = g_memdup2 (result, sizeof *result);

  copy->epochs = g_memdup2 (result->epochs, sizeof (PbEpochRecord) * MAX (result->n_epochs, 0));
  pb_worker_lock (worker);
  g_ptr_array_add (job->pending, copy);
  pb_worker_post (worker);
  pb_worker_unlock (worker);
}

static void
on_round_run (void                *user_data,
              const PbRoundResult *result,
              PbRun               *run)
{
  PbWorker *worker = user_data;
  Job *job = pb_worker_get_data (worker);
  int m = result->model_index;
  PbModel *src = pb_run_model (run);
  PbModel *copy = NULL;
  PbError err = { { 0 } };
  gboolean wanted;

  if (m < 0 || m >= job->n_models)
    return;
  pb_worker_lock (worker);
  wanted = result->round < job->kept_round[m];
  pb_worker_unlock (worker);
  /* The copy is made outside the lock: the other rounds' workers need it to report. */
  if (!wanted || pb_model_new (pb_model_arch (src), 1, &copy, &err) != PB_OK)
    return;
  pb_model_copy_weights (copy, src);

  pb_worker_lock (worker);
  if (result->round < job->kept_round[m])
    {
      Kept *kept = &job->kept[m];

      kept_clear (kept);
      kept->model = g_steal_pointer (&copy);
      kept->settings = *pb_run_settings (run);
      kept->input_mean = pb_run_input_mean (run);
      kept->input_std = pb_run_input_std (run);
      kept->round = result->round;
      /* Translators: a model of a comparison in the Embedding view, e.g. "siamese · comparison
       * round 1" */
      kept->title = g_strdup_printf (_("%s · comparison round %d"),
                                     pb_arch_name (&job->models[m]), result->round + 1);
      job->kept_round[m] = result->round;
    }
  pb_worker_unlock (worker);
  g_clear_pointer (&copy, pb_model_free);
}

static bool
on_cancelled (void *user_data)
{
  return pb_worker_is_cancelled (user_data);
}

static void
run_study (PbWorker *worker,
           gpointer  data)
{
  Job *job = data;
  g_autoptr(GError) error = NULL;
  const PbMnist *mnist = pb_mnist_cache_get (job->data_dir, &error);
  PbStudyCallbacks cb = { .round_done = on_round_done, .cancelled = on_cancelled,
                          .user_data = worker, .round_run = on_round_run };
  PbRoundResult *results;
  PbError err = { { 0 } };
  PbStatus status;

  if (mnist == NULL)
    {
      status = PB_ERR_IO;
      g_strlcpy (err.message, error->message, sizeof err.message);
    }
  else
    {
      results = g_new0 (PbRoundResult, (gsize) job->n_models * job->rounds);
      status = pb_study_run (&job->base, job->models, job->n_models, job->rounds, job->jobs,
                             mnist, &cb, results, &err);
      pb_study_results_clear (results, job->n_models * job->rounds);
      g_free (results);
    }

  job->status = status;
  if (status != PB_OK && status != PB_ERR_CANCELLED)
    job->message = g_strdup (err.message);
}

static void
clear_kept (PbComparison *self)
{
  for (guint i = 0; i < G_N_ELEMENTS (self->kept); i++)
    kept_clear (&self->kept[i]);
}

static void
pb_comparison_dispose (GObject *object)
{
  PbComparison *self = PB_COMPARISON (object);

  g_clear_pointer (&self->worker, pb_worker_release);
  g_clear_pointer (&self->session, session_free);
  clear_kept (self);

  G_OBJECT_CLASS (pb_comparison_parent_class)->dispose (object);
}

static void
pb_comparison_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  PbComparison *self = PB_COMPARISON (object);

  switch (prop_id)
    {
    case PROP_RUNNING:
      g_value_set_boolean (value, pb_comparison_get_running (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pb_comparison_class_init (PbComparisonClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = pb_comparison_dispose;
  object_class->get_property = pb_comparison_get_property;

  properties[PROP_RUNNING] =
    g_param_spec_boolean ("running", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  /* The core's PbStatus, and its message for a failure. */
  signals[FINISHED] = g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                    0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_INT,
                                    G_TYPE_STRING);
}

static void
pb_comparison_init (PbComparison *self)
{
}

PbComparison *
pb_comparison_new (void)
{
  return g_object_new (PB_TYPE_COMPARISON, NULL);
}

gboolean
pb_comparison_start (PbComparison          *self,
                     const PbTrainSettings *base,
                     const PbArch          *models,
                     int                    n_models,
                     int                    rounds,
                     int                    jobs,
                     const char            *data_dir,
                     GError               **error)
{
  static const PbWorkerFuncs funcs = { run_study, on_progress, on_done };
  PbSession *session;
  PbError err = { { 0 } };
  PbStatus st;
  Job *job;
  PbWorker *worker;

  g_return_val_if_fail (PB_IS_COMPARISON (self), FALSE);

  if (self->worker != NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_BUSY,
                           _("A comparison is already running"));
      return FALSE;
    }
  session = g_new0 (PbSession, 1);
  if ((st = pb_session_init (session, base, models, n_models, rounds, &err)) != PB_OK
      || (st = pb_train_settings_validate (base, &err)) != PB_OK)
    {
      session_free (session);
      return pb_set_error_from_status (error, st, &err);
    }

  job = g_new0 (Job, 1);
  job->base = *base;
  memcpy (job->models, models, sizeof (PbArch) * n_models);
  job->n_models = n_models;
  job->rounds = rounds;
  job->jobs = CLAMP (jobs, 1, 64);
  job->data_dir = g_strdup (data_dir);
  job->pending = g_ptr_array_new_with_free_func (round_free);
  for (guint i = 0; i < G_N_ELEMENTS (job->kept_round); i++)
    job->kept_round[i] = G_MAXINT;

  worker = pb_worker_start ("pb-comparison", self, &funcs, job, job_free, error);
  if (worker == NULL)
    {
      session_free (session);
      return FALSE;
    }
  g_clear_pointer (&self->session, session_free);
  clear_kept (self);
  self->loaded = FALSE;
  self->session = session;
  self->worker = worker;
  self->started = g_get_monotonic_time ();
  self->finished = 0;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
  g_signal_emit (self, signals[CHANGED], 0);
  return TRUE;
}

void
pb_comparison_stop (PbComparison *self)
{
  g_return_if_fail (PB_IS_COMPARISON (self));

  if (self->worker != NULL)
    pb_worker_cancel (self->worker);
}

gboolean
pb_comparison_get_running (PbComparison *self)
{
  g_return_val_if_fail (PB_IS_COMPARISON (self), FALSE);
  return self->worker != NULL;
}

const PbSession *
pb_comparison_get_session (PbComparison *self)
{
  g_return_val_if_fail (PB_IS_COMPARISON (self), NULL);
  return self->session;
}

double
pb_comparison_get_elapsed (PbComparison *self)
{
  g_return_val_if_fail (PB_IS_COMPARISON (self), 0);
  if (self->started == 0)
    return 0;
  return ((self->finished ? self->finished : g_get_monotonic_time ()) - self->started)
         / (double) G_USEC_PER_SEC;
}

gboolean
pb_comparison_save (PbComparison  *self,
                    const char    *path,
                    GError       **error)
{
  PbError err = { { 0 } };

  g_return_val_if_fail (PB_IS_COMPARISON (self), FALSE);

  if (self->session == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("There is no comparison"));
      return FALSE;
    }
  PbStatus st = pb_session_save (self->session, path, &err);

  if (st != PB_OK)
    return pb_set_error_from_status (error, st, &err);
  return TRUE;
}

gboolean
pb_comparison_load (PbComparison  *self,
                    const char    *path,
                    GError       **error)
{
  PbSession *session;
  PbError err = { { 0 } };
  PbStatus st;

  g_return_val_if_fail (PB_IS_COMPARISON (self), FALSE);

  if (self->worker != NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_BUSY,
                           _("A comparison is already running"));
      return FALSE;
    }
  session = g_new0 (PbSession, 1);
  if ((st = pb_session_load (path, session, &err)) != PB_OK)
    {
      g_free (session);
      return pb_set_error_from_status (error, st, &err);
    }
  g_clear_pointer (&self->session, session_free);
  clear_kept (self);
  self->loaded = TRUE;
  self->session = session;
  self->started = self->finished = 0;
  g_signal_emit (self, signals[CHANGED], 0);
  return TRUE;
}

guint
pb_comparison_get_n_models (PbComparison *self)
{
  g_return_val_if_fail (PB_IS_COMPARISON (self), 0);
  return self->session != NULL ? (guint) self->session->n_models : 0;
}

guint
pb_comparison_get_n_embed_models (PbComparison *self)
{
  guint n = 0;

  g_return_val_if_fail (PB_IS_COMPARISON (self), 0);
  for (guint i = 0; i < G_N_ELEMENTS (self->kept); i++)
    n += self->kept[i].model != NULL;
  return n;
}

gboolean
pb_comparison_get_embed_model (PbComparison *self,
                               guint         model_index,
                               PbEmbedModel *out)
{
  Kept *kept;

  g_return_val_if_fail (PB_IS_COMPARISON (self), FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  if (model_index >= G_N_ELEMENTS (self->kept) || self->kept[model_index].model == NULL)
    return FALSE;
  kept = &self->kept[model_index];
  out->title = kept->title;
  out->model = kept->model;
  out->input_mean = kept->input_mean;
  out->input_std = kept->input_std;
  out->settings = &kept->settings;
  return TRUE;
}

int
pb_comparison_get_embed_round (PbComparison *self,
                               guint         model_index)
{
  g_return_val_if_fail (PB_IS_COMPARISON (self), -1);

  if (model_index >= G_N_ELEMENTS (self->kept) || self->kept[model_index].model == NULL)
    return -1;
  return self->kept[model_index].round;
}

gboolean
pb_comparison_get_loaded (PbComparison *self)
{
  g_return_val_if_fail (PB_IS_COMPARISON (self), FALSE);
  return self->loaded;
}

char *
pb_comparison_format_table (PbComparison  *self,
                            const char    *path,
                            GError       **error)
{
  const PbSession *s;
  PbError err = { { 0 } };
  PbTableFormat format;
  PbStr out;
  char *text;

  g_return_val_if_fail (PB_IS_COMPARISON (self), NULL);
  g_return_val_if_fail (path != NULL, NULL);

  s = pb_comparison_get_session (self);
  if (s == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("There is no comparison"));
      return NULL;
    }
  if (!pb_table_format_from_path (path, &format))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("%s: expected a file name ending in .csv, .md or .tex"), path);
      return NULL;
    }
  /* The file the CLI's study writes too. */
  pb_str_init (&out);
  if (pb_session_format_table (s, format, &out, &err) != PB_OK || out.failed)
    {
      pb_str_clear (&out);
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                           out.failed ? "out of memory" : err.message);
      return NULL;
    }
  text = g_strndup (out.data != NULL ? out.data : "", out.len);
  pb_str_clear (&out);
  return text;
}

gboolean
pb_comparison_save_table (PbComparison  *self,
                          const char    *path,
                          GError       **error)
{
  g_autofree char *text = pb_comparison_format_table (self, path, error);
  PbError err = { { 0 } };

  if (text == NULL)
    return FALSE;
  return pb_set_error_from_status (error, pb_write_file_atomic (path, text, strlen (text), &err),
                                   &err);
}
