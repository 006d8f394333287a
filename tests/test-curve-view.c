/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-curve-view"

#include "config.h"

#include <math.h>
#include <string.h>
#include <glib/gstdio.h>
#include <adwaita.h>

#include "pb-application.h"
#include "pb-curve-view.h"
#include "pb-run-item.h"
#include "pb-smooth.h"
#include "pb-window.h"
#include "gui-test-util.h"

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


/* 10 epochs of 4 batches whose losses zig-zag around 1/step, with a spike at step 3; batch b
 * ends at 0.5 s × step, epoch e at 2 s × e (+ 0.1 s of evaluation). */
static PbRunItem *
noisy_run (void)
{
  PbTrainSettings s;
  PbError err;
  PbRunItem *item;
  PbBatchRecord batches[40];
  PbEpochRecord records[10];

  g_assert_cmpint (pb_train_settings_init (&s, "siamese-aux", &err), ==, PB_OK);
  s.epochs = 10;
  item = pb_run_item_new (&s, 1);
  pb_run_item_set_batches_per_epoch (item, 4);
  for (int b = 0; b < 40; b++)
    {
      float loss = (b % 2 ? 1.5f : 0.5f) * 2.0f / (b + 1) + 0.2f;

      if (b == 2)
        loss = 40;
      batches[b] = (PbBatchRecord) { .epoch = b / 4 + 1, .step = b + 1, .loss = loss,
                                     .main_loss = loss / 3, .aux_loss = 2 * loss / 3,
                                     .lr = 1e-3f, .seconds = 0.5 * (b + 1) };
    }
  for (int e = 0; e < 10; e++)
    records[e] = (PbEpochRecord) { .epoch = e + 1, .train_loss = 1.0 / (e + 1) + 0.1,
                                   .train_main_loss = 0.4 / (e + 1),
                                   .train_aux_loss = 0.6 / (e + 1),
                                   .train_error = 0.3 / (e + 1),
                                   .test_error = (e % 2 ? 0.30 : 0.20) / (0.5 * e + 1),
                                   .digit_error = 0.1, .seconds = 2.0 * (e + 1) + 0.1 };
  pb_run_item_append (item, batches, 40, records, 10);
  return item;
}

static GtkWidget *
view_with_run (PbCurveKind  kind,
               GListStore **store_out,
               PbRunItem   *item)
{
  GListStore *store = g_list_store_new (PB_TYPE_RUN_ITEM);
  GtkWidget *view = g_object_ref_sink (pb_curve_view_new (kind));

  g_list_store_append (store, item);
  pb_curve_view_set_model (PB_CURVE_VIEW (view), G_LIST_MODEL (store));
  *store_out = store;
  return view;
}

static GBytes *
render (GtkWidget *view)
{
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 600, 300);
  cairo_t *cr = cairo_create (surface);
  GBytes *bytes;

  pb_curve_view_draw (PB_CURVE_VIEW (view), cr, 600, 300);
  cairo_destroy (cr);
  cairo_surface_flush (surface);
  bytes = g_bytes_new (cairo_image_surface_get_data (surface),
                       (gsize) cairo_image_surface_get_stride (surface) * 300);
  cairo_surface_destroy (surface);
  return bytes;
}

/* The CSV's rows for one series: [n][raw, smoothed, step, epoch, seconds]. */
static guint
csv_series (const char *csv,
            const char *series,
            double      (*out)[5],
            guint       max)
{
  g_auto(GStrv) lines = g_strsplit (csv, "\n", -1);
  guint n = 0;

  g_assert_cmpstr (lines[0], ==, "run,series,step,epoch,seconds,raw,smoothed");
  for (guint i = 1; lines[i] != NULL; i++)
    {
      g_auto(GStrv) f = NULL;

      if (lines[i][0] == '\0')
        continue;
      f = g_strsplit (lines[i], ",", -1);
      g_assert_cmpuint (g_strv_length (f), ==, 7);
      if (strcmp (f[1], series) != 0)
        continue;
      g_assert_cmpuint (n, <, max);
      out[n][0] = f[5][0] ? g_ascii_strtod (f[5], NULL) : NAN;
      out[n][1] = f[6][0] ? g_ascii_strtod (f[6], NULL) : NAN;
      out[n][2] = g_ascii_strtod (f[2], NULL);
      out[n][3] = g_ascii_strtod (f[3], NULL);
      out[n][4] = g_ascii_strtod (f[4], NULL);
      n++;
    }
  return n;
}

