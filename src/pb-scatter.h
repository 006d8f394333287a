/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* A t-SNE map drawn with plain cairo, so that the widget and the PNG, SVG and PDF exports share
 * one drawing. No axes: t-SNE's are meaningless. A title, a caption (iteration and KL) and a
 * legend of the ten digits instead. */

#define PB_SCATTER_N_DIGITS 10

typedef struct
{
  int n;
  const float *xy;        /* [n, 2] */
  const guint8 *digits;   /* [n] */
  const float *images;    /* [n, images_per_point, 14, 14], 0–255, or NULL */
  int images_per_point;   /* 1, or 2 for stacked's per-pair points */
} PbScatterPoints;

typedef struct
{
  GdkRGBA fg;
  GdkRGBA bg;             /* alpha 0: leave the background alone */
  gboolean dark;
  const PangoFontDescription *font;  /* NULL: Sans 9 */
  const char *title;
  const char *caption;
  const char *placeholder; /* drawn instead of the points when there are none */
  int highlight;          /* a digit, or -1 */
  int hover;              /* a point, or -1 */
} PbScatterStyle;

typedef struct
{
  double x, y, width, height;             /* the points' area */
  double xmin, ymin, scale;               /* data → pixels: (x − xmin) · scale + area.x */
  double legend_x[PB_SCATTER_N_DIGITS];
  double legend_y[PB_SCATTER_N_DIGITS];
  double legend_w, legend_h;
} PbScatterLayout;

void pb_scatter_style_init (PbScatterStyle *style);
void pb_scatter_digit_color (int digit, gboolean dark, GdkRGBA *out);

/* Draws into (0, 0, width, height) of cr; layout (may be NULL) receives the hit areas. */
void pb_scatter_draw (cairo_t *cr, double width, double height, const PbScatterPoints *points,
                      const PbScatterStyle *style, PbScatterLayout *layout);

/* The nearest point within radius pixels, or -1. */
int  pb_scatter_hit_point (const PbScatterLayout *layout, const PbScatterPoints *points,
                           double x, double y, double radius);
/* The legend entry under (x, y), or -1. */
int  pb_scatter_hit_legend (const PbScatterLayout *layout, double x, double y);

G_END_DECLS
