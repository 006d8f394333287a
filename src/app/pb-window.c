/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pb-window"

#include "config.h"

#include <math.h>

#include <glib/gi18n.h>

#include "pb-compare-page.h"
#include "pb-curve-view.h"
#include "pb-embedding-view.h"
#include "pb-export.h"
#include "pb-format.h"
#include "pb-inspect-view.h"
#include "pb-plot-view.h"
#include "pb-run-item.h"
#include "pb-sweep-view.h"
#include "pb-trainer.h"
#include "pb-uninstalled.h"
#include "pb-window-private.h"

G_DEFINE_TYPE (PbWindow, pb_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_PAUSED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
update_actions (PbWindow *self)
{
  gboolean running = pb_trainer_get_running (self->trainer);
  gboolean paused = pb_trainer_get_paused (self->trainer);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.start",
                                 !running && pb_run_sidebar_get_valid (self->sidebar));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.stop", running);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.pause", running);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.step", running && paused);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.set-lr", running);
  pb_run_sidebar_set_training (self->sidebar, running);
}

static void
show_speed (PbWindow *self)
{
  double spp, pps;
  g_autofree char *text = NULL;

  if (pb_trainer_get_running (self->trainer) &&
      pb_trainer_get_speed (self->trainer, &spp, &pps))
    /* Translators: training speed, e.g. "1.9 ms/pair fwd+bwd · 520 pairs/s" */
    text = g_strdup_printf (_("%.2f ms/pair fwd+bwd · %.0f pairs/s"), 1000 * spp, pps);
  gtk_label_set_label (self->speed_label, text ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->speed_label), text != NULL);
}

/* Between runs the status line says what Start will train, not what was trained last: that
 * run's result stays in its row of the run list. */
static void
show_idle_status (PbWindow *self)
{
  PbTrainSettings s;
  g_autofree char *title = NULL;
  g_autofree char *detail = NULL;
  gboolean any_run = g_list_model_get_n_items (G_LIST_MODEL (self->runs)) > 0;

  if (pb_run_sidebar_get_settings (self->sidebar, &s))
    {
      g_autofree char *params = pb_format_count (pb_arch_param_count (&s.arch));

      if (any_run)
        {
          /* Translators: the run Start will train, e.g. "Next: twin-aux · 142 110 parameters" */
          title = g_strdup_printf (_("Next: %s · %s parameters"), pb_arch_name (&s.arch),
                                   params);
          detail = g_strdup (_("Press Start (Ctrl+Return) to train it; earlier results stay "
                               "in the Runs list"));
        }
      else
        /* Translators: e.g. "Press Start (Ctrl+Return) to train siamese-aux, 71 076 parameters" */
        detail = g_strdup_printf (_("Press Start (Ctrl+Return) to train %s, %s parameters"),
                                  pb_arch_name (&s.arch), params);
    }
  else
    detail = g_strdup (pb_run_sidebar_get_problem (self->sidebar));
  gtk_label_set_label (self->status_label, title ? title : _("Ready"));
  gtk_label_set_label (self->status_detail, detail ? detail : "");
  gtk_progress_bar_set_fraction (self->progress_bar, 0);
  show_speed (self);
}

