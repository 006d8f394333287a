/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-embedding"

#include "config.h"

#include <math.h>

#include <adwaita.h>

#include "pb-application.h"
#include "pb-embedding-view.h"
#include "pb-knn.h"
#include "pb-mnist-cache.h"
#include "pb-scatter.h"
#include "pb-run-item.h"
#include "pb-uninstalled.h"
#include "pb-inspect-view.h"
#include "pb-window.h"
#include "gui-test-util.h"

#define TIMEOUT_S 240

static PbApplication *app;
static PbWindow *window;
static GSettings *settings;
static PbRunItem *siamese_run;   /* the run the first test maps */

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
  g_set_object (&siamese_run, item);
}

/* Pixels of the map's area that are not the white page. */
static int
inked_pixels (PbScatterView *view)
{
  const int w = 700, h = 560;
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, w, h);
  cairo_t *cr = cairo_create (surface);
  guint8 *data;
  int stride, inked = 0;

  pb_scatter_view_draw (view, cr, w, h, TRUE);
  cairo_destroy (cr);
  cairo_surface_flush (surface);
  data = cairo_image_surface_get_data (surface);
  stride = cairo_image_surface_get_stride (surface);
  /* Below the title and left of the legend. */
  for (int y = 80; y < h; y++)
    for (int x = 0; x < w - 120; x++)
      inked += (((guint32 *) (gpointer) (data + y * stride))[x] & 0xffffff) != 0xffffff;
  cairo_surface_destroy (surface);
  return inked;
}

typedef struct
{
  int n;
  PbRunItem *run;
  int pair;
} Inspected;

static void
on_inspect_pair (PbEmbeddingView *view,
                 PbRunItem       *run,
                 int              pair,
                 Inspected       *seen)
{
  seen->n++;
  seen->run = run;
  seen->pair = pair;
}

static int
n_rows (GtkListBox *list)
{
  int n = 0;

  while (gtk_list_box_get_row_at_index (list, n) != NULL)
    n++;
  return n;
}

/* The view's neighbours are pb_knn's on the features that were mapped, listed in its order. */
static void
assert_neighbours (PbEmbeddingView  *view,
                   const PbEmbedMap *map,
                   int               point,
                   int               k,
                   PbDistance        metric)
{
  PbScatterView *scatter = pb_embedding_view_get_map_view (view, 0);
  GtkListBox *list = pb_embedding_view_get_neighbour_list (view);
  g_autofree int *want = g_new (int, k);
  PbError err = { { 0 } };
  const int *got;
  int n;

  g_assert_cmpint (pb_knn (map->features, map->n_points, map->feature_dim, point, k, metric,
                           want, NULL, &err), ==, PB_OK);
  got = pb_scatter_view_get_neighbours (scatter, &n);
  g_assert_cmpint (n, ==, k);
  g_assert_cmpint (n_rows (list), ==, k);
  for (int j = 0; j < k; j++)
    {
      GtkListBoxRow *row = gtk_list_box_get_row_at_index (list, j);

      g_assert_cmpint (got[j], ==, want[j]);
      g_assert_cmpint (GPOINTER_TO_INT (g_object_get_data (G_OBJECT (row), "pb-point")), ==,
                       want[j]);
    }
}

