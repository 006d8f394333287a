/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-window"

#include "config.h"

#include <string.h>
#include <adwaita.h>

#include "pb-application.h"
#include "pb-curve-view.h"
#include "pb-format.h"
#include "pb-run-item.h"
#include "pb-run-list.h"
#include "pb-samples-view.h"
#include "pb-window.h"
#include "gui-test-util.h"

#define RUN_TIMEOUT_S 240

static PbApplication *app;
static PbWindow *window;
static GSettings *settings;

static gboolean
trainer_idle (gpointer data)
{
  return !pb_trainer_get_running (pb_window_get_trainer (window));
}

static guint
n_batches (PbRunItem *item)
{
  guint nb;

  pb_run_item_get_batches (item, &nb);
  return nb;
}

static PbRunItem *
last_run (void)
{
  GListModel *runs = pb_window_get_runs (window);
  guint n = g_list_model_get_n_items (runs);
  g_autoptr(PbRunItem) item = NULL;

  g_assert_cmpuint (n, >, 0);
  item = g_list_model_get_item (runs, n - 1);
  return item;  /* the store keeps it alive */
}

static void
set_small_run (int epochs,
               int pairs)
{
  g_settings_set_int (settings, "epochs", epochs);
  g_settings_set_int (settings, "train-pairs", pairs);
  g_settings_set_int (settings, "test-pairs", pairs);
  g_settings_set_int (settings, "batch-size", 100);
  g_settings_set_double (settings, "augment-angle", 10);
  pb_test_settle ();
}

static PbRunItem *
start_run (void)
{
  guint before = g_list_model_get_n_items (pb_window_get_runs (window));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.start", NULL));
  g_assert_cmpuint (g_list_model_get_n_items (pb_window_get_runs (window)), ==, before + 1);
  g_assert_true (pb_trainer_get_running (pb_window_get_trainer (window)));
  return last_run ();
}

static void
run_to_end (void)
{
  g_assert_true (pb_test_wait_until (trainer_idle, NULL, RUN_TIMEOUT_S));
  pb_test_settle ();
}

static gboolean
is_start_button (GtkWidget *widget,
                 gpointer   data)
{
  return g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), "win.start") == 0;
}

static gboolean
is_stop_button (GtkWidget *widget,
                gpointer   data)
{
  return g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), "win.stop") == 0;
}

static gboolean
has_action (GtkWidget *widget,
            gpointer   data)
{
  return g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), data) == 0;
}

static gboolean
is_row_titled (GtkWidget *widget,
               gpointer   data)
{
  return g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), data) == 0;
}

static gboolean
is_row_subtitle (GtkWidget *widget,
                 gpointer   data)
{
  return gtk_widget_has_css_class (widget, "dim-label") &&
         gtk_widget_has_css_class (widget, "caption");
}

/* The subtitle of the run list's row for the last run: its status and result. */
static GtkLabel *
last_row_subtitle (void)
{
  GtkWidget *list = pb_test_find_widget (GTK_WIDGET (window), PB_TYPE_RUN_LIST, NULL, NULL);
  GtkWidget *box = pb_test_find_widget (list, GTK_TYPE_LIST_BOX, NULL, NULL);
  guint n = g_list_model_get_n_items (pb_window_get_runs (window));
  GtkListBoxRow *row;
  GtkWidget *label;

  g_assert_nonnull (box);
  row = gtk_list_box_get_row_at_index (GTK_LIST_BOX (box), n - 1);
  g_assert_nonnull (row);
  label = pb_test_find_widget (GTK_WIDGET (row), GTK_TYPE_LABEL, is_row_subtitle, NULL);
  g_assert_nonnull (label);
  return GTK_LABEL (label);
}

static void
test_window_opens (void)
{
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (window)));
  g_assert_cmpuint (g_list_model_get_n_items (pb_window_get_runs (window)), ==, 0);
  g_assert_cmpstr (pb_window_get_status_text (window), ==, "Ready");
  g_assert_null (pb_window_get_problem (window));
}

