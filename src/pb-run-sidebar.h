/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "pb-train.h"

G_BEGIN_DECLS

#define PB_TYPE_RUN_SIDEBAR (pb_run_sidebar_get_type ())
G_DECLARE_FINAL_TYPE (PbRunSidebar, pb_run_sidebar, PB, RUN_SIDEBAR, GtkWidget)

/* The settings of the next run, kept in GSettings and validated as typed. */
GtkWidget  *pb_run_sidebar_new (void);
gboolean    pb_run_sidebar_get_valid (PbRunSidebar *self);
/* Why the settings are invalid, or NULL. */
const char *pb_run_sidebar_get_problem (PbRunSidebar *self);
/* Fills settings from what is typed; FALSE (and settings untouched) when invalid. */
gboolean    pb_run_sidebar_get_settings (PbRunSidebar *self, PbTrainSettings *settings);
/* Commits typed values to GSettings. */
void        pb_run_sidebar_commit (PbRunSidebar *self);
/* Shows the run controls (pause, step, live learning rate) while a run trains. */
void        pb_run_sidebar_set_training (PbRunSidebar *self, gboolean training);
/* The learning rate the live control starts from when a run starts. */
void        pb_run_sidebar_set_live_lr (PbRunSidebar *self, double lr);

G_END_DECLS
