/* SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE
#include "gui-test-util.h"

#include <adwaita.h>
#include <cairo.h>
#include <glib/gstdio.h>
#include <string.h>

gboolean
pb_test_init_gui (int    *argc,
                  char ***argv)
{
  g_test_init (argc, argv, NULL);
  /* gtk_test_init aborts without a display; CI always has one, so this only helps locally. */
  if (!gtk_init_check ())
    {
      g_print ("1..0 # SKIP no display\n");
      return FALSE;
    }
  adw_init ();
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
  return TRUE;
}

PbApplication *
pb_test_app_new (void)
{
  PbApplication *app = pb_application_new ();

  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, NULL));
  return app;
}

PbWindow *
pb_test_window_new_sized (PbApplication *app,
                          int            width,
                          int            height)
{
  PbWindow *window = pb_window_new (GTK_APPLICATION (app));

  gtk_window_set_default_size (GTK_WINDOW (window), width, height);
  gtk_window_present (GTK_WINDOW (window));
  return window;
}

PbWindow *
pb_test_window_new (PbApplication *app)
{
  return pb_test_window_new_sized (app, 1280, 760);
}

void
pb_test_window_destroy (PbWindow *window)
{
  gtk_window_destroy (GTK_WINDOW (window));
  pb_test_settle ();
}

void
pb_test_remove_dir (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      g_remove (child);
    }
  g_rmdir (path);
}

GtkWidget *
pb_test_find_widget (GtkWidget *root,
                     GType      type,
                     gboolean (*match) (GtkWidget *widget, gpointer data),
                     gpointer   data)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (root, type) && (match == NULL || match (root, data)))
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = pb_test_find_widget (child, type, match, data);
      if (found != NULL)
        return found;
    }
  return NULL;
}

/* The wake-up timer has the lowest priority of all, so an iteration that dispatches it dispatched
 * nothing else: GLib dispatches only the ready sources of the best ready priority. */
#define WAKE_PRIORITY (G_PRIORITY_LOW + 1000)
/* How often a wait looks at its condition when nothing happens. */
#define POLL_MS 10
#define SETTLE_QUIET_MS 50
#define SETTLE_MAX_MS 1000

static gboolean
on_wake (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* One blocking iteration of the default main context, woken after at most wake_ms. Returns
 * whether anything but the wake-up was dispatched. */
static gboolean
iterate (guint wake_ms)
{
  GSource *wake = g_timeout_source_new (MAX (wake_ms, 1));
  gboolean woke = FALSE;
  gboolean dispatched;

  g_source_set_priority (wake, WAKE_PRIORITY);
  g_source_set_callback (wake, on_wake, &woke, NULL);
  g_source_set_static_name (wake, "[pb-test] wake");
  g_source_attach (wake, NULL);
  dispatched = g_main_context_iteration (NULL, TRUE);
  g_source_destroy (wake);
  g_source_unref (wake);
  return dispatched && !woke;
}

void
pb_test_wait_begin (PbTestWait *wait,
                    guint       timeout_s)
{
  wait->start = g_get_monotonic_time ();
  wait->deadline = wait->start + (gint64) timeout_s * G_USEC_PER_SEC;
}

gboolean
pb_test_wait_step (PbTestWait *wait,
                   const char *what,
                   const char *domain,
                   const char *file,
                   int         line,
                   const char *func)
{
  if (g_get_monotonic_time () >= wait->deadline)
    {
      g_autofree char *message =
        g_strdup_printf ("timed out after %.0f s waiting for %s",
                         (wait->deadline - wait->start) / (double) G_USEC_PER_SEC, what);

      g_assertion_message (domain, file, line, func, message);
      return FALSE;
    }
  iterate (POLL_MS);
  return TRUE;
}

gboolean
pb_test_wait_until_full (gboolean   (*cond) (gpointer data),
                         gpointer     data,
                         guint        timeout_s,
                         const char  *what,
                         const char  *domain,
                         const char  *file,
                         int          line,
                         const char  *func)
{
  PbTestWait wait;

  pb_test_wait_begin (&wait, timeout_s);
  while (!cond (data))
    if (!pb_test_wait_step (&wait, what, domain, file, line, func))
      return FALSE;
  return TRUE;
}

typedef struct
{
  GdkFrameClock *clock;
  gulong handler;
  gboolean painted;
} FrameWait;

static void
on_after_paint (GdkFrameClock *clock,
                FrameWait     *frame)
{
  frame->painted = TRUE;
}

/* Asks every mapped toplevel for a frame; a queued redraw is then painted before the settle
 * ends. Without a display (the model-only tests) there is nothing to paint. */
static GArray *
request_frames (void)
{
  GArray *frames = g_array_new (FALSE, TRUE, sizeof (FrameWait));
  GListModel *toplevels;

  if (gdk_display_get_default () == NULL)
    return frames;
  toplevels = gtk_window_get_toplevels ();
  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWidget) window = g_list_model_get_item (toplevels, i);
      GdkFrameClock *clock;

      if (!gtk_widget_get_mapped (window) || (clock = gtk_widget_get_frame_clock (window)) == NULL)
        continue;
      g_array_set_size (frames, frames->len + 1);
      g_array_index (frames, FrameWait, frames->len - 1).clock = g_object_ref (clock);
    }
  /* Connected once the array no longer moves. */
  for (guint i = 0; i < frames->len; i++)
    {
      FrameWait *frame = &g_array_index (frames, FrameWait, i);

      frame->handler = g_signal_connect (frame->clock, "after-paint",
                                         G_CALLBACK (on_after_paint), frame);
      gdk_frame_clock_request_phase (frame->clock, GDK_FRAME_CLOCK_PHASE_PAINT);
    }
  return frames;
}

