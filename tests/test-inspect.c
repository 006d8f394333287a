/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-inspect"

#include "config.h"

#include <math.h>
#include <string.h>
#include <adwaita.h>

#include "pb-application.h"
#include "pb-embedding-view.h"
#include "pb-inspect-view.h"
#include "pb-inspector.h"
#include "pb-run-item.h"
#include "pb-run-picker.h"
#include "pb-samples-view.h"
#include "pb-window.h"
#include "gui-test-util.h"

#define RUN_TIMEOUT_S 240

static PbApplication *app;
static PbWindow *window;
static GSettings *settings;
static PbRunItem *twin_run;
static PbRunItem *siamese_run;

static gboolean
trainer_idle (gpointer data)
{
  return !pb_trainer_get_running (pb_window_get_trainer (window));
}

static AdwViewStack *
stack (void)
{
  return ADW_VIEW_STACK (pb_test_find_widget (GTK_WIDGET (window),
                                              ADW_TYPE_VIEW_STACK, NULL, NULL));
}

static PbInspectView *
inspect_view (void)
{
  return pb_window_get_inspect_view (window);
}

static void
set_model (gboolean sharing,
           gboolean two_channel,
           int      epochs,
           int      pairs)
{
  g_settings_set_boolean (settings, "weight-sharing", sharing);
  g_settings_set_boolean (settings, "two-channel", two_channel);
  g_settings_set_boolean (settings, "aux-loss", FALSE);
  g_settings_set_int (settings, "epochs", epochs);
  g_settings_set_int (settings, "train-pairs", pairs);
  g_settings_set_int (settings, "test-pairs", pairs);
  g_settings_set_int (settings, "batch-size", 100);
  g_settings_set_uint (settings, "seed", 3);
  pb_test_settle ();
}

static PbRunItem *
start_run (void)
{
  GListModel *runs = pb_window_get_runs (window);
  guint n;
  g_autoptr(PbRunItem) item = NULL;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.start", NULL));
  n = g_list_model_get_n_items (runs);
  item = g_list_model_get_item (runs, n - 1);
  return item;  /* the store keeps it alive */
}

static PbRunItem *
train (gboolean sharing,
       gboolean two_channel)
{
  PbRunItem *item;

  set_model (sharing, two_channel, 1, 200);
  item = start_run ();
  g_assert_true (pb_test_wait_until (trainer_idle, NULL, RUN_TIMEOUT_S));
  pb_test_settle ();
  g_assert_cmpint (pb_run_item_get_status (item), ==, PB_RUN_STATUS_FINISHED);
  return item;
}

/* The core's own forward of the pair, in a batch of four with the pair at position 2, so that
 * nothing the view does (its batch of one, its copy of the weights) is shared. */
static PbModel *
core_forward (PbRunItem     *item,
              const PbPairs *pairs,
              int            pair)
{
  PbModel *src = pb_run_item_get_model (item);
  PbModel *model = NULL;
  PbError err;
  double mean, std;
  float x[4 * PB_PAIR_FLOATS];

  g_assert_nonnull (src);
  g_assert_cmpint (pb_model_new (pb_model_arch (src), 4, &model, &err), ==, PB_OK);
  pb_model_copy_weights (model, src);
  pb_run_item_get_input_stats (item, &mean, &std);
  for (int b = 0; b < 4; b++)
    {
      int p = b == 2 ? pair : (pair + b + 1) % pairs->n;
      for (int i = 0; i < PB_PAIR_FLOATS; i++)
        x[b * PB_PAIR_FLOATS + i] =
          (float) ((pairs->images[(gsize) p * PB_PAIR_FLOATS + i] - mean) / std);
    }
  pb_model_forward (model, x, 4, false, NULL);
  return model;
}

static void
assert_close (const float *a,
              const float *b,
              gsize        n,
              double       tol)
{
  double worst = 0;

  for (gsize i = 0; i < n; i++)
    worst = MAX (worst, fabs ((double) a[i] - b[i]) / (1 + fabs (b[i])));
  g_test_message ("worst relative difference %.3g over %" G_GSIZE_FORMAT " values", worst, n);
  g_assert_cmpfloat (worst, <=, tol);
}

