/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pb-curves"

#include "config.h"

#include <math.h>
#include <glib/gi18n.h>

#include "pb-curves.h"

#define PAD 8.0
#define TICK_LEN 4.0

typedef struct
{
  cairo_t *cr;
  const PbPlotStyle *style;
  PangoFontDescription *font;
} Painter;

static PangoLayout *
make_layout (Painter    *p,
             const char *text,
             gboolean    bold,
             double      scale)
{
  return pb_draw_layout (p->cr, p->font, text, bold, scale);
}

static void
set_dash (cairo_t     *cr,
          PbCurveDash  dash,
          double       width)
{
  double dashes[2];

  switch (dash)
    {
    case PB_CURVE_DASH_DASHED:
      dashes[0] = 6, dashes[1] = 4;
      cairo_set_dash (cr, dashes, 2, 0);
      cairo_set_line_cap (cr, CAIRO_LINE_CAP_BUTT);
      break;
    case PB_CURVE_DASH_DOTTED:
      dashes[0] = 0, dashes[1] = width * 2.5;
      cairo_set_dash (cr, dashes, 2, 0);
      cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);
      break;
    case PB_CURVE_DASH_SOLID:
    default:
      cairo_set_dash (cr, NULL, 0, 0);
      cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);
      break;
    }
  cairo_set_line_width (cr, width);
}

static char *
format_tick (double   v,
             double   step,
             gboolean log_y)
{
  int decimals;

  if (log_y)
    {
      if (v >= 1)
        return g_strdup_printf ("%.0f", v);
      decimals = (int) ceil (-log10 (v) - 1e-9);
      return g_strdup_printf ("%.*f", decimals, v);
    }
  decimals = step >= 1 ? 0 : (int) ceil (-log10 (step) - 1e-9);
  return g_strdup_printf ("%.*f", CLAMP (decimals, 0, 6), v);
}

/* Seconds per tick unit, so a long run reads "12 min" rather than "720 s". */
static double
time_unit_for (double seconds)
{
  if (seconds <= 180)
    return 1;
  if (seconds <= 3 * 3600)
    return 60;
  return 3600;
}

static const char *
x_label_for (PbCurveXAxis axis,
             double       unit)
{
  switch (axis)
    {
    case PB_CURVE_X_STEP:
      return _("Step (batches)");
    case PB_CURVE_X_WALL_TIME:
      return unit >= 3600 ? _("Wall time (h)") : unit >= 60 ? _("Wall time (min)")
                                                            : _("Wall time (s)");
    case PB_CURVE_X_EPOCH:
    default:
      return _("Epoch");
    }
}

double
pb_curves_x_to_pixel (const PbCurveLayout *lo,
                      double               x)
{
  const PbPlotMapping *m = &lo->map;

  return m->x + (x - m->xmin) / (m->xmax - m->xmin) * m->width;
}

static double
y_tick (const PbCurveLayout *lo,
        int                  i)
{
  return lo->map.log_y ? lo->yt.first * pow (10, i) : lo->yt.first + i * lo->yt.step;
}

static gboolean
any_smoothed (const PbCurveChart *chart)
{
  for (guint i = 0; i < chart->n_runs; i++)
    for (guint s = 0; s < chart->runs[i].n_series; s++)
      if (chart->runs[i].series[s].smoothed != NULL)
        return TRUE;
  return FALSE;
}

/* One legend entry at (x, y): a line in the given style, or (line NULL) a square. */
static void
draw_legend_entry (Painter           *p,
                   PangoLayout       *layout,
                   double             x,
                   double             y,
                   double             line_h,
                   const PbColor     *color,
                   const PbCurveLine *line)
{
  cairo_t *cr = p->cr;
  double tw, th, cy = y + line_h / 2;

  pb_draw_layout_size (layout, &tw, &th);
  if (line != NULL)
    {
      pb_draw_set_color (cr, color, 0.9);
      set_dash (cr, line->dash, line->width);
      cairo_move_to (cr, x + 1, pb_draw_align (cy));
      cairo_line_to (cr, x + 21, pb_draw_align (cy));
      cairo_stroke (cr);
    }
  else
    {
      pb_draw_set_color (cr, color, 1);
      cairo_rectangle (cr, x + 5, cy - 5, 10, 10);
      cairo_fill (cr);
    }
  pb_draw_set_color (cr, &p->style->foreground, 0.8);
  pb_draw_show_layout (cr, layout, x + 26, y + (line_h - th) / 2);
}

