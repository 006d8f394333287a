/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "pb-embedder.h"
#include "pb-scatter.h"

G_BEGIN_DECLS

#define PB_TYPE_SCATTER_VIEW (pb_scatter_view_get_type ())
G_DECLARE_FINAL_TYPE (PbScatterView, pb_scatter_view, PB, SCATTER_VIEW, GtkWidget)

/* One t-SNE map of an embedder, redrawn as its coordinates arrive. Clicking a legend entry
 * highlights that category; hovering a point shows its image; clicking a point selects it.
 * Scroll zooms around the pointer, dragging pans; with the focus, + and − zoom, the arrows pan,
 * 0 resets and Escape drops the selection. */
GtkWidget *pb_scatter_view_new (void);
void       pb_scatter_view_set_source (PbScatterView *self, PbEmbedder *embedder, guint index);
const PbEmbedMap *pb_scatter_view_get_map (PbScatterView *self);
/* The category shown on top of the others, or -1. */
int        pb_scatter_view_get_highlight (PbScatterView *self);
void       pb_scatter_view_set_highlight (PbScatterView *self, int category);
PbScatterColoring pb_scatter_view_get_coloring (PbScatterView *self);
void       pb_scatter_view_set_coloring (PbScatterView *self, PbScatterColoring coloring);
gboolean   pb_scatter_view_get_sprites (PbScatterView *self);
void       pb_scatter_view_set_sprites (PbScatterView *self, gboolean sprites);
/* The selected point, or -1; "notify::selected" when it changes. */
int        pb_scatter_view_get_selected (PbScatterView *self);
void       pb_scatter_view_set_selected (PbScatterView *self, int point);
/* Points drawn linked to the selection. */
void       pb_scatter_view_set_neighbours (PbScatterView *self, const int *points, int n);
const int *pb_scatter_view_get_neighbours (PbScatterView *self, int *n);
/* Zoom by factor around the map's centre; pan by a fraction of its shorter side. */
void       pb_scatter_view_zoom (PbScatterView *self, double factor);
void       pb_scatter_view_pan (PbScatterView *self, double dx, double dy);
void       pb_scatter_view_reset_view (PbScatterView *self);
double     pb_scatter_view_get_zoom (PbScatterView *self);
/* Point i's image(s) as a texture, tinted by its category as sprites are, scale× with nearest
 * neighbour (pb_scatter_point_pixels). */
GdkTexture *pb_scatter_point_texture (const PbScatterPoints *points, int i, gboolean dark,
                                      int scale);
/* The same drawing as on screen; for_export draws dark on white whatever the style. */
void       pb_scatter_view_draw (PbScatterView *self, cairo_t *cr, double width, double height,
                                 gboolean for_export);
/* Points drawn (tests). */
int        pb_scatter_view_get_n_points (PbScatterView *self);

G_END_DECLS
