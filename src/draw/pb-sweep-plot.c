/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pb-sweep-plot"

#include "config.h"

#include <math.h>
#include <glib/gi18n.h>
#include <pango/pangocairo.h>

#include "pb-sweep-plot.h"

#define GAP 6.0

const char *
pb_sweep_plot_parcoords_title (void)
{
  return _("Trials across the swept parameters");
}

const char *
pb_sweep_plot_scatter_title (void)
{
  return _("Validation error against the most important parameter");
}

PbColor
pb_sweep_plot_color (double t)
{
  /* Viridis at 0, 0.1, …, 0.9: the last tenth is too pale on white. */
  static const guint32 stops[] = {
    0x440154, 0x482878, 0x3e4989, 0x31688e, 0x26828e,
    0x1f9e89, 0x35b779, 0x6ece58, 0xb5de2b, 0xd8e219,
  };
  int n = G_N_ELEMENTS (stops) - 1;
  double x = CLAMP (isfinite (t) ? t : 1, 0, 1) * n;
  int i = MIN ((int) floor (x), n - 1);
  PbColor a = pb_color_from_hex (stops[i]), b = pb_color_from_hex (stops[i + 1]);

  return pb_color_mix (&a, &b, x - i);
}

double
pb_sweep_axis_to_unit (const PbSweepAxis *axis,
                       double             value)
{
  double lo = axis->min, hi = axis->max;

  if (axis->scale == PB_SWEEP_AXIS_LOG)
    {
      if (!(value > 0))
        return NAN;
      value = log (value), lo = log (lo), hi = log (hi);
    }
  if (axis->scale == PB_SWEEP_AXIS_CATEGORY)
    return axis->n_categories > 1 ? value / (axis->n_categories - 1) : 0.5;
  return hi > lo ? (value - lo) / (hi - lo) : 0.5;
}

double
pb_sweep_axis_from_unit (const PbSweepAxis *axis,
                         double             t)
{
  double lo = axis->min, hi = axis->max;

  if (axis->scale == PB_SWEEP_AXIS_CATEGORY)
    return t * MAX (axis->n_categories - 1, 0);
  if (axis->scale == PB_SWEEP_AXIS_LOG)
    return exp (log (lo) + t * (log (hi) - log (lo)));
  return lo + t * (hi - lo);
}

void
pb_sweep_axis_fit (PbSweepAxis  *axis,
                   const double *values,
                   int           stride,
                   int           n)
{
  double lo = INFINITY, hi = -INFINITY;

  if (axis->scale == PB_SWEEP_AXIS_CATEGORY)
    {
      axis->min = 0;
      axis->max = MAX (axis->n_categories - 1, 0);
      return;
    }
  for (int i = 0; i < n; i++)
    {
      double v = values[(gsize) i * stride];

      if (isfinite (v) && (axis->scale != PB_SWEEP_AXIS_LOG || v > 0))
        lo = MIN (lo, v), hi = MAX (hi, v);
    }
  if (!isfinite (lo))
    lo = axis->scale == PB_SWEEP_AXIS_LOG ? 1 : 0, hi = lo;
  if (hi <= lo)
    {
      if (axis->scale == PB_SWEEP_AXIS_LOG)
        lo /= 1.5, hi *= 1.5;
      else
        {
          double pad = lo != 0 ? fabs (lo) * 0.1 : 1;
          lo -= pad, hi += pad;
        }
    }
  axis->min = lo;
  axis->max = hi;
}

gboolean
pb_sweep_plot_line_kept (const PbSweepPlotData *data,
                         int                    line)
{
  for (int a = 0; a < data->n_axes; a++)
    {
      const PbSweepAxis *axis = &data->axes[a];
      double v = data->values[(gsize) line * data->n_axes + a];

      if (axis->brushed && !(v >= axis->brush_lo && v <= axis->brush_hi))
        return FALSE;
    }
  return TRUE;
}

static PangoLayout *
layout_for (cairo_t *cr, const PbPlotStyle *style, const char *text, gboolean bold)
{
  PangoFontDescription *desc = pango_font_description_new ();
  PangoLayout *layout;

  pango_font_description_set_family (desc, style->font_family);
  pango_font_description_set_absolute_size (desc, style->font_size * PANGO_SCALE);
  layout = pb_draw_layout (cr, desc, text, bold, 1);
  pango_font_description_free (desc);
  return layout;
}

