/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <cairo.h>
#include <glib.h>
#include <pango/pango.h>

#include "pb-draw.h"
#include "pb-embed-map.h"

G_BEGIN_DECLS

/* A t-SNE map drawn with plain cairo, so that the widget and the PNG, SVG and PDF exports share
 * one drawing. No axes: t-SNE's are meaningless. A title, a caption (iteration and KL) and a
 * legend of the colouring instead. Points are dots, or each its own digit image ("sprites",
 * as TensorBoard's projector draws them). */

#define PB_SCATTER_N_DIGITS 10
#define PB_SCATTER_MAX_CATEGORIES 10

typedef enum
{
  PB_SCATTER_COLOR_DIGIT,        /* the point's own digit (stacked: the pair's first) */
  PB_SCATTER_COLOR_FIRST_DIGIT,  /* of the point's pair */
  PB_SCATTER_COLOR_SECOND_DIGIT,
  PB_SCATTER_COLOR_POSITION,     /* image 1 or 2 of its pair; stacked points are whole pairs */
  PB_SCATTER_COLOR_CORRECT,      /* whether the model's label for the pair is right */
  PB_SCATTER_COLOR_TARGET,       /* the pair's label */
  PB_SCATTER_N_COLORINGS
} PbScatterColoring;

typedef struct
{
  int n;
  const float *xy;          /* [n, 2] */
  const guint8 *category;   /* [n], < n_categories */
  int n_categories;
  const char *legend_title;
  const char *category_labels[PB_SCATTER_MAX_CATEGORIES];
  PbColor category_colors[PB_SCATTER_MAX_CATEGORIES];
  int emphasis;             /* a category drawn over the others (the wrong ones), or -1 */
  const float *images;      /* [n, images_per_point, 14, 14], 0–255, or NULL */
  int images_per_point;     /* 1, or 2 for stacked's per-pair points */
} PbScatterPoints;

typedef struct
{
  PbColor fg;
  PbColor bg;             /* alpha 0: leave the background alone */
  PbColor accent;         /* of the selection */
  gboolean dark;
  const PangoFontDescription *font;  /* NULL: Sans 9 */
  const char *title;
  const char *caption;
  const char *placeholder; /* drawn instead of the points when there are none */
  int highlight;          /* a category, or -1 */
  int hover;              /* a point, or -1 */
  const char *hover_text; /* the hovered point's label */
  gboolean sprites;
  double zoom;            /* 1: the whole map fits */
  double pan_x, pan_y;    /* the view's shift, in units of the area's shorter side */
  int selected;           /* a point, or -1 */
  const int *neighbours;  /* [n_neighbours], drawn linked to the selected point */
  int n_neighbours;
} PbScatterStyle;

typedef struct
{
  double x, y, width, height;             /* the points' area */
  double xmin, ymin, scale;               /* data → pixels: (x − xmin) · scale + area.x */
  double sprite_w, sprite_h;              /* 0 when points are dots */
  int legend_n;
  double legend_x[PB_SCATTER_MAX_CATEGORIES];
  double legend_y[PB_SCATTER_MAX_CATEGORIES];
  double legend_w, legend_h;
} PbScatterLayout;

#define PB_SCATTER_MIN_ZOOM 0.5
#define PB_SCATTER_MAX_ZOOM 64.0

void pb_scatter_style_init (PbScatterStyle *style);
void pb_scatter_digit_color (int digit, gboolean dark, PbColor *out);

/* Fills out (the map's xy, images and categories, legend and colours) from map under
 * coloring; category: [map->n], owned by the caller. FALSE (out empty) when the map has no
 * coordinates yet. */
gboolean pb_scatter_points_from_map (const PbEmbedMap *map, PbScatterColoring coloring,
                                     gboolean dark, guint8 *category, PbScatterPoints *out);

/* Point i's image(s), tinted by its category as sprites are, scale× with nearest neighbour,
 * into data: xRGB in native-endian 32-bit words (cairo's RGB24), images_per_point × 14·scale
 * wide and 14·scale high. */
void pb_scatter_point_pixels (const PbScatterPoints *points, int i, gboolean dark, int scale,
                              guint8 *data, int stride);

/* Draws into (0, 0, width, height) of cr; layout (may be NULL) receives the hit areas. */
void pb_scatter_draw (cairo_t *cr, double width, double height, const PbScatterPoints *points,
                      const PbScatterStyle *style, PbScatterLayout *layout);

/* A point's centre in pixels. */
void pb_scatter_point_position (const PbScatterLayout *layout, const PbScatterPoints *points,
                                int i, double *x, double *y);
/* The nearest point within radius pixels (or under the pointer, for sprites), inside the
 * area, or -1. */
int  pb_scatter_hit_point (const PbScatterLayout *layout, const PbScatterPoints *points,
                           double x, double y, double radius);
/* The legend entry under (x, y), or -1. */
int  pb_scatter_hit_legend (const PbScatterLayout *layout, double x, double y);

/* The view after zooming by factor around (x, y), in pixels of layout's drawing. */
void pb_scatter_zoom_at (const PbScatterLayout *layout, double factor, double x, double y,
                         double *zoom, double *pan_x, double *pan_y);

G_END_DECLS
