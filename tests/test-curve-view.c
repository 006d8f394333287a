/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-curve-view"

#include "config.h"

#include <math.h>
#include <gtk/gtk.h>

#include "pb-curve-view.h"
#include "pb-run-item.h"

static gboolean have_display;

static void
assert_ticks (double lo,
              double hi,
              int    max_ticks,
              double first,
              double last,
              double step)
{
  PbTicks t;

  pb_nice_ticks (lo, hi, max_ticks, &t);
  g_test_message ("[%g, %g] max %d → %g..%g step %g (%d ticks)", lo, hi, max_ticks, t.first,
                  t.last, t.step, t.n);
  g_assert_cmpfloat_with_epsilon (t.first, first, 1e-9);
  g_assert_cmpfloat_with_epsilon (t.last, last, 1e-9);
  g_assert_cmpfloat_with_epsilon (t.step, step, 1e-12);
  g_assert_cmpint (t.n, ==, (int) lround ((last - first) / step) + 1);
  g_assert_cmpint (t.n, <=, max_ticks);
  g_assert_cmpfloat (t.first, <=, lo);
  g_assert_cmpfloat (t.last, >=, hi);
}

static void
test_nice_number (void)
{
  g_assert_cmpfloat (pb_nice_number (0.93, FALSE), ==, 1);
  g_assert_cmpfloat (pb_nice_number (1.2, FALSE), ==, 2);
  g_assert_cmpfloat (pb_nice_number (3.1, FALSE), ==, 5);
  g_assert_cmpfloat (pb_nice_number (7, FALSE), ==, 10);
  g_assert_cmpfloat (pb_nice_number (1.4, TRUE), ==, 1);
  g_assert_cmpfloat (pb_nice_number (2.9, TRUE), ==, 2);
  g_assert_cmpfloat (pb_nice_number (6.9, TRUE), ==, 5);
  g_assert_cmpfloat (pb_nice_number (7.1, TRUE), ==, 10);
  g_assert_cmpfloat_with_epsilon (pb_nice_number (0.028, TRUE), 0.02, 1e-12);
  g_assert_cmpfloat_with_epsilon (pb_nice_number (0.031, TRUE), 0.05, 1e-12);
  g_assert_cmpfloat (pb_nice_number (0, TRUE), ==, 1);
  g_assert_cmpfloat (pb_nice_number (NAN, TRUE), ==, 1);
}

static void
test_ticks (void)
{
  assert_ticks (0, 25, 6, 0, 25, 5);
  assert_ticks (0, 0.93, 6, 0, 1, 0.2);
  assert_ticks (0, 5.31, 6, 0, 6, 2);
  assert_ticks (0, 57.3, 8, 0, 60, 10);
  assert_ticks (0.13, 4.7, 6, 0, 5, 1);
  assert_ticks (0, 2, 3, 0, 2, 1);
  assert_ticks (0, 100, 12, 0, 100, 10);
  assert_ticks (-3, 7, 6, -5, 10, 5);
  assert_ticks (0.2, 0.75, 5, 0.2, 0.8, 0.2);
}

static void
test_ticks_degenerate (void)
{
  PbTicks t;

  pb_nice_ticks (0, 0, 5, &t);
  g_assert_cmpfloat (t.first, <=, 0);
  g_assert_cmpfloat (t.last, >, t.first);
  g_assert_cmpint (t.n, >=, 2);

  pb_nice_ticks (5, 1, 5, &t);
  g_assert_cmpfloat (t.first, <=, 1);
  g_assert_cmpfloat (t.last, >=, 5);

  pb_nice_ticks (0, INFINITY, 5, &t);
  g_assert_true (isfinite (t.first) && isfinite (t.last));
}

static void
test_log_ticks (void)
{
  PbTicks t;

  pb_log_ticks (0.03, 2.5, &t);
  g_assert_cmpfloat_with_epsilon (t.first, 0.01, 1e-12);
  g_assert_cmpfloat_with_epsilon (t.last, 10, 1e-9);
  g_assert_cmpint (t.n, ==, 4);

  pb_log_ticks (0.1, 1, &t);
  g_assert_cmpfloat_with_epsilon (t.first, 0.1, 1e-12);
  g_assert_cmpfloat_with_epsilon (t.last, 1, 1e-12);
  g_assert_cmpint (t.n, ==, 2);
}