static void
draw_text (cairo_t *cr, const PbPlotStyle *style, const char *text, double x, double y,
           double xalign, double yalign, gboolean bold, double alpha)
{
  PangoLayout *layout = layout_for (cr, style, text, bold);
  double w, h;

  pb_draw_layout_size (layout, &w, &h);
  pb_draw_set_color (cr, &style->foreground, alpha);
  cairo_move_to (cr, x - xalign * w, y - yalign * h);
  pango_cairo_show_layout (cr, layout);
  /* The move above must not start the next path. */
  cairo_new_path (cr);
  g_object_unref (layout);
}

static char *
format_value (const PbSweepAxis *axis, double v, double step, gboolean percent)
{
  int decimals;

  if (axis->scale == PB_SWEEP_AXIS_CATEGORY)
    {
      int i = (int) lround (v);
      return g_strdup (i >= 0 && i < axis->n_categories ? axis->categories[i] : "");
    }
  if (percent)
    v *= 100, step *= 100;
  if (axis->scale == PB_SWEEP_AXIS_LOG || step <= 0)
    return g_strdup_printf ("%.2g", v);
  decimals = step >= 1 ? 0 : (int) ceil (-log10 (step) - 1e-9);
  if (fabs (v) < step * 1e-6)
    v = 0;
  return g_strdup_printf ("%.*f", CLAMP (decimals, 0, 6), v);
}

/* The values at which an axis gets a tick label: nice numbers inside the range, its decades on a
 * log axis (with both ends when fewer than two decades fall inside), every category. */
static int
axis_ticks (const PbSweepAxis *axis, double *ticks, int max, double *step)
{
  int n = 0;

  *step = 0;
  if (axis->scale == PB_SWEEP_AXIS_CATEGORY)
    {
      for (int i = 0; i < axis->n_categories && n < max; i++)
        ticks[n++] = i;
      return n;
    }
  if (axis->scale == PB_SWEEP_AXIS_LOG)
    {
      /* 1, 2 and 5 times the decades inside the range; its ends when fewer than two are. */
      static const double steps[] = { 1, 2, 5 };
      for (double e = floor (log10 (axis->min)); e <= ceil (log10 (axis->max)) && n < max; e++)
        for (guint k = 0; k < G_N_ELEMENTS (steps) && n < max; k++)
          {
            double v = steps[k] * pow (10, e);
            if (v >= axis->min * (1 - 1e-9) && v <= axis->max * (1 + 1e-9))
              ticks[n++] = v;
          }
      if (n < 2)
        {
          n = 0;
          ticks[n++] = axis->min;
          ticks[n++] = axis->max;
        }
      return n;
    }
  {
    PbTicks t;

    pb_nice_ticks (axis->min, axis->max, 5, &t);
    *step = t.step;
    for (int i = 0; i < t.n && n < max; i++)
      {
        double v = t.first + i * t.step;
        if (v >= axis->min - t.step * 1e-6 && v <= axis->max + t.step * 1e-6)
          ticks[n++] = v;
      }
  }
  return n;
}

void
pb_sweep_plot_geometry (const PbSweepPlotData *data,
                        const PbPlotStyle     *style,
                        double                 width,
                        double                 height,
                        PbSweepPlotGeometry   *out)
{
  double line = style->font_size * 1.4;
  double left = 64, right = 130, span;
  int n = MAX (data->n_axes, 1);

  out->top = line * 2 + GAP + 4;
  out->bottom = height - GAP - 4;
  out->legend_x = width - 64;
  span = MAX (width - left - right, 10);
  for (int a = 0; a < data->n_axes; a++)
    out->x[a] = n > 1 ? left + span * a / (n - 1) : left + span / 2;
}

static double
line_y (const PbSweepPlotGeometry *g, const PbSweepAxis *axis, double v)
{
  double t = pb_sweep_axis_to_unit (axis, v);

  return isfinite (t) ? g->bottom - CLAMP (t, 0, 1) * (g->bottom - g->top) : NAN;
}

static double
color_t (const PbSweepPlotData *data, double err)
{
  const PbSweepAxis *axis = &data->axes[data->n_axes - 1];

  return axis->max > axis->min ? (err - axis->min) / (axis->max - axis->min) : 0.5;
}

