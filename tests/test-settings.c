/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-settings"

#include "config.h"

#include <string.h>
#include <adwaita.h>

#include "pb-application.h"
#include "pb-arch-diagram.h"
#include "pb-format.h"
#include "pb-mnist-cache.h"
#include "pb-pair-preview.h"
#include "pb-run-item.h"
#include "pb-run-sidebar.h"
#include "pb-run-picker.h"
#include "pb-samples-view.h"
#include "pb-train-settings.h"
#include "pb-uninstalled.h"
#include "pb-window.h"
#include "gui-test-util.h"

#define RUN_TIMEOUT_S 240

static PbApplication *app;
static PbWindow *window;
static GSettings *settings;

static gboolean
is_start_button (GtkWidget *widget,
                 gpointer   data)
{
  return g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), "win.start") == 0;
}

static gboolean
is_row_titled (GtkWidget *widget,
               gpointer   data)
{
  return g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), data) == 0;
}

static GtkSpinButton *
row_spin (const char *title)
{
  GtkWidget *row = pb_test_find_widget (GTK_WIDGET (window), ADW_TYPE_ACTION_ROW, is_row_titled,
                                        (gpointer) title);

  g_assert_nonnull (row);
  return GTK_SPIN_BUTTON (pb_test_find_widget (row, GTK_TYPE_SPIN_BUTTON, NULL, NULL));
}

static PbRunSidebar *
sidebar (void)
{
  return PB_RUN_SIDEBAR (pb_test_find_widget (GTK_WIDGET (window),
                                              PB_TYPE_RUN_SIDEBAR, NULL, NULL));
}

static gboolean
trainer_idle (gpointer data)
{
  return !pb_trainer_get_running (pb_window_get_trainer (window));
}

/* Every GtkLabel text under root, newline-separated. */
static void
collect_labels (GtkWidget *root,
                GString   *out)
{
  if (GTK_IS_LABEL (root) && gtk_widget_get_visible (root))
    g_string_append_printf (out, "%s\n", gtk_label_get_label (GTK_LABEL (root)));
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_labels (child, out);
}

static char *
flow_box_text (PbSamplesView *samples)
{
  GString *out = g_string_new (NULL);

  collect_labels (pb_test_find_widget (GTK_WIDGET (samples), GTK_TYPE_FLOW_BOX, NULL, NULL), out);
  return g_string_free (out, FALSE);
}

static void
reset_settings (void)
{
  g_autoptr(GSettingsSchema) schema = NULL;
  g_auto(GStrv) keys = NULL;

  /* Typed values reach GSettings first, so that resetting the keys resets the controls. */
  pb_run_sidebar_commit (sidebar ());
  g_object_get (settings, "settings-schema", &schema, NULL);
  keys = g_settings_schema_list_keys (schema);
  for (guint i = 0; keys[i] != NULL; i++)
    g_settings_reset (settings, keys[i]);
  pb_test_settle ();
}

static void
assert_settings_equal (const PbTrainSettings *a,
                       const PbTrainSettings *b)
{
  g_assert_cmpint (a->arch.kind, ==, b->arch.kind);
  g_assert_cmpint (a->arch.aux, ==, b->arch.aux);
  g_assert_cmpfloat (a->arch.aux_weight, ==, b->arch.aux_weight);
  g_assert_cmpint (a->arch.kernel, ==, b->arch.kernel);
  for (int l = 0; l < PB_N_CONV; l++)
    {
      g_assert_cmpint (a->arch.channels[l], ==, b->arch.channels[l]);
      g_assert_cmpint (a->arch.padding[l], ==, b->arch.padding[l]);
    }
  g_assert_cmpint (a->arch.hidden, ==, b->arch.hidden);
  g_assert_cmpfloat (a->arch.dropout, ==, b->arch.dropout);
  g_assert_cmpint (a->arch.hidden_act, ==, b->arch.hidden_act);
  g_assert_cmpint (a->arch.batch_norm, ==, b->arch.batch_norm);
  g_assert_cmpint (a->arch.rule, ==, b->arch.rule);
  g_assert_cmpint (a->epochs, ==, b->epochs);
  g_assert_cmpint (a->batch, ==, b->batch);
  g_assert_cmpfloat (a->lr, ==, b->lr);
  g_assert_cmpfloat (a->beta1, ==, b->beta1);
  g_assert_cmpfloat (a->beta2, ==, b->beta2);
  g_assert_cmpfloat (a->adam_eps, ==, b->adam_eps);
  g_assert_cmpint (a->train_pairs, ==, b->train_pairs);
  g_assert_cmpint (a->test_pairs, ==, b->test_pairs);
  g_assert_cmpint (a->val_pairs, ==, b->val_pairs);
  g_assert_cmpfloat (a->augment_deg, ==, b->augment_deg);
  g_assert_cmpuint (a->seed, ==, b->seed);
  g_assert_cmpint (a->eval_every, ==, b->eval_every);
  g_assert_cmpint (a->schedule, ==, b->schedule);
  g_assert_cmpfloat (a->weight_decay, ==, b->weight_decay);
  g_assert_cmpint (a->translate, ==, b->translate);
  g_assert_cmpfloat (a->scale, ==, b->scale);
  g_assert_cmpfloat (a->shear, ==, b->shear);
  g_assert_cmpint (a->swap, ==, b->swap);
  g_assert_cmpint (a->repair, ==, b->repair);
}

