/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pb-compare-page"

#include "config.h"

#include <math.h>
#include <glib/gi18n.h>

#include "pb-compare-page-private.h"
#include "pb-core-error.h"
#include "pb-file-dialog.h"
#include "pb-format.h"
#include "pb-model-name.h"
#include "pb-plot-view.h"
#include "pb-run-item.h"
#include "pb-train-settings.h"
#include "pb-uninstalled.h"
#include "pb-style.h"

static const char *const default_models[] = {
  "stacked", "stacked-aux", "siamese", "siamese-aux",
};

/* The report's order: the baseline first. */
static const char *const model_order[PB_N_MODEL_NAMES] = {
  "stacked", "stacked-aux", "siamese", "siamese-aux", "twin", "twin-aux",
};


G_DEFINE_TYPE (PbComparePage, pb_compare_page, GTK_TYPE_WIDGET)

static int
n_checked (PbComparePage *self)
{
  int n = 0;

  for (int i = 0; i < PB_N_MODEL_NAMES; i++)
    n += gtk_check_button_get_active (self->model_checks[i]);
  return n;
}

static gboolean
has_results (PbComparePage *self)
{
  const PbSession *s = pb_comparison_get_session (self->comparison);
  return s != NULL && pb_session_total_done (s) > 0;
}

static void
update_actions (PbComparePage *self)
{
  gboolean running = pb_comparison_get_running (self->comparison);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "compare.start",
                                 !running && n_checked (self) > 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "compare.stop", running);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "compare.open", !running);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "compare.save",
                                 !running && has_results (self));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "compare.export", has_results (self));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "compare.embed",
                                 pb_comparison_get_n_embed_models (self->comparison) > 0);
  if (pb_comparison_get_loaded (self->comparison))
    gtk_widget_set_tooltip_text (GTK_WIDGET (self->embed_button),
                                 _("A comparison opened from a file keeps only its metrics, not "
                                   "its models’ weights: run it again to map its models"));
  else
    gtk_widget_set_tooltip_text (GTK_WIDGET (self->embed_button),
                                 _("Map each model’s last layer with t-SNE, side by side, from "
                                   "its first finished round"));
  gtk_widget_set_sensitive (GTK_WIDGET (self->models_group), !running);
  gtk_widget_set_sensitive (GTK_WIDGET (self->rounds_spin), !running);
}

static void
update_settings_row (PbComparePage *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  PbTrainSettings s;

  if (!pb_train_settings_from_gsettings (self->settings, &s, &error))
    text = g_strdup (error->message);
  else
    {
      GString *extra = g_string_new (NULL);
      g_autofree char *trunk = NULL;

      /* Translators: the shared trunk in the comparison's summary */
      trunk = g_strdup_printf (_("kernel %d, channels %d·%d·%d, hidden %d, rule %s"),
                               s.arch.kernel, s.arch.channels[0], s.arch.channels[1],
                               s.arch.channels[2], s.arch.hidden, pb_rule_name (s.arch.rule));
      if (s.schedule == PB_SCHEDULE_COSINE)
        g_string_append (extra, _(", cosine schedule"));
      if (s.weight_decay > 0)
        g_string_append_printf (extra, _(", weight decay %g"), (double) s.weight_decay);
      if (s.scale > 0)
        g_string_append_printf (extra, _(", scaling ×%.2f–%.2f"), 1.0 - s.scale, 1.0 + s.scale);
      if (s.shear > 0)
        g_string_append_printf (extra, _(", shears ±%g"), (double) s.shear);
      if (s.translate > 0)
        g_string_append_printf (extra, _(", shifts ±%d px"), s.translate);
      if (s.swap)
        g_string_append (extra, _(", swaps"));
      if (s.repair)
        g_string_append (extra, _(", re-pairing"));
      /* Translators: a summary of the shared run settings; the last %s lists the other
       * settings that are on, each after a comma */
      text = g_strdup_printf (_("From the Train page: %d epochs, batches of %d, learning rate %g, "
                                "%d training and %d test pairs, rotation ±%g°, first seed %llu; "
                                "%s%s"),
                              s.epochs, s.batch, (double) s.lr, s.train_pairs, s.test_pairs,
                              (double) s.augment_deg, (unsigned long long) s.seed, trunk,
                              extra->str);
      g_string_free (extra, TRUE);
    }
  adw_action_row_set_subtitle (self->settings_row, text);
  /* The subtitle is cut after a few lines once many settings are on. */
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->settings_row), text);
}

