/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pb-run-item"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "pb-run-item.h"
#include "pb-run-name.h"

struct _PbRunItem
{
  GObject parent_instance;

  PbTrainSettings settings;
  char *arch_name;
  gsize param_count;
  guint color_index;
  char *label;
  gboolean shown;
  PbRunStatus status;
  PbStatus core_status;
  char *message;

  GArray *epochs;
  GArray *batches;
  GArray *lr_changes;
  gboolean paused;
  guint batches_per_epoch;
  double elapsed;
  int batches_at_stop;

  PbRun *run;
  guint8 *pred_labels;
  float *pred_prob1;
  guint8 *pred_digits;

  char *loaded_path;
  PbModel *loaded_model;
  PbPairs loaded_test;
  PbEvaluation loaded_evaluation;
  double loaded_mean;
  double loaded_std;

  PbModel *snapshot;
  int snapshot_epoch;
  double snapshot_mean;
  double snapshot_std;
  PbPairs snapshot_test;
};

G_DEFINE_TYPE (PbRunItem, pb_run_item, G_TYPE_OBJECT)

/* g_set_str () arrived in GLib 2.76. */
static gboolean
replace_str (char       **ptr,
             const char  *value)
{
  if (g_strcmp0 (*ptr, value) == 0)
    return FALSE;
  g_free (*ptr);
  *ptr = g_strdup (value);
  return TRUE;
}

G_DEFINE_ENUM_TYPE (PbRunStatus, pb_run_status,
                    G_DEFINE_ENUM_VALUE (PB_RUN_STATUS_PENDING, "pending"),
                    G_DEFINE_ENUM_VALUE (PB_RUN_STATUS_RUNNING, "running"),
                    G_DEFINE_ENUM_VALUE (PB_RUN_STATUS_FINISHED, "finished"),
                    G_DEFINE_ENUM_VALUE (PB_RUN_STATUS_CANCELLED, "cancelled"),
                    G_DEFINE_ENUM_VALUE (PB_RUN_STATUS_FAILED, "failed"))

enum {
  PROP_0,
  PROP_LABEL,
  PROP_SHOWN,
  PROP_STATUS,
  PROP_N_EPOCHS,
  PROP_MODIFIED,
  PROP_PAUSED,
  PROP_SNAPSHOT_EPOCH,
  N_PROPS
};

enum {
  CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
pb_run_item_finalize (GObject *object)
{
  PbRunItem *self = PB_RUN_ITEM (object);

  g_free (self->arch_name);
  g_free (self->label);
  g_free (self->message);
  g_array_unref (self->epochs);
  g_array_unref (self->batches);
  g_array_unref (self->lr_changes);
  g_clear_pointer (&self->run, pb_run_free);
  g_free (self->pred_labels);
  g_free (self->pred_prob1);
  g_free (self->pred_digits);
  g_free (self->loaded_path);
  g_clear_pointer (&self->loaded_model, pb_model_free);
  pb_pairs_clear (&self->loaded_test);
  g_clear_pointer (&self->snapshot, pb_model_free);
  pb_pairs_clear (&self->snapshot_test);

  G_OBJECT_CLASS (pb_run_item_parent_class)->finalize (object);
}

static void
pb_run_item_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  PbRunItem *self = PB_RUN_ITEM (object);

