/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Process set-up before any thread starts: single-threaded BLAS, and, when the program runs
 * from its build directory, the schema compiled there. */
void        pb_uninstalled_setup (void);
gboolean    pb_is_uninstalled (void);
/* The build's translations when uninstalled, else the installed ones. */
const char *pb_locale_dir (void);
/* The MNIST folder: the setting if non-empty, then $PAIRBENCH_DATA_DIR, then the source tree's
 * data for an uninstalled build, else the installed data. */
char       *pb_resolve_data_dir (const char *setting);

G_END_DECLS