/* The width of the runs' entries and the note after them, on one row. */
static double
legend_runs_width (const PbCurveChart *chart,
                   PangoLayout        *layout,
                   const char         *note)
{
  double w = 0, tw, th;

  for (guint i = 0; i < chart->n_runs; i++)
    {
      pango_layout_set_text (layout, chart->runs[i].label ? chart->runs[i].label : "", -1);
      pb_draw_layout_size (layout, &tw, &th);
      w += 26 + tw + 14;
    }
  if (note != NULL)
    {
      pango_layout_set_text (layout, note, -1);
      pb_draw_layout_size (layout, &tw, &th);
      w += tw;
    }
  else
    w -= 14;
  return w;
}

/* The title, then the line styles in the text colour, a square in each run's colour and the
 * smoothing note, from left, wrapped onto new rows at right so that every run is named however
 * many there are. Measured into lo, and drawn when draw is set. */
static void
flow_legend (Painter            *p,
             const PbCurveChart *chart,
             double              left,
             double              right,
             gboolean            draw,
             PbCurveLayout      *lo)
{
  g_autoptr(PangoLayout) title = make_layout (p, chart->title ? chart->title : "", TRUE, 1);
  g_autoptr(PangoLayout) layout = make_layout (p, "", FALSE, 0.85);
  g_autofree char *note = NULL;
  const PbColor *fg = &p->style->foreground;
  double tw, th, line_h, x = left, y = PAD;
  guint n_entries, rows = 1;

  pb_draw_layout_size (title, &tw, &line_h);
  if (draw)
    {
      pb_draw_set_color (p->cr, fg, 1);
      pb_draw_show_layout (p->cr, title, x, y);
    }
  x += tw + 20;
  lo->n_legend_runs = 0;
  n_entries = chart->n_runs > 0 ? chart->n_legend + chart->n_runs : 0;
  /* Say so when lines are smoothed, so that an exported figure says it too. */
  if (chart->n_runs > 0 && chart->smoothing > 0 && any_smoothed (chart))
    note = g_strdup_printf (_("smoothed %.2f"), chart->smoothing);

  if (draw)
    cairo_save (p->cr);
  for (guint k = 0; k < n_entries + (note != NULL); k++)
    {
      const PbCurveRun *run = k >= chart->n_legend && k < n_entries
                              ? &chart->runs[k - chart->n_legend] : NULL;
      const char *text = k < chart->n_legend ? chart->legend[k].name
                         : run != NULL ? run->label : note;
      gboolean wrap = FALSE;
      double w;

      /* The runs start a row of their own when they all fit on one but not on this one. */
      if (run != NULL && k == chart->n_legend && x > left)
        {
          double group = legend_runs_width (chart, layout, note);

          wrap = x + group > right && left + group <= right;
        }
      pango_layout_set_text (layout, text ? text : "", -1);
      pb_draw_layout_size (layout, &tw, &th);
      w = k < n_entries ? 26 + tw : tw;
      if ((wrap || x + w > right) && x > left)
        {
          x = left;
          y += line_h + 2;
          rows++;
        }
      if (draw && k < chart->n_legend)
        draw_legend_entry (p, layout, x, y, line_h, fg, &chart->legend[k]);
      else if (draw && run != NULL)
        draw_legend_entry (p, layout, x, y, line_h, &run->color, NULL);
      else if (draw)
        {
          pb_draw_set_color (p->cr, fg, 0.6);
          pb_draw_show_layout (p->cr, layout, x, y + (line_h - th) / 2);
        }
      lo->n_legend_runs += run != NULL;
      x += w + 14;
    }
  if (draw)
    cairo_restore (p->cr);

  lo->n_legend_rows = rows;
  lo->legend = (PbCurveRect) { left, PAD, right - left, y + line_h - PAD };
}

