/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pb-pair-preview"

#include "config.h"

#include <string.h>

#include <gio/gio.h>

#include "pb-pair-preview.h"
#include "pb-core-error.h"
#include "pb-mnist-cache.h"

/* The next run, shared by the preview and the workers that read it; the last to let go frees
 * it (a worker may, after the preview has moved on). */
typedef struct
{
  PbRun *run;
} Shared;

static void
shared_clear (gpointer data)
{
  Shared *shared = data;

  g_clear_pointer (&shared->run, pb_run_free);
}

static void
shared_release (Shared *shared)
{
  g_atomic_rc_box_release_full (shared, shared_clear);
}

typedef struct
{
  guint generation;
  PbRunItem *item;           /* keeps trained alive; released on the main thread */
  const PbRun *trained;
  Shared *next;              /* a reference, or NULL to set the next run up */
  PbTrainSettings settings;
  char *data_dir;
  int epoch;
  guint32 shuffle_seed;
  int max_pairs;
} Request;

typedef struct
{
  PbPairSample sample;
  Shared *built;             /* the next run, when the worker set it up */
} Result;

struct _PbPairPreview
{
  GObject parent_instance;

  Shared *next;
  guint generation;
  gboolean busy;
  GCancellable *cancellable;
  Result *result;
};

G_DEFINE_TYPE (PbPairPreview, pb_pair_preview, G_TYPE_OBJECT)

