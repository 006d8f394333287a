/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pb-run-sidebar"

#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <glib/gi18n.h>
#include <adwaita.h>

#include "pb-arch-diagram.h"
#include "pb-core-error.h"
#include "pb-format.h"
#include "pb-run-sidebar.h"
#include "pb-train-settings.h"
#include "pb-user-presets.h"
#include "pb-style.h"

struct _PbRunSidebar
{
  GtkWidget parent_instance;

  GSettings *settings;
  char *problem;
  gboolean valid;
  gsize param_count;

  GtkWidget *scroller;
  AdwActionRow *sharing_row;
  GtkSwitch *sharing_switch;
  GtkSwitch *stacked_switch;
  GtkSwitch *aux_switch;
  AdwActionRow *aux_weight_row;
  GtkSpinButton *aux_weight_spin;
  PbArchDiagram *diagram;
  GtkSpinButton *epochs_spin;
  GtkSpinButton *batch_spin;
  GtkSpinButton *lr_spin;
  GtkSpinButton *train_pairs_spin;
  GtkSpinButton *test_pairs_spin;
  GtkSpinButton *angle_spin;
  GtkSpinButton *seed_spin;
  GtkLabel *param_label;
  AdwPreferencesGroup *arch_group;
  AdwPreferencesGroup *decision_group;
  AdwExpanderRow *conv_expander;
  AdwExpanderRow *hidden_expander;
  GtkSpinButton *kernel_spin;
  GtkSpinButton *ch_spin[PB_N_CONV];
  GtkSpinButton *pad_spin[PB_N_CONV];
  GtkSwitch *bn_switch;
  GtkSpinButton *hidden_spin;
  AdwComboRow *act_combo;
  GtkSpinButton *dropout_spin;
  AdwComboRow *rule_combo;
  AdwComboRow *schedule_combo;
  GtkSpinButton *decay_spin;
  GtkSpinButton *val_pairs_spin;
  GtkSpinButton *translate_spin;
  GtkSpinButton *scale_spin;
  GtkSpinButton *shear_spin;
  GtkSwitch *swap_switch;
  GtkSwitch *repair_switch;
  GtkLabel *problem_label;
  GtkLabel *next_run_label;
  GtkWidget *live_box;
  GtkWidget *stop_button;
  GtkToggleButton *pause_button;
  AdwButtonContent *pause_content;
  GtkSpinButton *live_lr_spin;
  GtkMenuButton *presets_button;
  GMenu *user_presets;
};

G_DEFINE_TYPE (PbRunSidebar, pb_run_sidebar, GTK_TYPE_WIDGET)

static void on_presets_button_active (PbRunSidebar *self);

/* The largest of the report's six models has about 72 000 parameters; it compares them at a
 * similar size. */
#define REPORT_PARAM_BUDGET 75000

/* The enum keys' nicks, in the order of their combo rows' items and of the core's enums. */
static const char *const hidden_act_nicks[] = { "none", "relu", NULL };
static const char *const rule_nicks[] = { "head", "posterior", "both", NULL };
static const char *const schedule_nicks[] = { "constant", "cosine", NULL };

