/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pb-sweep-plot-view"

#include "config.h"

#include <math.h>
#include <string.h>
#include <glib/gi18n.h>

#include "pb-plot-view.h"
#include "pb-sweep-plot-view.h"

/* How far from an axis, in pixels, a drag still grabs it; and the least move that brushes. */
#define GRAB_DISTANCE 18.0
#define MIN_DRAG 3.0

struct _PbSweepPlotView
{
  GtkWidget parent_instance;

  PbSweepPlotKind kind;
  PbSweepPlotData *data;  /* on the heap: the axes are large */
  double *values;
  int *labels;
  int x_axis;

  int drag_axis;        /* −1: none */
  double drag_x, drag_y;
};

G_DEFINE_TYPE (PbSweepPlotView, pb_sweep_plot_view, GTK_TYPE_WIDGET)

G_DEFINE_ENUM_TYPE (PbSweepPlotKind, pb_sweep_plot_kind,
                    G_DEFINE_ENUM_VALUE (PB_SWEEP_PLOT_PARCOORDS, "parcoords"),
                    G_DEFINE_ENUM_VALUE (PB_SWEEP_PLOT_SCATTER, "scatter"))

enum {
  PROP_0,
  PROP_KIND,
  N_PROPS
};

enum {
  BRUSHES_CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

void
pb_sweep_plot_view_draw (PbSweepPlotView   *self,
                         cairo_t           *cr,
                         double             width,
                         double             height,
                         const PbPlotStyle *style)
{
  g_return_if_fail (PB_IS_SWEEP_PLOT_VIEW (self));

  if (self->kind == PB_SWEEP_PLOT_PARCOORDS)
    pb_sweep_plot_draw_parcoords (cr, width, height, style, self->data);
  else
    pb_sweep_plot_draw_scatter (cr, width, height, style, self->data, self->x_axis);
}

static void
pb_sweep_plot_view_snapshot (GtkWidget   *widget,
                             GtkSnapshot *snapshot)
{
  PbSweepPlotView *self = PB_SWEEP_PLOT_VIEW (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  PbPlotStyle style;
  cairo_t *cr;

  if (width <= 0 || height <= 0)
    return;
  pb_plot_style_from_widget (widget, &style);
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  pb_sweep_plot_view_draw (self, cr, width, height, &style);
  cairo_destroy (cr);
}

static void
pb_sweep_plot_view_measure (GtkWidget      *widget,
                            GtkOrientation  orientation,
                            int             for_size,
                            int            *minimum,
                            int            *natural,
                            int            *minimum_baseline,
                            int            *natural_baseline)
{
  PbSweepPlotView *self = PB_SWEEP_PLOT_VIEW (widget);

  /* The scatter stands beside the table, which should get the room. */
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    *minimum = 240, *natural = self->kind == PB_SWEEP_PLOT_SCATTER ? 360 : 480;
  else
    *minimum = 200, *natural = 300;
}

static void
pb_sweep_plot_view_css_changed (GtkWidget         *widget,
                                GtkCssStyleChange *change)
{
  GTK_WIDGET_CLASS (pb_sweep_plot_view_parent_class)->css_changed (widget, change);
  gtk_widget_queue_draw (widget);
}

static void
geometry (PbSweepPlotView     *self,
          PbSweepPlotGeometry *g)
{
  PbPlotStyle style;

  pb_plot_style_from_widget (GTK_WIDGET (self), &style);
  pb_sweep_plot_geometry (self->data, &style, gtk_widget_get_width (GTK_WIDGET (self)),
                          gtk_widget_get_height (GTK_WIDGET (self)), g);
}

static double
value_at (const PbSweepPlotGeometry *g,
          const PbSweepAxis         *axis,
          double                     y)
{
  double t = (g->bottom - y) / MAX (g->bottom - g->top, 1);
  return pb_sweep_axis_from_unit (axis, CLAMP (t, 0, 1));
}

static void
brushes_changed (PbSweepPlotView *self)
{
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_signal_emit (self, signals[BRUSHES_CHANGED], 0);
}

static void
drag_begin (PbSweepPlotView *self,
            double           x,
            double           y)
{
  PbSweepPlotGeometry g;
  double best = GRAB_DISTANCE;

  self->drag_axis = -1;
  if (self->kind != PB_SWEEP_PLOT_PARCOORDS || self->data->n_lines == 0)
    return;
  geometry (self, &g);
  if (y < g.top - 8 || y > g.bottom + 8)
    return;
  for (int a = 0; a < self->data->n_axes; a++)
    if (fabs (x - g.x[a]) < best)
      best = fabs (x - g.x[a]), self->drag_axis = a;
  self->drag_x = x;
  self->drag_y = y;
}

static void
drag_update (PbSweepPlotView *self,
             double           dx,
             double           dy)
{
  PbSweepPlotGeometry g;
  PbSweepAxis *axis;
  double a, b;

  if (self->drag_axis < 0 || fabs (dy) < MIN_DRAG)
    return;
  geometry (self, &g);
  axis = &self->data->axes[self->drag_axis];
  a = value_at (&g, axis, self->drag_y);
  b = value_at (&g, axis, self->drag_y + dy);
  axis->brushed = TRUE;
  axis->brush_lo = MIN (a, b);
  axis->brush_hi = MAX (a, b);
  brushes_changed (self);
}

static void
drag_end (PbSweepPlotView *self,
          double           dx,
          double           dy)
{
  if (self->drag_axis < 0)
    return;
  if (fabs (dy) < MIN_DRAG && fabs (dx) < MIN_DRAG && self->data->axes[self->drag_axis].brushed)
    {
      self->data->axes[self->drag_axis].brushed = FALSE;
      brushes_changed (self);
    }
  self->drag_axis = -1;
}

static void
on_drag_begin (GtkGestureDrag  *gesture,
               double           x,
               double           y,
               PbSweepPlotView *self)
{
  drag_begin (self, x, y);
}

static void
on_drag_update (GtkGestureDrag  *gesture,
                double           dx,
                double           dy,
                PbSweepPlotView *self)
{
  drag_update (self, dx, dy);
}

static void
on_drag_end (GtkGestureDrag  *gesture,
             double           dx,
             double           dy,
             PbSweepPlotView *self)
{
  drag_end (self, dx, dy);
}

static void
pb_sweep_plot_view_finalize (GObject *object)
{
  PbSweepPlotView *self = PB_SWEEP_PLOT_VIEW (object);

  g_free (self->values);
  g_free (self->labels);
  g_free (self->data);

  G_OBJECT_CLASS (pb_sweep_plot_view_parent_class)->finalize (object);
}

static void
update_accessible_label (PbSweepPlotView *self)
{
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  self->kind == PB_SWEEP_PLOT_PARCOORDS
                                    ? pb_sweep_plot_parcoords_title ()
                                    : pb_sweep_plot_scatter_title (), -1);
}

static void
pb_sweep_plot_view_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  PbSweepPlotView *self = PB_SWEEP_PLOT_VIEW (object);

