/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pb-run-sidebar"

#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <glib/gi18n.h>
#include <adwaita.h>

#include "pb-arch-diagram.h"
#include "pb-run-sidebar.h"

struct _PbRunSidebar
{
  GtkWidget parent_instance;

  GSettings *settings;
  char *problem;
  gboolean valid;

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
  GtkLabel *problem_label;
  GtkLabel *next_run_label;
  GtkWidget *live_box;
  GtkToggleButton *pause_button;
  AdwButtonContent *pause_content;
  GtkSpinButton *live_lr_spin;
};

G_DEFINE_TYPE (PbRunSidebar, pb_run_sidebar, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_VALID,
  PROP_PROBLEM,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Parses the spin button's text, accepting either decimal separator so that "0,001" and "0.001"
 * both work whatever the locale. */
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
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (spin))));
  char *end = NULL;
  double v;

  g_strdelimit (text, ",", '.');
  v = g_ascii_strtod (text, &end);
  if (text[0] == '\0' || end == NULL || *end != '\0' || !isfinite (v) ||
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

/* Validates every field; fills out when all are valid. The first problem wins. */
static gboolean
collect (PbRunSidebar     *self,
         PbTrainSettings  *out,
         char            **problem)
{
  PbTrainSettings s;
  PbError err = { { 0 } };
  double aux_weight, epochs, batch, lr, train_pairs, test_pairs, angle, seed;
  g_autofree char *p = NULL;
  gboolean ok = TRUE;

  /* Every field is parsed so that each one shows its own error state. */
  {
    struct { GtkSpinButton *spin; const char *name; gboolean integer; double *v; } f[] = {
      { self->aux_weight_spin, _("Auxiliary weight"), FALSE, &aux_weight },
      { self->epochs_spin, _("Epochs"), TRUE, &epochs },
      { self->batch_spin, _("Batch size"), TRUE, &batch },
      { self->lr_spin, _("Learning rate"), FALSE, &lr },
      { self->train_pairs_spin, _("Training pairs"), TRUE, &train_pairs },
      { self->test_pairs_spin, _("Test pairs"), TRUE, &test_pairs },
      { self->angle_spin, _("Rotation"), FALSE, &angle },
      { self->seed_spin, _("Seed"), TRUE, &seed },
    };
    for (guint i = 0; i < G_N_ELEMENTS (f); i++)
      {
        g_autofree char *q = NULL;
        if (!parse_field (f[i].spin, f[i].name, f[i].integer, f[i].v, &q))
          {
            ok = FALSE;
            if (p == NULL)
              p = g_steal_pointer (&q);
          }
      }
  }
  if (!ok)
    {
      *problem = g_steal_pointer (&p);
      return FALSE;
    }

  if (pb_train_settings_init (&s, model_name (self), &err) != PB_OK)
    {
      *problem = g_strdup (err.message);
      return FALSE;
    }
  s.arch.aux_weight = (float) aux_weight;
  s.epochs = (int) epochs;
  s.batch = (int) batch;
  s.lr = (float) lr;
  s.train_pairs = (int) train_pairs;
  s.test_pairs = (int) test_pairs;
  s.augment_deg = (float) angle;
  s.seed = (guint64) seed;

  if (s.batch > s.train_pairs)
    {
      *problem = g_strdup (_("Batch size: at most the number of training pairs"));
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
revalidate (PbRunSidebar *self)
{
  g_autofree char *problem = NULL;
  gboolean valid = collect (self, NULL, &problem);

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
}

static void
on_value_changed (PbRunSidebar *self)
{
  revalidate (self);
}

static void
on_arch_changed (PbRunSidebar *self)
{
  PbArch arch;
  PbError err;
  gboolean stacked = gtk_switch_get_active (self->stacked_switch);

  gtk_widget_set_sensitive (GTK_WIDGET (self->sharing_row), !stacked);
  gtk_widget_set_sensitive (GTK_WIDGET (self->aux_weight_row),
                            gtk_switch_get_active (self->aux_switch));
  adw_action_row_set_subtitle (self->sharing_row,
                               gtk_switch_get_active (self->sharing_switch)
                                 ? _("Siamese: one trunk reads both images")
                                 : _("Twin: each image has its own trunk"));

  if (pb_arch_from_name (model_name (self), &arch, &err) == PB_OK)
    pb_arch_diagram_set_arch (self->diagram, &arch);
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

  g_type_ensure (PB_TYPE_ARCH_DIAGRAM);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/pairbench/Pairbench/pb-run-sidebar.ui");
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
  gtk_widget_class_bind_template_child (widget_class, PbRunSidebar, problem_label);
  gtk_widget_class_bind_template_child (widget_class, PbRunSidebar, next_run_label);
  gtk_widget_class_bind_template_child (widget_class, PbRunSidebar, live_box);
  gtk_widget_class_bind_template_child (widget_class, PbRunSidebar, pause_button);
  gtk_widget_class_bind_template_child (widget_class, PbRunSidebar, pause_content);
  gtk_widget_class_bind_template_child (widget_class, PbRunSidebar, live_lr_spin);
  gtk_widget_class_bind_template_callback (widget_class, on_pause_toggled);
  gtk_widget_class_bind_template_callback (widget_class, on_live_lr_apply);
  gtk_widget_class_bind_template_callback (widget_class, on_value_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_arch_changed);

  gtk_widget_class_set_css_name (widget_class, "runsidebar");
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
  };

  gtk_widget_init_template (GTK_WIDGET (self));

  binds[0].widget = self->sharing_switch;
  binds[1].widget = self->stacked_switch;
  binds[2].widget = self->aux_switch;
  binds[3].widget = self->aux_weight_spin;
  binds[4].widget = self->epochs_spin;
  binds[5].widget = self->batch_spin;
  binds[6].widget = self->lr_spin;
  binds[7].widget = self->train_pairs_spin;
  binds[8].widget = self->test_pairs_spin;
  binds[9].widget = self->angle_spin;
  binds[10].widget = self->seed_spin;

  self->settings = g_settings_new (PB_SCHEMA_ID);
  for (guint i = 0; i < G_N_ELEMENTS (binds); i++)
    g_settings_bind (self->settings, binds[i].key, binds[i].widget, binds[i].property,
                     G_SETTINGS_BIND_DEFAULT);

  /* Enter in the live learning rate applies it (GtkSpinButton has no "activate" in GTK 4.8). */
  g_signal_connect_object (gtk_editable_get_delegate (GTK_EDITABLE (self->live_lr_spin)),
                           "activate", G_CALLBACK (on_live_lr_apply), self,
                           G_CONNECT_SWAPPED | G_CONNECT_AFTER);

  on_arch_changed (self);
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
  return collect (self, settings, &problem);
}

void
pb_run_sidebar_commit (PbRunSidebar *self)
{
  GtkSpinButton *spins[] = {
    self->aux_weight_spin, self->epochs_spin, self->batch_spin, self->lr_spin,
    self->train_pairs_spin, self->test_pairs_spin, self->angle_spin, self->seed_spin,
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