/* The count follows every change, typed or stored, and matches the core's. */
static void
test_param_count (void)
{
  PbRunSidebar *bar = sidebar ();
  PbArchDiagram *diagram = PB_ARCH_DIAGRAM (pb_test_find_widget (GTK_WIDGET (bar),
                                                                 PB_TYPE_ARCH_DIAGRAM, NULL, NULL));
  PbTrainSettings s;
  g_autofree char *count = NULL;
  gsize report;

  reset_settings ();
  g_assert_true (pb_run_sidebar_get_settings (bar, &s));
  report = pb_arch_param_count (&s.arch);
  g_assert_cmpuint (pb_run_sidebar_get_param_count (bar), ==, report);
  count = pb_format_count (report);
  g_assert_nonnull (strstr (pb_run_sidebar_get_param_text (bar), count));

  g_settings_set_int (settings, "kernel-size", 3);
  g_settings_set_int (settings, "conv1-padding", 1);
  g_settings_set_int (settings, "conv1-channels", 8);
  g_settings_set_boolean (settings, "batch-norm", FALSE);
  g_settings_set_string (settings, "hidden-activation", "relu");
  g_settings_set_string (settings, "decision-rule", "posterior");
  pb_test_settle ();
  g_assert_true (pb_run_sidebar_get_settings (bar, &s));
  g_assert_cmpint (s.arch.kernel, ==, 3);
  g_assert_false (s.arch.batch_norm);
  g_assert_cmpint (s.arch.hidden_act, ==, PB_HIDDEN_RELU);
  g_assert_cmpint (s.arch.rule, ==, PB_RULE_POSTERIOR);
  g_assert_cmpuint (pb_run_sidebar_get_param_count (bar), ==, pb_arch_param_count (&s.arch));
  g_assert_cmpuint (pb_run_sidebar_get_param_count (bar), !=, report);
  g_assert_cmpint (pb_arch_diagram_get_arch (diagram)->kernel, ==, 3);
  g_assert_cmpint (pb_arch_diagram_get_arch (diagram)->rule, ==, PB_RULE_POSTERIOR);
  g_assert_false (pb_arch_diagram_get_arch (diagram)->batch_norm);

  /* Typed but not committed: the count already follows. */
  gtk_editable_set_text (GTK_EDITABLE (row_spin ("Width")), "100");
  pb_test_settle ();
  g_assert_true (pb_run_sidebar_get_settings (bar, &s));
  g_assert_cmpint (s.arch.hidden, ==, 100);
  g_assert_cmpuint (pb_run_sidebar_get_param_count (bar), ==, pb_arch_param_count (&s.arch));

  /* Over the report's budget: flagged. */
  gtk_editable_set_text (GTK_EDITABLE (row_spin ("Layer 3 channels")), "512");
  pb_test_settle ();
  g_assert_true (pb_run_sidebar_get_settings (bar, &s));
  g_assert_cmpuint (pb_run_sidebar_get_param_count (bar), ==, pb_arch_param_count (&s.arch));
  g_assert_cmpuint (pb_run_sidebar_get_param_count (bar), >, 75000);
  {
    GString *text = g_string_new (NULL);
    collect_labels (GTK_WIDGET (bar), text);
    g_assert_nonnull (strstr (text->str, "Over the report’s budget"));
    g_string_free (text, TRUE);
  }
  reset_settings ();
  g_assert_cmpuint (pb_run_sidebar_get_param_count (bar), ==, report);
}