enum {
  READY,
  FAILED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
request_free (gpointer data)
{
  Request *req = data;

  /* The item was released on the main thread by the callback. */
  g_warn_if_fail (req->item == NULL);
  if (req->next != NULL)
    shared_release (req->next);
  g_free (req->data_dir);
  g_free (req);
}

static void
sample_clear (PbPairSample *s)
{
  g_free (s->before);
  g_free (s->after);
  g_free (s->classes);
  g_free (s->info);
  g_free (s->angles);
  memset (s, 0, sizeof *s);
}

static void
result_free (Result *result)
{
  if (result == NULL)
    return;
  sample_clear (&result->sample);
  if (result->built != NULL)
    shared_release (result->built);
  g_free (result);
}

static int *
shuffled_order (int     n,
                guint32 seed)
{
  int *order = g_new (int, MAX (n, 1));
  PbRng rng;

  for (int i = 0; i < n; i++)
    order[i] = i;
  pb_rng_seed (&rng, seed, 7);
  pb_rng_shuffle (&rng, order, n);
  return order;
}

static gboolean
draw_sample (const PbRun   *run,
             const Request *req,
             PbPairSample  *out,
             GError       **error)
{
  const PbTrainSettings *s = pb_run_settings (run);
  const PbPairs *train = pb_run_train_pairs (run);
  const PbPairs *augmented = pb_run_augmented_pairs (run);
  const float *angles = pb_run_augment_angles (run);

  out->settings = *s;
  out->per_epoch = pb_run_augments_per_epoch (run);
  if (out->per_epoch)
    {
      int n_orig_images = 2 * train->n;
      g_autofree PbAugmentInfo *info = g_new0 (PbAugmentInfo, MAX (augmented->n, 1));
      g_autofree int *order = shuffled_order (augmented->n, req->shuffle_seed);
      PbPairs pairs;
      PbError err = { { 0 } };
      PbStatus status;

      out->epoch = CLAMP (req->epoch, 1, s->epochs);
      status = pb_run_epoch_pairs (run, out->epoch, &pairs, info, &err);
      if (status != PB_OK)
        return pb_set_error_from_status (error, status, &err);
      out->n_total = augmented->n;
      out->n = MIN (augmented->n, req->max_pairs);
      out->before = g_new (float, (gsize) MAX (out->n, 1) * PB_PAIR_FLOATS);
      out->after = g_new (float, (gsize) MAX (out->n, 1) * PB_PAIR_FLOATS);
      out->classes = g_new (guint8, 2 * MAX (out->n, 1));
      out->info = g_new (PbAugmentInfo, MAX (out->n, 1));
      for (int k = 0; k < out->n; k++)
        {
          int p = order[k];
          int first = info[p].swapped ? 1 : 0;

          for (int h = 0; h < 2; h++)
            memcpy (out->before + (gsize) k * PB_PAIR_FLOATS + h * PB_IMAGE_PIXELS,
                    augmented->images + (gsize) (info[p].slot[h ^ first] % n_orig_images)
                                          * PB_IMAGE_PIXELS,
                    PB_IMAGE_PIXELS * sizeof (float));
          memcpy (out->after + (gsize) k * PB_PAIR_FLOATS,
                  pairs.images + (gsize) p * PB_PAIR_FLOATS, PB_PAIR_FLOATS * sizeof (float));
          out->classes[2 * k] = pairs.classes[2 * p];
          out->classes[2 * k + 1] = pairs.classes[2 * p + 1];
          out->info[k] = info[p];
        }
      pb_pairs_clear (&pairs);
    }
  else
    {
      gboolean rotated = angles != NULL && augmented->n >= 2 * train->n;
      g_autofree int *order = shuffled_order (train->n, req->shuffle_seed);

      out->n_total = train->n;
      out->n = MIN (train->n, req->max_pairs);
      out->before = g_new (float, (gsize) MAX (out->n, 1) * PB_PAIR_FLOATS);
      out->after = rotated ? g_new (float, (gsize) MAX (out->n, 1) * PB_PAIR_FLOATS) : NULL;
      out->angles = rotated ? g_new (float, 2 * MAX (out->n, 1)) : NULL;
      out->classes = g_new (guint8, 2 * MAX (out->n, 1));
      for (int k = 0; k < out->n; k++)
        {
          int i = order[k];

          memcpy (out->before + (gsize) k * PB_PAIR_FLOATS,
                  train->images + (gsize) i * PB_PAIR_FLOATS, PB_PAIR_FLOATS * sizeof (float));
          if (rotated)
            {
              memcpy (out->after + (gsize) k * PB_PAIR_FLOATS,
                      augmented->images + (gsize) (train->n + i) * PB_PAIR_FLOATS,
                      PB_PAIR_FLOATS * sizeof (float));
              out->angles[2 * k] = angles[2 * i];
              out->angles[2 * k + 1] = angles[2 * i + 1];
            }
          out->classes[2 * k] = train->classes[2 * i];
          out->classes[2 * k + 1] = train->classes[2 * i + 1];
        }
    }
  return TRUE;
}

static void
request_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  Request *req = task_data;
  Result *result = g_new0 (Result, 1);
  const PbRun *run = req->trained;
  GError *error = NULL;

  if (run == NULL && req->next != NULL)
    run = req->next->run;
  if (run == NULL)
    {
      const PbMnist *mnist = pb_mnist_cache_get (req->data_dir, &error);
      PbRun *built = NULL;
      PbError err = { { 0 } };
      PbStatus status;

      if (mnist == NULL)
        goto failed;
      status = pb_run_new (&req->settings, mnist, &built, &err);
      if (!pb_set_error_from_status (&error, status, &err))
        goto failed;
      result->built = g_atomic_rc_box_new0 (Shared);
      result->built->run = built;
      run = built;
    }
  if (g_cancellable_set_error_if_cancelled (cancellable, &error))
    goto failed;
  if (!draw_sample (run, req, &result->sample, &error))
    goto failed;
  g_task_return_pointer (task, result, (GDestroyNotify) result_free);
  return;

failed:
  result_free (result);
  g_task_return_error (task, error);
}

