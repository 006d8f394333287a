/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define PB_TYPE_PAIR_TILE (pb_pair_tile_get_type ())
G_DECLARE_FINAL_TYPE (PbPairTile, pb_pair_tile, PB, PAIR_TILE, GtkWidget)

/* Two 14×14 images (0–255), and optionally after an arrow what augmentation made of them (their
 * rotated copies, or the pair as trained), enlarged with nearest-neighbour scaling. Copies the
 * pixels. */
GtkWidget *pb_pair_tile_new (const float *pair, const float *rotated_pair);

G_END_DECLS
