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
/* A sprite is at most 4× the image; below its native 14 px it is smoothed, from 14 px on it
 * grows in whole multiples with nearest-neighbour sampling, so every image pixel stays one
 * crisp square. */
#define SPRITE_MIN 8.0
#define SPRITE_MAX (4.0 * PB_IMAGE_SIDE)

/* matplotlib's tab10, the palette of the report's figures; in dark mode a little lighter. */
static const guint32 palette[PB_SCATTER_N_DIGITS] = {
  0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd,
  0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf,
};

void
pb_scatter_style_init (PbScatterStyle *style)
{
  *style = (PbScatterStyle) { 0 };
  style->fg = (PbColor) { 0, 0, 0, 1 };
  /* libadwaita's blue accent */
  style->accent = (PbColor) { 0.21, 0.52, 0.89, 1 };
  style->highlight = -1;
  style->hover = -1;
  style->selected = -1;
  style->zoom = 1;
}

static void
palette_color (guint32   c,
               gboolean  dark,
               PbColor  *out)
{
  PbColor base = pb_color_from_hex (c), white = { 1, 1, 1, 1 };

  *out = pb_color_mix (&base, &white, dark ? 0.18 : 0);
}

void
pb_scatter_digit_color (int       digit,
                        gboolean  dark,
                        PbColor  *out)
{
  palette_color (palette[CLAMP (digit, 0, PB_SCATTER_N_DIGITS - 1)], dark, out);
}








static const char *const digit_labels[PB_SCATTER_N_DIGITS] = {
  "0", "1", "2", "3", "4", "5", "6", "7", "8", "9",
};

gboolean
pb_scatter_points_from_map (const PbEmbedMap  *map,
                            PbScatterColoring  coloring,
                            gboolean           dark,
                            guint8            *category,
                            PbScatterPoints   *out)
{
  gboolean stacked;

  *out = (PbScatterPoints) { 0 };
  out->emphasis = -1;
  if (map == NULL || map->xy == NULL || map->digits == NULL)
    return FALSE;
  stacked = map->images_per_point == 2;
  out->n = map->n;
  out->xy = map->xy;
  out->images = map->images;
  out->images_per_point = map->images_per_point;
  out->category = category;
  /* Pair-level colourings need the pairs, which arrive with the digits. */
  if (map->classes == NULL || map->labels == NULL || map->predicted == NULL
      || map->n_points != map->n)
    coloring = PB_SCATTER_COLOR_DIGIT;

  switch (coloring)
    {
    case PB_SCATTER_COLOR_DIGIT:
    case PB_SCATTER_COLOR_FIRST_DIGIT:
    case PB_SCATTER_COLOR_SECOND_DIGIT:
    default:
      out->n_categories = PB_SCATTER_N_DIGITS;
      for (int d = 0; d < PB_SCATTER_N_DIGITS; d++)
        {
          out->category_labels[d] = digit_labels[d];
          pb_scatter_digit_color (d, dark, &out->category_colors[d]);
        }
      if (coloring == PB_SCATTER_COLOR_SECOND_DIGIT)
        out->legend_title = _("Second digit");
      else if (coloring == PB_SCATTER_COLOR_FIRST_DIGIT || stacked)
        out->legend_title = _("First digit");
      else
        out->legend_title = _("Digit");
      for (int i = 0; i < map->n; i++)
        {
          int pair = pb_embed_map_point_pair (map, i);

          category[i] = coloring == PB_SCATTER_COLOR_FIRST_DIGIT ? map->classes[2 * pair]
                        : coloring == PB_SCATTER_COLOR_SECOND_DIGIT ? map->classes[2 * pair + 1]
                        : map->digits[i];
        }
      break;

    case PB_SCATTER_COLOR_POSITION:
      out->legend_title = _("Position");
      if (stacked)
        {
          out->n_categories = 1;
          out->category_labels[0] = _("Both (stacked)");
          palette_color (0x7f7f7f, dark, &out->category_colors[0]);
        }
      else
        {
          out->n_categories = 2;
          out->category_labels[0] = _("Image 1");
          out->category_labels[1] = _("Image 2");
          palette_color (0x1f77b4, dark, &out->category_colors[0]);
          palette_color (0xff7f0e, dark, &out->category_colors[1]);
        }
      for (int i = 0; i < map->n; i++)
        category[i] = stacked ? 0 : pb_embed_map_point_position (map, i);
      break;

    case PB_SCATTER_COLOR_CORRECT:
      out->legend_title = _("Prediction");
      out->n_categories = 2;
      out->category_labels[0] = _("Correct");
      out->category_labels[1] = _("Wrong");
      palette_color (0x2ca02c, dark, &out->category_colors[0]);
      palette_color (0xd62728, dark, &out->category_colors[1]);
      out->emphasis = 1;
      for (int i = 0; i < map->n; i++)
        {
          int pair = pb_embed_map_point_pair (map, i);
          category[i] = map->predicted[pair] != map->labels[pair];
        }
      break;

    case PB_SCATTER_COLOR_TARGET:
      out->legend_title = _("Target");
      out->n_categories = 2;
      /* Translators: the pair's label 0: the first digit is not larger than the second */
      out->category_labels[0] = _("0 · not larger");
      /* Translators: the pair's label 1: the first digit is larger than the second */
      out->category_labels[1] = _("1 · first larger");
      palette_color (0x9467bd, dark, &out->category_colors[0]);
      palette_color (0x8c564b, dark, &out->category_colors[1]);
      for (int i = 0; i < map->n; i++)
        category[i] = map->labels[pb_embed_map_point_pair (map, i)];
      break;
    }
  return TRUE;
}

