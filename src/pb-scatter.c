/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pb-scatter"

#include "config.h"

#include <math.h>
#include <glib/gi18n.h>

#include "pb-data.h"
#include "pb-scatter.h"

#define MARGIN 12.0
#define POINT_RADIUS 2.4
#define IMAGE_SCALE 4

/* matplotlib's tab10, the palette of the report's figures; in dark mode a little lighter. */
static const guint32 palette[PB_SCATTER_N_DIGITS] = {
  0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd,
  0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf,
};

void
pb_scatter_style_init (PbScatterStyle *style)
{
  *style = (PbScatterStyle) { 0 };
  style->fg = (GdkRGBA) { 0, 0, 0, 1 };
  style->highlight = -1;
  style->hover = -1;
}

void
pb_scatter_digit_color (int       digit,
                        gboolean  dark,
                        GdkRGBA  *out)
{
  guint32 c = palette[CLAMP (digit, 0, PB_SCATTER_N_DIGITS - 1)];
  double lift = dark ? 0.18 : 0;

  out->red = ((c >> 16) & 0xff) / 255.0;
  out->green = ((c >> 8) & 0xff) / 255.0;
  out->blue = (c & 0xff) / 255.0;
  out->red += (1 - out->red) * lift;
  out->green += (1 - out->green) * lift;
  out->blue += (1 - out->blue) * lift;
  out->alpha = 1;
}

static PangoLayout *
make_layout (cairo_t              *cr,
             const PbScatterStyle *style,
             const char           *text,
             gboolean              bold,
             double                scale)
{
  PangoLayout *layout = pango_cairo_create_layout (cr);
  PangoFontDescription *font = style->font ? pango_font_description_copy (style->font)
                                           : pango_font_description_from_string ("Sans 9");

  if (bold)
    pango_font_description_set_weight (font, PANGO_WEIGHT_BOLD);
  if (scale != 1)
    {
      int size = pango_font_description_get_size (font);
      if (pango_font_description_get_size_is_absolute (font))
        pango_font_description_set_absolute_size (font, size * scale);
      else
        pango_font_description_set_size (font, (int) (size * scale));
    }
  pango_layout_set_font_description (layout, font);
  pango_layout_set_text (layout, text, -1);
  pango_font_description_free (font);
  return layout;
}

static void
layout_size (PangoLayout *layout,
             double      *width,
             double      *height)
{
  int w, h;

  pango_layout_get_size (layout, &w, &h);
  *width = (double) w / PANGO_SCALE;
  *height = (double) h / PANGO_SCALE;
}

static void
set_rgba (cairo_t       *cr,
          const GdkRGBA *c,
          double         alpha)
{
  cairo_set_source_rgba (cr, c->red, c->green, c->blue, c->alpha * alpha);
}

static void
draw_text (cairo_t     *cr,
           PangoLayout *layout,
           double       x,
           double       y)
{
  cairo_move_to (cr, x, y);
  pango_cairo_show_layout (cr, layout);
}

static cairo_surface_t *
surface_from_image (const float *pixels)
{
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, PB_IMAGE_SIDE,
                                                         PB_IMAGE_SIDE);
  guint8 *data = cairo_image_surface_get_data (surface);
  int stride = cairo_image_surface_get_stride (surface);

  cairo_surface_flush (surface);
  for (int y = 0; y < PB_IMAGE_SIDE; y++)
    {
      guint32 *row = (guint32 *) (gpointer) (data + y * stride);
      for (int x = 0; x < PB_IMAGE_SIDE; x++)
        {
          guint32 v = (guint32) CLAMP (lrintf (pixels[y * PB_IMAGE_SIDE + x]), 0, 255);
          row[x] = (v << 16) | (v << 8) | v;
        }
    }
  cairo_surface_mark_dirty (surface);
  return surface;
}

static void
rounded_rectangle (cairo_t *cr,
                   double   x,
                   double   y,
                   double   w,
                   double   h,
                   double   r)
{
  cairo_new_sub_path (cr);
  cairo_arc (cr, x + w - r, y + r, r, -G_PI / 2, 0);
  cairo_arc (cr, x + w - r, y + h - r, r, 0, G_PI / 2);
  cairo_arc (cr, x + r, y + h - r, r, G_PI / 2, G_PI);
  cairo_arc (cr, x + r, y + r, r, G_PI, 3 * G_PI / 2);
  cairo_close_path (cr);
}

