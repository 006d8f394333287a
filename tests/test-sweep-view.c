/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-sweep-view"

#include "config.h"

#include <math.h>
#include <string.h>
#include <adwaita.h>
#include <glib/gstdio.h>

#include "pb-application.h"
#include "pb-sweep-view.h"
#include "pb-user-presets.h"
#include "pb-window.h"
#include "gui-test-util.h"

#define RUN_TIMEOUT_S 240
#define N_TRIALS 6

static PbApplication *app;
static PbWindow *window;
static GSettings *settings;
static char *tmp_dir;

/* The fixture's trials: lr and hidden, and their val_error (best first is trial 4). */
static const char *const fixture_lr[N_TRIALS] = {
  "0.0012", "0.0035", "0.00042", "0.0021", "0.0049", "0.0009",
};
static const char *const fixture_hidden[N_TRIALS] = { "64", "128", "96", "128", "64", "96" };
static const double fixture_err[N_TRIALS] = { 0.21, 0.14, 0.25, 0.11, 0.30, 0.18 };

static PbSweepView *
view (void)
{
  return pb_window_get_sweep_view (window);
}

static char *
tmp_path (const char *name)
{
  return g_build_filename (tmp_dir, name, NULL);
}

static guint
n_dialogs (void)
{
  g_autoptr(GList) windows = gtk_window_list_toplevels ();
  guint n = 0;

  for (GList *l = windows; l != NULL; l = l->next)
    n += ADW_IS_MESSAGE_DIALOG (l->data) && gtk_widget_get_visible (l->data);
  return n;
}

static void
close_dialogs (void)
{
  g_autoptr(GList) windows = gtk_window_list_toplevels ();

  for (GList *l = windows; l != NULL; l = l->next)
    if (ADW_IS_MESSAGE_DIALOG (l->data))
      gtk_window_destroy (l->data);
  pb_test_settle ();
}

/* A TRIALS.jsonl as `sweep --out` writes it: pb_sweep_result_to_json lines of a real config. */
/* The lines, and the config's canonical JSON in config_out (may be NULL). */
static char *
trials_text (char **config_out)
{
  static const char config_json[] =
    "{\"method\":\"random\",\"metric\":{\"name\":\"val_error\",\"goal\":\"minimize\"},"
    "\"trials\":6,\"rounds\":1,\"seed\":1,\"val-pairs\":200,\"parameters\":{"
    "\"lr\":{\"distribution\":\"log_uniform_values\",\"min\":0.0004,\"max\":0.005},"
    "\"hidden\":{\"values\":[64,96,128]}}}";
  PbSweepConfig *config = g_new0 (PbSweepConfig, 1);
  char *text;
  PbError err = { { 0 } };
  PbStr out;

  g_assert_cmpint (pb_sweep_config_parse (config_json, strlen (config_json), "fixture", config,
                                          &err), ==, PB_OK);
  pb_str_init (&out);
  for (int t = 0; t < N_TRIALS; t++)
    {
      PbSweepResult r = { 0 };

      r.trial = t;
      r.seed = 1;
      r.params = g_str_equal (fixture_hidden[t], "64") ? 71076
                 : g_str_equal (fixture_hidden[t], "96") ? 87812 : 104548;
      r.epochs = 3;
      r.val_error = fixture_err[t];
      r.train_seconds = 1.5;
      r.n_values = 2;
      g_strlcpy (r.values[0], fixture_lr[t], sizeof r.values[0]);
      g_strlcpy (r.values[1], fixture_hidden[t], sizeof r.values[1]);
      pb_sweep_result_to_json (config, &r, &out);
    }
  g_assert_false (out.failed);
  text = g_strndup (out.data, out.len);
  pb_str_clear (&out);
  if (config_out != NULL)
    {
      pb_str_init (&out);
      pb_sweep_config_to_json (config, &out);
      *config_out = g_strndup (out.data, out.len);
      pb_str_clear (&out);
    }
  g_free (config);
  return text;
}