static void
refresh_status (PbComparePage *self)
{
  const PbSession *s = pb_comparison_get_session (self->comparison);
  g_autofree char *title = NULL, *detail = NULL, *elapsed = NULL;
  double secs = pb_comparison_get_elapsed (self->comparison);
  int total, done;

  if (s == NULL)
    {
      gtk_label_set_label (self->status_label, _("No comparison yet"));
      gtk_label_set_label (self->status_detail,
                           _("Choose the models and rounds, then press Start, or open a saved "
                             "comparison"));
      gtk_progress_bar_set_fraction (self->progress_bar, 0);
      return;
    }
  total = s->n_models * s->rounds;
  done = pb_session_total_done (s);
  elapsed = pb_format_duration (secs);
  if (pb_comparison_get_running (self->comparison))
    {
      title = g_strdup_printf (_("Comparing %d models × %d rounds"), s->n_models, s->rounds);
      if (done > 0)
        {
          g_autofree char *left = pb_format_duration (secs * (total - done) / done);
          detail = g_strdup_printf (_("%d of %d rounds done · %s elapsed · about %s left"), done,
                                    total, elapsed, left);
        }
      else
        detail = g_strdup_printf (_("%d of %d rounds done · %s elapsed"), done, total, elapsed);
    }
  else
    {
      if (s->partial)
        title = g_strdup_printf (_("Stopped after %d of %d rounds (partial)"), done, total);
      else
        title = g_strdup_printf (_("Finished %d models × %d rounds"), s->n_models, s->rounds);
      if (secs > 0)
        detail = g_strdup_printf (_("%s elapsed · save it to keep it after closing"), elapsed);
      else
        detail = g_strdup_printf (_("Opened from a file: %d epochs, %d training and %d test "
                                    "pairs, seeds %llu–%llu"), s->base.epochs,
                                  s->base.train_pairs, s->base.test_pairs,
                                  (unsigned long long) s->base.seed,
                                  (unsigned long long) (s->base.seed + s->rounds - 1));
    }
  gtk_label_set_label (self->status_label, title);
  gtk_label_set_label (self->status_detail, detail);
  gtk_progress_bar_set_fraction (self->progress_bar, total > 0 ? (double) done / total : 0);
}

static gboolean
on_tick (gpointer data)
{
  refresh_status (data);
  return G_SOURCE_CONTINUE;
}

/* The elapsed time counts up while running, though no round has finished to say so. */
static void
update_tick (PbComparePage *self)
{
  if (pb_comparison_get_running (self->comparison))
    {
      if (self->tick_id == 0)
        self->tick_id = g_timeout_add_seconds (1, on_tick, self);
    }
  else
    g_clear_handle_id (&self->tick_id, g_source_remove);
}

/* Seconds per epoch and training pair of one run as measured: this comparison's own rounds, else
 * the latest Train run with a finished epoch, else an earlier comparison's; NaN when nothing is
 * measured yet. */
static double
measured_pair_epoch_seconds (PbComparePage *self)
{
  const PbSession *s = pb_comparison_get_session (self->comparison);
  guint n_runs = self->runs != NULL ? g_list_model_get_n_items (self->runs) : 0;

  if (s != NULL && !pb_comparison_get_loaded (self->comparison) && s->base.train_pairs > 0)
    {
      double sum = 0;
      int n = 0;

      for (int m = 0; m < s->n_models; m++)
        for (int r = 0; r < s->rounds; r++)
          if (pb_session_round_done (s, m, r))
            {
              const PbRoundResult *res = pb_session_round (s, m, r);
              sum += res->final.seconds / res->n_epochs / s->base.train_pairs;
              n++;
            }
      if (n > 0)
        return self->measured = sum / n;
    }
  for (guint i = n_runs; i-- > 0;)
    {
      g_autoptr(PbRunItem) run = g_list_model_get_item (self->runs, i);
      const PbEpochRecord *epochs;
      guint n_epochs;

      if (pb_run_item_get_status (run) == PB_RUN_STATUS_RUNNING
          || pb_run_item_get_loaded_path (run) != NULL)
        continue;
      epochs = pb_run_item_get_epochs (run, &n_epochs);
      if (n_epochs > 0 && epochs[n_epochs - 1].seconds > 0
          && pb_run_item_get_settings (run)->train_pairs > 0)
        return epochs[n_epochs - 1].seconds / n_epochs
               / pb_run_item_get_settings (run)->train_pairs;
    }
  return self->measured;
}

