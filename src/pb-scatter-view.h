/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "pb-embedder.h"

G_BEGIN_DECLS

#define PB_TYPE_SCATTER_VIEW (pb_scatter_view_get_type ())
G_DECLARE_FINAL_TYPE (PbScatterView, pb_scatter_view, PB, SCATTER_VIEW, GtkWidget)

/* One t-SNE map of an embedder, redrawn as its coordinates arrive. Clicking a legend entry
 * highlights that digit; hovering a point shows its image. */
GtkWidget *pb_scatter_view_new (void);
void       pb_scatter_view_set_source (PbScatterView *self, PbEmbedder *embedder, guint index);
/* The digit shown on top of the others, or -1. */
int        pb_scatter_view_get_highlight (PbScatterView *self);
void       pb_scatter_view_set_highlight (PbScatterView *self, int digit);
/* The same drawing as on screen; for_export draws dark on white whatever the style. */
void       pb_scatter_view_draw (PbScatterView *self, cairo_t *cr, double width, double height,
                                 gboolean for_export);
/* Points drawn (tests). */
int        pb_scatter_view_get_n_points (PbScatterView *self);

G_END_DECLS