static char *
write_trials_file (void)
{
  g_autofree char *path = tmp_path ("TRIALS.jsonl");
  g_autofree char *text = trials_text (NULL);

  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  return g_steal_pointer (&path);
}

/* A summary as `sweep --json` or `merge --json` writes it (sweep-schema.md). */
static void
test_open_summary (void)
{
  g_autofree char *config = NULL;
  g_autofree char *lines = trials_text (&config);
  g_auto(GStrv) parts = g_strsplit (g_strstrip (lines), "\n", -1);
  g_autofree char *results = g_strjoinv (",", parts);
  g_autofree char *path = tmp_path ("summary.json");
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  const PbTrainSettings *base;
  const char *label;
  double mean, std;
  int rounds;

  text = g_strdup_printf ("{\"format\":\"pairbench-sweep\",\"version\":1,\"config\":%s,"
                          "\"base\":{\"model\":\"siamese-aux\",\"epochs\":3,\"lr\":0.001,"
                          "\"swap\":true},\"trials\":[],\"results\":[%s],\"importance\":[],"
                          "\"best\":{\"trial\":4,\"settings\":{},\"command\":\"pairbench-cli "
                          "train\",\"test\":{\"label\":\"test error of the best settings, "
                          "trained on all 1000 training pairs\",\"rounds\":2,\"seeds\":[1,2],"
                          "\"test_errors\":[0.12,0.13],\"test_error_mean\":0.125,"
                          "\"test_error_std\":0.007,\"train_seconds_mean\":3}}}",
                          config, results);
  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  g_assert_true (pb_sweep_view_open_from (view (), path, &error));
  g_assert_no_error (error);
  pb_test_settle ();

  g_assert_cmpuint (pb_sweep_view_get_n_rows (view ()), ==, N_TRIALS);
  base = pb_sweeper_get_base (pb_sweep_view_get_sweeper (view ()));
  g_assert_nonnull (base);
  g_assert_cmpint (base->epochs, ==, 3);
  g_assert_true (base->swap);
  g_assert_true (pb_sweeper_get_best_test (pb_sweep_view_get_sweeper (view ()), &label, &mean,
                                           &std, &rounds));
  g_assert_cmpfloat_with_epsilon (mean, 0.125, 1e-12);
  g_assert_cmpint (rounds, ==, 2);
  g_assert_nonnull (strstr (label, "trained on all"));
}

static void
open_fixture (void)
{
  g_autofree char *path = write_trials_file ();
  g_autoptr(GError) error = NULL;

  g_assert_true (pb_sweep_view_open_from (view (), path, &error));
  g_assert_no_error (error);
  pb_test_settle ();
}

static void
test_empty (void)
{
  GtkWidget *status = pb_test_find_widget (GTK_WIDGET (view ()), ADW_TYPE_STATUS_PAGE, NULL,
                                           NULL);

  g_assert_nonnull (status);
  g_assert_null (pb_sweeper_get_config (pb_sweep_view_get_sweeper (view ())));
  g_assert_true (gtk_widget_get_mapped (status));
  g_assert_cmpuint (pb_sweep_view_get_n_rows (view ()), ==, 0);
}