  switch (prop_id)
    {
    case PROP_LABEL:
      g_value_set_string (value, self->label);
      break;
    case PROP_SHOWN:
      g_value_set_boolean (value, self->shown);
      break;
    case PROP_STATUS:
      g_value_set_enum (value, self->status);
      break;
    case PROP_N_EPOCHS:
      g_value_set_uint (value, self->epochs->len);
      break;
    case PROP_MODIFIED:
      g_value_set_boolean (value, self->lr_changes->len > 0);
      break;
    case PROP_PAUSED:
      g_value_set_boolean (value, self->paused);
      break;
    case PROP_SNAPSHOT_EPOCH:
      g_value_set_int (value, self->snapshot_epoch);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pb_run_item_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  PbRunItem *self = PB_RUN_ITEM (object);

  switch (prop_id)
    {
    case PROP_LABEL:
      pb_run_item_set_label (self, g_value_get_string (value));
      break;
    case PROP_SHOWN:
      pb_run_item_set_shown (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pb_run_item_class_init (PbRunItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = pb_run_item_finalize;
  object_class->get_property = pb_run_item_get_property;
  object_class->set_property = pb_run_item_set_property;

  properties[PROP_LABEL] =
    g_param_spec_string ("label", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SHOWN] =
    g_param_spec_boolean ("shown", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATUS] =
    g_param_spec_enum ("status", NULL, NULL, PB_TYPE_RUN_STATUS, PB_RUN_STATUS_PENDING,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_EPOCHS] =
    g_param_spec_uint ("n-epochs", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /* Its learning rate was changed while it trained. */
  properties[PROP_MODIFIED] =
    g_param_spec_boolean ("modified", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /* Its trainer holds it between batches. */
  properties[PROP_PAUSED] =
    g_param_spec_boolean ("paused", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_SNAPSHOT_EPOCH] =
    g_param_spec_int ("snapshot-epoch", NULL, NULL, 0, G_MAXINT, 0,
                      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* New records arrived. */
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
pb_run_item_init (PbRunItem *self)
{
  self->shown = TRUE;
  self->batches_at_stop = -1;
  self->epochs = g_array_new (FALSE, TRUE, sizeof (PbEpochRecord));
  self->batches = g_array_new (FALSE, TRUE, sizeof (PbBatchRecord));
  self->lr_changes = g_array_new (FALSE, TRUE, sizeof (PbLrChange));
}

PbRunItem *
pb_run_item_new (const PbTrainSettings *settings,
                 guint                  color_index)
{
  PbRunItem *self = g_object_new (PB_TYPE_RUN_ITEM, NULL);
  PbRunName name;
  g_autofree char *head = NULL;
  g_autofree char *seed = NULL;

  self->settings = *settings;
  self->arch_name = g_strdup (pb_arch_name (&settings->arch));
  self->param_count = pb_arch_param_count (&settings->arch);
  self->color_index = color_index;
  pb_run_name_describe (settings, &name);
  head = name.n_differences > 0 ? g_strconcat (name.base, " · ", name.differences, NULL)
                                : g_strdup (name.base);
  seed = g_strdup_printf ("%" G_GUINT64_FORMAT, (guint64) name.seed);
  /* Translators: a run's label: the model or preset and the settings that differ from it, then
   * the seed, e.g. "siamese-aux · seed 7" or "siamese-aux · k3 · lr 0.002 · seed 3" */
  self->label = g_strdup_printf (_("%s · seed %s"), head, seed);
  return self;
}

const PbTrainSettings *
pb_run_item_get_settings (PbRunItem *self)
{
  g_return_val_if_fail (PB_IS_RUN_ITEM (self), NULL);
  return &self->settings;
}

const char *
pb_run_item_get_arch_name (PbRunItem *self)
{
  g_return_val_if_fail (PB_IS_RUN_ITEM (self), NULL);
  return self->arch_name;
}

gsize
pb_run_item_get_param_count (PbRunItem *self)
{
  g_return_val_if_fail (PB_IS_RUN_ITEM (self), 0);
  return self->param_count;
}

guint
pb_run_item_get_color_index (PbRunItem *self)
{
  g_return_val_if_fail (PB_IS_RUN_ITEM (self), 0);
  return self->color_index;
}

const char *
pb_run_item_get_label (PbRunItem *self)
{
  g_return_val_if_fail (PB_IS_RUN_ITEM (self), NULL);
  return self->label;
}

void
pb_run_item_set_label (PbRunItem  *self,
                       const char *label)
{
  g_return_if_fail (PB_IS_RUN_ITEM (self));

  if (label == NULL || label[0] == '\0')
    return;
  if (replace_str (&self->label, label))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LABEL]);
}

gboolean
pb_run_item_get_shown (PbRunItem *self)
{
  g_return_val_if_fail (PB_IS_RUN_ITEM (self), FALSE);
  return self->shown;
}

void
pb_run_item_set_shown (PbRunItem *self,
                       gboolean   shown)
{
  g_return_if_fail (PB_IS_RUN_ITEM (self));

  shown = !!shown;
  if (self->shown == shown)
    return;
  self->shown = shown;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SHOWN]);
}

PbRunStatus
pb_run_item_get_status (PbRunItem *self)
{
  g_return_val_if_fail (PB_IS_RUN_ITEM (self), PB_RUN_STATUS_PENDING);
  return self->status;
}

void
pb_run_item_set_status (PbRunItem   *self,
                        PbRunStatus  status,
                        const char  *message)
{
  g_return_if_fail (PB_IS_RUN_ITEM (self));

  replace_str (&self->message, message);
  if (self->status == status)
    return;
  self->status = status;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS]);
}

const char *
pb_run_item_get_message (PbRunItem *self)
{
  g_return_val_if_fail (PB_IS_RUN_ITEM (self), NULL);
  return self->message;
}

PbStatus
pb_run_item_get_core_status (PbRunItem *self)
{
  g_return_val_if_fail (PB_IS_RUN_ITEM (self), PB_OK);
  return self->core_status;
}

void
pb_run_item_set_core_status (PbRunItem *self,
                             PbStatus   status)
{
  g_return_if_fail (PB_IS_RUN_ITEM (self));
  self->core_status = status;
}

const PbEpochRecord *
pb_run_item_get_epochs (PbRunItem *self,
                        guint     *n)
{
  g_return_val_if_fail (PB_IS_RUN_ITEM (self), NULL);
  *n = self->epochs->len;
  return (const PbEpochRecord *) (gpointer) self->epochs->data;
}

const PbBatchRecord *
pb_run_item_get_batches (PbRunItem *self,
                         guint     *n)
{
  g_return_val_if_fail (PB_IS_RUN_ITEM (self), NULL);
  *n = self->batches->len;
  return (const PbBatchRecord *) (gpointer) self->batches->data;
}

guint
pb_run_item_get_batches_per_epoch (PbRunItem *self)
{
  g_return_val_if_fail (PB_IS_RUN_ITEM (self), 0);
  return self->batches_per_epoch;
}

void
pb_run_item_set_batches_per_epoch (PbRunItem *self,
                                   guint      n)
{
  g_return_if_fail (PB_IS_RUN_ITEM (self));
  self->batches_per_epoch = n;
}

void
pb_run_item_append (PbRunItem           *self,
                    const PbBatchRecord *batches,
                    guint                n_batches,
                    const PbEpochRecord *epochs,
                    guint                n_epochs)
{
  g_return_if_fail (PB_IS_RUN_ITEM (self));

  if (n_batches == 0 && n_epochs == 0)
    return;
  g_array_append_vals (self->batches, batches, n_batches);
  g_array_append_vals (self->epochs, epochs, n_epochs);
  if (n_epochs > 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_EPOCHS]);
  g_signal_emit (self, signals[CHANGED], 0);
}

const PbLrChange *
pb_run_item_get_lr_changes (PbRunItem *self,
                            guint     *n)
{
  g_return_val_if_fail (PB_IS_RUN_ITEM (self), NULL);
  *n = self->lr_changes->len;
  return (const PbLrChange *) (gpointer) self->lr_changes->data;
}

void
pb_run_item_append_lr_changes (PbRunItem        *self,
                               const PbLrChange *changes,
                               guint             n)
{
  gboolean was_modified;

  g_return_if_fail (PB_IS_RUN_ITEM (self));

  if (n == 0)
    return;
  was_modified = self->lr_changes->len > 0;
  g_array_append_vals (self->lr_changes, changes, n);
  if (!was_modified)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODIFIED]);
  g_signal_emit (self, signals[CHANGED], 0);
}