static void
test_best_preset (void)
{
  PbRunSidebar *bar = sidebar ();
  PbTrainSettings best, shown, report;
  g_autoptr(PbRunItem) item = NULL;
  GListModel *runs = pb_window_get_runs (window);
  guint before = g_list_model_get_n_items (runs);

  reset_settings ();
  g_settings_set_boolean (settings, "two-channel", TRUE);
  g_settings_set_uint (settings, "seed", 42);
  g_settings_set_double (settings, "scale-jitter", 0.35);
  g_settings_set_double (settings, "shear", 0.9);
  pb_test_settle ();
  g_assert_cmpint (pb_train_settings_preset (&best, "best", NULL), ==, PB_OK);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.preset", "s", "best"));
  pb_test_settle ();

  /* The controls show it. */
  g_assert_cmpint (gtk_spin_button_get_value_as_int (row_spin ("Kernel size")), ==,
                   best.arch.kernel);
  g_assert_cmpint (gtk_spin_button_get_value_as_int (row_spin ("Layer 1 padding")), ==,
                   best.arch.padding[0]);
  g_assert_cmpint (gtk_spin_button_get_value_as_int (row_spin ("Translation")), ==,
                   best.translate);
  g_assert_cmpfloat (gtk_spin_button_get_value (row_spin ("Scale")), ==, best.scale);
  g_assert_cmpfloat (gtk_spin_button_get_value (row_spin ("Shear")), ==, best.shear);
  g_autofree char *schedule = g_settings_get_string (settings, "lr-schedule");
  g_assert_cmpstr (schedule, ==, pb_schedule_name (best.schedule));
  g_assert_true (pb_run_sidebar_get_settings (bar, &shown));
  assert_settings_equal (&shown, &best);
  g_assert_cmpuint (pb_run_sidebar_get_param_count (bar), ==, pb_arch_param_count (&best.arch));

  /* The run that starts has exactly these settings. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.start", NULL));
  g_assert_cmpuint (g_list_model_get_n_items (runs), ==, before + 1);
  item = g_list_model_get_item (runs, before);
  assert_settings_equal (pb_run_item_get_settings (item), &best);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.stop", NULL);
  g_assert_true (pb_test_wait_until (trainer_idle, NULL, RUN_TIMEOUT_S));
  pb_test_settle ();

  /* And the report's preset sets every control back. */
  g_assert_cmpint (pb_train_settings_preset (&report, "report", NULL), ==, PB_OK);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.preset-report", NULL));
  pb_test_settle ();
  g_assert_true (pb_run_sidebar_get_settings (bar, &shown));
  assert_settings_equal (&shown, &report);
  reset_settings ();
}

static void
test_invalid_disables_start (void)
{
  GtkWidget *start = pb_test_find_widget (GTK_WIDGET (window),
                                          GTK_TYPE_BUTTON, is_start_button, NULL);
  PbRunSidebar *bar = sidebar ();

  reset_settings ();
  g_assert_true (gtk_widget_get_sensitive (start));

  /* A 5×5 kernel without padding shrinks the third layer's input below the pooling. */
  g_settings_set_int (settings, "kernel-size", 5);
  g_settings_set_int (settings, "conv2-padding", 0);
  g_settings_set_int (settings, "conv3-padding", 0);
  pb_test_settle ();
  g_assert_false (gtk_widget_get_sensitive (start));
  g_assert_nonnull (pb_window_get_problem (window));
  g_assert_nonnull (strstr (pb_window_get_problem (window), "kernel 5 with padding 0/0/0"));
  g_assert_cmpuint (pb_run_sidebar_get_param_count (bar), ==, 0);
  g_assert_cmpstr (pb_run_sidebar_get_param_text (bar), ==, "—");

  /* Padding above the kernel size. */
  g_settings_set_int (settings, "kernel-size", 2);
  gtk_editable_set_text (GTK_EDITABLE (row_spin ("Layer 1 padding")), "3");
  pb_test_settle ();
  g_assert_false (gtk_widget_get_sensitive (start));
  g_assert_cmpstr (pb_window_get_problem (window), ==, "conv1 padding: expected 0–2, got 3");

  /* A validation split that leaves fewer pairs than a batch. */
  gtk_editable_set_text (GTK_EDITABLE (row_spin ("Layer 1 padding")), "0");
  g_settings_set_int (settings, "conv2-padding", 1);
  g_settings_set_int (settings, "conv3-padding", 1);
  g_settings_set_int (settings, "val-pairs", 950);
  pb_test_settle ();
  g_assert_false (gtk_widget_get_sensitive (start));
  g_assert_nonnull (strstr (pb_window_get_problem (window), "Batch size"));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.start", NULL);
  g_assert_false (pb_trainer_get_running (pb_window_get_trainer (window)));

  reset_settings ();
  g_assert_null (pb_window_get_problem (window));
  g_assert_true (gtk_widget_get_sensitive (start));
}

/* Typed values, either decimal separator, reach the started run and GSettings; out of range
 * they stop the start. */
