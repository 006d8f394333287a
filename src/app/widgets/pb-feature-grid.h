/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

typedef enum
{
  PB_FEATURE_SCALE_GRAY,       /* 0 black … vmax white, like the input digits */
  PB_FEATURE_SCALE_SEQUENTIAL, /* 0 … vmax on viridis, for activations after ReLU */
  PB_FEATURE_SCALE_DIVERGING,  /* −vmax blue … 0 white … +vmax red, for weights */
} PbFeatureScale;

#define PB_TYPE_FEATURE_GRID (pb_feature_grid_get_type ())
G_DECLARE_FINAL_TYPE (PbFeatureGrid, pb_feature_grid, PB, FEATURE_GRID, GtkWidget)

/* Small multiples: n cells, each `group` square images of side × side values side by side (a
 * two-channel filter is one cell of two), enlarged with whole pixels per value and wrapped to the
 * width. target_cell is the wanted size of one image in pixels. Hovering tells a value. */
GtkWidget   *pb_feature_grid_new (PbFeatureScale scale, int target_cell);
/* values: [n, group, side, side]; copied. vmax > 0 is the end of the colour scale. */
void         pb_feature_grid_set_maps (PbFeatureGrid *self, const float *values, int n, int group,
                                       int side, double vmax);
void         pb_feature_grid_clear (PbFeatureGrid *self);
/* What is drawn (tests): NULL when empty. */
const float *pb_feature_grid_get_maps (PbFeatureGrid *self, int *n, int *group, int *side);
double       pb_feature_grid_get_vmax (PbFeatureGrid *self);
/* The colour the scale gives a value, as drawn (also for legends). */
void         pb_feature_scale_color (PbFeatureScale scale, double value, double vmax,
                                     double *r, double *g, double *b);

G_END_DECLS