void
pb_scatter_point_position (const PbScatterLayout *lo,
                           const PbScatterPoints *points,
                           int                    i,
                           double                *x,
                           double                *y)
{
  *x = lo->x + (points->xy[2 * i] - lo->xmin) * lo->scale;
  *y = lo->y + lo->height - (points->xy[2 * i + 1] - lo->ymin) * lo->scale;
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
  g_autoptr(PangoLayout) label = pb_draw_layout (cr, style->font, style->hover_text ? style->hover_text
                                                                          : "", TRUE, 1);
  const PbColor *color = &points->category_colors[points->category[i]];
  double px, py, tw, th, bw, bh, bx, by;

  pb_scatter_point_position (lo, points, i, &px, &py);
  pb_draw_layout_size (label, &tw, &th);
  bw = MAX (per * side + (per - 1) * gap, tw) + 2 * pad;
  bh = side + gap + th + 2 * pad;
  bx = px + 10 + lo->sprite_w / 2;
  by = py - bh - 10 - lo->sprite_h / 2;
  if (bx + bw > width - 2)
    bx = px - 10 - lo->sprite_w / 2 - bw;
  if (by < 2)
    by = py + 10 + lo->sprite_h / 2;
  bx = MAX (2, bx);
  by = MIN (by, height - bh - 2);

  cairo_save (cr);
  if (lo->sprite_w == 0)
    {
      cairo_arc (cr, px, py, POINT_RADIUS + 3, 0, 2 * G_PI);
      pb_draw_set_color (cr, &style->fg, 1);
      cairo_set_line_width (cr, 1.5);
      cairo_stroke (cr);
    }

  pb_draw_rounded_rect (cr, bx, by, bw, bh, 6);
  if (style->dark)
    cairo_set_source_rgba (cr, 0.16, 0.16, 0.17, 0.96);
  else
    cairo_set_source_rgba (cr, 1, 1, 1, 0.96);
  cairo_fill_preserve (cr);
  pb_draw_set_color (cr, color, 1);
  cairo_set_line_width (cr, 2);
  cairo_stroke (cr);

  for (int k = 0; k < per && points->images != NULL; k++)
    {
      cairo_surface_t *img =
        pb_draw_gray_surface (points->images + ((gsize) i * per + k) * PB_IMAGE_PIXELS, PB_IMAGE_SIDE, PB_IMAGE_SIDE);

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
  pb_draw_set_color (cr, &style->fg, 1);
  pb_draw_show_layout (cr, label, bx + (bw - tw) / 2, by + pad + side + gap);
  cairo_restore (cr);
}

static double
mix (double a,
     double b,
     double t)
{
  return a + (b - a) * t;
}

typedef struct
{
  double paper[3];
  double ink[3];
} Tint;

/* Ink in the category's colour on a pale (or, dark, a deep) wash of it, so that classes stay
 * visible when points are drawn as their images. */
static void
tint_init (Tint          *tint,
           const PbColor *c,
           gboolean       dark)
{
  double base = dark ? 0.13 : 1.0, towards = dark ? 1 : 0;
  double rgb[3] = { c->red, c->green, c->blue };

  for (int k = 0; k < 3; k++)
    {
      tint->paper[k] = mix (base, rgb[k], 0.16);
      tint->ink[k] = mix (rgb[k], towards, 0.2);
    }
}

/* One image, scale× with nearest neighbour, into row-major xRGB pixels. */
static void
tint_image (const Tint  *tint,
            const float *img,
            int          scale,
            guint8      *data,
            int          stride,
            int          ox,
            int          oy)
{
  for (int y = 0; y < PB_IMAGE_SIDE * scale; y++)
    {
      guint32 *row = (guint32 *) (gpointer) (data + (gsize) (oy + y) * stride) + ox;

      for (int x = 0; x < PB_IMAGE_SIDE * scale; x++)
        {
          double v = CLAMP (img[(y / scale) * PB_IMAGE_SIDE + x / scale] / 255.0, 0, 1);
          guint32 r = (guint32) lrint (255 * mix (tint->paper[0], tint->ink[0], v));
          guint32 g = (guint32) lrint (255 * mix (tint->paper[1], tint->ink[1], v));
          guint32 b = (guint32) lrint (255 * mix (tint->paper[2], tint->ink[2], v));

          row[x] = 0xff000000u | (r << 16) | (g << 8) | b;
        }
    }
}

/* Every point's image in one surface, tinted by its category. */
static cairo_surface_t *
sprite_atlas (const PbScatterPoints *points,
              const PbScatterStyle  *style,
              int                   *cols_out)
{
  int per = MAX (points->images_per_point, 1);
  int tw = PB_IMAGE_SIDE * per, th = PB_IMAGE_SIDE;
  int cols = MAX (1, (int) ceil (sqrt (points->n)));
  int rows = (points->n + cols - 1) / cols;
  cairo_surface_t *atlas = cairo_image_surface_create (CAIRO_FORMAT_RGB24, cols * tw,
                                                       MAX (1, rows) * th);
  guint8 *data = cairo_image_surface_get_data (atlas);
  int stride = cairo_image_surface_get_stride (atlas);

  cairo_surface_flush (atlas);
  for (int i = 0; i < points->n; i++)
    {
      Tint tint;

      tint_init (&tint, &points->category_colors[points->category[i]], style->dark);
      for (int k = 0; k < per; k++)
        tint_image (&tint, points->images + ((gsize) i * per + k) * PB_IMAGE_PIXELS, 1, data,
                    stride, (i % cols) * tw + k * PB_IMAGE_SIDE, (i / cols) * th);
    }
  cairo_surface_mark_dirty (atlas);
  *cols_out = cols;
  return atlas;
}

void
pb_scatter_point_pixels (const PbScatterPoints *points,
                         int                    i,
                         gboolean               dark,
                         int                    scale,
                         guint8                *data,
                         int                    stride)
{
  int per = MAX (points->images_per_point, 1);
  Tint tint;

  g_return_if_fail (points->images != NULL && i >= 0 && i < points->n);
  g_return_if_fail (scale >= 1);

  tint_init (&tint, &points->category_colors[points->category[i]], dark);
  for (int k = 0; k < per; k++)
    tint_image (&tint, points->images + ((gsize) i * per + k) * PB_IMAGE_PIXELS, scale, data,
                stride, k * PB_IMAGE_SIDE * scale, 0);
}

static void
draw_sprite (cairo_t               *cr,
             cairo_surface_t       *atlas,
             int                    cols,
             const PbScatterPoints *points,
             const PbScatterLayout *lo,
             int                    i,
             double                 alpha,
             const PbColor         *frame,
             double                 frame_width)
{
  int per = MAX (points->images_per_point, 1);
  int tw = PB_IMAGE_SIDE * per, th = PB_IMAGE_SIDE;
  double px, py, x0, y0, s = lo->sprite_h / PB_IMAGE_SIDE;
  cairo_surface_t *tile;

  pb_scatter_point_position (lo, points, i, &px, &py);
  x0 = round (px - lo->sprite_w / 2);
  y0 = round (py - lo->sprite_h / 2);
  if (x0 + lo->sprite_w < lo->x || x0 > lo->x + lo->width
      || y0 + lo->sprite_h < lo->y || y0 > lo->y + lo->height)
    return;

  tile = cairo_surface_create_for_rectangle (atlas, (i % cols) * tw, (i / cols) * th, tw, th);
  cairo_save (cr);
  cairo_translate (cr, x0, y0);
  cairo_scale (cr, s, s);
  cairo_set_source_surface (cr, tile, 0, 0);
  cairo_pattern_set_extend (cairo_get_source (cr), CAIRO_EXTEND_PAD);
  cairo_pattern_set_filter (cairo_get_source (cr),
                            s >= 1 ? CAIRO_FILTER_NEAREST : CAIRO_FILTER_GOOD);
  cairo_rectangle (cr, 0, 0, tw, th);
  cairo_clip (cr);
  cairo_paint_with_alpha (cr, alpha);
  cairo_restore (cr);
  cairo_surface_destroy (tile);

  cairo_rectangle (cr, x0 + frame_width / 2, y0 + frame_width / 2, lo->sprite_w - frame_width,
                   lo->sprite_h - frame_width);
  pb_draw_set_color (cr, frame, alpha);
  cairo_set_line_width (cr, frame_width);
  cairo_stroke (cr);
}

static void
draw_legend (cairo_t               *cr,
             double                 width,
             double                 height,
             double                 top,
             const PbScatterPoints *points,
             const PbScatterStyle  *style,
             PbScatterLayout       *lo)
{
  int n = points->n_categories > 0 ? points->n_categories : 0;
  g_autoptr(PangoLayout) probe = pb_draw_layout (cr, style->font, "9", FALSE, 1);
  double tw, th, row_h, font_scale, label_w = 0, title_h = 0, available;

  if (n == 0)
    return;
  pb_draw_layout_size (probe, &tw, &th);
  available = (height - top - MARGIN) / (n + (points->legend_title ? 1.3 : 0));
  row_h = MIN (MAX (th + 4, 16), MAX (available, 6));
  font_scale = MIN (1, row_h / (th + 4));
  th *= font_scale;
  for (int d = 0; d < n; d++)
    {
      g_autoptr(PangoLayout) entry = pb_draw_layout (cr, style->font, points->category_labels[d], TRUE,
                                                  font_scale);
      double w, h;

      pb_draw_layout_size (entry, &w, &h);
      label_w = MAX (label_w, w);
    }
  lo->legend_w = 12 + 6 + label_w + 10;
  lo->legend_h = row_h;
  lo->legend_n = n;

  if (points->legend_title != NULL)
    {
      g_autoptr(PangoLayout) title = pb_draw_layout (cr, style->font, points->legend_title, FALSE,
                                                  font_scale * 0.92);
      double w;

      pb_draw_layout_size (title, &w, &title_h);
      lo->legend_w = MAX (lo->legend_w, w + 6);
      pb_draw_set_color (cr, &style->fg, 0.65);
      pb_draw_show_layout (cr, title, width - MARGIN - lo->legend_w, top);
      title_h = MAX (title_h + 4, row_h * 1.3);
    }

  for (int d = 0; d < n; d++)
    {
      g_autoptr(PangoLayout) entry = pb_draw_layout (cr, style->font, points->category_labels[d],
                                                  style->highlight == d, font_scale);
      double ex = width - MARGIN - lo->legend_w, ey = top + title_h + d * row_h;
      gboolean dim = style->highlight >= 0 && style->highlight != d;

      lo->legend_x[d] = ex;
      lo->legend_y[d] = ey;
      if (style->highlight == d)
        {
          pb_draw_rounded_rect (cr, ex - 3, ey, lo->legend_w + 3, row_h, 4);
          pb_draw_set_color (cr, &style->fg, 0.12);
          cairo_fill (cr);
        }
      pb_draw_set_color (cr, &points->category_colors[d], dim ? 0.3 : 1);
      cairo_arc (cr, ex + 6, ey + row_h / 2, MIN (5, row_h * 0.3), 0, 2 * G_PI);
      cairo_fill (cr);
      pb_draw_set_color (cr, &style->fg, dim ? 0.4 : 1);
      pb_draw_show_layout (cr, entry, ex + 18, ey + (row_h - th) / 2);
    }
}

/* Fits the points into the area, then applies the view's zoom and pan around its centre. */
static void
fit_view (const PbScatterPoints *points,
          const PbScatterStyle  *style,
          PbScatterLayout       *lo)
{
  double xmin = G_MAXDOUBLE, xmax = -G_MAXDOUBLE, ymin = G_MAXDOUBLE, ymax = -G_MAXDOUBLE;
  double dx, dy, inner, short_side = MIN (lo->width, lo->height);
  double zoom = CLAMP (style->zoom, PB_SCATTER_MIN_ZOOM, PB_SCATTER_MAX_ZOOM);
  double cx = lo->x + lo->width / 2, cy = lo->y + lo->height / 2, ax, by;

  for (int i = 0; i < points->n; i++)
    {
      xmin = MIN (xmin, points->xy[2 * i]);
      xmax = MAX (xmax, points->xy[2 * i]);
      ymin = MIN (ymin, points->xy[2 * i + 1]);
      ymax = MAX (ymax, points->xy[2 * i + 1]);
    }

  if (style->sprites && points->images != NULL)
    {
      double side = CLAMP (short_side / 40, SPRITE_MIN, PB_IMAGE_SIDE) * zoom;

      if (side >= PB_IMAGE_SIDE)
        side = MIN (floor (side / PB_IMAGE_SIDE) * PB_IMAGE_SIDE, SPRITE_MAX);
      lo->sprite_h = round (side);
      lo->sprite_w = lo->sprite_h * MAX (points->images_per_point, 1);
    }

  /* Equal scales on both axes: distances are what a t-SNE map shows. */
  dx = MAX (xmax - xmin, 1e-9);
  dy = MAX (ymax - ymin, 1e-9);
  inner = lo->sprite_w > 0 ? MIN (MAX (lo->sprite_w, lo->sprite_h) / zoom, short_side / 4)
                           : 2 * POINT_RADIUS + 2;
  lo->scale = MAX (1e-9, MIN ((lo->width - inner) / dx, (lo->height - inner) / dy));
  lo->xmin = xmin - ((lo->width / lo->scale) - dx) / 2;
  lo->ymin = ymin - ((lo->height / lo->scale) - dy) / 2;

  /* Screen x = ax + scale·x, y = by − scale·y; the view maps p to c + zoom·(p − c) + S·pan. */
  ax = lo->x - lo->xmin * lo->scale;
  by = lo->y + lo->height + lo->ymin * lo->scale;
  ax = cx * (1 - zoom) + short_side * style->pan_x + zoom * ax;
  by = cy * (1 - zoom) + short_side * style->pan_y + zoom * by;
  lo->scale *= zoom;
  lo->xmin = (lo->x - ax) / lo->scale;
  lo->ymin = (by - lo->y - lo->height) / lo->scale;
}

static void
draw_dots (cairo_t               *cr,
           const PbScatterPoints *points,
           const PbScatterStyle  *style,
           const PbScatterLayout *lo,
           int                    top)
{
  for (int pass = 0; pass < (top >= 0 ? 2 : 1); pass++)
    for (int i = 0; i < points->n; i++)
      {
        int c = points->category[i];
        gboolean on = style->highlight < 0 || style->highlight == c;
        double px, py;

        if (top >= 0 && (c == top) != (pass == 1))
          continue;
        pb_scatter_point_position (lo, points, i, &px, &py);
        pb_draw_set_color (cr, &points->category_colors[c], on ? 0.85 : 0.12);
        cairo_new_sub_path (cr);
        cairo_arc (cr, px, py, on && style->highlight >= 0 ? POINT_RADIUS + 0.8 : POINT_RADIUS,
                   0, 2 * G_PI);
        cairo_fill (cr);
      }
}

static void
draw_sprites (cairo_t               *cr,
              cairo_surface_t       *atlas,
              int                    cols,
              const PbScatterPoints *points,
              const PbScatterStyle  *style,
              const PbScatterLayout *lo,
              int                    top)
{
  double frame = lo->sprite_h >= 28 ? 1.5 : 1;

  for (int pass = 0; pass < (top >= 0 ? 2 : 1); pass++)
    for (int i = 0; i < points->n; i++)
      {
        int c = points->category[i];
        gboolean on = style->highlight < 0 || style->highlight == c;

        if (top >= 0 && (c == top) != (pass == 1))
          continue;
        draw_sprite (cr, atlas, cols, points, lo, i, on ? 1 : 0.15,
                     &points->category_colors[c], frame);
      }
}

/* The selection over everything else, and over its links. */
static void
draw_selected_sprites (cairo_t               *cr,
                       cairo_surface_t       *atlas,
                       int                    cols,
                       const PbScatterPoints *points,
                       const PbScatterStyle  *style,
                       const PbScatterLayout *lo)
{
  if (style->selected < 0 || style->selected >= points->n)
    return;
  for (int j = 0; j < style->n_neighbours; j++)
    if (style->neighbours[j] >= 0 && style->neighbours[j] < points->n)
      draw_sprite (cr, atlas, cols, points, lo, style->neighbours[j], 1, &style->fg, 2);
  if (style->selected >= 0 && style->selected < points->n)
    draw_sprite (cr, atlas, cols, points, lo, style->selected, 1, &style->accent, 3);
}

static void
draw_selection (cairo_t               *cr,
                const PbScatterPoints *points,
                const PbScatterStyle  *style,
                const PbScatterLayout *lo)
{
  double sx, sy;
  double ring = lo->sprite_w > 0 ? 0 : POINT_RADIUS + 2.5;

  if (style->selected < 0 || style->selected >= points->n)
    return;
  pb_scatter_point_position (lo, points, style->selected, &sx, &sy);

  cairo_save (cr);
  pb_draw_set_color (cr, &style->accent, 0.8);
  cairo_set_line_width (cr, 1.5);
  for (int j = 0; j < style->n_neighbours; j++)
    {
      double nx, ny;

      if (style->neighbours[j] < 0 || style->neighbours[j] >= points->n)
        continue;
      pb_scatter_point_position (lo, points, style->neighbours[j], &nx, &ny);
      cairo_move_to (cr, sx, sy);
      cairo_line_to (cr, nx, ny);
    }
  cairo_stroke (cr);
  if (ring > 0)
    {
      pb_draw_set_color (cr, &style->fg, 0.9);
      cairo_set_line_width (cr, 1.5);
      for (int j = 0; j < style->n_neighbours; j++)
        {
          double nx, ny;

          if (style->neighbours[j] < 0 || style->neighbours[j] >= points->n)
            continue;
          pb_scatter_point_position (lo, points, style->neighbours[j], &nx, &ny);
          cairo_new_sub_path (cr);
          cairo_arc (cr, nx, ny, ring, 0, 2 * G_PI);
        }
      cairo_stroke (cr);
      pb_draw_set_color (cr, &points->category_colors[points->category[style->selected]], 1);
      cairo_arc (cr, sx, sy, POINT_RADIUS + 1.5, 0, 2 * G_PI);
      cairo_fill (cr);
      pb_draw_set_color (cr, &style->accent, 1);
      cairo_set_line_width (cr, 2.5);
      cairo_arc (cr, sx, sy, ring + 3, 0, 2 * G_PI);
      cairo_stroke (cr);
    }
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
  double top = MARGIN, tw, th;
  int n = points != NULL && points->xy != NULL ? points->n : 0;
  int on_top;

  cairo_save (cr);
  if (style->bg.alpha > 0)
    {
      pb_draw_set_color (cr, &style->bg, 1);
      cairo_rectangle (cr, 0, 0, width, height);
      cairo_fill (cr);
    }

  if (style->title != NULL && style->title[0] != '\0')
    {
      g_autoptr(PangoLayout) title = pb_draw_layout (cr, style->font, style->title, TRUE, 1.15);

      pango_layout_set_width (title, (int) ((width - 2 * MARGIN) * PANGO_SCALE));
      pango_layout_set_wrap (title, PANGO_WRAP_WORD_CHAR);
      pango_layout_set_height (title, -2);
      pango_layout_set_ellipsize (title, PANGO_ELLIPSIZE_END);
      pb_draw_layout_size (title, &tw, &th);
      pb_draw_set_color (cr, &style->fg, 1);
      pb_draw_show_layout (cr, title, MARGIN, top);
      top += th + 2;
    }
  if (style->caption != NULL && style->caption[0] != '\0')
    {
      g_autoptr(PangoLayout) caption = pb_draw_layout (cr, style->font, style->caption, FALSE, 1);

      pango_layout_set_width (caption, (int) ((width - 2 * MARGIN) * PANGO_SCALE));
      pango_layout_set_ellipsize (caption, PANGO_ELLIPSIZE_END);
      pb_draw_layout_size (caption, &tw, &th);
      pb_draw_set_color (cr, &style->fg, 0.7);
      pb_draw_show_layout (cr, caption, MARGIN, top);
      top += th;
    }
  top += 8;

  if (n > 0)
    draw_legend (cr, width, height, top, points, style, &lo);

  lo.x = MARGIN;
  lo.y = top;
  lo.width = MAX (1, width - 2 * MARGIN - (lo.legend_w > 0 ? lo.legend_w + 8 : 0));
  lo.height = MAX (1, height - top - MARGIN);

  if (n == 0)
    {
      if (style->placeholder != NULL)
        {
          g_autoptr(PangoLayout) hint = pb_draw_layout (cr, style->font, style->placeholder, FALSE, 1);

          pango_layout_set_width (hint, (int) (lo.width * PANGO_SCALE));
          pango_layout_set_alignment (hint, PANGO_ALIGN_CENTER);
          pango_layout_set_wrap (hint, PANGO_WRAP_WORD_CHAR);
          pb_draw_layout_size (hint, &tw, &th);
          pb_draw_set_color (cr, &style->fg, 0.55);
          pb_draw_show_layout (cr, hint, lo.x, lo.y + (lo.height - th) / 2);
        }
      lo.scale = 1;
    }
  else
    {
      fit_view (points, style, &lo);
      /* The highlighted category, else the emphasised one, goes on top of the others. */
      on_top = style->highlight >= 0 ? style->highlight : points->emphasis;

      cairo_save (cr);
      cairo_rectangle (cr, lo.x, lo.y, lo.width, lo.height);
      cairo_clip (cr);
      if (lo.sprite_w > 0)
        {
          int cols;
          cairo_surface_t *atlas = sprite_atlas (points, style, &cols);

          draw_sprites (cr, atlas, cols, points, style, &lo, on_top);
          draw_selection (cr, points, style, &lo);
          draw_selected_sprites (cr, atlas, cols, points, style, &lo);
          cairo_surface_destroy (atlas);
        }
      else
        {
          draw_dots (cr, points, style, &lo, on_top);
          draw_selection (cr, points, style, &lo);
        }
      cairo_restore (cr);

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
  double best_d2 = G_MAXDOUBLE;

  if (points == NULL || points->xy == NULL || layout->scale <= 0)
    return -1;
  if (x < layout->x || x > layout->x + layout->width
      || y < layout->y || y > layout->y + layout->height)
    return -1;
  for (int i = 0; i < points->n; i++)
    {
      double px, py, d2;

      pb_scatter_point_position (layout, points, i, &px, &py);
      if (layout->sprite_w > 0)
        {
          if (fabs (px - x) > layout->sprite_w / 2 || fabs (py - y) > layout->sprite_h / 2)
            continue;
        }
      else if ((px - x) * (px - x) + (py - y) * (py - y) > radius * radius)
        continue;
      d2 = (px - x) * (px - x) + (py - y) * (py - y);
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
  for (int d = 0; d < layout->legend_n; d++)
    if (x >= layout->legend_x[d] - 3 && x <= layout->legend_x[d] + layout->legend_w &&
        y >= layout->legend_y[d] && y < layout->legend_y[d] + layout->legend_h)
      return d;
  return -1;
}

void
pb_scatter_zoom_at (const PbScatterLayout *layout,
                    double                 factor,
                    double                 x,
                    double                 y,
                    double                *zoom,
                    double                *pan_x,
                    double                *pan_y)
{
  double short_side = MAX (1, MIN (layout->width, layout->height));
  double cx = layout->x + layout->width / 2, cy = layout->y + layout->height / 2;
  double z = CLAMP (*zoom * factor, PB_SCATTER_MIN_ZOOM, PB_SCATTER_MAX_ZOOM);
  double f = z / *zoom;

  /* Keeps the map's point under (x, y) where it is. */
  *pan_x = (x - cx) / short_side * (1 - f) + f * *pan_x;
  *pan_y = (y - cy) / short_side * (1 - f) + f * *pan_y;
  *zoom = z;
}