static void
test_embedding_points (void)
{
  PbEmbeddingView *view = pb_window_get_embedding_view (window);
  PbEmbedder *embedder = pb_embedding_view_get_embedder (view);
  PbScatterView *scatter = pb_embedding_view_get_map_view (view, 0);
  const PbEmbedMap *map = pb_embedder_get_map (embedder, 0);
  const PbPairs *test = pb_run_item_get_test_pairs (siamese_run);
  const guint8 *predicted = NULL, *digits = NULL;
  const float *prob1 = NULL;
  g_autofree guint8 *category = g_new (guint8, map->n);
  PbScatterPoints points;
  int dots, sprites, n_wrong = 0;
  const PbEpochRecord *epochs;
  guint n_epochs;

  g_assert_nonnull (siamese_run);
  g_assert_cmpint (map->state, ==, PB_EMBED_DONE);

  /* What the embedder kept: the features it mapped, and the run's own pairs and labels. */
  g_assert_cmpint (map->n_points, ==, map->n);
  g_assert_cmpint (map->n_pairs, ==, 200);
  g_assert_cmpint (map->feature_dim, ==, 10);
  g_assert_nonnull (map->features);
  g_assert_true (pb_run_item_get_predictions (siamese_run, &predicted, &prob1, &digits));
  g_assert_cmpmem (map->classes, 2 * map->n_pairs, test->classes, 2 * map->n_pairs);
  g_assert_cmpmem (map->labels, map->n_pairs, test->labels, map->n_pairs);
  g_assert_cmpmem (map->predicted, map->n_pairs, predicted, map->n_pairs);

  /* Colourings for points per image (pair-major). */
  g_assert_true (pb_scatter_points_from_map (map, PB_SCATTER_COLOR_POSITION, FALSE, category,
                                             &points));
  g_assert_cmpint (points.n_categories, ==, 2);
  for (int i = 0; i < map->n; i++)
    g_assert_cmpint (category[i], ==, i % 2);
  pb_scatter_points_from_map (map, PB_SCATTER_COLOR_SECOND_DIGIT, FALSE, category, &points);
  for (int i = 0; i < map->n; i++)
    g_assert_cmpint (category[i], ==, test->classes[2 * (i / 2) + 1]);
  pb_scatter_points_from_map (map, PB_SCATTER_COLOR_DIGIT, FALSE, category, &points);
  for (int i = 0; i < map->n; i++)
    g_assert_cmpint (category[i], ==, test->classes[i]);
  pb_scatter_points_from_map (map, PB_SCATTER_COLOR_CORRECT, FALSE, category, &points);
  g_assert_cmpint (points.n_categories, ==, 2);
  for (int i = 0; i < map->n; i += 2)
    {
      g_assert_cmpint (category[i], ==, category[i + 1]);
      n_wrong += category[i];
    }
  /* The map maps the run's test pairs, so its wrong ones are the run's test error. */
  epochs = pb_run_item_get_epochs (siamese_run, &n_epochs);
  g_test_message ("%d of %d pairs wrong; the run's test error %.4f", n_wrong, map->n_pairs,
                  epochs[n_epochs - 1].test_error);
  g_assert_cmpfloat_with_epsilon ((double) n_wrong / map->n_pairs,
                                  epochs[n_epochs - 1].test_error, 1e-9);

  /* The colour-by action reaches the map. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "embedding.color-by", "i",
                                             PB_SCATTER_COLOR_CORRECT));
  g_assert_cmpint (pb_scatter_view_get_coloring (scatter), ==, PB_SCATTER_COLOR_CORRECT);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "embedding.color-by", "i",
                                             PB_SCATTER_COLOR_DIGIT));

  /* Sprites: each point becomes a 14 × 14 image, so far more of the map is inked. */
  dots = inked_pixels (scatter);
  g_assert_false (pb_scatter_view_get_sprites (scatter));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "embedding.sprites", NULL));
  g_assert_true (pb_scatter_view_get_sprites (scatter));
  sprites = inked_pixels (scatter);
  g_test_message ("inked pixels: dots %d, sprites %d", dots, sprites);
  g_assert_cmpint (sprites, >, 2 * dots);

  /* Zoom and reset. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "embedding.zoom-in", NULL));
  g_assert_cmpfloat_with_epsilon (pb_scatter_view_get_zoom (scatter), 1.25, 1e-9);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "embedding.reset-view", NULL));
  g_assert_cmpfloat (pb_scatter_view_get_zoom (scatter), ==, 1);
}

/* The embedder's query against a brute force written here: every distance in double, sorted
 * by distance then index. */
typedef struct
{
  double d;
  int i;
} Ranked;

static int
ranked_cmp (const void *a,
            const void *b)
{
  const Ranked *x = a, *y = b;

  if (x->d != y->d)
    return x->d < y->d ? -1 : 1;
  return x->i - y->i;
}