static void
test_window_run_finishes (void)
{
  PbRunItem *item;
  guint ne, nb;
  PbCurveView *loss = pb_window_get_curve_view (window, PB_CURVE_KIND_LOSS);
  guint draws_before = pb_curve_view_get_n_draws (loss);

  set_small_run (2, 200);
  item = start_run ();
  run_to_end ();

  g_assert_cmpint (pb_run_item_get_status (item), ==, PB_RUN_STATUS_FINISHED);
  pb_run_item_get_epochs (item, &ne);
  pb_run_item_get_batches (item, &nb);
  g_assert_cmpuint (ne, ==, 2);
  g_assert_cmpuint (pb_run_item_get_batches_per_epoch (item), >, 0);
  g_assert_cmpuint (nb, ==, 2 * pb_run_item_get_batches_per_epoch (item));
  g_assert_true (g_str_has_prefix (pb_window_get_status_text (window), "Finished"));
  g_assert_nonnull (pb_run_item_get_run (item));
  /* The curves redrew because data arrived. */
  g_assert_cmpuint (pb_curve_view_get_n_draws (loss), >, draws_before);
}

static void
test_window_stop (void)
{
  PbRunItem *item;
  guint ne, nb, bpe;
  int at_stop;

  set_small_run (50, 1000);
  item = start_run ();

  /* Wait for the first batches to reach the main thread, then stop. */
  pb_test_wait_for (n_batches (item) >= 2
                    || !pb_trainer_get_running (pb_window_get_trainer (window)), RUN_TIMEOUT_S);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.stop", NULL));
  run_to_end ();

  g_assert_cmpint (pb_run_item_get_status (item), ==, PB_RUN_STATUS_CANCELLED);
  at_stop = pb_run_item_get_batches_at_stop (item);
  pb_run_item_get_batches (item, &nb);
  pb_run_item_get_epochs (item, &ne);
  bpe = pb_run_item_get_batches_per_epoch (item);
  g_test_message ("stop asked after %d batches; %u recorded, %u epochs", at_stop, nb, ne);
  g_assert_cmpint (at_stop, >=, 2);
  g_assert_cmpuint (nb, >=, (guint) at_stop);
  g_assert_cmpuint (nb, <=, (guint) at_stop + 1);
  g_assert_cmpuint (nb, <, 50 * bpe);
  g_assert_cmpuint (ne, <=, nb / bpe);
  g_assert_true (g_str_has_prefix (pb_window_get_status_text (window), "Stopped"));

  /* A new run then starts cleanly. */
  set_small_run (1, 200);
  item = start_run ();
  run_to_end ();
  g_assert_cmpint (pb_run_item_get_status (item), ==, PB_RUN_STATUS_FINISHED);
  pb_run_item_get_epochs (item, &ne);
  g_assert_cmpuint (ne, ==, 1);
}

static void
assert_next_run_uses (const char *name,
                      PbKind      kind,
                      gboolean    aux)
{
  PbRunItem *item = start_run ();
  const PbArch *arch;
  PbArch expected;
  PbError err;

  run_to_end ();
  g_assert_cmpint (pb_run_item_get_status (item), ==, PB_RUN_STATUS_FINISHED);
  g_assert_cmpstr (pb_run_item_get_arch_name (item), ==, name);
  arch = pb_model_arch (pb_run_model (pb_run_item_get_run (item)));
  g_assert_cmpint (arch->kind, ==, kind);
  g_assert_cmpint (arch->aux, ==, aux);
  g_assert_cmpint (pb_arch_from_name (name, &expected, &err), ==, PB_OK);
  g_assert_cmpuint (pb_model_param_count (pb_run_model (pb_run_item_get_run (item))), ==,
                    pb_arch_param_count (&expected));
}

