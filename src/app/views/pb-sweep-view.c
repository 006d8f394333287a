/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pb-sweep-view"

#include "config.h"

#include <math.h>
#include <string.h>
#include <glib/gi18n.h>

#include "pb-file-dialog.h"
#include "pb-format.h"
#include "pb-plot.h"
#include "pb-sweep-view-private.h"
#include "pb-train-settings.h"
#include "pb-uninstalled.h"
#include "pb-style.h"
#include "pb-user-presets.h"

G_DEFINE_TYPE (PbSweepView, pb_sweep_view, GTK_TYPE_WIDGET)

enum {
  USE_SETTINGS,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
show_error (PbSweepView *self,
            const char  *heading,
            const char  *body)
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
add_toast (PbSweepView *self,
           AdwToast    *toast)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);

  if (overlay != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), toast);
  else
    g_object_unref (toast);
}

const PbSweepTrialSummary *
_pb_sweep_view_trial_summary (PbSweepView *self,
               int          trial)
{
  const PbSweepSummary *sum = pb_sweeper_get_summary (self->sweeper);

  if (sum == NULL || trial < 0 || trial >= self->n_rank_of || self->rank_of[trial] < 0)
    return NULL;
  return &sum->trials[self->rank_of[trial]];
}

int
_pb_sweep_view_item_trial (gpointer item)
{
  return (int) g_ascii_strtoll (gtk_string_object_get_string (item), NULL, 10);
}

static int
selected_trial (PbSweepView *self)
{
  gpointer item = gtk_single_selection_get_selected_item (self->selection);
  return item != NULL ? _pb_sweep_view_item_trial (item) : -1;
}

/* The axis value of trial's swept parameter a: the number, or a choice's index. */
double
_pb_sweep_view_axis_value (PbSweepView *self,
            int          trial,
            int          a)
{
  const PbSweepResult *r = pb_sweeper_get_trial_values (self->sweeper, trial);
  const PbSweepPlotData *data = pb_sweep_plot_view_get_data (self->parcoords_view);
  int p = self->swept[a];

  if (r == NULL || p >= r->n_values)
    return NAN;
  if (a < data->n_axes && data->axes[a].scale == PB_SWEEP_AXIS_CATEGORY)
    {
      for (int c = 0; c < data->axes[a].n_categories; c++)
        if (g_str_equal (data->axes[a].categories[c], r->values[p]))
          return c;
      return NAN;
    }
  return g_ascii_strtod (r->values[p], NULL);
}

/* The plots' data */

static void
fill_axis (PbSweepAxis         *axis,
           const PbSweepParam  *param)
{
  gboolean numbers = TRUE;

  memset (axis, 0, sizeof *axis);
  g_strlcpy (axis->name, param->name, sizeof axis->name);
  switch (param->dist)
    {
    case PB_SWEEP_LOG_UNIFORM_VALUES:
      axis->scale = PB_SWEEP_AXIS_LOG;
      break;
    case PB_SWEEP_VALUES:
    case PB_SWEEP_VALUE:
      for (int v = 0; v < param->n_values && numbers; v++)
        {
          char *end = NULL;
          g_ascii_strtod (param->values[v], &end);
          numbers = end != param->values[v] && *end == '\0';
        }
      axis->scale = numbers ? PB_SWEEP_AXIS_LINEAR : PB_SWEEP_AXIS_CATEGORY;
      if (!numbers)
        for (int v = 0; v < param->n_values && v < PB_SWEEP_PLOT_MAX_CATEGORIES; v++)
          g_strlcpy (axis->categories[axis->n_categories++], param->values[v],
                     sizeof axis->categories[0]);
      break;
    default:
      axis->scale = PB_SWEEP_AXIS_LINEAR;
      break;
    }
}

