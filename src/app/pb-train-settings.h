/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "pb-train.h"

G_BEGIN_DECLS

/* The next run's settings as stored in GSettings (the sidebar's committed values). */
gboolean pb_train_settings_from_gsettings (GSettings *settings, PbTrainSettings *out,
                                           GError **error);
/* Writes every key the settings map to (the model, the trunk, training, optimiser and
 * augmentation) at once; the Adam betas and eps have no key. */
void     pb_train_settings_to_gsettings (GSettings *settings, const PbTrainSettings *s);

G_END_DECLS
