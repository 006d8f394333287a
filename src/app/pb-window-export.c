/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pb-window"

#include "config.h"

#include <glib/gi18n.h>

#include "pb-export.h"
#include "pb-file-dialog.h"
#include "pb-uninstalled.h"
#include "pb-window-private.h"

/* Writes the chosen file; the window shows the error or the saved toast. */
typedef gboolean (*SaveFunc) (PbWindow *self, const char *path, double width_pt, gpointer data,
                              GError **error);

typedef struct
{
  SaveFunc save;
  gpointer data;
  GDestroyNotify destroy;
} Save;

static void
save_free (Save *save)
{
  if (save->destroy != NULL)
    save->destroy (save->data);
  g_free (save);
}

/* A toast saying where the file went, with an Open Folder button. */
static void
show_saved (PbWindow   *self,
            const char *path)
{
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
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

/* Pages that wrote a file say so through this action, so that they need not know the window. */
static void
show_saved_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  show_saved (PB_WINDOW (widget), g_variant_get_string (parameter, NULL));
}

/* The outcome of a save: nothing when cancelled, else the error or the saved toast. */
static void
show_outcome (PbWindow     *self,
              const char   *path,
              gboolean      saved,
              const GError *error)
{
  if (saved)
    show_saved (self, path);
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    _pb_window_show_error (self, _("Could Not Save the File"), error->message, FALSE);
}

static void
on_save_chosen (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  PbWindow *self = PB_WINDOW (source);
  Save *save = user_data;
  g_autoptr(GError) error = NULL;
  double width_pt;
  g_autofree char *path = pb_file_dialog_run_finish (result, &width_pt, &error);
  gboolean saved = path != NULL && save->save (self, path, width_pt, save->data, &error);

  show_outcome (self, path, saved, error);
  save_free (save);
}

static void
on_curves_chosen (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  PbWindow *self = PB_WINDOW (source);
  g_autoptr(GError) error = NULL;
  double width_pt;
  g_autofree char *path = pb_file_dialog_run_finish (result, &width_pt, &error);
  gboolean saved = path != NULL &&
                   pb_window_export_curves_full (self, path, width_pt,
                                                 pb_file_dialog_get_dark (result), &error);

  show_outcome (self, path, saved, error);
}

static void
run_save_dialog (PbWindow         *self,
                 PbFileDialogMode  mode,
                 const char       *title,
                 const char       *suggested_name,
                 SaveFunc          func,
                 gpointer          data,
                 GDestroyNotify    destroy)
{
  Save *save = g_new0 (Save, 1);

  save->save = func;
  save->data = data;
  save->destroy = destroy;
  pb_file_dialog_run (GTK_WIDGET (self), mode, title, suggested_name, NULL, on_save_chosen, save);
}

static gboolean
save_curves_csv (PbWindow    *self,
                 const char  *path,
                 double       width_pt,
                 gpointer     data,
                 GError     **error)
{
  PbCurveView *views[] = { self->loss_view, self->error_view };

  return pb_curve_view_export_csv (views, G_N_ELEMENTS (views), path, error);
}

static void
export_curves_csv_action (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *parameter)
{
  run_save_dialog (PB_WINDOW (widget), PB_FILE_DIALOG_SAVE, _("Export the Curves as CSV"),
                   _("curves.csv"), save_curves_csv, NULL, NULL);
}

static gboolean
save_metrics (PbWindow    *self,
              const char  *path,
              double       width_pt,
              gpointer     data,
              GError     **error)
{
  return pb_export_metrics_csv (G_LIST_MODEL (self->runs), path, error);
}

static gboolean
save_weights (PbWindow    *self,
              const char  *path,
              double       width_pt,
              gpointer     data,
              GError     **error)
{
  return pb_export_weights (data, path, error);
}

static void
export_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  PbWindow *self = PB_WINDOW (widget);

  if (g_strcmp0 (adw_view_stack_get_visible_child_name (self->stack), "embedding") == 0)
    {
      gtk_widget_activate_action (GTK_WIDGET (self->embedding_view), "embedding.export", NULL);
      return;
    }
  if (g_strcmp0 (adw_view_stack_get_visible_child_name (self->stack), "compare") == 0)
    {
      gtk_widget_activate_action (GTK_WIDGET (self->compare_page), "compare.export", "s",
                                  "small-multiples");
      return;
    }
  pb_file_dialog_run (widget, PB_FILE_DIALOG_SAVE_STYLED_FIGURE, _("Export the Curves"),
                      _("curves.pdf"), NULL, on_curves_chosen, NULL);
}