static void
draw_hover (cairo_t               *cr,
            double                 width,
            double                 height,
            const PbScatterPoints *points,
            const PbScatterStyle  *style,
            const PbScatterLayout *lo)
{
  int i = style->hover;
  int per = MAX (points->images_per_point, 1);
  double side = PB_IMAGE_SIDE * IMAGE_SCALE, pad = 8, gap = 4;
  double px = lo->x + (points->xy[2 * i] - lo->xmin) * lo->scale;
  double py = lo->y + lo->height - (points->xy[2 * i + 1] - lo->ymin) * lo->scale;
  g_autofree char *text = g_strdup_printf (_("Digit %u"), points->digits[i]);
  g_autoptr(PangoLayout) label = make_layout (cr, style, text, TRUE, 1);
  double tw, th, bw, bh, bx, by;
  GdkRGBA color;

  layout_size (label, &tw, &th);
  bw = MAX (per * side + (per - 1) * gap, tw) + 2 * pad;
  bh = side + gap + th + 2 * pad;
  bx = px + 10;
  by = py - bh - 10;
  if (bx + bw > width - 2)
    bx = px - 10 - bw;
  if (by < 2)
    by = py + 10;
  bx = MAX (2, bx);
  by = MIN (by, height - bh - 2);

  pb_scatter_digit_color (points->digits[i], style->dark, &color);
  cairo_save (cr);
  cairo_arc (cr, px, py, POINT_RADIUS + 3, 0, 2 * G_PI);
  set_rgba (cr, &style->fg, 1);
  cairo_set_line_width (cr, 1.5);
  cairo_stroke (cr);

  rounded_rectangle (cr, bx, by, bw, bh, 6);
  if (style->dark)
    cairo_set_source_rgba (cr, 0.16, 0.16, 0.17, 0.96);
  else
    cairo_set_source_rgba (cr, 1, 1, 1, 0.96);
  cairo_fill_preserve (cr);
  set_rgba (cr, &color, 1);
  cairo_set_line_width (cr, 2);
  cairo_stroke (cr);

  for (int k = 0; k < per && points->images != NULL; k++)
    {
      cairo_surface_t *img =
        surface_from_image (points->images + ((gsize) i * per + k) * PB_IMAGE_PIXELS);

      cairo_save (cr);
      cairo_translate (cr, bx + pad + k * (side + gap) + (bw - 2 * pad - per * side
                                                          - (per - 1) * gap) / 2, by + pad);
      cairo_scale (cr, IMAGE_SCALE, IMAGE_SCALE);
      cairo_set_source_surface (cr, img, 0, 0);
      cairo_pattern_set_filter (cairo_get_source (cr), CAIRO_FILTER_NEAREST);
      cairo_paint (cr);
      cairo_restore (cr);
      cairo_surface_destroy (img);
    }
  set_rgba (cr, &style->fg, 1);
  draw_text (cr, label, bx + (bw - tw) / 2, by + pad + side + gap);
  cairo_restore (cr);
}

