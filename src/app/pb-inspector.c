/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pb-inspector"

#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n.h>
#include <gio/gio.h>

#include "pb-inspector.h"
#include "pb-core-error.h"

struct _PbInspector
{
  GObject parent_instance;

  PbModel *model;           /* batch of one, the copy the pair runs through */
  gboolean has_weights;
  double mean, std;
  const PbPairs *test;      /* the run's; the inspector keeps a reference to the run */
  PbRunItem *run;
  int epoch;
  float *maps[PB_N_CONV];
  gsize maps_size[PB_N_CONV];
};

G_DEFINE_TYPE (PbInspector, pb_inspector, G_TYPE_OBJECT)

static void
pb_inspector_finalize (GObject *object)
{
  PbInspector *self = PB_INSPECTOR (object);

  g_clear_pointer (&self->model, pb_model_free);
  g_clear_object (&self->run);
  for (int l = 0; l < PB_N_CONV; l++)
    g_free (self->maps[l]);

  G_OBJECT_CLASS (pb_inspector_parent_class)->finalize (object);
}

static void
pb_inspector_class_init (PbInspectorClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = pb_inspector_finalize;
}

static void
pb_inspector_init (PbInspector *self)
{
}

PbInspector *
pb_inspector_new (void)
{
  return g_object_new (PB_TYPE_INSPECTOR, NULL);
}

/* The weights to show: the trained or loaded model, else the last epoch's snapshot of a run
 * that is training. */
static gboolean
run_weights (PbRunItem      *item,
             PbModel       **model,
             double         *mean,
             double         *std,
             const PbPairs **test,
             int            *epoch)
{
  guint ne;

  if (pb_run_item_get_model (item) != NULL)
    {
      *model = pb_run_item_get_model (item);
      pb_run_item_get_input_stats (item, mean, std);
      *test = pb_run_item_get_test_pairs (item);
      pb_run_item_get_epochs (item, &ne);
      *epoch = (int) ne;
      return *test != NULL;
    }
  return pb_run_item_get_snapshot (item, model, epoch, mean, std, test);
}

gboolean
pb_inspector_set_run (PbInspector  *self,
                      PbRunItem    *run,
                      GError      **error)
{
  PbModel *src;
  const PbArch *arch;
  PbError err = { { 0 } };
  PbStatus status;

  g_return_val_if_fail (PB_IS_INSPECTOR (self), FALSE);
  g_return_val_if_fail (run == NULL || PB_IS_RUN_ITEM (run), FALSE);

  g_set_object (&self->run, run);
  self->has_weights = FALSE;
  self->test = NULL;
  self->epoch = 0;
  if (run == NULL)
    return FALSE;
  if (!run_weights (run, &src, &self->mean, &self->std, &self->test, &self->epoch))
    {
      self->test = NULL;
      self->epoch = 0;
      return FALSE;
    }
  if (!(self->std > 0))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("The run’s input statistics are unusable (standard deviation %g)"),
                   self->std);
      self->epoch = 0;
      return FALSE;
    }
  arch = pb_model_arch (src);
  if (self->model != NULL && memcmp (pb_model_arch (self->model), arch, sizeof *arch) != 0)
    g_clear_pointer (&self->model, pb_model_free);
  if (self->model == NULL)
    {
      status = pb_model_new (arch, 1, &self->model, &err);
      if (status != PB_OK)
        {
          pb_set_error_from_status (error, status, &err);
          self->epoch = 0;
          return FALSE;
        }
    }
  pb_model_copy_weights (self->model, src);
  self->has_weights = TRUE;
  return TRUE;
}

const PbPairs *
pb_inspector_get_test_pairs (PbInspector *self)
{
  g_return_val_if_fail (PB_IS_INSPECTOR (self), NULL);
  return self->test;
}

int
pb_inspector_get_epoch (PbInspector *self)
{
  g_return_val_if_fail (PB_IS_INSPECTOR (self), 0);
  return self->epoch;
}

gboolean
pb_inspector_inspect (PbInspector   *self,
                      const PbPairs *pairs,
                      int            pair,
                      PbInspection  *out,
                      GError       **error)
{
  const PbArch *arch;
  const float *image, *logits, *main;
  float x[PB_PAIR_FLOATS];

  g_return_val_if_fail (PB_IS_INSPECTOR (self), FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  if (pairs == NULL)
    pairs = self->test;
  if (!self->has_weights || pairs == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("The run has no weights"));
      return FALSE;
    }
  if (pair < 0 || pair >= pairs->n)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("Test pair %d does not exist (expected 0 to %d)"), pair, pairs->n - 1);
      return FALSE;
    }

  memset (out, 0, sizeof *out);
  arch = pb_model_arch (self->model);
  out->kind = arch->kind;
  out->kernel = arch->kernel;
  memcpy (out->channels, arch->channels, sizeof out->channels);
  out->n_columns = pb_model_n_applications (self->model);
  out->epoch = self->epoch;
  out->pair = pair;

  image = pairs->images + (gsize) pair * PB_PAIR_FLOATS;
  out->images = image;
  out->classes[0] = pairs->classes[2 * pair];
  out->classes[1] = pairs->classes[2 * pair + 1];
  out->label = pb_pair_label (out->classes[0], out->classes[1]);
  for (int i = 0; i < PB_PAIR_FLOATS; i++)
    x[i] = (image[i] - (float) self->mean) * (float) (1.0 / self->std);
  pb_model_forward (self->model, x, 1, false, NULL);

  out->filter_group = arch->kind == PB_KIND_STACKED ? 2 : 1;
  for (int c = 0; c < out->n_columns; c++)
    {
      int trunk = arch->kind == PB_KIND_TWIN ? c : 0;
      g_autofree char *name = NULL;
      int t;

      out->trunk_prefix[c] = pb_model_trunk_prefix (self->model, trunk);
      name = g_strdup_printf ("%s.conv1.weight", pb_model_trunk_prefix (self->model, trunk));
      t = pb_model_find_tensor (self->model, name);
      g_assert (t >= 0);
      out->filters[c] = pb_model_tensor_data (self->model, t);
      out->filter_size = pb_model_tensor (self->model, t)->size;
    }

  for (int l = 0; l < PB_N_CONV; l++)
    {
      int side = pb_model_feature_side (self->model, l);
      gsize size = (gsize) arch->channels[l] * side * side;

      if (self->maps_size[l] < size * out->n_columns)
        {
          g_free (self->maps[l]);
          self->maps_size[l] = size * out->n_columns;
          self->maps[l] = g_new (float, self->maps_size[l]);
        }
      for (int c = 0; c < out->n_columns; c++)
        pb_model_feature_maps (self->model, c, l, 0, self->maps[l] + c * size);
      out->maps[l] = self->maps[l];
      out->map_side[l] = side;
    }

  logits = pb_model_digit_logits (self->model);
  memcpy (out->digit_logits, logits, sizeof out->digit_logits);
  main = pb_model_main_logits (self->model);
  out->head_probability = 1.0 / (1.0 + exp ((double) main[0] - main[1]));
  return TRUE;
}