void
pb_run_item_set_paused (PbRunItem *self,
                        gboolean   paused)
{
  g_return_if_fail (PB_IS_RUN_ITEM (self));

  paused = !!paused;
  if (self->paused == paused)
    return;
  self->paused = paused;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PAUSED]);
}

gboolean
pb_run_item_get_paused (PbRunItem *self)
{
  g_return_val_if_fail (PB_IS_RUN_ITEM (self), FALSE);
  return self->paused;
}

gboolean
pb_run_item_get_modified (PbRunItem *self)
{
  g_return_val_if_fail (PB_IS_RUN_ITEM (self), FALSE);
  return self->lr_changes->len > 0;
}

double
pb_run_item_get_lr (PbRunItem *self)
{
  g_return_val_if_fail (PB_IS_RUN_ITEM (self), 0);
  if (self->lr_changes->len > 0)
    return g_array_index (self->lr_changes, PbLrChange, self->lr_changes->len - 1).lr;
  return self->settings.lr;
}

char *
pb_run_item_describe_lr_changes (PbRunItem *self)
{
  GString *text;

  g_return_val_if_fail (PB_IS_RUN_ITEM (self), NULL);

  if (self->lr_changes->len == 0)
    return NULL;
  text = g_string_new (NULL);
  for (guint i = 0; i < self->lr_changes->len; i++)
    {
      const PbLrChange *c = &g_array_index (self->lr_changes, PbLrChange, i);

      if (i > 0)
        g_string_append_c (text, '\n');
      if (c->step == 0)
        /* Translators: a learning-rate change made before the first batch */
        g_string_append_printf (text, _("Before the first batch: learning rate %g"),
                                (double) c->lr);
      else
        /* Translators: a learning-rate change; batch number, epoch number, new rate */
        g_string_append_printf (text, _("After batch %d (epoch %d): learning rate %g"),
                                c->step, c->epoch, (double) c->lr);
    }
  return g_string_free (text, FALSE);
}