static void
show_run_status (PbWindow  *self,
                 PbRunItem *item)
{
  guint ne, nb, bpe = pb_run_item_get_batches_per_epoch (item);
  const PbEpochRecord *er = pb_run_item_get_epochs (item, &ne);
  int planned = pb_run_item_get_settings (item)->epochs;
  double elapsed = pb_run_item_get_elapsed (item);
  double total = (double) planned * MAX (bpe, 1);
  double fraction;
  g_autofree char *title = NULL;
  g_autofree char *elapsed_s = pb_format_duration (elapsed);
  g_autofree char *error_s = NULL;
  g_autofree char *detail = NULL;
  g_autofree char *epochs = pb_run_item_format_epoch_progress (item);

  pb_run_item_get_batches (item, &nb);
  fraction = bpe > 0 ? MIN (1.0, nb / total) : 0;
  error_s = ne > 0 ? g_strdup_printf (_("test error %.1f\u00a0%%"), 100 * er[ne - 1].test_error)
                   : g_strdup (_("no test error yet"));

  switch (pb_run_item_get_status (item))
    {
    case PB_RUN_STATUS_RUNNING:
      if (pb_trainer_get_paused (self->trainer))
        {
          /* Translators: "Paused siamese-aux · seed 1 — epoch 3 of 25 in progress, after
           * batch 57" */
          title = g_strdup_printf (_("Paused %s — %s, after batch %u"),
                                   pb_run_item_get_label (item), epochs, nb);
          /* Translators: "Space resumes, → trains one batch · 0:12 elapsed · test error 18.2 %" */
          detail = g_strdup_printf (_("Space resumes, → trains one batch · %s elapsed · %s"),
                                    elapsed_s, error_s);
          break;
        }
      /* Translators: "Training siamese-aux · seed 1 — epoch 3 of 25 in progress" */
      title = g_strdup_printf (_("Training %s — %s"), pb_run_item_get_label (item), epochs);
      if (fraction > 0.001)
        {
          g_autofree char *eta = pb_format_duration (elapsed * (1 - fraction) / fraction);
          /* Translators: "0:12 elapsed · about 1:40 left · test error 18.2 %" */
          detail = g_strdup_printf (_("%s elapsed · about %s left · %s"), elapsed_s, eta, error_s);
        }
      else if (bpe == 0)
        detail = g_strdup_printf (_("%s elapsed · loading the data and drawing the pairs…"),
                                  elapsed_s);
      else
        detail = g_strdup_printf (_("%s elapsed · %s"), elapsed_s, error_s);
      break;
    case PB_RUN_STATUS_FINISHED:
      /* Translators: "Finished siamese-aux · seed 1 — 25 of 25 epochs done" */
      title = g_strdup_printf (_("Finished %s — %s"), pb_run_item_get_label (item), epochs);
      detail = g_strdup_printf (_("%s elapsed · %s"), elapsed_s, error_s);
      fraction = 1;
      break;
    case PB_RUN_STATUS_CANCELLED:
      /* Translators: "Stopped siamese-aux · seed 1 — 4 of 25 epochs done" */
      title = g_strdup_printf (_("Stopped %s — %s"), pb_run_item_get_label (item), epochs);
      detail = g_strdup_printf (_("%s elapsed · %s · what was trained is kept"), elapsed_s,
                                error_s);
      break;
    case PB_RUN_STATUS_FAILED:
      title = g_strdup_printf (_("Failed %s"), pb_run_item_get_label (item));
      detail = g_strdup (pb_run_item_get_message (item));
      break;
    case PB_RUN_STATUS_PENDING:
    default:
      title = g_strdup (pb_run_item_get_label (item));
      break;
    }

  gtk_label_set_label (self->status_label, title);
  gtk_label_set_label (self->status_detail, detail ? detail : "");
  gtk_progress_bar_set_fraction (self->progress_bar, fraction);
  show_speed (self);
}

static void
on_trainer_progress (PbWindow  *self,
                     PbRunItem *item)
{
  show_run_status (self, item);
}

static void
on_error_response (AdwMessageDialog *dialog,
                   const char       *response,
                   PbWindow         *self)
{
  if (g_strcmp0 (response, "preferences") == 0)
    g_action_group_activate_action (G_ACTION_GROUP (gtk_window_get_application (GTK_WINDOW (self))),
                                    "preferences", NULL);
}

static void
show_error (PbWindow   *self,
            const char *heading,
            const char *body,
            gboolean    offer_preferences)
{
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (self), heading, body);

  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  if (offer_preferences)
    {
      adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "preferences",
                                       _("Open _Preferences"));
      adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "preferences",
                                                  ADW_RESPONSE_SUGGESTED);
    }
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "close");
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_error_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
  g_debug ("%s: %s", heading, body);
}