static void
update_plots (PbSweepView *self)
{
  const PbSweepConfig *config = pb_sweeper_get_config (self->sweeper);
  const PbSweepSummary *sum = pb_sweeper_get_summary (self->sweeper);
  g_autofree PbSweepPlotData *data = g_new0 (PbSweepPlotData, 1);
  int n_axes, n_lines = sum != NULL ? sum->n_trials : 0, x_axis = 0;
  GString *key = g_string_new (NULL);

  self->n_swept = 0;
  for (int p = 0; config != NULL && p < config->n_params; p++)
    if (config->params[p].dist != PB_SWEEP_VALUE)
      {
        self->swept[self->n_swept++] = p;
        g_string_append_printf (key, "%s\n", config->params[p].name);
      }
  n_axes = self->n_swept + 1;
  data->n_axes = n_axes;
  for (int a = 0; a < self->n_swept; a++)
    fill_axis (&data->axes[a], &config->params[self->swept[a]]);
  g_strlcpy (data->axes[n_axes - 1].name, "val_error", sizeof data->axes[0].name);
  /* The category indices need the axes first. */
  pb_sweep_plot_view_set_data (self->parcoords_view, data);

  g_free (self->rank_of);
  self->n_rank_of = config != NULL ? config->trials : 0;
  self->rank_of = g_new (int, MAX (self->n_rank_of, 1));
  for (int t = 0; t < self->n_rank_of; t++)
    self->rank_of[t] = -1;
  g_free (self->values);
  g_free (self->labels);
  self->values = g_new (double, (gsize) MAX (n_lines, 1) * n_axes);
  self->labels = g_new (int, MAX (n_lines, 1));
  for (int k = 0; k < n_lines; k++)
    {
      int trial = sum->trials[k].trial;

      if (trial >= 0 && trial < self->n_rank_of)
        self->rank_of[trial] = k;
      self->labels[k] = trial + 1;
      for (int a = 0; a < self->n_swept; a++)
        self->values[(gsize) k * n_axes + a] = _pb_sweep_view_axis_value (self, trial, a);
      self->values[(gsize) k * n_axes + n_axes - 1] = sum->trials[k].val_mean;
    }
  for (int a = 0; a < n_axes; a++)
    pb_sweep_axis_fit (&data->axes[a], self->values + a, n_axes, n_lines);
  data->n_lines = n_lines;
  data->values = self->values;
  data->labels = self->labels;
  data->selected = -1;
  pb_sweep_plot_view_set_data (self->parcoords_view, data);
  pb_sweep_plot_view_set_data (self->scatter_view,
                               pb_sweep_plot_view_get_data (self->parcoords_view));

  /* The scatter's parameter: the most important one. */
  if (sum != NULL && sum->n_params > 0)
    for (int a = 0; a < self->n_swept; a++)
      if (g_str_equal (config->params[self->swept[a]].name, sum->importance[0].name))
        x_axis = a;
  pb_sweep_plot_view_set_x_axis (self->scatter_view, x_axis);

  if (g_strcmp0 (key->str, self->columns_key) != 0)
    {
      g_free (self->columns_key);
      self->columns_key = g_string_free (key, FALSE);
      _pb_sweep_view_rebuild_columns (self);
    }
  else
    g_string_free (key, TRUE);
}

static void
update_filter_label (PbSweepView *self)
{
  const PbSweepPlotData *data = pb_sweep_plot_view_get_data (self->parcoords_view);
  guint shown = g_list_model_get_n_items (G_LIST_MODEL (self->selection));
  gboolean brushed = FALSE;
  g_autofree char *text = NULL;

  for (int a = 0; a < data->n_axes; a++)
    brushed |= data->axes[a].brushed;
  if (brushed)
    /* Translators: below the parallel coordinates while some axes are brushed */
    text = g_strdup_printf (_("Showing %u of %d trials: click a brushed axis to clear it"),
                            shown, data->n_lines);
  else
    text = g_strdup (_("Drag along an axis to show only the trials in that range"));
  gtk_label_set_label (self->filter_label, text);
}

static void
update_selection (PbSweepView *self)
{
  int trial = selected_trial (self);
  int line = trial >= 0 && trial < self->n_rank_of ? self->rank_of[trial] : -1;

  pb_sweep_plot_view_set_selected (self->parcoords_view, line);
  pb_sweep_plot_view_set_selected (self->scatter_view, line);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "sweep.use-settings", line >= 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "sweep.save-preset", line >= 0);
}