double
pb_run_item_get_elapsed (PbRunItem *self)
{
  g_return_val_if_fail (PB_IS_RUN_ITEM (self), 0);
  return self->elapsed;
}

void
pb_run_item_set_elapsed (PbRunItem *self,
                         double     seconds)
{
  g_return_if_fail (PB_IS_RUN_ITEM (self));
  self->elapsed = seconds;
}

char *
pb_run_item_format_epoch_progress (PbRunItem *self)
{
  guint done;
  int planned;

  g_return_val_if_fail (PB_IS_RUN_ITEM (self), NULL);
  done = self->epochs->len;
  planned = self->settings.epochs;
  if (self->status == PB_RUN_STATUS_RUNNING && done < (guint) planned)
    /* Translators: the epoch a run is training, e.g. "epoch 5 of 25 in progress" */
    return g_strdup_printf (_("epoch %u of %d in progress"), done + 1, planned);
  /* Translators: the epochs a run completed, e.g. "4 of 25 epochs done" */
  return g_strdup_printf (ngettext ("%u of %d epoch done", "%u of %d epochs done", planned),
                          done, planned);
}

int
pb_run_item_get_batches_at_stop (PbRunItem *self)
{
  g_return_val_if_fail (PB_IS_RUN_ITEM (self), -1);
  return self->batches_at_stop;
}

void
pb_run_item_set_batches_at_stop (PbRunItem *self,
                                 int        n)
{
  g_return_if_fail (PB_IS_RUN_ITEM (self));
  self->batches_at_stop = n;
}

void
pb_run_item_take_run (PbRunItem *self,
                      PbRun     *run,
                      guint8    *labels,
                      float     *prob1,
                      guint8    *digits)
{
  g_return_if_fail (PB_IS_RUN_ITEM (self));

  g_clear_pointer (&self->run, pb_run_free);
  g_free (self->pred_labels);
  g_free (self->pred_prob1);
  g_free (self->pred_digits);
  self->run = run;
  self->pred_labels = labels;
  self->pred_prob1 = prob1;
  self->pred_digits = digits;
}

PbRun *
pb_run_item_get_run (PbRunItem *self)
{
  g_return_val_if_fail (PB_IS_RUN_ITEM (self), NULL);
  return self->run;
}

gboolean
pb_run_item_get_predictions (PbRunItem     *self,
                             const guint8 **labels,
                             const float  **prob1,
                             const guint8 **digits)
{
  g_return_val_if_fail (PB_IS_RUN_ITEM (self), FALSE);

  if ((self->run == NULL && self->loaded_model == NULL) || self->pred_labels == NULL)
    return FALSE;
  *labels = self->pred_labels;
  *prob1 = self->pred_prob1;
  *digits = self->pred_digits;
  return TRUE;
}