static void
trace_line (cairo_t *cr, const PbSweepPlotData *data, const PbSweepPlotGeometry *g, int i)
{
  gboolean pen = FALSE;

  for (int a = 0; a < data->n_axes; a++)
    {
      double y = line_y (g, &data->axes[a], data->values[(gsize) i * data->n_axes + a]);

      if (!isfinite (y))
        {
          pen = FALSE;
          continue;
        }
      if (pen)
        cairo_line_to (cr, g->x[a], y);
      else
        cairo_move_to (cr, g->x[a], y);
      pen = TRUE;
    }
}

static void
draw_legend (cairo_t *cr, const PbPlotStyle *style, const PbSweepPlotData *data, double x,
             double top, double bottom)
{
  const PbSweepAxis *axis = &data->axes[data->n_axes - 1];
  cairo_pattern_t *ramp = cairo_pattern_create_linear (0, bottom, 0, top);
  g_autofree char *lo = NULL, *hi = NULL;

  for (int k = 0; k <= 10; k++)
    {
      PbColor c = pb_sweep_plot_color (k / 10.0);
      cairo_pattern_add_color_stop_rgb (ramp, k / 10.0, c.red, c.green, c.blue);
    }
  cairo_rectangle (cr, x, top, 10, bottom - top);
  cairo_set_source (cr, ramp);
  cairo_fill (cr);
  cairo_pattern_destroy (ramp);
  lo = g_strdup_printf ("%.1f\u00a0%%", 100 * axis->min);
  hi = g_strdup_printf ("%.1f\u00a0%%", 100 * axis->max);
  draw_text (cr, style, hi, x + 14, top, 0, 0, FALSE, 0.8);
  draw_text (cr, style, lo, x + 14, bottom, 0, 1, FALSE, 0.8);
}

/* NaN (diverged) counts as the worst. */
static int
by_error_descending (gconstpointer a, gconstpointer b, gpointer user_data)
{
  const PbSweepPlotData *data = user_data;
  double ea = data->values[(gsize) *(const int *) a * data->n_axes + data->n_axes - 1];
  double eb = data->values[(gsize) *(const int *) b * data->n_axes + data->n_axes - 1];

  if (!isfinite (ea) || !isfinite (eb))
    return isfinite (ea) - isfinite (eb);
  return (ea < eb) - (ea > eb);
}

static void
draw_message (cairo_t *cr, const PbPlotStyle *style, double width, double height,
              const char *text)
{
  draw_text (cr, style, text, width / 2, height / 2, 0.5, 0.5, FALSE, 0.55);
}

static void
paint_background (cairo_t *cr, const PbPlotStyle *style, double width, double height)
{
  if (style->paint_background)
    {
      pb_draw_set_color (cr, &style->background, 1);
      cairo_rectangle (cr, 0, 0, width, height);
      cairo_fill (cr);
    }
}

