/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>

#include "pb-draw.h"

PbColor
pb_color_from_hex (guint32 rgb)
{
  return (PbColor) { ((rgb >> 16) & 0xff) / 255.0, ((rgb >> 8) & 0xff) / 255.0,
                     (rgb & 0xff) / 255.0, 1 };
}

PbColor
pb_color_mix (const PbColor *a,
              const PbColor *b,
              double         t)
{
  return (PbColor) { a->red + (b->red - a->red) * t, a->green + (b->green - a->green) * t,
                     a->blue + (b->blue - a->blue) * t, a->alpha + (b->alpha - a->alpha) * t };
}

char *
pb_color_to_hex (const PbColor *c)
{
  return g_strdup_printf ("#%02x%02x%02x", (int) (CLAMP (c->red, 0, 1) * 255),
                          (int) (CLAMP (c->green, 0, 1) * 255),
                          (int) (CLAMP (c->blue, 0, 1) * 255));
}

void
pb_draw_set_color (cairo_t       *cr,
                   const PbColor *c,
                   double         alpha)
{
  cairo_set_source_rgba (cr, c->red, c->green, c->blue, c->alpha * alpha);
}

double
pb_draw_align (double v)
{
  return floor (v) + 0.5;
}

PangoLayout *
pb_draw_layout (cairo_t                    *cr,
                const PangoFontDescription *font,
                const char                 *text,
                gboolean                    bold,
                double                      scale)
{
  PangoLayout *layout = pango_cairo_create_layout (cr);
  PangoFontDescription *desc = font ? pango_font_description_copy (font)
                                    : pango_font_description_from_string ("Sans 9");

  if (bold)
    pango_font_description_set_weight (desc, PANGO_WEIGHT_BOLD);
  if (scale != 1)
    {
      int size = pango_font_description_get_size (desc);

      if (pango_font_description_get_size_is_absolute (desc))
        pango_font_description_set_absolute_size (desc, size * scale);
      else
        pango_font_description_set_size (desc, (int) (size * scale));
    }
  pango_layout_set_font_description (layout, desc);
  pango_layout_set_text (layout, text, -1);
  pango_font_description_free (desc);
  return layout;
}

void
pb_draw_layout_size (PangoLayout *layout,
                     double      *width,
                     double      *height)
{
  int w, h;

  pango_layout_get_size (layout, &w, &h);
  *width = (double) w / PANGO_SCALE;
  *height = (double) h / PANGO_SCALE;
}

void
pb_draw_show_layout (cairo_t     *cr,
                     PangoLayout *layout,
                     double       x,
                     double       y)
{
  cairo_move_to (cr, x, y);
  pango_cairo_show_layout (cr, layout);
}

void
pb_draw_rounded_rect (cairo_t *cr,
                      double   x,
                      double   y,
                      double   width,
                      double   height,
                      double   radius)
{
  cairo_new_sub_path (cr);
  cairo_arc (cr, x + width - radius, y + radius, radius, -G_PI / 2, 0);
  cairo_arc (cr, x + width - radius, y + height - radius, radius, 0, G_PI / 2);
  cairo_arc (cr, x + radius, y + height - radius, radius, G_PI / 2, G_PI);
  cairo_arc (cr, x + radius, y + radius, radius, G_PI, 3 * G_PI / 2);
  cairo_close_path (cr);
}

cairo_surface_t *
pb_draw_gray_surface (const float *pixels,
                      int          width,
                      int          height)
{
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, width, height);
  guint8 *data = cairo_image_surface_get_data (surface);
  int stride = cairo_image_surface_get_stride (surface);

  cairo_surface_flush (surface);
  for (int y = 0; y < height; y++)
    {
      guint32 *row = (guint32 *) (gpointer) (data + (gsize) y * stride);
      for (int x = 0; x < width; x++)
        {
          guint32 v = (guint32) CLAMP (lrintf (pixels[y * width + x]), 0, 255);
          row[x] = (v << 16) | (v << 8) | v;
        }
    }
  cairo_surface_mark_dirty (surface);
  return surface;
}