void
pb_run_item_take_loaded (PbRunItem          *self,
                         const char         *path,
                         PbModel            *model,
                         double              input_mean,
                         double              input_std,
                         PbPairs            *test,
                         const PbEvaluation *evaluation,
                         guint8             *labels,
                         float              *prob1,
                         guint8             *digits)
{
  g_return_if_fail (PB_IS_RUN_ITEM (self));
  g_return_if_fail (model != NULL && test != NULL);

  pb_run_item_take_run (self, NULL, labels, prob1, digits);
  replace_str (&self->loaded_path, path);
  g_clear_pointer (&self->loaded_model, pb_model_free);
  pb_pairs_clear (&self->loaded_test);
  self->loaded_model = model;
  self->loaded_test = *test;
  memset (test, 0, sizeof *test);
  self->loaded_evaluation = *evaluation;
  self->loaded_mean = input_mean;
  self->loaded_std = input_std;
  pb_run_item_set_status (self, PB_RUN_STATUS_FINISHED, NULL);
}

const char *
pb_run_item_get_loaded_path (PbRunItem *self)
{
  g_return_val_if_fail (PB_IS_RUN_ITEM (self), NULL);
  return self->loaded_path;
}

const PbEvaluation *
pb_run_item_get_loaded_evaluation (PbRunItem *self)
{
  g_return_val_if_fail (PB_IS_RUN_ITEM (self), NULL);
  return self->loaded_model != NULL ? &self->loaded_evaluation : NULL;
}

PbModel *
pb_run_item_get_model (PbRunItem *self)
{
  g_return_val_if_fail (PB_IS_RUN_ITEM (self), NULL);
  if (self->loaded_model != NULL)
    return self->loaded_model;
  return self->run != NULL ? pb_run_model (self->run) : NULL;
}

const PbPairs *
pb_run_item_get_test_pairs (PbRunItem *self)
{
  g_return_val_if_fail (PB_IS_RUN_ITEM (self), NULL);
  if (self->loaded_model != NULL)
    return &self->loaded_test;
  return self->run != NULL ? pb_run_test_pairs (self->run) : NULL;
}

void
pb_run_item_get_input_stats (PbRunItem *self,
                             double    *mean,
                             double    *std)
{
  g_return_if_fail (PB_IS_RUN_ITEM (self));
  if (self->loaded_model != NULL)
    {
      *mean = self->loaded_mean;
      *std = self->loaded_std;
    }
  else if (self->run != NULL)
    {
      *mean = pb_run_input_mean (self->run);
      *std = pb_run_input_std (self->run);
    }
  else
    *mean = *std = 0;
}

void
pb_run_item_set_snapshot (PbRunItem     *self,
                          const PbModel *model,
                          int            epoch,
                          double         input_mean,
                          double         input_std,
                          const PbPairs *test)
{
  PbError err = { { 0 } };

  g_return_if_fail (PB_IS_RUN_ITEM (self));
  g_return_if_fail (model != NULL && test != NULL);

  if (self->snapshot == NULL &&
      pb_model_new (pb_model_arch (model), 1, &self->snapshot, &err) != PB_OK)
    {
      g_warning ("Could not keep the weights of %s: %s", self->label, err.message);
      return;
    }
  if (self->snapshot_test.n == 0)
    {
      if (pb_pairs_alloc (test->n, &self->snapshot_test, &err) != PB_OK)
        {
          g_warning ("Could not keep the test pairs of %s: %s", self->label, err.message);
          return;
        }
      memcpy (self->snapshot_test.images, test->images,
              (gsize) test->n * PB_PAIR_FLOATS * sizeof (float));
      memcpy (self->snapshot_test.classes, test->classes, (gsize) test->n * 2);
      memcpy (self->snapshot_test.labels, test->labels, (gsize) test->n);
      if (test->source != NULL)
        memcpy (self->snapshot_test.source, test->source, (gsize) test->n * 2 * sizeof (int));
    }
  pb_model_copy_weights (self->snapshot, model);
  self->snapshot_mean = input_mean;
  self->snapshot_std = input_std;
  self->snapshot_epoch = epoch;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SNAPSHOT_EPOCH]);
}

gboolean
pb_run_item_get_snapshot (PbRunItem      *self,
                          PbModel       **model,
                          int            *epoch,
                          double         *input_mean,
                          double         *input_std,
                          const PbPairs **test)
{
  g_return_val_if_fail (PB_IS_RUN_ITEM (self), FALSE);

  if (self->snapshot == NULL || self->snapshot_epoch == 0)
    return FALSE;
  *model = self->snapshot;
  *epoch = self->snapshot_epoch;
  *input_mean = self->snapshot_mean;
  *input_std = self->snapshot_std;
  *test = &self->snapshot_test;
  return TRUE;
}