static void
update_rows (PbSweepView *self)
{
  const PbSweepSummary *sum = pb_sweeper_get_summary (self->sweeper);
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func (g_free);
  int keep = selected_trial (self);

  for (int k = 0; sum != NULL && k < sum->n_trials; k++)
    g_ptr_array_add (rows, g_strdup_printf ("%d", sum->trials[k].trial));
  g_ptr_array_add (rows, NULL);
  gtk_string_list_splice (self->rows, 0, g_list_model_get_n_items (G_LIST_MODEL (self->rows)),
                          (const char *const *) rows->pdata);
  gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);
  for (guint i = 0; keep >= 0 && i < g_list_model_get_n_items (G_LIST_MODEL (self->selection));
       i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (G_LIST_MODEL (self->selection), i);
      if (_pb_sweep_view_item_trial (item) == keep)
        gtk_single_selection_set_selected (self->selection, i);
    }
  update_selection (self);
  update_filter_label (self);
}

static void
update_status (PbSweepView *self)
{
  const PbSweepSummary *sum = pb_sweeper_get_summary (self->sweeper);
  const PbSweepConfig *config = pb_sweeper_get_config (self->sweeper);
  guint done, planned = pb_sweeper_get_n_planned (self->sweeper);
  const char *path = pb_sweeper_get_path (self->sweeper);
  g_autofree char *title = NULL, *elapsed = NULL;
  GString *detail = g_string_new (NULL);
  gboolean running = pb_sweeper_get_running (self->sweeper);
  const char *label;
  double mean, std;
  int rounds;

  pb_sweeper_get_results (self->sweeper, &done);
  gtk_stack_set_visible_child_name (self->content_stack, config != NULL ? "results" : "empty");
  gtk_widget_set_visible (GTK_WIDGET (self->progress_bar), running || planned > 0);
  if (config == NULL)
    {
      gtk_label_set_label (self->status_label, _("No sweep yet"));
      gtk_label_set_label (self->status_detail,
                           _("Set up a sweep and press Run, or open a TRIALS.jsonl or a summary"));
      gtk_progress_bar_set_fraction (self->progress_bar, 0);
      g_string_free (detail, TRUE);
      return;
    }
  elapsed = pb_format_duration (pb_sweeper_get_elapsed (self->sweeper));
  if (path != NULL)
    {
      g_autofree char *base = g_path_get_basename (path);
      /* Translators: "Opened TRIALS.jsonl — 12 trials" */
      title = g_strdup_printf (ngettext ("Opened %s — %d trial", "Opened %s — %d trials",
                                         sum ? sum->n_trials : 0), base, sum ? sum->n_trials : 0);
    }
  else if (running)
    title = g_strdup_printf (_("Sweeping — %u of %u units, %s elapsed"), done, planned, elapsed);
  else
    title = g_strdup_printf (_("Sweep done — %u of %u units in %s"), done, planned, elapsed);
  if (sum != NULL && sum->n_trials > 0 && isfinite (sum->trials[0].val_mean))
    /* Translators: the best trial so far by validation error */
    g_string_append_printf (detail, _("Best: trial %d, val_error %.1f\u00a0%%"),
                            sum->trials[0].trial + 1, 100 * sum->trials[0].val_mean);
  if (sum != NULL && sum->n_params > 0 && isfinite (sum->importance[0].correlation))
    g_string_append_printf (detail, _(" · most important: %s (r = %+.2f)"),
                            sum->importance[0].name, sum->importance[0].correlation);
  gtk_label_set_label (self->status_label, title);
  gtk_label_set_label (self->status_detail, detail->str);
  gtk_progress_bar_set_fraction (self->progress_bar, planned > 0 ? MIN (1.0, done / (double) planned)
                                                                 : 0);
  g_string_free (detail, TRUE);

  if (pb_sweeper_get_best_test (self->sweeper, &label, &mean, &std, &rounds))
    {
      g_autofree char *text =
        /* Translators: a summary file's test error of the best settings; the last %s is the
         * file's own description of how it was measured */
        g_strdup_printf (_("Test error of the best settings, measured after the choice over %d "
                           "rounds: %.1f ± %.1f\u00a0%%. %s"), rounds, 100 * mean,
                         isfinite (std) ? 100 * std : 0.0, label);
      gtk_label_set_label (self->best_label, text);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->best_label),
                          pb_sweeper_get_best_test (self->sweeper, NULL, NULL, NULL, NULL));
}

