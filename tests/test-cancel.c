/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-cancel"

#include "config.h"

#include <glib/gstdio.h>
#include <adwaita.h>

#include "pb-application.h"
#include "pb-compare-page.h"
#include "pb-run-item.h"
#include "pb-session.h"
#include "pb-window.h"
#include "gui-test-util.h"

/* Stopping a run or a comparison leaves the window consistent, and closing a window mid-run
 * cancels and joins its workers (issue 6, §4). The window is driven through its actions. */

#define RUN_TIMEOUT_S 240

static PbApplication *app;
static GSettings *settings;
static char *tmp_dir;

static gboolean
is_null (gpointer data)
{
  return *(gpointer *) data == NULL;
}

static gboolean
trainer_idle (gpointer data)
{
  return !pb_trainer_get_running (pb_window_get_trainer (data));
}

static gboolean
comparison_idle (gpointer data)
{
  return !pb_comparison_get_running (pb_compare_page_get_comparison (data));
}

static gboolean
has_epoch (gpointer data)
{
  guint ne;

  pb_run_item_get_epochs (data, &ne);
  return ne >= 1;
}

static gboolean
has_batch (gpointer data)
{
  guint nb;

  pb_run_item_get_batches (data, &nb);
  return nb >= 1;
}

static gboolean
has_round (gpointer data)
{
  const PbSession *s = pb_comparison_get_session (pb_compare_page_get_comparison (data));

  return s != NULL && pb_session_total_done (s) >= 1;
}

static GtkWidget *
find_actionable (GtkWidget  *root,
                 const char *action)
{
  if (GTK_IS_ACTIONABLE (root) &&
      g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (root)), action) == 0)
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_actionable (child, action);
      if (found != NULL)
        return found;
    }
  return NULL;
}

/* Whether the button bound to the action is sensitive, that is, the action is enabled. */
static gboolean
action_enabled (GtkWidget  *root,
                const char *action)
{
  GtkWidget *button = find_actionable (root, action);

  g_assert_nonnull (button);
  return gtk_widget_get_sensitive (button);
}

static void
set_budget (int epochs,
            int pairs,
            int batch)
{
  g_settings_set_int (settings, "epochs", epochs);
  g_settings_set_int (settings, "train-pairs", pairs);
  g_settings_set_int (settings, "test-pairs", pairs);
  g_settings_set_int (settings, "batch-size", batch);
  g_settings_set_double (settings, "augment-angle", 0);
  pb_test_settle ();
}

static PbWindow *
open_window (void)
{
  PbWindow *window = pb_test_window_new (app);

  pb_test_settle ();
  return window;
}

static PbRunItem *
start_run (PbWindow *window)
{
  GListModel *runs = pb_window_get_runs (window);
  guint n = g_list_model_get_n_items (runs);
  PbRunItem *item;

  g_assert_true (action_enabled (GTK_WIDGET (window), "win.start"));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.start", NULL));
  g_assert_cmpuint (g_list_model_get_n_items (runs), ==, n + 1);
  g_assert_true (pb_trainer_get_running (pb_window_get_trainer (window)));
  g_assert_false (action_enabled (GTK_WIDGET (window), "win.start"));
  g_assert_true (action_enabled (GTK_WIDGET (window), "win.stop"));
  item = g_list_model_get_item (runs, n);
  g_object_unref (item);  /* the store keeps it */
  return item;
}

static void
destroy_and_join (PbWindow *window,
                  gpointer  worker_owner)
{
  gpointer weak_window = window, weak_owner = worker_owner;

  g_object_add_weak_pointer (G_OBJECT (window), &weak_window);
  g_object_add_weak_pointer (G_OBJECT (worker_owner), &weak_owner);
  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_true (pb_test_wait_until (is_null, &weak_owner, 60));
  g_assert_true (pb_test_wait_until (is_null, &weak_window, 60));
  pb_test_settle ();
}