static void
assert_query_is_brute_force (const PbEmbedMap *map,
                             int               point,
                             int               k,
                             PbDistance        metric)
{
  const float *q = map->features + (gsize) point * map->feature_dim;
  g_autofree Ranked *all = g_new (Ranked, map->n_points);
  g_autofree int *idx = g_new (int, k);
  g_autofree float *dist = g_new (float, k);
  g_autoptr(GError) error = NULL;
  int n = 0, got;

  for (int j = 0; j < map->n_points; j++)
    {
      const float *p = map->features + (gsize) j * map->feature_dim;
      double dot = 0, qq = 0, pp = 0, sq = 0;

      if (j == point)
        continue;
      for (int c = 0; c < map->feature_dim; c++)
        {
          dot += (double) q[c] * p[c];
          qq += (double) q[c] * q[c];
          pp += (double) p[c] * p[c];
          sq += ((double) q[c] - p[c]) * ((double) q[c] - p[c]);
        }
      all[n].d = metric == PB_DISTANCE_EUCLIDEAN ? sqrt (sq)
                 : qq == 0 || pp == 0 ? 1 : 1 - dot / sqrt (qq * pp);
      all[n++].i = j;
    }
  qsort (all, n, sizeof *all, ranked_cmp);
  got = pb_embedder_query_neighbours (map, point, k, metric, idx, dist, &error);
  g_assert_no_error (error);
  g_assert_cmpint (got, ==, k);
  for (int j = 0; j < k; j++)
    {
      /* Equal distances in float may order differently from double: compare distances. */
      g_assert_cmpfloat (fabs (dist[j] - all[j].d), <=, 1e-4 * (1 + all[j].d));
      if (fabs (all[j].d - all[j + 1 < n ? j + 1 : j].d) > 1e-4 * (1 + all[j].d)
          && (j == 0 || fabs (all[j].d - all[j - 1].d) > 1e-4 * (1 + all[j].d)))
        g_assert_cmpint (idx[j], ==, all[j].i);
    }

  /* k is capped at the other points; a point off the map is an error. */
  {
    g_autofree int *every = g_new (int, map->n_points + 5);

    g_assert_cmpint (pb_embedder_query_neighbours (map, point, map->n_points + 5, metric, every,
                                                   NULL, NULL), ==, map->n_points - 1);
    g_assert_cmpint (pb_embedder_query_neighbours (map, map->n_points, 3, metric, every, NULL,
                                                   &error), ==, -1);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  }
}

