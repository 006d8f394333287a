/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The small cairo and Pango helpers every drawing shares: colours, text, pixel-aligned lines
 * and grey images. Plain cairo, Pango and GLib, so that widgets, exports and the CLI use one copy. */

#include <cairo.h>
#include <glib.h>
#include <pango/pangocairo.h>

G_BEGIN_DECLS

typedef struct
{
  double red, green, blue, alpha;
} PbColor;

/* From any colour struct with red, green, blue and alpha fields, such as a GdkRGBA. */
#define PB_COLOR_FROM(c) ((PbColor) { (c).red, (c).green, (c).blue, (c).alpha })

/* 0xRRGGBB, opaque. */
PbColor pb_color_from_hex (guint32 rgb);
/* a + (b − a)·t per channel, alpha included. */
PbColor pb_color_mix (const PbColor *a, const PbColor *b, double t);
/* "#rrggbb", for Pango markup; free with g_free. */
char   *pb_color_to_hex (const PbColor *c);

/* The source colour, its alpha multiplied by alpha. */
void pb_draw_set_color (cairo_t *cr, const PbColor *c, double alpha);

/* The centre of the pixel that holds v: a 1-pixel line there is crisp. */
double pb_draw_align (double v);

/* A layout for text in font (NULL: Sans 9), bold or not, its size times scale. */
PangoLayout *pb_draw_layout (cairo_t *cr, const PangoFontDescription *font, const char *text,
                             gboolean bold, double scale);
/* The layout's logical size in user units. */
void pb_draw_layout_size (PangoLayout *layout, double *width, double *height);
/* Shows the layout with its top-left corner at (x, y). */
void pb_draw_show_layout (cairo_t *cr, PangoLayout *layout, double x, double y);

void pb_draw_rounded_rect (cairo_t *cr, double x, double y, double width, double height,
                           double radius);

/* A grey image (width × height values, 0–255) as an RGB24 surface, one pixel per value. */
cairo_surface_t *pb_draw_gray_surface (const float *pixels, int width, int height);

G_END_DECLS
