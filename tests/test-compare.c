/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-compare"
#define _GNU_SOURCE

#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <adwaita.h>

#include "pb-application.h"
#include "pb-compare-page.h"
#include "pb-table.h"
#include "pb-embedding-view.h"
#include "pb-format.h"
#include "pb-plot.h"
#include "pb-window.h"
#include "gui-test-util.h"

#define RUN_TIMEOUT_S 240

static PbApplication *app;
static PbWindow *window;
static GSettings *settings;
static char *tmp_dir;

static gboolean
comparison_idle (gpointer data)
{
  return !pb_comparison_get_running (pb_compare_page_get_comparison (data));
}

static PbComparePage *
page (void)
{
  return pb_window_get_compare_page (window);
}

static void
set_tiny_budget (void)
{
  g_settings_set_int (settings, "epochs", 1);
  g_settings_set_int (settings, "train-pairs", 100);
  g_settings_set_int (settings, "test-pairs", 100);
  g_settings_set_int (settings, "batch-size", 50);
  pb_test_settle ();
}

static gboolean
embedder_idle (gpointer data)
{
  return !pb_embedder_get_running (data);
}

static void
run_comparison (PbComparePage *p, int rounds)
{
  static const char *const models[] = { "stacked", "siamese-aux", NULL };

  pb_compare_page_set_selection (p, models, rounds);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (p), "compare.start", NULL));
  g_assert_true (pb_comparison_get_running (pb_compare_page_get_comparison (p)));
  g_assert_true (pb_test_wait_until (comparison_idle, p, RUN_TIMEOUT_S));
  pb_test_settle ();
}

/* "about 1 h 05 min on 2 cores" is 65; "under a minute on 2 cores" is 0. */
static int
estimate_minutes (const char *estimate)
{
  int h, m;

  if (sscanf (estimate, "about %d h %d min", &h, &m) == 2)
    return h * 60 + m;
  if (sscanf (estimate, "about %d min", &m) == 1)
    return m;
  g_assert_true (g_str_has_prefix (estimate, "under a minute"));
  return 0;
}

/* Two significant digits, or "0" or "—". */
static void
assert_p_text (const char *text)
{
  g_assert_true (g_regex_match_simple ("^(0\\.0*[1-9][0-9]|[1-9]\\.[0-9]|[1-9]\\.[0-9]e-[0-9]+|0|—)"
                                       "( |$)", text, 0, 0));
}

