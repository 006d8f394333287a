/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pb-sweeper"

#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gi18n.h>

#include "pb-core-error.h"
#include "pb-mnist-cache.h"
#include "pb-sweeper.h"
#include "pb-worker.h"

#define MAX_FILE_BYTES (256u << 20)

/* The worker's data. pending is under the worker's lock; status and message are read after the
 * join. */
typedef struct
{
  PbSweepConfig config;
  PbTrainSettings base;
  int jobs;
  char *data_dir;

  GArray *pending;      /* PbSweepResult */
  PbStatus status;
  char *message;
} Job;

struct _PbSweeper
{
  GObject parent_instance;

  PbWorker *worker;
  PbSweepConfig *config;
  PbTrainSettings base;
  gboolean has_base;
  GArray *results;      /* PbSweepResult, in arrival order */
  guint n_planned;
  PbSweepSummary summary;
  gboolean has_summary;
  char *path;
  gint64 started, finished;

  gboolean has_best_test;
  char *best_label;
  double best_mean, best_std;
  int best_rounds;
};

G_DEFINE_TYPE (PbSweeper, pb_sweeper, G_TYPE_OBJECT)

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
job_free (gpointer data)
{
  Job *job = data;

  g_free (job->data_dir);
  g_array_unref (job->pending);
  g_free (job->message);
  g_free (job);
}

static void
resummarise (PbSweeper *self)
{
  PbError err = { { 0 } };

  if (self->has_summary)
    pb_sweep_summary_clear (&self->summary);
  self->has_summary = FALSE;
  if (self->config == NULL)
    return;
  if (pb_sweep_summarise (self->config, (const PbSweepResult *) self->results->data,
                          (int) self->results->len, &self->summary, &err) == PB_OK)
    self->has_summary = TRUE;
  else
    g_warning ("sweep summary: %s", err.message);
}

static void
on_progress (PbWorker *worker,
             gpointer  owner,
             gpointer  data)
{
  PbSweeper *self = owner;
  Job *job = data;
  g_autoptr(GArray) done = NULL;

  pb_worker_lock (worker);
  done = g_steal_pointer (&job->pending);
  job->pending = g_array_new (FALSE, FALSE, sizeof (PbSweepResult));
  pb_worker_unlock (worker);

  if (done->len == 0)
    return;
  g_array_append_vals (self->results, done->data, done->len);
  resummarise (self);
  g_signal_emit (self, signals[CHANGED], 0);
}

static void
on_done (PbWorker *worker,
         gpointer  owner,
         gpointer  data)
{
  PbSweeper *self = owner;
  Job *job = data;
  PbStatus status = job->status;
  g_autofree char *message = g_steal_pointer (&job->message);

  g_clear_pointer (&self->worker, pb_worker_unref);
  self->finished = g_get_monotonic_time ();
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
  g_signal_emit (self, signals[FINISHED], 0, (int) status, message);
}

static void
on_unit_done (void                *user_data,
              const PbSweepResult *result)
{
  PbWorker *worker = user_data;
  Job *job = pb_worker_get_data (worker);

  pb_worker_lock (worker);
  g_array_append_val (job->pending, *result);
  pb_worker_post (worker);
  pb_worker_unlock (worker);
}

static bool
on_cancelled (void *user_data)
{
  return pb_worker_is_cancelled (user_data);
}

