/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "pb-train.h"

G_BEGIN_DECLS

/* The user's saved presets (core/pb-preset) in their data folder, for the sidebar's Presets menu
 * and the Sweep view's "Save as preset". Errors are in PB_CORE_ERROR, one line naming the file. */
char   **pb_user_presets_list (GError **error);
gboolean pb_user_presets_check_name (const char *name, GError **error);
gboolean pb_user_presets_save (const char *name, const PbTrainSettings *settings,
                               GError **error);
gboolean pb_user_presets_load (const char *name, PbTrainSettings *out, GError **error);

G_END_DECLS