static void
update_estimate (PbComparePage *self)
{
  g_autofree char *text = NULL;
  PbTrainSettings s;
  int runs = n_checked (self) * gtk_spin_button_get_value_as_int (self->rounds_spin);

  gtk_widget_set_visible (GTK_WIDGET (self->estimate_label),
                          runs > 0 && !pb_comparison_get_running (self->comparison));
  if (runs == 0 || !pb_train_settings_from_gsettings (self->settings, &s, NULL))
    return;
  text = pb_format_estimate (measured_pair_epoch_seconds (self) * s.train_pairs, runs, s.epochs,
                             (int) g_get_num_processors ());
  gtk_label_set_label (self->estimate_label, text);
}

static void
update_shown_session (PbComparePage *self)
{
  const PbSession *s = pb_comparison_get_session (self->comparison);

  if (s != NULL)
    {
      /* A shallow copy: only the labels differ, and the results stay the comparison's. */
      self->shown = *s;
      for (int m = 0; m < s->n_models; m++)
        if (s->labels[m][0] == '\0')
          {
            g_autofree char *name = pb_model_display_name (&s->models[m]);
            pb_session_set_label (&self->shown, m, name, NULL);
          }
    }
  pb_plot_view_set_session (self->multiples_view, s != NULL ? &self->shown : NULL);
  pb_plot_view_set_session (self->box_view, s != NULL ? &self->shown : NULL);
}

static void
on_comparison_changed (PbComparePage *self)
{
  update_shown_session (self);
  pb_compare_page_refresh_tables (self);
  refresh_status (self);
  update_tick (self);
  update_actions (self);
  update_estimate (self);
}

static void
show_error (PbComparePage *self,
            const char    *heading,
            const char    *body)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                              heading, body);

  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "close");
  gtk_window_present (GTK_WINDOW (dialog));
  g_debug ("%s: %s", heading, body);
}

static void
add_toast (PbComparePage *self,
           AdwToast      *toast)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);

  if (overlay != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), toast);
  else
    g_object_unref (toast);
}

static void
on_comparison_finished (PbComparePage *self,
                        int            status,
                        const char    *message)
{
  const PbSession *s = pb_comparison_get_session (self->comparison);

  on_comparison_changed (self);
  if (status == PB_OK)
    add_toast (self, adw_toast_new_format (_("Comparison finished: %d rounds"),
                                           pb_session_total_done (s)));
  else if (status == PB_ERR_CANCELLED)
    add_toast (self, adw_toast_new_format (_("Comparison stopped: %d rounds kept"),
                                           pb_session_total_done (s)));
  else
    show_error (self, _("Comparison Failed"), message ? message : "");
}

static void
start_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  PbComparePage *self = PB_COMPARE_PAGE (widget);
  g_autoptr(GError) error = NULL;
  g_autofree char *setting = NULL, *data_dir = NULL;
  PbArch models[PB_N_MODEL_NAMES];
  PbTrainSettings s;
  int n = 0;

  if (pb_comparison_get_running (self->comparison))
    return;
  if (!pb_train_settings_from_gsettings (self->settings, &s, &error))
    {
      show_error (self, _("Could Not Start"), error->message);
      return;
    }
  for (int i = 0; i < PB_N_MODEL_NAMES; i++)
    if (gtk_check_button_get_active (self->model_checks[i]))
      {
        /* The models differ only in kind and aux; the trunk and the rule are the sidebar's. */
        PbArch shared = s.arch;
        pb_arch_from_name (model_order[i], &models[n], NULL);
        shared.kind = models[n].kind;
        shared.aux = models[n].aux;
        models[n] = shared;
        n++;
      }
  if (n == 0)
    return;
  setting = g_settings_get_string (self->settings, "data-dir");
  data_dir = pb_resolve_data_dir (setting);
  if (!pb_comparison_start (self->comparison, &s, models, n,
                            gtk_spin_button_get_value_as_int (self->rounds_spin),
                            (int) g_get_num_processors (), data_dir, &error))
    show_error (self, _("Could Not Start"), error->message);
  update_tick (self);
  update_estimate (self);
}

