/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pb-export"

#include "config.h"

#include <math.h>
#include <string.h>
#include <glib/gi18n.h>

#include "pb-core.h"
#include "pb-export.h"
#include "pb-json.h"
#include "pb-plot.h"
#include "pb-safetensors.h"
#include "pb-util.h"
#include "pb-window.h"

static const char *const format_names[] = { "png", "svg", "pdf" };

const char *
pb_figure_format_extension (PbFigureFormat format)
{
  g_return_val_if_fail (format <= PB_FIGURE_PDF, "png");
  return format_names[format];
}

gboolean
pb_figure_format_from_name (const char     *name,
                            PbFigureFormat *out)
{
  for (guint i = 0; i < G_N_ELEMENTS (format_names); i++)
    if (g_ascii_strcasecmp (name, format_names[i]) == 0)
      {
        *out = (PbFigureFormat) i;
        return TRUE;
      }
  return FALSE;
}

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

AdwToast *
pb_export_saved_toast (const char *path)
{
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *uri = g_filename_to_uri (dir, NULL, NULL);
  g_autofree char *title = NULL;
  AdwToast *toast;

  /* Translators: a toast after a file was written; the file's full path */
  title = g_strdup_printf (_("Saved %s"), path);
  toast = adw_toast_new (title);
  adw_toast_set_timeout (toast, 6);
  if (uri != NULL)
    {
      adw_toast_set_button_label (toast, _("Open Folder"));
      adw_toast_set_action_name (toast, "win.open-folder");
      adw_toast_set_action_target_value (toast, g_variant_new_string (uri));
    }
  return toast;
}

void
pb_export_show_error (GtkWindow  *parent,
                      const char *heading,
                      const char *message)
{
  GtkWidget *dialog = adw_message_dialog_new (parent, heading, message);

  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "close");
  gtk_window_present (GTK_WINDOW (dialog));
}

typedef struct
{
  GtkWindow *parent;
  gboolean figure;
  PbSaveFunc save;
  PbSaveStyledFunc save_styled;  /* instead of save: a figure with the colours choice */
  gpointer data;
  GDestroyNotify destroy;
} SaveDialog;

static void
save_dialog_free (SaveDialog *sd)
{
  if (sd->destroy != NULL)
    sd->destroy (sd->data);
  g_clear_object (&sd->parent);
  g_free (sd);
}

static const struct
{
  const char *id;
  const char *label;
  double width_pt;
} widths[] = {
  { "text", N_("Text width (390 pt)"), 390 },
  { "column", N_("One column (252 pt)"), 252 },
  { "page", N_("Full page (504 pt)"), 504 },
  { "slide", N_("Slide (720 pt)"), 720 },
};

static void
on_save_response (GtkNativeDialog *native,
                  int              response,
                  SaveDialog      *sd)
{
  g_autoptr(GFile) file = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  PbFigureFormat format = PB_FIGURE_PDF;
  double width_pt = widths[0].width_pt;

  if (response != GTK_RESPONSE_ACCEPT)
    goto out;
  file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (native));
  path = file != NULL ? g_file_get_path (file) : NULL;
  if (path == NULL)
    goto out;

  if (sd->figure)
    {
      const char *fmt = gtk_file_chooser_get_choice (GTK_FILE_CHOOSER (native), "format");
      const char *width = gtk_file_chooser_get_choice (GTK_FILE_CHOOSER (native), "width");
      const char *dot = strrchr (path, '.');

      PbFigureFormat named;
      gboolean has_ext = dot != NULL && strchr (dot, '/') == NULL &&
                         pb_figure_format_from_name (dot + 1, &named);

      /* The chosen format wins, unless the name's extension was changed to another format. */
      if (fmt == NULL || !pb_figure_format_from_name (fmt, &format))
        format = PB_FIGURE_PDF;
      if (has_ext && named != PB_FIGURE_PDF)
        format = named;
      if (has_ext)
        path[dot - path] = '\0';
      {
        char *with_ext = g_strconcat (path, ".", pb_figure_format_extension (format), NULL);

        g_free (path);
        path = with_ext;
      }
      for (guint i = 0; i < G_N_ELEMENTS (widths); i++)
        if (g_strcmp0 (width, widths[i].id) == 0)
          width_pt = widths[i].width_pt;
    }

  if (sd->save_styled != NULL
      ? !sd->save_styled (path, width_pt,
                          g_strcmp0 (gtk_file_chooser_get_choice (GTK_FILE_CHOOSER (native),
                                                                  "colours"), "dark") == 0,
                          sd->data, &error)
      : !sd->save (path, width_pt, sd->data, &error))
    {
      pb_export_show_error (sd->parent, _("Could Not Save the File"), error->message);
      goto out;
    }
  {
    g_autoptr(GSettings) settings = g_settings_new (PB_SCHEMA_ID);
    g_autofree char *folder = g_path_get_dirname (path);

    g_settings_set_string (settings, "export-folder", folder);
  }
  if (PB_IS_WINDOW (sd->parent))
    pb_window_add_toast (PB_WINDOW (sd->parent), pb_export_saved_toast (path));