void
_pb_window_show_error (PbWindow   *self,
                       const char *heading,
                       const char *body,
                       gboolean    offer_preferences)
{
  show_error (self, heading, body, offer_preferences);
}

/* Pages report a failure through this action, (heading, message), so that they need not know the
 * window. */
static void
show_error_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  const char *heading, *body;

  g_variant_get (parameter, "(&s&s)", &heading, &body);
  show_error (PB_WINDOW (widget), heading, body, FALSE);
}

static void
on_trainer_finished (PbWindow  *self,
                     PbRunItem *item)
{
  g_autofree char *text = NULL;
  guint ne;
  const PbEpochRecord *er = pb_run_item_get_epochs (item, &ne);
  const char *message = pb_run_item_get_message (item);
  guint nb, pos;

  /* A run that failed before its first batch has nothing to plot; the status line and the
   * dialog say why. */
  pb_run_item_get_batches (item, &nb);
  if (pb_run_item_get_status (item) == PB_RUN_STATUS_FAILED && nb == 0 &&
      g_list_store_find (self->runs, item, &pos))
    g_list_store_remove (self->runs, pos);

  show_run_status (self, item);
  update_actions (self);

  switch (pb_run_item_get_status (item))
    {
    case PB_RUN_STATUS_FINISHED:
      text = g_strdup_printf (_("%s finished: test error %.1f\u00a0%%"),
                              pb_run_item_get_label (item),
                              ne > 0 ? 100 * er[ne - 1].test_error : 0.0);
      break;
    case PB_RUN_STATUS_CANCELLED:
      text = g_strdup_printf (ngettext ("%s stopped after %u epoch", "%s stopped after %u epochs",
                                        ne),
                              pb_run_item_get_label (item), ne);
      break;
    case PB_RUN_STATUS_FAILED:
    default:
      if (pb_run_item_get_core_status (item) == PB_ERR_IO ||
          pb_run_item_get_core_status (item) == PB_ERR_FORMAT)
        show_error (self, _("Could Not Read the MNIST Data"), message, TRUE);
      else if (pb_run_item_get_core_status (item) == PB_ERR_DIVERGED)
        {
          g_autofree char *body =
            g_strdup_printf (_("%s\n\nThe loss became infinite or not a number, so training "
                               "stopped. The curves so far are kept. A lower learning rate "
                               "usually helps."), message);
          show_error (self, _("Training Diverged"), body, FALSE);
        }
      else
        show_error (self, _("Training Failed"), message ? message : "", FALSE);
      return;
    }

  if (pb_run_item_get_run (item) != NULL)
    pb_samples_view_update_runs (self->samples_view);
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (text));
}

static void
start_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  PbWindow *self = PB_WINDOW (widget);
  g_autoptr(PbRunItem) item = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *setting = NULL;
  g_autofree char *data_dir = NULL;
  PbTrainSettings settings;

  if (pb_trainer_get_running (self->trainer) ||
      !pb_run_sidebar_get_settings (self->sidebar, &settings))
    return;
  pb_run_sidebar_commit (self->sidebar);

  item = pb_run_item_new (&settings, self->next_color++);
  setting = g_settings_get_string (self->settings, "data-dir");
  data_dir = pb_resolve_data_dir (setting);
  if (!pb_trainer_start (self->trainer, item, data_dir, &error))
    {
      show_error (self, _("Could Not Start"), error->message, FALSE);
      return;
    }
  g_list_store_append (self->runs, item);
  adw_view_stack_set_visible_child_name (self->stack, "train");
  pb_run_sidebar_set_live_lr (self->sidebar, settings.lr);
  show_run_status (self, item);
  update_actions (self);
}

static void
stop_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  PbWindow *self = PB_WINDOW (widget);

  pb_trainer_stop (self->trainer);
}

static void
step_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  PbWindow *self = PB_WINDOW (widget);

  pb_trainer_step (self->trainer);
}