static void
test_widget_smoothing (void)
{
  g_autoptr(PbRunItem) item = noisy_run ();
  g_autoptr(GListStore) store = NULL;
  g_autoptr(GBytes) raw = NULL, light = NULL, heavy = NULL, again = NULL;
  GtkWidget *view;
  PbCurveView *views[1];
  double rows[40][5], want[40], ys[40];
  g_autofree char *csv0 = NULL, *csv9 = NULL;

  if (!have_display)
    {
      g_test_skip ("no display");
      return;
    }
  view = view_with_run (PB_CURVE_KIND_LOSS, &store, item);
  views[0] = PB_CURVE_VIEW (view);
  g_assert_cmpfloat (pb_curve_view_get_smoothing (views[0]), ==, 0.6);

  /* Out-of-range weights are clamped, never 1. */
  pb_curve_view_set_smoothing (views[0], 1.0);
  g_assert_cmpfloat (pb_curve_view_get_smoothing (views[0]), ==, PB_SMOOTH_MAX);
  pb_curve_view_set_smoothing (views[0], -2);
  g_assert_cmpfloat (pb_curve_view_get_smoothing (views[0]), ==, 0);

  raw = render (view);
  csv0 = pb_curve_view_to_csv (views, 1);
  pb_curve_view_set_smoothing (views[0], 0.6);
  light = render (view);
  pb_curve_view_set_smoothing (views[0], 0.9);
  heavy = render (view);
  csv9 = pb_curve_view_to_csv (views, 1);
  pb_curve_view_set_smoothing (views[0], 0);
  again = render (view);

  /* Every weight draws something else; back at 0 the drawing is the raw one again. */
  g_assert_false (g_bytes_equal (raw, light));
  g_assert_false (g_bytes_equal (light, heavy));
  g_assert_true (g_bytes_equal (raw, again));

  /* Unsmoothed, the smoothed column is the raw one. */
  g_assert_cmpuint (csv_series (csv0, "batch_loss", rows, 40), ==, 40);
  for (guint i = 0; i < 40; i++)
    g_assert_cmpfloat (rows[i][1], ==, rows[i][0]);

  /* At 0.9: the debiased average of the raw column, the first point equal to its raw value. */
  g_assert_cmpuint (csv_series (csv9, "batch_loss", rows, 40), ==, 40);
  for (guint i = 0; i < 40; i++)
    ys[i] = rows[i][0];
  pb_smooth_ema (ys, 40, 0.9, want);
  g_assert_cmpfloat_with_epsilon (rows[0][1], rows[0][0], 1e-6);
  for (guint i = 0; i < 40; i++)
    g_assert_cmpfloat_with_epsilon (rows[i][1], want[i], 1e-6 * MAX (1, fabs (want[i])));
  g_assert_cmpfloat (fabs (rows[39][1] - rows[39][0]), >, 0.01);
  /* step, epoch and wall time of the batch. */
  g_assert_cmpfloat (rows[5][2], ==, 6);
  g_assert_cmpfloat (rows[5][3], ==, 2);
  g_assert_cmpfloat_with_epsilon (rows[5][4], 3.0, 1e-9);

  /* The epoch series are there too, with the epoch's step. */
  g_assert_cmpuint (csv_series (csv9, "epoch_loss", rows, 40), ==, 10);
  g_assert_cmpfloat (rows[2][2], ==, 12);
  g_assert_cmpfloat (rows[2][3], ==, 3);
  g_assert_cmpuint (csv_series (csv9, "epoch_aux_loss", rows, 40), ==, 10);
  g_object_unref (view);
}

