/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pb-inspect-view"

#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n.h>
#include <adwaita.h>

#include "pb-debug.h"
#include "pb-format.h"
#include "pb-inspect-panel.h"
#include "pb-inspect-view.h"
#include "pb-run-picker.h"
#include "pb-style.h"

#define N_PANELS 2

struct _PbInspectView
{
  GtkWidget parent_instance;

  GListModel *runs;
  PbRunItem *run;
  PbRunItem *compare;
  int pair;
  gboolean dirty;
  guint n_updates;
  PbInspectPanel panels[N_PANELS];

  PbRunPicker *run_picker;
  PbRunPicker *compare_picker;
  GtkSpinButton *pair_spin;
  GtkAdjustment *pair_adjustment;
  GtkLabel *pair_label;
  GtkStack *content_stack;
  AdwStatusPage *status_page;
  GtkBox *panels_box;
};

G_DEFINE_TYPE (PbInspectView, pb_inspect_view, GTK_TYPE_WIDGET)

static void refresh (PbInspectView *self);

/* The test pairs of the run shown first, which both panels show. */
static const PbPairs *
run_test_pairs (PbInspectView *self)
{
  PbInspector *inspector = self->panels[0].inspector;

  if (self->run == NULL || !pb_inspector_set_run (inspector, self->run, NULL))
    return NULL;
  return pb_inspector_get_test_pairs (inspector);
}

static void
update_pair_label (PbInspectView *self,
                   const PbPairs *pairs)
{
  g_autofree char *text = NULL;

  if (pairs == NULL)
    {
      gtk_label_set_label (self->pair_label, "");
      return;
    }
  {
    guint8 a = pairs->classes[2 * self->pair], b = pairs->classes[2 * self->pair + 1];
    /* Translators: the chosen test pair: "of 1000: digits 7 and 3, label 1 (first larger)" */
    text = g_strdup_printf (_("of %d: digits %u and %u, label %u (%s)"), pairs->n, a, b,
                            pb_pair_label (a, b),
                            a > b ? _("first larger") : _("first not larger"));
  }
  gtk_label_set_label (self->pair_label, text);
}

static void
refresh (PbInspectView *self)
{
  const PbPairs *pairs;
  gint64 t0 = g_get_monotonic_time ();

  if (!gtk_widget_get_mapped (GTK_WIDGET (self)))
    {
      self->dirty = TRUE;
      return;
    }
  self->dirty = FALSE;

  if (self->run == NULL)
    {
      for (guint i = 0; i < N_PANELS; i++)
        pb_inspect_panel_destroy_widgets (&self->panels[i]);
      gtk_widget_set_sensitive (GTK_WIDGET (self->pair_spin), FALSE);
      update_pair_label (self, NULL);
      gtk_stack_set_visible_child_name (self->content_stack, "empty");
      return;
    }

  pairs = run_test_pairs (self);
  gtk_widget_set_sensitive (GTK_WIDGET (self->pair_spin), pairs != NULL);
  if (pairs != NULL)
    {
      self->pair = CLAMP (self->pair, 0, pairs->n - 1);
      gtk_adjustment_set_upper (self->pair_adjustment, pairs->n - 1);
      if ((int) gtk_adjustment_get_value (self->pair_adjustment) != self->pair)
        gtk_adjustment_set_value (self->pair_adjustment, self->pair);
    }
  update_pair_label (self, pairs);

  self->panels[0].item = self->run;
  self->panels[1].item = self->compare;
  for (guint i = 0; i < N_PANELS; i++)
    pb_inspect_panel_update (&self->panels[i], self->panels_box, i == 0, pairs, self->pair);
  gtk_stack_set_visible_child_name (self->content_stack, "panels");
  self->n_updates++;

  if (pb_debug_timing ())
    g_message ("inspect update: %.3f ms", (g_get_monotonic_time () - t0) / 1000.0);
}

static void
on_item_changed (PbInspectView *self)
{
  refresh (self);
}

