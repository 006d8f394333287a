/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "pb-sweeper.h"
#include "pb-sweep-plot-view.h"

G_BEGIN_DECLS

#define PB_TYPE_SWEEP_VIEW (pb_sweep_view_get_type ())
G_DECLARE_FINAL_TYPE (PbSweepView, pb_sweep_view, PB, SWEEP_VIEW, GtkWidget)

/* The Sweep page: a sweep's settings (method, trials, rounds, validation pairs, and per parameter
 * its values or a range), run on the Train page's settings as the base, or a sweep opened from a
 * file; the parallel coordinates with brushes, the trials table (filtered by the brushes,
 * sortable on every column) and the scatter of val_error against the most important parameter,
 * filled in as units finish. Emits "use-settings" (a const PbTrainSettings *, the trial 0-based)
 * for "Use These Settings". */
PbSweeper       *pb_sweep_view_get_sweeper (PbSweepView *self);
PbSweepPlotView *pb_sweep_view_get_plot (PbSweepView *self, PbSweepPlotKind kind);

/* The settings pane, as the user would set it (tests): method "random", "grid" or "halving";
 * names[i] is swept as specs[i], in the pane's syntax ("64, 96, 128", "0.0005–0.005 log"). */
void     pb_sweep_view_set_run (PbSweepView *self, const char *method, int trials, int rounds,
                                int val_pairs);
void     pb_sweep_view_set_parameters (PbSweepView *self, const char *const *names,
                                       const char *const *specs);
/* The config the pane describes. */
gboolean pb_sweep_view_build_config (PbSweepView *self, PbSweepConfig *out, GError **error);

/* The table as shown (brushes and sort applied): the trial column, one per swept parameter,
 * val_error, the parameter count and the epochs. */
guint    pb_sweep_view_get_n_rows (PbSweepView *self);
guint    pb_sweep_view_get_n_columns (PbSweepView *self);
char    *pb_sweep_view_get_cell (PbSweepView *self, guint row, guint column);
void     pb_sweep_view_sort (PbSweepView *self, guint column, GtkSortType order);
void     pb_sweep_view_select_row (PbSweepView *self, guint row);
/* The selected row's trial (0-based), or −1. */
int      pb_sweep_view_get_selected_trial (PbSweepView *self);

gboolean pb_sweep_view_open_from (PbSweepView *self, const char *path, GError **error);
/* what: "parcoords" or "scatter" (PNG, SVG or PDF by the extension, width in points), or
 * "table" (.csv, .md or .tex). */
gboolean pb_sweep_view_export_to (PbSweepView *self, const char *what, const char *path,
                                  double width, GError **error);
/* The selected trial's settings as the user's preset name. */
gboolean pb_sweep_view_save_preset (PbSweepView *self, const char *name, GError **error);

G_END_DECLS
