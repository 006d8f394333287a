/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-runctl"

/* Run control in the window, driven through its actions under Xvfb: pause, step, resume, the
 * live learning rate (its record, the "modified" mark, the marker on the curves, the weights'
 * metadata and the CSV), the speed readout, and Space and → leaving text fields alone. */

#include "config.h"

#include <math.h>
#include <string.h>
#include <adwaita.h>
#include <glib/gstdio.h>

#include "pb-application.h"
#include "pb-curve-view.h"
#include "pb-export.h"
#include "pb-json.h"
#include "pb-run-item.h"
#include "pb-style.h"
#include "pb-trainer.h"
#include "pb-window.h"
#include "gui-test-util.h"

#define RUN_TIMEOUT_S 240

static PbApplication *app;
static PbWindow *window;
static GSettings *settings;

static PbTrainer *
trainer (void)
{
  return pb_window_get_trainer (window);
}

static gboolean
trainer_idle (gpointer data)
{
  return !pb_trainer_get_running (trainer ());
}

static gboolean
trainer_holding (gpointer data)
{
  return pb_trainer_get_holding (data);
}

static guint
n_batches (PbRunItem *item)
{
  guint nb;

  pb_run_item_get_batches (item, &nb);
  return nb;
}

static gboolean
has_a_batch (gpointer data)
{
  return n_batches (data) > 0;
}

static gboolean
item_modified (gpointer data)
{
  return pb_run_item_get_modified (data);
}

static gboolean
has_action (GtkWidget *widget,
            gpointer   data)
{
  return g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), data) == 0;
}

static gboolean
has_css_class (GtkWidget *widget,
               gpointer   data)
{
  return gtk_widget_has_css_class (widget, data);
}

static gboolean
is_modified_mark (GtkWidget *widget,
                  gpointer   data)
{
  return g_str_has_prefix (gtk_label_get_label (GTK_LABEL (widget)), "Modified") &&
         gtk_widget_get_visible (widget);
}

static gboolean
has_label_prefix (GtkWidget *widget,
                  gpointer   prefix)
{
  return g_str_has_prefix (gtk_label_get_label (GTK_LABEL (widget)), prefix) &&
         gtk_widget_get_visible (widget);
}

static gboolean
is_seed_row (GtkWidget *widget,
             gpointer   data)
{
  return g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), "Seed") == 0;
}

static GtkWidget *
button_for (const char *action)
{
  GtkWidget *button = pb_test_find_widget (GTK_WIDGET (window), GTK_TYPE_BUTTON, has_action,
                                           (gpointer) action);

  g_assert_nonnull (button);
  return button;
}

/* The window's shortcut for keyval. It must sit in a capture-phase controller on the window, so
 * that it sees the key before the focused widget and GtkWindow's own arrow bindings do. */
static GtkShortcut *
binding_for (guint keyval)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (GTK_WIDGET (window));

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GtkEventController) c = g_list_model_get_item (controllers, i);

      if (!GTK_IS_SHORTCUT_CONTROLLER (c) ||
          gtk_event_controller_get_propagation_phase (c) != GTK_PHASE_CAPTURE)
        continue;
      for (guint k = 0; k < g_list_model_get_n_items (G_LIST_MODEL (c)); k++)
        {
          g_autoptr(GtkShortcut) s = g_list_model_get_item (G_LIST_MODEL (c), k);
          GtkShortcutTrigger *t = gtk_shortcut_get_trigger (s);

          if (GTK_IS_KEYVAL_TRIGGER (t) && gtk_keyval_trigger_get_keyval (GTK_KEYVAL_TRIGGER (t))
                                           == keyval
              && gtk_keyval_trigger_get_modifiers (GTK_KEYVAL_TRIGGER (t)) == 0)
            return s;  /* the controller keeps it alive */
        }
    }
  g_assert_not_reached ();
  return NULL;
}

static gboolean
press (guint keyval)
{
  GtkShortcut *s = binding_for (keyval);

  return gtk_shortcut_action_activate (gtk_shortcut_get_action (s), 0, GTK_WIDGET (window),
                                       gtk_shortcut_get_arguments (s));
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
  g_settings_set_double (settings, "learning-rate", 1e-3);
  pb_test_settle ();
}

static PbRunItem *
start_run (PbWindow *win)
{
  GListModel *runs = pb_window_get_runs (win);
  g_autoptr(PbRunItem) item = NULL;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (win), "win.start", NULL));
  g_assert_true (pb_trainer_get_running (pb_window_get_trainer (win)));
  item = g_list_model_get_item (runs, g_list_model_get_n_items (runs) - 1);
  return item;  /* the store keeps it alive */
}

static void
hold (void)
{
  g_assert_true (pb_test_wait_until (trainer_holding, trainer (), RUN_TIMEOUT_S));
}