enum {
  PROP_0,
  PROP_VALID,
  PROP_PROBLEM,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* Accepts either decimal separator, so that "0,001" and "0.001" both work whatever the
 * locale. */
static gboolean
parse_number (const char *text,
              double     *value)
{
  g_autofree char *copy = g_strstrip (g_strdup (text));
  char *end = NULL;

  g_strdelimit (copy, ",", '.');
  *value = g_ascii_strtod (copy, &end);
  return copy[0] != '\0' && end != NULL && *end == '\0' && isfinite (*value);
}

/* GtkSpinButton's own parser would reject "0,15" and leave GSettings at the old value while
 * the run takes the typed one. */
static int
on_spin_input (GtkSpinButton *spin,
               double        *value)
{
  return parse_number (gtk_editable_get_text (GTK_EDITABLE (spin)), value) ? TRUE
                                                                            : GTK_INPUT_ERROR;
}

static gboolean
parse_field (GtkSpinButton  *spin,
             const char     *name,
             gboolean        integer,
             double         *value,
             char          **problem)
{
  GtkAdjustment *adj = gtk_spin_button_get_adjustment (spin);
  double lower = gtk_adjustment_get_lower (adj);
  double upper = gtk_adjustment_get_upper (adj);
  double v;

  if (!parse_number (gtk_editable_get_text (GTK_EDITABLE (spin)), &v) ||
      (integer && v != floor (v)) || v < lower - 1e-12 || v > upper + 1e-12)
    {
      if (integer)
        /* Translators: e.g. "Epochs: enter a whole number from 1 to 1000" */
        *problem = g_strdup_printf (_("%s: enter a whole number from %.0f to %.0f"), name,
                                    lower, upper);
      else
        /* Translators: e.g. "Learning rate: enter a number from 1e-06 to 1" */
        *problem = g_strdup_printf (_("%s: enter a number from %g to %g"), name, lower, upper);
      gtk_widget_add_css_class (GTK_WIDGET (spin), "error");
      return FALSE;
    }
  gtk_widget_remove_css_class (GTK_WIDGET (spin), "error");
  *value = v;
  return TRUE;
}

static const char *
model_name (PbRunSidebar *self)
{
  gboolean aux = gtk_switch_get_active (self->aux_switch);

  if (gtk_switch_get_active (self->stacked_switch))
    return aux ? "stacked-aux" : "stacked";
  if (gtk_switch_get_active (self->sharing_switch))
    return aux ? "siamese-aux" : "siamese";
  return aux ? "twin-aux" : "twin";
}

typedef struct
{
  double aux_weight, kernel, channels[PB_N_CONV], padding[PB_N_CONV], hidden, dropout;
  double epochs, batch, lr, decay, train_pairs, val_pairs, test_pairs, angle, translate, seed;
  double scale, shear;
  gboolean arch_ok;  /* every field of the architecture parsed */
} Fields;

/* Parses every field, so that each one shows its own error state; the first problem wins. */
static gboolean
parse_fields (PbRunSidebar  *self,
              Fields        *v,
              char         **problem)
{
  struct { GtkSpinButton *spin; const char *name; gboolean integer; double *v; gboolean arch; } f[] = {
    { self->aux_weight_spin, _("Auxiliary weight"), FALSE, &v->aux_weight, TRUE },
    { self->kernel_spin, _("Kernel size"), TRUE, &v->kernel, TRUE },
    { self->ch_spin[0], _("Layer 1 channels"), TRUE, &v->channels[0], TRUE },
    { self->ch_spin[1], _("Layer 2 channels"), TRUE, &v->channels[1], TRUE },
    { self->ch_spin[2], _("Layer 3 channels"), TRUE, &v->channels[2], TRUE },
    { self->pad_spin[0], _("Layer 1 padding"), TRUE, &v->padding[0], TRUE },
    { self->pad_spin[1], _("Layer 2 padding"), TRUE, &v->padding[1], TRUE },
    { self->pad_spin[2], _("Layer 3 padding"), TRUE, &v->padding[2], TRUE },
    { self->hidden_spin, _("Hidden width"), TRUE, &v->hidden, TRUE },
    { self->dropout_spin, _("Dropout"), FALSE, &v->dropout, TRUE },
    { self->epochs_spin, _("Epochs"), TRUE, &v->epochs, FALSE },
    { self->batch_spin, _("Batch size"), TRUE, &v->batch, FALSE },
    { self->train_pairs_spin, _("Training pairs"), TRUE, &v->train_pairs, FALSE },
    { self->test_pairs_spin, _("Test pairs"), TRUE, &v->test_pairs, FALSE },
    { self->val_pairs_spin, _("Validation pairs"), TRUE, &v->val_pairs, FALSE },
    { self->seed_spin, _("Seed"), TRUE, &v->seed, FALSE },
    { self->lr_spin, _("Learning rate"), FALSE, &v->lr, FALSE },
    { self->decay_spin, _("Weight decay"), FALSE, &v->decay, FALSE },
    { self->angle_spin, _("Rotation"), FALSE, &v->angle, FALSE },
    { self->translate_spin, _("Translation"), TRUE, &v->translate, FALSE },
    { self->scale_spin, _("Scale"), FALSE, &v->scale, FALSE },
    { self->shear_spin, _("Shear"), FALSE, &v->shear, FALSE },
  };
  g_autofree char *p = NULL;
  gboolean ok = TRUE;

  v->arch_ok = TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (f); i++)
    {
      g_autofree char *q = NULL;
      if (!parse_field (f[i].spin, f[i].name, f[i].integer, f[i].v, &q))
        {
          ok = FALSE;
          v->arch_ok = v->arch_ok && !f[i].arch;
          if (p == NULL)
            p = g_steal_pointer (&q);
        }
    }
  *problem = g_steal_pointer (&p);
  return ok;
}

static guint
combo_selected (AdwComboRow *combo)
{
  guint selected = adw_combo_row_get_selected (combo);

  return selected == GTK_INVALID_LIST_POSITION ? 0 : selected;
}

