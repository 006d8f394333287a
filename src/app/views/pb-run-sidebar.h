/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "pb-run-item.h"

G_BEGIN_DECLS

#define PB_TYPE_RUN_SIDEBAR (pb_run_sidebar_get_type ())
G_DECLARE_FINAL_TYPE (PbRunSidebar, pb_run_sidebar, PB, RUN_SIDEBAR, GtkWidget)

/* The settings of the next run, kept in GSettings and validated as typed. Emits "changed"
 * after any control changed. */
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
/* Sets every control (and its GSettings key) to a pb_train_settings_preset ("report", "best") or
 * a preset the user saved. */
gboolean    pb_run_sidebar_apply_preset (PbRunSidebar *self, const char *name, GError **error);
/* Sets every control (and its GSettings key) to settings, as a preset does (a sweep's trial). */
void        pb_run_sidebar_apply_settings (PbRunSidebar *self, const PbTrainSettings *settings);
/* Lists the user's saved presets in the Presets menu again (it does so itself when opened). */
void        pb_run_sidebar_refresh_presets (PbRunSidebar *self);
guint       pb_run_sidebar_get_n_user_presets (PbRunSidebar *self);
/* The trainable parameters of the architecture shown, 0 while it is invalid; and its label. */
gsize       pb_run_sidebar_get_param_count (PbRunSidebar *self);
const char *pb_run_sidebar_get_param_text (PbRunSidebar *self);

G_END_DECLS
