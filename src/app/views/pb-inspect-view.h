/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "pb-feature-grid.h"
#include "pb-logit-bars.h"
#include "pb-run-item.h"

G_BEGIN_DECLS

#define PB_TYPE_INSPECT_VIEW (pb_inspect_view_get_type ())
G_DECLARE_FINAL_TYPE (PbInspectView, pb_inspect_view, PB, INSPECT_VIEW, GtkWidget)

/* Inside the network for one test pair: per trunk application, the conv1 filters, every conv
 * layer's feature maps, the digit logits and the head's P(first > second); optionally a second
 * run beside the first on the same pair. Follows a training run epoch by epoch. */
GtkWidget *pb_inspect_view_new (void);
/* The runs to choose from, a GListModel of PbRunItem. */
void       pb_inspect_view_set_runs (PbInspectView *self, GListModel *runs);
void       pb_inspect_view_show_pair (PbInspectView *self, PbRunItem *run, int test_pair_index);
/* NULL: none. */
void       pb_inspect_view_set_compare_run (PbInspectView *self, PbRunItem *run);
PbRunItem *pb_inspect_view_get_run (PbInspectView *self);
PbRunItem *pb_inspect_view_get_compare_run (PbInspectView *self);
int        pb_inspect_view_get_pair (PbInspectView *self);

/* What is shown (tests). panel 0 is the run, 1 the compared run. NULL or -1 when not shown. */
guint          pb_inspect_view_get_n_panels (PbInspectView *self);
int            pb_inspect_view_get_n_columns (PbInspectView *self, guint panel);
/* "trunk_a", "trunk_b", "shared trunk", "two-channel trunk". */
const char    *pb_inspect_view_get_column_trunk (PbInspectView *self, guint panel, int column);
PbFeatureGrid *pb_inspect_view_get_filters (PbInspectView *self, guint panel, int column);
PbFeatureGrid *pb_inspect_view_get_feature_grid (PbInspectView *self, guint panel, int column,
                                                 int layer);
PbLogitBars   *pb_inspect_view_get_logit_bars (PbInspectView *self, guint panel, int column);
/* P(first > second) as shown, NAN when not. */
double         pb_inspect_view_get_head_probability (PbInspectView *self, guint panel);
/* The epoch whose weights are shown. */
int            pb_inspect_view_get_shown_epoch (PbInspectView *self, guint panel);
/* How many times the panels were computed. */
guint          pb_inspect_view_get_n_updates (PbInspectView *self);

G_END_DECLS
