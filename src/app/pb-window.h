/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "pb-compare-page.h"
#include "pb-curve-view.h"
#include "pb-embedding-view.h"
#include "pb-export.h"
#include "pb-inspect-view.h"
#include "pb-sweep-view.h"
#include "pb-trainer.h"

G_BEGIN_DECLS

#define PB_TYPE_WINDOW (pb_window_get_type ())
G_DECLARE_FINAL_TYPE (PbWindow, pb_window, PB, WINDOW, AdwApplicationWindow)

PbWindow    *pb_window_new (GtkApplication *application);
/* The session's runs, a GListModel of PbRunItem, oldest first. */
GListModel  *pb_window_get_runs (PbWindow *self);
PbTrainer   *pb_window_get_trainer (PbWindow *self);
PbCurveView *pb_window_get_curve_view (PbWindow *self, PbCurveKind kind);
/* The status line, e.g. "Finished siamese-aux · seed 1". */
const char  *pb_window_get_status_text (PbWindow *self);
/* Why Start is disabled, or NULL. */
const char  *pb_window_get_problem (PbWindow *self);

/* Export and import, without the file chooser (tests). */
PbEmbeddingView *pb_window_get_embedding_view (PbWindow *self);
/* The loss and error charts one above the other; height follows width. */
gboolean     pb_window_export_curves (PbWindow *self, const char *path, double width_pt,
                                      GError **error);
/* dark: the on-screen dark colours instead of the light ones files get by default. */
gboolean     pb_window_export_curves_full (PbWindow *self, const char *path, double width_pt,
                                           gboolean dark, GError **error);
/* Appends the run when the weights are loaded and evaluated; errors go to a dialog. */
void         pb_window_open_weights (PbWindow *self, const char *path);

/* Shows a test pair of a run on the Inspect page (the Samples view's mistakes, the maps). */
void         pb_window_inspect_pair (PbWindow *self, PbRunItem *run, int index);
PbInspectView *pb_window_get_inspect_view (PbWindow *self);

/* The Compare page (tests drive it through its compare.* actions). */
PbComparePage *pb_window_get_compare_page (PbWindow *self);
/* The Sweep page (tests drive it through its sweep.* actions). */
PbSweepView   *pb_window_get_sweep_view (PbWindow *self);

G_END_DECLS