static void
test_widget_x_axis (void)
{
  g_autoptr(PbRunItem) item = noisy_run ();
  g_autoptr(GListStore) store = NULL;
  g_autoptr(GBytes) by_epoch = NULL, by_step = NULL, by_time = NULL;
  GtkWidget *view;
  PbCurveView *cv;
  PbPlotMapping m;

  if (!have_display)
    {
      g_test_skip ("no display");
      return;
    }
  view = view_with_run (PB_CURVE_KIND_LOSS, &store, item);
  cv = PB_CURVE_VIEW (view);
  g_assert_cmpint (pb_curve_view_get_x_axis (cv), ==, PB_CURVE_X_EPOCH);

  pb_curve_view_get_mapping (cv, 600, 300, &m);
  g_assert_cmpfloat (m.xmax, ==, 10);
  g_assert_cmpfloat (pb_curve_view_step_to_x (cv, item, 6), ==, 1.5);
  by_epoch = render (view);

  /* 10 planned epochs of 4 batches. */
  pb_curve_view_set_x_axis (cv, PB_CURVE_X_STEP);
  pb_curve_view_get_mapping (cv, 600, 300, &m);
  g_assert_cmpfloat (m.xmax, ==, 40);
  g_assert_cmpfloat (pb_curve_view_step_to_x (cv, item, 6), ==, 6);
  by_step = render (view);

  /* Seconds: the last record is the 10th epoch's evaluation at 20.1 s. */
  pb_curve_view_set_x_axis (cv, PB_CURVE_X_WALL_TIME);
  pb_curve_view_get_mapping (cv, 600, 300, &m);
  g_assert_cmpfloat (m.xmax, >=, 20.1);
  g_assert_cmpfloat (m.xmax, <=, 30);
  g_assert_cmpfloat (pb_curve_view_step_to_x (cv, item, 6), ==, 3.0);
  g_assert_true (isnan (pb_curve_view_step_to_x (cv, item, 41)));
  by_time = render (view);

  g_assert_false (g_bytes_equal (by_epoch, by_step));
  g_assert_false (g_bytes_equal (by_step, by_time));

  /* The cross-hair still reads epochs: End goes to the last one on any axis. */
  pb_curve_view_set_hover_epoch (cv, 10);
  g_assert_cmpfloat (pb_curve_view_get_hover_epoch (cv), ==, 10);
  g_object_unref (view);
}

static void
test_widget_outliers (void)
{
  g_autoptr(PbRunItem) item = noisy_run ();
  g_autoptr(GListStore) store = NULL;
  GtkWidget *view;
  PbCurveView *cv;
  PbPlotMapping m;

  if (!have_display)
    {
      g_test_skip ("no display");
      return;
    }
  view = view_with_run (PB_CURVE_KIND_LOSS, &store, item);
  cv = PB_CURVE_VIEW (view);

  /* The step-3 spike of 40 sets the full range, smoothed or not. */
  pb_curve_view_set_smoothing (cv, 0);
  pb_curve_view_get_mapping (cv, 600, 300, &m);
  g_assert_cmpfloat (m.ymax, >=, 40);
  pb_curve_view_set_smoothing (cv, 0.6);
  pb_curve_view_get_mapping (cv, 600, 300, &m);
  g_assert_cmpfloat (m.ymax, >=, 40);

  /* Ignoring outliers, the axis fits the bulk of the curves. */
  pb_curve_view_set_ignore_outliers (cv, TRUE);
  pb_curve_view_set_smoothing (cv, 0);
  pb_curve_view_get_mapping (cv, 600, 300, &m);
  g_test_message ("raw, robust: ymax %g", m.ymax);
  g_assert_cmpfloat (m.ymax, <, 5);
  g_assert_cmpfloat (m.ymax, >=, 1);
  g_assert_cmpfloat (m.ymin, ==, 0);

  /* Smoothed, the spike lingers over a few steps, but the 95th percentile still cuts it. */
  pb_curve_view_set_smoothing (cv, 0.6);
  pb_curve_view_get_mapping (cv, 600, 300, &m);
  g_test_message ("smoothed, robust: ymax %g", m.ymax);
  g_assert_cmpfloat (m.ymax, <, 20);

  /* On the log axis the lower end follows the data too. */
  pb_curve_view_set_log_scale (cv, TRUE);
  pb_curve_view_get_mapping (cv, 600, 300, &m);
  g_assert_cmpfloat (m.ymin, >, 0);
  g_assert_cmpfloat (m.ymax, <=, 100);
  g_object_unref (view);
}