static void
test_mapping_linear (void)
{
  PbPlotMapping m = { 50, 10, 400, 200, 0, 25, 0, 1, FALSE };
  double px, py, dx, dy;

  pb_plot_mapping_to_pixel (&m, 0, 0, &px, &py);
  g_assert_cmpfloat_with_epsilon (px, 50, 1e-9);
  g_assert_cmpfloat_with_epsilon (py, 210, 1e-9);

  pb_plot_mapping_to_pixel (&m, 25, 1, &px, &py);
  g_assert_cmpfloat_with_epsilon (px, 450, 1e-9);
  g_assert_cmpfloat_with_epsilon (py, 10, 1e-9);

  pb_plot_mapping_to_pixel (&m, 12.5, 0.25, &px, &py);
  g_assert_cmpfloat_with_epsilon (px, 250, 1e-9);
  g_assert_cmpfloat_with_epsilon (py, 160, 1e-9);

  pb_plot_mapping_from_pixel (&m, 250, 160, &dx, &dy);
  g_assert_cmpfloat_with_epsilon (dx, 12.5, 1e-9);
  g_assert_cmpfloat_with_epsilon (dy, 0.25, 1e-9);
}

static void
test_mapping_log (void)
{
  PbPlotMapping m = { 0, 0, 100, 300, 0, 10, 0.01, 10, TRUE };
  double px, py, dx, dy;

  /* Three decades over 300 px: 100 px each, from the bottom. */
  pb_plot_mapping_to_pixel (&m, 0, 0.01, &px, &py);
  g_assert_cmpfloat_with_epsilon (py, 300, 1e-9);
  pb_plot_mapping_to_pixel (&m, 0, 0.1, &px, &py);
  g_assert_cmpfloat_with_epsilon (py, 200, 1e-9);
  pb_plot_mapping_to_pixel (&m, 0, 10, &px, &py);
  g_assert_cmpfloat_with_epsilon (py, 0, 1e-9);

  pb_plot_mapping_from_pixel (&m, 50, 100, &dx, &dy);
  g_assert_cmpfloat_with_epsilon (dx, 5, 1e-9);
  g_assert_cmpfloat_with_epsilon (dy, 1, 1e-9);
}

static PbRunItem *
fake_run (int epochs,
          int done)
{
  PbTrainSettings s;
  PbError err;
  PbRunItem *item;
  PbBatchRecord batches[4 * 25];
  PbEpochRecord records[25];

  g_assert_cmpint (pb_train_settings_init (&s, "siamese-aux", &err), ==, PB_OK);
  s.epochs = epochs;
  item = pb_run_item_new (&s, 0);
  pb_run_item_set_batches_per_epoch (item, 4);
  for (int b = 0; b < 4 * done; b++)
    batches[b] = (PbBatchRecord) { b / 4 + 1, b + 1, 3.0f / (b + 1), 1.0f / (b + 1),
                                   2.0f / (b + 1) };
  for (int e = 0; e < done; e++)
    records[e] = (PbEpochRecord) { .epoch = e + 1, .train_loss = 2.0 / (e + 1),
                                   .train_main_loss = 0.7 / (e + 1),
                                   .train_aux_loss = 1.3 / (e + 1),
                                   .train_error = 0.4 / (e + 1), .test_error = 0.45 / (e + 1),
                                   .digit_error = 0.2 / (e + 1) };
  pb_run_item_append (item, batches, 4 * done, records, done);
  return item;
}