static void
set_lr_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  PbWindow *self = PB_WINDOW (widget);
  g_autoptr(GError) error = NULL;
  double lr = g_variant_get_double (parameter);
  g_autofree char *text = NULL;

  if (!pb_trainer_set_lr (self->trainer, lr, &error))
    {
      adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (error->message));
      return;
    }
  /* Translators: a toast after a live learning-rate change */
  text = g_strdup_printf (_("Learning rate %g from the next batch on"), (double) (float) lr);
  if (self->lr_toast != NULL)
    adw_toast_dismiss (self->lr_toast);
  g_set_weak_pointer (&self->lr_toast, adw_toast_new (text));
  adw_toast_overlay_add_toast (self->toast_overlay, self->lr_toast);
}

/* Space and → are for typing in a field that has the focus. Otherwise Space pauses while a run
 * trains and → steps while it is paused, even when a button or the curves have the focus (Enter
 * still presses a button), so the window catches them before the focused widget does. */
static gboolean
focus_in_editable (PbWindow *self)
{
  for (GtkWidget *w = gtk_root_get_focus (GTK_ROOT (self)); w != NULL;
       w = gtk_widget_get_parent (w))
    if (GTK_IS_EDITABLE (w))
      return TRUE;
  return FALSE;
}

static gboolean
pause_shortcut (GtkWidget *widget,
                GVariant  *args,
                gpointer   data)
{
  PbWindow *self = PB_WINDOW (widget);

  if (focus_in_editable (self) || !pb_trainer_get_running (self->trainer))
    return FALSE;
  return gtk_widget_activate_action (widget, "win.pause", NULL);
}

static gboolean
step_shortcut (GtkWidget *widget,
               GVariant  *args,
               gpointer   data)
{
  PbWindow *self = PB_WINDOW (widget);

  if (focus_in_editable (self) || !pb_trainer_get_paused (self->trainer))
    return FALSE;
  return gtk_widget_activate_action (widget, "win.step", NULL);
}

static void
on_trainer_paused (PbWindow *self)
{
  PbRunItem *item = pb_trainer_get_item (self->trainer);

  update_actions (self);
  if (item != NULL)
    show_run_status (self, item);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PAUSED]);
}

static void
pb_window_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  PbWindow *self = PB_WINDOW (object);

  switch (prop_id)
    {
    case PROP_PAUSED:
      g_value_set_boolean (value, self->trainer != NULL && pb_trainer_get_paused (self->trainer));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pb_window_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  PbWindow *self = PB_WINDOW (object);

  switch (prop_id)
    {
    case PROP_PAUSED:
      if (g_value_get_boolean (value))
        pb_trainer_pause (self->trainer);
      else
        pb_trainer_resume (self->trainer);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
new_seed_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  PbWindow *self = PB_WINDOW (widget);

  g_settings_set_uint (self->settings, "seed", (guint) g_random_int_range (1, 1000000000));
}

static void
apply_preset (PbWindow   *self,
              const char *name)
{
  g_autoptr(GError) error = NULL;
  const char *text;

  if (!pb_run_sidebar_apply_preset (self->sidebar, name, &error))
    {
      show_error (self, _("Could Not Apply the Preset"), error->message, FALSE);
      return;
    }
  if (g_str_equal (name, "report"))
    text = _("Report settings restored for siamese-aux, seed 1; the rotation is ±10° because "
             "the report gives none");
  else if (g_str_equal (name, "best"))
    text = _("Best settings applied to every control");
  else
    text = _("Preset applied");
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (text));
}

static void
preset_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  apply_preset (PB_WINDOW (widget), g_variant_get_string (parameter, NULL));
}

static void
preset_report_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  apply_preset (PB_WINDOW (widget), "report");
}

static void
on_sidebar_changed (PbWindow *self)
{
  update_actions (self);
  if (!pb_trainer_get_running (self->trainer))
    show_idle_status (self);
}

static void
on_runs_changed (PbWindow *self,
                 guint     position,
                 guint     removed,
                 guint     added)
{
  if (g_list_model_get_n_items (G_LIST_MODEL (self->runs)) == 0 &&
      !pb_trainer_get_running (self->trainer))
    show_idle_status (self);
}

