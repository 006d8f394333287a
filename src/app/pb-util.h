/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "pb-train.h"

G_BEGIN_DECLS

#define PB_CORE_ERROR (pb_core_error_quark ())
GQuark pb_core_error_quark (void);

/* The error code is the PbStatus. */
gboolean pb_set_error_from_status (GError **error, PbStatus status, const PbError *err);

/* The MNIST folder: the setting if non-empty, then $PAIRBENCH_DATA_DIR, then the source tree's
 * data for an uninstalled build, else the installed data. */
char *pb_resolve_data_dir (const char *setting);
/* Loads MNIST once per folder for the whole process; safe from any thread. */
const PbMnist *pb_mnist_cache_get (const char *dir, GError **error);

/* 71076 → "71 076" (thin space), readable in every language. */
char *pb_format_count (gsize n);

/* "1:05" or "1:02:03". */
char *pb_format_duration (double seconds);

#define PB_N_RUN_COLORS 8
void pb_run_color (GtkWidget *widget, guint index, GdkRGBA *out);

gboolean pb_debug_timing (void);

G_END_DECLS

G_BEGIN_DECLS
/* The next run's settings as stored in GSettings (the sidebar's committed values). */
gboolean pb_train_settings_from_gsettings (GSettings *settings, PbTrainSettings *out,
                                           GError **error);
/* Writes every key the settings map to (the model, the trunk, training, optimiser and
 * augmentation) at once; the Adam betas and eps have no key. */
void     pb_train_settings_to_gsettings (GSettings *settings, const PbTrainSettings *s);
G_END_DECLS