void
pb_scatter_draw (cairo_t               *cr,
                 double                 width,
                 double                 height,
                 const PbScatterPoints *points,
                 const PbScatterStyle  *style,
                 PbScatterLayout       *layout)
{
  PbScatterLayout lo = { 0 };
  double top = MARGIN, tw, th, legend_w = 0, row_h;
  double xmin = G_MAXDOUBLE, xmax = -G_MAXDOUBLE, ymin = G_MAXDOUBLE, ymax = -G_MAXDOUBLE;
  int n = points != NULL && points->xy != NULL ? points->n : 0;

  cairo_save (cr);
  if (style->bg.alpha > 0)
    {
      gdk_cairo_set_source_rgba (cr, &style->bg);
      cairo_rectangle (cr, 0, 0, width, height);
      cairo_fill (cr);
    }

  if (style->title != NULL && style->title[0] != '\0')
    {
      g_autoptr(PangoLayout) title = make_layout (cr, style, style->title, TRUE, 1.15);

      pango_layout_set_width (title, (int) ((width - 2 * MARGIN) * PANGO_SCALE));
      pango_layout_set_wrap (title, PANGO_WRAP_WORD_CHAR);
      pango_layout_set_height (title, -2);
      pango_layout_set_ellipsize (title, PANGO_ELLIPSIZE_END);
      layout_size (title, &tw, &th);
      set_rgba (cr, &style->fg, 1);
      draw_text (cr, title, MARGIN, top);
      top += th + 2;
    }
  if (style->caption != NULL && style->caption[0] != '\0')
    {
      g_autoptr(PangoLayout) caption = make_layout (cr, style, style->caption, FALSE, 1);

      pango_layout_set_width (caption, (int) ((width - 2 * MARGIN) * PANGO_SCALE));
      pango_layout_set_ellipsize (caption, PANGO_ELLIPSIZE_END);
      layout_size (caption, &tw, &th);
      set_rgba (cr, &style->fg, 0.7);
      draw_text (cr, caption, MARGIN, top);
      top += th;
    }
  top += 8;

  /* The legend: one column of the ten digits on the right, smaller in a small figure. */
  {
    g_autoptr(PangoLayout) probe = make_layout (cr, style, "9", FALSE, 1);
    double available = (height - top - MARGIN) / PB_SCATTER_N_DIGITS, font_scale;

    layout_size (probe, &tw, &th);
    row_h = MIN (MAX (th + 4, 16), MAX (available, 6));
    font_scale = MIN (1, row_h / (th + 4));
    th *= font_scale;
    tw *= font_scale;
    legend_w = 12 + 6 + tw + 10;
    lo.legend_w = legend_w;
    lo.legend_h = row_h;
    for (int d = 0; d < PB_SCATTER_N_DIGITS; d++)
      {
        g_autofree char *text = g_strdup_printf ("%d", d);
        g_autoptr(PangoLayout) entry = make_layout (cr, style, text, style->highlight == d,
                                                    font_scale);
        double ex = width - MARGIN - legend_w, ey = top + d * row_h;
        gboolean dim = style->highlight >= 0 && style->highlight != d;
        GdkRGBA color;

        lo.legend_x[d] = ex;
        lo.legend_y[d] = ey;
        if (style->highlight == d)
          {
            rounded_rectangle (cr, ex - 3, ey, legend_w + 3, row_h, 4);
            set_rgba (cr, &style->fg, 0.12);
            cairo_fill (cr);
          }
        pb_scatter_digit_color (d, style->dark, &color);
        set_rgba (cr, &color, dim ? 0.3 : 1);
        cairo_arc (cr, ex + 6, ey + row_h / 2, MIN (5, row_h * 0.3), 0, 2 * G_PI);
        cairo_fill (cr);
        set_rgba (cr, &style->fg, dim ? 0.4 : 1);
        draw_text (cr, entry, ex + 18, ey + (row_h - th) / 2);
      }
  }

  lo.x = MARGIN;
  lo.y = top;
  lo.width = MAX (1, width - 2 * MARGIN - legend_w - 8);
  lo.height = MAX (1, height - top - MARGIN);

  for (int i = 0; i < n; i++)
    {
      xmin = MIN (xmin, points->xy[2 * i]);
      xmax = MAX (xmax, points->xy[2 * i]);
      ymin = MIN (ymin, points->xy[2 * i + 1]);
      ymax = MAX (ymax, points->xy[2 * i + 1]);
    }

  if (n == 0)
    {
      if (style->placeholder != NULL)
        {
          g_autoptr(PangoLayout) hint = make_layout (cr, style, style->placeholder, FALSE, 1);

          pango_layout_set_width (hint, (int) (lo.width * PANGO_SCALE));
          pango_layout_set_alignment (hint, PANGO_ALIGN_CENTER);
          pango_layout_set_wrap (hint, PANGO_WRAP_WORD_CHAR);
          layout_size (hint, &tw, &th);
          set_rgba (cr, &style->fg, 0.55);
          draw_text (cr, hint, lo.x, lo.y + (lo.height - th) / 2);
        }
      lo.scale = 1;
    }
  else
    {
      /* Equal scales on both axes: distances are what a t-SNE map shows. */
      double dx = MAX (xmax - xmin, 1e-9), dy = MAX (ymax - ymin, 1e-9);
      double inner = 2 * POINT_RADIUS + 2;

      lo.scale = MIN ((lo.width - inner) / dx, (lo.height - inner) / dy);
      lo.xmin = xmin - ((lo.width / lo.scale) - dx) / 2;
      lo.ymin = ymin - ((lo.height / lo.scale) - dy) / 2;

      /* The highlighted digit goes on top of the others. */
      for (int pass = 0; pass < (style->highlight >= 0 ? 2 : 1); pass++)
        for (int i = 0; i < n; i++)
          {
            int d = points->digits[i];
            gboolean on = style->highlight < 0 || style->highlight == d;
            GdkRGBA color;
            double px, py;

            if (style->highlight >= 0 && on != (pass == 1))
              continue;
            px = lo.x + (points->xy[2 * i] - lo.xmin) * lo.scale;
            py = lo.y + lo.height - (points->xy[2 * i + 1] - lo.ymin) * lo.scale;
            pb_scatter_digit_color (d, style->dark, &color);
            set_rgba (cr, &color, on ? 0.85 : 0.12);
            cairo_new_sub_path (cr);
            cairo_arc (cr, px, py, on && style->highlight >= 0 ? POINT_RADIUS + 0.8
                                                                 : POINT_RADIUS, 0, 2 * G_PI);
            cairo_fill (cr);
          }

      if (style->hover >= 0 && style->hover < n)
        draw_hover (cr, width, height, points, style, &lo);
    }

  cairo_restore (cr);
  if (layout != NULL)
    *layout = lo;
}

int
pb_scatter_hit_point (const PbScatterLayout *layout,
                      const PbScatterPoints *points,
                      double                 x,
                      double                 y,
                      double                 radius)
{
  int best = -1;
  double best_d2 = radius * radius;

  if (points == NULL || points->xy == NULL || layout->scale <= 0)
    return -1;
  for (int i = 0; i < points->n; i++)
    {
      double px = layout->x + (points->xy[2 * i] - layout->xmin) * layout->scale;
      double py = layout->y + layout->height - (points->xy[2 * i + 1] - layout->ymin)
                  * layout->scale;
      double d2 = (px - x) * (px - x) + (py - y) * (py - y);

      if (d2 <= best_d2)
        {
          best_d2 = d2;
          best = i;
        }
    }
  return best;
}

int
pb_scatter_hit_legend (const PbScatterLayout *layout,
                       double                 x,
                       double                 y)
{
  for (int d = 0; d < PB_SCATTER_N_DIGITS; d++)
    if (x >= layout->legend_x[d] - 3 && x <= layout->legend_x[d] + layout->legend_w &&
        y >= layout->legend_y[d] && y < layout->legend_y[d] + layout->legend_h)
      return d;
  return -1;
}
