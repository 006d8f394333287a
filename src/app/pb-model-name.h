/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "pb-core.h"

G_BEGIN_DECLS

/* What the Train page's switches call a model's kind: "two-channel", "shared trunk" or
 * "two trunks". */
const char *pb_model_kind_label (PbKind kind);

/* The one name the app shows for a model: the CLI's id with its kind, "stacked (two-channel)",
 * "siamese-aux (shared trunk)". */
char       *pb_model_display_name (const PbArch *arch);

G_END_DECLS