static void
test_scale_shear_controls (void)
{
  GtkWidget *start = pb_test_find_widget (GTK_WIDGET (window),
                                          GTK_TYPE_BUTTON, is_start_button, NULL);
  GListModel *runs = pb_window_get_runs (window);
  guint before = g_list_model_get_n_items (runs);
  g_autoptr(PbRunItem) item = NULL;
  g_autoptr(GError) error = NULL;
  const PbTrainSettings *started;
  PbTrainSettings stored;

  reset_settings ();
  g_assert_cmpfloat (gtk_spin_button_get_value (row_spin ("Scale")), ==, 0);
  g_assert_cmpfloat (gtk_spin_button_get_value (row_spin ("Shear")), ==, 0);

  gtk_editable_set_text (GTK_EDITABLE (row_spin ("Scale")), "0.6");
  pb_test_settle ();
  g_assert_false (gtk_widget_get_sensitive (start));
  g_assert_cmpstr (pb_window_get_problem (window), ==, "Scale: enter a number from 0 to 0.5");
  gtk_editable_set_text (GTK_EDITABLE (row_spin ("Scale")), "0,15");
  gtk_editable_set_text (GTK_EDITABLE (row_spin ("Shear")), "1.5");
  pb_test_settle ();
  g_assert_false (gtk_widget_get_sensitive (start));
  g_assert_cmpstr (pb_window_get_problem (window), ==, "Shear: enter a number from 0 to 1");
  gtk_editable_set_text (GTK_EDITABLE (row_spin ("Shear")), "0.3");
  pb_test_settle ();
  g_assert_null (pb_window_get_problem (window));
  g_assert_true (gtk_widget_get_sensitive (start));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.start", NULL));
  g_assert_cmpuint (g_list_model_get_n_items (runs), ==, before + 1);
  item = g_list_model_get_item (runs, before);
  started = pb_run_item_get_settings (item);
  g_assert_cmpfloat (started->scale, ==, 0.15f);
  g_assert_cmpfloat (started->shear, ==, 0.3f);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.stop", NULL);
  g_assert_true (pb_test_wait_until (trainer_idle, NULL, RUN_TIMEOUT_S));
  pb_test_settle ();

  g_assert_cmpfloat_with_epsilon (g_settings_get_double (settings, "scale-jitter"), 0.15, 1e-9);
  g_assert_cmpfloat_with_epsilon (g_settings_get_double (settings, "shear"), 0.3, 1e-9);
  g_assert_true (pb_train_settings_from_gsettings (settings, &stored, &error));
  g_assert_no_error (error);
  assert_settings_equal (&stored, started);

  /* And back from GSettings to the controls. */
  g_settings_set_double (settings, "scale-jitter", 0.5);
  g_settings_set_double (settings, "shear", 1.0);
  pb_test_settle ();
  g_assert_cmpfloat (gtk_spin_button_get_value (row_spin ("Scale")), ==, 0.5);
  g_assert_cmpfloat (gtk_spin_button_get_value (row_spin ("Shear")), ==, 1.0);

  /* The Compare page's summary of the shared settings names them. */
  {
    GtkWidget *row = pb_test_find_widget (GTK_WIDGET (window), ADW_TYPE_ACTION_ROW, is_row_titled,
                                          (gpointer) "Run settings");
    g_assert_nonnull (row);
    g_assert_nonnull (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)),
                              ", scaling ×0.50–1.50, shears ±1"));
    g_assert_cmpstr (gtk_widget_get_tooltip_text (row), ==,
                     adw_action_row_get_subtitle (ADW_ACTION_ROW (row)));
  }
  reset_settings ();
}

static gboolean
samples_ready (gpointer data)
{
  PbSamplesView *samples = data;
  g_autofree char *text = NULL;

  if (pb_samples_view_get_n_tiles (samples) == 0)
    return FALSE;
  text = flow_box_text (samples);
  return strstr (text, "shifted") != NULL;
}

/* The pairs are drawn on a worker thread, which can take longer than a settle (under ASan). */
static void
samples_settle (PbSamplesView *samples)
{
  pb_test_settle ();
  pb_test_wait_for (!pb_samples_view_get_busy (samples), 60);
  pb_test_settle ();
}

static gboolean
samples_unshifted (gpointer data)
{
  PbSamplesView *samples = data;
  g_autofree char *text = NULL;

  if (pb_samples_view_get_n_tiles (samples) == 0)
    return FALSE;
  text = flow_box_text (samples);
  return strstr (text, "shifted") == NULL;
}