/* The architecture the controls show; needs v->arch_ok. */
static void
fill_arch (PbRunSidebar *self,
           const Fields *v,
           PbArch       *arch)
{
  PbError err;

  if (pb_arch_from_name (model_name (self), arch, &err) != PB_OK)
    g_return_if_reached ();
  arch->aux_weight = (float) v->aux_weight;
  arch->kernel = (int) v->kernel;
  for (int l = 0; l < PB_N_CONV; l++)
    {
      arch->channels[l] = (int) v->channels[l];
      arch->padding[l] = (int) v->padding[l];
    }
  arch->batch_norm = gtk_switch_get_active (self->bn_switch);
  arch->hidden = (int) v->hidden;
  arch->hidden_act = (PbHiddenAct) combo_selected (self->act_combo);
  arch->dropout = (float) v->dropout;
  arch->rule = (PbRule) combo_selected (self->rule_combo);
}

/* Validates every field; fills out when all are valid, and arch (may be NULL) whenever the
 * architecture's own fields are valid (arch->kernel is 0 otherwise). */
static gboolean
collect (PbRunSidebar     *self,
         PbTrainSettings  *out,
         PbArch           *arch,
         char            **problem)
{
  PbTrainSettings s;
  PbError err = { { 0 } };
  Fields v;
  gboolean parsed = parse_fields (self, &v, problem);

  if (pb_train_settings_init (&s, model_name (self), &err) != PB_OK)
    {
      g_free (*problem);
      *problem = g_strdup (err.message);
      return FALSE;
    }
  if (v.arch_ok)
    fill_arch (self, &v, &s.arch);
  if (arch != NULL)
    {
      *arch = s.arch;
      if (!v.arch_ok || pb_arch_validate (&s.arch, NULL) != PB_OK)
        arch->kernel = 0;
    }
  if (!parsed)
    return FALSE;

  s.epochs = (int) v.epochs;
  s.batch = (int) v.batch;
  s.lr = (float) v.lr;
  s.schedule = (PbSchedule) combo_selected (self->schedule_combo);
  s.weight_decay = (float) v.decay;
  s.train_pairs = (int) v.train_pairs;
  s.val_pairs = (int) v.val_pairs;
  s.test_pairs = (int) v.test_pairs;
  s.augment_deg = (float) v.angle;
  s.translate = (int) v.translate;
  s.scale = (float) v.scale;
  s.shear = (float) v.shear;
  s.swap = gtk_switch_get_active (self->swap_switch);
  s.repair = gtk_switch_get_active (self->repair_switch);
  s.seed = (guint64) v.seed;

  if (s.val_pairs >= s.train_pairs)
    {
      *problem = g_strdup (_("Validation pairs: fewer than the training pairs"));
      gtk_widget_add_css_class (GTK_WIDGET (self->val_pairs_spin), "error");
      return FALSE;
    }
  if (s.batch > s.train_pairs - s.val_pairs)
    {
      *problem = s.val_pairs > 0
                   ? g_strdup (_("Batch size: at most the training pairs left after the "
                                 "validation split"))
                   : g_strdup (_("Batch size: at most the number of training pairs"));
      gtk_widget_add_css_class (GTK_WIDGET (self->batch_spin), "error");
      return FALSE;
    }
  if (pb_train_settings_validate (&s, &err) != PB_OK)
    {
      *problem = g_strdup (err.message);
      return FALSE;
    }
  if (out != NULL)
    *out = s;
  return TRUE;
}