static void
layout_with (Painter            *p,
             double              width,
             double              height,
             const PbCurveChart *chart,
             PbCurveLayout      *lo)
{
  g_autoptr(PangoLayout) probe = make_layout (p, "0.000", FALSE, 0.85);
  double xmax = chart->xmax, tw, th, tick_w = 0, line_h;
  gboolean integer_x = chart->x_axis != PB_CURVE_X_WALL_TIME;
  int max_yticks;

  /* A fixed minimum for the tick labels keeps the loss and error panels' epoch axes aligned. */
  pb_draw_layout_size (probe, &tick_w, &line_h);

  max_yticks = CLAMP ((int) ((height - 80) / (line_h * 2.2)), 2, 8);
  if (chart->log_y)
    pb_log_ticks (chart->ymin, chart->ymax, &lo->yt);
  else
    pb_nice_ticks (chart->ymin, chart->ymax, max_yticks, &lo->yt);
  lo->map.log_y = chart->log_y;

  for (int i = 0; i < lo->yt.n; i++)
    {
      g_autofree char *s = format_tick (y_tick (lo, i), lo->yt.step, chart->log_y);

      pango_layout_set_text (probe, s, -1);
      pb_draw_layout_size (probe, &tw, &th);
      tick_w = MAX (tick_w, tw);
    }

  lo->map.x = PAD + line_h + 4 + tick_w + TICK_LEN + 2;
  lo->map.width = MAX (10, width - lo->map.x - PAD - 8);
  flow_legend (p, chart, lo->map.x, width - PAD, FALSE, lo);
  lo->map.y = lo->legend.y + lo->legend.height + 10;
  lo->map.height = MAX (10, height - lo->map.y - PAD - 2 * line_h - TICK_LEN - 6);

  lo->x_unit = chart->x_axis == PB_CURVE_X_WALL_TIME ? time_unit_for (xmax) : 1;
  xmax /= lo->x_unit;
  /* Step numbers are wide: fewer of them fit. */
  pb_nice_ticks (0, xmax,
                 CLAMP ((int) (lo->map.width / (chart->x_axis == PB_CURVE_X_STEP ? 80 : 60)),
                        2, 12), &lo->xt);
  if (integer_x && lo->xt.step < 1)
    pb_nice_ticks (0, xmax, (int) xmax + 1, &lo->xt);

  lo->map.xmin = 0;
  lo->map.xmax = MAX (lo->xt.last, integer_x ? 1 : 1e-3) * lo->x_unit;
  lo->map.ymin = lo->yt.first;
  lo->map.ymax = lo->yt.last;

  /* The readout in the plot's top corner away from the cross-hair, so that it never hides it;
   * the legend is above the plot, clear of it. */
  lo->hover_box = (PbCurveRect) { 0 };
  if (isfinite (chart->hover_x) && chart->hover_markup != NULL)
    {
      g_autoptr(PangoLayout) readout = make_layout (p, "", FALSE, 0.85);
      double px = pb_draw_align (pb_curves_x_to_pixel (lo, chart->hover_x)), bx;

      pango_layout_set_markup (readout, chart->hover_markup, -1);
      pb_draw_layout_size (readout, &tw, &th);
      if (px < lo->map.x + lo->map.width / 2)
        bx = lo->map.x + lo->map.width - tw - 12 - 6;
      else
        bx = lo->map.x + 6;
      lo->hover_box = (PbCurveRect) { MAX (bx, PAD), lo->map.y + 6, tw + 12, th + 8 };
    }
}

static void
painter_init (Painter           *p,
              cairo_t           *cr,
              const PbPlotStyle *style)
{
  p->cr = cr;
  p->style = style;
  p->font = pango_font_description_new ();
  pango_font_description_set_family (p->font, style->font_family);
  pango_font_description_set_absolute_size (p->font, style->font_size * PANGO_SCALE);
}

void
pb_curves_layout (cairo_t            *cr,
                  double              width,
                  double              height,
                  const PbPlotStyle  *style,
                  const PbCurveChart *chart,
                  PbCurveLayout      *out)
{
  cairo_surface_t *surface = NULL;
  Painter p;

  if (cr == NULL)
    {
      surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 1, 1);
      cr = cairo_create (surface);
    }
  else
    cairo_reference (cr);
  painter_init (&p, cr, style);
  layout_with (&p, width, height, chart, out);
  pango_font_description_free (p.font);
  cairo_destroy (cr);
  if (surface != NULL)
    cairo_surface_destroy (surface);
}

