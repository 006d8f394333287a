/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-gui-util"

/* The waits the GUI tests share: they return as soon as what they wait for holds, and a wait that
 * runs out fails its test, naming what it waited for and where. */

#include "config.h"

#include <string.h>

#include "gui-test-util.h"

static gboolean
set_flag (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
flag_set (gpointer data)
{
  return *(gboolean *) data;
}

static gboolean
never (gpointer data)
{
  return FALSE;
}

static double
seconds_since (gint64 start)
{
  return (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
}

static void
test_wait_until_returns (void)
{
  gboolean flag = FALSE;
  gint64 start = g_get_monotonic_time ();

  g_timeout_add (100, set_flag, &flag);
  g_assert_true (pb_test_wait_until (flag_set, &flag, 10));
  g_assert_true (flag);
  g_assert_cmpfloat (seconds_since (start), >=, 0.09);
  g_assert_cmpfloat (seconds_since (start), <, 5);
}

static void
test_wait_for_returns (void)
{
  gboolean flag = FALSE;

  g_idle_add (set_flag, &flag);
  pb_test_wait_for (flag, 10);
  g_assert_true (flag);
}

static void
test_wait_until_times_out (void)
{
  if (g_test_subprocess ())
    {
      pb_test_wait_until (never, NULL, 1);
      return;
    }
  g_test_trap_subprocess (NULL, 10 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*test-gui-util.c:*test_wait_until_times_out*"
                             "timed out after 1 s waiting for never (NULL)*");
}

static void
test_wait_for_times_out (void)
{
  if (g_test_subprocess ())
    {
      int n = 0;

      pb_test_wait_for (n > 0, 1);
      return;
    }
  g_test_trap_subprocess (NULL, 10 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*timed out after 1 s waiting for n > 0*");
}

static void
count_draw (GtkDrawingArea *area,
            cairo_t        *cr,
            int             width,
            int             height,
            gpointer        data)
{
  (*(guint *) data)++;
}

/* Settling runs what is ready, what comes due within the quiet period, and a frame. */
static void
test_settle (void)
{
  GtkWidget *window = gtk_window_new ();
  GtkWidget *area = gtk_drawing_area_new ();
  gboolean idle = FALSE, soon = FALSE;
  guint draws = 0, before;
  gint64 start;

  gtk_drawing_area_set_draw_func (GTK_DRAWING_AREA (area), count_draw, &draws, NULL);
  gtk_window_set_child (GTK_WINDOW (window), area);
  gtk_window_set_default_size (GTK_WINDOW (window), 200, 100);
  gtk_window_present (GTK_WINDOW (window));
  pb_test_settle ();
  g_assert_true (gtk_widget_get_mapped (area));
  g_assert_cmpuint (draws, >, 0);

  before = draws;
  start = g_get_monotonic_time ();
  g_idle_add (set_flag, &idle);
  g_timeout_add (20, set_flag, &soon);
  gtk_widget_queue_draw (area);
  pb_test_settle ();
  g_test_message ("settled in %.3f s", seconds_since (start));
  g_assert_true (idle);
  g_assert_true (soon);
  g_assert_cmpuint (draws, >, before);
  g_assert_cmpfloat (seconds_since (start), <, 0.9);

  gtk_window_destroy (GTK_WINDOW (window));
  pb_test_settle ();
}

static gboolean
tick (gpointer data)
{
  (*(guint *) data)++;
  return G_SOURCE_CONTINUE;
}

/* A source that never stops (a worker's progress) does not keep settling from returning. */
static void
test_settle_bounded (void)
{
  guint ticks = 0;
  guint id = g_timeout_add (10, tick, &ticks);
  gint64 start = g_get_monotonic_time ();

  pb_test_settle ();
  g_source_remove (id);
  g_test_message ("%u ticks in %.3f s", ticks, seconds_since (start));
  g_assert_cmpuint (ticks, >, 10);
  g_assert_cmpfloat (seconds_since (start), <, 3);
}

static void
test_run_for (void)
{
  gint64 start = g_get_monotonic_time ();

  pb_test_run_for (200);
  g_assert_cmpfloat (seconds_since (start), >=, 0.2);
  g_assert_cmpfloat (seconds_since (start), <, 2);
}

int
main (int   argc,
      char *argv[])
{
  if (!pb_test_init_gui (&argc, &argv))
    return 0;

  g_test_add_func ("/gui-util/wait-until-returns", test_wait_until_returns);
  g_test_add_func ("/gui-util/wait-for-returns", test_wait_for_returns);
  g_test_add_func ("/gui-util/wait-until-times-out", test_wait_until_times_out);
  g_test_add_func ("/gui-util/wait-for-times-out", test_wait_for_times_out);
  g_test_add_func ("/gui-util/settle", test_settle);
  g_test_add_func ("/gui-util/settle-bounded", test_settle_bounded);
  g_test_add_func ("/gui-util/run-for", test_run_for);
  return g_test_run ();
}