/* Everything panel shows for the pair equals the core's activations for it. */
static void
assert_panel_matches_core (guint          panel,
                           PbRunItem     *item,
                           const PbPairs *pairs,
                           int            pair)
{
  PbInspectView *view = inspect_view ();
  g_autoptr(GError) error = NULL;
  PbModel *model = core_forward (item, pairs, pair);
  const PbArch *arch = pb_model_arch (model);
  int n_apps = pb_model_n_applications (model);
  const float *main = pb_model_main_logits (model) + 2 * 2;
  double prob = 1.0 / (1.0 + exp ((double) main[0] - main[1]));

  g_assert_cmpint (pb_inspect_view_get_n_columns (view, panel), ==, n_apps);
  for (int a = 0; a < n_apps; a++)
    {
      const float *digits = pb_model_digit_logits (model) + 2 * 20;
      const float *shown;
      int n, group, side, n_groups;

      for (int l = 0; l < PB_N_CONV; l++)
        {
          int fs = pb_model_feature_side (model, l);
          gsize size = (gsize) arch->channels[l] * fs * fs;
          g_autofree float *expected = g_new (float, size);
          PbFeatureGrid *grid = pb_inspect_view_get_feature_grid (view, panel, a, l);

          g_assert_nonnull (grid);
          pb_model_feature_maps (model, a, l, 2, expected);
          shown = pb_feature_grid_get_maps (grid, &n, &group, &side);
          g_assert_nonnull (shown);
          g_assert_cmpint (n, ==, arch->channels[l]);
          g_assert_cmpint (group, ==, 1);
          g_assert_cmpint (side, ==, fs);
          assert_close (shown, expected, size, 1e-5);
          /* After ReLU: nothing negative, and the scale covers every value. */
          for (gsize i = 0; i < size; i++)
            {
              g_assert_cmpfloat (shown[i], >=, 0);
              g_assert_cmpfloat (shown[i], <=, pb_feature_grid_get_vmax (grid) + 1e-6);
            }
        }

      shown = pb_logit_bars_get_logits (pb_inspect_view_get_logit_bars (view, panel, a),
                                        &n_groups);
      g_assert_cmpint (n_groups, ==, n_apps == 1 ? 2 : 1);
      assert_close (shown, digits + 10 * a, 10 * n_groups, 1e-5);

      /* The conv1 filters are the trunk's weights as the run holds them. */
      {
        PbModel *src = pb_run_item_get_model (item);
        g_autofree char *name = g_strdup_printf ("%s.conv1.weight",
                                                 pb_model_trunk_prefix (src, arch->kind ==
                                                                        PB_KIND_TWIN ? a : 0));
        int t = pb_model_find_tensor (src, name);

        g_assert_cmpint (t, >=, 0);
        shown = pb_feature_grid_get_maps (pb_inspect_view_get_filters (view, panel, a), &n,
                                          &group, &side);
        g_assert_cmpint (n, ==, arch->channels[0]);
        g_assert_cmpint (group, ==, n_apps == 1 ? 2 : 1);
        g_assert_cmpint (side, ==, arch->kernel);
        g_assert_true (memcmp (shown, pb_model_tensor_data (src, t),
                               pb_model_tensor (src, t)->size * sizeof (float)) == 0);
      }
    }
  g_assert_cmpfloat (fabs (pb_inspect_view_get_head_probability (view, panel) - prob), <, 1e-5);
  pb_model_free (model);
}

