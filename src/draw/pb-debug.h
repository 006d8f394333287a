/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* PAIRBENCH_DEBUG_TIMING is set (and not "0"): the main-thread handlers and the snapshots log
 * how long they take. */
gboolean pb_debug_timing (void);

G_END_DECLS