/* Pixels of column x, between y0 and y1, within a small distance of colour c. */
static guint
column_matches (cairo_surface_t *surface,
                int              x,
                int              y0,
                int              y1,
                const GdkRGBA   *c)
{
  const guchar *data = cairo_image_surface_get_data (surface);
  int stride = cairo_image_surface_get_stride (surface);
  guint n = 0;

  for (int y = y0; y < y1; y++)
    {
      guint32 p = *(const guint32 *) (gconstpointer) (data + (gsize) y * stride + 4 * x);
      double r = ((p >> 16) & 0xff) / 255.0, g = ((p >> 8) & 0xff) / 255.0, b = (p & 0xff) / 255.0;

      if (fabs (r - c->red) + fabs (g - c->green) + fabs (b - c->blue) < 0.25)
        n++;
    }
  return n;
}

static void
check_marker (PbCurveView *view,
              PbRunItem   *item,
              int          step)
{
  int w = 900, h = 400;
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, w, h);
  cairo_t *cr = cairo_create (surface);
  PbPlotMapping m;
  GdkRGBA color;
  double px, py;
  int x, y0, y1;
  guint on, off;

  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);
  pb_curve_view_draw (view, cr, w, h);
  cairo_destroy (cr);
  cairo_surface_flush (surface);

  pb_curve_view_get_mapping (view, w, h, &m);
  pb_plot_mapping_to_pixel (&m, step / (double) pb_run_item_get_batches_per_epoch (item),
                            m.ymin, &px, &py);
  pb_run_color (GTK_WIDGET (view), pb_run_item_get_color_index (item), &color);
  x = (int) floor (px);
  y0 = (int) (m.y + 20);
  y1 = (int) (m.y + m.height - 2);
  on = column_matches (surface, x, y0, y1, &color);
  off = column_matches (surface, x + 12, y0, y1, &color);
  g_test_message ("marker column %d: %u of %d pixels in the run's colour; 12 px right: %u", x, on,
                  y1 - y0, off);
  /* A dotted line: two pixels on, three off, all the way down. */
  g_assert_cmpuint (on, >=, (guint) (y1 - y0) / 4);
  g_assert_cmpuint (off, <, on / 4);
  cairo_surface_destroy (surface);
}