typedef struct
{
  PbWindow *window;
  gboolean dark;
} CurvesFigure;

static void
draw_curves (cairo_t *cr,
             double   width,
             double   height,
             gpointer data)
{
  CurvesFigure *figure = data;
  PbWindow *self = figure->window;
  PbPlotStyle style;

  /* Light (or dark, when asked) whatever the live style; the screen's font. */
  pb_plot_style_init (&style, figure->dark);
  pb_plot_style_set_font_from_widget (&style, GTK_WIDGET (self->loss_view));
  pb_curve_view_draw_with_style (self->loss_view, cr, (int) width, (int) (height / 2), &style);
  cairo_translate (cr, 0, (int) (height / 2));
  pb_curve_view_draw_with_style (self->error_view, cr, (int) width, (int) (height / 2), &style);
}

gboolean
pb_window_export_curves_full (PbWindow    *self,
                              const char  *path,
                              double       width_pt,
                              gboolean     dark,
                              GError     **error)
{
  CurvesFigure figure = { self, dark };

  g_return_val_if_fail (PB_IS_WINDOW (self), FALSE);
  return pb_export_figure (path, width_pt, round (width_pt * 1.1), draw_curves, &figure,
                           _("Training curves"),
                           _("Loss (cross-entropy) and error rates of every shown run against "
                             "the epoch"), error);
}

gboolean
pb_window_export_curves (PbWindow    *self,
                         const char  *path,
                         double       width_pt,
                         GError     **error)
{
  return pb_window_export_curves_full (self, path, width_pt, FALSE, error);
}

static gboolean
pb_window_close_request (GtkWindow *window)
{
  PbWindow *self = PB_WINDOW (window);
  int width, height;

  gtk_window_get_default_size (window, &width, &height);
  g_settings_delay (self->settings);
  g_settings_set_int (self->settings, "window-width", MAX (width, 360));
  g_settings_set_int (self->settings, "window-height", MAX (height, 300));
  g_settings_set_boolean (self->settings, "window-maximized", gtk_window_is_maximized (window));
  g_settings_apply (self->settings);

  pb_trainer_stop (self->trainer);
  pb_sweeper_stop (pb_sweep_view_get_sweeper (self->sweep_view));

  return GTK_WINDOW_CLASS (pb_window_parent_class)->close_request (window);
}

static void
pb_window_dispose (GObject *object)
{
  PbWindow *self = PB_WINDOW (object);

  g_clear_weak_pointer (&self->lr_toast);
  g_clear_weak_pointer (&self->inspect_toast);
  if (self->trainer != NULL)
    g_signal_handlers_disconnect_by_data (self->trainer, self);
  /* Cancels and joins the worker before the widgets it feeds go away. */
  g_clear_object (&self->trainer);
  if (self->runs != NULL)
    g_signal_handlers_disconnect_by_data (self->runs, self);
  gtk_widget_dispose_template (GTK_WIDGET (self), PB_TYPE_WINDOW);
  g_clear_object (&self->runs);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (pb_window_parent_class)->dispose (object);
}

static void
embed_comparison_action (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *parameter)
{
  PbWindow *self = PB_WINDOW (widget);
  g_autoptr(GError) error = NULL;

  adw_view_stack_set_visible_child_name (self->stack, "embedding");
  if (!pb_embedding_view_embed_comparison (self->embedding_view, &error))
    show_error (self, _("Could Not Map the Comparison"), error->message, FALSE);
}

static void
show_inspect_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  adw_view_stack_set_visible_child_name (PB_WINDOW (widget)->stack, "inspect");
}

/* A point picked on the map opens in Inspect at once, but the map stays in front: the user is
 * usually walking through neighbours, and the toast's button switches when they want to look. */
