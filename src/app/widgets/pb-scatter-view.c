/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pb-scatter-view"

#include "config.h"

#include <math.h>
#include <glib/gi18n.h>
#include <adwaita.h>

#include "pb-debug.h"
#include "pb-data.h"
#include "pb-scatter-view.h"

#define ZOOM_STEP 1.25
#define PAN_STEP 0.1
#define DRAG_THRESHOLD 4

struct _PbScatterView
{
  GtkWidget parent_instance;

  PbEmbedder *embedder;
  guint index;
  int highlight;
  int hover;
  PbScatterColoring coloring;
  gboolean sprites;
  double zoom, pan_x, pan_y;
  int selected;
  GArray *neighbours;   /* int */
  guint8 *category;     /* scratch: [n] */
  int category_n;
  PbScatterLayout layout;

  gboolean follow_selected;  /* until the user moves the view */
  double drag_pan_x, drag_pan_y;
  gboolean dragging;
  double pointer_x, pointer_y;
};

G_DEFINE_TYPE (PbScatterView, pb_scatter_view, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_HIGHLIGHT,
  PROP_COLORING,
  PROP_SPRITES,
  PROP_SELECTED,
  PROP_ZOOM,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

const PbEmbedMap *
pb_scatter_view_get_map (PbScatterView *self)
{
  g_return_val_if_fail (PB_IS_SCATTER_VIEW (self), NULL);

  if (self->embedder == NULL || self->index >= pb_embedder_get_n_maps (self->embedder))
    return NULL;
  return pb_embedder_get_map (self->embedder, self->index);
}

static gboolean
get_points (PbScatterView   *self,
            gboolean         dark,
            PbScatterPoints *points)
{
  const PbEmbedMap *map = pb_scatter_view_get_map (self);

  if (map != NULL && map->n > self->category_n)
    {
      self->category = g_renew (guint8, self->category, map->n);
      self->category_n = map->n;
    }
  return pb_scatter_points_from_map (map, self->coloring, dark, self->category, points);
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

GdkTexture *
pb_scatter_point_texture (const PbScatterPoints *points,
                          int                    i,
                          gboolean               dark,
                          int                    scale)
{
  int w = PB_IMAGE_SIDE * scale * MAX (points->images_per_point, 1), h = PB_IMAGE_SIDE * scale;
  int stride = w * 4;
  guint8 *data;
  GBytes *bytes;
  GdkTexture *texture;

  g_return_val_if_fail (points->images != NULL && i >= 0 && i < points->n, NULL);
  g_return_val_if_fail (scale >= 1, NULL);

  data = g_malloc ((gsize) stride * h);
  pb_scatter_point_pixels (points, i, dark, scale, data, stride);
  bytes = g_bytes_new_take (data, (gsize) stride * h);
  /* xRGB in native-endian 32-bit words, as cairo's RGB24. */
  texture = gdk_memory_texture_new (w, h, G_BYTE_ORDER == G_LITTLE_ENDIAN
                                    ? GDK_MEMORY_B8G8R8A8 : GDK_MEMORY_A8R8G8B8,
                                    bytes, stride);
  g_bytes_unref (bytes);
  return texture;
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
  g_autofree char *hover_text = NULL;
  PangoFontDescription *font = NULL;

  g_return_if_fail (PB_IS_SCATTER_VIEW (self));

  map = pb_scatter_view_get_map (self);
  pb_scatter_style_init (&style);
  style.highlight = self->highlight;
  style.sprites = self->sprites;
  style.zoom = self->zoom;
  style.pan_x = self->pan_x;
  style.pan_y = self->pan_y;
  style.selected = self->selected;
  style.neighbours = (const int *) (gpointer) self->neighbours->data;
  style.n_neighbours = (int) self->neighbours->len;
  if (for_export)
    {
      style.bg = (PbColor) { 1, 1, 1, 1 };
    }
  else
    {
      GdkRGBA fg, accent;

      G_GNUC_BEGIN_IGNORE_DEPRECATIONS
      gtk_style_context_get_color (gtk_widget_get_style_context (GTK_WIDGET (self)), &fg);
      style.fg = PB_COLOR_FROM (fg);
      style.dark = adw_style_manager_get_dark (adw_style_manager_get_default ());
      if (gtk_style_context_lookup_color (gtk_widget_get_style_context (GTK_WIDGET (self)),
                                          "accent_color", &accent))
        style.accent = PB_COLOR_FROM (accent);
      G_GNUC_END_IGNORE_DEPRECATIONS
      style.hover = self->hover;
      font = pango_font_description_copy (
        pango_context_get_font_description (gtk_widget_get_pango_context (GTK_WIDGET (self))));
      style.font = font;
    }
  get_points (self, style.dark, &points);
  if (style.hover >= points.n)
    style.hover = -1;
  if (style.hover >= 0)
    {
      g_autofree char *what = pb_embed_map_describe_point (map, style.hover);
      g_autofree char *pair = pb_embed_map_describe_pair (map, style.hover);

      hover_text = g_strdup_printf ("%s\n%s", what, pair);
      style.hover_text = hover_text;
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

/* A point selected from the list, or pushed aside as the neighbour panel opens, is brought
 * back into the map with its neighbours (or alone, when they do not fit). */
static void
keep_selected_in_view (PbScatterView *self)
{
  PbScatterPoints points;
  const PbScatterLayout *lo = &self->layout;
  double x0 = G_MAXDOUBLE, x1 = -G_MAXDOUBLE, y0 = G_MAXDOUBLE, y1 = -G_MAXDOUBLE;
  double sx, sy, cx, cy, inset_x, inset_y, side;

  if (!self->follow_selected || self->selected < 0 || !get_points (self, FALSE, &points)
      || self->selected >= points.n || lo->scale <= 0)
    return;
  /* The whole map, unzoomed, is left alone unless a point is off it. */
  inset_x = self->zoom <= 1 ? 0 : MIN (lo->width / 4, MAX (lo->sprite_w, 12));
  inset_y = self->zoom <= 1 ? 0 : MIN (lo->height / 4, MAX (lo->sprite_h, 12));
  pb_scatter_point_position (lo, &points, self->selected, &sx, &sy);
  for (int j = -1; j < (int) self->neighbours->len; j++)
    {
      int i = j < 0 ? self->selected : g_array_index (self->neighbours, int, j);
      double px, py;

      if (i < 0 || i >= points.n)
        continue;
      pb_scatter_point_position (lo, &points, i, &px, &py);
      x0 = MIN (x0, px);
      x1 = MAX (x1, px);
      y0 = MIN (y0, py);
      y1 = MAX (y1, py);
    }
  if (x0 >= lo->x + inset_x && x1 <= lo->x + lo->width - inset_x
      && y0 >= lo->y + inset_y && y1 <= lo->y + lo->height - inset_y)
    return;
  if (x1 - x0 <= lo->width - 2 * inset_x && y1 - y0 <= lo->height - 2 * inset_y)
    {
      cx = (x0 + x1) / 2;
      cy = (y0 + y1) / 2;
    }
  else
    {
      cx = sx;
      cy = sy;
    }
  side = MAX (1, MIN (lo->width, lo->height));
  self->pan_x += (lo->x + lo->width / 2 - cx) / side;
  self->pan_y += (lo->y + lo->height / 2 - cy) / side;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
pb_scatter_view_snapshot (GtkWidget   *widget,
                          GtkSnapshot *snapshot)
{
  PbScatterView *self = PB_SCATTER_VIEW (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  gint64 t0 = g_get_monotonic_time ();
  cairo_t *cr;

  if (width <= 0 || height <= 0)
    return;
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  pb_scatter_view_draw (self, cr, width, height, FALSE);
  if (gtk_widget_has_visible_focus (widget))
    {
      GdkRGBA accent;

      G_GNUC_BEGIN_IGNORE_DEPRECATIONS
      if (!gtk_style_context_lookup_color (gtk_widget_get_style_context (widget), "accent_color",
                                           &accent))
        accent = (GdkRGBA) { 0.21, 0.52, 0.89, 1 };
      G_GNUC_END_IGNORE_DEPRECATIONS
      gdk_cairo_set_source_rgba (cr, &accent);
      cairo_set_line_width (cr, 2);
      cairo_rectangle (cr, self->layout.x - 1, self->layout.y - 1, self->layout.width + 2,
                       self->layout.height + 2);
      cairo_stroke (cr);
    }
  cairo_destroy (cr);
  keep_selected_in_view (self);
  if (pb_debug_timing ())
    g_message ("scatter snapshot (%s, %d points): %.3f ms", self->sprites ? "sprites" : "dots",
               pb_scatter_view_get_n_points (self), (g_get_monotonic_time () - t0) / 1000.0);
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
  const PbEmbedMap *map = pb_scatter_view_get_map (self);
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
set_hover (PbScatterView *self,
           int            hover)
{
  if (hover != self->hover)
    {
      self->hover = hover;
      gtk_widget_queue_draw (GTK_WIDGET (self));
    }
}

static int
point_at (PbScatterView *self,
          double         x,
          double         y)
{
  PbScatterPoints points;
  int hit;

  get_points (self, FALSE, &points);
  hit = pb_scatter_hit_point (&self->layout, &points, x, y, 6);
  if (hit >= 0 && self->highlight >= 0 && points.category[hit] != self->highlight)
    hit = -1;
  return hit;
}

static void
on_motion (GtkEventControllerMotion *controller,
           double                    x,
           double                    y,
           PbScatterView            *self)
{
  self->pointer_x = x;
  self->pointer_y = y;
  if (!self->dragging)
    set_hover (self, point_at (self, x, y));
}

static void
on_leave (GtkEventControllerMotion *controller,
          PbScatterView            *self)
{
  set_hover (self, -1);
}

static void
set_view (PbScatterView *self,
          double         zoom,
          double         pan_x,
          double         pan_y)
{
  gboolean zoom_changed = zoom != self->zoom;

  self->follow_selected = FALSE;
  self->zoom = zoom;
  self->pan_x = pan_x;
  self->pan_y = pan_y;
  self->hover = -1;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  if (zoom_changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ZOOM]);
}

static void
zoom_at (PbScatterView *self,
         double         factor,
         double         x,
         double         y)
{
  double zoom = self->zoom, pan_x = self->pan_x, pan_y = self->pan_y;

  pb_scatter_zoom_at (&self->layout, factor, x, y, &zoom, &pan_x, &pan_y);
  set_view (self, zoom, pan_x, pan_y);
}

static gboolean
on_scroll (GtkEventControllerScroll *controller,
           double                    dx,
           double                    dy,
           PbScatterView            *self)
{
  if (pb_scatter_view_get_n_points (self) == 0 || dy == 0)
    return FALSE;
  zoom_at (self, pow (ZOOM_STEP, -dy), self->pointer_x, self->pointer_y);
  return TRUE;
}

static void
on_drag_begin (GtkGestureDrag *gesture,
               double          x,
               double          y,
               PbScatterView  *self)
{
  self->drag_pan_x = self->pan_x;
  self->drag_pan_y = self->pan_y;
  self->dragging = FALSE;
  gtk_widget_grab_focus (GTK_WIDGET (self));
}

static void
on_drag_update (GtkGestureDrag *gesture,
                double          ox,
                double          oy,
                PbScatterView  *self)
{
  double side = MAX (1, MIN (self->layout.width, self->layout.height));

  if (!self->dragging && hypot (ox, oy) < DRAG_THRESHOLD)
    return;
  if (!self->dragging)
    {
      self->dragging = TRUE;
      gtk_widget_set_cursor_from_name (GTK_WIDGET (self), "grabbing");
    }
  set_view (self, self->zoom, self->drag_pan_x + ox / side, self->drag_pan_y + oy / side);
}

static void
click_at (PbScatterView *self,
          double         x,
          double         y)
{
  int category = pb_scatter_hit_legend (&self->layout, x, y);
  int point;

  if (category >= 0)
    {
      pb_scatter_view_set_highlight (self, category == self->highlight ? -1 : category);
      return;
    }
  point = point_at (self, x, y);
  if (point >= 0)
    pb_scatter_view_set_selected (self, point);
  else if (x < self->layout.x + self->layout.width)
    {
      /* A click on empty map first drops the highlight, then the selection. */
      if (self->highlight >= 0)
        pb_scatter_view_set_highlight (self, -1);
      else
        pb_scatter_view_set_selected (self, -1);
    }
}

static void
on_drag_end (GtkGestureDrag *gesture,
             double          ox,
             double          oy,
             PbScatterView  *self)
{
  double x, y;

  if (self->dragging)
    {
      self->dragging = FALSE;
      gtk_widget_set_cursor (GTK_WIDGET (self), NULL);
      return;
    }
  gtk_gesture_drag_get_start_point (gesture, &x, &y);
  click_at (self, x, y);
}

static gboolean
on_key_pressed (GtkEventControllerKey *controller,
                guint                  keyval,
                guint                  keycode,
                GdkModifierType        state,
                PbScatterView         *self)
{
  if (state & (GDK_CONTROL_MASK | GDK_ALT_MASK))
    return FALSE;
  switch (keyval)
    {
    case GDK_KEY_plus:
    case GDK_KEY_equal:
    case GDK_KEY_KP_Add:
      pb_scatter_view_zoom (self, ZOOM_STEP);
      return TRUE;
    case GDK_KEY_minus:
    case GDK_KEY_KP_Subtract:
      pb_scatter_view_zoom (self, 1 / ZOOM_STEP);
      return TRUE;
    case GDK_KEY_0:
    case GDK_KEY_KP_0:
    case GDK_KEY_Home:
      pb_scatter_view_reset_view (self);
      return TRUE;
    /* The arrows move the view over the map, so the map slides the other way. */
    case GDK_KEY_Left:
    case GDK_KEY_KP_Left:
      pb_scatter_view_pan (self, PAN_STEP, 0);
      return TRUE;
    case GDK_KEY_Right:
    case GDK_KEY_KP_Right:
      pb_scatter_view_pan (self, -PAN_STEP, 0);
      return TRUE;
    case GDK_KEY_Up:
    case GDK_KEY_KP_Up:
      pb_scatter_view_pan (self, 0, PAN_STEP);
      return TRUE;
    case GDK_KEY_Down:
    case GDK_KEY_KP_Down:
      pb_scatter_view_pan (self, 0, -PAN_STEP);
      return TRUE;
    case GDK_KEY_Escape:
      if (self->selected < 0)
        return FALSE;
      pb_scatter_view_set_selected (self, -1);
      return TRUE;
    default:
      return FALSE;
    }
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
pb_scatter_view_finalize (GObject *object)
{
  PbScatterView *self = PB_SCATTER_VIEW (object);

  g_array_unref (self->neighbours);
  g_free (self->category);

  G_OBJECT_CLASS (pb_scatter_view_parent_class)->finalize (object);
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
    case PROP_COLORING:
      g_value_set_int (value, self->coloring);
      break;
    case PROP_SPRITES:
      g_value_set_boolean (value, self->sprites);
      break;
    case PROP_SELECTED:
      g_value_set_int (value, self->selected);
      break;
    case PROP_ZOOM:
      g_value_set_double (value, self->zoom);
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
    case PROP_COLORING:
      pb_scatter_view_set_coloring (self, g_value_get_int (value));
      break;
    case PROP_SPRITES:
      pb_scatter_view_set_sprites (self, g_value_get_boolean (value));
      break;
    case PROP_SELECTED:
      pb_scatter_view_set_selected (self, g_value_get_int (value));
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
  object_class->finalize = pb_scatter_view_finalize;
  object_class->get_property = pb_scatter_view_get_property;
  object_class->set_property = pb_scatter_view_set_property;
  widget_class->snapshot = pb_scatter_view_snapshot;
  widget_class->measure = pb_scatter_view_measure;
  widget_class->css_changed = pb_scatter_view_css_changed;

  properties[PROP_HIGHLIGHT] =
    g_param_spec_int ("highlight", NULL, NULL, -1, PB_SCATTER_MAX_CATEGORIES - 1, -1,
                      G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_COLORING] =
    g_param_spec_int ("coloring", NULL, NULL, 0, PB_SCATTER_N_COLORINGS - 1,
                      PB_SCATTER_COLOR_DIGIT,
                      G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SPRITES] =
    g_param_spec_boolean ("sprites", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SELECTED] =
    g_param_spec_int ("selected", NULL, NULL, -1, G_MAXINT, -1,
                      G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ZOOM] =
    g_param_spec_double ("zoom", NULL, NULL, PB_SCATTER_MIN_ZOOM, PB_SCATTER_MAX_ZOOM, 1,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "scatterview");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
pb_scatter_view_init (PbScatterView *self)
{
  GtkEventController *motion = gtk_event_controller_motion_new ();
  GtkEventController *scroll =
    gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_VERTICAL);
  GtkEventController *key = gtk_event_controller_key_new ();
  GtkGesture *drag = gtk_gesture_drag_new ();

  self->highlight = -1;
  self->hover = -1;
  self->selected = -1;
  self->zoom = 1;
  self->neighbours = g_array_new (FALSE, FALSE, sizeof (int));
  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);
  g_signal_connect (motion, "motion", G_CALLBACK (on_motion), self);
  g_signal_connect (motion, "leave", G_CALLBACK (on_leave), self);
  gtk_widget_add_controller (GTK_WIDGET (self), motion);
  g_signal_connect (scroll, "scroll", G_CALLBACK (on_scroll), self);
  gtk_widget_add_controller (GTK_WIDGET (self), scroll);
  g_signal_connect (key, "key-pressed", G_CALLBACK (on_key_pressed), self);
  gtk_widget_add_controller (GTK_WIDGET (self), key);
  g_signal_connect (drag, "drag-begin", G_CALLBACK (on_drag_begin), self);
  g_signal_connect (drag, "drag-update", G_CALLBACK (on_drag_update), self);
  g_signal_connect (drag, "drag-end", G_CALLBACK (on_drag_end), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drag));
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
  pb_scatter_view_set_neighbours (self, NULL, 0);
  pb_scatter_view_set_selected (self, -1);
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
                               int            category)
{
  g_return_if_fail (PB_IS_SCATTER_VIEW (self));

  category = CLAMP (category, -1, PB_SCATTER_MAX_CATEGORIES - 1);
  if (self->highlight == category)
    return;
  self->highlight = category;
  self->hover = -1;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HIGHLIGHT]);
}

PbScatterColoring
pb_scatter_view_get_coloring (PbScatterView *self)
{
  g_return_val_if_fail (PB_IS_SCATTER_VIEW (self), PB_SCATTER_COLOR_DIGIT);
  return self->coloring;
}

void
pb_scatter_view_set_coloring (PbScatterView     *self,
                              PbScatterColoring  coloring)
{
  g_return_if_fail (PB_IS_SCATTER_VIEW (self));
  g_return_if_fail (coloring < PB_SCATTER_N_COLORINGS);

  if (self->coloring == coloring)
    return;
  self->coloring = coloring;
  /* A highlighted category of the old colouring means nothing in the new one. */
  pb_scatter_view_set_highlight (self, -1);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COLORING]);
}

gboolean
pb_scatter_view_get_sprites (PbScatterView *self)
{
  g_return_val_if_fail (PB_IS_SCATTER_VIEW (self), FALSE);
  return self->sprites;
}

void
pb_scatter_view_set_sprites (PbScatterView *self,
                             gboolean       sprites)
{
  g_return_if_fail (PB_IS_SCATTER_VIEW (self));

  sprites = !!sprites;
  if (self->sprites == sprites)
    return;
  self->sprites = sprites;
  self->hover = -1;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SPRITES]);
}

