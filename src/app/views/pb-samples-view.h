/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "pb-run-item.h"

G_BEGIN_DECLS

#define PB_TYPE_SAMPLES_VIEW (pb_samples_view_get_type ())
G_DECLARE_FINAL_TYPE (PbSamplesView, pb_samples_view, PB, SAMPLES_VIEW, GtkWidget)

/* The training pairs as the next run sees them (originals beside their rotated copies), and the
 * test pairs that a finished run got wrong. */
GtkWidget *pb_samples_view_new (void);
void       pb_samples_view_set_mistakes_run (PbSamplesView *self, PbRunItem *item);
void       pb_samples_view_set_data_dir (PbSamplesView *self, const char *data_dir);
/* "pairs" or "mistakes". */
void       pb_samples_view_set_mode (PbSamplesView *self, const char *mode);
/* Emits "inspect-pair" (PbRunItem *run, int test_pair_index) for the mistake tile at position
 * (tests; a click or Enter does the same). FALSE when there is no such tile. */
gboolean   pb_samples_view_activate_tile (PbSamplesView *self, guint position);
/* Tiles shown (tests). */
guint      pb_samples_view_get_n_tiles (PbSamplesView *self);
/* TRUE while pairs are being drawn on the worker thread (tests). */
gboolean   pb_samples_view_get_busy (PbSamplesView *self);

G_END_DECLS