static void
embedding_inspect_pair (PbWindow  *self,
                        PbRunItem *run,
                        int        index)
{
  AdwToast *toast;
  g_autofree char *title = NULL;

  pb_inspect_view_show_pair (self->inspect_view, run, index);
  if (self->inspect_toast != NULL)
    adw_toast_dismiss (self->inspect_toast);
  /* Translators: a toast after selecting a point on the t-SNE map */
  title = g_strdup_printf (_("Test pair %d is open in Inspect"), index);
  toast = adw_toast_new (title);
  adw_toast_set_button_label (toast, _("Show"));
  adw_toast_set_action_name (toast, "win.show-inspect");
  g_set_weak_pointer (&self->inspect_toast, toast);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

/* "Use These Settings" on the Sweep page: the trial's settings go into the sidebar (through
 * GSettings, as a preset does), and the Train page comes to the front to train them. */
static void
use_sweep_settings (PbWindow              *self,
                    const PbTrainSettings *settings,
                    int                    trial)
{
  g_autofree char *text = NULL;

  pb_run_sidebar_apply_settings (self->sidebar, settings);
  adw_view_stack_set_visible_child_name (self->stack, "train");
  /* Translators: a toast; %d is a sweep's trial number */
  text = g_strdup_printf (_("The settings of sweep trial %d are in the sidebar"), trial + 1);
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (text));
}