static void
test_runctl_pause_step_resume (void)
{
  PbCurveView *loss = pb_window_get_curve_view (window, PB_CURVE_KIND_LOSS);
  GtkWidget *pause_button, *step_button, *speed;
  PbRunItem *item;
  guint held_at, draws;

  set_small_run (3, 1000);
  pause_button = button_for ("win.pause");
  step_button = button_for ("win.step");
  g_assert_false (gtk_widget_get_sensitive (pause_button));
  g_assert_false (gtk_widget_get_sensitive (step_button));

  item = start_run (window);
  pb_test_wait_until (has_a_batch, item, RUN_TIMEOUT_S);
  g_assert_true (gtk_widget_get_sensitive (pause_button));
  g_assert_false (gtk_widget_get_sensitive (step_button));

  /* Pause: the toggle follows the action's state, Step becomes possible, and nothing more is
   * recorded. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.pause", NULL));
  g_assert_true (pb_trainer_get_paused (trainer ()));
  g_assert_true (gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (pause_button)));
  g_assert_true (gtk_widget_get_sensitive (step_button));
  hold ();
  held_at = n_batches (item);
  g_assert_true (g_str_has_prefix (pb_window_get_status_text (window), "Paused"));
  pb_test_settle ();
  g_assert_cmpuint (n_batches (item), ==, held_at);
  /* The run list says so too. */
  g_assert_true (pb_run_item_get_paused (item));
  g_assert_nonnull (pb_test_find_widget (GTK_WIDGET (window), GTK_TYPE_LABEL, has_label_prefix,
                                         (gpointer) "Paused · "));
  g_test_message ("held after %u batches: %s", held_at, pb_window_get_status_text (window));

  /* Step: exactly one batch, and the curves redraw with it. */
  draws = pb_curve_view_get_n_draws (loss);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.step", NULL));
  hold ();
  pb_test_settle ();
  g_assert_cmpuint (n_batches (item), ==, held_at + 1);
  g_assert_cmpuint (pb_curve_view_get_n_draws (loss), >, draws);
  g_assert_true (strstr (pb_window_get_status_text (window), "after batch") != NULL);

  /* The speed readout is up while the run lasts. */
  speed = pb_test_find_widget (GTK_WIDGET (window), GTK_TYPE_LABEL, has_css_class, "speed-readout");
  g_assert_nonnull (speed);
  g_assert_true (gtk_widget_get_visible (speed));
  g_assert_nonnull (strstr (gtk_label_get_label (GTK_LABEL (speed)), "ms/pair fwd+bwd"));
  g_assert_nonnull (strstr (gtk_label_get_label (GTK_LABEL (speed)), "pairs/s"));
  g_test_message ("speed: %s", gtk_label_get_label (GTK_LABEL (speed)));

  /* A live learning rate while paused: recorded at once, marked, drawn. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.set-lr", "d", 5e-4));
  g_assert_true (pb_test_wait_until (item_modified, item, RUN_TIMEOUT_S));
  pb_test_settle ();
  g_assert_nonnull (pb_test_find_widget (GTK_WIDGET (window),
                                         GTK_TYPE_LABEL, is_modified_mark, NULL));
  check_marker (loss, item, (int) held_at + 1);
  check_marker (pb_window_get_curve_view (window, PB_CURVE_KIND_ERROR), item,
                (int) held_at + 1);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.step", NULL));
  hold ();
  pb_test_settle ();
  g_assert_cmpuint (n_batches (item), ==, held_at + 2);
  g_assert_cmpfloat (pb_run_item_get_batches (item, &(guint) { 0 })[held_at + 1].lr, ==, 5e-4f);

  /* Resume to the end. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.pause", NULL));
  g_assert_false (pb_trainer_get_paused (trainer ()));
  g_assert_false (pb_run_item_get_paused (item));
  g_assert_false (gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (pause_button)));
  g_assert_false (gtk_widget_get_sensitive (step_button));
  g_assert_true (pb_test_wait_until (trainer_idle, NULL, RUN_TIMEOUT_S));
  pb_test_settle ();
  g_assert_cmpint (pb_run_item_get_status (item), ==, PB_RUN_STATUS_FINISHED);
  g_assert_cmpuint (n_batches (item), ==, 3 * pb_run_item_get_batches_per_epoch (item));
  g_assert_true (pb_run_item_get_modified (item));
  g_assert_false (gtk_widget_get_sensitive (pause_button));
  g_assert_false (gtk_widget_get_visible (speed));
}

static gboolean
has_more_runs (gpointer data)
{
  return g_list_model_get_n_items (pb_window_get_runs (window)) > GPOINTER_TO_UINT (data);
}

static void
test_runctl_lr_saved (void)
{
  g_autofree char *dir = g_dir_make_tmp ("pairbench-runctl-XXXXXX", NULL);
  g_autofree char *weights = g_build_filename (dir, "modified.safetensors", NULL);
  g_autofree char *csv_path = g_build_filename (dir, "metrics.csv", NULL);
  g_autofree char *data = NULL;
  g_autofree char *csv = NULL;
  g_autoptr(GError) error = NULL;
  GListModel *runs = pb_window_get_runs (window);
  g_autoptr(PbRunItem) item = g_list_model_get_item (runs, g_list_model_get_n_items (runs) - 1);
  const PbLrChange *ch;
  PbJson *header = NULL;
  PbJson *list = NULL;
  PbError err = { { 0 } };
  const char *changes_json;
  guint64 hlen;
  gsize len;
  guint nc;
  g_autofree char *cell = NULL;

  ch = pb_run_item_get_lr_changes (item, &nc);
  g_assert_cmpuint (nc, ==, 1);

  /* The weights' metadata carries the change as [{step, epoch, lr}]. */
  g_assert_true (pb_export_weights (item, weights, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (weights, &data, &len, NULL));
  memcpy (&hlen, data, sizeof hlen);
  g_assert_cmpint (pb_json_parse (data + 8, hlen, "header", &header, &err), ==, PB_OK);
  changes_json = pb_json_get_string (pb_json_get (header, "__metadata__"), "lr_changes");
  g_assert_nonnull (changes_json);
  g_test_message ("lr_changes: %s", changes_json);
  g_assert_cmpint (pb_json_parse (changes_json, strlen (changes_json), "lr_changes", &list, &err),
                   ==, PB_OK);
  g_assert_cmpint (list->type, ==, PB_JSON_ARRAY);
  g_assert_cmpint (list->n, ==, 1);
  g_assert_cmpfloat (pb_json_get_number (&list->items[0], "step", -1), ==, ch[0].step);
  g_assert_cmpfloat (pb_json_get_number (&list->items[0], "epoch", -1), ==, ch[0].epoch);
  g_assert_cmpfloat ((float) pb_json_get_number (&list->items[0], "lr", -1), ==, 5e-4f);
  pb_json_free (list);
  pb_json_free (header);

  /* Opened again, the weights make a run that is marked modified, with the same change. */
  guint n_before = g_list_model_get_n_items (runs);
  pb_window_open_weights (window, weights);
  g_assert_true (pb_test_wait_until (has_more_runs, GUINT_TO_POINTER (n_before), RUN_TIMEOUT_S));
  g_autoptr(PbRunItem) reopened = g_list_model_get_item (runs, n_before);
  g_assert_true (pb_run_item_get_modified (reopened));
  const PbLrChange *rc = pb_run_item_get_lr_changes (reopened, &nc);
  g_assert_cmpuint (nc, ==, 1);
  g_assert_cmpint (rc[0].step, ==, ch[0].step);
  g_assert_cmpfloat (rc[0].lr, ==, ch[0].lr);
  ch = pb_run_item_get_lr_changes (item, &nc);

  /* The CSV has the rate per epoch and the change in the epoch it was made. */
  g_assert_true (pb_export_metrics_csv (runs, csv_path, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (csv_path, &csv, NULL, NULL));
  g_assert_true (strstr (csv, ",seconds,lr,lr_changes\n") != NULL);
  cell = g_strdup_printf (",%d:0.0005\n", ch[0].step);
  g_assert_nonnull (strstr (csv, cell));
  /* The last epoch trained at the new rate. */
  g_assert_true (g_str_has_suffix (csv, ",0.0005,\n"));

  g_unlink (weights);
  g_unlink (csv_path);
  g_rmdir (dir);
}

/* Space and → belong to a text field that has the focus; elsewhere they pause and step. */
static void
test_runctl_keys_spare_text_fields (void)
{
  GtkWidget *row = pb_test_find_widget (GTK_WIDGET (window),
                                        ADW_TYPE_ACTION_ROW, is_seed_row, NULL);
  GtkWidget *seed = pb_test_find_widget (row, GTK_TYPE_SPIN_BUTTON, NULL, NULL);
  PbCurveView *loss = pb_window_get_curve_view (window, PB_CURVE_KIND_LOSS);
  PbRunItem *item;
  guint held_at;

  g_assert_nonnull (seed);
  set_small_run (30, 1000);

  /* Without a run, Space is left to whoever wants it. */
  gtk_widget_grab_focus (GTK_WIDGET (loss));
  g_assert_false (press (GDK_KEY_space));

  item = start_run (window);
  pb_test_wait_until (has_a_batch, item, RUN_TIMEOUT_S);

  gtk_widget_grab_focus (seed);
  g_assert_true (gtk_widget_has_focus (seed) ||
                 gtk_widget_is_ancestor (gtk_root_get_focus (GTK_ROOT (window)), seed));
  g_assert_false (press (GDK_KEY_space));
  g_assert_false (pb_trainer_get_paused (trainer ()));

  gtk_widget_grab_focus (GTK_WIDGET (loss));
  g_assert_true (press (GDK_KEY_space));
  g_assert_true (pb_trainer_get_paused (trainer ()));
  hold ();
  held_at = n_batches (item);

  gtk_widget_grab_focus (seed);
  g_assert_false (press (GDK_KEY_Right));
  g_assert_false (press (GDK_KEY_space));
  pb_test_settle ();
  g_assert_cmpuint (n_batches (item), ==, held_at);
  g_assert_true (pb_trainer_get_paused (trainer ()));

  gtk_widget_grab_focus (GTK_WIDGET (loss));
  g_assert_true (press (GDK_KEY_Right));
  hold ();
  pb_test_settle ();
  g_assert_cmpuint (n_batches (item), ==, held_at + 1);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.stop", NULL));
  g_assert_true (pb_test_wait_until (trainer_idle, NULL, RUN_TIMEOUT_S));
  pb_test_settle ();
  g_assert_cmpint (pb_run_item_get_status (item), ==, PB_RUN_STATUS_CANCELLED);
  g_assert_cmpuint (n_batches (item), ==, held_at + 1);
  g_assert_false (pb_run_item_get_modified (item));
  /* Not running: → is left to the focused widget or the window's focus movement. */
  g_assert_false (press (GDK_KEY_Right));
}

static void
test_runctl_close_while_paused (void)
{
  PbWindow *second;
  PbRunItem *item;

  set_small_run (50, 1000);
  second = pb_window_new (GTK_APPLICATION (app));
  gtk_window_present (GTK_WINDOW (second));
  pb_test_settle ();
  item = g_object_ref (start_run (second));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (second), "win.pause", NULL));
  g_assert_true (pb_test_wait_until (trainer_holding, pb_window_get_trainer (second),
                                     RUN_TIMEOUT_S));
  /* Closing wakes the held worker and joins it. */
  gtk_window_close (GTK_WINDOW (second));
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

  g_test_add_func ("/runctl/pause-step-resume", test_runctl_pause_step_resume);
  g_test_add_func ("/runctl/lr-saved", test_runctl_lr_saved);
  g_test_add_func ("/runctl/keys-spare-text-fields", test_runctl_keys_spare_text_fields);
  g_test_add_func ("/runctl/close-while-paused", test_runctl_close_while_paused);
  status = g_test_run ();

  pb_test_window_destroy (window);
  g_object_unref (settings);
  g_object_unref (app);
  return status;
}
