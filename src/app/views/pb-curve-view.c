/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pb-curve-view"

#include "config.h"

#include <math.h>
#include <string.h>
#include <glib/gi18n.h>

#include "pb-curve-view.h"
#include "pb-debug.h"
#include "pb-plot-view.h"
#include "pb-run-item.h"
#include "pb-smooth.h"
#include "pb-style.h"

struct _PbCurveView
{
  GtkWidget parent_instance;

  PbCurveKind kind;
  GListModel *model;
  GPtrArray *watched;
  gboolean log_scale;
  double smoothing;
  PbCurveXAxis x_axis;
  gboolean ignore_outliers;
  double hover_epoch;
  /* Where the pointer last moved over the widget, while it is there and drives the cross-hair:
   * the epoch under it changes whenever the axes rescale. */
  gboolean pointer_in;
  double pointer_x, pointer_y;
  guint n_draws;
};

G_DEFINE_TYPE (PbCurveView, pb_curve_view, GTK_TYPE_WIDGET)

G_DEFINE_ENUM_TYPE (PbCurveKind, pb_curve_kind,
                    G_DEFINE_ENUM_VALUE (PB_CURVE_KIND_LOSS, "loss"),
                    G_DEFINE_ENUM_VALUE (PB_CURVE_KIND_ERROR, "error"))

/* The nicks are the GSettings enum's (curve-x-axis). */
G_DEFINE_ENUM_TYPE (PbCurveXAxis, pb_curve_x_axis,
                    G_DEFINE_ENUM_VALUE (PB_CURVE_X_EPOCH, "epoch"),
                    G_DEFINE_ENUM_VALUE (PB_CURVE_X_STEP, "step"),
                    G_DEFINE_ENUM_VALUE (PB_CURVE_X_WALL_TIME, "wall-time"))