static void
test_cancel_run_stop (void)
{
  PbWindow *window = open_window ();
  PbRunItem *item;
  const PbEpochRecord *epochs;
  guint ne_at_stop, ne, nb;

  set_budget (50, 1000, 100);
  item = start_run (window);
  g_assert_cmpint (pb_run_item_get_status (item), ==, PB_RUN_STATUS_RUNNING);
  g_assert_true (pb_test_wait_until (has_epoch, item, RUN_TIMEOUT_S));
  pb_run_item_get_epochs (item, &ne_at_stop);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.stop", NULL));
  g_assert_true (pb_test_wait_until (trainer_idle, window, RUN_TIMEOUT_S));
  pb_test_settle ();

  g_assert_true (action_enabled (GTK_WIDGET (window), "win.start"));
  g_assert_false (action_enabled (GTK_WIDGET (window), "win.stop"));
  g_assert_cmpint (pb_run_item_get_status (item), ==, PB_RUN_STATUS_CANCELLED);
  g_assert_cmpint (pb_run_item_get_core_status (item), ==, PB_ERR_CANCELLED);
  g_assert_true (g_str_has_prefix (pb_window_get_status_text (window), "Stopped"));
  epochs = pb_run_item_get_epochs (item, &ne);
  pb_run_item_get_batches (item, &nb);
  g_test_message ("stopped with %u epochs, %u batches", ne, nb);
  g_assert_cmpuint (ne, >=, ne_at_stop);
  g_assert_cmpuint (ne, <, 50);
  for (guint e = 0; e < ne; e++)
    g_assert_cmpint (epochs[e].epoch, ==, (int) e + 1);
  g_assert_nonnull (pb_run_item_get_run (item));
  g_assert_cmpuint (g_list_model_get_n_items (pb_window_get_runs (window)), ==, 1);

  /* A new run starts cleanly and finishes; the stopped one keeps its records. */
  set_budget (1, 200, 100);
  item = start_run (window);
  g_assert_true (pb_test_wait_until (trainer_idle, window, RUN_TIMEOUT_S));
  pb_test_settle ();
  g_assert_cmpint (pb_run_item_get_status (item), ==, PB_RUN_STATUS_FINISHED);
  pb_run_item_get_epochs (item, &ne);
  g_assert_cmpuint (ne, ==, 1);
  g_assert_true (g_str_has_prefix (pb_window_get_status_text (window), "Finished"));
  g_assert_true (action_enabled (GTK_WIDGET (window), "win.start"));
  g_assert_false (action_enabled (GTK_WIDGET (window), "win.stop"));
  item = g_list_model_get_item (pb_window_get_runs (window), 0);
  pb_run_item_get_epochs (item, &ne);
  g_assert_cmpint (pb_run_item_get_status (item), ==, PB_RUN_STATUS_CANCELLED);
  g_assert_cmpuint (ne, >=, ne_at_stop);
  g_object_unref (item);

  destroy_and_join (window, pb_window_get_trainer (window));
}

static void
test_cancel_run_destroy (void)
{
  PbWindow *window = open_window ();
  PbRunItem *item;

  set_budget (50, 1000, 100);
  item = g_object_ref (start_run (window));
  g_assert_true (pb_test_wait_until (has_batch, item, RUN_TIMEOUT_S));
  destroy_and_join (window, pb_window_get_trainer (window));
  /* The worker is gone; late updates found no trainer and were dropped. */
  g_assert_cmpint (G_OBJECT (item)->ref_count, ==, 1);
  g_object_unref (item);
}

static void
start_comparison (PbComparePage *page,
                  int            rounds)
{
  static const char *const models[] = { "siamese", "twin", NULL };

  pb_compare_page_set_selection (page, models, rounds);
  g_assert_true (action_enabled (GTK_WIDGET (page), "compare.start"));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "compare.start", NULL));
  g_assert_true (pb_comparison_get_running (pb_compare_page_get_comparison (page)));
  g_assert_false (action_enabled (GTK_WIDGET (page), "compare.start"));
  g_assert_true (action_enabled (GTK_WIDGET (page), "compare.stop"));
}

