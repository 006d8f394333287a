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

static gboolean
on_timeout (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

gboolean
pb_test_wait_until (gboolean (*cond) (gpointer data), gpointer data, guint timeout_s)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add_seconds (timeout_s, on_timeout, &timed_out);

  while (!cond (data) && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (id);
  return !timed_out;
}

static gboolean
never (gpointer data)
{
  return FALSE;
}

void
pb_test_settle (void)
{
  pb_test_wait_until (never, NULL, 1);
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