static void
test_open_trials (void)
{
  const PbSweepConfig *config;
  const PbSweepPlotData *data;
  g_autofree char *first = NULL, *err = NULL, *lr = NULL;

  open_fixture ();
  config = pb_sweeper_get_config (pb_sweep_view_get_sweeper (view ()));
  g_assert_nonnull (config);
  /* The parameters come off the lines' settings: lr spans a decade, so it is log-uniform. */
  g_assert_cmpint (config->n_params, ==, 2);
  g_assert_cmpstr (config->params[0].name, ==, "lr");
  g_assert_cmpint (config->params[0].dist, ==, PB_SWEEP_LOG_UNIFORM_VALUES);
  g_assert_cmpstr (config->params[1].name, ==, "hidden");

  g_assert_cmpuint (pb_sweep_view_get_n_rows (view ()), ==, N_TRIALS);
  g_assert_cmpuint (pb_sweep_view_get_n_columns (view ()), ==, 2 + 4);
  first = pb_sweep_view_get_cell (view (), 0, 0);
  err = pb_sweep_view_get_cell (view (), 0, 3);
  lr = pb_sweep_view_get_cell (view (), 0, 1);
  g_assert_cmpstr (first, ==, "4");
  g_assert_cmpstr (err, ==, "11.0\u00a0%");
  g_assert_cmpstr (lr, ==, "0.0021");

  data = pb_sweep_plot_view_get_data (pb_sweep_view_get_plot (view (), PB_SWEEP_PLOT_PARCOORDS));
  g_assert_cmpint (data->n_axes, ==, 3);
  g_assert_cmpint (data->n_lines, ==, N_TRIALS);
  g_assert_cmpint (data->axes[0].scale, ==, PB_SWEEP_AXIS_LOG);
  /* The empty state gives way to the plots and the table. */
  g_assert_false (gtk_widget_get_mapped (pb_test_find_widget (GTK_WIDGET (view ()),
                                                              ADW_TYPE_STATUS_PAGE, NULL, NULL)));
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (
    pb_sweep_view_get_plot (view (), PB_SWEEP_PLOT_PARCOORDS))));
}

/* What `pairbench-cli sweep` itself writes opens: its TRIALS.jsonl and its --json summary. */
static void
test_open_cli (void)
{
  static const char config[] =
    "{\"method\":\"random\",\"metric\":{\"name\":\"val_error\",\"goal\":\"minimize\"},"
    "\"trials\":4,\"rounds\":1,\"seed\":0,\"val-pairs\":100,\"parameters\":{"
    "\"lr\":{\"distribution\":\"log_uniform_values\",\"min\":0.0005,\"max\":0.005},"
    "\"hidden\":{\"values\":[64,96,128]},\"rule\":{\"values\":[\"head\",\"both\"]}}}";
  const char *cli = g_getenv ("PAIRBENCH_CLI");
  g_autofree char *config_path = tmp_path ("SWEEP.json");
  g_autofree char *trials_path = tmp_path ("cli-TRIALS.jsonl");
  g_autofree char *summary_path = tmp_path ("cli-summary.json");
  g_autofree char *summary = NULL;
  g_autoptr(GError) error = NULL;
  const PbSweepPlotData *data;
  int wait_status;
  const char *label;

  if (cli == NULL)
    {
      g_test_skip ("PAIRBENCH_CLI is not set");
      return;
    }
  g_assert_true (g_file_set_contents (config_path, config, -1, NULL));
  {
    const char *argv[] = { cli, "sweep", "--config", config_path, "--epochs", "1", "--pairs",
                           "300", "--test-pairs", "200", "--jobs", "2", "--out", trials_path,
                           "--json", NULL };

    g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL,
                                 NULL, &summary, NULL, &wait_status, &error));
    g_assert_no_error (error);
    g_assert_true (g_spawn_check_wait_status (wait_status, NULL));
    g_assert_true (g_file_set_contents (summary_path, summary, -1, NULL));
  }

  g_assert_true (pb_sweep_view_open_from (view (), trials_path, &error));
  g_assert_no_error (error);
  pb_test_settle ();
  g_assert_cmpuint (pb_sweep_view_get_n_rows (view ()), ==, 4);
  data = pb_sweep_plot_view_get_data (pb_sweep_view_get_plot (view (), PB_SWEEP_PLOT_PARCOORDS));
  /* lr, hidden and rule; the rule is a choice. */
  g_assert_cmpint (data->n_axes, ==, 4);
  g_assert_cmpint (data->axes[2].scale, ==, PB_SWEEP_AXIS_CATEGORY);
  g_assert_false (pb_sweeper_get_best_test (pb_sweep_view_get_sweeper (view ()), NULL, NULL,
                                            NULL, NULL));

  g_assert_true (pb_sweep_view_open_from (view (), summary_path, &error));
  g_assert_no_error (error);
  pb_test_settle ();
  g_assert_cmpuint (pb_sweep_view_get_n_rows (view ()), ==, 4);
  g_assert_nonnull (pb_sweeper_get_base (pb_sweep_view_get_sweeper (view ())));
  g_assert_cmpint (pb_sweeper_get_base (pb_sweep_view_get_sweeper (view ()))->train_pairs, ==,
                   300);
  g_assert_true (pb_sweeper_get_best_test (pb_sweep_view_get_sweeper (view ()), &label, NULL,
                                           NULL, NULL));
  g_assert_cmpstr (label, !=, "");
}