static void
update_summaries (PbRunSidebar *self,
                  const PbArch *arch)
{
  g_autofree char *conv = NULL;
  g_autofree char *hidden = NULL;
  g_autofree char *count = NULL;
  g_autofree char *dropout = NULL;
  static const char *const rule_subtitles[] = {
    N_("The learned linear head on the 20 digit logits"),
    N_("P(first > second) from the two digit softmaxes; no head to learn"),
    N_("The average of the head’s and the posterior’s probabilities"),
  };
  guint rule = combo_selected (self->rule_combo);
  gboolean over;

  adw_preferences_group_set_description (self->decision_group,
                                         _(rule_subtitles[MIN (rule, G_N_ELEMENTS (rule_subtitles) - 1)]));
  if (arch->kernel == 0)
    {
      gtk_label_set_label (self->param_label, "—");
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->param_label), NULL);
      gtk_widget_remove_css_class (GTK_WIDGET (self->param_label), "warning");
      gtk_widget_add_css_class (GTK_WIDGET (self->param_label), "dim-label");
      adw_preferences_group_set_description (self->arch_group, NULL);
      return;
    }

  /* Translators: a summary of the convolutions, e.g.
   * "Kernel 2, channels 16·64·128, padding 0·1·1, batch norm" */
  conv = g_strdup_printf (arch->batch_norm
                            ? _("Kernel %d, channels %d·%d·%d, padding %d·%d·%d, batch norm")
                            : _("Kernel %d, channels %d·%d·%d, padding %d·%d·%d, no batch "
                                "norm"),
                          arch->kernel, arch->channels[0], arch->channels[1], arch->channels[2],
                          arch->padding[0], arch->padding[1], arch->padding[2]);
  adw_expander_row_set_subtitle (self->conv_expander, conv);
  dropout = arch->dropout > 0 ? g_strdup_printf (_("dropout %g"), (double) arch->dropout)
                              : g_strdup (_("no dropout"));
  /* Translators: a summary of the hidden layer, e.g. "64 units, ReLU, dropout 0.2" */
  hidden = g_strdup_printf (_("%d units, %s, %s"), arch->hidden,
                            arch->hidden_act == PB_HIDDEN_RELU ? _("ReLU") : _("no activation"),
                            dropout);
  adw_expander_row_set_subtitle (self->hidden_expander, hidden);

  self->param_count = pb_arch_param_count (arch);
  count = pb_format_count (self->param_count);
  {
    /* Translators: the live parameter count, e.g. "71 076 parameters" */
    g_autofree char *text = g_strdup_printf (_("%s parameters"), count);
    gtk_label_set_label (self->param_label, text);
  }
  over = self->param_count > REPORT_PARAM_BUDGET;
  if (over)
    {
      g_autofree char *budget = pb_format_count (REPORT_PARAM_BUDGET);
      /* Translators: %s is 75 000; the report's models all stay under it */
      g_autofree char *note = g_strdup_printf (_("Over the report’s budget of %s"), budget);
      gtk_widget_remove_css_class (GTK_WIDGET (self->param_label), "dim-label");
      gtk_widget_add_css_class (GTK_WIDGET (self->param_label), "warning");
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->param_label), note);
      adw_preferences_group_set_description (self->arch_group, note);
    }
  else
    {
      gtk_widget_remove_css_class (GTK_WIDGET (self->param_label), "warning");
      gtk_widget_add_css_class (GTK_WIDGET (self->param_label), "dim-label");
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->param_label),
                                   _("Trainable parameters of these settings"));
      adw_preferences_group_set_description (self->arch_group, NULL);
    }
  pb_arch_diagram_set_arch (self->diagram, arch);
}

static void
revalidate (PbRunSidebar *self)
{
  g_autofree char *problem = NULL;
  PbArch arch = { .kernel = 0 };
  gboolean valid = collect (self, NULL, &arch, &problem);

  if (arch.kernel == 0)
    self->param_count = 0;
  update_summaries (self, &arch);

  gtk_label_set_label (self->problem_label, problem ? problem : "");
  gtk_widget_set_visible (GTK_WIDGET (self->problem_label), !valid);

  if (g_strcmp0 (problem, self->problem) != 0)
    {
      g_free (self->problem);
      self->problem = g_steal_pointer (&problem);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROBLEM]);
    }
  if (self->valid != valid)
    {
      self->valid = valid;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VALID]);
    }
  g_signal_emit (self, signals[CHANGED], 0);
}

static void
on_value_changed (PbRunSidebar *self)
{
  revalidate (self);
}

static void
on_arch_changed (PbRunSidebar *self)
{
  gboolean stacked = gtk_switch_get_active (self->stacked_switch);

  gtk_widget_set_sensitive (GTK_WIDGET (self->sharing_row), !stacked);
  gtk_widget_set_sensitive (GTK_WIDGET (self->aux_weight_row),
                            gtk_switch_get_active (self->aux_switch));
  adw_action_row_set_subtitle (self->sharing_row,
                               gtk_switch_get_active (self->sharing_switch)
                                 ? _("Siamese: one trunk reads both images")
                                 : _("Twin: each image has its own trunk"));

  revalidate (self);
}

static void
on_pause_toggled (PbRunSidebar *self)
{
  gboolean paused = gtk_toggle_button_get_active (self->pause_button);

  adw_button_content_set_label (self->pause_content, paused ? _("_Resume") : _("_Pause"));
  adw_button_content_set_icon_name (self->pause_content,
                                    paused ? "media-playback-start-symbolic"
                                           : "media-playback-pause-symbolic");
}