  switch (prop_id)
    {
    case PROP_KIND:
      g_value_set_enum (value, self->kind);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pb_sweep_plot_view_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  PbSweepPlotView *self = PB_SWEEP_PLOT_VIEW (object);

  switch (prop_id)
    {
    case PROP_KIND:
      self->kind = g_value_get_enum (value);
      update_accessible_label (self);
      gtk_widget_queue_draw (GTK_WIDGET (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pb_sweep_plot_view_class_init (PbSweepPlotViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = pb_sweep_plot_view_finalize;
  object_class->get_property = pb_sweep_plot_view_get_property;
  object_class->set_property = pb_sweep_plot_view_set_property;
  widget_class->snapshot = pb_sweep_plot_view_snapshot;
  widget_class->measure = pb_sweep_plot_view_measure;
  widget_class->css_changed = pb_sweep_plot_view_css_changed;

  properties[PROP_KIND] =
    g_param_spec_enum ("kind", NULL, NULL, PB_TYPE_SWEEP_PLOT_KIND, PB_SWEEP_PLOT_PARCOORDS,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[BRUSHES_CHANGED] = g_signal_new ("brushes-changed", G_TYPE_FROM_CLASS (klass),
                                           G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                           G_TYPE_NONE, 0);

  gtk_widget_class_set_css_name (widget_class, "plotview");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
pb_sweep_plot_view_init (PbSweepPlotView *self)
{
  GtkGesture *drag = gtk_gesture_drag_new ();

  self->data = g_new0 (PbSweepPlotData, 1);
  self->data->selected = -1;
  self->drag_axis = -1;
  g_signal_connect (drag, "drag-begin", G_CALLBACK (on_drag_begin), self);
  g_signal_connect (drag, "drag-update", G_CALLBACK (on_drag_update), self);
  g_signal_connect (drag, "drag-end", G_CALLBACK (on_drag_end), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drag));
}

GtkWidget *
pb_sweep_plot_view_new (PbSweepPlotKind kind)
{
  return g_object_new (PB_TYPE_SWEEP_PLOT_VIEW, "kind", kind, NULL);
}

void
pb_sweep_plot_view_set_data (PbSweepPlotView       *self,
                             const PbSweepPlotData *data)
{
  g_autofree PbSweepPlotData *old = NULL;
  gsize n;

  g_return_if_fail (PB_IS_SWEEP_PLOT_VIEW (self));
  g_return_if_fail (data != NULL);

  old = g_memdup2 (self->data, sizeof *self->data);
  n = (gsize) data->n_lines * data->n_axes;
  g_free (self->values);
  g_free (self->labels);
  self->values = g_memdup2 (data->values, sizeof (double) * MAX (n, 1));
  self->labels = g_memdup2 (data->labels, sizeof (int) * MAX (data->n_lines, 1));
  *self->data = *data;
  self->data->values = self->values;
  self->data->labels = self->labels;
  /* Only the parallel coordinates own brushes; the scatter shows those it is given. */
  for (int a = 0; a < self->data->n_axes && self->kind == PB_SWEEP_PLOT_PARCOORDS; a++)
    {
      PbSweepAxis *axis = &self->data->axes[a];

      axis->brushed = FALSE;
      for (int b = 0; b < old->n_axes; b++)
        if (old->axes[b].brushed && g_str_equal (old->axes[b].name, axis->name))
          {
            axis->brushed = TRUE;
            axis->brush_lo = old->axes[b].brush_lo;
            axis->brush_hi = old->axes[b].brush_hi;
          }
    }
  if (self->x_axis >= self->data->n_axes - 1)
    self->x_axis = 0;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

const PbSweepPlotData *
pb_sweep_plot_view_get_data (PbSweepPlotView *self)
{
  g_return_val_if_fail (PB_IS_SWEEP_PLOT_VIEW (self), NULL);
  return self->data;
}

void
pb_sweep_plot_view_set_selected (PbSweepPlotView *self,
                                 int              line)
{
  g_return_if_fail (PB_IS_SWEEP_PLOT_VIEW (self));
  self->data->selected = line;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
pb_sweep_plot_view_set_x_axis (PbSweepPlotView *self,
                               int              axis)
{
  g_return_if_fail (PB_IS_SWEEP_PLOT_VIEW (self));
  self->x_axis = axis;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
pb_sweep_plot_view_set_brush (PbSweepPlotView *self,
                              int              axis,
                              double           lo,
                              double           hi)
{
  g_return_if_fail (PB_IS_SWEEP_PLOT_VIEW (self));
  g_return_if_fail (axis >= 0 && axis < self->data->n_axes);

  self->data->axes[axis].brushed = TRUE;
  self->data->axes[axis].brush_lo = MIN (lo, hi);
  self->data->axes[axis].brush_hi = MAX (lo, hi);
  brushes_changed (self);
}

void
pb_sweep_plot_view_clear_brushes (PbSweepPlotView *self)
{
  g_return_if_fail (PB_IS_SWEEP_PLOT_VIEW (self));
  for (int a = 0; a < self->data->n_axes; a++)
    self->data->axes[a].brushed = FALSE;
  brushes_changed (self);
}

void
pb_sweep_plot_view_drag (PbSweepPlotView *self,
                         double           x0,
                         double           y0,
                         double           x1,
                         double           y1)
{
  g_return_if_fail (PB_IS_SWEEP_PLOT_VIEW (self));

  drag_begin (self, x0, y0);
  if (x1 != x0 || y1 != y0)
    {
      drag_update (self, (x1 - x0) / 2, (y1 - y0) / 2);
      drag_update (self, x1 - x0, y1 - y0);
    }
  drag_end (self, x1 - x0, y1 - y0);
}

void
pb_sweep_plot_view_axis_point (PbSweepPlotView *self,
                               int              axis,
                               double           v,
                               double          *x,
                               double          *y)
{
  PbSweepPlotGeometry g;
  double t;

  g_return_if_fail (PB_IS_SWEEP_PLOT_VIEW (self));
  g_return_if_fail (axis >= 0 && axis < self->data->n_axes);

  geometry (self, &g);
  t = pb_sweep_axis_to_unit (&self->data->axes[axis], v);
  *x = g.x[axis];
  *y = g.bottom - CLAMP (t, 0, 1) * (g.bottom - g.top);
}
