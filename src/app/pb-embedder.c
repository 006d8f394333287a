/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pb-embedder"

#include "config.h"

#include <gio/gio.h>
#include <glib/gi18n.h>

#include "pb-core-error.h"
#include "pb-embedder.h"
#include "pb-mnist-cache.h"
#include "pb-tsne.h"
#include "pb-worker.h"

#define ITERATIONS_PER_STEP 10

typedef struct
{
  char *title;
  char *arch_name;
  PbModel *model;
  double mean;
  double std;
  PbTrainSettings settings;
} JobModel;

/* One map as the worker last posted it, under the job's lock. */
typedef struct
{
  gboolean dirty;
  PbEmbedState state;
  double fraction;
  char *message;
  int n;
  float *xy;
  guint8 *digits;
  float *images;
  int images_per_point;
  float *features;
  int feature_dim;
  int n_points;
  int n_pairs;
  guint8 *classes;
  guint8 *labels;
  guint8 *predicted;
  int iteration;
  double kl;
  double perplexity_used;
  GArray *kl_trace;   /* PbEmbedKl posted since the last dispatch */
} Posted;

/* The worker's data; posted is under the worker's lock. */
typedef struct
{
  PbEmbedSettings settings;
  char *data_dir;
  JobModel *models;
  guint n_models;
  Posted *posted;
} Job;

struct _PbEmbedder
{
  GObject parent_instance;

  PbWorker *worker;
  PbEmbedSettings settings;
  GArray *maps;
};

G_DEFINE_TYPE (PbEmbedder, pb_embedder, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_RUNNING,
  N_PROPS
};