void
pb_sweep_plot_draw_parcoords (cairo_t               *cr,
                              double                 width,
                              double                 height,
                              const PbPlotStyle     *style,
                              const PbSweepPlotData *data)
{
  PbSweepPlotGeometry g;
  double line = style->font_size * 1.4;

  paint_background (cr, style, width, height);
  draw_text (cr, style, pb_sweep_plot_parcoords_title (), width / 2, 0, 0.5, 0, TRUE, 1);
  if (data == NULL || data->n_axes < 1 || data->n_lines == 0)
    {
      draw_message (cr, style, width, height, _("No trials yet"));
      return;
    }
  pb_sweep_plot_geometry (data, style, width, height, &g);

  cairo_save (cr);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  /* The lines outside a brush first, faint, so that the kept ones read on top. */
  cairo_set_line_width (cr, 1);
  for (int i = 0; i < data->n_lines; i++)
    if (!pb_sweep_plot_line_kept (data, i))
      {
        trace_line (cr, data, &g, i);
        pb_draw_set_color (cr, &style->foreground, 0.12);
        cairo_stroke (cr);
      }
  cairo_set_line_width (cr, 1.6);
  /* Worst first, so that the best lines are drawn last and stay visible. */
  {
    g_autofree int *order = g_new (int, data->n_lines);

    for (int i = 0; i < data->n_lines; i++)
      order[i] = i;
    g_qsort_with_data (order, data->n_lines, sizeof *order, by_error_descending, (gpointer) data);
    for (int k = 0; k < data->n_lines; k++)
      {
        int i = order[k];
        double e = data->values[(gsize) i * data->n_axes + data->n_axes - 1];
        PbColor c = pb_sweep_plot_color (color_t (data, e));

        if (i == data->selected || !pb_sweep_plot_line_kept (data, i))
          continue;
        trace_line (cr, data, &g, i);
        pb_draw_set_color (cr, &c, isfinite (e) ? 0.85 : 0.3);
        cairo_stroke (cr);
      }
  }
  if (data->selected >= 0 && data->selected < data->n_lines)
    {
      double e = data->values[(gsize) data->selected * data->n_axes + data->n_axes - 1];
      PbColor c = pb_sweep_plot_color (color_t (data, e));

      trace_line (cr, data, &g, data->selected);
      pb_draw_set_color (cr, &style->background, 1);
      cairo_set_line_width (cr, 5);
      cairo_stroke_preserve (cr);
      pb_draw_set_color (cr, &c, 1);
      cairo_set_line_width (cr, 3);
      cairo_stroke (cr);
    }
  cairo_restore (cr);

  for (int a = 0; a < data->n_axes; a++)
    {
      const PbSweepAxis *axis = &data->axes[a];
      gboolean err_axis = a == data->n_axes - 1;
      double ticks[PB_SWEEP_PLOT_MAX_CATEGORIES], step;
      int n = axis_ticks (axis, ticks, G_N_ELEMENTS (ticks), &step);
      double x = pb_draw_align (g.x[a]);
      double label_xalign = a == data->n_axes - 1 && data->n_axes > 1 ? 0 : 1;
      double label_dx = label_xalign == 0 ? 5 : -5;

      if (axis->brushed)
        {
          double y0 = line_y (&g, axis, axis->brush_hi), y1 = line_y (&g, axis, axis->brush_lo);

          pb_draw_set_color (cr, &style->foreground, 0.18);
          cairo_rectangle (cr, x - 7, y0, 14, MAX (y1 - y0, 2));
          cairo_fill_preserve (cr);
          pb_draw_set_color (cr, &style->foreground, 0.6);
          cairo_set_line_width (cr, 1);
          cairo_stroke (cr);
        }
      pb_draw_set_color (cr, &style->foreground, 0.7);
      cairo_set_line_width (cr, 1);
      cairo_move_to (cr, x, g.top);
      cairo_line_to (cr, x, g.bottom);
      cairo_stroke (cr);
      for (int k = 0; k < n; k++)
        {
          double y = line_y (&g, axis, ticks[k]);
          g_autofree char *label = format_value (axis, ticks[k], step, err_axis);

          if (!isfinite (y))
            continue;
          y = pb_draw_align (y);
          pb_draw_set_color (cr, &style->foreground, 0.7);
          cairo_move_to (cr, x - 3, y);
          cairo_line_to (cr, x + 3, y);
          cairo_stroke (cr);
          draw_text (cr, style, label, x + label_dx, y, label_xalign, 0.5, FALSE, 0.75);
        }
      draw_text (cr, style, err_axis ? _("val_error (%)") : axis->name, x, g.top - line * 0.4,
                 0.5, 1, TRUE, 1);
    }
  draw_legend (cr, style, data, g.legend_x, g.top, g.bottom);
}