static void
test_embedding_neighbours (void)
{
  PbEmbeddingView *view = pb_window_get_embedding_view (window);
  PbScatterView *scatter = pb_embedding_view_get_map_view (view, 0);
  const PbEmbedMap *map = pb_scatter_view_get_map (scatter);
  GtkListBox *list = pb_embedding_view_get_neighbour_list (view);
  Inspected seen = { 0 };
  const int *neighbours;
  int n, third;
  gulong id;

  id = g_signal_connect (view, "inspect-pair", G_CALLBACK (on_inspect_pair), &seen);

  /* A click on point 7, image 2 of pair 3. */
  pb_scatter_view_set_selected (scatter, 7);
  pb_test_settle ();
  g_assert_cmpint (seen.n, ==, 1);
  g_assert_true (seen.run == siamese_run);
  g_assert_cmpint (seen.pair, ==, 3);
  assert_neighbours (view, map, 7, 10, PB_DISTANCE_EUCLIDEAN);
  assert_query_is_brute_force (map, 7, 10, PB_DISTANCE_EUCLIDEAN);
  assert_query_is_brute_force (map, 7, 10, PB_DISTANCE_COSINE);
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (list)));
  /* The window opened the pair in Inspect and kept the map in front. */
  PbInspectView *inspect = pb_window_get_inspect_view (window);
  g_assert_true (pb_inspect_view_get_run (inspect) == siamese_run);
  g_assert_cmpint (pb_inspect_view_get_pair (inspect), ==, 3);
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (view)));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.show-inspect", NULL));
  pb_test_settle ();
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (inspect)));
  g_assert_false (gtk_widget_get_mapped (GTK_WIDGET (view)));
  adw_view_stack_set_visible_child_name (
    ADW_VIEW_STACK (gtk_widget_get_ancestor (GTK_WIDGET (view), ADW_TYPE_VIEW_STACK)),
    "embedding");
  pb_test_settle ();

  g_object_set (view, "neighbours", 5, "metric", PB_DISTANCE_COSINE, NULL);
  assert_neighbours (view, map, 7, 5, PB_DISTANCE_COSINE);
  g_assert_cmpint (seen.n, ==, 1);

  /* A row selects its point. */
  neighbours = pb_scatter_view_get_neighbours (scatter, &n);
  third = neighbours[2];
  gtk_widget_activate (GTK_WIDGET (gtk_list_box_get_row_at_index (list, 2)));
  g_assert_cmpint (pb_scatter_view_get_selected (scatter), ==, third);
  g_assert_cmpint (seen.n, ==, 2);
  g_assert_cmpint (seen.pair, ==, third / 2);
  assert_neighbours (view, map, third, 5, PB_DISTANCE_COSINE);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "embedding.clear-selection",
                                             NULL));
  g_assert_cmpint (pb_scatter_view_get_selected (scatter), ==, -1);
  g_assert_cmpint (n_rows (list), ==, 0);
  pb_scatter_view_get_neighbours (scatter, &n);
  g_assert_cmpint (n, ==, 0);
  g_signal_handler_disconnect (view, id);
  g_object_set (view, "neighbours", 10, "metric", PB_DISTANCE_EUCLIDEAN, "sprites", FALSE,
                NULL);
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

  /* A stacked point is a whole pair: its digit is the first, and it has no position. */
  {
    const PbEmbedMap *map = pb_embedder_get_map (embedder, 0);
    g_autofree guint8 *category = g_new (guint8, map->n);
    PbScatterPoints points;

    g_assert_cmpint (map->images_per_point, ==, 2);
    pb_scatter_points_from_map (map, PB_SCATTER_COLOR_POSITION, FALSE, category, &points);
    g_assert_cmpint (points.n_categories, ==, 1);
    pb_scatter_points_from_map (map, PB_SCATTER_COLOR_FIRST_DIGIT, FALSE, category, &points);
    for (int i = 0; i < map->n; i++)
      g_assert_cmpint (category[i], ==, map->digits[i]);
    pb_scatter_points_from_map (map, PB_SCATTER_COLOR_TARGET, FALSE, category, &points);
    for (int i = 0; i < map->n; i++)
      g_assert_cmpint (category[i], ==, map->classes[2 * i] > map->classes[2 * i + 1]);
    g_assert_cmpint (pb_embed_map_point_pair (map, 42), ==, 42);
    g_assert_cmpint (pb_embed_map_point_position (map, 42), ==, -1);
  }
}

typedef struct
{
  int n_updates;
  int neighbour_updates;
  double max_fraction;
} ProgressWatch;

static void
on_progress (PbEmbedder    *embedder,
             guint          index,
             ProgressWatch *w)
{
  const PbEmbedMap *map = pb_embedder_get_map (embedder, index);

  w->n_updates++;
  if (map->state == PB_EMBED_NEIGHBOURS)
    {
      w->neighbour_updates++;
      w->max_fraction = MAX (w->max_fraction, map->fraction);
    }
}

/* "All" maps the whole MNIST test set, each of its 10,000 digits once, reporting progress to
 * the main loop while the worker computes. */