static void
embed_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  /* The window owns the Embedding page. */
  gtk_widget_activate_action (widget, "win.embed-comparison", NULL);
}

static void
stop_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  pb_comparison_stop (PB_COMPARE_PAGE (widget)->comparison);
}

/* what: "save", "open", "table" or a plot's name (compare.export's parameter). */
static void
on_file_chosen (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  PbComparePage *self = PB_COMPARE_PAGE (source);
  g_autofree char *what = user_data;
  g_autoptr(GError) error = NULL;
  double width_pt;
  g_autofree char *path = pb_file_dialog_run_finish (result, &width_pt, &error);
  gboolean ok;

  if (path == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_error (self, _("Could Not Choose the File"), error->message);
      return;
    }
  if (g_str_equal (what, "open"))
    {
      if (!pb_compare_page_open_from (self, path, &error))
        show_error (self, _("Could Not Open the Comparison"), error->message);
      return;
    }
  if (g_str_equal (what, "save"))
    ok = pb_compare_page_save_to (self, path, &error);
  else
    ok = pb_compare_page_export_to (self, what, path, width_pt, &error);
  if (!ok)
    show_error (self, g_str_equal (what, "save") ? _("Could Not Save the Comparison")
                                                 : _("Could Not Export"), error->message);
  else
    gtk_widget_activate_action (GTK_WIDGET (self), "win.show-saved", "s", path);
}

static void
save_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  const char *filters[] = { _("Comparisons (JSON)"), "*.json", NULL };

  pb_file_dialog_run (widget, PB_FILE_DIALOG_SAVE, _("Save Comparison"), "comparison.json",
                      filters, on_file_chosen, g_strdup ("save"));
}

static void
open_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  const char *filters[] = { _("Comparisons (JSON)"), "*.json", NULL };

  pb_file_dialog_run (widget, PB_FILE_DIALOG_OPEN, _("Open Comparison"), NULL, filters,
                      on_file_chosen, g_strdup ("open"));
}

static void
export_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  const char *what = g_variant_get_string (parameter, NULL);
  g_autofree char *name = NULL;

  if (g_strcmp0 (what, "table") == 0)
    {
      const char *filters[] = { _("LaTeX, booktabs (.tex)"), "*.tex", _("Markdown (.md)"),
                                "*.md", _("CSV (.csv)"), "*.csv", NULL };

      pb_file_dialog_run (widget, PB_FILE_DIALOG_SAVE, _("Export Results Table"), "results.tex",
                          filters, on_file_chosen, g_strdup (what));
      return;
    }
  name = g_strdup_printf ("%s.pdf", what);
  pb_file_dialog_run (widget, PB_FILE_DIALOG_SAVE_FIGURE, _("Export Plot"), name, NULL,
                      on_file_chosen, g_strdup (what));
}

static void
on_check_toggled (PbComparePage *self)
{
  update_actions (self);
  update_estimate (self);
}

static void
build_model_rows (PbComparePage *self)
{
  for (int i = 0; i < PB_N_MODEL_NAMES; i++)
    {
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *check = gtk_check_button_new ();
      PbArch arch;
      g_autofree char *params = NULL, *subtitle = NULL, *title = NULL;
      gboolean on = FALSE;

      pb_arch_from_name (model_order[i], &arch, NULL);
      params = pb_format_count (pb_arch_param_count (&arch));
      subtitle = g_strdup_printf (_("%s parameters"), params);
      for (guint k = 0; k < G_N_ELEMENTS (default_models); k++)
        on |= g_strcmp0 (default_models[k], model_order[i]) == 0;
      gtk_check_button_set_active (GTK_CHECK_BUTTON (check), on);
      gtk_widget_set_valign (check, GTK_ALIGN_CENTER);
      g_signal_connect_swapped (check, "toggled", G_CALLBACK (on_check_toggled), self);
      title = pb_model_display_name (&arch);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), check);
      adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), check);
      adw_preferences_group_add (self->models_group, row);
      self->model_checks[i] = GTK_CHECK_BUTTON (check);
    }
}