int
pb_scatter_view_get_selected (PbScatterView *self)
{
  g_return_val_if_fail (PB_IS_SCATTER_VIEW (self), -1);
  return self->selected;
}

void
pb_scatter_view_set_selected (PbScatterView *self,
                              int            point)
{
  g_return_if_fail (PB_IS_SCATTER_VIEW (self));

  point = MAX (point, -1);
  if (self->selected == point)
    return;
  self->selected = point;
  self->follow_selected = point >= 0;
  g_array_set_size (self->neighbours, 0);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SELECTED]);
}

void
pb_scatter_view_set_neighbours (PbScatterView *self,
                                const int     *points,
                                int            n)
{
  g_return_if_fail (PB_IS_SCATTER_VIEW (self));

  g_array_set_size (self->neighbours, 0);
  if (points != NULL && n > 0)
    g_array_append_vals (self->neighbours, points, n);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

const int *
pb_scatter_view_get_neighbours (PbScatterView *self,
                                int           *n)
{
  g_return_val_if_fail (PB_IS_SCATTER_VIEW (self), NULL);
  *n = (int) self->neighbours->len;
  return (const int *) (gpointer) self->neighbours->data;
}

void
pb_scatter_view_zoom (PbScatterView *self,
                      double         factor)
{
  g_return_if_fail (PB_IS_SCATTER_VIEW (self));
  zoom_at (self, factor, self->layout.x + self->layout.width / 2,
           self->layout.y + self->layout.height / 2);
}

void
pb_scatter_view_pan (PbScatterView *self,
                     double         dx,
                     double         dy)
{
  g_return_if_fail (PB_IS_SCATTER_VIEW (self));
  set_view (self, self->zoom, self->pan_x + dx, self->pan_y + dy);
}

void
pb_scatter_view_reset_view (PbScatterView *self)
{
  g_return_if_fail (PB_IS_SCATTER_VIEW (self));
  set_view (self, 1, 0, 0);
}

double
pb_scatter_view_get_zoom (PbScatterView *self)
{
  g_return_val_if_fail (PB_IS_SCATTER_VIEW (self), 1);
  return self->zoom;
}

int
pb_scatter_view_get_n_points (PbScatterView *self)
{
  const PbEmbedMap *map;

  g_return_val_if_fail (PB_IS_SCATTER_VIEW (self), 0);
  map = pb_scatter_view_get_map (self);
  return map != NULL && map->xy != NULL && map->digits != NULL ? map->n : 0;
}