static void
collect_editable_labels (GtkWidget *widget,
                         GPtrArray *out)
{
  if (GTK_IS_EDITABLE_LABEL (widget))
    g_ptr_array_add (out, (gpointer) gtk_editable_get_text (GTK_EDITABLE (widget)));
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL;
       c = gtk_widget_get_next_sibling (c))
    collect_editable_labels (c, out);
}

/* The runs so far differ in epochs and pairs, not in model or seed: the run list tells them
 * apart by what differs from the report's settings, and the status line uses the same name. */
static void
test_window_run_names (void)
{
  const char *expected[] = {
    "siamese-aux · 2 epochs · 200 pairs · test 200 · seed 1",
    "siamese-aux · 50 epochs · seed 1",
    "siamese-aux · 1 epoch · 200 pairs · test 200 · seed 1",
  };
  GListModel *runs = pb_window_get_runs (window);
  GtkWidget *list = pb_test_find_widget (GTK_WIDGET (window), PB_TYPE_RUN_LIST, NULL, NULL);
  g_autoptr(GPtrArray) shown = g_ptr_array_new ();
  g_autofree char *status = NULL;

  g_assert_cmpuint (g_list_model_get_n_items (runs), ==, G_N_ELEMENTS (expected));
  g_assert_nonnull (list);
  collect_editable_labels (list, shown);
  g_assert_cmpuint (shown->len, ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_autoptr(PbRunItem) item = g_list_model_get_item (runs, i);

      g_assert_cmpstr (pb_run_item_get_label (item), ==, expected[i]);
      g_assert_cmpstr (g_ptr_array_index (shown, i), ==, expected[i]);
    }
  status = g_strdup_printf ("Finished %s — 1 of 1 epoch done", expected[2]);
  g_assert_cmpstr (pb_window_get_status_text (window), ==, status);
}

static void
test_window_toggle_model (void)
{
  set_small_run (1, 200);

  g_settings_set_boolean (settings, "weight-sharing", FALSE);
  g_settings_set_boolean (settings, "aux-loss", FALSE);
  pb_test_settle ();
  assert_next_run_uses ("twin", PB_KIND_TWIN, FALSE);

  g_settings_set_boolean (settings, "weight-sharing", TRUE);
  g_settings_set_boolean (settings, "aux-loss", TRUE);
  pb_test_settle ();
  assert_next_run_uses ("siamese-aux", PB_KIND_SIAMESE, TRUE);

  g_settings_set_boolean (settings, "two-channel", TRUE);
  g_settings_set_boolean (settings, "aux-loss", FALSE);
  pb_test_settle ();
  assert_next_run_uses ("stacked", PB_KIND_STACKED, FALSE);

  g_settings_reset (settings, "two-channel");
  g_settings_reset (settings, "aux-loss");
  g_settings_reset (settings, "weight-sharing");
  pb_test_settle ();
}

typedef struct
{
  GtkLabel *row;
  GPtrArray *seen;  /* the distinct epoch texts, in order */
} EpochWatch;

/* Connected after the window's handler: the header has been rewritten, and the row followed
 * notify::n-epochs before the trainer said so. */
static void
check_epoch_texts (PbTrainer  *trainer,
                   PbRunItem  *item,
                   EpochWatch *watch)
{
  g_autofree char *epochs = pb_run_item_format_epoch_progress (item);
  g_autofree char *expected = NULL;
  const char *header = pb_window_get_status_text (window);
  const char *row = gtk_label_get_label (watch->row);
  int planned = pb_run_item_get_settings (item)->epochs;
  guint ne;

  pb_run_item_get_epochs (item, &ne);
  expected = ne < (guint) planned
             ? g_strdup_printf ("epoch %u of %d in progress", ne + 1, planned)
             : g_strdup_printf ("%u of %d epochs done", ne, planned);
  g_assert_cmpstr (epochs, ==, expected);
  if (strstr (header, epochs) == NULL || strstr (row, epochs) == NULL)
    g_error ("at %u epochs, header “%s” and row “%s” do not both say “%s”", ne, header, row,
             epochs);
  if (watch->seen->len == 0 ||
      !g_str_equal (g_ptr_array_index (watch->seen, watch->seen->len - 1), epochs))
    g_ptr_array_add (watch->seen, g_steal_pointer (&epochs));
}

