/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define PB_TYPE_RUN_LIST (pb_run_list_get_type ())
G_DECLARE_FINAL_TYPE (PbRunList, pb_run_list, PB, RUN_LIST, GtkWidget)

/* The session's runs (a GListStore of PbRunItem): show, hide, rename, delete. */
GtkWidget *pb_run_list_new (void);
void       pb_run_list_set_model (PbRunList *self, GListStore *store);

G_END_DECLS