static void
test_cancel_comparison_stop (void)
{
  PbWindow *window = open_window ();
  PbComparePage *page = pb_window_get_compare_page (window);
  PbComparison *comparison = pb_compare_page_get_comparison (page);
  g_autofree char *path = g_build_filename (tmp_dir, "stopped.json", NULL);
  g_autoptr(GError) error = NULL;
  const PbSession *s;
  PbSession saved;
  PbError err;
  int done_at_stop, done;

  set_budget (2, 200, 50);
  start_comparison (page, 40);
  g_assert_true (pb_test_wait_until (has_round, page, RUN_TIMEOUT_S));
  done_at_stop = pb_session_total_done (pb_comparison_get_session (comparison));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "compare.stop", NULL));
  g_assert_true (pb_test_wait_until (comparison_idle, page, RUN_TIMEOUT_S));
  pb_test_settle ();

  g_assert_true (action_enabled (GTK_WIDGET (page), "compare.start"));
  g_assert_false (action_enabled (GTK_WIDGET (page), "compare.stop"));
  g_assert_true (action_enabled (GTK_WIDGET (page), "compare.open"));
  g_assert_true (action_enabled (GTK_WIDGET (page), "compare.save"));
  g_assert_true (pb_compare_page_get_session_partial (page));
  s = pb_comparison_get_session (comparison);
  done = pb_session_total_done (s);
  g_test_message ("stopped with %d of %d rounds done (%d when asked)", done,
                  s->n_models * s->rounds, done_at_stop);
  g_assert_cmpint (done, >=, done_at_stop);
  g_assert_cmpint (done, <, s->n_models * s->rounds);
  for (int m = 0; m < s->n_models; m++)
    for (int r = 0; r < s->rounds; r++)
      {
        const PbRoundResult *res = pb_session_round (s, m, r);
        if (!pb_session_round_done (s, m, r))
          {
            g_assert_cmpint (res->status, ==, PB_ERR_CANCELLED);
            g_assert_cmpint (res->n_epochs, ==, 0);
          }
        else
          g_assert_cmpint (res->n_epochs, ==, 2);
      }

  /* Saved, it says partial and keeps exactly the finished rounds. */
  g_assert_true (pb_compare_page_save_to (page, path, &error));
  g_assert_no_error (error);
  g_assert_cmpint (pb_session_load (path, &saved, &err), ==, PB_OK);
  g_assert_true (saved.partial);
  g_assert_cmpint (pb_session_total_done (&saved), ==, done);
  pb_session_clear (&saved);
  g_unlink (path);

  /* A new comparison then runs to the end and is whole. */
  set_budget (1, 100, 50);
  start_comparison (page, 2);
  g_assert_true (pb_test_wait_until (comparison_idle, page, RUN_TIMEOUT_S));
  pb_test_settle ();
  g_assert_false (pb_compare_page_get_session_partial (page));
  g_assert_cmpint (pb_session_total_done (pb_comparison_get_session (comparison)), ==, 4);
  g_assert_true (action_enabled (GTK_WIDGET (page), "compare.start"));
  g_assert_false (action_enabled (GTK_WIDGET (page), "compare.stop"));

  destroy_and_join (window, comparison);
}

static void
test_cancel_comparison_destroy (void)
{
  PbWindow *window = open_window ();
  PbComparePage *page = pb_window_get_compare_page (window);

  set_budget (20, 1000, 100);
  start_comparison (page, 8);
  pb_test_settle ();
  g_assert_true (pb_comparison_get_running (pb_compare_page_get_comparison (page)));
  destroy_and_join (window, pb_compare_page_get_comparison (page));
}

int
main (int   argc,
      char *argv[])
{
  int status;

  if (!pb_test_init_gui (&argc, &argv))
    return 0;

  app = pb_test_app_new ();
  settings = g_settings_new (PB_SCHEMA_ID);
  tmp_dir = g_dir_make_tmp ("test-cancel-XXXXXX", NULL);
  g_assert_nonnull (tmp_dir);

  g_test_add_func ("/cancel/run-stop", test_cancel_run_stop);
  g_test_add_func ("/cancel/run-destroy", test_cancel_run_destroy);
  g_test_add_func ("/cancel/comparison-stop", test_cancel_comparison_stop);
  g_test_add_func ("/cancel/comparison-destroy", test_cancel_comparison_destroy);
  status = g_test_run ();

  g_rmdir (tmp_dir);
  g_free (tmp_dir);
  g_object_unref (settings);
  g_object_unref (app);
  return status;
}