static void
test_compare_run (void)
{
  PbComparePage *p = page ();
  g_autofree char *rounds = NULL, *model = NULL, *tp = NULL, *wp = NULL, *a = NULL, *b = NULL;
  g_autofree char *digit0 = NULL, *digit1 = NULL, *tip0 = NULL, *tip1 = NULL, *wtip = NULL;
  g_autofree char *ttip = NULL;

  g_assert_nonnull (p);
  g_assert_false (pb_compare_page_get_tests_visible (p));
  g_assert_null (pb_compare_page_get_tests_warning (p));
  set_tiny_budget ();
  /* Nothing has trained in this window yet, so there is no figure to give. */
  g_assert_cmpstr (pb_compare_page_get_estimate (p), ==, "Time estimate after the first run");
  run_comparison (p, 2);

  g_assert_cmpuint (pb_compare_page_get_n_rows (p, PB_COMPARE_TABLE_RESULTS), ==, 2);
  model = pb_compare_page_get_cell (p, PB_COMPARE_TABLE_RESULTS, 0, 0);
  rounds = pb_compare_page_get_cell (p, PB_COMPARE_TABLE_RESULTS, 1, 5);
  g_assert_cmpstr (model, ==, "stacked (two-channel)");
  g_assert_cmpstr (rounds, ==, "2/2");

  /* stacked has no auxiliary loss: its digit outputs are untrained, so no digit error. */
  digit0 = pb_compare_page_get_cell (p, PB_COMPARE_TABLE_RESULTS, 0, 3);
  digit1 = pb_compare_page_get_cell (p, PB_COMPARE_TABLE_RESULTS, 1, 3);
  tip0 = pb_compare_page_get_cell_tooltip (p, PB_COMPARE_TABLE_RESULTS, 0, 3);
  tip1 = pb_compare_page_get_cell_tooltip (p, PB_COMPARE_TABLE_RESULTS, 1, 3);
  g_assert_cmpstr (digit0, ==, "—");
  g_assert_nonnull (tip0);
  g_assert_true (g_str_has_prefix (tip0, "No auxiliary loss: this model’s digit outputs are not "
                                         "trained"));
  g_assert_true (g_str_has_suffix (digit1, "\u00a0%"));
  g_assert_null (tip1);

  g_assert_true (pb_compare_page_get_tests_visible (p));
  g_assert_cmpuint (pb_compare_page_get_n_rows (p, PB_COMPARE_TABLE_TESTS), ==, 1);
  a = pb_compare_page_get_cell (p, PB_COMPARE_TABLE_TESTS, 0, 0);
  b = pb_compare_page_get_cell (p, PB_COMPARE_TABLE_TESTS, 0, 1);
  g_assert_cmpstr (a, ==, "stacked (two-channel)");
  g_assert_cmpstr (b, ==, "siamese-aux (shared trunk)");
  /* Two rounds: the paired t-test is defined, the Wilcoxon test cannot reach 0.05 (2/2² = 0.5
   * at best). */
  tp = pb_compare_page_get_cell (p, PB_COMPARE_TABLE_TESTS, 0, 3);
  wp = pb_compare_page_get_cell (p, PB_COMPARE_TABLE_TESTS, 0, 4);
  g_test_message ("t-test p %s, Wilcoxon p %s", tp, wp);
  assert_p_text (tp);
  assert_p_text (wp);
  g_assert_true (g_str_equal (wp, "0.50") || g_str_equal (wp, "1.0"));
  g_assert_nonnull (pb_compare_page_get_tests_warning (p));
  g_assert_true (g_str_has_prefix (pb_compare_page_get_tests_warning (p),
                                   "Wilcoxon p: too few rounds: n = 2."));
  g_assert_nonnull (strstr (pb_compare_page_get_tests_warning (p), "needs 6 rounds"));
  ttip = pb_compare_page_get_cell_tooltip (p, PB_COMPARE_TABLE_TESTS, 0, 3);
  wtip = pb_compare_page_get_cell_tooltip (p, PB_COMPARE_TABLE_TESTS, 0, 4);
  g_assert_null (ttip);
  g_assert_nonnull (strstr (wtip, "fewer than 6"));
  g_assert_false (pb_compare_page_get_session_partial (p));

  /* Now a run is measured: the estimate is a figure, on this machine's cores. */
  {
    g_autofree char *cores = g_strdup_printf (" on %u core", g_get_num_processors ());
    const char *estimate = pb_compare_page_get_estimate (p);
    g_assert_nonnull (estimate);
    g_test_message ("estimate: %s", estimate);
    g_assert_true (g_str_has_prefix (estimate, "about ")
                   || g_str_has_prefix (estimate, "under a minute"));
    g_assert_nonnull (strstr (estimate, cores));
  }

  /* It follows the rounds and the epochs: 1000 rounds of 100 epochs take 50 000 times as long,
   * which is minutes at least however fast the machine measured itself. */
  {
    static const char *const models[] = { "stacked", "siamese-aux", NULL };
    g_autofree char *before = g_strdup (pb_compare_page_get_estimate (p));

    g_settings_set_int (settings, "epochs", 100);
    pb_compare_page_set_selection (p, models, 1000);
    pb_test_settle ();
    g_test_message ("estimate: %s", pb_compare_page_get_estimate (p));
    g_assert_cmpstr (pb_compare_page_get_estimate (p), !=, before);
    g_assert_true (g_regex_match_simple ("^about ([0-9]+ h [0-9]{2}|[0-9]+) min on ",
                                         pb_compare_page_get_estimate (p), 0, 0));
    g_assert_cmpint (estimate_minutes (pb_compare_page_get_estimate (p)), >,
                     estimate_minutes (before));
    set_tiny_budget ();
  }
}