static void
draw_axes (Painter             *p,
           const PbCurveChart  *chart,
           const PbCurveLayout *lo)
{
  cairo_t *cr = p->cr;
  const PbColor *fg = &p->style->foreground;
  const PbPlotMapping *m = &lo->map;
  g_autoptr(PangoLayout) layout = make_layout (p, "", FALSE, 0.85);
  double tw, th, px, py;

  cairo_save (cr);
  cairo_set_line_width (cr, 1);

  for (int i = 0; i < lo->yt.n; i++)
    {
      double v = y_tick (lo, i);
      g_autofree char *s = format_tick (v, lo->yt.step, chart->log_y);

      pb_plot_mapping_to_pixel (m, m->xmin, v, &px, &py);
      py = pb_draw_align (py);
      pb_draw_set_color (cr, fg, i == 0 ? 0.45 : 0.12);
      cairo_move_to (cr, floor (m->x) - TICK_LEN, py);
      cairo_line_to (cr, m->x + m->width, py);
      cairo_stroke (cr);

      pango_layout_set_text (layout, s, -1);
      pb_draw_layout_size (layout, &tw, &th);
      pb_draw_set_color (cr, fg, 0.75);
      pb_draw_show_layout (cr, layout, m->x - TICK_LEN - 3 - tw, py - th / 2);
    }

  for (int i = 0; i < lo->xt.n; i++)
    {
      double v = lo->xt.first + i * lo->xt.step;
      g_autofree char *s = format_tick (v, lo->xt.step, FALSE);

      if (v * lo->x_unit > m->xmax * (1 + 1e-9))
        break;
      px = pb_draw_align (pb_curves_x_to_pixel (lo, v * lo->x_unit));
      pb_draw_set_color (cr, fg, i == 0 ? 0.45 : 0.12);
      cairo_move_to (cr, px, m->y);
      cairo_line_to (cr, px, m->y + m->height + TICK_LEN);
      cairo_stroke (cr);

      pango_layout_set_text (layout, s, -1);
      pb_draw_layout_size (layout, &tw, &th);
      pb_draw_set_color (cr, fg, 0.75);
      pb_draw_show_layout (cr, layout, px - tw / 2, m->y + m->height + TICK_LEN + 2);
    }

  /* Axis labels, with their units. */
  pango_layout_set_text (layout, x_label_for (chart->x_axis, lo->x_unit), -1);
  pb_draw_layout_size (layout, &tw, &th);
  pb_draw_set_color (cr, fg, 0.75);
  pb_draw_show_layout (cr, layout, m->x + m->width / 2 - tw / 2,
                       m->y + m->height + TICK_LEN + 2 + th);

  if (chart->y_label != NULL)
    {
      pango_layout_set_text (layout, chart->y_label, -1);
      pb_draw_layout_size (layout, &tw, &th);
      cairo_save (cr);
      cairo_translate (cr, PAD, m->y + m->height / 2 + tw / 2);
      cairo_rotate (cr, -G_PI / 2);
      pb_draw_show_layout (cr, layout, 0, 0);
      cairo_restore (cr);
    }

  cairo_restore (cr);
}

static void
stroke_series (cairo_t             *cr,
               const PbPlotMapping *m,
               const double        *xs,
               const double        *ys,
               guint                n)
{
  gboolean pen_down = FALSE;

  for (guint i = 0; i < n; i++)
    {
      double px, py;

      if (!isfinite (ys[i]) || !isfinite (xs[i]) || (m->log_y && ys[i] <= 0))
        {
          pen_down = FALSE;
          continue;
        }
      pb_plot_mapping_to_pixel (m, xs[i], ys[i], &px, &py);
      if (pen_down)
        cairo_line_to (cr, px, py);
      else
        cairo_move_to (cr, px, py);
      pen_down = TRUE;
    }
  cairo_stroke (cr);
}