out:
  save_dialog_free (sd);
  g_object_unref (native);
}

static void
run_dialog (const char *title,
            const char *suggested_name,
            SaveDialog *sd)
{
  GtkWindow *parent = sd->parent;
  gboolean figure = sd->figure;
  GtkFileChooserNative *native;

  native = gtk_file_chooser_native_new (title, parent, GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"),
                                        _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (native), TRUE);
  {
    g_autoptr(GSettings) settings = g_settings_new (PB_SCHEMA_ID);
    g_autofree char *folder = g_settings_get_string (settings, "export-folder");

    if (folder[0] != '\0' && g_file_test (folder, G_FILE_TEST_IS_DIR))
      {
        g_autoptr(GFile) dir = g_file_new_for_path (folder);
        gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (native), dir, NULL);
      }
  }
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (native), suggested_name);
  if (figure)
    {
      const char *format_ids[] = { "pdf", "svg", "png", NULL };
      const char *format_labels[] = { _("PDF (vector)"), _("SVG (vector)"),
                                      _("PNG (144 pixels per inch)"), NULL };
      const char *width_ids[G_N_ELEMENTS (widths) + 1] = { NULL };
      const char *width_labels[G_N_ELEMENTS (widths) + 1] = { NULL };

      for (guint i = 0; i < G_N_ELEMENTS (widths); i++)
        {
          width_ids[i] = widths[i].id;
          width_labels[i] = _(widths[i].label);
        }
      gtk_file_chooser_add_choice (GTK_FILE_CHOOSER (native), "format", _("Format"),
                                   format_ids, format_labels);
      gtk_file_chooser_set_choice (GTK_FILE_CHOOSER (native), "format", "pdf");
      gtk_file_chooser_add_choice (GTK_FILE_CHOOSER (native), "width", _("Width"), width_ids,
                                   width_labels);
      gtk_file_chooser_set_choice (GTK_FILE_CHOOSER (native), "width", "text");
    }
  if (sd->save_styled != NULL)
    {
      const char *ids[] = { "light", "dark", NULL };
      const char *labels[] = { _("Light (for print)"), _("Dark (as on screen)"), NULL };

      gtk_file_chooser_add_choice (GTK_FILE_CHOOSER (native), "colours", _("Colours"), ids,
                                   labels);
      gtk_file_chooser_set_choice (GTK_FILE_CHOOSER (native), "colours", "light");
    }
  g_signal_connect (native, "response", G_CALLBACK (on_save_response), sd);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (native));
}

static SaveDialog *
save_dialog_new (GtkWindow      *parent,
                 gboolean        figure,
                 gpointer        data,
                 GDestroyNotify  destroy)
{
  SaveDialog *sd = g_new0 (SaveDialog, 1);

  sd->parent = parent ? g_object_ref (parent) : NULL;
  sd->figure = figure;
  sd->data = data;
  sd->destroy = destroy;
  return sd;
}

void
pb_export_run_save_dialog (GtkWindow      *parent,
                           const char     *title,
                           const char     *suggested_name,
                           gboolean        figure,
                           PbSaveFunc      save,
                           gpointer        data,
                           GDestroyNotify  destroy)
{
  SaveDialog *sd = save_dialog_new (parent, figure, data, destroy);

  sd->save = save;
  run_dialog (title, suggested_name, sd);
}

void
pb_export_run_styled_save_dialog (GtkWindow        *parent,
                                  const char       *title,
                                  const char       *suggested_name,
                                  PbSaveStyledFunc  save,
                                  gpointer          data,
                                  GDestroyNotify    destroy)
{
  SaveDialog *sd = save_dialog_new (parent, TRUE, data, destroy);

  sd->save_styled = save;
  run_dialog (title, suggested_name, sd);
}