/* The status line and the run's row count epochs the same way, from the same count. */
static void
test_window_epoch_counters_agree (void)
{
  EpochWatch watch = { NULL, g_ptr_array_new_with_free_func (g_free) };
  PbTrainer *trainer = pb_window_get_trainer (window);
  PbRunItem *item;
  g_autofree char *done = NULL;
  gulong handler;

  set_small_run (3, 1000);
  item = start_run ();
  /* The row exists as soon as the run is in the list; nothing has arrived yet. */
  watch.row = last_row_subtitle ();
  handler = g_signal_connect (trainer, "progress", G_CALLBACK (check_epoch_texts), &watch);
  run_to_end ();
  g_signal_handler_disconnect (trainer, handler);

  for (guint i = 0; i < watch.seen->len; i++)
    g_test_message ("seen: %s", (char *) g_ptr_array_index (watch.seen, i));
  /* The text moved on with the epochs, not only once at the end. */
  g_assert_cmpuint (watch.seen->len, >=, 2);
  g_assert_cmpstr (g_ptr_array_index (watch.seen, 0), ==, "epoch 1 of 3 in progress");

  g_assert_cmpint (pb_run_item_get_status (item), ==, PB_RUN_STATUS_FINISHED);
  done = pb_run_item_format_epoch_progress (item);
  g_assert_cmpstr (done, ==, "3 of 3 epochs done");
  g_assert_true (g_str_has_suffix (pb_window_get_status_text (window), "— 3 of 3 epochs done"));
  g_assert_true (g_str_has_prefix (gtk_label_get_label (last_row_subtitle ()),
                                   "Finished · 3 of 3 epochs done · test error "));
  g_ptr_array_unref (watch.seen);
}

static void
assert_header_next (const char *name)
{
  PbArch arch;
  PbError err;
  g_autofree char *count = NULL;
  g_autofree char *expected = NULL;

  g_assert_cmpint (pb_arch_from_name (name, &arch, &err), ==, PB_OK);
  count = pb_format_count (pb_arch_param_count (&arch));
  expected = g_strdup_printf ("Next: %s · %s parameters", name, count);
  g_assert_cmpstr (pb_window_get_status_text (window), ==, expected);
}

/* After a run, a changed switch makes the status line say what Start will now train; the
 * finished run's result stays in its row. */
static void
test_window_header_next_run (void)
{
  GtkWidget *row = pb_test_find_widget (GTK_WIDGET (window), ADW_TYPE_ACTION_ROW, is_row_titled,
                                        (gpointer) "Weight sharing");
  GtkWidget *sharing = row ? pb_test_find_widget (row, GTK_TYPE_SWITCH, NULL, NULL) : NULL;
  PbRunItem *item;
  guint ne;
  const PbEpochRecord *er;
  g_autofree char *result = NULL;

  g_assert_nonnull (sharing);
  g_settings_reset (settings, "weight-sharing");
  g_settings_reset (settings, "aux-loss");
  g_settings_reset (settings, "two-channel");
  set_small_run (1, 200);
  item = start_run ();
  run_to_end ();
  g_assert_cmpint (pb_run_item_get_status (item), ==, PB_RUN_STATUS_FINISHED);
  g_assert_cmpstr (pb_run_item_get_arch_name (item), ==, "siamese-aux");
  g_assert_true (g_str_has_prefix (pb_window_get_status_text (window), "Finished siamese-aux"));

  g_assert_true (gtk_switch_get_active (GTK_SWITCH (sharing)));
  gtk_switch_set_active (GTK_SWITCH (sharing), FALSE);
  pb_test_settle ();
  assert_header_next ("twin-aux");

  er = pb_run_item_get_epochs (item, &ne);
  g_assert_cmpuint (ne, ==, 1);
  result = g_strdup_printf ("Finished · 1 of 1 epoch done · test error %.1f\u00a0%%",
                            100 * er[0].test_error);
  g_assert_true (g_str_has_prefix (gtk_label_get_label (last_row_subtitle ()), result));
  g_assert_cmpint (pb_run_item_get_status (item), ==, PB_RUN_STATUS_FINISHED);

  /* Back to the finished run's settings: still the next run. */
  gtk_switch_set_active (GTK_SWITCH (sharing), TRUE);
  pb_test_settle ();
  assert_header_next ("siamese-aux");
  g_assert_true (g_str_has_prefix (gtk_label_get_label (last_row_subtitle ()), result));
}