static void
export_metrics_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  run_save_dialog (PB_WINDOW (widget), PB_FILE_DIALOG_SAVE, _("Export Every Run’s Metrics"),
                   _("metrics.csv"), save_metrics, NULL, NULL);
}

static PbRunItem *
last_run_with_weights (PbWindow *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->runs));

  for (guint i = n; i-- > 0;)
    {
      g_autoptr(PbRunItem) item = g_list_model_get_item (G_LIST_MODEL (self->runs), i);

      if (pb_run_item_get_model (item) != NULL && pb_run_item_get_loaded_path (item) == NULL)
        return item;
    }
  return NULL;
}

static void
export_weights_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  PbWindow *self = PB_WINDOW (widget);
  PbRunItem *item = last_run_with_weights (self);
  g_autofree char *title = NULL;
  g_autofree char *stem = NULL;
  g_autofree char *name = NULL;

  if (item == NULL)
    {
      _pb_window_show_error (self, _("No Trained Weights Yet"),
                             _("Train a run for at least one epoch; its weights can then be "
                               "saved."), FALSE);
      return;
    }
  /* Translators: file chooser title; the run's name */
  title = g_strdup_printf (_("Save the Weights of %s"), pb_run_item_get_label (item));
  stem = pb_export_file_stem (pb_run_item_get_label (item));
  name = g_strconcat (stem, ".safetensors", NULL);
  run_save_dialog (self, PB_FILE_DIALOG_SAVE, title, name, save_weights, g_object_ref (item),
                   g_object_unref);
}

static void
on_weights_loaded (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(PbWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PbRunItem) item = pb_load_weights_finish (result, self->next_color, &error);
  g_autofree char *text = NULL;

  if (item == NULL)
    {
      _pb_window_show_error (self, _("Could Not Open the Weights"), error->message, FALSE);
      return;
    }
  self->next_color++;
  g_list_store_append (self->runs, item);
  pb_samples_view_set_mistakes_run (self->samples_view, item);
  pb_embedding_view_select_run (self->embedding_view, item);
  text = g_strdup_printf (_("Opened %s: test error %.1f\u00a0%% on %d fresh test pairs"),
                          pb_run_item_get_label (item),
                          100 * pb_run_item_get_loaded_evaluation (item)->error,
                          pb_run_item_get_test_pairs (item)->n);
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (text));
}

void
pb_window_open_weights (PbWindow   *self,
                        const char *path)
{
  g_autofree char *setting = NULL;
  g_autofree char *data_dir = NULL;

  g_return_if_fail (PB_IS_WINDOW (self));

  setting = g_settings_get_string (self->settings, "data-dir");
  data_dir = pb_resolve_data_dir (setting);
  pb_load_weights_async (path, data_dir, NULL, on_weights_loaded, g_object_ref (self));
}

static void
on_open_chosen (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = pb_file_dialog_run_finish (result, NULL, &error);

  if (path != NULL)
    pb_window_open_weights (PB_WINDOW (source), path);
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    _pb_window_show_error (PB_WINDOW (source), _("Could Not Open the Weights"), error->message,
                           FALSE);
}

static void
open_weights_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  const char *filters[] = { _("Weights (safetensors)"), "*.safetensors", NULL };

  pb_file_dialog_run (widget, PB_FILE_DIALOG_OPEN, _("Open Weights"), NULL, filters,
                      on_open_chosen, NULL);
}

static void
open_folder_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  gtk_show_uri (GTK_WINDOW (widget), g_variant_get_string (parameter, NULL), GDK_CURRENT_TIME);
}

void
_pb_window_class_init_export (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "win.export", NULL, export_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_e, GDK_CONTROL_MASK, "win.export",
                                       NULL);
  gtk_widget_class_install_action (widget_class, "win.export-metrics", NULL,
                                   export_metrics_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_e,
                                       GDK_CONTROL_MASK | GDK_SHIFT_MASK, "win.export-metrics",
                                       NULL);
  gtk_widget_class_install_action (widget_class, "win.export-curves-csv", NULL,
                                   export_curves_csv_action);
  gtk_widget_class_install_action (widget_class, "win.export-weights", NULL,
                                   export_weights_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_s, GDK_CONTROL_MASK,
                                       "win.export-weights", NULL);
  gtk_widget_class_install_action (widget_class, "win.open-weights", NULL, open_weights_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_o, GDK_CONTROL_MASK,
                                       "win.open-weights", NULL);
  gtk_widget_class_install_action (widget_class, "win.open-folder", "s", open_folder_action);
  gtk_widget_class_install_action (widget_class, "win.show-saved", "s", show_saved_action);
}