static void
test_samples_augmentations (void)
{
  AdwViewStack *stack = ADW_VIEW_STACK (pb_test_find_widget (GTK_WIDGET (window),
                                                             ADW_TYPE_VIEW_STACK, NULL, NULL));
  PbSamplesView *samples = PB_SAMPLES_VIEW (pb_test_find_widget (GTK_WIDGET (window),
                                                                 PB_TYPE_SAMPLES_VIEW, NULL, NULL));
  GtkSpinButton *epoch;
  GtkDropDown *source;
  PbRunPicker *picker;
  guint n_trained;
  g_autofree char *epoch1 = NULL;
  g_autofree char *epoch2 = NULL;
  g_autofree char *trained = NULL;
  GString *header = g_string_new (NULL);

  reset_settings ();
  g_settings_set_int (settings, "epochs", 2);
  g_settings_set_int (settings, "train-pairs", 200);
  g_settings_set_int (settings, "test-pairs", 200);
  g_settings_set_int (settings, "translate", 2);
  g_settings_set_boolean (settings, "swap-images", TRUE);
  g_settings_set_boolean (settings, "repair-pairs", TRUE);
  pb_test_settle ();
  adw_view_stack_set_visible_child_name (stack, "samples");
  g_assert_true (pb_test_wait_until (samples_ready, samples, 60));
  g_assert_cmpuint (pb_samples_view_get_n_tiles (samples), ==, 36);

  epoch1 = flow_box_text (samples);
  g_assert_nonnull (strstr (epoch1, "shifted ("));
  g_assert_nonnull (strstr (epoch1, "swapped"));
  g_assert_nonnull (strstr (epoch1, "re-paired: images "));
  g_assert_nonnull (strstr (epoch1, "rotated "));
  collect_labels (GTK_WIDGET (samples), header);
  g_assert_nonnull (strstr (header->str, "Epoch 1 of 2"));
  g_assert_nonnull (strstr (header->str, "shifts ±2 px, swaps, re-pairing"));
  g_string_free (header, TRUE);

  /* Another epoch draws other shifts, swaps and pairs. */
  epoch = GTK_SPIN_BUTTON (pb_test_find_widget (GTK_WIDGET (samples),
                                                GTK_TYPE_SPIN_BUTTON, NULL, NULL));
  g_assert_true (gtk_widget_get_visible (gtk_widget_get_parent (GTK_WIDGET (epoch))));
  gtk_spin_button_set_value (epoch, 2);
  samples_settle (samples);
  epoch2 = flow_box_text (samples);
  g_assert_nonnull (strstr (epoch2, "shifted ("));
  g_assert_cmpstr (epoch1, !=, epoch2);

  /* A run trained with these settings saw exactly these pairs. */
  adw_view_stack_set_visible_child_name (stack, "train");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.start", NULL));
  g_assert_true (pb_test_wait_until (trainer_idle, NULL, RUN_TIMEOUT_S));
  pb_test_settle ();
  adw_view_stack_set_visible_child_name (stack, "samples");
  pb_test_settle ();
  picker = PB_RUN_PICKER (pb_test_find_widget (GTK_WIDGET (samples), PB_TYPE_RUN_PICKER,
                                               NULL, NULL));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (picker)));
  /* "Next run", then every trained run of the session, the one just trained last. */
  n_trained = pb_run_picker_get_n_runs (picker);
  g_assert_cmpuint (n_trained, >=, 1);
  g_assert_cmpuint (pb_run_picker_get_n_entries (picker), ==, n_trained + 1);
  g_assert_null (pb_run_picker_get_run (picker));
  {
    GListModel *runs = pb_window_get_runs (window);
    g_autoptr(PbRunItem) last = g_list_model_get_item (runs, g_list_model_get_n_items (runs) - 1);

    g_assert_true (pb_run_picker_get_nth_run (picker, n_trained - 1) == last);
  }
  source = GTK_DROP_DOWN (pb_test_find_widget (GTK_WIDGET (picker), GTK_TYPE_DROP_DOWN, NULL,
                                               NULL));
  gtk_drop_down_set_selected (source, n_trained);
  g_assert_nonnull (pb_run_picker_get_run (picker));
  samples_settle (samples);
  g_assert_cmpint (gtk_spin_button_get_value_as_int (epoch), ==, 2);
  trained = flow_box_text (samples);
  g_assert_cmpstr (trained, ==, epoch2);

  /* Without per-epoch augmentation the originals sit beside their rotated copies. */
  gtk_drop_down_set_selected (source, 0);
  g_settings_set_int (settings, "translate", 0);
  g_settings_set_boolean (settings, "swap-images", FALSE);
  g_settings_set_boolean (settings, "repair-pairs", FALSE);
  pb_test_settle ();
  /* The old tiles stay up while the new pairs are drawn in a thread. */
  g_assert_true (pb_test_wait_until (samples_unshifted, samples, 60));
  {
    g_autofree char *text = flow_box_text (samples);
    g_assert_nonnull (strstr (text, "original · rotated"));
    g_assert_null (strstr (text, "shifted"));
  }
  g_assert_false (gtk_widget_get_visible (gtk_widget_get_parent (GTK_WIDGET (epoch))));
  adw_view_stack_set_visible_child_name (stack, "train");
  reset_settings ();
}

static gboolean
samples_sheared (gpointer data)
{
  PbSamplesView *samples = data;
  g_autofree char *text = NULL;

  if (pb_samples_view_get_n_tiles (samples) == 0)
    return FALSE;
  text = flow_box_text (samples);
  return strstr (text, "sheared") != NULL;
}

/* printf's "%+.2f" with a true minus and no sign on zero, as the tiles write it. */
static char *
signed_2 (float value)
{
  g_autofree char *plain = g_strdup_printf ("%+.2f", value);

  if (g_str_equal (plain + 1, "0.00"))
    return g_strdup ("0.00");
  if (plain[0] == '-')
    return g_strconcat ("−", plain + 1, NULL);
  return g_steal_pointer (&plain);
}