static gboolean
frames_painted (GArray *frames)
{
  for (guint i = 0; i < frames->len; i++)
    if (!g_array_index (frames, FrameWait, i).painted)
      return FALSE;
  return TRUE;
}

static void
frames_free (GArray *frames)
{
  for (guint i = 0; i < frames->len; i++)
    {
      FrameWait *frame = &g_array_index (frames, FrameWait, i);

      g_signal_handler_disconnect (frame->clock, frame->handler);
      g_object_unref (frame->clock);
    }
  g_array_free (frames, TRUE);
}

void
pb_test_settle (void)
{
  gint64 now = g_get_monotonic_time ();
  gint64 deadline = now + SETTLE_MAX_MS * 1000;
  gint64 last_activity = now;
  GArray *frames = request_frames ();

  while (now < deadline)
    {
      gboolean painted = frames_painted (frames);
      gint64 quiet_left = last_activity + SETTLE_QUIET_MS * 1000 - now;

      if (painted && quiet_left <= 0)
        break;
      if (iterate (painted ? (guint) (quiet_left / 1000) + 1 : POLL_MS))
        last_activity = g_get_monotonic_time ();
      now = g_get_monotonic_time ();
    }
  if (now >= deadline)
    g_test_message ("settle: the main loop was still busy after %d ms%s", SETTLE_MAX_MS,
                    frames_painted (frames) ? "" : ", and a window had not painted");
  frames_free (frames);
}

void
pb_test_run_for (guint ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) ms * 1000;
  gint64 now;

  while ((now = g_get_monotonic_time ()) < end)
    iterate ((guint) ((end - now) / 1000) + 1);
}

static char *
read_file (const char *path, gsize *len)
{
  char *data = NULL;
  g_autoptr(GError) error = NULL;

  g_file_get_contents (path, &data, len, &error);
  g_assert_no_error (error);
  return data;
}

void
pb_test_check_png (const char *path, double width_pt, double height_pt)
{
  cairo_surface_t *png = cairo_image_surface_create_from_png (path);

  g_assert_cmpint (cairo_surface_status (png), ==, CAIRO_STATUS_SUCCESS);
  g_assert_cmpint (cairo_image_surface_get_width (png), ==, (int) (width_pt * 2));
  if (height_pt > 0)
    g_assert_cmpint (cairo_image_surface_get_height (png), ==, (int) (height_pt * 2));
  else
    g_assert_cmpint (cairo_image_surface_get_height (png), >, 50);
  cairo_surface_destroy (png);
}

void
pb_test_check_svg (const char *path, const char *const *labels)
{
  gsize len;
  g_autofree char *data = read_file (path, &len);
  GMarkupParser parser = { 0 };
  g_autoptr(GMarkupParseContext) ctx = g_markup_parse_context_new (&parser, 0, NULL, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (g_markup_parse_context_parse (ctx, data, (gssize) len, &error));
  g_assert_true (g_markup_parse_context_end_parse (ctx, &error));
  g_assert_no_error (error);
  g_assert_nonnull (strstr (data, "<svg"));
  for (; *labels != NULL; labels++)
    g_assert_nonnull (strstr (data, *labels));
}

void
pb_test_check_pdf (const char *path)
{
  gsize len;
  g_autofree char *data = read_file (path, &len);
  int pages = 0;

  g_assert_cmpuint (len, >, 100);
  g_assert_true (g_str_has_prefix (data, "%PDF-1."));
  /* memmem: the streams hold NUL bytes; "/Type /Pages" is the page tree, not a page. */
  for (const char *s = data; (s = memmem (s, (size_t) (data + len - s), "/Type /Page", 11)) != NULL;
       s++)
    if (s[11] != 's')
      pages++;
  g_assert_cmpint (pages, ==, 1);
}