static void
update_actions (PbSweepView *self)
{
  gboolean running = pb_sweeper_get_running (self->sweeper);
  gboolean any = pb_sweeper_get_summary (self->sweeper) != NULL
                 && pb_sweeper_get_summary (self->sweeper)->n_trials > 0;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "sweep.start", !running);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "sweep.stop", running);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "sweep.open", !running);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "sweep.export", any);
  gtk_widget_set_sensitive (GTK_WIDGET (self->method_row), !running);
  gtk_widget_set_sensitive (GTK_WIDGET (self->trials_row),
                            !running && adw_combo_row_get_selected (self->method_row) != 1);
  gtk_widget_set_sensitive (GTK_WIDGET (self->rounds_spin), !running);
  gtk_widget_set_sensitive (GTK_WIDGET (self->val_spin), !running);
  _pb_sweep_view_set_params_sensitive (self, !running);
}

static void
on_sweeper_changed (PbSweepView *self)
{
  update_plots (self);
  update_rows (self);
  update_status (self);
  update_actions (self);
}

static void
on_sweeper_finished (PbSweepView *self,
                     int          status,
                     const char  *message)
{
  guint done;

  pb_sweeper_get_results (self->sweeper, &done);
  on_sweeper_changed (self);
  if (status == PB_OK)
    add_toast (self, adw_toast_new_format (_("Sweep finished: %u units"), done));
  else if (status == PB_ERR_CANCELLED)
    add_toast (self, adw_toast_new_format (_("Sweep stopped: %u units kept"), done));
  else
    show_error (self, _("Sweep Failed"), message ? message : "");
}

static void
on_brushes_changed (PbSweepView *self)
{
  gtk_filter_changed (self->filter, GTK_FILTER_CHANGE_DIFFERENT);
  pb_sweep_plot_view_set_data (self->scatter_view,
                               pb_sweep_plot_view_get_data (self->parcoords_view));
  update_selection (self);
  update_filter_label (self);
}

static gboolean
row_kept (gpointer item,
          gpointer user_data)
{
  PbSweepView *self = user_data;
  int trial = _pb_sweep_view_item_trial (item);
  const PbSweepPlotData *data = pb_sweep_plot_view_get_data (self->parcoords_view);

  if (trial < 0 || trial >= self->n_rank_of || self->rank_of[trial] < 0)
    return FALSE;
  return self->rank_of[trial] < data->n_lines
         && pb_sweep_plot_line_kept (data, self->rank_of[trial]);
}

static void
update_base_row (PbSweepView *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  PbTrainSettings s;

  if (!pb_train_settings_from_gsettings (self->settings, &s, &error))
    text = g_strdup (error->message);
  else
    /* Translators: the base of every trial, from the Train page */
    text = g_strdup_printf (_("From the Train page: %s, %d epochs, batches of %d, learning rate "
                              "%g, hidden %d, %d training pairs, first seed %llu"),
                            pb_arch_name (&s.arch), s.epochs, s.batch, (double) s.lr,
                            s.arch.hidden, s.train_pairs, (unsigned long long) s.seed);
  adw_action_row_set_subtitle (self->base_row, text);
}

/* Actions */