static void
pb_window_class_init (PbWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = pb_window_dispose;
  object_class->get_property = pb_window_get_property;
  object_class->set_property = pb_window_set_property;
  window_class->close_request = pb_window_close_request;

  /* Whether the run in training is held between batches (the win.pause action). */
  properties[PROP_PAUSED] =
    g_param_spec_boolean ("paused", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (PB_TYPE_RUN_SIDEBAR);
  g_type_ensure (PB_TYPE_CURVE_VIEW);
  g_type_ensure (PB_TYPE_RUN_LIST);
  g_type_ensure (PB_TYPE_SAMPLES_VIEW);
  g_type_ensure (PB_TYPE_COMPARE_PAGE);
  g_type_ensure (PB_TYPE_SWEEP_VIEW);
  g_type_ensure (PB_TYPE_EMBEDDING_VIEW);
  g_type_ensure (PB_TYPE_INSPECT_VIEW);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/pairbench/Pairbench/pb-window.ui");
  gtk_widget_class_bind_template_child (widget_class, PbWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, PbWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, PbWindow, sidebar);
  gtk_widget_class_bind_template_child (widget_class, PbWindow, status_label);
  gtk_widget_class_bind_template_child (widget_class, PbWindow, status_detail);
  gtk_widget_class_bind_template_child (widget_class, PbWindow, speed_label);
  gtk_widget_class_bind_template_child (widget_class, PbWindow, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, PbWindow, log_toggle);
  gtk_widget_class_bind_template_child (widget_class, PbWindow, smoothing_adjustment);
  gtk_widget_class_bind_template_child (widget_class, PbWindow, loss_view);
  gtk_widget_class_bind_template_child (widget_class, PbWindow, error_view);
  gtk_widget_class_bind_template_child (widget_class, PbWindow, run_list);
  gtk_widget_class_bind_template_child (widget_class, PbWindow, samples_view);
  gtk_widget_class_bind_template_child (widget_class, PbWindow, compare_page);
  gtk_widget_class_bind_template_child (widget_class, PbWindow, sweep_view);
  gtk_widget_class_bind_template_child (widget_class, PbWindow, embedding_view);
  gtk_widget_class_bind_template_child (widget_class, PbWindow, inspect_view);

  gtk_widget_class_install_action (widget_class, "win.start", NULL, start_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Return, GDK_CONTROL_MASK,
                                       "win.start", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Enter, GDK_CONTROL_MASK,
                                       "win.start", NULL);
  gtk_widget_class_install_action (widget_class, "win.stop", NULL, stop_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "win.stop", NULL);
  gtk_widget_class_install_property_action (widget_class, "win.pause", "paused");
  gtk_widget_class_install_action (widget_class, "win.step", NULL, step_action);
  gtk_widget_class_install_action (widget_class, "win.set-lr", "d", set_lr_action);
  gtk_widget_class_install_action (widget_class, "win.new-seed", NULL, new_seed_action);
  gtk_widget_class_install_action (widget_class, "win.show-inspect", NULL, show_inspect_action);
  gtk_widget_class_install_action (widget_class, "win.preset-report", NULL, preset_report_action);
  gtk_widget_class_install_action (widget_class, "win.preset", "s", preset_action);
  gtk_widget_class_install_action (widget_class, "win.show-error", "(ss)", show_error_action);
  _pb_window_class_init_export (widget_class);
  gtk_widget_class_install_action (widget_class, "win.embed-comparison", NULL,
                                   embed_comparison_action);
}

static void
pb_window_init (PbWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  if (g_strcmp0 (PB_PROFILE, "development") == 0)
    gtk_widget_add_css_class (GTK_WIDGET (self), "devel");

  self->settings = g_settings_new (PB_SCHEMA_ID);
  self->runs = g_list_store_new (PB_TYPE_RUN_ITEM);
  self->trainer = pb_trainer_new ();

  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));

  pb_curve_view_set_model (self->loss_view, G_LIST_MODEL (self->runs));
  pb_curve_view_set_model (self->error_view, G_LIST_MODEL (self->runs));
  pb_run_list_set_model (self->run_list, self->runs);
  pb_embedding_view_set_runs (self->embedding_view, G_LIST_MODEL (self->runs));
  pb_embedding_view_set_comparison (self->embedding_view,
                                    pb_compare_page_get_comparison (self->compare_page));
  pb_inspect_view_set_runs (self->inspect_view, G_LIST_MODEL (self->runs));
  pb_samples_view_set_runs (self->samples_view, G_LIST_MODEL (self->runs));
  pb_compare_page_set_runs (self->compare_page, G_LIST_MODEL (self->runs));
  g_signal_connect_swapped (self->embedding_view, "inspect-pair",
                            G_CALLBACK (embedding_inspect_pair), self);
  g_signal_connect_swapped (self->sweep_view, "use-settings", G_CALLBACK (use_sweep_settings),
                            self);
  g_signal_connect_swapped (self->samples_view, "inspect-pair", G_CALLBACK (pb_window_inspect_pair),
                            self);
  g_object_bind_property (self->loss_view, "hover-epoch", self->error_view, "hover-epoch",
                          G_BINDING_BIDIRECTIONAL);
  g_settings_bind (self->settings, "log-scale", self->log_toggle, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_object_bind_property (self->log_toggle, "active", self->loss_view, "log-scale",
                          G_BINDING_SYNC_CREATE);
  /* The curve options live in GSettings; the views and the Curves popover follow it. */
  g_settings_bind (self->settings, "curve-smoothing", self->smoothing_adjustment, "value",
                   G_SETTINGS_BIND_DEFAULT);
  for (guint i = 0; i < 2; i++)
    {
      PbCurveView *view = i == 0 ? self->loss_view : self->error_view;

      g_settings_bind (self->settings, "curve-smoothing", view, "smoothing",
                       G_SETTINGS_BIND_GET);
      g_settings_bind (self->settings, "curve-x-axis", view, "x-axis", G_SETTINGS_BIND_GET);
      g_settings_bind (self->settings, "curve-ignore-outliers", view, "ignore-outliers",
                       G_SETTINGS_BIND_GET);
    }
  {
    g_autoptr(GAction) x_axis = g_settings_create_action (self->settings, "curve-x-axis");
    g_autoptr(GAction) outliers = g_settings_create_action (self->settings,
                                                           "curve-ignore-outliers");

    g_action_map_add_action (G_ACTION_MAP (self), x_axis);
    g_action_map_add_action (G_ACTION_MAP (self), outliers);
  }

  {
    GtkEventController *keys = gtk_shortcut_controller_new ();
    struct { guint keyval; GtkShortcutFunc func; } run_keys[] = {
      { GDK_KEY_space, pause_shortcut }, { GDK_KEY_KP_Space, pause_shortcut },
      { GDK_KEY_Right, step_shortcut }, { GDK_KEY_KP_Right, step_shortcut },
    };

    gtk_event_controller_set_propagation_phase (keys, GTK_PHASE_CAPTURE);
    for (guint i = 0; i < G_N_ELEMENTS (run_keys); i++)
      gtk_shortcut_controller_add_shortcut (
        GTK_SHORTCUT_CONTROLLER (keys),
        gtk_shortcut_new (gtk_keyval_trigger_new (run_keys[i].keyval, 0),
                          gtk_callback_action_new (run_keys[i].func, NULL, NULL)));
    gtk_widget_add_controller (GTK_WIDGET (self), keys);
  }

  g_signal_connect_swapped (self->trainer, "progress", G_CALLBACK (on_trainer_progress), self);
  g_signal_connect_swapped (self->trainer, "finished", G_CALLBACK (on_trainer_finished), self);
  g_signal_connect_swapped (self->trainer, "notify::paused", G_CALLBACK (on_trainer_paused),
                            self);
  g_signal_connect_swapped (self->sidebar, "notify::valid", G_CALLBACK (on_sidebar_changed), self);
  g_signal_connect_swapped (self->sidebar, "changed", G_CALLBACK (on_sidebar_changed), self);
  g_signal_connect_swapped (self->sidebar, "notify::problem", G_CALLBACK (on_sidebar_changed),
                            self);
  g_signal_connect_swapped (self->runs, "items-changed", G_CALLBACK (on_runs_changed), self);

  show_idle_status (self);
  update_actions (self);
}