static void
test_export_csv (void)
{
  g_autoptr(PbRunItem) item = noisy_run ();
  g_autoptr(GListStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("pb-curves-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "curves.csv", NULL);
  g_autofree char *bad = g_build_filename (dir, "missing", "curves.csv", NULL);
  g_autofree char *text = NULL;
  GtkWidget *loss, *err_view;
  PbCurveView *views[2];
  double rows[40][5];

  if (!have_display)
    {
      g_test_skip ("no display");
      return;
    }
  g_assert_no_error (error);
  loss = view_with_run (PB_CURVE_KIND_LOSS, &store, item);
  err_view = g_object_ref_sink (pb_curve_view_new (PB_CURVE_KIND_ERROR));
  pb_curve_view_set_model (PB_CURVE_VIEW (err_view), G_LIST_MODEL (store));
  views[0] = PB_CURVE_VIEW (loss);
  views[1] = PB_CURVE_VIEW (err_view);
  pb_run_item_set_label (item, "siamese-aux, \"seed\" 1");

  g_assert_true (pb_curve_view_export_csv (views, 2, path, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  {
    g_auto(GStrv) lines = g_strsplit (text, "\n", -1);

    /* 40 batches and 3 loss series of 10 epochs, then the 3 error series, and the last \n. */
    g_assert_cmpuint (g_strv_length (lines), ==, 1 + 40 + 30 + 30 + 1);
    g_assert_cmpstr (lines[1], ==, "\"siamese-aux, \"\"seed\"\" 1\",batch_loss,1,1,0.500,1.2,1.2");
  }

  /* Errors are fractions, as in the metrics CSV. Per-epoch series are drawn raw, smoothing or
   * not, so their smoothed column is the raw one: 0.2, 0.2, then the drop to 0.1 with no lag. */
  pb_run_item_set_label (item, "siamese-aux");
  g_clear_pointer (&text, g_free);
  text = pb_curve_view_to_csv (views, 2);
  g_assert_cmpfloat (pb_curve_view_get_smoothing (views[1]), >, 0);
  g_assert_cmpuint (csv_series (text, "test_error", rows, 40), ==, 10);
  g_assert_cmpfloat_with_epsilon (rows[0][0], 0.2, 1e-6);
  g_assert_cmpfloat_with_epsilon (rows[0][4], 2.1, 1e-9);
  g_assert_cmpfloat_with_epsilon (rows[2][0], 0.1, 1e-6);
  for (guint i = 0; i < 10; i++)
    g_assert_cmpfloat (rows[i][1], ==, rows[i][0]);
  g_assert_cmpuint (csv_series (text, "epoch_loss", rows, 40), ==, 10);
  for (guint i = 0; i < 10; i++)
    g_assert_cmpfloat (rows[i][1], ==, rows[i][0]);
  /* The per-batch loss is still smoothed. */
  g_assert_cmpuint (csv_series (text, "batch_loss", rows, 40), ==, 40);
  g_assert_cmpfloat (fabs (rows[39][1] - rows[39][0]), >, 0.01);

  /* Hidden runs are not exported. */
  pb_run_item_set_shown (item, FALSE);
  g_clear_pointer (&text, g_free);
  text = pb_curve_view_to_csv (views, 2);
  g_assert_cmpstr (text, ==, "run,series,step,epoch,seconds,raw,smoothed\n");

  /* A folder that does not exist: an error naming the file, and nothing written. */
  g_assert_false (pb_curve_view_export_csv (views, 2, bad, &error));
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "curves.csv"));

  g_remove (path);
  g_rmdir (dir);
  g_object_unref (loss);
  g_object_unref (err_view);
}

/* Two runs overlaid, as when siamese-aux and twin-aux train one after the other. */
static GListStore *
two_runs (void)
{
  GListStore *store = g_list_store_new (PB_TYPE_RUN_ITEM);
  g_autoptr(PbRunItem) a = noisy_run ();
  g_autoptr(PbRunItem) b = noisy_run ();

  pb_run_item_set_label (a, "siamese-aux (seed 1)");
  pb_run_item_set_label (b, "twin-aux (seed 1)");
  g_list_store_append (store, a);
  g_list_store_append (store, b);
  return store;
}

static gboolean
rects_overlap (const PbCurveRect *a,
               const PbCurveRect *b)
{
  return a->x < b->x + b->width && b->x < a->x + a->width
         && a->y < b->y + b->height && b->y < a->y + a->height;
}

static void
test_legend_every_run (void)
{
  g_autoptr(GListStore) store = NULL;
  static const int widths[] = { 320, 480, 600, 1000 };

  if (!have_display)
    {
      g_test_skip ("no display");
      return;
    }
  store = two_runs ();
  for (PbCurveKind kind = PB_CURVE_KIND_LOSS; kind <= PB_CURVE_KIND_ERROR; kind++)
    {
      GtkWidget *view = g_object_ref_sink (pb_curve_view_new (kind));
      PbCurveView *cv = PB_CURVE_VIEW (view);
      g_autoptr(PbRunItem) second = NULL;

      pb_curve_view_set_model (cv, G_LIST_MODEL (store));
      for (guint w = 0; w < G_N_ELEMENTS (widths); w++)
        {
          g_auto(GStrv) labels = pb_curve_view_get_legend_labels (cv, widths[w], 300);
          PbCurveLayout lo;

          g_test_message ("%s at %d px: %u of 2 runs in the legend", pb_curve_kind_title (kind),
                          widths[w], g_strv_length (labels));
          g_assert_cmpuint (g_strv_length (labels), ==, 2);
          g_assert_cmpstr (labels[0], ==, "siamese-aux (seed 1)");
          g_assert_cmpstr (labels[1], ==, "twin-aux (seed 1)");

          /* The legend, however many rows it takes, stays above the plot, and the readout,
           * wherever the cross-hair puts it, off the legend. */
          for (double epoch = 2; epoch <= 9; epoch += 7)
            {
              pb_curve_view_set_hover_epoch (cv, epoch);
              pb_curve_view_get_layout (cv, widths[w], 300, &lo);
              g_assert_cmpfloat (lo.hover_box.width, >, 0);
              g_assert_cmpfloat (lo.legend.y + lo.legend.height, <=, lo.map.y);
              g_assert_false (rects_overlap (&lo.hover_box, &lo.legend));
            }
          pb_curve_view_set_hover_epoch (cv, -1);
        }

      /* A hidden run has no entry. */
      second = g_list_model_get_item (G_LIST_MODEL (store), 1);
      pb_run_item_set_shown (second, FALSE);
      {
        g_auto(GStrv) labels = pb_curve_view_get_legend_labels (cv, 600, 300);

        g_assert_cmpuint (g_strv_length (labels), ==, 1);
        g_assert_cmpstr (labels[0], ==, "siamese-aux (seed 1)");
      }
      pb_run_item_set_shown (second, TRUE);
      g_object_unref (view);
    }
}

/* Epochs first..first + n − 1 of noisy_run's shape, each ending at 2 s × epoch + 0.1 s. */
static void
append_timed_epochs (PbRunItem *item,
                     int        first,
                     int        n)
{
  PbBatchRecord batches[40];
  PbEpochRecord records[10];

  g_assert_cmpint (n, <=, 10);
  for (int i = 0; i < 4 * n; i++)
    {
      int step = 4 * (first - 1) + i + 1;

      batches[i] = (PbBatchRecord) { .epoch = first + i / 4, .step = step,
                                     .loss = 1.0f / step + 0.2f, .seconds = 0.5 * step };
    }
  for (int i = 0; i < n; i++)
    {
      int e = first + i;

      records[i] = (PbEpochRecord) { .epoch = e, .train_loss = 1.0 / e + 0.1,
                                     .train_error = 0.3 / e, .test_error = 0.35 / e,
                                     .digit_error = 0.1, .seconds = 2.0 * e + 0.1 };
    }
  pb_run_item_append (item, batches, 4 * n, records, n);
}

/* The epoch the view's layout puts under widget x: the nearest epoch end on the axis. */
static double
epoch_under (PbCurveView *cv,
             GtkWidget   *view,
             double       x,
             int          n_epochs)
{
  PbPlotMapping m;
  double dx, dy, best = -1, best_d = INFINITY;

  pb_curve_view_get_mapping (cv, gtk_widget_get_width (view), gtk_widget_get_height (view), &m);
  pb_plot_mapping_from_pixel (&m, x, m.y + 10, &dx, &dy);
  if (pb_curve_view_get_x_axis (cv) == PB_CURVE_X_EPOCH)
    return MAX (1, round (dx));
  for (int e = 1; e <= n_epochs; e++)
    if (fabs (2.0 * e + 0.1 - dx) < best_d)
      best = e, best_d = fabs (2.0 * e + 0.1 - dx);
  return best;
}

static void
test_hover_follows_rescale (void)
{
  g_autoptr(GListStore) store = g_list_store_new (PB_TYPE_RUN_ITEM);
  g_autoptr(PbRunItem) item = NULL, longer = NULL;
  PbTrainSettings s;
  PbError err;
  GtkWidget *window, *view;
  PbCurveView *cv;
  PbPlotMapping m;
  double x, y, before, after;

  if (!have_display)
    {
      g_test_skip ("no display");
      return;
    }
  g_assert_cmpint (pb_train_settings_init (&s, "siamese-aux", &err), ==, PB_OK);
  s.epochs = 10;
  item = pb_run_item_new (&s, 0);
  pb_run_item_set_batches_per_epoch (item, 4);
  append_timed_epochs (item, 1, 4);
  g_list_store_append (store, item);

  view = pb_curve_view_new (PB_CURVE_KIND_ERROR);
  cv = PB_CURVE_VIEW (view);
  pb_curve_view_set_model (cv, G_LIST_MODEL (store));
  pb_curve_view_set_x_axis (cv, PB_CURVE_X_WALL_TIME);
  window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (window), 600, 300);
  gtk_window_set_child (GTK_WINDOW (window), view);
  gtk_window_present (GTK_WINDOW (window));
  pb_test_wait_for (gtk_widget_get_width (view) > 0, 10);
  pb_test_settle ();

  /* The pointer over epoch 4, the last one, on a wall-time axis that ends near 8.1 s. */
  pb_curve_view_get_mapping (cv, gtk_widget_get_width (view), gtk_widget_get_height (view), &m);
  pb_plot_mapping_to_pixel (&m, 8.1, 0, &x, &y);
  y = m.y + m.height / 2;
  pb_curve_view_hover_at (cv, x, y);
  before = pb_curve_view_get_hover_epoch (cv);
  g_assert_cmpfloat (before, ==, 4);

  /* Six more epochs stretch the axis to 20.1 s: the pointer, which has not moved, is now over
   * a later epoch, and the cross-hair with it. */
  append_timed_epochs (item, 5, 6);
  after = pb_curve_view_get_hover_epoch (cv);
  g_test_message ("hover after the rescale: epoch %g (was %g)", after, before);
  g_assert_cmpfloat (after, ==, epoch_under (cv, view, x, 10));
  g_assert_cmpfloat (after, >, before);

  /* The x-axis mode: epochs 0–10. */
  pb_curve_view_set_x_axis (cv, PB_CURVE_X_EPOCH);
  g_assert_cmpfloat (pb_curve_view_get_hover_epoch (cv), ==, epoch_under (cv, view, x, 10));

  /* A run planned for 25 epochs widens the axis; hiding it narrows it back. */
  longer = fake_run (25, 5);
  g_list_store_append (store, longer);
  g_assert_cmpfloat (epoch_under (cv, view, x, 25), >, 10);
  g_assert_cmpfloat (pb_curve_view_get_hover_epoch (cv), ==, epoch_under (cv, view, x, 25));
  pb_run_item_set_shown (longer, FALSE);
  g_assert_cmpfloat (pb_curve_view_get_hover_epoch (cv), ==, epoch_under (cv, view, x, 10));
  g_assert_cmpfloat (pb_curve_view_get_hover_epoch (cv), <=, 10);

  gtk_window_destroy (GTK_WINDOW (window));
  pb_test_settle ();
}

static void
test_epoch_series_raw (void)
{
  g_autoptr(PbRunItem) item = noisy_run ();
  g_autoptr(GListStore) store = NULL, store2 = NULL;
  GtkWidget *errv, *loss;
  double raw[10], smoothed[10], batch[40], batch_smoothed[40];
  guint ne, nb;
  const PbEpochRecord *er = pb_run_item_get_epochs (item, &ne);
  const PbBatchRecord *br = pb_run_item_get_batches (item, &nb);

  if (!have_display)
    {
      g_test_skip ("no display");
      return;
    }
  errv = view_with_run (PB_CURVE_KIND_ERROR, &store, item);
  loss = view_with_run (PB_CURVE_KIND_LOSS, &store2, item);
  g_assert_cmpfloat (pb_curve_view_get_smoothing (PB_CURVE_VIEW (errv)), ==, 0.6);
  g_assert_cmpuint (ne, ==, 10);
  for (guint e = 0; e < ne; e++)
    raw[e] = 100 * er[e].test_error;
  pb_smooth_ema (raw, ne, 0.6, smoothed);
  /* The case the status and the chart disagreed on: the average lags the last epoch. */
  g_assert_cmpfloat (fabs (smoothed[9] - raw[9]), >, 0.1);

  /* The bold test-error line ends at the last epoch's raw value, not the smoothed one, at any
   * smoothing; so does the per-epoch loss. */
  for (double w = 0.6; w < 1; w += 0.3)
    {
      pb_curve_view_set_smoothing (PB_CURVE_VIEW (errv), w);
      pb_curve_view_set_smoothing (PB_CURVE_VIEW (loss), w);
      for (guint e = 0; e < ne; e++)
        g_assert_cmpfloat_with_epsilon (pb_curve_view_get_drawn_value (PB_CURVE_VIEW (errv), 0,
                                                                       "test", e),
                                        raw[e], 1e-9);
      g_assert_cmpfloat_with_epsilon (pb_curve_view_get_drawn_value (PB_CURVE_VIEW (errv), 0,
                                                                     "train", 9),
                                      100 * er[9].train_error, 1e-9);
      g_assert_cmpfloat_with_epsilon (pb_curve_view_get_drawn_value (PB_CURVE_VIEW (loss), 0,
                                                                     "per epoch", 9),
                                      er[9].train_loss, 1e-9);

      /* The per-batch loss is still smoothed by the menu's weight. */
      for (guint b = 0; b < nb; b++)
        batch[b] = br[b].loss;
      pb_smooth_ema (batch, nb, w, batch_smoothed);
      g_assert_cmpfloat_with_epsilon (pb_curve_view_get_drawn_value (PB_CURVE_VIEW (loss), 0,
                                                                     "per batch", nb - 1),
                                      batch_smoothed[nb - 1], 1e-6);
    }
  g_object_unref (errv);
  g_object_unref (loss);
}

/* The mean of r, g and b of a PNG's bottom-right pixel, in 0–1. */
static double
corner_brightness (const char *path)
{
  cairo_surface_t *s = cairo_image_surface_create_from_png (path);
  int w = cairo_image_surface_get_width (s), h = cairo_image_surface_get_height (s);
  guint32 p;
  double v;

  g_assert_cmpint (cairo_surface_status (s), ==, CAIRO_STATUS_SUCCESS);
  p = *(guint32 *) (gpointer) (cairo_image_surface_get_data (s)
                               + (gsize) (h - 2) * cairo_image_surface_get_stride (s)
                               + 4 * (w - 2));
  v = (((p >> 16) & 0xff) + ((p >> 8) & 0xff) + (p & 0xff)) / (3 * 255.0);
  cairo_surface_destroy (s);
  return v;
}

/* The window keeps the options in GSettings: its actions and the settings drive both views. */
static void
test_window_controls (void)
{
  g_autoptr(PbApplication) app = NULL;
  g_autoptr(GSettings) settings = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL, *png = NULL;
  PbWindow *window;
  PbCurveView *loss, *errv;

  if (!have_display)
    {
      g_test_skip ("no display");
      return;
    }
  adw_init ();
  app = pb_test_app_new ();
  settings = g_settings_new (PB_SCHEMA_ID);
  window = pb_window_new (GTK_APPLICATION (app));
  gtk_window_present (GTK_WINDOW (window));
  loss = pb_window_get_curve_view (window, PB_CURVE_KIND_LOSS);
  errv = pb_window_get_curve_view (window, PB_CURVE_KIND_ERROR);

  g_assert_cmpfloat (pb_curve_view_get_smoothing (loss), ==, 0.6);
  g_settings_set_double (settings, "curve-smoothing", 0.95);
  g_assert_cmpfloat (pb_curve_view_get_smoothing (loss), ==, 0.95);
  g_assert_cmpfloat (pb_curve_view_get_smoothing (errv), ==, 0.95);

  g_action_group_activate_action (G_ACTION_GROUP (window), "curve-x-axis",
                                  g_variant_new_string ("wall-time"));
  g_assert_cmpint (pb_curve_view_get_x_axis (loss), ==, PB_CURVE_X_WALL_TIME);
  g_assert_cmpint (pb_curve_view_get_x_axis (errv), ==, PB_CURVE_X_WALL_TIME);
  g_assert_cmpint (g_settings_get_enum (settings, "curve-x-axis"), ==, PB_CURVE_X_WALL_TIME);
  g_action_group_activate_action (G_ACTION_GROUP (window), "curve-x-axis",
                                  g_variant_new_string ("step"));
  g_assert_cmpint (pb_curve_view_get_x_axis (errv), ==, PB_CURVE_X_STEP);

  g_assert_false (pb_curve_view_get_ignore_outliers (loss));
  g_action_group_activate_action (G_ACTION_GROUP (window), "curve-ignore-outliers", NULL);
  g_assert_true (pb_curve_view_get_ignore_outliers (loss));
  g_assert_true (pb_curve_view_get_ignore_outliers (errv));
  g_assert_true (g_settings_get_boolean (settings, "curve-ignore-outliers"));

  /* The figure export draws through the same code with the options applied. */
  dir = g_dir_make_tmp ("pb-curves-XXXXXX", &error);
  g_assert_no_error (error);
  png = g_build_filename (dir, "curves.png", NULL);
  g_assert_true (pb_window_export_curves (window, png, 400, &error));
  g_assert_no_error (error);
  pb_test_check_png (png, 400, 440);

  /* In dark mode the file is still light, unless dark is asked for. */
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (),
                                      ADW_COLOR_SCHEME_FORCE_DARK);
  g_assert_true (pb_window_export_curves (window, png, 400, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (corner_brightness (png), >, 0.95);
  g_assert_true (pb_window_export_curves_full (window, png, 400, TRUE, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (corner_brightness (png), <, 0.2);
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (),
                                      ADW_COLOR_SCHEME_DEFAULT);
  g_remove (png);
  g_rmdir (dir);

  g_settings_reset (settings, "curve-smoothing");
  g_settings_reset (settings, "curve-x-axis");
  g_settings_reset (settings, "curve-ignore-outliers");
  gtk_window_destroy (GTK_WINDOW (window));
  pb_test_settle ();
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
  g_test_add_func ("/curve-view/smoothing", test_widget_smoothing);
  g_test_add_func ("/curve-view/x-axis", test_widget_x_axis);
  g_test_add_func ("/curve-view/ignore-outliers", test_widget_outliers);
  g_test_add_func ("/curve-view/export-csv", test_export_csv);
  g_test_add_func ("/curve-view/legend-every-run", test_legend_every_run);
  g_test_add_func ("/curve-view/hover-follows-rescale", test_hover_follows_rescale);
  g_test_add_func ("/curve-view/epoch-series-raw", test_epoch_series_raw);
  g_test_add_func ("/curve-view/window-controls", test_window_controls);
  return g_test_run ();
}