/* Each tile's last line, what augmentation did to its pair. */
static GPtrArray *
tile_details (PbSamplesView *samples)
{
  GtkWidget *flow = pb_test_find_widget (GTK_WIDGET (samples), GTK_TYPE_FLOW_BOX, NULL, NULL);
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);

  for (GtkWidget *child = gtk_widget_get_first_child (flow); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *box = gtk_flow_box_child_get_child (GTK_FLOW_BOX_CHILD (child));
      GtkWidget *last = gtk_widget_get_last_child (box);

      g_assert_true (GTK_IS_LABEL (last));
      g_ptr_array_add (out, g_strdup (gtk_label_get_label (GTK_LABEL (last))));
    }
  return out;
}

/* The Samples view shows each pair's scale and shear factors as pb_run_epoch_pairs draws them. */
static void
test_samples_scale_shear (void)
{
  AdwViewStack *stack = ADW_VIEW_STACK (pb_test_find_widget (GTK_WIDGET (window),
                                                             ADW_TYPE_VIEW_STACK, NULL, NULL));
  PbSamplesView *samples = PB_SAMPLES_VIEW (pb_test_find_widget (GTK_WIDGET (window),
                                                                 PB_TYPE_SAMPLES_VIEW, NULL, NULL));
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) expected = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GPtrArray) details = NULL;
  g_autofree char *data_dir = NULL;
  g_autofree char *setting = NULL;
  g_autofree PbAugmentInfo *info = NULL;
  GString *header = g_string_new (NULL);
  const PbMnist *mnist;
  PbTrainSettings s;
  PbRun *run = NULL;
  PbPairs pairs;
  PbError err = { { 0 } };
  GtkSpinButton *epoch;
  int n;

  reset_settings ();
  g_settings_set_int (settings, "epochs", 3);
  g_settings_set_int (settings, "train-pairs", 200);
  g_settings_set_int (settings, "test-pairs", 200);
  g_settings_set_double (settings, "augment-angle", 0);
  g_settings_set_double (settings, "scale-jitter", 0.2);
  g_settings_set_double (settings, "shear", 0.5);
  pb_test_settle ();
  adw_view_stack_set_visible_child_name (stack, "samples");
  g_assert_true (pb_test_wait_until (samples_sheared, samples, 60));
  g_assert_cmpuint (pb_samples_view_get_n_tiles (samples), ==, 36);

  /* Scale and shear are drawn every epoch, so the epoch can be chosen. */
  epoch = GTK_SPIN_BUTTON (pb_test_find_widget (GTK_WIDGET (samples),
                                                GTK_TYPE_SPIN_BUTTON, NULL, NULL));
  g_assert_true (gtk_widget_get_visible (gtk_widget_get_parent (GTK_WIDGET (epoch))));
  gtk_spin_button_set_value (epoch, 2);
  samples_settle (samples);
  collect_labels (GTK_WIDGET (samples), header);
  g_assert_nonnull (strstr (header->str, "Epoch 2 of 3"));
  g_assert_nonnull (strstr (header->str, "with scaling ×0.80–1.20, shears ±0.5;"));
  g_assert_null (strstr (header->str, "shifts"));
  g_string_free (header, TRUE);

  /* The same epoch drawn by the core, outside the view. */
  g_assert_true (pb_train_settings_from_gsettings (settings, &s, &error));
  setting = g_settings_get_string (settings, "data-dir");
  data_dir = pb_resolve_data_dir (setting);
  mnist = pb_mnist_cache_get (data_dir, &error);
  g_assert_no_error (error);
  g_assert_cmpint (pb_run_new (&s, mnist, &run, &err), ==, PB_OK);
  n = pb_run_augmented_pairs (run)->n;
  info = g_new0 (PbAugmentInfo, n);
  g_assert_cmpint (pb_run_epoch_pairs (run, 2, &pairs, info, &err), ==, PB_OK);
  for (int p = 0; p < n; p++)
    {
      g_assert_cmpfloat (info[p].scale[0], !=, 1);
      g_assert_cmpfloat (info[p].shear[1], !=, 0);
      g_autofree char *shear0 = signed_2 (info[p].shear[0]);
      g_autofree char *shear1 = signed_2 (info[p].shear[1]);

      g_hash_table_add (expected,
                        g_strdup_printf ("scaled ×%.2f and ×%.2f\nsheared %s and %s",
                                         info[p].scale[0], info[p].scale[1], shear0, shear1));
    }
  pb_pairs_clear (&pairs);
  pb_run_free (run);

  details = tile_details (samples);
  g_assert_cmpuint (details->len, ==, 36);
  for (guint i = 0; i < details->len; i++)
    if (!g_hash_table_contains (expected, details->pdata[i]))
      g_error ("tile %u: '%s' is none of the core's epoch-2 pairs", i,
               (char *) details->pdata[i]);

  adw_view_stack_set_visible_child_name (stack, "train");
  reset_settings ();
}

static void
on_preview_ready (PbPairPreview *preview,
                  guint         *n)
{
  (*n)++;
}

static gboolean
preview_idle (gpointer data)
{
  return !pb_pair_preview_get_busy (data);
}