static void
test_embedding_all_test_digits (void)
{
  PbEmbeddingView *view = pb_window_get_embedding_view (window);
  PbEmbedder *embedder;
  PbEmbedSettings s;
  ProgressWatch w = { 0 };
  g_autoptr(GError) error = NULL;
  g_autofree char *setting = g_settings_get_string (settings, "data-dir");
  g_autofree char *data_dir = pb_resolve_data_dir (setting);
  const PbMnist *mnist = pb_mnist_cache_get (data_dir, &error);
  const PbEmbedMap *map;
  int want[10] = { 0 }, got[10] = { 0 };
  gulong id;

  g_assert_no_error (error);
  g_assert_nonnull (siamese_run);
  pb_embedding_view_select_run (view, siamese_run);
  set_small_embedding (50, 100);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "embedding.all-test-pairs",
                                             NULL));
  pb_embedding_view_get_settings (view, &s);
  g_assert_cmpint (s.test_pairs, ==, mnist->n_test / 2);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "embedding.start", NULL));
  embedder = pb_embedding_view_get_embedder (view);
  id = g_signal_connect (embedder, "updated", G_CALLBACK (on_progress), &w);
  g_assert_true (pb_test_wait_until (embedder_idle, embedder, TIMEOUT_S));
  g_signal_handler_disconnect (embedder, id);
  pb_test_settle ();

  map = pb_embedder_get_map (embedder, 0);
  g_test_message ("%d updates, %d in the neighbour stage (up to %.2f)", w.n_updates,
                  w.neighbour_updates, w.max_fraction);
  g_assert_cmpint (map->state, ==, PB_EMBED_DONE);
  g_assert_cmpint (map->n, ==, mnist->n_test);
  g_assert_cmpint (map->iteration, ==, 50);
  g_assert_cmpint (w.n_updates, >=, 2);
  g_assert_cmpint (w.neighbour_updates, >=, 1);
  g_assert_cmpfloat (w.max_fraction, >, 0);
  for (int i = 0; i < mnist->n_test; i++)
    want[mnist->test_labels[i]]++;
  for (int i = 0; i < map->n; i++)
    {
      g_assert_true (isfinite (map->xy[2 * i]) && isfinite (map->xy[2 * i + 1]));
      got[map->digits[i]]++;
    }
  for (int d = 0; d < 10; d++)
    g_assert_cmpint (got[d], ==, want[d]);
  set_small_embedding (100, 100);
}

/* Every page defaults to the latest run; an older run the user picks stays picked. */
static void
test_embedding_picks_latest (void)
{
  PbEmbeddingView *view = pb_window_get_embedding_view (window);
  g_autoptr(PbRunItem) older = NULL;
  g_autoptr(PbRunItem) newest = NULL;

  GListModel *runs = pb_window_get_runs (window);
  g_autoptr(PbRunItem) latest = g_list_model_get_item (runs, g_list_model_get_n_items (runs) - 1);

  g_assert_cmpuint (pb_embedding_view_get_n_choices (view), >=, 2);
  pb_embedding_view_select_run (view, latest);
  g_assert_true (pb_embedding_view_get_run (view) == latest);
  newest = train (FALSE);
  g_assert_true (pb_embedding_view_get_run (view) == newest);

  pb_embedding_view_select_run (view, siamese_run);
  older = train (TRUE);
  g_assert_true (pb_embedding_view_get_run (view) == siamese_run);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  /* As main.c does: single-threaded BLAS, so that runs match the CLI's bit for bit. */
  pb_uninstalled_setup ();
  if (!pb_test_init_gui (&argc, &argv))
    return 0;

  app = pb_test_app_new ();
  settings = g_settings_new (PB_SCHEMA_ID);

  window = pb_test_window_new (app);
  pb_test_settle ();

  g_test_add_func ("/embedding/runs", test_embedding_runs);
  g_test_add_func ("/embedding/points", test_embedding_points);
  g_test_add_func ("/embedding/neighbours", test_embedding_neighbours);
  g_test_add_func ("/embedding/stop-restart", test_embedding_stop_restart);
  g_test_add_func ("/embedding/compare", test_embedding_compare);
  g_test_add_func ("/embedding/all-test-digits", test_embedding_all_test_digits);
  g_test_add_func ("/embedding/picks-latest", test_embedding_picks_latest);
  status = g_test_run ();

  pb_test_window_destroy (window);
  g_clear_object (&siamese_run);
  g_object_unref (settings);
  g_object_unref (app);
  return status;
}