static void
on_live_lr_apply (PbRunSidebar *self)
{
  g_autofree char *problem = NULL;
  double lr;

  if (!parse_field (self->live_lr_spin, _("Learning rate"), FALSE, &lr, &problem))
    {
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->live_lr_spin), problem);
      gtk_widget_error_bell (GTK_WIDGET (self->live_lr_spin));
      return;
    }
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->live_lr_spin), NULL);
  gtk_widget_activate_action (GTK_WIDGET (self), "win.set-lr", "d", lr);
}

static void
pb_run_sidebar_dispose (GObject *object)
{
  PbRunSidebar *self = PB_RUN_SIDEBAR (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), PB_TYPE_RUN_SIDEBAR);
  /* Template children without an id are not unparented by dispose_template in GTK 4.8. */
  for (GtkWidget *child; (child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL;)
    gtk_widget_unparent (child);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (pb_run_sidebar_parent_class)->dispose (object);
}

static void
pb_run_sidebar_finalize (GObject *object)
{
  PbRunSidebar *self = PB_RUN_SIDEBAR (object);

  g_free (self->problem);

  G_OBJECT_CLASS (pb_run_sidebar_parent_class)->finalize (object);
}

static void
pb_run_sidebar_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  PbRunSidebar *self = PB_RUN_SIDEBAR (object);

  switch (prop_id)
    {
    case PROP_VALID:
      g_value_set_boolean (value, self->valid);
      break;
    case PROP_PROBLEM:
      g_value_set_string (value, self->problem);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pb_run_sidebar_class_init (PbRunSidebarClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pb_run_sidebar_dispose;
  object_class->finalize = pb_run_sidebar_finalize;
  object_class->get_property = pb_run_sidebar_get_property;

  properties[PROP_VALID] =
    g_param_spec_boolean ("valid", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_PROBLEM] =
    g_param_spec_string ("problem", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* Any control changed (the model named in the status line, its parameter count). */
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                   NULL, NULL, NULL, G_TYPE_NONE, 0);

  g_type_ensure (PB_TYPE_ARCH_DIAGRAM);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/pairbench/Pairbench/pb-run-sidebar.ui");
  gtk_widget_class_bind_template_child (widget_class, PbRunSidebar, presets_button);
  gtk_widget_class_bind_template_child (widget_class, PbRunSidebar, user_presets);
  gtk_widget_class_bind_template_child (widget_class, PbRunSidebar, scroller);
  gtk_widget_class_bind_template_child (widget_class, PbRunSidebar, sharing_row);
  gtk_widget_class_bind_template_child (widget_class, PbRunSidebar, sharing_switch);
  gtk_widget_class_bind_template_child (widget_class, PbRunSidebar, stacked_switch);
  gtk_widget_class_bind_template_child (widget_class, PbRunSidebar, aux_switch);
  gtk_widget_class_bind_template_child (widget_class, PbRunSidebar, aux_weight_row);
  gtk_widget_class_bind_template_child (widget_class, PbRunSidebar, aux_weight_spin);
  gtk_widget_class_bind_template_child (widget_class, PbRunSidebar, diagram);
  gtk_widget_class_bind_template_child (widget_class, PbRunSidebar, epochs_spin);
  gtk_widget_class_bind_template_child (widget_class, PbRunSidebar, batch_spin);
  gtk_widget_class_bind_template_child (widget_class, PbRunSidebar, lr_spin);
  gtk_widget_class_bind_template_child (widget_class, PbRunSidebar, train_pairs_spin);
  gtk_widget_class_bind_template_child (widget_class, PbRunSidebar, test_pairs_spin);
  gtk_widget_class_bind_template_child (widget_class, PbRunSidebar, angle_spin);
  gtk_widget_class_bind_template_child (widget_class, PbRunSidebar, seed_spin);
  gtk_widget_class_bind_template_child (widget_class, PbRunSidebar, param_label);
  gtk_widget_class_bind_template_child (widget_class, PbRunSidebar, arch_group);
  gtk_widget_class_bind_template_child (widget_class, PbRunSidebar, decision_group);
  gtk_widget_class_bind_template_child (widget_class, PbRunSidebar, conv_expander);
  gtk_widget_class_bind_template_child (widget_class, PbRunSidebar, hidden_expander);
  gtk_widget_class_bind_template_child (widget_class, PbRunSidebar, kernel_spin);
  for (int l = 0; l < PB_N_CONV; l++)
    {
      g_autofree char *ch = g_strdup_printf ("ch%d_spin", l + 1);
      g_autofree char *pad = g_strdup_printf ("pad%d_spin", l + 1);
      gtk_widget_class_bind_template_child_full (widget_class, ch, FALSE,
                                                 G_STRUCT_OFFSET (PbRunSidebar, ch_spin[l]));
      gtk_widget_class_bind_template_child_full (widget_class, pad, FALSE,
                                                 G_STRUCT_OFFSET (PbRunSidebar, pad_spin[l]));
    }
  gtk_widget_class_bind_template_child (widget_class, PbRunSidebar, bn_switch);
  gtk_widget_class_bind_template_child (widget_class, PbRunSidebar, hidden_spin);
  gtk_widget_class_bind_template_child (widget_class, PbRunSidebar, act_combo);
  gtk_widget_class_bind_template_child (widget_class, PbRunSidebar, dropout_spin);
  gtk_widget_class_bind_template_child (widget_class, PbRunSidebar, rule_combo);
  gtk_widget_class_bind_template_child (widget_class, PbRunSidebar, schedule_combo);
  gtk_widget_class_bind_template_child (widget_class, PbRunSidebar, decay_spin);
  gtk_widget_class_bind_template_child (widget_class, PbRunSidebar, val_pairs_spin);
  gtk_widget_class_bind_template_child (widget_class, PbRunSidebar, translate_spin);
  gtk_widget_class_bind_template_child (widget_class, PbRunSidebar, scale_spin);
  gtk_widget_class_bind_template_child (widget_class, PbRunSidebar, shear_spin);
  gtk_widget_class_bind_template_child (widget_class, PbRunSidebar, swap_switch);
  gtk_widget_class_bind_template_child (widget_class, PbRunSidebar, repair_switch);
  gtk_widget_class_bind_template_child (widget_class, PbRunSidebar, problem_label);
  gtk_widget_class_bind_template_child (widget_class, PbRunSidebar, next_run_label);
  gtk_widget_class_bind_template_child (widget_class, PbRunSidebar, live_box);
  gtk_widget_class_bind_template_child (widget_class, PbRunSidebar, stop_button);
  gtk_widget_class_bind_template_child (widget_class, PbRunSidebar, pause_button);
  gtk_widget_class_bind_template_child (widget_class, PbRunSidebar, pause_content);
  gtk_widget_class_bind_template_child (widget_class, PbRunSidebar, live_lr_spin);
  gtk_widget_class_bind_template_callback (widget_class, on_pause_toggled);
  gtk_widget_class_bind_template_callback (widget_class, on_live_lr_apply);
  gtk_widget_class_bind_template_callback (widget_class, on_value_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_arch_changed);

  gtk_widget_class_set_css_name (widget_class, "runsidebar");
}

static gboolean
enum_to_selected (GValue   *value,
                  GVariant *variant,
                  gpointer  user_data)
{
  const char *const *nicks = user_data;
  const char *nick = g_variant_get_string (variant, NULL);

  for (guint i = 0; nicks[i] != NULL; i++)
    if (g_str_equal (nicks[i], nick))
      {
        g_value_set_uint (value, i);
        return TRUE;
      }
  return FALSE;
}

static GVariant *
selected_to_enum (const GValue       *value,
                  const GVariantType *expected_type,
                  gpointer            user_data)
{
  const char *const *nicks = user_data;
  guint selected = g_value_get_uint (value);

  if (selected >= g_strv_length ((char **) nicks))
    return NULL;
  return g_variant_new_string (nicks[selected]);
}

static void
pb_run_sidebar_init (PbRunSidebar *self)
{
  struct { const char *key; gpointer widget; const char *property; } binds[] = {
    { "weight-sharing", NULL, "active" },
    { "two-channel", NULL, "active" },
    { "aux-loss", NULL, "active" },
    { "aux-weight", NULL, "value" },
    { "epochs", NULL, "value" },
    { "batch-size", NULL, "value" },
    { "learning-rate", NULL, "value" },
    { "train-pairs", NULL, "value" },
    { "test-pairs", NULL, "value" },
    { "augment-angle", NULL, "value" },
    { "seed", NULL, "value" },
    { "kernel-size", NULL, "value" },
    { "conv1-channels", NULL, "value" },
    { "conv2-channels", NULL, "value" },
    { "conv3-channels", NULL, "value" },
    { "conv1-padding", NULL, "value" },
    { "conv2-padding", NULL, "value" },
    { "conv3-padding", NULL, "value" },
    { "batch-norm", NULL, "active" },
    { "hidden-width", NULL, "value" },
    { "dropout", NULL, "value" },
    { "weight-decay", NULL, "value" },
    { "val-pairs", NULL, "value" },
    { "translate", NULL, "value" },
    { "scale-jitter", NULL, "value" },
    { "shear", NULL, "value" },
    { "swap-images", NULL, "active" },
    { "repair-pairs", NULL, "active" },
  };
  struct { const char *key; AdwComboRow *combo; const char *const *nicks; } combos[3];
  guint i = 0;

  gtk_widget_init_template (GTK_WIDGET (self));
  GtkSpinButton *decimal_spins[] = {
    self->aux_weight_spin, self->lr_spin, self->dropout_spin, self->decay_spin, self->angle_spin,
    self->scale_spin, self->shear_spin, self->live_lr_spin,
  };

  binds[i++].widget = self->sharing_switch;
  binds[i++].widget = self->stacked_switch;
  binds[i++].widget = self->aux_switch;
  binds[i++].widget = self->aux_weight_spin;
  binds[i++].widget = self->epochs_spin;
  binds[i++].widget = self->batch_spin;
  binds[i++].widget = self->lr_spin;
  binds[i++].widget = self->train_pairs_spin;
  binds[i++].widget = self->test_pairs_spin;
  binds[i++].widget = self->angle_spin;
  binds[i++].widget = self->seed_spin;
  binds[i++].widget = self->kernel_spin;
  for (int l = 0; l < PB_N_CONV; l++)
    binds[i++].widget = self->ch_spin[l];
  for (int l = 0; l < PB_N_CONV; l++)
    binds[i++].widget = self->pad_spin[l];
  binds[i++].widget = self->bn_switch;
  binds[i++].widget = self->hidden_spin;
  binds[i++].widget = self->dropout_spin;
  binds[i++].widget = self->decay_spin;
  binds[i++].widget = self->val_pairs_spin;
  binds[i++].widget = self->translate_spin;
  binds[i++].widget = self->scale_spin;
  binds[i++].widget = self->shear_spin;
  binds[i++].widget = self->swap_switch;
  binds[i++].widget = self->repair_switch;
  g_assert (i == G_N_ELEMENTS (binds));

  combos[0].key = "hidden-activation", combos[0].combo = self->act_combo;
  combos[0].nicks = hidden_act_nicks;
  combos[1].key = "decision-rule", combos[1].combo = self->rule_combo;
  combos[1].nicks = rule_nicks;
  combos[2].key = "lr-schedule", combos[2].combo = self->schedule_combo;
  combos[2].nicks = schedule_nicks;

  pb_style_destructive_while_sensitive (self->stop_button);

  self->settings = g_settings_new (PB_SCHEMA_ID);
  for (i = 0; i < G_N_ELEMENTS (binds); i++)
    g_settings_bind (self->settings, binds[i].key, binds[i].widget, binds[i].property,
                     G_SETTINGS_BIND_DEFAULT);
  for (i = 0; i < G_N_ELEMENTS (combos); i++)
    g_settings_bind_with_mapping (self->settings, combos[i].key, combos[i].combo, "selected",
                                  G_SETTINGS_BIND_DEFAULT, enum_to_selected, selected_to_enum,
                                  (gpointer) combos[i].nicks, NULL);

  for (i = 0; i < G_N_ELEMENTS (decimal_spins); i++)
    g_signal_connect (decimal_spins[i], "input", G_CALLBACK (on_spin_input), NULL);

  /* Enter in the live learning rate applies it (GtkSpinButton has no "activate" in GTK 4.8). */
  g_signal_connect_object (gtk_editable_get_delegate (GTK_EDITABLE (self->live_lr_spin)),
                           "activate", G_CALLBACK (on_live_lr_apply), self,
                           G_CONNECT_SWAPPED | G_CONNECT_AFTER);

  on_arch_changed (self);
  g_signal_connect_swapped (gtk_menu_button_get_popover (self->presets_button), "show",
                            G_CALLBACK (on_presets_button_active), self);
  pb_run_sidebar_refresh_presets (self);
}

GtkWidget *
pb_run_sidebar_new (void)
{
  return g_object_new (PB_TYPE_RUN_SIDEBAR, NULL);
}

gboolean
pb_run_sidebar_get_valid (PbRunSidebar *self)
{
  g_return_val_if_fail (PB_IS_RUN_SIDEBAR (self), FALSE);
  return self->valid;
}

const char *
pb_run_sidebar_get_problem (PbRunSidebar *self)
{
  g_return_val_if_fail (PB_IS_RUN_SIDEBAR (self), NULL);
  return self->problem;
}

gboolean
pb_run_sidebar_get_settings (PbRunSidebar    *self,
                             PbTrainSettings *settings)
{
  g_autofree char *problem = NULL;

  g_return_val_if_fail (PB_IS_RUN_SIDEBAR (self), FALSE);
  return collect (self, settings, NULL, &problem);
}

void
pb_run_sidebar_commit (PbRunSidebar *self)
{
  GtkSpinButton *spins[] = {
    self->aux_weight_spin, self->epochs_spin, self->batch_spin, self->lr_spin,
    self->train_pairs_spin, self->test_pairs_spin, self->angle_spin, self->seed_spin,
    self->kernel_spin, self->ch_spin[0], self->ch_spin[1], self->ch_spin[2], self->pad_spin[0],
    self->pad_spin[1], self->pad_spin[2], self->hidden_spin, self->dropout_spin,
    self->decay_spin, self->val_pairs_spin, self->translate_spin, self->scale_spin,
    self->shear_spin,
  };

  g_return_if_fail (PB_IS_RUN_SIDEBAR (self));
  for (guint i = 0; i < G_N_ELEMENTS (spins); i++)
    gtk_spin_button_update (spins[i]);
}

void
pb_run_sidebar_set_training (PbRunSidebar *self,
                             gboolean      training)
{
  g_return_if_fail (PB_IS_RUN_SIDEBAR (self));
  gtk_widget_set_visible (GTK_WIDGET (self->next_run_label), training);
  gtk_widget_set_visible (self->live_box, training);
}

void
pb_run_sidebar_set_live_lr (PbRunSidebar *self,
                            double        lr)
{
  g_return_if_fail (PB_IS_RUN_SIDEBAR (self));
  gtk_spin_button_set_value (self->live_lr_spin, lr);
  gtk_widget_remove_css_class (GTK_WIDGET (self->live_lr_spin), "error");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->live_lr_spin), NULL);
}

