/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pb-export"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "pb-core-error.h"
#include "pb-core.h"
#include "pb-export.h"
#include "pb-json.h"
#include "pb-mnist-cache.h"
#include "pb-plot.h"
#include "pb-safetensors.h"


static gboolean
write_atomic (const char  *path,
              const void  *data,
              gsize        len,
              GError     **error)
{
  PbError err = { { 0 } };

  return pb_set_error_from_status (error, pb_write_file_atomic (path, data, len, &err), &err);
}

gboolean
pb_export_figure (const char        *path,
                  double             width_pt,
                  double             height_pt,
                  PbFigureDrawFunc   draw,
                  gpointer           data,
                  const char        *title,
                  const char        *description,
                  GError           **error)
{
  g_return_val_if_fail (path != NULL && draw != NULL, FALSE);
  return pb_plot_export (path, width_pt, height_pt, draw, data, title, description, error);
}

static void
append_csv_field (PbStr      *out,
                  const char *text)
{
  if (strpbrk (text, ",\"\n\r") == NULL)
    {
      pb_str_append (out, text);
      return;
    }
  pb_str_append (out, "\"");
  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '"')
        pb_str_append (out, "\"");
      pb_str_append_len (out, p, 1);
    }
  pb_str_append (out, "\"");
}

/* ",lr,lr_changes": the rate of the epoch's last batch, and the changes made during the epoch as
 * space-separated "step:lr" (the change applies from batch step + 1 on). */
static void
append_lr_fields (PbStr                 *out,
                  const PbTrainSettings *s,
                  int                    epoch,
                  const PbBatchRecord   *br,
                  guint                  nb,
                  guint                  bpe,
                  const PbLrChange      *ch,
                  guint                  nc)
{
  guint last = (guint) epoch * bpe;
  const char *sep = "";

  pb_str_append (out, ",");
  /* Batch records run from step 1 without gaps. */
  pb_str_append_float (out, bpe > 0 && last >= 1 && last <= nb ? br[last - 1].lr : s->lr);
  pb_str_append (out, ",");
  for (guint c = 0; c < nc; c++)
    if (ch[c].epoch == epoch)
      {
        pb_str_printf (out, "%s%d:", sep, ch[c].step);
        pb_str_append_float (out, ch[c].lr);
        sep = " ";
      }
}

char *
pb_metrics_csv (GListModel *runs)
{
  guint n = g_list_model_get_n_items (runs);
  PbStr out;
  char *result;

  pb_str_init (&out);
  pb_str_append (&out, "run,model,seed,epoch,train_loss,train_main_loss,train_aux_loss,"
                       "train_error,test_error,digit_error,chunk_sd,seconds,lr,lr_changes\n");
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(PbRunItem) item = g_list_model_get_item (runs, i);
      const PbTrainSettings *s = pb_run_item_get_settings (item);
      guint ne, nb, nc;
      const PbEpochRecord *er = pb_run_item_get_epochs (item, &ne);
      const PbBatchRecord *br = pb_run_item_get_batches (item, &nb);
      const PbLrChange *ch = pb_run_item_get_lr_changes (item, &nc);
      guint bpe = pb_run_item_get_batches_per_epoch (item);

      for (guint e = 0; e < ne; e++)
        {
          const double values[] = {
            er[e].train_loss, er[e].train_main_loss, er[e].train_aux_loss, er[e].train_error,
            er[e].test_error, er[e].digit_error, er[e].chunk_sd, er[e].seconds,
          };

          append_csv_field (&out, pb_run_item_get_label (item));
          pb_str_printf (&out, ",%s,%" G_GUINT64_FORMAT ",%d", pb_run_item_get_arch_name (item),
                         (guint64) s->seed, er[e].epoch);
          for (guint k = 0; k < G_N_ELEMENTS (values); k++)
            {
              pb_str_append (&out, ",");
              pb_str_append_double (&out, values[k]);
            }
          append_lr_fields (&out, s, er[e].epoch, br, nb, bpe, ch, nc);
          pb_str_append (&out, "\n");
        }
    }
  g_assert (!out.failed);
  result = g_strndup (out.data, out.len);
  pb_str_clear (&out);
  return result;
}

gboolean
pb_export_metrics_csv (GListModel  *runs,
                       const char  *path,
                       GError     **error)
{
  g_autofree char *csv = pb_metrics_csv (runs);

  return write_atomic (path, csv, strlen (csv), error);
}

