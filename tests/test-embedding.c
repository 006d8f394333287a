/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-embedding"

#include "config.h"

#include <adwaita.h>

#include "pb-application.h"
#include "pb-embedding-view.h"
#include "pb-run-item.h"
#include "pb-uninstalled.h"
#include "pb-window.h"
#include "gui-test-util.h"

#define TIMEOUT_S 240

static PbApplication *app;
static PbWindow *window;
static GSettings *settings;

static gboolean
trainer_idle (gpointer data)
{
  return !pb_trainer_get_running (pb_window_get_trainer (window));
}

static gboolean
embedder_idle (gpointer data)
{
  return !pb_embedder_get_running (data);
}

static PbRunItem *
train (gboolean two_channel)
{
  GListModel *runs = pb_window_get_runs (window);
  guint n;
  g_autoptr(PbRunItem) item = NULL;

  g_settings_set_boolean (settings, "two-channel", two_channel);
  g_settings_set_int (settings, "epochs", 2);
  g_settings_set_int (settings, "train-pairs", 200);
  g_settings_set_int (settings, "test-pairs", 200);
  pb_test_settle ();
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.start", NULL));
  g_assert_true (pb_test_wait_until (trainer_idle, NULL, TIMEOUT_S));
  pb_test_settle ();
  n = g_list_model_get_n_items (runs);
  item = g_list_model_get_item (runs, n - 1);
  g_assert_cmpint (pb_run_item_get_status (item), ==, PB_RUN_STATUS_FINISHED);
  g_assert_nonnull (pb_run_item_get_model (item));
  return g_steal_pointer (&item);
}

typedef struct
{
  int n_updates;
  int first_iteration;
  double first_kl;
  int last_iteration;
  double last_kl;
  int stop_after_iteration;
} Observed;

static void
on_updated (PbEmbedder *embedder,
            guint       index,
            Observed   *o)
{
  const PbEmbedMap *map = pb_embedder_get_map (embedder, index);

  if (map->xy == NULL || (map->state != PB_EMBED_OPTIMISING && map->state != PB_EMBED_DONE))
    return;
  if (o->n_updates == 0)
    {
      o->first_iteration = map->iteration;
      o->first_kl = map->kl;
    }
  o->n_updates++;
  o->last_iteration = map->iteration;
  o->last_kl = map->kl;
  if (o->stop_after_iteration > 0 && map->iteration >= o->stop_after_iteration)
    pb_embedder_stop (embedder);
}

static void
set_small_embedding (int iterations,
                     int test_pairs)
{
  PbEmbeddingView *view = pb_window_get_embedding_view (window);
  PbEmbedSettings s;

  pb_embed_settings_init (&s);
  s.iterations = iterations;
  s.test_pairs = test_pairs;
  s.perplexity = 15;
  pb_embedding_view_set_settings (view, &s);
}

static void
test_embedding_runs (void)
{
  PbEmbeddingView *view = pb_window_get_embedding_view (window);
  PbEmbedder *embedder = pb_embedding_view_get_embedder (view);
  g_autoptr(PbRunItem) item = train (FALSE);
  Observed o = { 0 };
  const PbEmbedMap *map;
  gulong id;

  adw_view_stack_set_visible_child_name (ADW_VIEW_STACK (gtk_widget_get_ancestor (
    GTK_WIDGET (view), ADW_TYPE_VIEW_STACK)), "embedding");
  set_small_embedding (1000, 200);
  pb_embedding_view_select_run (view, item);
  id = g_signal_connect (embedder, "updated", G_CALLBACK (on_updated), &o);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "embedding.start", NULL));
  g_assert_true (pb_embedder_get_running (embedder));
  g_assert_true (pb_test_wait_until (embedder_idle, embedder, TIMEOUT_S));
  g_signal_handler_disconnect (embedder, id);
  pb_test_settle ();

  map = pb_embedder_get_map (embedder, 0);
  g_test_message ("%d updates; iteration %d KL %.4f → iteration %d KL %.4f", o.n_updates,
                  o.first_iteration, o.first_kl, o.last_iteration, o.last_kl);
  g_assert_cmpint (map->state, ==, PB_EMBED_DONE);
  g_assert_cmpint (map->n, ==, 400);  /* siamese: one point per image */
  g_assert_cmpint (map->iteration, ==, 1000);
  g_assert_cmpint (o.n_updates, >=, 1);
  g_assert_cmpint (o.last_iteration, ==, 1000);
  /* Every posted KL reaches the map, however few redraws a slow main loop (ASan) managed. */
  g_assert_nonnull (map->kl_trace);
  g_assert_cmpuint (map->kl_trace->len, >=, 2);
  const PbEmbedKl *first = &g_array_index (map->kl_trace, PbEmbedKl, 0);
  const PbEmbedKl *last = &g_array_index (map->kl_trace, PbEmbedKl, map->kl_trace->len - 1);
  g_test_message ("KL trace: %u points, iteration %d KL %.4f → iteration %d KL %.4f",
                  map->kl_trace->len, first->iteration, first->kl, last->iteration, last->kl);
  g_assert_cmpint (first->iteration, ==, 0);
  g_assert_cmpint (last->iteration, ==, 1000);
  g_assert_cmpfloat (last->kl, <, first->kl);
  g_assert_cmpfloat (map->kl, ==, last->kl);
}