PbWindow *
pb_window_new (GtkApplication *application)
{
  return g_object_new (PB_TYPE_WINDOW, "application", application, NULL);
}

GListModel *
pb_window_get_runs (PbWindow *self)
{
  g_return_val_if_fail (PB_IS_WINDOW (self), NULL);
  return G_LIST_MODEL (self->runs);
}

PbTrainer *
pb_window_get_trainer (PbWindow *self)
{
  g_return_val_if_fail (PB_IS_WINDOW (self), NULL);
  return self->trainer;
}

PbCurveView *
pb_window_get_curve_view (PbWindow    *self,
                          PbCurveKind  kind)
{
  g_return_val_if_fail (PB_IS_WINDOW (self), NULL);
  return kind == PB_CURVE_KIND_LOSS ? self->loss_view : self->error_view;
}

const char *
pb_window_get_status_text (PbWindow *self)
{
  g_return_val_if_fail (PB_IS_WINDOW (self), NULL);
  return gtk_label_get_label (self->status_label);
}

const char *
pb_window_get_problem (PbWindow *self)
{
  g_return_val_if_fail (PB_IS_WINDOW (self), NULL);
  return pb_run_sidebar_get_problem (self->sidebar);
}

PbEmbeddingView *
pb_window_get_embedding_view (PbWindow *self)
{
  g_return_val_if_fail (PB_IS_WINDOW (self), NULL);
  return self->embedding_view;
}

PbComparePage *
pb_window_get_compare_page (PbWindow *self)
{
  g_return_val_if_fail (PB_IS_WINDOW (self), NULL);
  return self->compare_page;
}

PbSweepView *
pb_window_get_sweep_view (PbWindow *self)
{
  g_return_val_if_fail (PB_IS_WINDOW (self), NULL);
  return self->sweep_view;
}

void
pb_window_inspect_pair (PbWindow  *self,
                        PbRunItem *run,
                        int        index)
{
  g_return_if_fail (PB_IS_WINDOW (self));
  g_return_if_fail (PB_IS_RUN_ITEM (run));

  adw_view_stack_set_visible_child_name (self->stack, "inspect");
  pb_inspect_view_show_pair (self->inspect_view, run, index);
}

PbInspectView *
pb_window_get_inspect_view (PbWindow *self)
{
  g_return_val_if_fail (PB_IS_WINDOW (self), NULL);
  return self->inspect_view;
}
