/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The training-curve renderer on its own (no GTK): drawn into an image surface from plain data. */

#include <math.h>
#include <glib.h>

#include "pb-curves.h"

#define W 600
#define H 300

static const double xs[4] = { 1, 2, 3, 4 };
static const double ys[4] = { 0.8, 0.5, 0.4, 0.3 };

static void
chart_init (PbCurveChart  *chart,
            PbCurveSeries *series,
            PbCurveRun    *run,
            PbCurveMarker *marker)
{
  *series = (PbCurveSeries) { .n = 4, .x = xs, .raw = ys,
                              .line = { "per epoch", 2.5, PB_CURVE_DASH_SOLID } };
  *marker = (PbCurveMarker) { .x = 2.5, .text = "lr 0.0005" };
  *run = (PbCurveRun) { .label = "siamese-aux", .color = pb_color_from_hex (0xff7800),
                        .series = series, .n_series = 1, .markers = marker, .n_markers = 1 };
  *chart = (PbCurveChart) { .title = "Loss", .y_label = "Cross-entropy (nats)",
                            .x_axis = PB_CURVE_X_EPOCH, .xmax = 10, .ymin = 0, .ymax = 1,
                            .runs = run, .n_runs = 1, .hover_x = NAN };
}

static cairo_surface_t *
render (const PbPlotStyle *style, const PbCurveChart *chart, PbCurveLayout *lo)
{
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, W, H);
  cairo_t *cr = cairo_create (surface);

  pb_curves_draw (cr, W, H, style, chart, lo);
  cairo_destroy (cr);
  cairo_surface_flush (surface);
  return surface;
}

/* The pixel's r, g, b in 0–1 and its alpha. */
static void
pixel (cairo_surface_t *s, int x, int y, double rgba[4])
{
  guint32 p = *(guint32 *) (gpointer) (cairo_image_surface_get_data (s)
                                       + (gsize) y * cairo_image_surface_get_stride (s) + 4 * x);
  double a = (p >> 24) / 255.0;

  rgba[3] = a;
  rgba[0] = a > 0 ? ((p >> 16) & 0xff) / 255.0 / a : 0;
  rgba[1] = a > 0 ? ((p >> 8) & 0xff) / 255.0 / a : 0;
  rgba[2] = a > 0 ? (p & 0xff) / 255.0 / a : 0;
}

static gboolean
near_color (cairo_surface_t *s, int x, int y, const PbColor *c, double tol)
{
  double p[4];

  pixel (s, x, y, p);
  return p[3] > 0.9 && fabs (p[0] - c->red) + fabs (p[1] - c->green) + fabs (p[2] - c->blue) < tol;
}

static void
test_light_and_dark (void)
{
  PbCurveChart chart;
  PbCurveSeries series;
  PbCurveRun run;
  PbCurveMarker marker;
  PbPlotStyle light, dark;
  PbCurveLayout lo;
  cairo_surface_t *a, *b;
  double p[4];

  chart_init (&chart, &series, &run, &marker);
  pb_plot_style_init (&light, FALSE);
  pb_plot_style_init (&dark, TRUE);
  a = render (&light, &chart, &lo);
  b = render (&dark, &chart, &lo);
  /* A corner outside every mark: the light background is white, the dark one dark. */
  pixel (a, W - 2, H - 2, p);
  g_assert_cmpfloat (p[3], ==, 1);
  g_assert_cmpfloat (p[0] + p[1] + p[2], >, 2.9);
  pixel (b, W - 2, H - 2, p);
  g_assert_cmpfloat (p[3], ==, 1);
  g_assert_cmpfloat (p[0] + p[1] + p[2], <, 0.5);
  cairo_surface_destroy (a);
  cairo_surface_destroy (b);

  /* Without paint_background (on screen) the widget's own background shows through. */
  light.paint_background = FALSE;
  a = render (&light, &chart, &lo);
  pixel (a, W - 2, H - 2, p);
  g_assert_cmpfloat (p[3], ==, 0);
  cairo_surface_destroy (a);
}

