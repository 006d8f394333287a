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
/* The window's runs: the pairs of any trained run, and the mistakes of any run with
 * predictions, can be shown; each picker defaults to the latest. */
void       pb_samples_view_set_runs (PbSamplesView *self, GListModel *runs);
/* A run finished: its predictions make it one to pick for Mistakes (the pick moves to it if
 * it followed the latest run). */
void       pb_samples_view_update_runs (PbSamplesView *self);
/* Picks item for Mistakes (an opened weights file). */
void       pb_samples_view_set_mistakes_run (PbSamplesView *self, PbRunItem *item);
/* The run whose mistakes are shown, or NULL. */
PbRunItem *pb_samples_view_get_mistakes_run (PbSamplesView *self);
/* The line above the tiles (tests). */
const char *pb_samples_view_get_info (PbSamplesView *self);
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