/* Stop is red only while it can stop a run; otherwise it has the plain insensitive look. */
static void
test_window_stop_style (void)
{
  GtkWidget *stop = pb_test_find_widget (GTK_WIDGET (window), GTK_TYPE_BUTTON, is_stop_button,
                                         NULL);
  PbRunItem *item;

  g_assert_nonnull (stop);
  g_assert_false (gtk_widget_get_sensitive (stop));
  g_assert_false (gtk_widget_has_css_class (stop, "destructive-action"));

  set_small_run (50, 1000);
  item = start_run ();
  pb_test_settle ();
  g_assert_true (gtk_widget_get_sensitive (stop));
  g_assert_true (gtk_widget_has_css_class (stop, "destructive-action"));
  g_assert_true (g_str_has_prefix (pb_window_get_status_text (window), "Training "));

  pb_test_wait_for (n_batches (item) >= 1
                    || !pb_trainer_get_running (pb_window_get_trainer (window)), RUN_TIMEOUT_S);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.stop", NULL));
  run_to_end ();
  g_assert_cmpint (pb_run_item_get_status (item), ==, PB_RUN_STATUS_CANCELLED);
  g_assert_false (gtk_widget_get_sensitive (stop));
  g_assert_false (gtk_widget_has_css_class (stop, "destructive-action"));

  /* Compare's and Sweep's idle Stop look the same. */
  for (guint i = 0; i < 2; i++)
    {
      const char *action = i == 0 ? "compare.stop" : "sweep.stop";
      GtkWidget *other = pb_test_find_widget (GTK_WIDGET (window), GTK_TYPE_BUTTON,
                                              has_action, (gpointer) action);

      g_assert_nonnull (other);
      g_assert_false (gtk_widget_get_sensitive (other));
      g_assert_false (gtk_widget_has_css_class (other, "destructive-action"));
    }
}

static void
test_window_invalid_disables_start (void)
{
  GtkWidget *row = pb_test_find_widget (GTK_WIDGET (window), ADW_TYPE_ACTION_ROW, is_row_titled,
                                        (gpointer) "Epochs");
  GtkWidget *spin, *start;
  guint before = g_list_model_get_n_items (pb_window_get_runs (window));

  g_assert_nonnull (row);
  spin = pb_test_find_widget (row, GTK_TYPE_SPIN_BUTTON, NULL, NULL);
  start = pb_test_find_widget (GTK_WIDGET (window), GTK_TYPE_BUTTON, is_start_button, NULL);
  g_assert_nonnull (spin);
  g_assert_nonnull (start);
  g_assert_true (gtk_widget_get_sensitive (start));

  gtk_editable_set_text (GTK_EDITABLE (spin), "0");
  pb_test_settle ();
  g_assert_nonnull (pb_window_get_problem (window));
  g_assert_nonnull (strstr (pb_window_get_problem (window), "Epochs"));
  g_assert_nonnull (strstr (pb_window_get_problem (window), "1000"));
  g_assert_false (gtk_widget_get_sensitive (start));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.start", NULL);
  g_assert_cmpuint (g_list_model_get_n_items (pb_window_get_runs (window)), ==, before);

  gtk_editable_set_text (GTK_EDITABLE (spin), "abc");
  pb_test_settle ();
  g_assert_false (gtk_widget_get_sensitive (start));

  gtk_editable_set_text (GTK_EDITABLE (spin), "1");
  pb_test_settle ();
  g_assert_null (pb_window_get_problem (window));
  g_assert_true (gtk_widget_get_sensitive (start));
}

