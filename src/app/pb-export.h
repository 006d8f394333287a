/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "pb-run-item.h"

G_BEGIN_DECLS

/* Files a user takes away: figures through cairo's PNG, SVG and PDF surfaces, the runs' metrics
 * as CSV, weights as safetensors, and weights read back. Every write goes to a temporary file
 * that is renamed over the target, so a failure leaves an old file intact. */

typedef enum
{
  PB_FIGURE_PNG,
  PB_FIGURE_SVG,
  PB_FIGURE_PDF,
} PbFigureFormat;

/* Draws a figure of width × height (points) into cr. */
typedef void (*PbFigureDrawFunc) (cairo_t *cr, double width, double height, gpointer data);

const char *pb_figure_format_extension (PbFigureFormat format);
gboolean    pb_figure_format_from_name (const char *name, PbFigureFormat *out);

/* PNG, SVG or PDF by the name's extension, through pb_plot_export (pb-plot.h): PNGs get
 * PB_PLOT_PNG_SCALE pixels per point, SVGs a <title> and <desc> with the figure's text. */
gboolean pb_export_figure (const char *path, double width_pt, double height_pt,
                           PbFigureDrawFunc draw, gpointer data, const char *title,
                           const char *description, GError **error);

/* Every epoch of every run (GListModel of PbRunItem), one row each:
 * run,model,seed,epoch,train_loss,train_main_loss,train_aux_loss,train_error,test_error,
 * digit_error,chunk_sd,seconds,lr,lr_changes
 * lr: the learning rate of the epoch's last batch; lr_changes: changes made during the epoch,
 * space-separated "step:lr" (from batch step + 1 on), empty for none. */
char    *pb_metrics_csv (GListModel *runs);
gboolean pb_export_metrics_csv (GListModel *runs, const char *path, GError **error);

/* The format and names of `pairbench-cli train --weights`. */
gboolean pb_export_weights (PbRunItem *item, const char *path, GError **error);

/* Loads weights, draws the test pairs of the run that made them (its seed and test-pairs
 * setting) and evaluates the model on them, on a worker thread. */
void       pb_load_weights_async (const char *path, const char *data_dir,
                                  GCancellable *cancellable, GAsyncReadyCallback callback,
                                  gpointer user_data);
PbRunItem *pb_load_weights_finish (GAsyncResult *result, guint color_index, GError **error);

/* Saving through GtkFileChooserNative. figure adds the format and width choices. */
typedef gboolean (*PbSaveFunc) (const char *path, double width_pt, gpointer data,
                                GError **error);
void pb_export_run_save_dialog (GtkWindow *parent, const char *title, const char *suggested_name,
                                gboolean figure, PbSaveFunc save, gpointer data,
                                GDestroyNotify destroy);
/* A figure that can also be drawn in the on-screen dark colours: the same dialog with a
 * Colours choice, light (for print) by default or dark. */
typedef gboolean (*PbSaveStyledFunc) (const char *path, double width_pt, gboolean dark,
                                      gpointer data, GError **error);
void pb_export_run_styled_save_dialog (GtkWindow *parent, const char *title,
                                       const char *suggested_name, PbSaveStyledFunc save,
                                       gpointer data, GDestroyNotify destroy);
/* A toast saying where the file went, with an Open Folder button (win.open-folder). */
AdwToast *pb_export_saved_toast (const char *path);
void      pb_export_show_error (GtkWindow *parent, const char *heading, const char *message);

G_END_DECLS
