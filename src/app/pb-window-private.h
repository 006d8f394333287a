/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* PbWindow across its files: pb-window.c (the pages, run control and status) and
 * pb-window-export.c (saving and opening files, and the toasts that say where they went). */

#include "pb-run-list.h"
#include "pb-run-sidebar.h"
#include "pb-samples-view.h"
#include "pb-sweep-view.h"
#include "pb-window.h"

G_BEGIN_DECLS

struct _PbWindow
{
  AdwApplicationWindow parent_instance;

  GSettings *settings;
  GListStore *runs;
  PbTrainer *trainer;
  guint next_color;
  AdwToast *inspect_toast;  /* weak: the last "open in Inspect" toast */
  AdwToast *lr_toast;  /* weak: the last learning-rate toast, replaced by the next */

  AdwToastOverlay *toast_overlay;
  AdwViewStack *stack;
  PbRunSidebar *sidebar;
  GtkLabel *status_label;
  GtkLabel *status_detail;
  GtkLabel *speed_label;
  GtkProgressBar *progress_bar;
  GtkToggleButton *log_toggle;
  GtkAdjustment *smoothing_adjustment;
  PbCurveView *loss_view;
  PbCurveView *error_view;
  PbRunList *run_list;
  PbSamplesView *samples_view;
  PbComparePage *compare_page;
  PbSweepView *sweep_view;
  PbEmbeddingView *embedding_view;
  PbInspectView *inspect_view;
};

/* A message dialog; offer_preferences adds a button that opens them. */
void _pb_window_show_error (PbWindow *self, const char *heading, const char *body,
                            gboolean offer_preferences);
/* The win.export*, win.open-weights, win.open-folder and win.show-saved actions. */
void _pb_window_class_init_export (GtkWidgetClass *widget_class);

G_END_DECLS