/* The preview draws, off the main thread, the pairs the core's run would train on: the first 36
 * of the order a shuffle by the seed gives, and only the newest request's. */
static void
test_pair_preview (void)
{
  g_autoptr(PbPairPreview) preview = pb_pair_preview_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *setting = NULL;
  g_autofree char *dir = NULL;
  g_autofree PbAugmentInfo *info = NULL;
  g_autofree int *order = NULL;
  const PbPairSample *sample;
  const PbMnist *mnist;
  const PbPairs *augmented;
  PbTrainSettings s;
  PbRun *run = NULL;
  PbPairs pairs;
  PbError err = { { 0 } };
  PbRng rng;
  guint n_ready = 0;

  reset_settings ();
  g_settings_set_int (settings, "epochs", 3);
  g_settings_set_int (settings, "train-pairs", 200);
  g_settings_set_int (settings, "test-pairs", 200);
  g_settings_set_int (settings, "translate", 1);
  g_settings_set_boolean (settings, "swap-images", TRUE);
  g_assert_true (pb_train_settings_from_gsettings (settings, &s, &error));
  setting = g_settings_get_string (settings, "data-dir");
  dir = pb_resolve_data_dir (setting);
  g_signal_connect (preview, "ready", G_CALLBACK (on_preview_ready), &n_ready);

  /* Two requests at once: only the second (epoch 3) arrives, and not before the main loop runs. */
  pb_pair_preview_request (preview, NULL, &s, dir, 1, 5, 36);
  pb_pair_preview_request (preview, NULL, &s, dir, 3, 5, 36);
  g_assert_true (pb_pair_preview_get_busy (preview));
  g_assert_null (pb_pair_preview_get_sample (preview));
  g_assert_true (pb_test_wait_until (preview_idle, preview, 60));
  pb_test_settle ();
  g_assert_cmpuint (n_ready, ==, 1);
  sample = pb_pair_preview_get_sample (preview);
  g_assert_nonnull (sample);
  g_assert_true (sample->per_epoch);
  g_assert_cmpint (sample->epoch, ==, 3);
  g_assert_cmpint (sample->n, ==, 36);

  mnist = pb_mnist_cache_get (dir, &error);
  g_assert_no_error (error);
  g_assert_cmpint (pb_run_new (&s, mnist, &run, &err), ==, PB_OK);
  augmented = pb_run_augmented_pairs (run);
  g_assert_cmpint (sample->n_total, ==, augmented->n);
  info = g_new0 (PbAugmentInfo, augmented->n);
  g_assert_cmpint (pb_run_epoch_pairs (run, 3, &pairs, info, &err), ==, PB_OK);
  order = g_new (int, augmented->n);
  for (int i = 0; i < augmented->n; i++)
    order[i] = i;
  pb_rng_seed (&rng, 5, 7);
  pb_rng_shuffle (&rng, order, augmented->n);
  for (int k = 0; k < sample->n; k++)
    {
      int p = order[k];

      g_assert_true (memcmp (sample->after + (gsize) k * PB_PAIR_FLOATS,
                             pairs.images + (gsize) p * PB_PAIR_FLOATS,
                             PB_PAIR_FLOATS * sizeof (float)) == 0);
      g_assert_cmpint (sample->classes[2 * k], ==, pairs.classes[2 * p]);
      g_assert_cmpint (sample->classes[2 * k + 1], ==, pairs.classes[2 * p + 1]);
      g_assert_cmpint (sample->info[k].swapped, ==, info[p].swapped);
      g_assert_cmpfloat (sample->info[k].dx[0], ==, info[p].dx[0]);
    }
  pb_pairs_clear (&pairs);
  pb_run_free (run);

  /* Another epoch reuses the run it set up, and is again delivered later. */
  pb_pair_preview_request (preview, NULL, &s, dir, 2, 5, 36);
  g_assert_cmpint (pb_pair_preview_get_sample (preview)->epoch, ==, 3);
  g_assert_true (pb_test_wait_until (preview_idle, preview, 60));
  pb_test_settle ();
  g_assert_cmpuint (n_ready, ==, 2);
  g_assert_cmpint (pb_pair_preview_get_sample (preview)->epoch, ==, 2);
  reset_settings ();
}

/* One picker for every page: a "no run" entry, a filter, extras, and what it picks when the
 * picked run goes away. */
static gboolean
odd_seed (PbRunItem *item,
          gpointer   data)
{
  return pb_run_item_get_settings (item)->seed % 2 == 1;
}

static void
on_picker_changed (PbRunPicker *picker,
                   guint       *n)
{
  (*n)++;
}