static void
test_open_bad (void)
{
  g_autofree char *garbage = tmp_path ("garbage.jsonl");
  g_autofree char *other = tmp_path ("other.json");
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (garbage, "{\"trial\": 1, \"round\":\n", -1, NULL));
  g_assert_true (g_file_set_contents (other, "{\"format\": \"pairbench-session\"}", -1, NULL));

  g_assert_false (pb_sweep_view_open_from (view (), garbage, &error));
  g_assert_nonnull (strstr (error->message, garbage));
  g_assert_null (strchr (error->message, '\n'));
  g_clear_error (&error);
  g_assert_false (pb_sweep_view_open_from (view (), other, &error));
  g_assert_nonnull (strstr (error->message, other));
  g_assert_nonnull (strstr (error->message, "pairbench-session"));
  g_clear_error (&error);
}

static void
test_brush (void)
{
  PbSweepPlotView *plot = pb_sweep_view_get_plot (view (), PB_SWEEP_PLOT_PARCOORDS);
  double x0, y0, x1, y1;
  guint n_wide = 0;

  open_fixture ();
  g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (plot)), >, 300);
  for (int t = 0; t < N_TRIALS; t++)
    n_wide += !g_str_equal (fixture_hidden[t], "64");

  /* A drag along the hidden axis from 90 up to the top keeps the trials of 96 and 128. */
  pb_sweep_plot_view_axis_point (plot, 1, 90, &x0, &y0);
  pb_sweep_plot_view_axis_point (plot, 1, 128, &x1, &y1);
  pb_sweep_plot_view_drag (plot, x0 + 3, y0, x1 + 3, y1 - 4);
  pb_test_settle ();
  g_assert_true (pb_sweep_plot_view_get_data (plot)->axes[1].brushed);
  g_assert_cmpuint (pb_sweep_view_get_n_rows (view ()), ==, n_wide);
  /* The scatter dims the same trials. */
  g_assert_true (pb_sweep_plot_view_get_data (
    pb_sweep_view_get_plot (view (), PB_SWEEP_PLOT_SCATTER))->axes[1].brushed);

  /* A second brush, on val_error below 15 %: trials 2 and 4. */
  pb_sweep_plot_view_axis_point (plot, 2, 0.10, &x0, &y0);
  pb_sweep_plot_view_axis_point (plot, 2, 0.15, &x1, &y1);
  pb_sweep_plot_view_drag (plot, x0, y0 + 2, x1, y1);
  pb_test_settle ();
  g_assert_cmpuint (pb_sweep_view_get_n_rows (view ()), ==, 2);

  /* A click on a brushed axis clears it. */
  pb_sweep_plot_view_drag (plot, x0, y0 - 10, x0, y0 - 10);
  pb_test_settle ();
  g_assert_false (pb_sweep_plot_view_get_data (plot)->axes[2].brushed);
  g_assert_cmpuint (pb_sweep_view_get_n_rows (view ()), ==, n_wide);
  pb_sweep_plot_view_axis_point (plot, 1, 100, &x0, &y0);
  pb_sweep_plot_view_drag (plot, x0, y0, x0, y0);
  pb_test_settle ();
  g_assert_cmpuint (pb_sweep_view_get_n_rows (view ()), ==, N_TRIALS);
}