static void
pb_compare_page_dispose (GObject *object)
{
  PbComparePage *self = PB_COMPARE_PAGE (object);

  g_clear_handle_id (&self->tick_id, g_source_remove);
  if (self->runs != NULL)
    g_signal_handlers_disconnect_by_data (self->runs, self);
  g_clear_object (&self->runs);
  if (self->comparison != NULL)
    g_signal_handlers_disconnect_by_data (self->comparison, self);
  /* Cancels and joins the workers before the widgets they feed go away. */
  g_clear_object (&self->comparison);
  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  gtk_widget_dispose_template (GTK_WIDGET (self), PB_TYPE_COMPARE_PAGE);
  /* Template children without an id are not unparented by dispose_template in GTK 4.8. */
  for (GtkWidget *child; (child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL;)
    gtk_widget_unparent (child);
  g_clear_object (&self->settings);
  g_clear_object (&self->results_model);
  g_clear_object (&self->tests_model);
  g_clear_pointer (&self->tests, g_free);

  G_OBJECT_CLASS (pb_compare_page_parent_class)->dispose (object);
}

static void
pb_compare_page_class_init (PbComparePageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pb_compare_page_dispose;

  g_type_ensure (PB_TYPE_PLOT_VIEW);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/pairbench/Pairbench/pb-compare-page.ui");
  gtk_widget_class_bind_template_child (widget_class, PbComparePage, models_group);
  gtk_widget_class_bind_template_child (widget_class, PbComparePage, stop_button);
  gtk_widget_class_bind_template_child (widget_class, PbComparePage, rounds_spin);
  gtk_widget_class_bind_template_child (widget_class, PbComparePage, settings_row);
  gtk_widget_class_bind_template_child (widget_class, PbComparePage, status_label);
  gtk_widget_class_bind_template_child (widget_class, PbComparePage, status_detail);
  gtk_widget_class_bind_template_child (widget_class, PbComparePage, estimate_label);
  gtk_widget_class_bind_template_child (widget_class, PbComparePage, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, PbComparePage, multiples_view);
  gtk_widget_class_bind_template_child (widget_class, PbComparePage, box_view);
  gtk_widget_class_bind_template_child (widget_class, PbComparePage, details_box);
  gtk_widget_class_bind_template_child (widget_class, PbComparePage, results_view);
  gtk_widget_class_bind_template_child (widget_class, PbComparePage, tests_view);
  gtk_widget_class_bind_template_child (widget_class, PbComparePage, tests_empty);
  gtk_widget_class_bind_template_child (widget_class, PbComparePage, tests_note);
  gtk_widget_class_bind_template_child (widget_class, PbComparePage, tests_warning);
  gtk_widget_class_bind_template_child (widget_class, PbComparePage, embed_button);

  gtk_widget_class_install_action (widget_class, "compare.start", NULL, start_action);
  gtk_widget_class_install_action (widget_class, "compare.stop", NULL, stop_action);
  gtk_widget_class_install_action (widget_class, "compare.save", NULL, save_action);
  gtk_widget_class_install_action (widget_class, "compare.open", NULL, open_action);
  gtk_widget_class_install_action (widget_class, "compare.export", "s", export_action);
  gtk_widget_class_install_action (widget_class, "compare.embed", NULL, embed_action);
  /* Ctrl+S and Ctrl+O stay the window's (weights); Ctrl+E exports this view's plot, as it does
   * on the others. */
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_e, GDK_CONTROL_MASK,
                                       "compare.export", "s", "small-multiples");
}

