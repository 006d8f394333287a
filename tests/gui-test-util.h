/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Helpers the GUI tests share: setting up the app and its window, waiting on the main loop,
 * finding widgets, and checking exported figures. */

#include <gtk/gtk.h>

#include "pb-application.h"
#include "pb-window.h"

/* g_test_init, then GTK and libadwaita with animations off. Without a display it prints the TAP
 * line that skips the whole program and returns FALSE: main then returns 0. */
gboolean       pb_test_init_gui (int *argc, char ***argv);
/* A registered, non-unique application, so that tests run side by side. */
PbApplication *pb_test_app_new (void);
/* A window of app, presented at the size the GUI tests use (1280 × 760). The caller settles it,
 * so that it can first pick a page. */
PbWindow      *pb_test_window_new (PbApplication *app);
PbWindow      *pb_test_window_new_sized (PbApplication *app, int width, int height);
/* Destroys window and lets its workers' last updates drain. */
void           pb_test_window_destroy (PbWindow *window);

/* Removes the files in the directory path, then path itself. */
void       pb_test_remove_dir (const char *path);

/* The first widget at or below root, depth first, of type and for which match (data) holds
 * (match NULL: any of type). */
GtkWidget *pb_test_find_widget (GtkWidget *root, GType type,
                                gboolean (*match) (GtkWidget *widget, gpointer data),
                                gpointer data);

/* Iterates the default main context until cond (data) holds. The timeout is generous and only a
 * safety net; returns FALSE when it ran out. */
gboolean pb_test_wait_until (gboolean (*cond) (gpointer data), gpointer data, guint timeout_s);
/* Lets pending idles, redraws and timeouts run for about a second. */
void     pb_test_settle (void);

/* A PNG of width_pt × height_pt points at 2 pixels per point (height_pt ≤ 0: any height). */
void     pb_test_check_png (const char *path, double width_pt, double height_pt);
/* Well-formed XML with an <svg> element and each of the NULL-terminated labels in its text. */
void     pb_test_check_svg (const char *path, const char *const *labels);
/* A PDF with exactly one page. */
void     pb_test_check_pdf (const char *path);