gsize
pb_run_sidebar_get_param_count (PbRunSidebar *self)
{
  g_return_val_if_fail (PB_IS_RUN_SIDEBAR (self), 0);
  return self->param_count;
}

const char *
pb_run_sidebar_get_param_text (PbRunSidebar *self)
{
  g_return_val_if_fail (PB_IS_RUN_SIDEBAR (self), NULL);
  return gtk_label_get_label (self->param_label);
}

gboolean
pb_run_sidebar_apply_preset (PbRunSidebar  *self,
                             const char    *name,
                             GError       **error)
{
  PbTrainSettings s;
  PbError err = { { 0 } };
  gboolean builtin = FALSE;

  g_return_val_if_fail (PB_IS_RUN_SIDEBAR (self), FALSE);
  for (const char *const *n = pb_train_preset_names (); *n != NULL; n++)
    builtin |= g_str_equal (*n, name);
  if (builtin)
    {
      PbStatus status = pb_train_settings_preset (&s, name, &err);
      if (status != PB_OK)
        return pb_set_error_from_status (error, status, &err);
    }
  else if (!pb_user_presets_load (name, &s, error))
    return FALSE;
  pb_train_settings_to_gsettings (self->settings, &s);
  return TRUE;
}

void
pb_run_sidebar_apply_settings (PbRunSidebar          *self,
                               const PbTrainSettings *settings)
{
  g_return_if_fail (PB_IS_RUN_SIDEBAR (self));
  g_return_if_fail (settings != NULL);
  pb_train_settings_to_gsettings (self->settings, settings);
}

void
pb_run_sidebar_refresh_presets (PbRunSidebar *self)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) names = NULL;

  g_return_if_fail (PB_IS_RUN_SIDEBAR (self));
  names = pb_user_presets_list (&error);
  if (names == NULL)
    g_debug ("presets: %s", error->message);
  g_menu_remove_all (self->user_presets);
  for (guint i = 0; names != NULL && names[i] != NULL; i++)
    {
      g_autoptr(GMenuItem) item = g_menu_item_new (names[i], NULL);
      g_menu_item_set_action_and_target_value (item, "win.preset",
                                               g_variant_new_string (names[i]));
      g_menu_append_item (self->user_presets, item);
    }
}

guint
pb_run_sidebar_get_n_user_presets (PbRunSidebar *self)
{
  g_return_val_if_fail (PB_IS_RUN_SIDEBAR (self), 0);
  return (guint) g_menu_model_get_n_items (G_MENU_MODEL (self->user_presets));
}

/* The folder may have changed since the last look (a sweep saved a preset, or the CLI did). */
static void
on_presets_button_active (PbRunSidebar *self)
{
  pb_run_sidebar_refresh_presets (self);
}