static void
pb_compare_page_init (PbComparePage *self)
{
  GtkNoSelection *selection;

  gtk_widget_init_template (GTK_WIDGET (self));
  pb_style_destructive_while_sensitive (self->stop_button);

  self->settings = g_settings_new (PB_SCHEMA_ID);
  self->measured = NAN;
  self->comparison = pb_comparison_new ();
  self->results_model = gtk_string_list_new (NULL);
  self->tests_model = gtk_string_list_new (NULL);

  build_model_rows (self);
  pb_compare_page_add_column (self, self->results_view, PB_COMPARE_TABLE_RESULTS, 0, _("Model"), TRUE);
  pb_compare_page_add_column (self, self->results_view, PB_COMPARE_TABLE_RESULTS, 1, _("Parameters"), FALSE);
  pb_compare_page_add_column (self, self->results_view, PB_COMPARE_TABLE_RESULTS, 2, _("Test error"), FALSE);
  pb_compare_page_add_column (self, self->results_view, PB_COMPARE_TABLE_RESULTS, 3, _("Digit error"), FALSE);
  pb_compare_page_add_column (self, self->results_view, PB_COMPARE_TABLE_RESULTS, 4, _("Per run"), FALSE);
  pb_compare_page_add_column (self, self->results_view, PB_COMPARE_TABLE_RESULTS, 5, _("Rounds"), FALSE);
  pb_compare_page_add_column (self, self->tests_view, PB_COMPARE_TABLE_TESTS, 0, _("Model A"), TRUE);
  pb_compare_page_add_column (self, self->tests_view, PB_COMPARE_TABLE_TESTS, 1, _("Model B"), TRUE);
  pb_compare_page_add_column (self, self->tests_view, PB_COMPARE_TABLE_TESTS, 2, _("Mean diff"), FALSE);
  pb_compare_page_add_column (self, self->tests_view, PB_COMPARE_TABLE_TESTS, 3, _("t-test p"), FALSE);
  pb_compare_page_add_column (self, self->tests_view, PB_COMPARE_TABLE_TESTS, 4, _("Wilcoxon p"), FALSE);
  selection = gtk_no_selection_new (g_object_ref (G_LIST_MODEL (self->results_model)));
  gtk_column_view_set_model (self->results_view, GTK_SELECTION_MODEL (selection));
  g_object_unref (selection);
  selection = gtk_no_selection_new (g_object_ref (G_LIST_MODEL (self->tests_model)));
  gtk_column_view_set_model (self->tests_view, GTK_SELECTION_MODEL (selection));
  g_object_unref (selection);

  g_signal_connect_swapped (self->comparison, "changed", G_CALLBACK (on_comparison_changed),
                            self);
  g_signal_connect_swapped (self->comparison, "finished", G_CALLBACK (on_comparison_finished),
                            self);
  g_signal_connect_swapped (self->settings, "changed", G_CALLBACK (update_settings_row), self);
  g_signal_connect_swapped (self->settings, "changed", G_CALLBACK (update_estimate), self);
  g_signal_connect_swapped (self->rounds_spin, "value-changed", G_CALLBACK (update_estimate),
                            self);
  /* A Train run may have finished while another page was shown. */
  g_signal_connect (self, "map", G_CALLBACK (update_estimate), NULL);

  update_settings_row (self);
  on_comparison_changed (self);
}

void
pb_compare_page_set_runs (PbComparePage *self,
                          GListModel    *runs)
{
  g_return_if_fail (PB_IS_COMPARE_PAGE (self));

  if (self->runs != NULL)
    g_signal_handlers_disconnect_by_data (self->runs, self);
  g_set_object (&self->runs, runs);
  if (runs != NULL)
    g_signal_connect_swapped (runs, "items-changed", G_CALLBACK (update_estimate), self);
  update_estimate (self);
}

const char *
pb_compare_page_get_estimate (PbComparePage *self)
{
  g_return_val_if_fail (PB_IS_COMPARE_PAGE (self), NULL);
  if (!gtk_widget_get_visible (GTK_WIDGET (self->estimate_label)))
    return NULL;
  return gtk_label_get_label (self->estimate_label);
}

PbComparison *
pb_compare_page_get_comparison (PbComparePage *self)
{
  g_return_val_if_fail (PB_IS_COMPARE_PAGE (self), NULL);
  return self->comparison;
}

void
pb_compare_page_set_selection (PbComparePage     *self,
                               const char *const *models,
                               int                rounds)
{
  g_return_if_fail (PB_IS_COMPARE_PAGE (self));

  for (int i = 0; i < PB_N_MODEL_NAMES; i++)
    gtk_check_button_set_active (self->model_checks[i],
                                 g_strv_contains (models, model_order[i]));
  gtk_spin_button_set_value (self->rounds_spin, rounds);
}

