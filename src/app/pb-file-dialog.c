/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pb-file-dialog"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "pb-file-dialog.h"

static const char *const format_names[] = { "pdf", "svg", "png" };

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

typedef struct
{
  GtkFileChooserNative *native;  /* held until it answers */
  PbFileDialogMode mode;
  GtkWindow *window;
  gulong destroy_id;
  double width_pt;
  gboolean dark;
} Request;

static void on_response (GtkNativeDialog *native, int response, GTask *task);

static void
request_free (gpointer data)
{
  Request *r = data;

  g_clear_signal_handler (&r->destroy_id, r->window);
  g_clear_object (&r->window);
  if (r->native != NULL)
    {
      g_signal_handlers_disconnect_matched (r->native, G_SIGNAL_MATCH_FUNC, 0, 0, NULL,
                                            on_response, NULL);
      gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (r->native));
      g_clear_object (&r->native);
    }
  g_free (r);
}

static const char *
format_of (const char *name)
{
  for (guint i = 0; name != NULL && i < G_N_ELEMENTS (format_names); i++)
    if (g_ascii_strcasecmp (name, format_names[i]) == 0)
      return format_names[i];
  return NULL;
}

/* The chosen format wins, unless the name's extension was changed to another of the three. */
static char *
figure_path (GtkFileChooser *chooser,
             const char     *path)
{
  const char *chosen = format_of (gtk_file_chooser_get_choice (chooser, "format"));
  const char *dot = strrchr (path, '.');
  const char *named = dot != NULL && strchr (dot, '/') == NULL ? format_of (dot + 1) : NULL;
  const char *format = chosen != NULL ? chosen : "pdf";
  g_autofree char *stem = named != NULL ? g_strndup (path, (gsize) (dot - path))
                                        : g_strdup (path);

  if (named != NULL && !g_str_equal (named, "pdf"))
    format = named;
  return g_strconcat (stem, ".", format, NULL);
}

static double
figure_width (GtkFileChooser *chooser)
{
  const char *id = gtk_file_chooser_get_choice (chooser, "width");

  for (guint i = 0; i < G_N_ELEMENTS (widths); i++)
    if (g_strcmp0 (id, widths[i].id) == 0)
      return widths[i].width_pt;
  return widths[0].width_pt;
}

static void
on_response (GtkNativeDialog *native,
             int              response,
             GTask           *task)
{
  Request *r = g_task_get_task_data (task);
  GtkFileChooser *chooser = GTK_FILE_CHOOSER (native);
  g_autoptr(GFile) file = NULL;
  g_autofree char *path = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (chooser);
  path = file != NULL ? g_file_get_path (file) : NULL;
  if (file == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "%s", _("Cancelled"));
      g_object_unref (task);
      return;
    }
  if (path == NULL)
    {
      g_autofree char *uri = g_file_get_uri (file);

      /* Translators: the chosen file is on a remote location the app cannot write to directly */
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                               _("%s: expected a local file"), uri);
      g_object_unref (task);
      return;
    }
  if (r->mode == PB_FILE_DIALOG_SAVE_FIGURE || r->mode == PB_FILE_DIALOG_SAVE_STYLED_FIGURE)
    {
      char *with_ext = figure_path (chooser, path);

      g_free (path);
      path = with_ext;
      r->width_pt = figure_width (chooser);
      r->dark = r->mode == PB_FILE_DIALOG_SAVE_STYLED_FIGURE &&
                g_strcmp0 (gtk_file_chooser_get_choice (chooser, "colours"), "dark") == 0;
    }
  if (r->mode != PB_FILE_DIALOG_OPEN)
    {
      g_autoptr(GSettings) settings = g_settings_new (PB_SCHEMA_ID);
      g_autofree char *folder = g_path_get_dirname (path);

      g_settings_set_string (settings, "export-folder", folder);
    }
  g_task_return_pointer (task, g_steal_pointer (&path), g_free);
  g_object_unref (task);
}

static void
on_window_destroy (GtkWindow *window,
                   GTask     *task)
{
  Request *r = g_task_get_task_data (task);

  /* No answer can come for a window that is gone; the dialog closes with it. */
  g_clear_signal_handler (&r->destroy_id, r->window);
  if (r->native != NULL)
    g_signal_handlers_disconnect_matched (r->native, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL, task);
  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "%s",
                           _("The window was closed"));
  g_object_unref (task);
}

