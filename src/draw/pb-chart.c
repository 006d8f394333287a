/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pb-chart"

#include <math.h>

#include "pb-chart.h"

double
pb_nice_number (double   x,
                gboolean round)
{
  double e, f, nf;

  if (!(x > 0) || !isfinite (x))
    return 1;
  e = floor (log10 (x));
  f = x / pow (10, e);
  if (round)
    nf = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10;
  else
    nf = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
  return nf * pow (10, e);
}

void
pb_nice_ticks (double   lo,
               double   hi,
               int      max_ticks,
               PbTicks *out)
{
  double range, step;

  if (max_ticks < 2)
    max_ticks = 2;
  if (!isfinite (lo) || !isfinite (hi))
    lo = 0, hi = 1;
  if (hi < lo)
    {
      double t = lo;
      lo = hi;
      hi = t;
    }
  if (hi - lo < 1e-12)
    {
      double d = fabs (lo) > 1e-12 ? fabs (lo) * 0.1 : 1;
      lo -= d;
      hi += d;
    }

  /* The smallest nice step that covers the range in max_ticks ticks: tighter than rounding
   * the range first (0–25 gets 0, 5, …, 25 rather than 0, 10, 20, 30). */
  range = hi - lo;
  step = pb_nice_number (range / (max_ticks - 1), FALSE);
  while ((ceil (hi / step - 1e-9) - floor (lo / step + 1e-9)) + 1 > max_ticks)
    step = pb_nice_number (step * 1.5, FALSE);

  out->step = step;
  out->first = floor (lo / step + 1e-9) * step;
  out->last = ceil (hi / step - 1e-9) * step;
  out->n = (int) llround ((out->last - out->first) / step) + 1;
}

void
pb_log_ticks (double   lo,
              double   hi,
              PbTicks *out)
{
  double a, b;

  if (!(lo > 0) || !isfinite (lo))
    lo = 1e-3;
  if (!(hi > lo) || !isfinite (hi))
    hi = lo * 10;
  a = floor (log10 (lo) + 1e-9);
  b = ceil (log10 (hi) - 1e-9);
  if (b <= a)
    b = a + 1;
  out->first = pow (10, a);
  out->last = pow (10, b);
  out->step = 1;
  out->n = (int) (b - a) + 1;
}

static double
normalise_y (const PbPlotMapping *m,
             double               dy)
{
  if (m->log_y)
    {
      double lo = log10 (m->ymin), hi = log10 (m->ymax);
      return (log10 (MAX (dy, m->ymin * 1e-3)) - lo) / (hi - lo);
    }
  return (dy - m->ymin) / (m->ymax - m->ymin);
}

void
pb_plot_mapping_to_pixel (const PbPlotMapping *m,
                          double               dx,
                          double               dy,
                          double              *px,
                          double              *py)
{
  double nx = (dx - m->xmin) / (m->xmax - m->xmin);
  double ny = normalise_y (m, dy);

  /* y grows upwards in data and downwards on screen. */
  *px = m->x + nx * m->width;
  *py = m->y + (1 - ny) * m->height;
}

void
pb_plot_mapping_from_pixel (const PbPlotMapping *m,
                            double               px,
                            double               py,
                            double              *dx,
                            double              *dy)
{
  double nx = (px - m->x) / m->width;
  double ny = 1 - (py - m->y) / m->height;

  *dx = m->xmin + nx * (m->xmax - m->xmin);
  if (m->log_y)
    {
      double lo = log10 (m->ymin), hi = log10 (m->ymax);
      *dy = pow (10, lo + ny * (hi - lo));
    }
  else
    *dy = m->ymin + ny * (m->ymax - m->ymin);
}

void
pb_plot_style_init (PbPlotStyle *style,
                    gboolean     dark)
{
  static const guint32 tab10[PB_PLOT_N_SERIES] = {
    0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd,
    0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf,
  };

  memset (style, 0, sizeof *style);
  /* libadwaita's view and popover colours in dark mode. */
  style->background = dark ? pb_color_from_hex (0x1e1e1e) : pb_color_from_hex (0xffffff);
  style->foreground = dark ? pb_color_from_hex (0xffffff) : pb_color_from_hex (0x000000);
  style->popover = dark ? pb_color_from_hex (0x383838) : pb_color_from_hex (0xffffff);
  for (int i = 0; i < PB_PLOT_N_SERIES; i++)
    style->series[i] = pb_color_from_hex (tab10[i]);
  style->paint_background = TRUE;
  g_strlcpy (style->font_family, "Sans", sizeof style->font_family);
  style->font_size = 9;
}

void
pb_plot_style_init_print (PbPlotStyle *style)
{
  pb_plot_style_init (style, FALSE);
}