static void
test_widget_mapping_and_draw (void)
{
  g_autoptr(GListStore) store = g_list_store_new (PB_TYPE_RUN_ITEM);
  g_autoptr(PbRunItem) item = fake_run (25, 10);
  GtkWidget *view;
  PbPlotMapping m;
  cairo_surface_t *surface;
  cairo_t *cr;
  guint32 first;
  gboolean varied = FALSE;
  guint8 *data;
  int stride;

  if (!have_display)
    {
      g_test_skip ("no display");
      return;
    }

  view = g_object_ref_sink (pb_curve_view_new (PB_CURVE_KIND_LOSS));
  pb_curve_view_set_model (PB_CURVE_VIEW (view), G_LIST_MODEL (store));
  g_list_store_append (store, item);

  /* The epoch axis spans the planned epochs; the loss axis covers the data from 0. */
  pb_curve_view_get_mapping (PB_CURVE_VIEW (view), 600, 300, &m);
  g_assert_cmpfloat (m.xmin, ==, 0);
  g_assert_cmpfloat (m.xmax, ==, 25);
  g_assert_cmpfloat (m.ymin, ==, 0);
  g_assert_cmpfloat (m.ymax, >=, 3.0);
  g_assert_cmpfloat (m.ymax, <=, 4.0);
  g_assert_cmpfloat (m.x, >, 0);
  g_assert_cmpfloat (m.x + m.width, <=, 600);
  g_assert_cmpfloat (m.y + m.height, <=, 300);

  pb_curve_view_set_log_scale (PB_CURVE_VIEW (view), TRUE);
  pb_curve_view_get_mapping (PB_CURVE_VIEW (view), 600, 300, &m);
  g_assert_true (m.log_y);
  g_assert_cmpfloat (m.ymin, >, 0);
  g_assert_cmpfloat (m.ymin, <=, 3.0 / 40);

  /* Hiding the run keeps the axes but draws no data. */
  pb_run_item_set_shown (item, FALSE);
  pb_run_item_set_shown (item, TRUE);

  surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 600, 300);
  cr = cairo_create (surface);
  pb_curve_view_draw (PB_CURVE_VIEW (view), cr, 600, 300);
  cairo_destroy (cr);
  cairo_surface_flush (surface);
  data = cairo_image_surface_get_data (surface);
  stride = cairo_image_surface_get_stride (surface);
  first = *(guint32 *) (gpointer) data;
  for (int y = 0; y < 300 && !varied; y++)
    for (int x = 0; x < 600 && !varied; x++)
      varied = *(guint32 *) (gpointer) (data + y * stride + 4 * x) != first;
  g_assert_true (varied);
  cairo_surface_destroy (surface);

  g_object_unref (view);
}

static void
test_widget_error_axis (void)
{
  g_autoptr(GListStore) store = g_list_store_new (PB_TYPE_RUN_ITEM);
  g_autoptr(PbRunItem) item = fake_run (10, 10);
  GtkWidget *view;
  PbPlotMapping m;
  double px, py;

  if (!have_display)
    {
      g_test_skip ("no display");
      return;
    }

  view = g_object_ref_sink (pb_curve_view_new (PB_CURVE_KIND_ERROR));
  g_list_store_append (store, item);
  pb_curve_view_set_model (PB_CURVE_VIEW (view), G_LIST_MODEL (store));
  pb_curve_view_get_mapping (PB_CURVE_VIEW (view), 500, 400, &m);
  /* Errors are in percent: the largest is 45 %, so the axis ends at a nice 50. */
  g_assert_cmpfloat (m.ymax, ==, 50);
  g_assert_cmpfloat (m.xmax, ==, 10);
  pb_plot_mapping_to_pixel (&m, 10, 50, &px, &py);
  g_assert_cmpfloat_with_epsilon (px, m.x + m.width, 1e-9);
  g_assert_cmpfloat_with_epsilon (py, m.y, 1e-9);
  g_object_unref (view);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  have_display = gtk_init_check ();

  g_test_add_func ("/curve-view/nice-number", test_nice_number);
  g_test_add_func ("/curve-view/ticks", test_ticks);
  g_test_add_func ("/curve-view/ticks-degenerate", test_ticks_degenerate);
  g_test_add_func ("/curve-view/log-ticks", test_log_ticks);
  g_test_add_func ("/curve-view/mapping-linear", test_mapping_linear);
  g_test_add_func ("/curve-view/mapping-log", test_mapping_log);
  g_test_add_func ("/curve-view/widget-mapping-and-draw", test_widget_mapping_and_draw);
  g_test_add_func ("/curve-view/widget-error-axis", test_widget_error_axis);
  return g_test_run ();
}