static void
add_figure_choices (GtkFileChooser *chooser)
{
  const char *format_labels[] = { _("PDF (vector)"), _("SVG (vector)"),
                                  _("PNG (144 pixels per inch)"), NULL };
  const char *format_ids[G_N_ELEMENTS (format_names) + 1] = { NULL };
  const char *width_ids[G_N_ELEMENTS (widths) + 1] = { NULL };
  const char *width_labels[G_N_ELEMENTS (widths) + 1] = { NULL };

  for (guint i = 0; i < G_N_ELEMENTS (format_names); i++)
    format_ids[i] = format_names[i];
  for (guint i = 0; i < G_N_ELEMENTS (widths); i++)
    {
      width_ids[i] = widths[i].id;
      width_labels[i] = _(widths[i].label);
    }
  gtk_file_chooser_add_choice (chooser, "format", _("Format"), format_ids, format_labels);
  gtk_file_chooser_set_choice (chooser, "format", "pdf");
  gtk_file_chooser_add_choice (chooser, "width", _("Width"), width_ids, width_labels);
  gtk_file_chooser_set_choice (chooser, "width", widths[0].id);
}

void
pb_file_dialog_run (GtkWidget           *widget,
                    PbFileDialogMode     mode,
                    const char          *title,
                    const char          *suggested_name,
                    const char *const   *filters,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data)
{
  GTask *task;
  Request *r;
  GtkRoot *root;
  GtkFileChooser *chooser;
  g_autoptr(GSettings) settings = NULL;
  g_autofree char *folder = NULL;

  g_return_if_fail (GTK_IS_WIDGET (widget));
  g_return_if_fail (title != NULL);

  task = g_task_new (widget, NULL, callback, user_data);
  g_task_set_source_tag (task, pb_file_dialog_run);
  r = g_new0 (Request, 1);
  r->mode = mode;
  r->width_pt = widths[0].width_pt;
  g_task_set_task_data (task, r, request_free);

  root = gtk_widget_get_root (widget);
  if (GTK_IS_WINDOW (root))
    r->window = g_object_ref (GTK_WINDOW (root));
  r->native = gtk_file_chooser_native_new (title, r->window,
                                           mode == PB_FILE_DIALOG_OPEN
                                           ? GTK_FILE_CHOOSER_ACTION_OPEN
                                           : GTK_FILE_CHOOSER_ACTION_SAVE,
                                           mode == PB_FILE_DIALOG_OPEN ? _("_Open") : _("_Save"),
                                           _("_Cancel"));
  chooser = GTK_FILE_CHOOSER (r->native);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (r->native), TRUE);

  settings = g_settings_new (PB_SCHEMA_ID);
  folder = g_settings_get_string (settings, "export-folder");
  if (folder[0] != '\0' && g_file_test (folder, G_FILE_TEST_IS_DIR))
    {
      g_autoptr(GFile) dir = g_file_new_for_path (folder);
      gtk_file_chooser_set_current_folder (chooser, dir, NULL);
    }
  if (mode != PB_FILE_DIALOG_OPEN && suggested_name != NULL)
    gtk_file_chooser_set_current_name (chooser, suggested_name);
  for (guint i = 0; filters != NULL && filters[i] != NULL && filters[i + 1] != NULL; i += 2)
    {
      g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();

      gtk_file_filter_set_name (filter, filters[i]);
      gtk_file_filter_add_pattern (filter, filters[i + 1]);
      gtk_file_chooser_add_filter (chooser, filter);
    }
  if (mode == PB_FILE_DIALOG_SAVE_FIGURE || mode == PB_FILE_DIALOG_SAVE_STYLED_FIGURE)
    add_figure_choices (chooser);
  if (mode == PB_FILE_DIALOG_SAVE_STYLED_FIGURE)
    {
      const char *ids[] = { "light", "dark", NULL };
      const char *labels[] = { _("Light (for print)"), _("Dark (as on screen)"), NULL };

      gtk_file_chooser_add_choice (chooser, "colours", _("Colours"), ids, labels);
      gtk_file_chooser_set_choice (chooser, "colours", "light");
    }

  /* The task holds itself until the dialog answers or its window goes. */
  g_signal_connect (r->native, "response", G_CALLBACK (on_response), task);
  if (r->window != NULL)
    r->destroy_id = g_signal_connect (r->window, "destroy", G_CALLBACK (on_window_destroy), task);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (r->native));
}

char *
pb_file_dialog_run_finish (GAsyncResult  *result,
                           double        *width_pt,
                           GError       **error)
{
  char *path;

  g_return_val_if_fail (G_IS_TASK (result), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == pb_file_dialog_run, NULL);

  path = g_task_propagate_pointer (G_TASK (result), error);
  if (path != NULL && width_pt != NULL)
    *width_pt = ((Request *) g_task_get_task_data (G_TASK (result)))->width_pt;
  return path;
}

gboolean
pb_file_dialog_get_dark (GAsyncResult *result)
{
  g_return_val_if_fail (G_IS_TASK (result), FALSE);
  return ((Request *) g_task_get_task_data (G_TASK (result)))->dark;
}
