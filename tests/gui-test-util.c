/* SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE
#include "gui-test-util.h"

#include <cairo.h>
#include <string.h>

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