static void
start_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  PbSweepView *self = PB_SWEEP_VIEW (widget);
  g_autoptr(GError) error = NULL;
  g_autofree char *setting = NULL, *data_dir = NULL;
  g_autofree PbSweepConfig *config = g_new0 (PbSweepConfig, 1);
  PbTrainSettings base;

  if (pb_sweeper_get_running (self->sweeper))
    return;
  if (!pb_train_settings_from_gsettings (self->settings, &base, &error)
      || !pb_sweep_view_build_config (self, config, &error))
    {
      show_error (self, _("Could Not Start the Sweep"), error->message);
      return;
    }
  setting = g_settings_get_string (self->settings, "data-dir");
  data_dir = pb_resolve_data_dir (setting);
  pb_sweep_plot_view_clear_brushes (self->parcoords_view);
  if (!pb_sweeper_start (self->sweeper, config, &base, (int) g_get_num_processors (), data_dir,
                         &error))
    show_error (self, _("Could Not Start the Sweep"), error->message);
}

static void
stop_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  pb_sweeper_stop (PB_SWEEP_VIEW (widget)->sweeper);
}

static gboolean
selected_settings (PbSweepView      *self,
                   PbTrainSettings  *out,
                   GError          **error)
{
  PbTrainSettings fallback;
  int trial = selected_trial (self);

  if (trial < 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("No trial is selected"));
      return FALSE;
    }
  if (!pb_train_settings_from_gsettings (self->settings, &fallback, error))
    return FALSE;
  return pb_sweeper_get_trial_settings (self->sweeper, trial, &fallback, out, error);
}

static void
use_settings_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  PbSweepView *self = PB_SWEEP_VIEW (widget);
  g_autoptr(GError) error = NULL;
  PbTrainSettings s;

  if (!selected_settings (self, &s, &error))
    {
      show_error (self, _("Could Not Use the Settings"), error->message);
      return;
    }
  g_signal_emit (self, signals[USE_SETTINGS], 0, &s, selected_trial (self));
}

gboolean
pb_sweep_view_save_preset (PbSweepView  *self,
                           const char   *name,
                           GError      **error)
{
  PbTrainSettings s;

  g_return_val_if_fail (PB_IS_SWEEP_VIEW (self), FALSE);
  return selected_settings (self, &s, error) && pb_user_presets_save (name, &s, error);
}

static void
on_preset_name_changed (GtkEditable      *entry,
                        AdwMessageDialog *dialog)
{
  g_autoptr(GError) error = NULL;
  gboolean ok = pb_user_presets_check_name (gtk_editable_get_text (entry), &error);

  adw_message_dialog_set_response_enabled (dialog, "save", ok);
  gtk_widget_set_tooltip_text (GTK_WIDGET (entry), ok ? NULL : error->message);
  if (ok)
    gtk_widget_remove_css_class (GTK_WIDGET (entry), "error");
  else
    gtk_widget_add_css_class (GTK_WIDGET (entry), "error");
}

static void
on_preset_response (AdwMessageDialog *dialog,
                    const char       *response,
                    PbSweepView      *self)
{
  GtkEditable *entry = GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog));
  g_autoptr(GError) error = NULL;
  const char *name = gtk_editable_get_text (entry);

  if (!g_str_equal (response, "save"))
    return;
  if (!pb_sweep_view_save_preset (self, name, &error))
    show_error (self, _("Could Not Save the Preset"), error->message);
  else
    /* Translators: a toast; %s is the preset's name */
    add_toast (self, adw_toast_new_format (_("Preset “%s” saved: the Train page’s Presets menu "
                                             "lists it"), name));
}

static void
save_preset_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  PbSweepView *self = PB_SWEEP_VIEW (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  g_autofree char *body = NULL, *suggested = NULL;
  GtkWidget *dialog, *entry;
  int trial = selected_trial (self);

  if (trial < 0)
    return;
  body = g_strdup_printf (_("The settings of trial %d, for the Presets menu and "
                            "pairbench-cli train --preset NAME"), trial + 1);
  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                   _("Save as Preset"), body);
  entry = gtk_entry_new ();
  suggested = g_strdup_printf ("sweep-trial-%d", trial + 1);
  gtk_editable_set_text (GTK_EDITABLE (entry), suggested);
  gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), entry);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"),
                                    "save", _("_Save"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "save",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "save");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect (entry, "changed", G_CALLBACK (on_preset_name_changed), dialog);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_preset_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