static void
draw_run (cairo_t             *cr,
          const PbCurveLayout *lo,
          const PbCurveRun    *run)
{
  const PbPlotMapping *m = &lo->map;

  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);

  /* Raw first, faint, so that every smoothed curve lies above every raw one. */
  for (guint s = 0; s < run->n_series; s++)
    if (run->series[s].smoothed != NULL)
      {
        const PbCurveSeries *series = &run->series[s];

        pb_draw_set_color (cr, &run->color, series->light ? 0.2 : 0.28);
        set_dash (cr, PB_CURVE_DASH_SOLID, 1);
        stroke_series (cr, m, series->x, series->raw, series->n);
      }

  for (guint s = 0; s < run->n_series; s++)
    {
      const PbCurveSeries *series = &run->series[s];
      gboolean smoothed = series->smoothed != NULL;
      const double *ys = smoothed ? series->smoothed : series->raw;

      if (series->light)
        {
          pb_draw_set_color (cr, &run->color, smoothed ? 0.8 : 0.45);
          set_dash (cr, series->line.dash, smoothed ? 1.5 : series->line.width);
          stroke_series (cr, m, series->x, ys, series->n);
          continue;
        }
      pb_draw_set_color (cr, &run->color, 1);
      set_dash (cr, series->line.dash, series->line.width);
      stroke_series (cr, m, series->x, ys, series->n);

      /* The points of a raw series marked, as TensorBoard marks sparse scalars: an epoch's
       * value reads where it is, and a single epoch is visible. */
      if (!smoothed)
        for (guint e = 0; e < series->n; e++)
          {
            double px, py;

            if (!isfinite (ys[e]) || !isfinite (series->x[e]) || (m->log_y && ys[e] <= 0))
              continue;
            pb_plot_mapping_to_pixel (m, series->x[e], ys[e], &px, &py);
            cairo_new_sub_path (cr);
            cairo_arc (cr, px, py, series->line.width > 2 ? 3 : 2.25, 0, 2 * G_PI);
            cairo_fill (cr);
          }
    }
  cairo_set_dash (cr, NULL, 0, 0);
}

/* A learning-rate change: a dotted line in the run's colour where it took effect, with the new
 * rate at its top. Lines first, then the labels on a backing, so that no line crosses a label. */
static void
draw_markers (Painter             *p,
              const PbCurveChart  *chart,
              const PbCurveLayout *lo)
{
  cairo_t *cr = p->cr;
  const PbPlotMapping *m = &lo->map;
  const PbColor *bg = &p->style->background;
  g_autoptr(PangoLayout) layout = make_layout (p, "", FALSE, 0.75);
  const double dots[2] = { 2, 3 };
  double row_end[4] = { -G_MAXDOUBLE, -G_MAXDOUBLE, -G_MAXDOUBLE, -G_MAXDOUBLE };

  cairo_save (cr);
  for (int pass = 0; pass < 2; pass++)
    for (guint i = 0; i < chart->n_runs; i++)
      for (guint c = 0; c < chart->runs[i].n_markers; c++)
        {
          const PbCurveRun *run = &chart->runs[i];
          const PbCurveMarker *mark = &run->markers[c];
          double px, tw, th, tx, ty;
          guint row;

          if (!isfinite (mark->x))
            continue;
          px = pb_draw_align (pb_curves_x_to_pixel (lo, mark->x));
          if (pass == 0)
            {
              pb_draw_set_color (cr, &run->color, 0.9);
              cairo_set_line_width (cr, 1.5);
              cairo_set_dash (cr, dots, 2, 0);
              cairo_move_to (cr, px, m->y);
              cairo_line_to (cr, px, m->y + m->height);
              cairo_stroke (cr);
              cairo_set_dash (cr, NULL, 0, 0);
              cairo_move_to (cr, px - 4, m->y);
              cairo_line_to (cr, px + 4, m->y);
              cairo_line_to (cr, px, m->y + 5);
              cairo_close_path (cr);
              cairo_fill (cr);
              continue;
            }

          pango_layout_set_text (layout, mark->text, -1);
          pb_draw_layout_size (layout, &tw, &th);
          tx = px + 4 + tw > m->x + m->width ? px - 4 - tw : px + 4;
          /* Changes close together put their labels on the next free line. */
          for (row = 0; row < G_N_ELEMENTS (row_end) - 1 && tx < row_end[row] + 4; row++)
            ;
          row_end[row] = MAX (row_end[row], tx + tw);
          ty = m->y + 6 + row * (th + 1);
          cairo_set_source_rgba (cr, bg->red, bg->green, bg->blue, 0.85);
          cairo_rectangle (cr, tx - 2, ty, tw + 4, th);
          cairo_fill (cr);
          pb_draw_set_color (cr, &run->color, 1);
          pb_draw_show_layout (cr, layout, tx, ty);
        }
  cairo_restore (cr);
}