gboolean
pb_export_weights (PbRunItem   *item,
                   const char  *path,
                   GError     **error)
{
  PbModel *model = pb_run_item_get_model (item);
  PbError err = { { 0 } };
  double mean, std;
  const PbLrChange *changes;
  guint n_changes;

  if (model == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
                   _("%s has no trained weights yet"), pb_run_item_get_label (item));
      return FALSE;
    }
  pb_run_item_get_input_stats (item, &mean, &std);
  changes = pb_run_item_get_lr_changes (item, &n_changes);
  return pb_set_error_from_status (error,
                                   pb_safetensors_save_with_lr (
                                     path, model, pb_run_item_get_settings (item), mean, std,
                                     changes, (int) n_changes, &err),
                                   &err);
}

typedef struct
{
  char *path;
  char *data_dir;
  PbModel *model;
  PbWeightsInfo info;
  PbPairs test;
  PbEvaluation evaluation;
  guint8 *labels;
  float *prob1;
  guint8 *digits;
} LoadData;

static void
load_data_free (gpointer data)
{
  LoadData *ld = data;

  g_free (ld->path);
  g_free (ld->data_dir);
  g_clear_pointer (&ld->model, pb_model_free);
  pb_pairs_clear (&ld->test);
  g_free (ld->labels);
  g_free (ld->prob1);
  g_free (ld->digits);
  g_free (ld);
}

static void
load_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  LoadData *ld = task_data;
  GError *error = NULL;
  PbError err = { { 0 } };
  const PbMnist *mnist;
  PbStatus status;

  status = pb_safetensors_load (ld->path, 100, &ld->model, &ld->info, &err);
  if (status != PB_OK)
    goto fail;
  mnist = pb_mnist_cache_get (ld->data_dir, &error);
  if (mnist == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  status = pb_run_draw_pairs (&ld->info.settings, mnist, PB_SPLIT_TEST, &ld->test, &err);
  if (status != PB_OK)
    goto fail;
  status = pb_model_evaluate (ld->model, ld->info.input_mean, ld->info.input_std, &ld->test,
                              &ld->evaluation, &err);
  if (status != PB_OK)
    goto fail;
  ld->labels = g_new (guint8, ld->test.n);
  ld->prob1 = g_new (float, ld->test.n);
  ld->digits = g_new (guint8, 2 * (gsize) ld->test.n);
  status = pb_model_predict (ld->model, ld->info.input_mean, ld->info.input_std, &ld->test,
                             ld->labels, ld->prob1, ld->digits, &err);
  if (status != PB_OK)
    goto fail;
  g_task_return_boolean (task, TRUE);
  return;

fail:
  pb_set_error_from_status (&error, status, &err);
  g_task_return_error (task, error);
}

void
pb_load_weights_async (const char          *path,
                       const char          *data_dir,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  LoadData *ld = g_new0 (LoadData, 1);

  ld->path = g_strdup (path);
  ld->data_dir = g_strdup (data_dir);
  g_task_set_task_data (task, ld, load_data_free);
  g_task_set_source_tag (task, pb_load_weights_async);
  g_task_run_in_thread (task, load_thread);
}

PbRunItem *
pb_load_weights_finish (GAsyncResult  *result,
                        guint          color_index,
                        GError       **error)
{
  LoadData *ld;
  PbRunItem *item;
  g_autofree char *base = NULL;
  g_autofree char *label = NULL;

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return NULL;
  ld = g_task_get_task_data (G_TASK (result));
  item = pb_run_item_new (&ld->info.settings, color_index);
  base = g_path_get_basename (ld->path);
  /* Translators: the name of a run opened from a file: the file's name, then its model */
  label = g_strdup_printf (_("%s (%s)"), base, pb_arch_name (&ld->info.settings.arch));
  pb_run_item_set_label (item, label);
  pb_run_item_take_loaded (item, ld->path, g_steal_pointer (&ld->model), ld->info.input_mean,
                           ld->info.input_std, &ld->test, &ld->evaluation,
                           g_steal_pointer (&ld->labels), g_steal_pointer (&ld->prob1),
                           g_steal_pointer (&ld->digits));
  /* Weights saved from a run whose learning rate was changed open as "modified" too. */
  pb_run_item_append_lr_changes (item, ld->info.lr_changes, ld->info.n_lr_changes);
  return item;
}

char *
pb_export_file_stem (const char *name)
{
  g_auto(GStrv) parts = g_strsplit (name, " · ", -1);
  g_autofree char *joined = g_strjoinv ("-", parts);
  GString *out = g_string_new (NULL);

  for (const char *p = joined; *p != '\0'; p++)
    if (*p == '/' || *p == '\\')
      g_string_append_c (out, '-');
    else if (*p != ' ')
      g_string_append_c (out, *p);
  return g_string_free (out, FALSE);
}