static void
test_run_picker (void)
{
  g_autoptr(GListStore) store = g_list_store_new (PB_TYPE_RUN_ITEM);
  PbRunPicker *picker = PB_RUN_PICKER (g_object_ref_sink (pb_run_picker_new ()));
  PbRunItem *items[3];
  const char *extras[] = { "model A", "model B" };
  const guint ids[] = { 4, 9 };
  guint changed = 0;

  for (int i = 0; i < 3; i++)
    {
      PbTrainSettings s;
      PbError err = { { 0 } };
      g_autofree char *label = g_strdup_printf ("run %d", i);

      g_assert_cmpint (pb_train_settings_init (&s, "siamese", &err), ==, PB_OK);
      s.seed = (guint64) i + 1;
      items[i] = pb_run_item_new (&s, i);
      pb_run_item_set_label (items[i], label);
    }
  g_signal_connect (picker, "changed", G_CALLBACK (on_picker_changed), &changed);
  pb_run_picker_set_runs (picker, G_LIST_MODEL (store));
  g_assert_false (pb_run_picker_has_pick (picker));

  /* Without a "no run" entry a new run is picked, and the pick follows the latest run. */
  g_list_store_append (store, items[0]);
  g_assert_true (pb_run_picker_get_run (picker) == items[0]);
  g_assert_cmpuint (changed, ==, 1);
  g_list_store_append (store, items[1]);
  g_assert_true (pb_run_picker_get_run (picker) == items[1]);
  g_assert_cmpuint (changed, ==, 2);
  /* An older run, once chosen, stays picked when a newer one comes. */
  pb_run_picker_set_run (picker, items[0]);
  g_assert_true (pb_run_picker_get_run (picker) == items[0]);
  g_assert_cmpuint (changed, ==, 2);
  g_list_store_append (store, items[2]);
  g_assert_true (pb_run_picker_get_run (picker) == items[0]);
  g_assert_cmpuint (changed, ==, 2);
  /* The picked run goes: the last one is picked, and followed again. */
  g_list_store_remove (store, 0);
  g_assert_true (pb_run_picker_get_run (picker) == items[2]);
  g_assert_cmpuint (changed, ==, 3);
  g_list_store_remove (store, 0);
  g_list_store_insert (store, 0, items[0]);
  g_list_store_append (store, items[1]);
  g_assert_true (pb_run_picker_get_run (picker) == items[1]);
  g_assert_cmpuint (changed, ==, 4);
  g_list_store_remove (store, 2);
  g_assert_true (pb_run_picker_get_run (picker) == items[2]);
  g_assert_cmpuint (changed, ==, 5);

  /* The filter hides run 1 (seed 2); extras follow the runs. */
  g_list_store_insert (store, 1, items[1]);
  pb_run_picker_set_filter (picker, odd_seed, NULL);
  pb_run_picker_set_extras (picker, extras, ids, 2);
  g_assert_cmpuint (pb_run_picker_get_n_runs (picker), ==, 2);
  g_assert_cmpuint (pb_run_picker_get_n_entries (picker), ==, 4);
  g_assert_cmpstr (pb_run_picker_get_entry_label (picker, 1), ==, "run 2");
  g_assert_cmpstr (pb_run_picker_get_entry_label (picker, 3), ==, "model B");
  pb_run_picker_set_run (picker, items[1]);
  g_assert_true (pb_run_picker_get_run (picker) == items[2]);
  pb_run_picker_set_extra (picker, 9);
  g_assert_null (pb_run_picker_get_run (picker));
  g_assert_cmpint (pb_run_picker_get_extra (picker), ==, 9);

  /* A "no run" entry comes first, and is what is picked when the picked run goes. */
  pb_run_picker_set_none_label (picker, "Next run");
  pb_run_picker_set_label_format (picker, "Run %s!");
  g_assert_cmpstr (pb_run_picker_get_entry_label (picker, 0), ==, "Next run");
  g_assert_cmpstr (pb_run_picker_get_entry_label (picker, 1), ==, "Run run 0!");
  g_assert_cmpint (pb_run_picker_get_extra (picker), ==, 9);
  pb_run_picker_set_run (picker, items[0]);
  changed = 0;
  g_list_store_remove (store, 0);
  g_assert_true (pb_run_picker_has_pick (picker));
  g_assert_null (pb_run_picker_get_run (picker));
  g_assert_cmpint (pb_run_picker_get_extra (picker), ==, -1);
  g_assert_cmpuint (changed, ==, 1);

  g_object_unref (picker);
  for (int i = 0; i < 3; i++)
    g_object_unref (items[i]);
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

  g_test_add_func ("/settings/param-count", test_param_count);
  g_test_add_func ("/settings/best-preset", test_best_preset);
  g_test_add_func ("/settings/invalid-disables-start", test_invalid_disables_start);
  g_test_add_func ("/settings/scale-shear-controls", test_scale_shear_controls);
  g_test_add_func ("/settings/samples-augmentations", test_samples_augmentations);
  g_test_add_func ("/settings/samples-scale-shear", test_samples_scale_shear);
  g_test_add_func ("/settings/pair-preview", test_pair_preview);
  g_test_add_func ("/settings/run-picker", test_run_picker);
  status = g_test_run ();

  pb_test_window_destroy (window);
  g_object_unref (settings);
  g_object_unref (app);
  return status;
}
