/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "pb-feature-grid.h"
#include "pb-inspector.h"
#include "pb-logit-bars.h"

G_BEGIN_DECLS

#define PB_INSPECT_MAX_COLS 2

/* One run's column of the inspect view: its header, and the network's activations for the
 * shown pair as the inspector computed them. The widgets are rebuilt when the number of trunk
 * applications changes. */
typedef struct
{
  PbRunItem *item;           /* not owned: the view keeps it */
  PbInspector *inspector;
  int n_cols;                /* the columns the widgets were built for, 0 before */
  int epoch;
  double head_prob;
  const char *trunk[PB_INSPECT_MAX_COLS];

  GtkWidget *root;
  GtkLabel *title;
  GtkLabel *subtitle;
  GtkLabel *message;
  GtkWidget *body;
  GtkLabel *col_labels[PB_INSPECT_MAX_COLS];
  PbFeatureGrid *inputs[PB_INSPECT_MAX_COLS];
  GtkLabel *filter_caption;
  PbFeatureGrid *filters[PB_INSPECT_MAX_COLS];
  GtkLabel *map_captions[PB_N_CONV];
  PbFeatureGrid *maps[PB_N_CONV][PB_INSPECT_MAX_COLS];
  GtkLabel *logit_caption;
  PbLogitBars *bars[PB_INSPECT_MAX_COLS];
  GtkLabel *head_label;
  GtkLevelBar *head_bar;
} PbInspectPanel;

void pb_inspect_panel_init (PbInspectPanel *p);
/* Removes the panel's widgets from their box. */
void pb_inspect_panel_destroy_widgets (PbInspectPanel *p);
void pb_inspect_panel_clear (PbInspectPanel *p);
/* Shows p->item's network on pair of pairs (the first run's test pairs) in box, first in it when
 * first. */
void pb_inspect_panel_update (PbInspectPanel *p, GtkBox *box, gboolean first,
                              const PbPairs *pairs, int pair);

G_END_DECLS