/* The inspector alone, without the view: its plain results are the core's activations. */
static void
assert_inspector_matches_core (PbRunItem     *item,
                               const PbPairs *pairs,
                               int            pair)
{
  g_autoptr(PbInspector) inspector = pb_inspector_new ();
  g_autoptr(GError) error = NULL;
  PbModel *model = core_forward (item, pairs, pair);
  const PbArch *arch = pb_model_arch (model);
  const float *main = pb_model_main_logits (model) + 2 * 2;
  double prob = 1.0 / (1.0 + exp ((double) main[0] - main[1]));
  PbInspection in;
  guint ne;

  g_assert_false (pb_inspector_inspect (inspector, pairs, pair, &in, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_true (pb_inspector_set_run (inspector, item, &error));
  g_assert_no_error (error);
  g_assert_true (pb_inspector_get_test_pairs (inspector) == pb_run_item_get_test_pairs (item));
  pb_run_item_get_epochs (item, &ne);
  g_assert_cmpint (pb_inspector_get_epoch (inspector), ==, (int) ne);
  g_assert_true (pb_inspector_inspect (inspector, pairs, pair, &in, &error));
  g_assert_no_error (error);

  g_assert_cmpint (in.n_columns, ==, pb_model_n_applications (model));
  g_assert_cmpint (in.kind, ==, arch->kind);
  g_assert_cmpint (in.pair, ==, pair);
  g_assert_cmpint (in.classes[0], ==, pairs->classes[2 * pair]);
  g_assert_cmpint (in.classes[1], ==, pairs->classes[2 * pair + 1]);
  g_assert_cmpint (in.label, ==, pairs->labels[pair]);
  g_assert_true (in.images == pairs->images + (gsize) pair * PB_PAIR_FLOATS);
  for (int l = 0; l < PB_N_CONV; l++)
    {
      int fs = pb_model_feature_side (model, l);
      gsize size = (gsize) arch->channels[l] * fs * fs;
      g_autofree float *expected = g_new (float, size);

      g_assert_cmpint (in.map_side[l], ==, fs);
      g_assert_cmpint (in.channels[l], ==, arch->channels[l]);
      for (int a = 0; a < in.n_columns; a++)
        {
          pb_model_feature_maps (model, a, l, 2, expected);
          assert_close (in.maps[l] + a * size, expected, size, 1e-5);
        }
    }
  assert_close (in.digit_logits, pb_model_digit_logits (model) + 2 * 20, 20, 1e-5);
  g_assert_cmpfloat (fabs (in.head_probability - prob), <, 1e-5);
  pb_model_free (model);

  g_assert_false (pb_inspector_inspect (inspector, pairs, pairs->n, &in, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
}

static gboolean
samples_have_tiles (gpointer data)
{
  return pb_samples_view_get_n_tiles (data) > 0;
}

static void
test_inspect_empty (void)
{
  adw_view_stack_set_visible_child_name (stack (), "inspect");
  pb_test_settle ();
  g_assert_null (pb_inspect_view_get_run (inspect_view ()));
  g_assert_cmpuint (pb_inspect_view_get_n_panels (inspect_view ()), ==, 0);
  adw_view_stack_set_visible_child_name (stack (), "train");
}

/* Open Inspect from the Mistakes grid: the pair shown is the mistake, and what is shown is what
 * the core computes. */
static void
test_inspect_mistake (void)
{
  PbSamplesView *samples = PB_SAMPLES_VIEW (pb_test_find_widget (GTK_WIDGET (window),
                                                                 PB_TYPE_SAMPLES_VIEW, NULL, NULL));
  PbInspectView *view = inspect_view ();
  const guint8 *labels, *digits;
  const float *prob1;
  const PbPairs *pairs;
  int first_wrong = -1;
  double shown_prob;

  twin_run = train (FALSE, FALSE);
  pairs = pb_run_item_get_test_pairs (twin_run);
  g_assert_true (pb_run_item_get_predictions (twin_run, &labels, &prob1, &digits));
  for (int i = 0; i < pairs->n && first_wrong < 0; i++)
    if (labels[i] != pairs->labels[i])
      first_wrong = i;
  g_assert_cmpint (first_wrong, >=, 0);

  adw_view_stack_set_visible_child_name (stack (), "samples");
  pb_samples_view_set_mode (samples, "mistakes");
  g_assert_true (pb_test_wait_until (samples_have_tiles, samples, 60));
  g_assert_true (pb_samples_view_activate_tile (samples, 0));
  pb_test_settle ();

  g_assert_cmpstr (adw_view_stack_get_visible_child_name (stack ()), ==, "inspect");
  g_assert_true (pb_inspect_view_get_run (view) == twin_run);
  g_assert_cmpint (pb_inspect_view_get_pair (view), ==, first_wrong);
  g_assert_cmpuint (pb_inspect_view_get_n_panels (view), ==, 1);

  /* Twin: each image through its own trunk, with its own filters. */
  g_assert_cmpint (pb_inspect_view_get_n_columns (view, 0), ==, 2);
  g_assert_cmpstr (pb_inspect_view_get_column_trunk (view, 0, 0), ==, "trunk_a");
  g_assert_cmpstr (pb_inspect_view_get_column_trunk (view, 0, 1), ==, "trunk_b");
  g_assert_false (memcmp (pb_feature_grid_get_maps (pb_inspect_view_get_filters (view, 0, 0),
                                                    NULL, NULL, NULL),
                          pb_feature_grid_get_maps (pb_inspect_view_get_filters (view, 0, 1),
                                                    NULL, NULL, NULL),
                          16 * 2 * 2 * sizeof (float)) == 0);
  assert_panel_matches_core (0, twin_run, pairs, first_wrong);
  assert_inspector_matches_core (twin_run, pairs, first_wrong);

  /* It is a mistake: the head's answer is the wrong label, and is the one the grid showed. */
  shown_prob = pb_inspect_view_get_head_probability (view, 0);
  g_assert_cmpint (shown_prob > 0.5, !=, pairs->labels[first_wrong]);
  g_assert_cmpfloat (fabs (shown_prob - prob1[first_wrong]), <, 1e-5);

  pb_samples_view_set_mode (samples, "pairs");
}

/* The index entry takes a typed index on Enter. */
static void
test_inspect_index_entry (void)
{
  PbInspectView *view = inspect_view ();
  GtkSpinButton *spin = GTK_SPIN_BUTTON (pb_test_find_widget (GTK_WIDGET (view),
                                                              GTK_TYPE_SPIN_BUTTON, NULL, NULL));
  /* Enter in the spin button is its text's "activate". */
  GtkWidget *text = pb_test_find_widget (GTK_WIDGET (spin), GTK_TYPE_TEXT, NULL, NULL);
  guint updates = pb_inspect_view_get_n_updates (view);

  gtk_editable_set_text (GTK_EDITABLE (spin), "17");
  g_signal_emit_by_name (text, "activate");
  pb_test_settle ();
  g_assert_cmpint (pb_inspect_view_get_pair (view), ==, 17);
  g_assert_cmpuint (pb_inspect_view_get_n_updates (view), >, updates);
  assert_panel_matches_core (0, twin_run, pb_run_item_get_test_pairs (twin_run), 17);

  /* Out of range is clamped to the last pair. */
  gtk_editable_set_text (GTK_EDITABLE (spin), "100000");
  g_signal_emit_by_name (text, "activate");
  pb_test_settle ();
  g_assert_cmpint (pb_inspect_view_get_pair (view), ==,
                   pb_run_item_get_test_pairs (twin_run)->n - 1);
}

/* Siamese beside twin on the same pair: one shared trunk with the same filters in both
 * columns, against two trunks. */
static void
test_inspect_compare (void)
{
  PbInspectView *view = inspect_view ();
  const PbPairs *pairs;
  const float *f0, *f1;
  int n;

  siamese_run = train (TRUE, FALSE);
  pairs = pb_run_item_get_test_pairs (siamese_run);
  pb_window_inspect_pair (window, siamese_run, 5);
  pb_inspect_view_set_compare_run (view, twin_run);
  pb_test_settle ();

  g_assert_cmpuint (pb_inspect_view_get_n_panels (view), ==, 2);
  g_assert_cmpint (pb_inspect_view_get_n_columns (view, 0), ==, 2);
  g_assert_cmpstr (pb_inspect_view_get_column_trunk (view, 0, 0), ==, "shared trunk");
  g_assert_cmpstr (pb_inspect_view_get_column_trunk (view, 0, 1), ==, "shared trunk");
  f0 = pb_feature_grid_get_maps (pb_inspect_view_get_filters (view, 0, 0), &n, NULL, NULL);
  f1 = pb_feature_grid_get_maps (pb_inspect_view_get_filters (view, 0, 1), NULL, NULL, NULL);
  g_assert_true (memcmp (f0, f1, (gsize) n * 4 * sizeof (float)) == 0);
  assert_panel_matches_core (0, siamese_run, pairs, 5);

  /* The compared run sees the same pair (same seed, so the same test set here). */
  g_assert_cmpstr (pb_inspect_view_get_column_trunk (view, 1, 0), ==, "trunk_a");
  g_assert_cmpstr (pb_inspect_view_get_column_trunk (view, 1, 1), ==, "trunk_b");
  assert_panel_matches_core (1, twin_run, pairs, 5);
  /* Another run's test pairs, as the compared panel shows them. */
  assert_inspector_matches_core (twin_run, pairs, 5);

  pb_inspect_view_set_compare_run (view, NULL);
  pb_test_settle ();
  g_assert_cmpuint (pb_inspect_view_get_n_panels (view), ==, 1);
}

static void
test_inspect_stacked (void)
{
  PbInspectView *view = inspect_view ();
  PbRunItem *item = train (FALSE, TRUE);

  pb_window_inspect_pair (window, item, 3);
  pb_test_settle ();
  g_assert_cmpint (pb_inspect_view_get_n_columns (view, 0), ==, 1);
  g_assert_cmpstr (pb_inspect_view_get_column_trunk (view, 0, 0), ==, "two-channel trunk");
  assert_panel_matches_core (0, item, pb_run_item_get_test_pairs (item), 3);
  assert_inspector_matches_core (item, pb_run_item_get_test_pairs (item), 3);
  g_settings_reset (settings, "two-channel");
}

static gboolean
shown_epoch_at_least (gpointer data)
{
  return pb_inspect_view_get_shown_epoch (inspect_view (), 0) >= GPOINTER_TO_INT (data);
}

/* A training run is shown epoch by epoch, from the weights the trainer copied at each epoch's
 * end, and then from the finished run. */
static void
test_inspect_follows_training (void)
{
  PbInspectView *view = inspect_view ();
  PbRunItem *item;
  PbModel *snapshot;
  double mean, std;
  const PbPairs *test;
  int epoch, seen;
  guint updates;

  set_model (FALSE, FALSE, 4, 1000);
  item = start_run ();
  pb_window_inspect_pair (window, item, 9);
  pb_test_settle ();
  g_assert_true (pb_inspect_view_get_run (view) == item);

  g_assert_true (pb_test_wait_until (shown_epoch_at_least, GINT_TO_POINTER (1), RUN_TIMEOUT_S));
  g_assert_true (pb_run_item_get_snapshot (item, &snapshot, &epoch, &mean, &std, &test));
  g_assert_cmpint (test->n, ==, 1000);
  g_assert_cmpint (pb_inspect_view_get_n_columns (view, 0), ==, 2);
  seen = pb_inspect_view_get_shown_epoch (view, 0);
  updates = pb_inspect_view_get_n_updates (view);
  if (seen < 4)
    {
      g_assert_true (pb_test_wait_until (shown_epoch_at_least, GINT_TO_POINTER (seen + 1),
                                         RUN_TIMEOUT_S));
      g_assert_cmpuint (pb_inspect_view_get_n_updates (view), >, updates);
    }

  g_assert_true (pb_test_wait_until (trainer_idle, NULL, RUN_TIMEOUT_S));
  pb_test_settle ();
  g_assert_cmpint (pb_inspect_view_get_shown_epoch (view, 0), ==, 4);
  assert_panel_matches_core (0, item, pb_run_item_get_test_pairs (item), 9);
  /* The last snapshot is the finished run's weights. */
  g_assert_true (pb_run_item_get_snapshot (item, &snapshot, &epoch, &mean, &std, &test));
  g_assert_cmpint (epoch, ==, 4);
  g_assert_true (memcmp (pb_model_params (snapshot), pb_model_params (pb_run_item_get_model (item)),
                         pb_model_param_count (snapshot) * sizeof (float)) == 0);
}

static gboolean
widget_is_visible (GtkWidget *widget,
                   gpointer   data)
{
  return gtk_widget_get_visible (widget);
}

/* Every page that shows a run defaults to the latest, and has the same picker: a run the user
 * picks on one page stays picked there when a newer run comes. */
static void
test_inspect_pages_pick_latest (void)
{
  PbSamplesView *samples = PB_SAMPLES_VIEW (pb_test_find_widget (GTK_WIDGET (window),
                                                                 PB_TYPE_SAMPLES_VIEW, NULL, NULL));
  PbEmbeddingView *embedding = pb_window_get_embedding_view (window);
  PbRunPicker *picker;
  PbRunItem *older, *newest;
  const char *info;
  guint n, twin_entry;

  /* Few training pairs and many test pairs: far more mistakes than a page shows. */
  set_model (TRUE, FALSE, 1, 200);
  g_settings_set_int (settings, "test-pairs", 1000);
  older = start_run ();
  g_assert_true (pb_test_wait_until (trainer_idle, NULL, RUN_TIMEOUT_S));
  pb_test_settle ();
  adw_view_stack_set_visible_child_name (stack (), "samples");
  pb_samples_view_set_mode (samples, "mistakes");
  g_assert_true (pb_test_wait_until (samples_have_tiles, samples, 60));
  g_assert_true (pb_samples_view_get_mistakes_run (samples) == older);
  g_assert_true (pb_embedding_view_get_run (embedding) == older);
  g_assert_true (pb_inspect_view_get_run (inspect_view ()) == older);
  info = pb_samples_view_get_info (samples);
  g_test_message ("%s", info);
  g_assert_cmpuint (pb_samples_view_get_n_tiles (samples), ==, 120);
  g_assert_nonnull (strstr (info, "showing the first 120 in test-set order, as the page draws at "
                                  "most 120 tiles"));

  /* The mistakes picker offers every run with predictions, the newest last. */
  picker = PB_RUN_PICKER (pb_test_find_widget (GTK_WIDGET (samples), PB_TYPE_RUN_PICKER,
                                               widget_is_visible, NULL));
  g_assert_nonnull (picker);
  n = pb_run_picker_get_n_runs (picker);
  g_assert_cmpuint (n, >=, 2);
  g_assert_true (pb_run_picker_get_nth_run (picker, n - 1) == older);
  for (twin_entry = 0; twin_entry < n; twin_entry++)
    if (pb_run_picker_get_nth_run (picker, twin_entry) == twin_run)
      break;
  g_assert_cmpuint (twin_entry, <, n);
  gtk_drop_down_set_selected (GTK_DROP_DOWN (pb_test_find_widget (GTK_WIDGET (picker),
                                                                  GTK_TYPE_DROP_DOWN, NULL,
                                                                  NULL)), twin_entry);
  pb_test_settle ();
  g_assert_true (pb_samples_view_get_mistakes_run (samples) == twin_run);
  {
    const guint8 *labels, *digits;
    const float *prob1;
    const PbPairs *pairs = pb_run_item_get_test_pairs (twin_run);
    g_autofree char *want = NULL;
    int wrong = 0;

    g_assert_true (pb_run_item_get_predictions (twin_run, &labels, &prob1, &digits));
    for (int i = 0; i < pairs->n; i++)
      wrong += labels[i] != pairs->labels[i];
    want = g_strdup_printf ("%d of %d test pairs wrong", wrong, pairs->n);
    g_assert_true (g_str_has_prefix (pb_samples_view_get_info (samples), want));
  }

  /* A newer run takes over the pages that follow the latest, not the one set to another. */
  set_model (FALSE, TRUE, 1, 200);
  newest = start_run ();
  g_assert_true (pb_test_wait_until (trainer_idle, NULL, RUN_TIMEOUT_S));
  pb_test_settle ();
  g_assert_true (pb_embedding_view_get_run (embedding) == newest);
  g_assert_true (pb_inspect_view_get_run (inspect_view ()) == newest);
  g_assert_true (pb_samples_view_get_mistakes_run (samples) == twin_run);
  pb_samples_view_set_mode (samples, "pairs");
  adw_view_stack_set_visible_child_name (stack (), "train");
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

  window = pb_test_window_new_sized (app, 1400, 900);
  pb_test_settle ();

  g_test_add_func ("/inspect/empty", test_inspect_empty);
  g_test_add_func ("/inspect/mistake", test_inspect_mistake);
  g_test_add_func ("/inspect/index-entry", test_inspect_index_entry);
  g_test_add_func ("/inspect/compare", test_inspect_compare);
  g_test_add_func ("/inspect/stacked", test_inspect_stacked);
  g_test_add_func ("/inspect/follows-training", test_inspect_follows_training);
  g_test_add_func ("/inspect/pages-pick-latest", test_inspect_pages_pick_latest);
  status = g_test_run ();

  pb_test_window_destroy (window);
  g_object_unref (settings);
  g_object_unref (app);
  return status;
}
