/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* PbComparePage across its files: pb-compare-page.c (the run, the status, the estimate, the
 * plots and the actions) and pb-compare-page-tables.c (the results and tests tables' cells). */

#include "pb-compare-page.h"
#include "pb-plot-view.h"

G_BEGIN_DECLS

struct _PbComparePage
{
  GtkWidget parent_instance;

  GSettings *settings;
  PbComparison *comparison;
  GtkWidget *stop_button;
  GtkCheckButton *model_checks[PB_N_MODEL_NAMES];
  GtkStringList *results_model;
  GtkStringList *tests_model;
  PbPairedTests *tests;
  int tests_rounds;
  /* The session with the display names as labels, which the plots draw. */
  PbSession shown;
  guint tick_id;
  double measured;  /* the last comparison's seconds per epoch and pair, or NaN */
  GListModel *runs;

  AdwPreferencesGroup *models_group;
  GtkSpinButton *rounds_spin;
  AdwActionRow *settings_row;
  GtkLabel *status_label;
  GtkLabel *status_detail;
  GtkLabel *estimate_label;
  GtkProgressBar *progress_bar;
  PbPlotView *multiples_view;
  PbPlotView *box_view;
  GtkWidget *details_box;
  GtkColumnView *results_view;
  GtkColumnView *tests_view;
  GtkLabel *tests_empty;
  GtkLabel *tests_note;
  GtkLabel *tests_warning;
  GtkButton *embed_button;
};

void pb_compare_page_add_column (PbComparePage *self, GtkColumnView *view, PbCompareTable table,
                                 guint column, const char *title, gboolean expand);
/* Recomputes the paired tests and the tables' rows from the comparison's session. */
void pb_compare_page_refresh_tables (PbComparePage *self);

G_END_DECLS
