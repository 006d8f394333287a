/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "pb-status.h"

G_BEGIN_DECLS

/* The core's PbStatus and PbError as a GError, for the models that call the core. */
#define PB_CORE_ERROR (pb_core_error_quark ())
GQuark pb_core_error_quark (void);

/* The error code is the PbStatus. */
gboolean pb_set_error_from_status (GError **error, PbStatus status, const PbError *err);

G_END_DECLS