/* Keeps *slot (self->run or self->compare) on item, listening to whichever runs are shown. */
static void
watch_item (PbInspectView  *self,
            PbRunItem     **slot,
            PbRunItem      *item)
{
  PbRunItem *old = *slot;
  PbRunItem *other = slot == &self->run ? self->compare : self->run;

  if (old == item)
    return;
  *slot = item != NULL ? g_object_ref (item) : NULL;
  if (old != NULL)
    {
      if (old != other)
        g_signal_handlers_disconnect_by_func (old, on_item_changed, self);
      g_object_unref (old);
    }
  if (item != NULL && item != other)
    {
      g_signal_connect_object (item, "notify::snapshot-epoch", G_CALLBACK (on_item_changed),
                               self, G_CONNECT_SWAPPED);
      g_signal_connect_object (item, "notify::status", G_CALLBACK (on_item_changed), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (item, "notify::label", G_CALLBACK (on_item_changed), self,
                               G_CONNECT_SWAPPED);
    }
}

static void
sync_pickers (PbInspectView *self)
{
  pb_run_picker_set_run (self->run_picker, self->run);
  pb_run_picker_set_run (self->compare_picker, self->compare);
}

/* Choosing the compared run as the run swaps them, so that the comparison stays. */
static void
select_run (PbInspectView *self,
            PbRunItem     *item)
{
  g_autoptr(PbRunItem) old = self->run != NULL ? g_object_ref (self->run) : NULL;

  watch_item (self, &self->run, item);
  if (item != NULL && item == self->compare)
    watch_item (self, &self->compare, old);
}

static void
on_runs_changed (PbInspectView *self)
{
  refresh (self);
}

static void
on_run_picked (PbInspectView *self)
{
  select_run (self, pb_run_picker_get_run (self->run_picker));
  sync_pickers (self);
  refresh (self);
}

static void
on_compare_picked (PbInspectView *self)
{
  watch_item (self, &self->compare, pb_run_picker_get_run (self->compare_picker));
  refresh (self);
}

static void
on_pair_changed (PbInspectView *self)
{
  int pair = (int) gtk_adjustment_get_value (self->pair_adjustment);

  if (pair == self->pair)
    return;
  self->pair = pair;
  refresh (self);
}

static void
pb_inspect_view_map (GtkWidget *widget)
{
  PbInspectView *self = PB_INSPECT_VIEW (widget);

  GTK_WIDGET_CLASS (pb_inspect_view_parent_class)->map (widget);
  if (self->dirty)
    refresh (self);
}

static void
pb_inspect_view_dispose (GObject *object)
{
  PbInspectView *self = PB_INSPECT_VIEW (object);

  if (self->runs != NULL)
    g_signal_handlers_disconnect_by_data (self->runs, self);
  for (guint i = 0; i < N_PANELS; i++)
    pb_inspect_panel_clear (&self->panels[i]);
  gtk_widget_dispose_template (GTK_WIDGET (self), PB_TYPE_INSPECT_VIEW);
  /* Template children without an id are not unparented by dispose_template in GTK 4.8. */
  for (GtkWidget *child; (child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL;)
    gtk_widget_unparent (child);
  g_clear_object (&self->run);
  g_clear_object (&self->compare);
  g_clear_object (&self->runs);

  G_OBJECT_CLASS (pb_inspect_view_parent_class)->dispose (object);
}

static void
pb_inspect_view_class_init (PbInspectViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pb_inspect_view_dispose;
  widget_class->map = pb_inspect_view_map;

  g_type_ensure (PB_TYPE_RUN_PICKER);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/pairbench/Pairbench/pb-inspect-view.ui");
  gtk_widget_class_bind_template_child (widget_class, PbInspectView, run_picker);
  gtk_widget_class_bind_template_child (widget_class, PbInspectView, compare_picker);
  gtk_widget_class_bind_template_child (widget_class, PbInspectView, pair_spin);
  gtk_widget_class_bind_template_child (widget_class, PbInspectView, pair_adjustment);
  gtk_widget_class_bind_template_child (widget_class, PbInspectView, pair_label);
  gtk_widget_class_bind_template_child (widget_class, PbInspectView, content_stack);
  gtk_widget_class_bind_template_child (widget_class, PbInspectView, status_page);
  gtk_widget_class_bind_template_child (widget_class, PbInspectView, panels_box);
  gtk_widget_class_bind_template_callback (widget_class, on_run_picked);
  gtk_widget_class_bind_template_callback (widget_class, on_compare_picked);
  gtk_widget_class_bind_template_callback (widget_class, on_pair_changed);
  gtk_widget_class_set_css_name (widget_class, "inspectview");
}

static void
pb_inspect_view_init (PbInspectView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  pb_run_picker_set_none_label (self->compare_picker, C_("compare with", "None"));
  for (guint i = 0; i < N_PANELS; i++)
    pb_inspect_panel_init (&self->panels[i]);
  self->dirty = TRUE;
}

GtkWidget *
pb_inspect_view_new (void)
{
  return g_object_new (PB_TYPE_INSPECT_VIEW, NULL);
}

void
pb_inspect_view_set_runs (PbInspectView *self,
                          GListModel    *runs)
{
  g_return_if_fail (PB_IS_INSPECT_VIEW (self));

  if (self->runs != NULL)
    g_signal_handlers_disconnect_by_data (self->runs, self);
  g_set_object (&self->runs, runs);
  /* The pickers follow the list first (and may pick another run), then the view redraws. */
  pb_run_picker_set_runs (self->run_picker, runs);
  pb_run_picker_set_runs (self->compare_picker, runs);
  if (runs != NULL)
    g_signal_connect_swapped (runs, "items-changed", G_CALLBACK (on_runs_changed), self);
  select_run (self, pb_run_picker_get_run (self->run_picker));
  watch_item (self, &self->compare, pb_run_picker_get_run (self->compare_picker));
  sync_pickers (self);
  refresh (self);
}

void
pb_inspect_view_show_pair (PbInspectView *self,
                           PbRunItem     *run,
                           int            test_pair_index)
{
  g_return_if_fail (PB_IS_INSPECT_VIEW (self));
  g_return_if_fail (PB_IS_RUN_ITEM (run));

  select_run (self, run);
  self->pair = MAX (test_pair_index, 0);
  sync_pickers (self);
  refresh (self);
}

void
pb_inspect_view_set_compare_run (PbInspectView *self,
                                 PbRunItem     *run)
{
  g_return_if_fail (PB_IS_INSPECT_VIEW (self));

  watch_item (self, &self->compare, run);
  sync_pickers (self);
  refresh (self);
}

PbRunItem *
pb_inspect_view_get_run (PbInspectView *self)
{
  g_return_val_if_fail (PB_IS_INSPECT_VIEW (self), NULL);
  return self->run;
}

PbRunItem *
pb_inspect_view_get_compare_run (PbInspectView *self)
{
  g_return_val_if_fail (PB_IS_INSPECT_VIEW (self), NULL);
  return self->compare;
}

int
pb_inspect_view_get_pair (PbInspectView *self)
{
  g_return_val_if_fail (PB_IS_INSPECT_VIEW (self), -1);
  return self->pair;
}

static PbInspectPanel *
shown_panel (PbInspectView *self,
             guint          panel)
{
  if (panel >= N_PANELS || self->panels[panel].root == NULL ||
      !gtk_widget_get_visible (self->panels[panel].body))
    return NULL;
  return &self->panels[panel];
}

guint
pb_inspect_view_get_n_panels (PbInspectView *self)
{
  guint n = 0;

  g_return_val_if_fail (PB_IS_INSPECT_VIEW (self), 0);
  for (guint i = 0; i < N_PANELS; i++)
    n += self->panels[i].root != NULL;
  return n;
}

int
pb_inspect_view_get_n_columns (PbInspectView *self,
                               guint          panel)
{
  PbInspectPanel *p;

  g_return_val_if_fail (PB_IS_INSPECT_VIEW (self), -1);
  p = shown_panel (self, panel);
  return p != NULL ? p->n_cols : -1;
}

const char *
pb_inspect_view_get_column_trunk (PbInspectView *self,
                                  guint          panel,
                                  int            column)
{
  PbInspectPanel *p;

  g_return_val_if_fail (PB_IS_INSPECT_VIEW (self), NULL);
  p = shown_panel (self, panel);
  return p != NULL && column >= 0 && column < p->n_cols ? p->trunk[column] : NULL;
}

PbFeatureGrid *
pb_inspect_view_get_filters (PbInspectView *self,
                             guint          panel,
                             int            column)
{
  PbInspectPanel *p;

  g_return_val_if_fail (PB_IS_INSPECT_VIEW (self), NULL);
  p = shown_panel (self, panel);
  return p != NULL && column >= 0 && column < p->n_cols ? p->filters[column] : NULL;
}

PbFeatureGrid *
pb_inspect_view_get_feature_grid (PbInspectView *self,
                                  guint          panel,
                                  int            column,
                                  int            layer)
{
  PbInspectPanel *p;

  g_return_val_if_fail (PB_IS_INSPECT_VIEW (self), NULL);
  p = shown_panel (self, panel);
  if (p == NULL || column < 0 || column >= p->n_cols || layer < 0 || layer >= PB_N_CONV)
    return NULL;
  return p->maps[layer][column];
}

PbLogitBars *
pb_inspect_view_get_logit_bars (PbInspectView *self,
                                guint          panel,
                                int            column)
{
  PbInspectPanel *p;

  g_return_val_if_fail (PB_IS_INSPECT_VIEW (self), NULL);
  p = shown_panel (self, panel);
  return p != NULL && column >= 0 && column < p->n_cols ? p->bars[column] : NULL;
}

double
pb_inspect_view_get_head_probability (PbInspectView *self,
                                      guint          panel)
{
  PbInspectPanel *p;

  g_return_val_if_fail (PB_IS_INSPECT_VIEW (self), NAN);
  p = shown_panel (self, panel);
  return p != NULL ? p->head_prob : NAN;
}

int
pb_inspect_view_get_shown_epoch (PbInspectView *self,
                                 guint          panel)
{
  PbInspectPanel *p;

  g_return_val_if_fail (PB_IS_INSPECT_VIEW (self), -1);
  p = shown_panel (self, panel);
  return p != NULL ? p->epoch : -1;
}

guint
pb_inspect_view_get_n_updates (PbInspectView *self)
{
  g_return_val_if_fail (PB_IS_INSPECT_VIEW (self), 0);
  return self->n_updates;
}