static void
request_done (GObject      *source,
              GAsyncResult *res,
              gpointer      user_data)
{
  PbPairPreview *self = PB_PAIR_PREVIEW (source);
  Request *req = g_task_get_task_data (G_TASK (res));
  g_autoptr(GError) error = NULL;
  Result *result = g_task_propagate_pointer (G_TASK (res), &error);

  g_clear_object (&req->item);
  if (req->generation != self->generation)
    {
      result_free (result);
      return;
    }
  self->busy = FALSE;
  g_clear_object (&self->cancellable);
  if (result == NULL)
    {
      g_signal_emit (self, signals[FAILED], 0, error);
      return;
    }
  if (result->built != NULL)
    {
      if (self->next != NULL)
        shared_release (self->next);
      self->next = g_steal_pointer (&result->built);
    }
  result_free (self->result);
  self->result = result;
  g_signal_emit (self, signals[READY], 0);
}

static void
pb_pair_preview_dispose (GObject *object)
{
  PbPairPreview *self = PB_PAIR_PREVIEW (object);

  pb_pair_preview_cancel (self);
  G_OBJECT_CLASS (pb_pair_preview_parent_class)->dispose (object);
}

static void
pb_pair_preview_finalize (GObject *object)
{
  PbPairPreview *self = PB_PAIR_PREVIEW (object);

  if (self->next != NULL)
    shared_release (self->next);
  result_free (self->result);

  G_OBJECT_CLASS (pb_pair_preview_parent_class)->finalize (object);
}

static void
pb_pair_preview_class_init (PbPairPreviewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = pb_pair_preview_dispose;
  object_class->finalize = pb_pair_preview_finalize;

  signals[READY] = g_signal_new ("ready", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                 NULL, NULL, G_TYPE_NONE, 0);
  signals[FAILED] = g_signal_new ("failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
pb_pair_preview_init (PbPairPreview *self)
{
}

PbPairPreview *
pb_pair_preview_new (void)
{
  return g_object_new (PB_TYPE_PAIR_PREVIEW, NULL);
}

void
pb_pair_preview_request (PbPairPreview         *self,
                         PbRunItem             *run,
                         const PbTrainSettings *settings,
                         const char            *data_dir,
                         int                    epoch,
                         guint32                shuffle_seed,
                         int                    max_pairs)
{
  g_autoptr(GTask) task = NULL;
  Request *req;

  g_return_if_fail (PB_IS_PAIR_PREVIEW (self));
  g_return_if_fail (run == NULL || pb_run_item_get_run (run) != NULL);
  g_return_if_fail (run != NULL || settings != NULL);
  g_return_if_fail (max_pairs >= 1);

  pb_pair_preview_cancel (self);
  req = g_new0 (Request, 1);
  req->generation = ++self->generation;
  if (run != NULL)
    {
      req->item = g_object_ref (run);
      req->trained = pb_run_item_get_run (run);
    }
  else
    {
      req->settings = *settings;
      req->data_dir = g_strdup (data_dir);
      req->next = self->next != NULL ? g_atomic_rc_box_acquire (self->next) : NULL;
    }
  req->epoch = epoch;
  req->shuffle_seed = shuffle_seed;
  req->max_pairs = max_pairs;

  self->busy = TRUE;
  self->cancellable = g_cancellable_new ();
  task = g_task_new (self, self->cancellable, request_done, NULL);
  g_task_set_task_data (task, req, request_free);
  g_task_run_in_thread (task, request_thread);
}

void
pb_pair_preview_invalidate (PbPairPreview *self)
{
  g_return_if_fail (PB_IS_PAIR_PREVIEW (self));

  if (self->next != NULL)
    shared_release (self->next);
  self->next = NULL;
}

void
pb_pair_preview_cancel (PbPairPreview *self)
{
  g_return_if_fail (PB_IS_PAIR_PREVIEW (self));

  /* A worker already running finishes; its result is dropped by its generation. */
  self->generation++;
  self->busy = FALSE;
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
}

gboolean
pb_pair_preview_get_busy (PbPairPreview *self)
{
  g_return_val_if_fail (PB_IS_PAIR_PREVIEW (self), FALSE);
  return self->busy;
}

const PbPairSample *
pb_pair_preview_get_sample (PbPairPreview *self)
{
  g_return_val_if_fail (PB_IS_PAIR_PREVIEW (self), NULL);
  return self->result != NULL ? &self->result->sample : NULL;
}