enum {
  UPDATED,
  FINISHED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

void
pb_embed_settings_init (PbEmbedSettings *settings)
{
  settings->layer = PB_LAYER_LOGITS;
  settings->perplexity = 30;
  settings->iterations = 1000;
  settings->seed = 1;
  settings->test_pairs = 500;
}

static void
posted_clear (Posted *p)
{
  g_free (p->message);
  g_free (p->xy);
  g_free (p->digits);
  g_free (p->images);
  g_free (p->features);
  g_free (p->classes);
  g_free (p->labels);
  g_free (p->predicted);
  g_clear_pointer (&p->kl_trace, g_array_unref);
}

static void
job_free (gpointer data)
{
  Job *job = data;

  g_free (job->data_dir);
  for (guint i = 0; i < job->n_models; i++)
    {
      g_free (job->models[i].title);
      g_free (job->models[i].arch_name);
      g_clear_pointer (&job->models[i].model, pb_model_free);
      posted_clear (&job->posted[i]);
    }
  g_free (job->models);
  g_free (job->posted);
  g_free (job);
}

static void
map_clear (gpointer data)
{
  PbEmbedMap *map = data;

  g_free (map->title);
  g_free (map->arch_name);
  g_free (map->message);
  g_free (map->xy);
  g_free (map->digits);
  g_free (map->images);
  g_free (map->features);
  g_free (map->classes);
  g_free (map->labels);
  g_free (map->predicted);
  g_clear_pointer (&map->kl_trace, g_array_unref);
}

/* Main thread: each map the worker changed since the last dispatch. */
static void
on_progress (PbWorker *worker,
             gpointer  owner,
             gpointer  data)
{
  PbEmbedder *self = owner;
  Job *job = data;
  g_autoptr(GArray) changed = g_array_new (FALSE, FALSE, sizeof (guint));

  pb_worker_lock (worker);
  for (guint i = 0; i < job->n_models; i++)
    {
      Posted *p = &job->posted[i];
      PbEmbedMap *map = &g_array_index (self->maps, PbEmbedMap, i);

      if (!p->dirty)
        continue;
      p->dirty = FALSE;
      map->state = p->state;
      map->fraction = p->fraction;
      if (p->message != NULL)
        {
          g_free (map->message);
          map->message = g_steal_pointer (&p->message);
        }
      if (p->digits != NULL)
        {
          g_free (map->digits);
          g_free (map->images);
          g_free (map->features);
          g_free (map->classes);
          g_free (map->labels);
          g_free (map->predicted);
          map->digits = g_steal_pointer (&p->digits);
          map->images = g_steal_pointer (&p->images);
          map->images_per_point = p->images_per_point;
          map->features = g_steal_pointer (&p->features);
          map->feature_dim = p->feature_dim;
          map->n_points = p->n_points;
          map->n_pairs = p->n_pairs;
          map->classes = g_steal_pointer (&p->classes);
          map->labels = g_steal_pointer (&p->labels);
          map->predicted = g_steal_pointer (&p->predicted);
        }
      if (p->xy != NULL)
        {
          g_free (map->xy);
          map->xy = g_steal_pointer (&p->xy);
          map->n = p->n;
          map->iteration = p->iteration;
          map->kl = p->kl;
          map->perplexity_used = p->perplexity_used;
        }
      if (p->kl_trace != NULL && p->kl_trace->len > 0)
        {
          if (map->kl_trace == NULL)
            map->kl_trace = g_array_new (FALSE, FALSE, sizeof (PbEmbedKl));
          g_array_append_vals (map->kl_trace, p->kl_trace->data, p->kl_trace->len);
          g_array_set_size (p->kl_trace, 0);
        }
      g_array_append_val (changed, i);
    }
  pb_worker_unlock (worker);

  for (guint k = 0; k < changed->len; k++)
    g_signal_emit (self, signals[UPDATED], 0, g_array_index (changed, guint, k));
}

static void
on_done (PbWorker *worker,
         gpointer  owner,
         gpointer  data)
{
  PbEmbedder *self = owner;

  g_clear_pointer (&self->worker, pb_worker_unref);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
  g_signal_emit (self, signals[FINISHED], 0);
}

static void
post_state (PbWorker     *worker,
            guint         index,
            PbEmbedState  state,
            const char   *message)
{
  Job *job = pb_worker_get_data (worker);
  Posted *p = &job->posted[index];

  pb_worker_lock (worker);
  p->state = state;
  p->dirty = TRUE;
  if (message != NULL)
    {
      g_free (p->message);
      p->message = g_strdup (message);
    }
  pb_worker_post (worker);
  pb_worker_unlock (worker);
}

typedef struct
{
  PbWorker *worker;
  guint index;
} Callback;

static void
on_tsne_progress (PbTsneStage  stage,
                  double       fraction,
                  void        *user_data)
{
  Callback *cb = user_data;
  Job *job = pb_worker_get_data (cb->worker);
  Posted *p = &job->posted[cb->index];

  pb_worker_lock (cb->worker);
  p->state = PB_EMBED_NEIGHBOURS;
  p->fraction = stage == PB_TSNE_STAGE_NEIGHBOURS ? fraction * 0.8 : 0.8 + fraction * 0.2;
  p->dirty = TRUE;
  pb_worker_post (cb->worker);
  pb_worker_unlock (cb->worker);
}

static bool
on_tsne_cancelled (void *user_data)
{
  Callback *cb = user_data;

  return pb_worker_is_cancelled (cb->worker);
}

static void
post_coords (PbWorker *worker,
             guint     index,
             PbTsne   *tsne)
{
  Job *job = pb_worker_get_data (worker);
  Posted *p = &job->posted[index];
  int n = pb_tsne_n (tsne);
  float *xy = g_memdup2 (pb_tsne_coords (tsne), sizeof (float) * 2 * (gsize) n);
  double kl = pb_tsne_kl (tsne);

  pb_worker_lock (worker);
  g_free (p->xy);
  p->xy = xy;
  p->n = n;
  p->iteration = pb_tsne_iteration (tsne);
  p->kl = kl;
  p->perplexity_used = pb_tsne_perplexity_used (tsne);
  if (p->kl_trace == NULL)
    p->kl_trace = g_array_new (FALSE, FALSE, sizeof (PbEmbedKl));
  g_array_append_val (p->kl_trace, ((PbEmbedKl) { .iteration = p->iteration, .kl = kl }));
  p->state = PB_EMBED_OPTIMISING;
  p->dirty = TRUE;
  pb_worker_post (worker);
  pb_worker_unlock (worker);
}

static PbStatus
embed_one (PbWorker *worker,
           guint     index,
           PbError  *err)
{
  Job *job = pb_worker_get_data (worker);
  JobModel *m = &job->models[index];
  PbTrainSettings s = m->settings;
  g_autoptr(GError) error = NULL;
  const PbMnist *mnist;
  PbPairs pairs = { 0 };
  g_autofree float *features = NULL;
  g_autofree guint8 *digits = NULL;
  g_autofree guint8 *predicted = NULL;
  Posted *p;
  PbTsne *tsne = NULL;
  PbTsneSettings ts;
  Callback cb = { worker, index };
  PbTsneCallbacks callbacks = { on_tsne_progress, on_tsne_cancelled, &cb };
  PbStatus status;
  int rows, dim;
  gboolean per_image;

  post_state (worker, index, PB_EMBED_FEATURES, NULL);
  mnist = pb_mnist_cache_get (job->data_dir, &error);
  if (mnist == NULL)
    return pb_error_set (err, PB_ERR_IO, "%s", error->message);

  s.test_pairs = job->settings.test_pairs;
  status = pb_run_draw_pairs (&s, mnist, PB_SPLIT_TEST, &pairs, err);
  if (status != PB_OK)
    return status;

  rows = pb_model_feature_rows (m->model, pairs.n);
  dim = pb_model_feature_dim (m->model, job->settings.layer);
  per_image = rows == 2 * pairs.n;
  features = g_new (float, (gsize) rows * dim);
  status = pb_model_features (m->model, m->mean, m->std, &pairs, job->settings.layer, features,
                              err);
  if (status != PB_OK)
    {
      pb_pairs_clear (&pairs);
      return status;
    }

  predicted = g_new (guint8, pairs.n);
  status = pb_model_predict (m->model, m->mean, m->std, &pairs, predicted, NULL, NULL, err);
  if (status != PB_OK)
    {
      pb_pairs_clear (&pairs);
      return status;
    }

  digits = g_new (guint8, rows);
  for (int r = 0; r < rows; r++)
    digits[r] = per_image ? pairs.classes[r] : pairs.classes[2 * r];
  pb_worker_lock (worker);
  p = &job->posted[index];
  g_free (p->digits);
  g_free (p->images);
  g_free (p->features);
  g_free (p->classes);
  g_free (p->labels);
  g_free (p->predicted);
  p->digits = g_steal_pointer (&digits);
  /* Pair-major images are already one per row for siamese and twin, two per row for stacked. */
  p->images = g_memdup2 (pairs.images, sizeof (float) * (gsize) pairs.n * PB_PAIR_FLOATS);
  p->images_per_point = per_image ? 1 : 2;
  /* The main thread searches neighbours in what was mapped. */
  p->features = g_memdup2 (features, sizeof (float) * (gsize) rows * dim);
  p->feature_dim = dim;
  p->n_points = rows;
  p->n_pairs = pairs.n;
  p->classes = g_memdup2 (pairs.classes, 2 * (gsize) pairs.n);
  p->labels = g_memdup2 (pairs.labels, (gsize) pairs.n);
  p->predicted = g_steal_pointer (&predicted);
  p->dirty = TRUE;
  pb_worker_unlock (worker);
  pb_pairs_clear (&pairs);

  pb_tsne_settings_init (&ts);
  ts.perplexity = job->settings.perplexity;
  ts.seed = job->settings.seed;
  /* One core for the t-SNE, the other stays with the UI and a training run. */
  ts.threads = 1;
  post_state (worker, index, PB_EMBED_NEIGHBOURS, NULL);
  status = pb_tsne_new (features, rows, dim, &ts, &callbacks, &tsne, err);
  if (status != PB_OK)
    return status;

  post_coords (worker, index, tsne);
  while (pb_tsne_iteration (tsne) < job->settings.iterations)
    {
      int k = MIN (ITERATIONS_PER_STEP, job->settings.iterations - pb_tsne_iteration (tsne));
      gboolean pending;

      status = pb_tsne_step (tsne, k, err);
      if (status != PB_OK)
        break;
      pb_worker_lock (worker);
      pending = pb_worker_get_post_pending (worker);
      pb_worker_unlock (worker);
      /* The KL costs about an iteration, so only when the main thread will see it. */
      if (!pending)
        post_coords (worker, index, tsne);
    }
  if (status == PB_OK || status == PB_ERR_CANCELLED)
    post_coords (worker, index, tsne);
  pb_tsne_free (tsne);
  return status;
}

static void
embed_all (PbWorker *worker,
           gpointer  data)
{
  Job *job = data;
  gboolean cancelled = FALSE;

  for (guint i = 0; i < job->n_models; i++)
    {
      PbError err = { { 0 } };
      PbStatus status = PB_ERR_CANCELLED;

      if (!cancelled && !pb_worker_is_cancelled (worker))
        status = embed_one (worker, i, &err);
      if (status == PB_OK)
        post_state (worker, i, PB_EMBED_DONE, NULL);
      else if (status == PB_ERR_CANCELLED)
        {
          cancelled = TRUE;
          post_state (worker, i, PB_EMBED_CANCELLED, NULL);
        }
      else
        post_state (worker, i, PB_EMBED_FAILED, err.message);
    }
}

static void
pb_embedder_dispose (GObject *object)
{
  PbEmbedder *self = PB_EMBEDDER (object);

  g_clear_pointer (&self->worker, pb_worker_release);

  G_OBJECT_CLASS (pb_embedder_parent_class)->dispose (object);
}

static void
pb_embedder_finalize (GObject *object)
{
  PbEmbedder *self = PB_EMBEDDER (object);

  g_array_unref (self->maps);

  G_OBJECT_CLASS (pb_embedder_parent_class)->finalize (object);
}

static void
pb_embedder_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  PbEmbedder *self = PB_EMBEDDER (object);