static void
test_window_missing_data (void)
{
  PbRunItem *item;
  gboolean dialog_shown = FALSE;
  GListModel *toplevels = gtk_window_get_toplevels ();

  set_small_run (1, 200);
  g_settings_set_string (settings, "data-dir", "/nonexistent/pairbench-mnist");
  pb_test_settle ();
  item = g_object_ref (start_run ());
  run_to_end ();

  g_assert_cmpint (pb_run_item_get_status (item), ==, PB_RUN_STATUS_FAILED);
  /* Nothing was trained, so the run is not kept in the list. */
  g_assert_false (g_list_store_find (G_LIST_STORE (pb_window_get_runs (window)), item, NULL));
  g_assert_cmpint (pb_run_item_get_core_status (item), ==, PB_ERR_IO);
  g_assert_true (g_str_has_prefix (pb_window_get_status_text (window), "Failed"));

  g_object_ref (toplevels);
  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) w = g_list_model_get_item (toplevels, i);
      if (ADW_IS_MESSAGE_DIALOG (w))
        {
          dialog_shown = TRUE;
          g_assert_nonnull (strstr (adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (w)),
                                    "/nonexistent/pairbench-mnist"));
          gtk_window_destroy (w);
        }
    }
  g_object_unref (toplevels);
  g_assert_true (dialog_shown);

  g_settings_reset (settings, "data-dir");
  pb_test_settle ();
  g_object_unref (item);
}

static gboolean
samples_have_tiles (gpointer data)
{
  return pb_samples_view_get_n_tiles (data) > 0;
}

static void
test_window_samples (void)
{
  AdwViewStack *stack = ADW_VIEW_STACK (pb_test_find_widget (GTK_WIDGET (window),
                                                             ADW_TYPE_VIEW_STACK, NULL, NULL));
  PbSamplesView *samples = PB_SAMPLES_VIEW (pb_test_find_widget (GTK_WIDGET (window),
                                                                 PB_TYPE_SAMPLES_VIEW, NULL, NULL));

  set_small_run (1, 200);
  adw_view_stack_set_visible_child_name (stack, "samples");
  g_assert_true (pb_test_wait_until (samples_have_tiles, samples, 60));
  g_assert_cmpuint (pb_samples_view_get_n_tiles (samples), ==, 36);

  /* The last finished run's mistakes (after a one-epoch run there are always some). */
  pb_samples_view_set_mode (samples, "mistakes");
  pb_test_settle ();
  g_assert_cmpuint (pb_samples_view_get_n_tiles (samples), >, 0);

  pb_samples_view_set_mode (samples, "pairs");
  adw_view_stack_set_visible_child_name (stack, "train");
  pb_test_settle ();
}

static void
test_window_render_png (void)
{
  GdkPaintable *paintable = gtk_widget_paintable_new (GTK_WIDGET (window));
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  int width = gtk_widget_get_width (GTK_WIDGET (window));
  int height = gtk_widget_get_height (GTK_WIDGET (window));
  GskRenderNode *node;
  GdkTexture *texture;
  g_autofree guchar *pixels = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GHashTable) colours = g_hash_table_new (NULL, NULL);
  gsize stride;

  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (snapshot);
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (window)), node,
                                         &GRAPHENE_RECT_INIT (0, 0, width, height));
  path = g_build_filename (g_get_tmp_dir (), "pairbench-test-window.png", NULL);
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("window rendered to %s (%d×%d)", path, width, height);

  stride = (gsize) width * 4;
  pixels = g_malloc (stride * height);
  gdk_texture_download (texture, pixels, stride);
  for (gsize i = 0; i < stride * height; i += 4)
    g_hash_table_add (colours, GUINT_TO_POINTER (*(guint32 *) (gpointer) (pixels + i)));
  g_test_message ("%u distinct colours", g_hash_table_size (colours));
  g_assert_cmpuint (g_hash_table_size (colours), >, 16);

  gsk_render_node_unref (node);
  g_object_unref (texture);
  g_object_unref (paintable);
}