static void
test_sort (void)
{
  g_autofree char *worst = NULL, *first = NULL, *wide = NULL, *narrow = NULL;

  open_fixture ();
  /* val_error is column 3: trial, lr, hidden, val_error, parameters, epochs. */
  pb_sweep_view_sort (view (), 3, GTK_SORT_DESCENDING);
  pb_test_settle ();
  worst = pb_sweep_view_get_cell (view (), 0, 0);
  g_assert_cmpstr (worst, ==, "5");
  pb_sweep_view_sort (view (), 0, GTK_SORT_ASCENDING);
  pb_test_settle ();
  first = pb_sweep_view_get_cell (view (), 0, 0);
  g_assert_cmpstr (first, ==, "1");
  pb_sweep_view_sort (view (), 2, GTK_SORT_DESCENDING);
  pb_test_settle ();
  wide = pb_sweep_view_get_cell (view (), 0, 2);
  narrow = pb_sweep_view_get_cell (view (), N_TRIALS - 1, 2);
  g_assert_cmpstr (wide, ==, "128");
  g_assert_cmpstr (narrow, ==, "64");
  pb_sweep_view_sort (view (), 3, GTK_SORT_ASCENDING);
  pb_test_settle ();
}

static void
test_use_settings (void)
{
  open_fixture ();
  g_settings_set_int (settings, "hidden-width", 32);
  g_settings_set_double (settings, "learning-rate", 0.01);
  pb_test_settle ();

  pb_sweep_view_sort (view (), 3, GTK_SORT_ASCENDING);
  pb_sweep_view_select_row (view (), 0);
  pb_test_settle ();
  g_assert_cmpint (pb_sweep_view_get_selected_trial (view ()), ==, 3);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view ()), "sweep.use-settings", NULL));
  pb_test_settle ();
  g_assert_cmpuint (n_dialogs (), ==, 0);
  g_assert_cmpint (g_settings_get_int (settings, "hidden-width"), ==, 128);
  g_assert_cmpfloat_with_epsilon (g_settings_get_double (settings, "learning-rate"), 0.0021,
                                  1e-7);
}

static void
test_save_preset (void)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) names = NULL;
  g_autofree char *file = NULL;

  open_fixture ();
  pb_sweep_view_sort (view (), 3, GTK_SORT_ASCENDING);
  pb_sweep_view_select_row (view (), 1);
  pb_test_settle ();
  g_assert_cmpint (pb_sweep_view_get_selected_trial (view ()), ==, 1);
  g_assert_false (pb_sweep_view_save_preset (view (), "Bad Name", &error));
  g_clear_error (&error);
  g_assert_true (pb_sweep_view_save_preset (view (), "sweep-second", &error));
  g_assert_no_error (error);
  file = g_build_filename (tmp_dir, "data", "pairbench", "presets", "sweep-second.json", NULL);
  g_assert_true (g_file_test (file, G_FILE_TEST_IS_REGULAR));
  names = pb_user_presets_list (&error);
  g_assert_no_error (error);
  g_assert_true (g_strv_contains ((const char *const *) names, "sweep-second"));

  /* The sidebar's Presets menu applies it: trial 2's hidden width, 128. */
  g_settings_set_int (settings, "hidden-width", 32);
  pb_test_settle ();
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.preset", "s",
                                             "sweep-second"));
  pb_test_settle ();
  g_assert_cmpuint (n_dialogs (), ==, 0);
  g_assert_cmpint (g_settings_get_int (settings, "hidden-width"), ==, 128);
}

