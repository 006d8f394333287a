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

/* Waiting. Every wait is bounded: when its time runs out it fails the test with a message that
 * names what was awaited and where (the call site's file, line and function).
 *
 * pb_test_wait_until (cond, data, timeout_s): iterates the default main context until
 * cond (data) holds. The message names cond and data as written at the call site. Returns TRUE
 * (FALSE only when assertions are non-fatal and it ran out). */
#define pb_test_wait_until(cond, data, timeout_s)                                             \
  pb_test_wait_until_full ((cond), (data), (timeout_s), #cond " (" #data ")",                 \
                           G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC)
/* pb_test_wait_for (expr, timeout_s): the same for a C expression, evaluated after each
 * iteration. */
#define pb_test_wait_for(expr, timeout_s)                                                     \
  G_STMT_START                                                                                \
  {                                                                                           \
    PbTestWait pb_test_wait_;                                                                 \
    pb_test_wait_begin (&pb_test_wait_, (timeout_s));                                         \
    while (!(expr) && pb_test_wait_step (&pb_test_wait_, #expr, G_LOG_DOMAIN, __FILE__,      \
                                         __LINE__, G_STRFUNC))                                \
      ;                                                                                       \
  }                                                                                           \
  G_STMT_END

/* Lets the main loop catch up with what the test just did: dispatches everything that is ready,
 * waits for every mapped window to paint a frame, and returns once nothing has been dispatched
 * for a short quiet period. Bounded (about a second) so that it also returns while a worker keeps
 * posting progress; it does not wait for workers, so a test that needs a worker's result waits
 * on it with pb_test_wait_until. */
void     pb_test_settle (void);
/* Iterates the main loop for ms milliseconds whatever happens: only for tests whose subject is
 * time itself ("nothing is recorded while paused, however long it lasts"). */
void     pb_test_run_for (guint ms);

typedef struct
{
  gint64 start;
  gint64 deadline;
} PbTestWait;

gboolean pb_test_wait_until_full (gboolean   (*cond) (gpointer data),
                                  gpointer     data,
                                  guint        timeout_s,
                                  const char  *what,
                                  const char  *domain,
                                  const char  *file,
                                  int          line,
                                  const char  *func);
void     pb_test_wait_begin (PbTestWait *wait,
                             guint       timeout_s);
gboolean pb_test_wait_step (PbTestWait *wait,
                            const char *what,
                            const char *domain,
                            const char *file,
                            int         line,
                            const char *func);

/* A PNG of width_pt × height_pt points at 2 pixels per point (height_pt ≤ 0: any height). */
void     pb_test_check_png (const char *path, double width_pt, double height_pt);
/* Well-formed XML with an <svg> element and each of the NULL-terminated labels in its text. */
void     pb_test_check_svg (const char *path, const char *const *labels);
/* A PDF with exactly one page. */
void     pb_test_check_pdf (const char *path);