void
pb_sweep_plot_draw_scatter (cairo_t               *cr,
                            double                 width,
                            double                 height,
                            const PbPlotStyle     *style,
                            const PbSweepPlotData *data,
                            int                    x_axis)
{
  double line = style->font_size * 1.4;
  const PbSweepAxis *xa, *ya;
  double left = 52, right = 12, top = line + GAP + 4, bottom = height - 2 * line - GAP;
  double xticks[PB_SWEEP_PLOT_MAX_CATEGORIES], yticks[16], xstep, ystep;
  int nx, ny;

  paint_background (cr, style, width, height);
  if (data == NULL || data->n_axes < 2 || data->n_lines == 0 || x_axis < 0
      || x_axis >= data->n_axes - 1)
    {
      draw_text (cr, style, pb_sweep_plot_scatter_title (), width / 2, 0, 0.5, 0, TRUE, 1);
      draw_message (cr, style, width, height, _("No trials yet"));
      return;
    }
  xa = &data->axes[x_axis];
  ya = &data->axes[data->n_axes - 1];
  {
    /* Translators: the scatter's title; %s is the most important parameter's name */
    g_autofree char *title = g_strdup_printf (_("val_error against %s, the most important"),
                                              xa->name);
    draw_text (cr, style, title, width / 2, 0, 0.5, 0, TRUE, 1);
  }

  /* The frame, ticks and grid. */
  nx = axis_ticks (xa, xticks, G_N_ELEMENTS (xticks), &xstep);
  ny = axis_ticks (ya, yticks, G_N_ELEMENTS (yticks), &ystep);
  cairo_set_line_width (cr, 1);
  for (int k = 0; k < ny; k++)
    {
      double t = pb_sweep_axis_to_unit (ya, yticks[k]);
      double y = pb_draw_align (bottom - t * (bottom - top));
      g_autofree char *label = format_value (ya, yticks[k], ystep, TRUE);

      pb_draw_set_color (cr, &style->foreground, 0.12);
      cairo_move_to (cr, left, y);
      cairo_line_to (cr, width - right, y);
      cairo_stroke (cr);
      draw_text (cr, style, label, left - 4, y, 1, 0.5, FALSE, 0.8);
    }
  for (int k = 0; k < nx; k++)
    {
      double t = pb_sweep_axis_to_unit (xa, xticks[k]);
      double x = pb_draw_align (left + 8 + t * (width - right - left - 16));
      g_autofree char *label = format_value (xa, xticks[k], xstep, FALSE);

      pb_draw_set_color (cr, &style->foreground, 0.6);
      cairo_move_to (cr, x, bottom);
      cairo_line_to (cr, x, bottom + 3);
      cairo_stroke (cr);
      draw_text (cr, style, label, x, bottom + 4, 0.5, 0, FALSE, 0.8);
    }
  pb_draw_set_color (cr, &style->foreground, 0.6);
  cairo_move_to (cr, pb_draw_align (left), top);
  cairo_line_to (cr, pb_draw_align (left), pb_draw_align (bottom));
  cairo_line_to (cr, width - right, pb_draw_align (bottom));
  cairo_stroke (cr);
  {
    g_autofree char *xlabel = xa->scale == PB_SWEEP_AXIS_LOG
                                /* Translators: an axis label, "lr (log scale)" */
                                ? g_strdup_printf (_("%s (log scale)"), xa->name)
                                : g_strdup (xa->name);
    draw_text (cr, style, xlabel, left + (width - right - left) / 2, height - 2, 0.5, 1, FALSE,
               1);
  }
  cairo_save (cr);
  cairo_translate (cr, 2, top + (bottom - top) / 2);
  cairo_rotate (cr, -G_PI / 2);
  draw_text (cr, style, _("val_error (%)"), 0, 0, 0.5, 0, FALSE, 1);
  cairo_restore (cr);

  /* The points: dim outside the brushes, the selected one ringed. */
  for (int pass = 0; pass < 2; pass++)
    for (int i = 0; i < data->n_lines; i++)
      {
        double xv = data->values[(gsize) i * data->n_axes + x_axis];
        double yv = data->values[(gsize) i * data->n_axes + data->n_axes - 1];
        double tx = pb_sweep_axis_to_unit (xa, xv), ty = pb_sweep_axis_to_unit (ya, yv);
        gboolean kept = pb_sweep_plot_line_kept (data, i);
        double px, py;
        PbColor c;

        if (kept != (pass == 1) || !isfinite (tx) || !isfinite (ty))
          continue;
        px = left + 8 + CLAMP (tx, 0, 1) * (width - right - left - 16);
        py = bottom - CLAMP (ty, 0, 1) * (bottom - top);
        c = pb_sweep_plot_color (color_t (data, yv));
        cairo_arc (cr, px, py, i == data->selected ? 5.5 : 4, 0, 2 * G_PI);
        if (kept)
          pb_draw_set_color (cr, &c, 0.9);
        else
          pb_draw_set_color (cr, &style->foreground, 0.15);
        cairo_fill_preserve (cr);
        pb_draw_set_color (cr, i == data->selected ? &style->foreground : &style->background,
                           kept ? 1 : 0.3);
        cairo_set_line_width (cr, i == data->selected ? 2 : 0.75);
        cairo_stroke (cr);
      }
}