guint
pb_compare_page_get_n_rows (PbComparePage  *self,
                            PbCompareTable  table)
{
  g_return_val_if_fail (PB_IS_COMPARE_PAGE (self), 0);
  return g_list_model_get_n_items (G_LIST_MODEL (table == PB_COMPARE_TABLE_RESULTS
                                                   ? self->results_model
                                                   : self->tests_model));
}

gboolean
pb_compare_page_get_ticking (PbComparePage *self)
{
  g_return_val_if_fail (PB_IS_COMPARE_PAGE (self), FALSE);
  return self->tick_id != 0;
}

const char *
pb_compare_page_get_tests_warning (PbComparePage *self)
{
  g_return_val_if_fail (PB_IS_COMPARE_PAGE (self), NULL);
  if (!gtk_widget_get_visible (GTK_WIDGET (self->tests_warning)))
    return NULL;
  return gtk_label_get_label (self->tests_warning);
}

gboolean
pb_compare_page_get_tests_visible (PbComparePage *self)
{
  g_return_val_if_fail (PB_IS_COMPARE_PAGE (self), FALSE);
  return gtk_widget_get_visible (GTK_WIDGET (self->tests_view));
}

gboolean
pb_compare_page_get_session_partial (PbComparePage *self)
{
  const PbSession *s;

  g_return_val_if_fail (PB_IS_COMPARE_PAGE (self), FALSE);
  s = pb_comparison_get_session (self->comparison);
  return s != NULL && s->partial;
}

typedef struct
{
  const PbSession *session;
  PbPlotKind kind;
} Figure;

static void
draw_figure (cairo_t *cr,
             double   width,
             double   height,
             gpointer data)
{
  Figure *f = data;
  PbPlotStyle style;

  pb_plot_style_init_print (&style);
  pb_plot_draw_session (cr, width, height, &style, f->kind, f->session);
}

gboolean
pb_compare_page_export_to (PbComparePage  *self,
                           const char     *what,
                           const char     *path,
                           double          width,
                           GError        **error)
{
  const PbSession *s;

  g_return_val_if_fail (PB_IS_COMPARE_PAGE (self), FALSE);

  s = pb_comparison_get_session (self->comparison);
  if (s == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("There is no comparison"));
      return FALSE;
    }
  if (g_strcmp0 (what, "table") == 0)
    return pb_comparison_save_table (self->comparison, path, error);
  else
    {
      GEnumClass *klass = g_type_class_ref (PB_TYPE_PLOT_KIND);
      GEnumValue *value = g_enum_get_value_by_nick (klass, what);
      /* As the page shows it, with the display names; the table files keep the CLI's ids. */
      Figure figure = { .session = &self->shown };
      g_autofree char *desc = NULL;
      double height;

      g_type_class_unref (klass);
      if (value == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "unknown plot '%s'",
                       what);
          return FALSE;
        }
      figure.kind = value->value;
      height = figure.kind == PB_PLOT_SMALL_MULTIPLES && s->n_models > 2 && width < 400
                 ? width * 0.9 : width * 0.62;
      desc = g_strdup_printf ("%s: %s; %s", pb_plot_kind_title (figure.kind),
                              pb_plot_axis_label (figure.kind, FALSE),
                              pb_plot_axis_label (figure.kind, TRUE));
      return pb_plot_export (path, width, height, draw_figure, &figure,
                             pb_plot_kind_title (figure.kind), desc, error);
    }
}

gboolean
pb_compare_page_save_to (PbComparePage  *self,
                         const char     *path,
                         GError        **error)
{
  g_return_val_if_fail (PB_IS_COMPARE_PAGE (self), FALSE);
  return pb_comparison_save (self->comparison, path, error);
}

gboolean
pb_compare_page_open_from (PbComparePage  *self,
                           const char     *path,
                           GError        **error)
{
  const PbSession *s;
  const char *models[PB_SESSION_MAX_MODELS + 1] = { NULL };

  g_return_val_if_fail (PB_IS_COMPARE_PAGE (self), FALSE);

  if (!pb_comparison_load (self->comparison, path, error))
    return FALSE;
  s = pb_comparison_get_session (self->comparison);
  for (int m = 0; m < s->n_models; m++)
    models[m] = pb_arch_name (&s->models[m]);
  pb_compare_page_set_selection (self, models, s->rounds);
  return TRUE;
}