  switch (prop_id)
    {
    case PROP_RUNNING:
      g_value_set_boolean (value, pb_embedder_get_running (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pb_embedder_class_init (PbEmbedderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = pb_embedder_dispose;
  object_class->finalize = pb_embedder_finalize;
  object_class->get_property = pb_embedder_get_property;

  properties[PROP_RUNNING] =
    g_param_spec_boolean ("running", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[UPDATED] = g_signal_new ("updated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
  signals[FINISHED] = g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                    0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
pb_embedder_init (PbEmbedder *self)
{
  pb_embed_settings_init (&self->settings);
  self->maps = g_array_new (FALSE, TRUE, sizeof (PbEmbedMap));
  g_array_set_clear_func (self->maps, map_clear);
}

PbEmbedder *
pb_embedder_new (void)
{
  return g_object_new (PB_TYPE_EMBEDDER, NULL);
}

gboolean
pb_embedder_start (PbEmbedder             *self,
                   const PbEmbedModel     *models,
                   guint                   n_models,
                   const PbEmbedSettings  *settings,
                   const char             *data_dir,
                   GError                **error)
{
  static const PbWorkerFuncs funcs = { embed_all, on_progress, on_done };
  Job *job;
  PbWorker *worker;

  g_return_val_if_fail (PB_IS_EMBEDDER (self), FALSE);
  g_return_val_if_fail (n_models > 0, FALSE);

  if (self->worker != NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_BUSY, _("A map is already being made"));
      return FALSE;
    }

  job = g_new0 (Job, 1);
  job->settings = *settings;
  job->data_dir = g_strdup (data_dir);
  job->n_models = n_models;
  job->models = g_new0 (JobModel, n_models);
  job->posted = g_new0 (Posted, n_models);

  g_array_set_size (self->maps, 0);
  g_array_set_size (self->maps, n_models);
  for (guint i = 0; i < n_models; i++)
    {
      const PbArch *arch = pb_model_arch (models[i].model);
      PbEmbedMap *map = &g_array_index (self->maps, PbEmbedMap, i);
      PbError err = { { 0 } };
      PbStatus status;

      job->models[i].title = g_strdup (models[i].title);
      job->models[i].arch_name = g_strdup (pb_arch_name (arch));
      job->models[i].mean = models[i].input_mean;
      job->models[i].std = models[i].input_std;
      job->models[i].settings = *models[i].settings;
      status = pb_model_new (arch, 100, &job->models[i].model, &err);
      if (status != PB_OK)
        {
          job_free (job);
          return pb_set_error_from_status (error, status, &err);
        }
      pb_model_copy_weights (job->models[i].model, models[i].model);
      map->title = g_strdup (models[i].title);
      map->arch_name = g_strdup (pb_arch_name (arch));
      map->iterations = settings->iterations;
      map->state = PB_EMBED_QUEUED;
    }

  worker = pb_worker_start ("pb-embedder", self, &funcs, job, job_free, error);
  if (worker == NULL)
    return FALSE;
  self->worker = worker;
  self->settings = *settings;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
  for (guint i = 0; i < n_models; i++)
    g_signal_emit (self, signals[UPDATED], 0, i);
  return TRUE;
}

void
pb_embedder_stop (PbEmbedder *self)
{
  g_return_if_fail (PB_IS_EMBEDDER (self));

  if (self->worker != NULL)
    pb_worker_cancel (self->worker);
}

gboolean
pb_embedder_get_running (PbEmbedder *self)
{
  g_return_val_if_fail (PB_IS_EMBEDDER (self), FALSE);
  return self->worker != NULL;
}

guint
pb_embedder_get_n_maps (PbEmbedder *self)
{
  g_return_val_if_fail (PB_IS_EMBEDDER (self), 0);
  return self->maps->len;
}

const PbEmbedMap *
pb_embedder_get_map (PbEmbedder *self,
                     guint       index)
{
  g_return_val_if_fail (PB_IS_EMBEDDER (self), NULL);
  g_return_val_if_fail (index < self->maps->len, NULL);
  return &g_array_index (self->maps, PbEmbedMap, index);
}

const PbEmbedSettings *
pb_embedder_get_settings (PbEmbedder *self)
{
  g_return_val_if_fail (PB_IS_EMBEDDER (self), NULL);
  return &self->settings;
}

int
pb_embedder_query_neighbours (const PbEmbedMap  *map,
                              int                point,
                              int                k,
                              PbDistance         metric,
                              int               *idx,
                              float             *dist,
                              GError           **error)
{
  PbError err = { { 0 } };
  PbStatus status;

  g_return_val_if_fail (map != NULL, -1);
  g_return_val_if_fail (idx != NULL, -1);

  if (map->features == NULL || map->n_points < 2)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                           _("The map has no features to search yet"));
      return -1;
    }
  if (point < 0 || point >= map->n_points)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("Point %d is not on the map (expected 0 to %d)"), point, map->n_points - 1);
      return -1;
    }
  k = CLAMP (k, 1, map->n_points - 1);
  status = pb_knn (map->features, map->n_points, map->feature_dim, point, k, metric, idx, dist,
                   &err);
  if (!pb_set_error_from_status (error, status, &err))
    return -1;
  return k;
}