/* The estimate's text from its inputs: runs train cores at a time. */
static void
test_compare_estimate_text (void)
{
  static const struct { double epoch_s; int runs, epochs, cores; const char *want; } cases[] = {
    { NAN, 80, 25, 2, "Time estimate after the first run" },
    { 0, 80, 25, 2, "Time estimate after the first run" },
    { 1.0, 80, 25, 2, "about 17 min on 2 cores" },    /* 40 batches of 2 × 25 s */
    { 1.0, 81, 25, 2, "about 17 min on 2 cores" },    /* 41 × 25 s = 1025 s */
    { 1.0, 3, 10, 1, "under a minute on 1 core" },
    { 6.0, 80, 25, 2, "about 1 h 40 min on 2 cores" },
    { 0.5, 4, 20, 4, "under a minute on 4 cores" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = pb_format_estimate (cases[i].epoch_s, cases[i].runs,
                                                  cases[i].epochs, cases[i].cores);
      g_assert_cmpstr (text, ==, cases[i].want);
    }
}

static char *
read_file (const char *path, gsize *len)
{
  char *data = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_get_contents (path, &data, len, &error));
  g_assert_no_error (error);
  return data;
}

static void
test_compare_export (void)
{
  static const char *const kinds[] = { "small-multiples", "box", "curves" };
  static const char *const epoch_labels[] = { "Epoch", "Test error (%)", NULL };
  static const char *const model_labels[] = { "Model", "Test error (%)", NULL };
  PbComparePage *p = page ();

  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
    {
      const char *ext[] = { "png", "svg", "pdf" };

      for (guint e = 0; e < G_N_ELEMENTS (ext); e++)
        {
          g_autofree char *name = g_strdup_printf ("%s.%s", kinds[k], ext[e]);
          g_autofree char *path = g_build_filename (tmp_dir, name, NULL);
          g_autoptr(GError) error = NULL;

          g_assert_true (pb_compare_page_export_to (p, kinds[k], path, 345, &error));
          g_assert_no_error (error);
          if (e == 0)
            pb_test_check_png (path, 345, 0);
          else if (e == 1)
            pb_test_check_svg (path, g_str_equal (kinds[k], "box") ? model_labels : epoch_labels);
          else
            pb_test_check_pdf (path);
        }
    }

  {
    g_autofree char *csv = g_build_filename (tmp_dir, "results.csv", NULL);
    g_autofree char *tex = g_build_filename (tmp_dir, "results.tex", NULL);
    g_autofree char *bad = g_build_filename (tmp_dir, "results.doc", NULL);
    g_autofree char *data = NULL;
    g_auto(GStrv) lines = NULL;
    g_autoptr(GError) error = NULL;
    gsize len;

    g_assert_true (pb_compare_page_export_to (p, "table", csv, 0, &error));
    data = read_file (csv, &len);
    lines = g_strsplit (data, "\n", -1);
    g_assert_cmpuint (g_strv_length (lines), ==, 4);
    g_assert_true (g_str_has_prefix (lines[0], "model,params,test_error_mean"));
    g_assert_true (g_str_has_prefix (lines[1], "stacked,71790,"));
    /* The exports keep the CLI's ids; stacked's untrained digit error is empty. */
    g_assert_nonnull (strstr (lines[1], ",,,"));
    g_assert_null (strstr (lines[2], ",,,"));
    g_assert_true (g_str_has_suffix (lines[2], ",2"));
    g_clear_pointer (&data, g_free);

    g_assert_true (pb_compare_page_export_to (p, "table", tex, 0, &error));
    data = read_file (tex, &len);
    g_assert_nonnull (strstr (data, "\\toprule"));
    g_assert_nonnull (strstr (data, "\\bottomrule"));
    g_assert_nonnull (strstr (data, "siamese-aux & 71076 & $"));
    g_assert_nonnull (strstr (data, "$ & --- & "));
    g_assert_nonnull (strstr (data, "stacked & siamese-aux & $"));
    g_assert_nonnull (strstr (data, "(too few rounds: n = 2) \\\\\n\\bottomrule"));

    /* The page writes the comparison's table, byte for byte, and the comparison formats it from
     * the session the page shows, as the core's table writer does. */
    {
      PbComparison *comparison = pb_compare_page_get_comparison (p);
      const PbSession *session = pb_comparison_get_session (comparison);
      g_autofree char *text = pb_comparison_format_table (comparison, "x.tex", &error);
      PbTableRow rows[PB_SESSION_MAX_MODELS];
      PbSessionSummary sums[PB_SESSION_MAX_MODELS];
      PbStr want;

      g_assert_no_error (error);
      g_assert_cmpstr (text, ==, data);
      for (int m = 0; m < session->n_models; m++)
        {
          pb_session_summary (session, m, &sums[m]);
          rows[m] = (PbTableRow) { .model = sums[m].model, .params = sums[m].params,
                                   .test_mean = sums[m].test_mean,
                                   .test_std = sums[m].test_std,
                                   .digit_mean = sums[m].digit_mean,
                                   .digit_std = sums[m].digit_std, .seconds = sums[m].seconds,
                                   .rounds = sums[m].rounds_done,
                                   .digit_untrained = !sums[m].digit_trained };
        }
      pb_str_init (&want);
      pb_table_format_rows (&want, rows, session->n_models, PB_TABLE_MARKDOWN);
      g_clear_pointer (&text, g_free);
      text = pb_comparison_format_table (comparison, "results.md", &error);
      g_assert_no_error (error);
      /* Table II, then the paired tests. */
      g_assert_true (g_str_has_prefix (text, want.data));
      g_assert_nonnull (strstr (text + want.len, "\nPaired tests on the test error over 2 shared "
                                                 "rounds (two-sided):\n"));
      g_assert_nonnull (strstr (text + want.len, "| stacked | siamese-aux | "));
      g_assert_true (g_str_has_suffix (text, " (too few rounds: n = 2) |\n"));
      pb_str_clear (&want);
      g_assert_null (pb_comparison_format_table (comparison, "results.txt", &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
      g_clear_error (&error);
    }

    g_assert_false (pb_compare_page_export_to (p, "table", bad, 0, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    g_assert_false (g_file_test (bad, G_FILE_TEST_EXISTS));
  }
}

static void
test_compare_save_open (void)
{
  PbComparePage *p = page ();
  g_autofree char *path = g_build_filename (tmp_dir, "comparison.json", NULL);
  g_autofree char *broken = g_build_filename (tmp_dir, "broken.json", NULL);
  g_autofree char *before = NULL, *after = NULL;
  g_autoptr(GError) error = NULL;

  before = pb_compare_page_get_cell (p, PB_COMPARE_TABLE_RESULTS, 1, 2);
  g_assert_true (pb_compare_page_save_to (p, path, &error));
  g_assert_no_error (error);
  g_assert_true (pb_compare_page_open_from (p, path, &error));
  g_assert_no_error (error);
  after = pb_compare_page_get_cell (p, PB_COMPARE_TABLE_RESULTS, 1, 2);
  g_assert_cmpstr (before, ==, after);
  g_assert_true (pb_compare_page_get_tests_visible (p));

  g_assert_true (g_file_set_contents (broken, "{\"format\":\"pairbench-comparison\"}", -1, NULL));
  g_assert_false (pb_compare_page_open_from (p, broken, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "broken.json"));
  g_assert_null (strchr (error->message, '\n'));
  /* The failed open leaves the comparison as it was. */
  g_assert_cmpuint (pb_compare_page_get_n_rows (p, PB_COMPARE_TABLE_RESULTS), ==, 2);
}

/* The comparison's models keep their weights: the Embedding view maps them, though the session
 * has no run of its own. */
static void
test_compare_embed (void)
{
  PbComparePage *p = page ();
  PbComparison *c = pb_compare_page_get_comparison (p);
  PbEmbeddingView *view = pb_window_get_embedding_view (window);
  GtkWidget *stack = gtk_widget_get_ancestor (GTK_WIDGET (p), ADW_TYPE_VIEW_STACK);
  const PbSession *session;
  PbEmbedder *embedder;
  PbEmbedSettings es;
  PbEmbedModel model;
  const char *const titles[] = { "stacked · comparison round 1",
                                 "siamese-aux · comparison round 1" };

  g_assert_cmpuint (g_list_model_get_n_items (pb_window_get_runs (window)), ==, 0);
  /* The reopened comparison of /compare/save-open has metrics only. */
  g_assert_true (pb_comparison_get_loaded (c));
  g_assert_cmpuint (pb_comparison_get_n_embed_models (c), ==, 0);
  /* compare.embed is disabled: nothing happens. */
  gtk_widget_activate_action (GTK_WIDGET (p), "compare.embed", NULL);
  g_assert_cmpstr (adw_view_stack_get_visible_child_name (ADW_VIEW_STACK (stack)), ==, "compare");
  g_assert_cmpuint (pb_embedding_view_get_n_choices (view), ==, 0);

  set_tiny_budget ();
  run_comparison (p, 1);
  session = pb_comparison_get_session (c);
  g_assert_false (pb_comparison_get_loaded (c));
  g_assert_cmpuint (pb_comparison_get_n_models (c), ==, 2);
  g_assert_cmpuint (pb_comparison_get_n_embed_models (c), ==, 2);
  for (guint m = 0; m < 2; m++)
    {
      g_autofree char *label = pb_embedding_view_get_choice_label (view, m);

      g_assert_true (pb_comparison_get_embed_model (c, m, &model));
      g_assert_cmpint (pb_comparison_get_embed_round (c, m), ==, 0);
      g_assert_cmpstr (model.title, ==, titles[m]);
      g_assert_cmpstr (pb_arch_name (pb_model_arch (model.model)), ==,
                       pb_arch_name (&session->models[m]));
      g_assert_cmpuint (model.settings->seed, ==, session->base.seed);
      g_assert_cmpint (model.settings->test_pairs, ==, 100);
      g_assert_cmpfloat (model.input_std, >, 0);
      g_assert_cmpstr (label, ==, titles[m]);
    }
  g_assert_false (pb_comparison_get_embed_model (c, 2, &model));
  g_assert_cmpuint (pb_embedding_view_get_n_choices (view), ==, 2);

  pb_embed_settings_init (&es);
  es.iterations = 100;
  es.test_pairs = 60;
  es.perplexity = 10;
  pb_embedding_view_set_settings (view, &es);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (p), "compare.embed", NULL));
  g_assert_cmpstr (adw_view_stack_get_visible_child_name (ADW_VIEW_STACK (stack)), ==,
                   "embedding");
  embedder = pb_embedding_view_get_embedder (view);
  g_assert_cmpuint (pb_embedder_get_n_maps (embedder), ==, 2);
  g_assert_true (pb_test_wait_until (embedder_idle, embedder, RUN_TIMEOUT_S));
  pb_test_settle ();
  /* The report's order, whatever the comparison's; stacked has one point per pair, siamese
   * one per image. */
  for (guint i = 0; i < 2; i++)
    {
      const PbEmbedMap *map = pb_embedder_get_map (embedder, i);

      g_assert_cmpstr (map->title, ==, titles[i]);
      g_assert_cmpstr (map->arch_name, ==, i == 0 ? "stacked" : "siamese-aux");
      g_assert_cmpint (map->state, ==, PB_EMBED_DONE);
      g_assert_cmpint (map->iteration, ==, 100);
      g_assert_cmpint (map->n, ==, (i == 0 ? 1 : 2) * es.test_pairs);
      g_assert_nonnull (map->xy);
      for (int k = 0; k < 2 * map->n; k++)
        g_assert_true (isfinite (map->xy[k]));
    }

  /* The view's own Compare button maps the comparison too, as there are no runs. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "embedding.compare", NULL));
  g_assert_cmpuint (pb_embedder_get_n_maps (embedder = pb_embedding_view_get_embedder (view)),
                    ==, 2);
  g_assert_cmpstr (pb_embedder_get_map (embedder, 1)->title, ==, titles[1]);
  pb_embedder_stop (embedder);
  g_assert_true (pb_test_wait_until (embedder_idle, embedder, RUN_TIMEOUT_S));
  adw_view_stack_set_visible_child_name (ADW_VIEW_STACK (stack), "compare");
  pb_test_settle ();
}

static void
test_compare_stop (void)
{
  PbComparePage *p = page ();
  static const char *const models[] = { "stacked", "siamese", NULL };
  PbComparison *c = pb_compare_page_get_comparison (p);

  g_settings_set_int (settings, "epochs", 20);
  pb_test_settle ();
  pb_compare_page_set_selection (p, models, 6);
  g_assert_false (pb_compare_page_get_ticking (p));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (p), "compare.start", NULL));
  g_assert_true (pb_comparison_get_running (c));
  /* The elapsed time counts up before any round has finished; the estimate gives way to it. */
  g_assert_true (pb_compare_page_get_ticking (p));
  g_assert_null (pb_compare_page_get_estimate (p));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (p), "compare.stop", NULL));
  g_assert_true (pb_test_wait_until (comparison_idle, p, RUN_TIMEOUT_S));
  pb_test_settle ();
  g_assert_false (pb_compare_page_get_ticking (p));
  /* Still timed by the earlier comparison, though this one finished no round. */
  g_assert_nonnull (pb_compare_page_get_estimate (p));
  g_assert_true (g_str_has_prefix (pb_compare_page_get_estimate (p), "about ")
                 || g_str_has_prefix (pb_compare_page_get_estimate (p), "under a minute"));
  g_assert_true (pb_compare_page_get_session_partial (p));
  set_tiny_budget ();
}