static void
run_sweep (PbWorker *worker,
           gpointer  data)
{
  Job *job = data;
  g_autoptr(GError) error = NULL;
  const PbMnist *mnist = pb_mnist_cache_get (job->data_dir, &error);
  PbSweepCallbacks cb = { .unit_done = on_unit_done, .cancelled = on_cancelled,
                          .user_data = worker };
  int max_units = job->config.trials * job->config.rounds, n;
  g_autofree PbSweepUnit *units = NULL;
  g_autofree PbSweepResult *results = NULL;
  PbError err = { { 0 } };
  PbStatus status = PB_OK;

  if (mnist == NULL)
    {
      job->status = PB_ERR_IO;
      job->message = g_strdup (error->message);
      return;
    }
  units = g_new0 (PbSweepUnit, MAX (max_units, 1));
  results = g_new0 (PbSweepResult, MAX (max_units, 1));
  n = pb_sweep_first_units (&job->config, job->base.epochs, units);
  /* Halving goes on rung by rung with the best 1/eta of each; the other methods have one. */
  while (n > 0 && status == PB_OK)
    {
      status = pb_sweep_run_units (&job->config, &job->base, units, n, job->jobs, mnist, &cb,
                                   results, &err);
      if (status == PB_OK)
        n = pb_sweep_next_rung_units (&job->config, job->base.epochs, results, n, units);
    }
  job->status = status;
  if (status != PB_OK && status != PB_ERR_CANCELLED)
    job->message = g_strdup (err.message);
}

static void
clear_contents (PbSweeper *self)
{
  if (self->has_summary)
    pb_sweep_summary_clear (&self->summary);
  self->has_summary = FALSE;
  g_clear_pointer (&self->config, g_free);
  g_array_set_size (self->results, 0);
  self->has_base = FALSE;
  self->n_planned = 0;
  g_clear_pointer (&self->path, g_free);
  g_clear_pointer (&self->best_label, g_free);
  self->has_best_test = FALSE;
  self->started = self->finished = 0;
}

static void
pb_sweeper_dispose (GObject *object)
{
  PbSweeper *self = PB_SWEEPER (object);

  g_clear_pointer (&self->worker, pb_worker_release);

  G_OBJECT_CLASS (pb_sweeper_parent_class)->dispose (object);
}

static void
pb_sweeper_finalize (GObject *object)
{
  PbSweeper *self = PB_SWEEPER (object);

  clear_contents (self);
  g_array_unref (self->results);

  G_OBJECT_CLASS (pb_sweeper_parent_class)->finalize (object);
}

