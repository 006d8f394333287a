/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* The app's one file chooser (GtkFileChooserNative). Every dialog starts in the folder of the
 * last file saved, the export-folder setting, and an accepted save remembers its folder. It only
 * picks the file: the caller writes or reads it and shows the result. */

typedef enum
{
  PB_FILE_DIALOG_OPEN,
  PB_FILE_DIALOG_SAVE,
  /* A save with the format (PDF, SVG, PNG) and width choices. The chosen format's extension
   * replaces the name's, unless the name was given another of the three. */
  PB_FILE_DIALOG_SAVE_FIGURE,
  /* A figure that can also be drawn in the on-screen dark colours: the figure's choices and a
   * Colours choice, light (for print) by default. */
  PB_FILE_DIALOG_SAVE_STYLED_FIGURE,
} PbFileDialogMode;

/* widget's window parents the dialog, and the callback gets widget as its source object.
 * filters: NULL, or pairs of a name and a glob pattern, NULL-terminated. suggested_name: saves
 * only. Cancelling the dialog, or the window going away, ends it with G_IO_ERROR_CANCELLED. */
void  pb_file_dialog_run (GtkWidget *widget, PbFileDialogMode mode, const char *title,
                          const char *suggested_name, const char *const *filters,
                          GAsyncReadyCallback callback, gpointer user_data);
/* The chosen file's path. width_pt (may be NULL) gets the figure's width in points, the default
 * text width for other modes. */
char *pb_file_dialog_run_finish (GAsyncResult *result, double *width_pt, GError **error);
/* Whether the dark colours were chosen (PB_FILE_DIALOG_SAVE_STYLED_FIGURE only). */
gboolean pb_file_dialog_get_dark (GAsyncResult *result);

G_END_DECLS
