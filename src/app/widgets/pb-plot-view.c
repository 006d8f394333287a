/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pb-plot-view"

#include "config.h"

#include <glib/gi18n.h>

#include "pb-debug.h"
#include "pb-plot-view.h"
#include "pb-style.h"

struct _PbPlotView
{
  GtkWidget parent_instance;

  PbPlotKind kind;
  const PbSession *session;
};

G_DEFINE_TYPE (PbPlotView, pb_plot_view, GTK_TYPE_WIDGET)

G_DEFINE_ENUM_TYPE (PbPlotKind, pb_plot_kind,
                    G_DEFINE_ENUM_VALUE (PB_PLOT_CURVES, "curves"),
                    G_DEFINE_ENUM_VALUE (PB_PLOT_SMALL_MULTIPLES, "small-multiples"),
                    G_DEFINE_ENUM_VALUE (PB_PLOT_BOX, "box"))

enum {
  PROP_0,
  PROP_KIND,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

void
pb_plot_style_set_font_from_widget (PbPlotStyle *style,
                                    GtkWidget   *widget)
{
  const PangoFontDescription *font =
    pango_context_get_font_description (gtk_widget_get_pango_context (widget));

  if (font != NULL && pango_font_description_get_family (font) != NULL)
    {
      double size = pango_font_description_get_size (font) / (double) PANGO_SCALE;

      g_strlcpy (style->font_family, pango_font_description_get_family (font),
                 sizeof style->font_family);
      if (size > 0)
        style->font_size = pango_font_description_get_size_is_absolute (font) ? size
                                                                              : size * 96 / 72;
    }
}

void
pb_plot_style_from_widget (GtkWidget   *widget,
                           PbPlotStyle *out)
{
  GdkRGBA fg, c;

  pb_plot_style_init (out, FALSE);
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);
  out->foreground = PB_COLOR_FROM (fg);
  if (gtk_style_context_lookup_color (gtk_widget_get_style_context (widget), "view_bg_color",
                                      &c))
    out->background = PB_COLOR_FROM (c);
  if (gtk_style_context_lookup_color (gtk_widget_get_style_context (widget), "popover_bg_color",
                                      &c))
    out->popover = PB_COLOR_FROM (c);
  else
    out->popover = (PbColor) { 1 - fg.red, 1 - fg.green, 1 - fg.blue, 1 };
  G_GNUC_END_IGNORE_DEPRECATIONS
  /* The widget's own CSS background is behind it already. */
  out->paint_background = FALSE;
  for (guint i = 0; i < PB_N_RUN_COLORS && i < PB_PLOT_N_SERIES; i++)
    {
      pb_run_color (widget, i, &c);
      out->series[i] = PB_COLOR_FROM (c);
    }
  pb_plot_style_set_font_from_widget (out, widget);
}

void
pb_plot_view_get_style (PbPlotView  *self,
                        PbPlotStyle *out)
{
  pb_plot_style_from_widget (GTK_WIDGET (self), out);
}

static void
pb_plot_view_snapshot (GtkWidget   *widget,
                       GtkSnapshot *snapshot)
{
  PbPlotView *self = PB_PLOT_VIEW (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  PbPlotStyle style;
  gint64 t0 = g_get_monotonic_time ();
  cairo_t *cr;

  if (width <= 0 || height <= 0)
    return;
  pb_plot_view_get_style (self, &style);
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  pb_plot_draw_session (cr, width, height, &style, self->kind, self->session);
  cairo_destroy (cr);
  if (pb_debug_timing ())
    g_message ("plot snapshot: %.3f ms", (g_get_monotonic_time () - t0) / 1000.0);
}

static void
pb_plot_view_measure (GtkWidget      *widget,
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
    *minimum = 200, *natural = 280;
}

static void
pb_plot_view_css_changed (GtkWidget         *widget,
                          GtkCssStyleChange *change)
{
  GTK_WIDGET_CLASS (pb_plot_view_parent_class)->css_changed (widget, change);
  gtk_widget_queue_draw (widget);
}

static void
update_accessible_label (PbPlotView *self)
{
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  pb_plot_kind_title (self->kind),
                                  -1);
}

static void
pb_plot_view_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  PbPlotView *self = PB_PLOT_VIEW (object);

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
pb_plot_view_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  PbPlotView *self = PB_PLOT_VIEW (object);

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
pb_plot_view_class_init (PbPlotViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = pb_plot_view_get_property;
  object_class->set_property = pb_plot_view_set_property;
  widget_class->snapshot = pb_plot_view_snapshot;
  widget_class->measure = pb_plot_view_measure;
  widget_class->css_changed = pb_plot_view_css_changed;

  properties[PROP_KIND] =
    g_param_spec_enum ("kind", NULL, NULL, PB_TYPE_PLOT_KIND, PB_PLOT_SMALL_MULTIPLES,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "plotview");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
pb_plot_view_init (PbPlotView *self)
{
}

GtkWidget *
pb_plot_view_new (PbPlotKind kind)
{
  return g_object_new (PB_TYPE_PLOT_VIEW, "kind", kind, NULL);
}

PbPlotKind
pb_plot_view_get_kind (PbPlotView *self)
{
  g_return_val_if_fail (PB_IS_PLOT_VIEW (self), PB_PLOT_CURVES);
  return self->kind;
}

void
pb_plot_view_set_session (PbPlotView      *self,
                          const PbSession *session)
{
  g_return_if_fail (PB_IS_PLOT_VIEW (self));
  self->session = session;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
pb_plot_view_update (PbPlotView *self)
{
  g_return_if_fail (PB_IS_PLOT_VIEW (self));
  gtk_widget_queue_draw (GTK_WIDGET (self));
}