static void
test_points_and_marker (void)
{
  PbCurveChart chart;
  PbCurveSeries series;
  PbCurveRun run;
  PbCurveMarker marker;
  PbPlotStyle style;
  PbCurveLayout lo, measured;
  cairo_surface_t *s;
  double px, py;
  guint on = 0, off = 0;

  chart_init (&chart, &series, &run, &marker);
  pb_plot_style_init (&style, FALSE);
  s = render (&style, &chart, &lo);
  pb_curves_layout (NULL, W, H, &style, &chart, &measured);
  g_assert_cmpfloat (measured.map.x, ==, lo.map.x);
  g_assert_cmpfloat (measured.map.width, ==, lo.map.width);
  /* The epoch axis from 0 to the planned 10; y to a nice 1. */
  g_assert_cmpfloat (lo.map.xmin, ==, 0);
  g_assert_cmpfloat (lo.map.xmax, ==, 10);
  g_assert_cmpfloat (lo.map.ymax, ==, 1);

  /* Every point is a dot in the run's colour where the mapping puts it. */
  for (int i = 0; i < 4; i++)
    {
      pb_plot_mapping_to_pixel (&lo.map, xs[i], ys[i], &px, &py);
      g_assert_true (near_color (s, (int) px, (int) py, &run.color, 0.1));
    }
  /* Half-way between epochs 1 and 2, off the line, nothing of it. */
  pb_plot_mapping_to_pixel (&lo.map, 1.5, 0.2, &px, &py);
  g_assert_false (near_color (s, (int) px, (int) py, &run.color, 0.3));

  /* The learning-rate mark: a dotted column in the run's colour at x = 2.5, none beside it. */
  px = floor (pb_curves_x_to_pixel (&lo, 2.5));
  for (int y = (int) lo.map.y + 20; y < (int) (lo.map.y + lo.map.height - 2); y++)
    {
      on += near_color (s, (int) px, y, &run.color, 0.25);
      off += near_color (s, (int) px + 12, y, &run.color, 0.25);
    }
  g_test_message ("marker column: %u on, %u 12 px right", on, off);
  g_assert_cmpuint (on, >=, (guint) lo.map.height / 5);
  g_assert_cmpuint (off, <, on / 4);
  cairo_surface_destroy (s);
}

static void
test_hover_and_log (void)
{
  PbCurveChart chart;
  PbCurveSeries series;
  PbCurveRun run;
  PbCurveMarker marker;
  PbPlotStyle style;
  PbCurveLayout lo;
  cairo_surface_t *plain, *hover;
  double px;
  guint dark_px = 0;

  chart_init (&chart, &series, &run, &marker);
  chart.n_runs = 0;
  chart.placeholder = "Press Start";
  pb_plot_style_init (&style, FALSE);
  plain = render (&style, &chart, &lo);
  chart.hover_x = 7;
  hover = render (&style, &chart, &lo);
  /* The cross-hair: a dashed line at x = 7 in the text colour at half strength. */
  px = floor (pb_curves_x_to_pixel (&lo, 7));
  for (int y = (int) lo.map.y; y < (int) (lo.map.y + lo.map.height); y++)
    {
      double a[4], b[4];

      pixel (plain, (int) px, y, a);
      pixel (hover, (int) px, y, b);
      dark_px += b[0] < a[0] - 0.2;
    }
  g_assert_cmpuint (dark_px, >, (guint) lo.map.height / 3);
  cairo_surface_destroy (plain);
  cairo_surface_destroy (hover);

  chart.log_y = TRUE;
  chart.ymin = 0.03;
  chart.ymax = 2.5;
  pb_curves_layout (NULL, W, H, &style, &chart, &lo);
  g_assert_true (lo.map.log_y);
  g_assert_cmpfloat_with_epsilon (lo.map.ymin, 0.01, 1e-12);
  g_assert_cmpfloat_with_epsilon (lo.map.ymax, 10, 1e-9);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/curves/light-and-dark", test_light_and_dark);
  g_test_add_func ("/curves/points-and-marker", test_points_and_marker);
  g_test_add_func ("/curves/hover-and-log", test_hover_and_log);
  return g_test_run ();
}