static void
test_window_secondary_windows (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();
  guint before = g_list_model_get_n_items (toplevels);
  gboolean prefs = FALSE, about = FALSE, shortcuts = FALSE;

  g_action_group_activate_action (G_ACTION_GROUP (app), "preferences", NULL);
  pb_test_settle ();
  g_action_group_activate_action (G_ACTION_GROUP (app), "about", NULL);
  pb_test_settle ();
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.show-help-overlay", NULL));
  pb_test_settle ();

  g_assert_cmpuint (g_list_model_get_n_items (toplevels), >=, before + 2);
  for (guint i = g_list_model_get_n_items (toplevels); i > 0; i--)
    {
      g_autoptr(GtkWindow) w = g_list_model_get_item (toplevels, i - 1);

      if (w == GTK_WINDOW (window))
        continue;
      prefs |= ADW_IS_PREFERENCES_WINDOW (w);
      about |= ADW_IS_ABOUT_WINDOW (w);
      shortcuts |= GTK_IS_SHORTCUTS_WINDOW (w);
      if (ADW_IS_PREFERENCES_WINDOW (w) || ADW_IS_ABOUT_WINDOW (w))
        gtk_window_destroy (w);
      else if (GTK_IS_SHORTCUTS_WINDOW (w))
        gtk_widget_set_visible (GTK_WIDGET (w), FALSE);
    }
  g_assert_true (prefs);
  g_assert_true (about);
  g_assert_true (shortcuts);
  pb_test_settle ();
}

static void
test_window_close_while_training (void)
{
  PbWindow *second;
  PbRunItem *item;

  set_small_run (50, 1000);
  second = pb_window_new (GTK_APPLICATION (app));
  gtk_window_present (GTK_WINDOW (second));
  pb_test_settle ();
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (second), "win.start", NULL));
  item = g_list_model_get_item (pb_window_get_runs (second), 0);
  pb_test_wait_for (n_batches (item) > 0, RUN_TIMEOUT_S);
  /* Closing joins the worker; late updates are dropped through the weak reference. */
  gtk_window_destroy (GTK_WINDOW (second));
  pb_test_settle ();
  g_assert_cmpint (pb_run_item_get_status (item), ==, PB_RUN_STATUS_RUNNING);
  g_object_unref (item);
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

  window = pb_test_window_new (app);
  pb_test_settle ();

  g_test_add_func ("/window/opens", test_window_opens);
  g_test_add_func ("/window/run-finishes", test_window_run_finishes);
  g_test_add_func ("/window/stop", test_window_stop);
  g_test_add_func ("/window/run-names", test_window_run_names);
  g_test_add_func ("/window/toggle-model", test_window_toggle_model);
  g_test_add_func ("/window/invalid-disables-start", test_window_invalid_disables_start);
  g_test_add_func ("/window/missing-data", test_window_missing_data);
  g_test_add_func ("/window/samples", test_window_samples);
  /* After samples, which reads the mistakes of the last run that finished. */
  g_test_add_func ("/window/epoch-counters-agree", test_window_epoch_counters_agree);
  g_test_add_func ("/window/header-next-run", test_window_header_next_run);
  g_test_add_func ("/window/stop-style", test_window_stop_style);
  g_test_add_func ("/window/render-png", test_window_render_png);
  g_test_add_func ("/window/secondary-windows", test_window_secondary_windows);
  g_test_add_func ("/window/close-while-training", test_window_close_while_training);
  status = g_test_run ();

  pb_test_window_destroy (window);
  g_object_unref (settings);
  g_object_unref (app);
  return status;
}