static void
test_compare_close_while_running (void)
{
  PbWindow *other = pb_window_new (GTK_APPLICATION (app));
  PbComparePage *p = pb_window_get_compare_page (other);
  static const char *const models[] = { "stacked", "siamese", NULL };

  g_settings_set_int (settings, "epochs", 20);
  gtk_window_present (GTK_WINDOW (other));
  pb_test_settle ();
  pb_compare_page_set_selection (p, models, 8);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (p), "compare.start", NULL));
  g_assert_true (pb_comparison_get_running (pb_compare_page_get_comparison (p)));
  gtk_window_close (GTK_WINDOW (other));
  pb_test_settle ();
  set_tiny_budget ();
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
  tmp_dir = g_dir_make_tmp ("test-compare-XXXXXX", NULL);

  window = pb_test_window_new (app);
  adw_view_stack_set_visible_child_name (
    ADW_VIEW_STACK (gtk_widget_get_ancestor (GTK_WIDGET (page ()), ADW_TYPE_VIEW_STACK)),
    "compare");
  pb_test_settle ();

  g_test_add_func ("/compare/estimate-text", test_compare_estimate_text);
  g_test_add_func ("/compare/run", test_compare_run);
  g_test_add_func ("/compare/export", test_compare_export);
  g_test_add_func ("/compare/save-open", test_compare_save_open);
  g_test_add_func ("/compare/embed", test_compare_embed);
  g_test_add_func ("/compare/stop", test_compare_stop);
  g_test_add_func ("/compare/close-while-running", test_compare_close_while_running);
  status = g_test_run ();

  pb_test_window_destroy (window);
  g_object_unref (settings);
  g_object_unref (app);
  pb_test_remove_dir (tmp_dir);
  g_free (tmp_dir);
  return status;
}