static void
test_export (void)
{
  const char *const labels[] = { "lr", "hidden", NULL };
  const char *figures[] = { "parcoords.png", "parcoords.svg", "scatter.pdf" };
  const char *tables[] = { "trials.csv", "trials.md", "trials.tex" };
  g_autoptr(GError) error = NULL;

  open_fixture ();
  for (guint i = 0; i < G_N_ELEMENTS (figures); i++)
    {
      g_autofree char *path = tmp_path (figures[i]);

      g_assert_true (pb_sweep_view_export_to (view (), i < 2 ? "parcoords" : "scatter", path,
                                              400, &error));
      g_assert_no_error (error);
      if (i == 0)
        pb_test_check_png (path, 400, 200);
      else if (i == 1)
        pb_test_check_svg (path, labels);
      else
        pb_test_check_pdf (path);
    }
  for (guint i = 0; i < G_N_ELEMENTS (tables); i++)
    {
      g_autofree char *path = tmp_path (tables[i]);
      g_autofree char *text = NULL;

      g_assert_true (pb_sweep_view_export_to (view (), "table", path, 0, &error));
      g_assert_no_error (error);
      g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
      /* Every trial a line, lr with every digit. */
      g_auto(GStrv) lines = g_strsplit (text, "\n", -1);

      g_assert_nonnull (strstr (text, "0.0021"));
      g_assert_cmpuint (g_strv_length (lines), >=, N_TRIALS + 1);
    }
  {
    g_autofree char *path = tmp_path ("trials.csv");
    g_autofree char *text = NULL;

    g_file_get_contents (path, &text, NULL, NULL);
    g_assert_true (g_str_has_prefix (text, "rank,trial,lr,hidden,val_error_mean,"));
    g_assert_nonnull (strstr (text, "\n1,4,0.0021,128,0.1100,"));
  }
}

/* After the view's own handler: the rows it shows while the sweep still runs. */
static void
on_changed (PbSweeper *sweeper,
            guint     *live)
{
  if (pb_sweeper_get_running (sweeper))
    *live = MAX (*live, pb_sweep_view_get_n_rows (view ()));
}

static gboolean
sweeper_idle (gpointer data)
{
  return !pb_sweeper_get_running (data);
}

static void
test_run (void)
{
  static const char *const names[] = { "lr", "hidden", NULL };
  static const char *const specs[] = { "0.001–0.004 log", "32, 64", NULL };
  PbSweeper *sweeper = pb_sweep_view_get_sweeper (view ());
  guint live = 0, n_results;
  gulong id;

  g_settings_set_int (settings, "epochs", 1);
  g_settings_set_int (settings, "train-pairs", 200);
  g_settings_set_int (settings, "test-pairs", 100);
  g_settings_set_int (settings, "batch-size", 50);
  pb_test_settle ();
  pb_sweep_view_set_run (view (), "random", 3, 1, 50);
  pb_sweep_view_set_parameters (view (), names, specs);

  id = g_signal_connect (sweeper, "changed", G_CALLBACK (on_changed), &live);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view ()), "sweep.start", NULL));
  g_assert_true (pb_sweeper_get_running (sweeper));
  g_assert_true (pb_test_wait_until (sweeper_idle, sweeper, RUN_TIMEOUT_S));
  pb_test_settle ();
  g_signal_handler_disconnect (sweeper, id);

  g_assert_cmpuint (n_dialogs (), ==, 0);
  pb_sweeper_get_results (sweeper, &n_results);
  g_assert_cmpuint (n_results, ==, 3);
  g_assert_cmpuint (pb_sweeper_get_n_planned (sweeper), ==, 3);
  /* Rows were shown while the sweep still ran. */
  g_assert_cmpuint (live, >, 0);
  g_assert_cmpuint (pb_sweep_view_get_n_rows (view ()), ==, 3);
  for (guint r = 0; r < 3; r++)
    {
      g_autofree char *hidden = pb_sweep_view_get_cell (view (), r, 2);
      g_autofree char *epochs = pb_sweep_view_get_cell (view (), r, 5);

      g_assert_true (g_str_equal (hidden, "32") || g_str_equal (hidden, "64"));
      g_assert_cmpstr (epochs, ==, "1");
    }
}

static void
on_finished (PbSweeper *sweeper,
             int        status,
             const char *message,
             int       *out)
{
  *out = status;
}

