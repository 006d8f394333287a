/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <cairo.h>

#include "pb-run-item.h"

G_BEGIN_DECLS

/* Files a user takes away: figures through cairo's PNG, SVG and PDF surfaces, the runs' metrics
 * as CSV, weights as safetensors, and weights read back. Every write goes to a temporary file
 * that is renamed over the target, so a failure leaves an old file intact. Failures come back
 * as a GError for the caller to show; nothing here shows a dialog or a toast. */

/* Draws a figure of width × height (points) into cr. */
typedef void (*PbFigureDrawFunc) (cairo_t *cr, double width, double height, gpointer data);

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

/* A run's name made fit for a file name: " · " and slashes become "-" and other spaces are
 * dropped, e.g. "siamese-aux · k3 · seed 3" → "siamese-aux-k3-seed3". */
char *pb_export_file_stem (const char *name);

G_END_DECLS
