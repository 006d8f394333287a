/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* PbSweepView across its files: pb-sweep-view.c (the run, the plots, the table and the actions)
 * pb-sweep-view-table.c (the trials table's cells, columns and sorters) and
 * pb-sweep-view-params.c (the parameters in the settings pane, and the config they make). */

#include "pb-sweep-view.h"

G_BEGIN_DECLS

struct _PbSweepView
{
  GtkWidget parent_instance;

  GSettings *settings;
  PbSweeper *sweeper;
  GtkWidget *stop_button;
  GtkStringList *rows;          /* the trials (0-based, as text), in rank order */
  GtkFilter *filter;
  GtkSingleSelection *selection;
  GPtrArray *param_rows;        /* AdwEntryRow, each with its "name" */
  GtkStringList *option_names;
  char *columns_key;            /* the swept parameters the table's columns are for */
  int n_swept;
  int swept[PB_SWEEP_MAX_PARAMS];  /* config parameter of axis a */
  int *rank_of;                 /* [config trials]: the trial's line in the plots, or −1 */
  int n_rank_of;
  double *values;               /* the plots' data, [lines · axes] */
  int *labels;

  AdwComboRow *method_row;
  AdwActionRow *trials_row;
  GtkSpinButton *trials_spin;
  GtkSpinButton *rounds_spin;
  GtkSpinButton *val_spin;
  AdwActionRow *base_row;
  AdwPreferencesGroup *params_group;
  AdwComboRow *add_row;
  GtkButton *add_button;
  GtkLabel *status_label;
  GtkLabel *status_detail;
  GtkProgressBar *progress_bar;
  GtkStack *content_stack;
  PbSweepPlotView *parcoords_view;
  PbSweepPlotView *scatter_view;
  GtkLabel *filter_label;
  GtkColumnView *table_view;
  GtkLabel *best_label;
};

/* pb-sweep-view.c */
int      _pb_sweep_view_item_trial (gpointer item);
/* trial's summary and its swept parameter a's value on the plots' axis (a choice's index) */
const PbSweepTrialSummary *_pb_sweep_view_trial_summary (PbSweepView *self, int trial);
double   _pb_sweep_view_axis_value (PbSweepView *self, int trial, int a);

/* pb-sweep-view-table.c: the columns for the swept parameters, each with its sorter */
void     _pb_sweep_view_rebuild_columns (PbSweepView *self);

/* pb-sweep-view-params.c */
void     _pb_sweep_view_init_params (PbSweepView *self);
void     _pb_sweep_view_add_param (PbSweepView *self, const char *name, const char *spec);
void     _pb_sweep_view_clear_params (PbSweepView *self);
void     _pb_sweep_view_set_params_sensitive (PbSweepView *self, gboolean sensitive);

G_END_DECLS