on_file_chosen (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  PbSweepView *self = PB_SWEEP_VIEW (source);
  g_autofree char *what = user_data;
  g_autoptr(GError) error = NULL;
  double width_pt;
  g_autofree char *path = pb_file_dialog_run_finish (result, &width_pt, &error);

  if (path == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_error (self, _("Could Not Choose the File"), error->message);
      return;
    }
  if (g_str_equal (what, "open"))
    {
      if (!pb_sweep_view_open_from (self, path, &error))
        show_error (self, _("Could Not Open the Sweep"), error->message);
      return;
    }
  if (!pb_sweep_view_export_to (self, what, path, width_pt, &error))
    show_error (self, _("Could Not Export"), error->message);
  else
    gtk_widget_activate_action (GTK_WIDGET (self), "win.show-saved", "s", path);
}

static void
open_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  const char *filters[] = { _("Sweeps (TRIALS.jsonl or summary JSON)"), "*.json*",
                            _("All files"), "*", NULL };

  pb_file_dialog_run (widget, PB_FILE_DIALOG_OPEN, _("Open Sweep"), NULL, filters,
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

      pb_file_dialog_run (widget, PB_FILE_DIALOG_SAVE, _("Export Trials Table"), "trials.csv",
                          filters, on_file_chosen, g_strdup (what));
      return;
    }
  name = g_strdup_printf ("sweep-%s.pdf", what);
  pb_file_dialog_run (widget, PB_FILE_DIALOG_SAVE_FIGURE, _("Export Plot"), name, NULL,
                      on_file_chosen, g_strdup (what));
}

static void
on_method_changed (PbSweepView *self)
{
  update_actions (self);
}

/* The class */