static void
test_embedding_stop_restart (void)
{
  PbEmbeddingView *view = pb_window_get_embedding_view (window);
  PbEmbedder *embedder;
  Observed o = { .stop_after_iteration = 50 };
  gulong id;

  set_small_embedding (5000, 100);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "embedding.start", NULL));
  embedder = pb_embedding_view_get_embedder (view);
  id = g_signal_connect (embedder, "updated", G_CALLBACK (on_updated), &o);
  g_assert_true (pb_test_wait_until (embedder_idle, embedder, TIMEOUT_S));
  g_signal_handler_disconnect (embedder, id);
  g_assert_cmpint (pb_embedder_get_map (embedder, 0)->state, ==, PB_EMBED_CANCELLED);
  g_assert_cmpint (pb_embedder_get_map (embedder, 0)->iteration, <, 5000);
  g_assert_nonnull (pb_embedder_get_map (embedder, 0)->xy);

  /* Restart while running: the new map replaces the old one. */
  set_small_embedding (3000, 100);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "embedding.start", NULL));
  set_small_embedding (100, 100);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "embedding.start", NULL));
  embedder = pb_embedding_view_get_embedder (view);
  g_assert_true (pb_test_wait_until (embedder_idle, embedder, TIMEOUT_S));
  pb_test_settle ();
  g_assert_cmpint (pb_embedder_get_map (embedder, 0)->state, ==, PB_EMBED_DONE);
  g_assert_cmpint (pb_embedder_get_map (embedder, 0)->iteration, ==, 100);
}

static void
test_embedding_compare (void)
{
  PbEmbeddingView *view = pb_window_get_embedding_view (window);
  PbEmbedder *embedder;
  g_autoptr(PbRunItem) stacked = train (TRUE);

  set_small_embedding (150, 100);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "embedding.compare", NULL));
  embedder = pb_embedding_view_get_embedder (view);
  g_assert_cmpuint (pb_embedder_get_n_maps (embedder), ==, 2);
  g_assert_true (pb_test_wait_until (embedder_idle, embedder, TIMEOUT_S));
  pb_test_settle ();
  /* The report's order: stacked first. */
  g_assert_cmpstr (pb_embedder_get_map (embedder, 0)->arch_name, ==, "stacked-aux");
  g_assert_cmpstr (pb_embedder_get_map (embedder, 1)->arch_name, ==, "siamese-aux");
  for (guint i = 0; i < 2; i++)
    {
      const PbEmbedMap *map = pb_embedder_get_map (embedder, i);
      g_assert_cmpint (map->state, ==, PB_EMBED_DONE);
      g_assert_cmpint (map->iteration, ==, 150);
    }
  /* stacked has one point per pair. */
  g_assert_cmpint (pb_embedder_get_map (embedder, 0)->n, ==, 100);
  g_assert_cmpint (pb_embedder_get_map (embedder, 1)->n, ==, 200);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  /* As main.c does: single-threaded BLAS, so that runs match the CLI's bit for bit. */
  pb_uninstalled_setup ();
  g_test_init (&argc, &argv, NULL);
  if (!gtk_init_check ())
    {
      g_print ("1..0 # SKIP no display\n");
      return 0;
    }
  adw_init ();
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);

  app = pb_application_new ();
  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, NULL));
  settings = g_settings_new (PB_SCHEMA_ID);

  window = pb_window_new (GTK_APPLICATION (app));
  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 760);
  gtk_window_present (GTK_WINDOW (window));
  pb_test_settle ();

  g_test_add_func ("/embedding/runs", test_embedding_runs);
  g_test_add_func ("/embedding/stop-restart", test_embedding_stop_restart);
  g_test_add_func ("/embedding/compare", test_embedding_compare);
  status = g_test_run ();

  gtk_window_destroy (GTK_WINDOW (window));
  pb_test_settle ();
  g_object_unref (settings);
  g_object_unref (app);
  return status;
}