/* Stop ends the sweep between units and keeps what finished. */
static void
test_stop (void)
{
  static const char *const names[] = { "hidden", NULL };
  static const char *const specs[] = { "32, 48, 64", NULL };
  PbSweeper *sweeper = pb_sweep_view_get_sweeper (view ());
  int finished = -1;
  guint n_results;
  gulong id;

  g_settings_set_int (settings, "epochs", 2);
  g_settings_set_int (settings, "train-pairs", 300);
  pb_test_settle ();
  pb_sweep_view_set_run (view (), "random", 40, 1, 50);
  pb_sweep_view_set_parameters (view (), names, specs);
  id = g_signal_connect (sweeper, "finished", G_CALLBACK (on_finished), &finished);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view ()), "sweep.start", NULL));
  pb_test_wait_for (pb_sweep_view_get_n_rows (view ()) > 0, RUN_TIMEOUT_S);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view ()), "sweep.stop", NULL));
  g_assert_true (pb_test_wait_until (sweeper_idle, sweeper, RUN_TIMEOUT_S));
  pb_test_settle ();
  g_signal_handler_disconnect (sweeper, id);

  g_assert_cmpint (finished, ==, PB_ERR_CANCELLED);
  pb_sweeper_get_results (sweeper, &n_results);
  g_assert_cmpuint (n_results, >, 0);
  g_assert_cmpuint (n_results, <, 40);
  g_assert_cmpuint (pb_sweep_view_get_n_rows (view ()), ==, n_results);
  g_assert_cmpuint (n_dialogs (), ==, 0);
}

static void
test_bad_spec (void)
{
  static const char *const names[] = { "hidden", NULL };
  static const char *const specs[] = { "wide, narrow", NULL };
  g_autofree PbSweepConfig *config = g_new0 (PbSweepConfig, 1);
  g_autoptr(GError) error = NULL;

  pb_sweep_view_set_parameters (view (), names, specs);
  g_assert_false (pb_sweep_view_build_config (view (), config, &error));
  g_assert_nonnull (strstr (error->message, "hidden"));
  g_assert_false (pb_sweeper_get_running (pb_sweep_view_get_sweeper (view ())));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view ()), "sweep.start", NULL));
  pb_test_settle ();
  g_assert_cmpuint (n_dialogs (), ==, 1);
  close_dialogs ();
}

int
main (int   argc,
      char *argv[])
{
  int status;
  g_autofree char *data_home = NULL;

  tmp_dir = g_dir_make_tmp ("test-sweep-view-XXXXXX", NULL);
  /* The presets go to a folder of the test's own, set before any thread starts. */
  data_home = g_build_filename (tmp_dir, "data", NULL);
  g_setenv ("XDG_DATA_HOME", data_home, TRUE);
  if (!pb_test_init_gui (&argc, &argv))
    return 0;

  app = pb_test_app_new ();
  settings = g_settings_new (PB_SCHEMA_ID);
  window = pb_test_window_new (app);
  adw_view_stack_set_visible_child_name (
    ADW_VIEW_STACK (gtk_widget_get_ancestor (GTK_WIDGET (view ()), ADW_TYPE_VIEW_STACK)),
    "sweep");
  pb_test_settle ();

  g_test_add_func ("/sweep-view/empty", test_empty);
  g_test_add_func ("/sweep-view/open-trials", test_open_trials);
  g_test_add_func ("/sweep-view/open-summary", test_open_summary);
  g_test_add_func ("/sweep-view/open-cli", test_open_cli);
  g_test_add_func ("/sweep-view/open-bad", test_open_bad);
  g_test_add_func ("/sweep-view/brush", test_brush);
  g_test_add_func ("/sweep-view/sort", test_sort);
  g_test_add_func ("/sweep-view/use-settings", test_use_settings);
  g_test_add_func ("/sweep-view/save-preset", test_save_preset);
  g_test_add_func ("/sweep-view/export", test_export);
  g_test_add_func ("/sweep-view/bad-spec", test_bad_spec);
  g_test_add_func ("/sweep-view/run", test_run);
  g_test_add_func ("/sweep-view/stop", test_stop);
  status = g_test_run ();

  pb_test_window_destroy (window);
  {
    g_autofree char *presets = g_build_filename (data_home, "pairbench", "presets", NULL);
    g_autofree char *pairbench = g_build_filename (data_home, "pairbench", NULL);

    pb_test_remove_dir (presets);
    g_rmdir (pairbench);
    g_rmdir (data_home);
  }
  g_object_unref (settings);
  g_object_unref (app);
  pb_test_remove_dir (tmp_dir);
  g_free (tmp_dir);
  return status;
}