static void
pb_sweep_view_dispose (GObject *object)
{
  PbSweepView *self = PB_SWEEP_VIEW (object);

  if (self->sweeper != NULL)
    g_signal_handlers_disconnect_by_data (self->sweeper, self);
  /* Cancels and joins the worker before the widgets it feeds go away. */
  g_clear_object (&self->sweeper);
  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  gtk_widget_dispose_template (GTK_WIDGET (self), PB_TYPE_SWEEP_VIEW);
  for (GtkWidget *child; (child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL;)
    gtk_widget_unparent (child);
  g_clear_object (&self->settings);
  g_clear_object (&self->selection);
  g_clear_object (&self->option_names);
  g_clear_pointer (&self->param_rows, g_ptr_array_unref);

  G_OBJECT_CLASS (pb_sweep_view_parent_class)->dispose (object);
}

static void
pb_sweep_view_finalize (GObject *object)
{
  PbSweepView *self = PB_SWEEP_VIEW (object);

  g_free (self->columns_key);
  g_free (self->rank_of);
  g_free (self->values);
  g_free (self->labels);

  G_OBJECT_CLASS (pb_sweep_view_parent_class)->finalize (object);
}

static void
pb_sweep_view_class_init (PbSweepViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pb_sweep_view_dispose;
  object_class->finalize = pb_sweep_view_finalize;

  /* The trial's settings (a const PbTrainSettings *, valid during the emission) and its index. */
  signals[USE_SETTINGS] = g_signal_new ("use-settings", G_TYPE_FROM_CLASS (klass),
                                        G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 2,
                                        G_TYPE_POINTER, G_TYPE_INT);

  g_type_ensure (PB_TYPE_SWEEP_PLOT_VIEW);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/pairbench/Pairbench/pb-sweep-view.ui");
  gtk_widget_class_bind_template_child (widget_class, PbSweepView, method_row);
  gtk_widget_class_bind_template_child (widget_class, PbSweepView, stop_button);
  gtk_widget_class_bind_template_child (widget_class, PbSweepView, trials_row);
  gtk_widget_class_bind_template_child (widget_class, PbSweepView, trials_spin);
  gtk_widget_class_bind_template_child (widget_class, PbSweepView, rounds_spin);
  gtk_widget_class_bind_template_child (widget_class, PbSweepView, val_spin);
  gtk_widget_class_bind_template_child (widget_class, PbSweepView, base_row);
  gtk_widget_class_bind_template_child (widget_class, PbSweepView, params_group);
  gtk_widget_class_bind_template_child (widget_class, PbSweepView, add_row);
  gtk_widget_class_bind_template_child (widget_class, PbSweepView, add_button);
  gtk_widget_class_bind_template_child (widget_class, PbSweepView, status_label);
  gtk_widget_class_bind_template_child (widget_class, PbSweepView, status_detail);
  gtk_widget_class_bind_template_child (widget_class, PbSweepView, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, PbSweepView, content_stack);
  gtk_widget_class_bind_template_child (widget_class, PbSweepView, parcoords_view);
  gtk_widget_class_bind_template_child (widget_class, PbSweepView, scatter_view);
  gtk_widget_class_bind_template_child (widget_class, PbSweepView, filter_label);
  gtk_widget_class_bind_template_child (widget_class, PbSweepView, table_view);
  gtk_widget_class_bind_template_child (widget_class, PbSweepView, best_label);

  gtk_widget_class_install_action (widget_class, "sweep.start", NULL, start_action);
  gtk_widget_class_install_action (widget_class, "sweep.stop", NULL, stop_action);
  gtk_widget_class_install_action (widget_class, "sweep.open", NULL, open_action);
  gtk_widget_class_install_action (widget_class, "sweep.use-settings", NULL, use_settings_action);
  gtk_widget_class_install_action (widget_class, "sweep.save-preset", NULL, save_preset_action);
  gtk_widget_class_install_action (widget_class, "sweep.export", "s", export_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_e, GDK_CONTROL_MASK,
                                       "sweep.export", "s", "parcoords");
}

static void
pb_sweep_view_init (PbSweepView *self)
{
  GtkFilterListModel *filtered;
  GtkSortListModel *sorted;

  gtk_widget_init_template (GTK_WIDGET (self));
  pb_style_destructive_while_sensitive (self->stop_button);

  self->settings = g_settings_new (PB_SCHEMA_ID);
  self->sweeper = pb_sweeper_new ();
  self->rows = gtk_string_list_new (NULL);
  self->filter = GTK_FILTER (gtk_custom_filter_new (row_kept, self, NULL));
  filtered = gtk_filter_list_model_new (G_LIST_MODEL (self->rows), self->filter);
  sorted = gtk_sort_list_model_new (G_LIST_MODEL (filtered),
                                    g_object_ref (gtk_column_view_get_sorter (self->table_view)));
  self->selection = gtk_single_selection_new (G_LIST_MODEL (sorted));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  gtk_column_view_set_model (self->table_view, GTK_SELECTION_MODEL (self->selection));

  _pb_sweep_view_init_params (self);

  g_signal_connect_swapped (self->selection, "notify::selected",
                            G_CALLBACK (update_selection), self);
  g_signal_connect_swapped (self->parcoords_view, "brushes-changed",
                            G_CALLBACK (on_brushes_changed), self);
  g_signal_connect_swapped (self->method_row, "notify::selected",
                            G_CALLBACK (on_method_changed), self);
  g_signal_connect_swapped (self->sweeper, "changed", G_CALLBACK (on_sweeper_changed), self);
  g_signal_connect_swapped (self->sweeper, "finished", G_CALLBACK (on_sweeper_finished), self);
  g_signal_connect_swapped (self->settings, "changed", G_CALLBACK (update_base_row), self);

  update_base_row (self);
  on_sweeper_changed (self);
}

PbSweeper *
pb_sweep_view_get_sweeper (PbSweepView *self)
{
  g_return_val_if_fail (PB_IS_SWEEP_VIEW (self), NULL);
  return self->sweeper;
}

PbSweepPlotView *
pb_sweep_view_get_plot (PbSweepView     *self,
                        PbSweepPlotKind  kind)
{
  g_return_val_if_fail (PB_IS_SWEEP_VIEW (self), NULL);
  return kind == PB_SWEEP_PLOT_PARCOORDS ? self->parcoords_view : self->scatter_view;
}

void
pb_sweep_view_set_run (PbSweepView *self,
                       const char  *method,
                       int          trials,
                       int          rounds,
                       int          val_pairs)
{
  g_return_if_fail (PB_IS_SWEEP_VIEW (self));

  adw_combo_row_set_selected (self->method_row, g_strcmp0 (method, "grid") == 0 ? 1
                                                : g_strcmp0 (method, "halving") == 0 ? 2 : 0);
  gtk_spin_button_set_value (self->trials_spin, trials);
  gtk_spin_button_set_value (self->rounds_spin, rounds);
  gtk_spin_button_set_value (self->val_spin, val_pairs);
}

guint
pb_sweep_view_get_n_rows (PbSweepView *self)
{
  g_return_val_if_fail (PB_IS_SWEEP_VIEW (self), 0);
  return g_list_model_get_n_items (G_LIST_MODEL (self->selection));
}

void
pb_sweep_view_sort (PbSweepView *self,
                    guint        column,
                    GtkSortType  order)
{
  g_autoptr(GtkColumnViewColumn) col = NULL;

  g_return_if_fail (PB_IS_SWEEP_VIEW (self));
  col = g_list_model_get_item (gtk_column_view_get_columns (self->table_view), column);
  g_return_if_fail (col != NULL);
  gtk_column_view_sort_by_column (self->table_view, col, order);
}

void
pb_sweep_view_select_row (PbSweepView *self,
                          guint        row)
{
  g_return_if_fail (PB_IS_SWEEP_VIEW (self));
  gtk_single_selection_set_selected (self->selection, row);
}

int
pb_sweep_view_get_selected_trial (PbSweepView *self)
{
  g_return_val_if_fail (PB_IS_SWEEP_VIEW (self), -1);
  return selected_trial (self);
}

gboolean
pb_sweep_view_open_from (PbSweepView  *self,
                         const char   *path,
                         GError      **error)
{
  g_return_val_if_fail (PB_IS_SWEEP_VIEW (self), FALSE);

  if (!pb_sweeper_load (self->sweeper, path, error))
    return FALSE;
  pb_sweep_plot_view_clear_brushes (self->parcoords_view);
  return TRUE;
}

typedef struct
{
  PbSweepPlotView *view;
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
  pb_sweep_plot_view_draw (f->view, cr, width, height, &style);
}

gboolean
pb_sweep_view_export_to (PbSweepView  *self,
                         const char   *what,
                         const char   *path,
                         double        width,
                         GError      **error)
{
  Figure figure;
  gboolean parcoords;

  g_return_val_if_fail (PB_IS_SWEEP_VIEW (self), FALSE);

  if (pb_sweeper_get_summary (self->sweeper) == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("There is no sweep"));
      return FALSE;
    }
  if (g_strcmp0 (what, "table") == 0)
    return pb_sweeper_save_table (self->sweeper, path, error);
  if (g_strcmp0 (what, "parcoords") != 0 && g_strcmp0 (what, "scatter") != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "unknown plot '%s'", what);
      return FALSE;
    }
  parcoords = g_str_equal (what, "parcoords");
  figure.view = parcoords ? self->parcoords_view : self->scatter_view;
  {
    const PbSweepPlotData *data = pb_sweep_plot_view_get_data (figure.view);
    GString *names = g_string_new (NULL);
    g_autofree char *desc = NULL;

    for (int a = 0; a + 1 < data->n_axes; a++)
      g_string_append_printf (names, "%s%s", a > 0 ? ", " : "", data->axes[a].name);
    if (parcoords)
      /* Translators: a figure's description; %s lists the swept parameters */
      desc = g_strdup_printf (_("One axis per swept parameter (%s) and one for val_error; one "
                                "line per trial, coloured by its val_error"), names->str);
    else
      desc = g_strdup_printf (_("val_error of each trial against the parameter that "
                                "correlates most with it, of %s"), names->str);
    g_string_free (names, TRUE);
    return pb_plot_export (path, width, width * (parcoords ? 0.5 : 0.62), draw_figure, &figure,
                           parcoords ? pb_sweep_plot_parcoords_title ()
                                     : pb_sweep_plot_scatter_title (), desc, error);
  }
}
