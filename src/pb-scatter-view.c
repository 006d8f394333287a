/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pb-scatter-view"

#include "config.h"

#include <glib/gi18n.h>
#include <adwaita.h>

#include "pb-scatter.h"
#include "pb-scatter-view.h"

struct _PbScatterView
{
  GtkWidget parent_instance;

  PbEmbedder *embedder;
  guint index;
  int highlight;
  int hover;
  PbScatterLayout layout;
};

G_DEFINE_TYPE (PbScatterView, pb_scatter_view, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_HIGHLIGHT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static const PbEmbedMap *
get_map (PbScatterView *self)
{
  if (self->embedder == NULL || self->index >= pb_embedder_get_n_maps (self->embedder))
    return NULL;
  return pb_embedder_get_map (self->embedder, self->index);
}

static void
get_points (const PbEmbedMap *map,
            PbScatterPoints  *points)
{
  *points = (PbScatterPoints) { 0 };
  if (map == NULL || map->xy == NULL || map->digits == NULL)
    return;
  points->n = map->n;
  points->xy = map->xy;
  points->digits = map->digits;
  points->images = map->images;
  points->images_per_point = map->images_per_point;
}

static char *
describe_state (PbScatterView    *self,
                const PbEmbedMap *map)
{
  switch (map->state)
    {
    case PB_EMBED_QUEUED:
      return g_strdup (_("Waiting for the maps before it"));
    case PB_EMBED_FEATURES:
      return g_strdup_printf (_("Running the model on %d test pairs…"),
                              pb_embedder_get_settings (self->embedder)->test_pairs);
    case PB_EMBED_NEIGHBOURS:
      /* Translators: the t-SNE's first stage, with its progress */
      return g_strdup_printf (_("Finding each point’s neighbours… %.0f\u00a0%%"),
                              100 * map->fraction);
    case PB_EMBED_FAILED:
      return g_strdup (map->message ? map->message : _("Failed"));
    case PB_EMBED_CANCELLED:
      if (map->xy == NULL)
        return g_strdup (_("Stopped"));
      /* Translators: t-SNE iteration, planned iterations, Kullback–Leibler divergence */
      return g_strdup_printf (_("Stopped at iteration %d/%d · KL %.3f"), map->iteration,
                              map->iterations, map->kl);
    case PB_EMBED_OPTIMISING:
    case PB_EMBED_DONE:
    default:
      if (map->xy == NULL)
        return g_strdup ("");
      return g_strdup_printf (_("Iteration %d/%d · KL %.3f"), map->iteration, map->iterations,
                              map->kl);
    }
}

static char *
make_title (PbScatterView    *self,
            const PbEmbedMap *map)
{
  PbLayer layer = pb_embedder_get_settings (self->embedder)->layer;

  /* Translators: a map's title: the run, then the layer mapped */
  return g_strdup_printf (_("%s — %s"), map->title,
                          layer == PB_LAYER_FC1 ? _("hidden layer (fc1)") : _("digit logits"));
}

void
pb_scatter_view_draw (PbScatterView *self,
                      cairo_t       *cr,
                      double         width,
                      double         height,
                      gboolean       for_export)
{
  const PbEmbedMap *map;
  PbScatterPoints points;
  PbScatterStyle style;
  g_autofree char *title = NULL;
  g_autofree char *caption = NULL;
  PangoFontDescription *font = NULL;

  g_return_if_fail (PB_IS_SCATTER_VIEW (self));

  map = get_map (self);
  get_points (map, &points);
  pb_scatter_style_init (&style);
  style.highlight = self->highlight;
  if (for_export)
    {
      style.bg = (GdkRGBA) { 1, 1, 1, 1 };
    }
  else
    {
      G_GNUC_BEGIN_IGNORE_DEPRECATIONS
      gtk_style_context_get_color (gtk_widget_get_style_context (GTK_WIDGET (self)), &style.fg);
      G_GNUC_END_IGNORE_DEPRECATIONS
      style.dark = adw_style_manager_get_dark (adw_style_manager_get_default ());
      style.hover = self->hover;
      font = pango_font_description_copy (
        pango_context_get_font_description (gtk_widget_get_pango_context (GTK_WIDGET (self))));
      style.font = font;
    }
  if (map != NULL)
    {
      title = make_title (self, map);
      caption = describe_state (self, map);
    }
  style.title = title;
  style.caption = caption;
  style.placeholder = map == NULL ? _("Choose a trained run and press Embed") : NULL;

  pb_scatter_draw (cr, width, height, &points, &style, for_export ? NULL : &self->layout);
  if (font != NULL)
    pango_font_description_free (font);
}

static void
pb_scatter_view_snapshot (GtkWidget   *widget,
                          GtkSnapshot *snapshot)
{
  PbScatterView *self = PB_SCATTER_VIEW (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  cairo_t *cr;

  if (width <= 0 || height <= 0)
    return;
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  pb_scatter_view_draw (self, cr, width, height, FALSE);
  cairo_destroy (cr);
}

static void
pb_scatter_view_measure (GtkWidget      *widget,
                         GtkOrientation  orientation,
                         int             for_size,
                         int            *minimum,
                         int            *natural,
                         int            *minimum_baseline,
                         int            *natural_baseline)
{
  *minimum = orientation == GTK_ORIENTATION_HORIZONTAL ? 240 : 200;
  *natural = orientation == GTK_ORIENTATION_HORIZONTAL ? 560 : 480;
}

static void
update_accessible (PbScatterView *self)
{
  const PbEmbedMap *map = get_map (self);
  g_autofree char *title = map ? make_title (self, map) : NULL;
  g_autofree char *caption = map ? describe_state (self, map) : NULL;
  g_autofree char *label = map ? g_strdup_printf ("%s. %s", title, caption)
                               : g_strdup (_("t-SNE map"));

  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, label,
                                  -1);
}

static void
on_updated (PbScatterView *self,
            guint          index)
{
  if (index != self->index)
    return;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  if (pb_embedder_get_map (self->embedder, index)->state != PB_EMBED_OPTIMISING)
    update_accessible (self);
}

static void
on_motion (GtkEventControllerMotion *controller,
           double                    x,
           double                    y,
           PbScatterView            *self)
{
  PbScatterPoints points;
  int hover;

  get_points (get_map (self), &points);
  hover = pb_scatter_hit_point (&self->layout, &points, x, y, 6);
  if (hover >= 0 && self->highlight >= 0 && points.digits[hover] != self->highlight)
    hover = -1;
  if (hover != self->hover)
    {
      self->hover = hover;
      gtk_widget_queue_draw (GTK_WIDGET (self));
    }
}

static void
on_leave (GtkEventControllerMotion *controller,
          PbScatterView            *self)
{
  if (self->hover >= 0)
    {
      self->hover = -1;
      gtk_widget_queue_draw (GTK_WIDGET (self));
    }
}

static void
on_pressed (GtkGestureClick *gesture,
            int              n_press,
            double           x,
            double           y,
            PbScatterView   *self)
{
  int digit = pb_scatter_hit_legend (&self->layout, x, y);

  if (digit >= 0)
    pb_scatter_view_set_highlight (self, digit == self->highlight ? -1 : digit);
  else if (self->highlight >= 0 && x < self->layout.x + self->layout.width)
    pb_scatter_view_set_highlight (self, -1);
}

static void
pb_scatter_view_css_changed (GtkWidget         *widget,
                             GtkCssStyleChange *change)
{
  GTK_WIDGET_CLASS (pb_scatter_view_parent_class)->css_changed (widget, change);
  gtk_widget_queue_draw (widget);
}

static void
pb_scatter_view_dispose (GObject *object)
{
  PbScatterView *self = PB_SCATTER_VIEW (object);

  if (self->embedder != NULL)
    g_signal_handlers_disconnect_by_data (self->embedder, self);
  g_clear_object (&self->embedder);

  G_OBJECT_CLASS (pb_scatter_view_parent_class)->dispose (object);
}

static void
pb_scatter_view_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  PbScatterView *self = PB_SCATTER_VIEW (object);

  switch (prop_id)
    {
    case PROP_HIGHLIGHT:
      g_value_set_int (value, self->highlight);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pb_scatter_view_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  PbScatterView *self = PB_SCATTER_VIEW (object);

  switch (prop_id)
    {
    case PROP_HIGHLIGHT:
      pb_scatter_view_set_highlight (self, g_value_get_int (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pb_scatter_view_class_init (PbScatterViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pb_scatter_view_dispose;
  object_class->get_property = pb_scatter_view_get_property;
  object_class->set_property = pb_scatter_view_set_property;
  widget_class->snapshot = pb_scatter_view_snapshot;
  widget_class->measure = pb_scatter_view_measure;
  widget_class->css_changed = pb_scatter_view_css_changed;

  properties[PROP_HIGHLIGHT] =
    g_param_spec_int ("highlight", NULL, NULL, -1, 9, -1,
                      G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "scatterview");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
pb_scatter_view_init (PbScatterView *self)
{
  GtkEventController *motion = gtk_event_controller_motion_new ();
  GtkGesture *click = gtk_gesture_click_new ();

  self->highlight = -1;
  self->hover = -1;
  g_signal_connect (motion, "motion", G_CALLBACK (on_motion), self);
  g_signal_connect (motion, "leave", G_CALLBACK (on_leave), self);
  gtk_widget_add_controller (GTK_WIDGET (self), motion);
  g_signal_connect (click, "pressed", G_CALLBACK (on_pressed), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));
  g_signal_connect_object (adw_style_manager_get_default (), "notify::dark",
                           G_CALLBACK (gtk_widget_queue_draw), self, G_CONNECT_SWAPPED);
  update_accessible (self);
}

GtkWidget *
pb_scatter_view_new (void)
{
  return g_object_new (PB_TYPE_SCATTER_VIEW, NULL);
}

void
pb_scatter_view_set_source (PbScatterView *self,
                            PbEmbedder    *embedder,
                            guint          index)
{
  g_return_if_fail (PB_IS_SCATTER_VIEW (self));

  if (self->embedder != NULL)
    g_signal_handlers_disconnect_by_data (self->embedder, self);
  g_set_object (&self->embedder, embedder);
  self->index = index;
  self->hover = -1;
  if (embedder != NULL)
    g_signal_connect_swapped (embedder, "updated", G_CALLBACK (on_updated), self);
  update_accessible (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

int
pb_scatter_view_get_highlight (PbScatterView *self)
{
  g_return_val_if_fail (PB_IS_SCATTER_VIEW (self), -1);
  return self->highlight;
}

void
pb_scatter_view_set_highlight (PbScatterView *self,
                               int            digit)
{
  g_return_if_fail (PB_IS_SCATTER_VIEW (self));

  digit = CLAMP (digit, -1, 9);
  if (self->highlight == digit)
    return;
  self->highlight = digit;
  self->hover = -1;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HIGHLIGHT]);
}

int
pb_scatter_view_get_n_points (PbScatterView *self)
{
  PbScatterPoints points;

  g_return_val_if_fail (PB_IS_SCATTER_VIEW (self), 0);
  get_points (get_map (self), &points);
  return points.n;
}