enum {
  PROP_0,
  PROP_KIND,
  PROP_MODEL,
  PROP_LOG_SCALE,
  PROP_SMOOTHING,
  PROP_X_AXIS,
  PROP_IGNORE_OUTLIERS,
  PROP_HOVER_EPOCH,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
get_options (PbCurveView    *self,
             PbCurveOptions *out)
{
  *out = (PbCurveOptions) {
    .kind = self->kind,
    .x_axis = self->x_axis,
    .log_scale = self->log_scale,
    .smoothing = self->smoothing,
    .ignore_outliers = self->ignore_outliers,
    .hover_epoch = self->hover_epoch,
  };
}

static PbCurveData *
build_data (PbCurveView *self)
{
  PbCurveOptions options;

  get_options (self, &options);
  return pb_curve_data_new (self->model, &options, GTK_WIDGET (self));
}

static void
layout_data (PbCurveView   *self,
             PbCurveData   *data,
             int            width,
             int            height,
             PbCurveLayout *out)
{
  PbPlotStyle style;

  pb_plot_style_from_widget (GTK_WIDGET (self), &style);
  pb_curves_layout (NULL, width, height, &style, pb_curve_data_get_chart (data), out);
}

void
pb_curve_view_get_layout (PbCurveView   *self,
                          int            width,
                          int            height,
                          PbCurveLayout *out)
{
  g_autoptr(PbCurveData) data = NULL;

  g_return_if_fail (PB_IS_CURVE_VIEW (self));
  data = build_data (self);
  layout_data (self, data, width, height, out);
}

void
pb_curve_view_get_mapping (PbCurveView   *self,
                           int            width,
                           int            height,
                           PbPlotMapping *out)
{
  PbCurveLayout lo;

  pb_curve_view_get_layout (self, width, height, &lo);
  *out = lo.map;
}

GStrv
pb_curve_view_get_legend_labels (PbCurveView *self,
                                 int          width,
                                 int          height)
{
  g_autoptr(PbCurveData) data = NULL;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  const PbCurveChart *chart;
  PbCurveLayout lo;

  g_return_val_if_fail (PB_IS_CURVE_VIEW (self), NULL);
  data = build_data (self);
  chart = pb_curve_data_get_chart (data);
  layout_data (self, data, width, height, &lo);
  for (guint i = 0; i < lo.n_legend_runs && i < chart->n_runs; i++)
    g_strv_builder_add (builder, chart->runs[i].label);
  return g_strv_builder_end (builder);
}

double
pb_curve_view_get_drawn_value (PbCurveView *self,
                               guint        run,
                               const char  *series,
                               guint        point)
{
  g_autoptr(PbCurveData) data = NULL;
  const PbCurveChart *chart;

  g_return_val_if_fail (PB_IS_CURVE_VIEW (self), NAN);
  data = build_data (self);
  chart = pb_curve_data_get_chart (data);
  if (run >= chart->n_runs)
    return NAN;
  for (guint s = 0; s < chart->runs[run].n_series; s++)
    {
      const PbCurveSeries *cs = &chart->runs[run].series[s];

      if (g_strcmp0 (cs->line.name, series) == 0 && point < cs->n)
        return cs->smoothed != NULL ? cs->smoothed[point] : cs->raw[point];
    }
  return NAN;
}

void
pb_curve_view_draw_with_style (PbCurveView       *self,
                               cairo_t           *cr,
                               int                width,
                               int                height,
                               const PbPlotStyle *style)
{
  g_autoptr(PbCurveData) data = NULL;

  g_return_if_fail (PB_IS_CURVE_VIEW (self));
  data = build_data (self);
  pb_curves_draw (cr, width, height, style, pb_curve_data_get_chart (data), NULL);
}

void
pb_curve_view_draw (PbCurveView *self,
                    cairo_t     *cr,
                    int          width,
                    int          height)
{
  PbPlotStyle style;

  g_return_if_fail (PB_IS_CURVE_VIEW (self));
  pb_plot_style_from_widget (GTK_WIDGET (self), &style);
  pb_curve_view_draw_with_style (self, cr, width, height, &style);
}

static void
pb_curve_view_snapshot (GtkWidget   *widget,
                        GtkSnapshot *snapshot)
{
  PbCurveView *self = PB_CURVE_VIEW (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  gint64 t0 = g_get_monotonic_time ();
  cairo_t *cr;

  if (width <= 0 || height <= 0)
    return;
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  pb_curve_view_draw (self, cr, width, height);
  cairo_destroy (cr);
  self->n_draws++;

  if (pb_debug_timing ())
    g_message ("curve snapshot (%s): %.3f ms", pb_curve_kind_title (self->kind),
               (g_get_monotonic_time () - t0) / 1000.0);
}

static void
pb_curve_view_measure (GtkWidget      *widget,
                       GtkOrientation  orientation,
                       int             for_size,
                       int            *minimum,
                       int            *natural,
                       int            *minimum_baseline,
                       int            *natural_baseline)
{
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    *minimum = 240, *natural = 480;
  else
    *minimum = 160, *natural = 280;
}

/* The epoch under pixel x at the widget's size, or -1 off the plot. */
static double
epoch_at (PbCurveView *self,
          double       x)
{
  g_autoptr(PbCurveData) data = NULL;
  PbCurveOptions options;
  PbCurveLayout lo;
  double dx, dy;

  get_options (self, &options);
  /* The readout is inside the plot: it moves no axis, so it need not be built. */
  options.hover_epoch = -1;
  data = pb_curve_data_new (self->model, &options, GTK_WIDGET (self));
  layout_data (self, data, gtk_widget_get_width (GTK_WIDGET (self)),
               gtk_widget_get_height (GTK_WIDGET (self)), &lo);
  if (x < lo.map.x - 4 || x > lo.map.x + lo.map.width + 4)
    return -1;
  pb_plot_mapping_from_pixel (&lo.map, x, self->pointer_y, &dx, &dy);
  return pb_curve_data_x_to_epoch (data, dx);
}

/* After the data, the axes or the size changed: the cross-hair goes to what is now under the
 * pointer, rather than staying at an epoch the pointer has left. */
static void
refresh_hover (PbCurveView *self)
{
  if (self->pointer_in)
    pb_curve_view_set_hover_epoch (self, epoch_at (self, self->pointer_x));
}

static void
pb_curve_view_size_allocate (GtkWidget *widget,
                             int        width,
                             int        height,
                             int        baseline)
{
  GTK_WIDGET_CLASS (pb_curve_view_parent_class)->size_allocate (widget, width, height, baseline);
  refresh_hover (PB_CURVE_VIEW (widget));
}

static void
pb_curve_view_css_changed (GtkWidget         *widget,
                           GtkCssStyleChange *change)
{
  GTK_WIDGET_CLASS (pb_curve_view_parent_class)->css_changed (widget, change);
  refresh_hover (PB_CURVE_VIEW (widget));
  gtk_widget_queue_draw (widget);
}

static void
on_item_changed (PbCurveView *self)
{
  refresh_hover (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
unwatch_items (PbCurveView *self)
{
  for (guint i = 0; i < self->watched->len; i++)
    g_signal_handlers_disconnect_by_data (g_ptr_array_index (self->watched, i), self);
  g_ptr_array_set_size (self->watched, 0);
}

static void
on_items_changed (PbCurveView *self)
{
  guint n = g_list_model_get_n_items (self->model);

  unwatch_items (self);
  for (guint i = 0; i < n; i++)
    {
      PbRunItem *item = g_list_model_get_item (self->model, i);

      g_signal_connect_swapped (item, "changed", G_CALLBACK (on_item_changed), self);
      g_signal_connect_swapped (item, "notify::shown", G_CALLBACK (on_item_changed), self);
      g_signal_connect_swapped (item, "notify::label", G_CALLBACK (on_item_changed), self);
      g_ptr_array_add (self->watched, item);
    }
  refresh_hover (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
pb_curve_view_hover_at (PbCurveView *self,
                        double       x,
                        double       y)
{
  g_return_if_fail (PB_IS_CURVE_VIEW (self));

  self->pointer_in = TRUE;
  self->pointer_x = x;
  self->pointer_y = y;
  refresh_hover (self);
}

static void
on_motion (GtkEventControllerMotion *controller,
           double                    x,
           double                    y,
           PbCurveView              *self)
{
  pb_curve_view_hover_at (self, x, y);
}

static void
on_leave (GtkEventControllerMotion *controller,
          PbCurveView              *self)
{
  self->pointer_in = FALSE;
  pb_curve_view_set_hover_epoch (self, -1);
}

/* Left and Right walk the cross-hair over the epochs, so the readout works without a mouse. */
static gboolean
on_key_pressed (GtkEventControllerKey *controller,
                guint                  keyval,
                guint                  keycode,
                GdkModifierType        state,
                PbCurveView           *self)
{
  g_autoptr(PbCurveData) data = NULL;
  double epoch = self->hover_epoch;
  int max_epochs;

  if (keyval != GDK_KEY_Left && keyval != GDK_KEY_Right && keyval != GDK_KEY_Home &&
      keyval != GDK_KEY_End)
    return FALSE;
  /* The keys move the cross-hair from here on, not the resting pointer. */
  self->pointer_in = FALSE;
  data = build_data (self);
  max_epochs = pb_curve_data_get_max_epochs (data);
  if (keyval == GDK_KEY_Home)
    epoch = 1;
  else if (keyval == GDK_KEY_End)
    epoch = max_epochs;
  else if (epoch < 1)
    epoch = 1;
  else
    epoch += keyval == GDK_KEY_Left ? -1 : 1;
  pb_curve_view_set_hover_epoch (self, CLAMP (epoch, 1, MAX (max_epochs, 1)));
  return TRUE;
}

static void
on_focus_leave (GtkEventControllerFocus *controller,
                PbCurveView             *self)
{
  pb_curve_view_set_hover_epoch (self, -1);
}

static void
pb_curve_view_dispose (GObject *object)
{
  PbCurveView *self = PB_CURVE_VIEW (object);

  pb_curve_view_set_model (self, NULL);

  G_OBJECT_CLASS (pb_curve_view_parent_class)->dispose (object);
}

static void
pb_curve_view_finalize (GObject *object)
{
  PbCurveView *self = PB_CURVE_VIEW (object);

  g_ptr_array_unref (self->watched);

  G_OBJECT_CLASS (pb_curve_view_parent_class)->finalize (object);
}

static void
pb_curve_view_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  PbCurveView *self = PB_CURVE_VIEW (object);

  switch (prop_id)
    {
    case PROP_KIND:
      g_value_set_enum (value, self->kind);
      break;
    case PROP_MODEL:
      g_value_set_object (value, self->model);
      break;
    case PROP_LOG_SCALE:
      g_value_set_boolean (value, self->log_scale);
      break;
    case PROP_SMOOTHING:
      g_value_set_double (value, self->smoothing);
      break;
    case PROP_X_AXIS:
      g_value_set_enum (value, self->x_axis);
      break;
    case PROP_IGNORE_OUTLIERS:
      g_value_set_boolean (value, self->ignore_outliers);
      break;
    case PROP_HOVER_EPOCH:
      g_value_set_double (value, self->hover_epoch);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
update_accessible_label (PbCurveView *self)
{
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  self->kind == PB_CURVE_KIND_LOSS
                                    ? _("Loss curves") : _("Error curves"),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  self->kind == PB_CURVE_KIND_LOSS
                                    ? _("Training loss against the epoch, step or wall time "
                                        "for each shown run; Left and Right read the values at "
                                        "an epoch")
                                    : _("Training, test and digit error against the epoch, step "
                                        "or wall time for each shown run; Left and Right read "
                                        "the values at an epoch"),
                                  -1);
}

static void
pb_curve_view_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  PbCurveView *self = PB_CURVE_VIEW (object);

  switch (prop_id)
    {
    case PROP_KIND:
      self->kind = g_value_get_enum (value);
      update_accessible_label (self);
      gtk_widget_queue_draw (GTK_WIDGET (self));
      break;
    case PROP_MODEL:
      pb_curve_view_set_model (self, g_value_get_object (value));
      break;
    case PROP_LOG_SCALE:
      pb_curve_view_set_log_scale (self, g_value_get_boolean (value));
      break;
    case PROP_SMOOTHING:
      pb_curve_view_set_smoothing (self, g_value_get_double (value));
      break;
    case PROP_X_AXIS:
      pb_curve_view_set_x_axis (self, g_value_get_enum (value));
      break;
    case PROP_IGNORE_OUTLIERS:
      pb_curve_view_set_ignore_outliers (self, g_value_get_boolean (value));
      break;
    case PROP_HOVER_EPOCH:
      pb_curve_view_set_hover_epoch (self, g_value_get_double (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pb_curve_view_class_init (PbCurveViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pb_curve_view_dispose;
  object_class->finalize = pb_curve_view_finalize;
  object_class->get_property = pb_curve_view_get_property;
  object_class->set_property = pb_curve_view_set_property;

  widget_class->snapshot = pb_curve_view_snapshot;
  widget_class->measure = pb_curve_view_measure;
  widget_class->size_allocate = pb_curve_view_size_allocate;
  widget_class->css_changed = pb_curve_view_css_changed;

  properties[PROP_KIND] =
    g_param_spec_enum ("kind", NULL, NULL, PB_TYPE_CURVE_KIND, PB_CURVE_KIND_LOSS,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);
  properties[PROP_MODEL] =
    g_param_spec_object ("model", NULL, NULL, G_TYPE_LIST_MODEL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LOG_SCALE] =
    g_param_spec_boolean ("log-scale", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SMOOTHING] =
    g_param_spec_double ("smoothing", NULL, NULL, 0, PB_SMOOTH_MAX, 0.6,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_X_AXIS] =
    g_param_spec_enum ("x-axis", NULL, NULL, PB_TYPE_CURVE_X_AXIS, PB_CURVE_X_EPOCH,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_IGNORE_OUTLIERS] =
    g_param_spec_boolean ("ignore-outliers", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_HOVER_EPOCH] =
    g_param_spec_double ("hover-epoch", NULL, NULL, -1, G_MAXDOUBLE, -1,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "curveview");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
pb_curve_view_init (PbCurveView *self)
{
  GtkEventController *motion = gtk_event_controller_motion_new ();
  GtkEventController *key, *focus;

  self->hover_epoch = -1;
  self->smoothing = 0.6;
  self->watched = g_ptr_array_new_with_free_func (g_object_unref);

  g_signal_connect (motion, "motion", G_CALLBACK (on_motion), self);
  g_signal_connect (motion, "leave", G_CALLBACK (on_leave), self);
  gtk_widget_add_controller (GTK_WIDGET (self), motion);

  key = gtk_event_controller_key_new ();
  g_signal_connect (key, "key-pressed", G_CALLBACK (on_key_pressed), self);
  gtk_widget_add_controller (GTK_WIDGET (self), key);

  focus = gtk_event_controller_focus_new ();
  g_signal_connect (focus, "leave", G_CALLBACK (on_focus_leave), self);
  gtk_widget_add_controller (GTK_WIDGET (self), focus);
  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);
}

GtkWidget *
pb_curve_view_new (PbCurveKind kind)
{
  return g_object_new (PB_TYPE_CURVE_VIEW, "kind", kind, NULL);
}

PbCurveKind
pb_curve_view_get_kind (PbCurveView *self)
{
  g_return_val_if_fail (PB_IS_CURVE_VIEW (self), PB_CURVE_KIND_LOSS);
  return self->kind;
}

void
pb_curve_view_set_model (PbCurveView *self,
                         GListModel  *model)
{
  g_return_if_fail (PB_IS_CURVE_VIEW (self));
  g_return_if_fail (model == NULL || G_IS_LIST_MODEL (model));

  if (self->model == model)
    return;
  if (self->model != NULL)
    {
      g_signal_handlers_disconnect_by_func (self->model, on_items_changed, self);
      unwatch_items (self);
      g_clear_object (&self->model);
    }
  if (model != NULL)
    {
      self->model = g_object_ref (model);
      g_signal_connect_swapped (model, "items-changed", G_CALLBACK (on_items_changed), self);
      on_items_changed (self);
    }
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODEL]);
}

GListModel *
pb_curve_view_get_model (PbCurveView *self)
{
  g_return_val_if_fail (PB_IS_CURVE_VIEW (self), NULL);
  return self->model;
}

gboolean
pb_curve_view_get_log_scale (PbCurveView *self)
{
  g_return_val_if_fail (PB_IS_CURVE_VIEW (self), FALSE);
  return self->log_scale;
}

void
pb_curve_view_set_log_scale (PbCurveView *self,
                             gboolean     log_scale)
{
  g_return_if_fail (PB_IS_CURVE_VIEW (self));

  log_scale = !!log_scale;
  if (self->log_scale == log_scale)
    return;
  self->log_scale = log_scale;
  refresh_hover (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOG_SCALE]);
}

double
pb_curve_view_get_hover_epoch (PbCurveView *self)
{
  g_return_val_if_fail (PB_IS_CURVE_VIEW (self), -1);
  return self->hover_epoch;
}

void
pb_curve_view_set_hover_epoch (PbCurveView *self,
                               double       epoch)
{
  g_return_if_fail (PB_IS_CURVE_VIEW (self));

  if (epoch < 0)
    epoch = -1;
  if (self->hover_epoch == epoch)
    return;
  self->hover_epoch = epoch;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HOVER_EPOCH]);
}

guint
pb_curve_view_get_n_draws (PbCurveView *self)
{
  g_return_val_if_fail (PB_IS_CURVE_VIEW (self), 0);
  return self->n_draws;
}

double
pb_curve_view_get_smoothing (PbCurveView *self)
{
  g_return_val_if_fail (PB_IS_CURVE_VIEW (self), 0);
  return self->smoothing;
}

void
pb_curve_view_set_smoothing (PbCurveView *self,
                             double       smoothing)
{
  g_return_if_fail (PB_IS_CURVE_VIEW (self));

  smoothing = isfinite (smoothing) ? CLAMP (smoothing, 0, PB_SMOOTH_MAX) : 0;
  if (self->smoothing == smoothing)
    return;
  self->smoothing = smoothing;
  refresh_hover (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SMOOTHING]);
}

PbCurveXAxis
pb_curve_view_get_x_axis (PbCurveView *self)
{
  g_return_val_if_fail (PB_IS_CURVE_VIEW (self), PB_CURVE_X_EPOCH);
  return self->x_axis;
}

void
pb_curve_view_set_x_axis (PbCurveView  *self,
                          PbCurveXAxis  axis)
{
  g_return_if_fail (PB_IS_CURVE_VIEW (self));
  g_return_if_fail (axis <= PB_CURVE_X_WALL_TIME);

  if (self->x_axis == axis)
    return;
  self->x_axis = axis;
  refresh_hover (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_X_AXIS]);
}

gboolean
pb_curve_view_get_ignore_outliers (PbCurveView *self)
{
  g_return_val_if_fail (PB_IS_CURVE_VIEW (self), FALSE);
  return self->ignore_outliers;
}

void
pb_curve_view_set_ignore_outliers (PbCurveView *self,
                                   gboolean     ignore)
{
  g_return_if_fail (PB_IS_CURVE_VIEW (self));

  ignore = !!ignore;
  if (self->ignore_outliers == ignore)
    return;
  self->ignore_outliers = ignore;
  refresh_hover (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_IGNORE_OUTLIERS]);
}

double
pb_curve_view_step_to_x (PbCurveView *self,
                         PbRunItem   *item,
                         int          step)
{
  g_return_val_if_fail (PB_IS_CURVE_VIEW (self), NAN);
  g_return_val_if_fail (PB_IS_RUN_ITEM (item), NAN);
  return pb_curve_step_to_x (self->x_axis, item, step);
}

char *
pb_curve_view_to_csv (PbCurveView *const *views,
                      guint               n_views)
{
  GString *out = g_string_new ("run,series,step,epoch,seconds,raw,smoothed\n");

  for (guint v = 0; v < n_views; v++)
    {
      PbCurveOptions options;

      g_return_val_if_fail (PB_IS_CURVE_VIEW (views[v]), g_string_free (out, TRUE));
      get_options (views[v], &options);
      pb_curve_append_csv (views[v]->model, &options, out);
    }
  return g_string_free (out, FALSE);
}

gboolean
pb_curve_view_export_csv (PbCurveView *const *views,
                          guint               n_views,
                          const char         *path,
                          GError            **error)
{
  g_autofree char *csv = pb_curve_view_to_csv (views, n_views);

  g_return_val_if_fail (path != NULL, FALSE);
  return g_file_set_contents_full (path, csv, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0666, error);
}