static void
draw_hover (Painter             *p,
            const PbCurveChart  *chart,
            const PbCurveLayout *lo)
{
  cairo_t *cr = p->cr;
  const PbColor *fg = &p->style->foreground, *bg = &p->style->popover;
  const PbPlotMapping *m = &lo->map;
  const PbCurveRect *box = &lo->hover_box;
  g_autoptr(PangoLayout) layout = NULL;
  double px;

  if (!isfinite (chart->hover_x))
    return;
  px = pb_draw_align (pb_curves_x_to_pixel (lo, chart->hover_x));
  cairo_save (cr);
  pb_draw_set_color (cr, fg, 0.5);
  set_dash (cr, PB_CURVE_DASH_DASHED, 1);
  cairo_move_to (cr, px, m->y);
  cairo_line_to (cr, px, m->y + m->height);
  cairo_stroke (cr);
  cairo_set_dash (cr, NULL, 0, 0);
  if (chart->hover_markup == NULL)
    {
      cairo_restore (cr);
      return;
    }

  layout = make_layout (p, "", FALSE, 0.85);
  pango_layout_set_markup (layout, chart->hover_markup, -1);
  pb_draw_set_color (cr, bg, 0.95);
  cairo_rectangle (cr, box->x, box->y, box->width, box->height);
  cairo_fill_preserve (cr);
  pb_draw_set_color (cr, fg, 0.25);
  cairo_set_line_width (cr, 1);
  cairo_stroke (cr);
  pb_draw_set_color (cr, fg, 1);
  pb_draw_show_layout (cr, layout, box->x + 6, box->y + 4);
  cairo_restore (cr);
}

void
pb_curves_draw (cairo_t            *cr,
                double              width,
                double              height,
                const PbPlotStyle  *style,
                const PbCurveChart *chart,
                PbCurveLayout      *layout)
{
  PbCurveLayout lo;
  Painter p;

  painter_init (&p, cr, style);
  layout_with (&p, width, height, chart, &lo);

  cairo_save (cr);
  /* Only this chart's area: a figure may stack several charts. */
  if (style->paint_background)
    {
      pb_draw_set_color (cr, &style->background, 1);
      cairo_rectangle (cr, 0, 0, width, height);
      cairo_fill (cr);
    }
  draw_axes (&p, chart, &lo);
  flow_legend (&p, chart, lo.map.x, width - PAD, TRUE, &lo);

  cairo_save (cr);
  cairo_rectangle (cr, lo.map.x - 4, lo.map.y - 4, lo.map.width + 8, lo.map.height + 8);
  cairo_clip (cr);
  for (guint i = 0; i < chart->n_runs; i++)
    draw_run (cr, &lo, &chart->runs[i]);
  draw_markers (&p, chart, &lo);
  cairo_restore (cr);

  if (chart->n_runs == 0 && chart->placeholder != NULL)
    {
      g_autoptr(PangoLayout) hint = make_layout (&p, chart->placeholder, FALSE, 1);
      double tw, th;

      pb_draw_layout_size (hint, &tw, &th);
      pb_draw_set_color (cr, &style->foreground, 0.55);
      pb_draw_show_layout (cr, hint, lo.map.x + (lo.map.width - tw) / 2,
                           lo.map.y + (lo.map.height - th) / 2);
    }

  draw_hover (&p, chart, &lo);
  cairo_restore (cr);
  pango_font_description_free (p.font);
  if (layout != NULL)
    *layout = lo;
}