static void
pb_sweeper_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  PbSweeper *self = PB_SWEEPER (object);

  switch (prop_id)
    {
    case PROP_RUNNING:
      g_value_set_boolean (value, pb_sweeper_get_running (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pb_sweeper_class_init (PbSweeperClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = pb_sweeper_dispose;
  object_class->finalize = pb_sweeper_finalize;
  object_class->get_property = pb_sweeper_get_property;

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
pb_sweeper_init (PbSweeper *self)
{
  self->results = g_array_new (FALSE, FALSE, sizeof (PbSweepResult));
}

PbSweeper *
pb_sweeper_new (void)
{
  return g_object_new (PB_TYPE_SWEEPER, NULL);
}

gboolean
pb_sweeper_parse_config (const char     *json,
                         const char     *what,
                         PbSweepConfig  *out,
                         GError        **error)
{
  PbError err = { { 0 } };

  g_return_val_if_fail (json != NULL && out != NULL, FALSE);
  return pb_set_error_from_status (error, pb_sweep_config_parse (json, strlen (json), what, out,
                                                                 &err), &err);
}

/* Rung k of halving keeps ceil(n / eta) of rung k − 1's trials. */
static guint
planned_units (const PbSweepConfig *c,
               int                  base_epochs)
{
  int rungs = pb_sweep_n_rungs (c, base_epochs), n = c->trials;
  guint total = 0;

  for (int k = 0; k < rungs; k++)
    {
      total += (guint) n * c->rounds;
      n = c->eta > 1 ? (n + c->eta - 1) / c->eta : n;
    }
  return total;
}

gboolean
pb_sweeper_start (PbSweeper              *self,
                  const PbSweepConfig    *config,
                  const PbTrainSettings  *base,
                  int                     jobs,
                  const char             *data_dir,
                  GError                **error)
{
  static const PbWorkerFuncs funcs = { run_sweep, on_progress, on_done };
  PbTrainSettings first;
  PbError err = { { 0 } };
  PbStatus st;
  PbWorker *worker;
  Job *job;

  g_return_val_if_fail (PB_IS_SWEEPER (self), FALSE);
  g_return_val_if_fail (config != NULL && base != NULL, FALSE);

  if (self->worker != NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_BUSY, _("A sweep is already running"));
      return FALSE;
    }
  if (config->trials < 1 || config->rounds < 1)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("The sweep has no trials"));
      return FALSE;
    }
  /* The base and the first trial are checked here, so that a refusal is a dialog at once. */
  if ((st = pb_train_settings_validate (base, &err)) != PB_OK
      || (st = pb_sweep_trial (config, base, 0, &first, NULL, &err)) != PB_OK)
    return pb_set_error_from_status (error, st, &err);

  job = g_new0 (Job, 1);
  job->config = *config;
  job->base = *base;
  job->base.val_pairs = config->val_pairs;
  job->jobs = CLAMP (jobs, 1, 64);
  job->data_dir = g_strdup (data_dir);
  job->pending = g_array_new (FALSE, FALSE, sizeof (PbSweepResult));
  worker = pb_worker_start ("pb-sweeper", self, &funcs, job, job_free, error);
  if (worker == NULL)
    return FALSE;

  clear_contents (self);
  self->config = g_memdup2 (config, sizeof *config);
  self->base = job->base;
  self->has_base = TRUE;
  self->n_planned = planned_units (config, base->epochs);
  self->worker = worker;
  self->started = g_get_monotonic_time ();
  resummarise (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
  g_signal_emit (self, signals[CHANGED], 0);
  return TRUE;
}

void
pb_sweeper_stop (PbSweeper *self)
{
  g_return_if_fail (PB_IS_SWEEPER (self));
  if (self->worker != NULL)
    pb_worker_cancel (self->worker);
}

gboolean
pb_sweeper_get_running (PbSweeper *self)
{
  g_return_val_if_fail (PB_IS_SWEEPER (self), FALSE);
  return self->worker != NULL;
}

/* Loading */

/* JSON text of a parsed value, numbers as their own literal in text. */
static void
json_write (PbStr       *out,
            const char  *text,
            const PbJson *v)
{
  switch (v->type)
    {
    case PB_JSON_NULL:
      pb_str_append (out, "null");
      break;
    case PB_JSON_BOOL:
      pb_str_append (out, v->boolean ? "true" : "false");
      break;
    case PB_JSON_NUMBER:
      pb_str_append_len (out, text + v->offset, v->length);
      break;
    case PB_JSON_STRING:
      pb_str_append_json_string (out, v->string);
      break;
    case PB_JSON_ARRAY:
    case PB_JSON_OBJECT:
      pb_str_append (out, v->type == PB_JSON_ARRAY ? "[" : "{");
      for (int i = 0; i < v->n; i++)
        {
          if (i > 0)
            pb_str_append (out, ",");
          if (v->type == PB_JSON_OBJECT)
            {
              pb_str_append_json_string (out, v->keys[i]);
              pb_str_append (out, ":");
            }
          json_write (out, text, &v->items[i]);
        }
      pb_str_append (out, v->type == PB_JSON_ARRAY ? "]" : "}");
      break;
    default:
      break;
    }
}

/* A member's value as option text, as `train` would read it. */
static char *
option_text (const char   *text,
             const PbJson *v)
{
  switch (v->type)
    {
    case PB_JSON_BOOL:
      return g_strdup (v->boolean ? "true" : "false");
    case PB_JSON_NUMBER:
      return g_strndup (text + v->offset, v->length);
    case PB_JSON_STRING:
      return g_strdup (v->string);
    default:
      return NULL;
    }
}

typedef struct
{
  PbSweepConfig *config;
  PbTrainSettings base;
  gboolean has_base;
  GArray *results;
  gboolean has_best;
  char *best_label;
  double best_mean, best_std;
  int best_rounds;
} Loaded;

static void
loaded_clear (Loaded *l)
{
  g_clear_pointer (&l->config, g_free);
  g_clear_pointer (&l->results, g_array_unref);
  g_clear_pointer (&l->best_label, g_free);
}

static gboolean
read_results (const char   *path,
              const PbJson *array,
              Loaded       *l,
              GError      **error)
{
  PbError err = { { 0 } };

  if (array == NULL || array->type != PB_JSON_ARRAY)
    {
      g_set_error (error, PB_CORE_ERROR, PB_ERR_FORMAT,
                   _("%s: results: expected an array of the units’ lines"), path);
      return FALSE;
    }
  for (int i = 0; i < array->n; i++)
    {
      g_autofree char *what = g_strdup_printf ("%s: results[%d]", path, i);
      PbSweepResult r;

      if (pb_sweep_result_from_json (l->config, &array->items[i], what, &r, &err) != PB_OK)
        return pb_set_error_from_status (error, PB_ERR_FORMAT, &err);
      g_array_append_val (l->results, r);
    }
  return TRUE;
}

static gboolean
load_summary (const char   *path,
              const char   *text,
              const PbJson *root,
              Loaded       *l,
              GError      **error)
{
  const PbJson *config = pb_json_get (root, "config");
  const PbJson *base = pb_json_get (root, "base");
  const PbJson *test = pb_json_get (pb_json_get (root, "best"), "test");
  g_autofree char *what = g_strdup_printf ("%s: config", path);
  PbError err = { { 0 } };
  PbStr json;
  PbStatus st;

  if (config == NULL || config->type != PB_JSON_OBJECT)
    {
      g_set_error (error, PB_CORE_ERROR, PB_ERR_FORMAT,
                   _("%s: expected a sweep summary with a \"config\" object"), path);
      return FALSE;
    }
  pb_str_init (&json);
  json_write (&json, text, config);
  l->config = g_new0 (PbSweepConfig, 1);
  st = pb_sweep_config_parse (json.data ? json.data : "", json.len, what, l->config, &err);
  pb_str_clear (&json);
  if (st != PB_OK)
    return pb_set_error_from_status (error, st, &err);

  if (base != NULL && base->type == PB_JSON_OBJECT)
    {
      const char *model = pb_json_get_string (base, "model");

      if ((st = pb_train_settings_init (&l->base, model ? model : "siamese-aux", &err)) != PB_OK)
        {
          g_set_error (error, PB_CORE_ERROR, st, "%s: base: %s", path, err.message);
          return FALSE;
        }
      for (int i = 0; i < base->n; i++)
        {
          g_autofree char *value = option_text (text, &base->items[i]);

          if (g_str_equal (base->keys[i], "model"))
            continue;
          if (value == NULL
              || (st = pb_train_settings_set_option (&l->base, base->keys[i], value, &err))
                   != PB_OK)
            {
              g_set_error (error, PB_CORE_ERROR, PB_ERR_FORMAT, "%s: base.%s: %s", path,
                           base->keys[i], value ? err.message : _("expected a number, text or "
                                                                  "true/false"));
              return FALSE;
            }
        }
      l->has_base = TRUE;
    }
  if (!read_results (path, pb_json_get (root, "results"), l, error))
    return FALSE;
  if (test != NULL && test->type == PB_JSON_OBJECT)
    {
      const char *label = pb_json_get_string (test, "label");

      l->best_mean = pb_json_get_number (test, "test_error_mean", NAN);
      l->best_std = pb_json_get_number (test, "test_error_std", NAN);
      l->best_rounds = (int) pb_json_get_number (test, "rounds", 0);
      l->best_label = g_strdup (label ? label : "");
      l->has_best = isfinite (l->best_mean);
    }
  return TRUE;
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* A TRIALS.jsonl has no config: its parameters come from the "settings" of its lines. */
static gboolean
infer_config (const char *path,
              GPtrArray  *lines,
              GPtrArray  *starts,
              Loaded     *l,
              GError    **error)
{
  const PbJson *first = pb_json_get (g_ptr_array_index (lines, 0), "settings");
  PbSweepConfig *c = l->config = g_new0 (PbSweepConfig, 1);
  int max_trial = 0, max_round = 0;

  if (first == NULL || first->type != PB_JSON_OBJECT || first->n == 0)
    {
      g_set_error (error, PB_CORE_ERROR, PB_ERR_FORMAT,
                   _("%s: line 1: expected a sweep unit with its \"settings\" object"), path);
      return FALSE;
    }
  c->method = PB_SWEEP_RANDOM;
  c->n_params = MIN (first->n, PB_SWEEP_MAX_PARAMS);
  for (guint i = 0; i < lines->len; i++)
    {
      const PbJson *line = g_ptr_array_index (lines, i);
      max_trial = MAX (max_trial, (int) pb_json_get_number (line, "trial", 0));
      max_round = MAX (max_round, (int) pb_json_get_number (line, "round", 0));
    }
  {
    const PbJson *line = g_ptr_array_index (lines, 0);
    const PbJson *seed = pb_json_get (line, "seed");
    double round = pb_json_get_number (line, "round", 1);

    /* Round r trains with seed S + r − 1. */
    if (seed != NULL && seed->type == PB_JSON_NUMBER && seed->number >= round - 1)
      c->seed = g_ascii_strtoull ((const char *) g_ptr_array_index (starts, 0) + seed->offset, NULL, 10)
                - (guint64) (round - 1);
  }
  c->trials = MAX (max_trial, 1);
  c->rounds = MAX (max_round, 1);
  for (int p = 0; p < c->n_params; p++)
    {
      PbSweepParam *param = &c->params[p];
      g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);
      double lo = INFINITY, hi = -INFINITY;
      gboolean numbers = TRUE;

      g_strlcpy (param->name, first->keys[p], sizeof param->name);
      for (guint i = 0; i < lines->len; i++)
        {
          const PbJson *v = pb_json_get (pb_json_get (g_ptr_array_index (lines, i), "settings"),
                                         param->name);
          char *t;

          if (v == NULL || (t = option_text (g_ptr_array_index (starts, i), v)) == NULL)
            {
              g_set_error (error, PB_CORE_ERROR, PB_ERR_FORMAT,
                           _("%s: line %u: settings.%s: expected a number, text or true/false"),
                           path, i + 1, param->name);
              return FALSE;
            }
          if (v->type == PB_JSON_NUMBER)
            lo = MIN (lo, v->number), hi = MAX (hi, v->number);
          else
            numbers = FALSE;
          g_ptr_array_add (texts, t);
        }
      if (numbers)
        {
          param->dist = lo > 0 && hi / lo >= 10 ? PB_SWEEP_LOG_UNIFORM_VALUES : PB_SWEEP_UNIFORM;
          param->min = lo;
          param->max = hi;
          continue;
        }
      g_ptr_array_sort (texts, compare_strings);
      param->dist = PB_SWEEP_VALUES;
      for (guint i = 0; i < texts->len && param->n_values < PB_SWEEP_MAX_VALUES; i++)
        if (i == 0 || strcmp (g_ptr_array_index (texts, i), g_ptr_array_index (texts, i - 1)))
          g_strlcpy (param->values[param->n_values++], g_ptr_array_index (texts, i),
                     PB_OPTION_VALUE_MAX);
    }
  return TRUE;
}

static gboolean
load_lines (const char *path,
            char       *text,
            gsize       len,
            Loaded     *l,
            GError    **error)
{
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func ((GDestroyNotify) pb_json_free);
  g_autoptr(GPtrArray) starts = g_ptr_array_new ();
  g_autoptr(GArray) numbers = g_array_new (FALSE, FALSE, sizeof (int));
  PbError err = { { 0 } };
  int lineno = 0;

  for (char *p = text, *end; p < text + len; p = end + 1)
    {
      PbJson *line = NULL;
      g_autofree char *what = NULL;
      gboolean blank = TRUE;

      end = memchr (p, '\n', text + len - p);
      if (end == NULL)
        end = text + len;
      lineno++;
      for (const char *c = p; c < end && blank; c++)
        blank = g_ascii_isspace (*c);
      if (blank)
        continue;
      what = g_strdup_printf ("%s: line %d", path, lineno);
      if (pb_json_parse (p, end - p, what, &line, &err) != PB_OK)
        return pb_set_error_from_status (error, PB_ERR_FORMAT, &err);
      g_ptr_array_add (lines, line);
      /* A line's number literals are offsets from its own start. */
      g_ptr_array_add (starts, p);
      g_array_append_val (numbers, lineno);
    }
  if (lines->len == 0)
    {
      g_set_error (error, PB_CORE_ERROR, PB_ERR_FORMAT,
                   _("%s: expected a sweep’s TRIALS.jsonl or its summary, found an empty file"),
                   path);
      return FALSE;
    }
  if (!infer_config (path, lines, starts, l, error))
    return FALSE;
  for (guint i = 0; i < lines->len; i++)
    {
      g_autofree char *what = g_strdup_printf ("%s: line %d", path,
                                               g_array_index (numbers, int, i));
      PbSweepResult r;

      if (pb_sweep_result_from_json (l->config, g_ptr_array_index (lines, i), what, &r, &err)
          != PB_OK)
        return pb_set_error_from_status (error, PB_ERR_FORMAT, &err);
      g_array_append_val (l->results, r);
    }
  return TRUE;
}

gboolean
pb_sweeper_load (PbSweeper   *self,
                 const char  *path,
                 GError     **error)
{
  g_autofree char *text = NULL;
  size_t len = 0;
  PbJson *root = NULL;
  PbError err = { { 0 } };
  Loaded l = { 0 };
  PbStatus st;
  gboolean ok;
  const char *format;

  g_return_val_if_fail (PB_IS_SWEEPER (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  if (self->worker != NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_BUSY, _("A sweep is already running"));
      return FALSE;
    }
  if ((st = pb_read_file (path, MAX_FILE_BYTES, "a sweep's trials", &text, &len, &err)) != PB_OK)
    return pb_set_error_from_status (error, st, &err);

  l.results = g_array_new (FALSE, FALSE, sizeof (PbSweepResult));
  /* A summary is one object; a TRIALS.jsonl of one line parses as an object too. */
  if (pb_json_parse (text, len, path, &root, &err) == PB_OK && root->type == PB_JSON_OBJECT
      && pb_json_get (root, "trial") == NULL)
    {
      format = pb_json_get_string (root, "format");
      if (g_strcmp0 (format, PB_SWEEP_FORMAT) != 0)
        {
          g_set_error (error, PB_CORE_ERROR, PB_ERR_FORMAT,
                       _("%s: expected a sweep’s TRIALS.jsonl or its summary (format \"%s\"), "
                         "found %s%s%s"), path, PB_SWEEP_FORMAT,
                       format ? "format \"" : _("an object without a format"),
                       format ? format : "", format ? "\"" : "");
          ok = FALSE;
        }
      else
        ok = load_summary (path, text, root, &l, error);
    }
  else
    ok = load_lines (path, text, len, &l, error);
  g_clear_pointer (&root, pb_json_free);

  if (!ok)
    {
      loaded_clear (&l);
      return FALSE;
    }
  clear_contents (self);
  self->config = g_steal_pointer (&l.config);
  g_array_append_vals (self->results, l.results->data, l.results->len);
  self->base = l.base;
  self->has_base = l.has_base;
  self->has_best_test = l.has_best;
  self->best_label = g_steal_pointer (&l.best_label);
  self->best_mean = l.best_mean;
  self->best_std = l.best_std;
  self->best_rounds = l.best_rounds;
  self->path = g_strdup (path);
  loaded_clear (&l);
  resummarise (self);
  g_signal_emit (self, signals[CHANGED], 0);
  return TRUE;
}

/* Getters */

const PbSweepConfig *
pb_sweeper_get_config (PbSweeper *self)
{
  g_return_val_if_fail (PB_IS_SWEEPER (self), NULL);
  return self->config;
}

const PbTrainSettings *
pb_sweeper_get_base (PbSweeper *self)
{
  g_return_val_if_fail (PB_IS_SWEEPER (self), NULL);
  return self->has_base ? &self->base : NULL;
}

const PbSweepResult *
pb_sweeper_get_results (PbSweeper *self,
                        guint     *n_out)
{
  g_return_val_if_fail (PB_IS_SWEEPER (self), NULL);
  if (n_out != NULL)
    *n_out = self->results->len;
  return (const PbSweepResult *) self->results->data;
}

guint
pb_sweeper_get_n_planned (PbSweeper *self)
{
  g_return_val_if_fail (PB_IS_SWEEPER (self), 0);
  return self->n_planned;
}

const PbSweepSummary *
pb_sweeper_get_summary (PbSweeper *self)
{
  g_return_val_if_fail (PB_IS_SWEEPER (self), NULL);
  return self->has_summary ? &self->summary : NULL;
}

const PbSweepResult *
pb_sweeper_get_trial_values (PbSweeper *self,
                             int        trial)
{
  const PbSweepResult *best = NULL;

  g_return_val_if_fail (PB_IS_SWEEPER (self), NULL);
  /* The deepest rung's, for its epochs. */
  for (guint i = 0; i < self->results->len; i++)
    {
      const PbSweepResult *r = &g_array_index (self->results, PbSweepResult, i);
      if (r->trial == trial && (best == NULL || r->rung > best->rung))
        best = r;
    }
  return best;
}

gboolean
pb_sweeper_get_trial_settings (PbSweeper              *self,
                               int                     trial,
                               const PbTrainSettings  *fallback,
                               PbTrainSettings        *out,
                               GError                **error)
{
  const PbSweepResult *r;
  PbTrainSettings s;
  PbError err = { { 0 } };
  PbStatus st;

  g_return_val_if_fail (PB_IS_SWEEPER (self), FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  r = self->config != NULL ? pb_sweeper_get_trial_values (self, trial) : NULL;
  if (r == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("There is no trial %d"),
                   trial + 1);
      return FALSE;
    }
  if (!self->has_base && fallback == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                           _("The sweep’s base settings are unknown"));
      return FALSE;
    }
  s = self->has_base ? self->base : *fallback;
  /* The model first: it resets the architecture that the other options then change. */
  for (int pass = 0; pass < 2; pass++)
    for (int p = 0; p < self->config->n_params && p < r->n_values; p++)
      {
        const char *name = self->config->params[p].name;

        if ((pass == 0) != g_str_equal (name, "model"))
          continue;
        if ((st = pb_train_settings_set_option (&s, name, r->values[p], &err)) != PB_OK)
          return pb_set_error_from_status (error, st, &err);
      }
  if (self->config->val_pairs > 0)
    s.val_pairs = self->config->val_pairs;
  if ((st = pb_train_settings_validate (&s, &err)) != PB_OK)
    return pb_set_error_from_status (error, st, &err);
  *out = s;
  return TRUE;
}

gboolean
pb_sweeper_get_best_test (PbSweeper   *self,
                          const char **label,
                          double      *mean,
                          double      *std,
                          int         *rounds)
{
  g_return_val_if_fail (PB_IS_SWEEPER (self), FALSE);
  if (!self->has_best_test)
    return FALSE;
  if (label)
    *label = self->best_label;
  if (mean)
    *mean = self->best_mean;
  if (std)
    *std = self->best_std;
  if (rounds)
    *rounds = self->best_rounds;
  return TRUE;
}

const char *
pb_sweeper_get_path (PbSweeper *self)
{
  g_return_val_if_fail (PB_IS_SWEEPER (self), NULL);
  return self->path;
}

double
pb_sweeper_get_elapsed (PbSweeper *self)
{
  g_return_val_if_fail (PB_IS_SWEEPER (self), 0);
  if (self->started == 0)
    return 0;
  return ((self->finished ? self->finished : g_get_monotonic_time ()) - self->started)
         / (double) G_USEC_PER_SEC;
}
