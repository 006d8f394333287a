/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pb-feature-grid"

#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n.h>

#include "pb-feature-grid.h"

#define GAP 3
#define GROUP_GAP 1
#define MAX_COLS 24

struct _PbFeatureGrid
{
  GtkWidget parent_instance;

  PbFeatureScale scale;
  int target_cell;
  float *values;
  int n;
  int group;
  int side;
  double vmax;
};

G_DEFINE_TYPE (PbFeatureGrid, pb_feature_grid, GTK_TYPE_WIDGET)

typedef struct
{
  int px;     /* pixels per value */
  int image;  /* side * px */
  int cell;   /* width of a cell: group images */
  int cols;
  int rows;
} Layout;

static void
lerp3 (const double *a,
       const double *b,
       double        t,
       double       *r,
       double       *g,
       double       *bl)
{
  *r = a[0] + (b[0] - a[0]) * t;
  *g = a[1] + (b[1] - a[1]) * t;
  *bl = a[2] + (b[2] - a[2]) * t;
}

void
pb_feature_scale_color (PbFeatureScale  scale,
                        double          value,
                        double          vmax,
                        double         *r,
                        double         *g,
                        double         *b)
{
  /* ColorBrewer's RdBu ends and viridis at five stops. */
  static const double blue[3] = { 0.129, 0.400, 0.675 };
  static const double white[3] = { 0.969, 0.969, 0.969 };
  static const double red[3] = { 0.698, 0.094, 0.169 };
  static const double viridis[5][3] = {
    { 0.267, 0.004, 0.329 }, { 0.231, 0.322, 0.545 }, { 0.129, 0.569, 0.549 },
    { 0.369, 0.788, 0.384 }, { 0.992, 0.906, 0.145 },
  };
  double t = vmax > 0 ? value / vmax : 0;

  if (!isfinite (t))
    t = 0;
  switch (scale)
    {
    case PB_FEATURE_SCALE_DIVERGING:
      t = CLAMP (t, -1, 1);
      if (t < 0)
        lerp3 (white, blue, -t, r, g, b);
      else
        lerp3 (white, red, t, r, g, b);
      break;
    case PB_FEATURE_SCALE_SEQUENTIAL:
      {
        double u = CLAMP (t, 0, 1) * 4;
        int i = MIN ((int) u, 3);
        lerp3 (viridis[i], viridis[i + 1], u - i, r, g, b);
      }
      break;
    case PB_FEATURE_SCALE_GRAY:
    default:
      *r = *g = *b = CLAMP (t, 0, 1);
      break;
    }
}

static Layout
layout_for_px (PbFeatureGrid *self,
               int            px,
               int            width)
{
  Layout l = { .px = px };

  l.image = px * self->side;
  l.cell = self->group * l.image + (self->group - 1) * GROUP_GAP;
  l.cols = MIN (MIN (self->n, MAX_COLS), (width + GAP) / (l.cell + GAP));
  if (l.cols >= 1)
    {
      /* Balance the rows, so that the last one is not a short remainder. */
      l.rows = (self->n + l.cols - 1) / l.cols;
      l.cols = (self->n + l.rows - 1) / l.rows;
    }
  return l;
}

/* The wanted size, larger (up to half as large again) where the width holds the grid in as few rows as
 * MAX_COLS allows, smaller where it must to fit. */
static Layout
compute_layout (PbFeatureGrid *self,
                int            width)
{
  Layout l = { 0 };
  int target, fewest_rows;

  if (self->values == NULL || self->n == 0)
    return l;
  target = MAX (1, (int) lround ((double) self->target_cell / self->side));
  fewest_rows = (self->n + MAX_COLS - 1) / MAX_COLS;
  for (int px = target + target / 2; px > target; px--)
    {
      l = layout_for_px (self, px, width);
      if (l.cols >= 1 && l.rows == fewest_rows)
        return l;
    }
  for (int px = target; px >= 1; px--)
    {
      l = layout_for_px (self, px, width);
      if (l.cols >= 1)
        return l;
    }
  l.cols = 1;
  l.rows = self->n;
  return l;  /* narrower than one cell: it overflows */
}

static void
pb_feature_grid_snapshot (GtkWidget   *widget,
                          GtkSnapshot *snapshot)
{
  PbFeatureGrid *self = PB_FEATURE_GRID (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  Layout l = compute_layout (self, width);
  int grid_width = l.cols * (l.cell + GAP) - GAP;
  int x0 = MAX (1, (width - grid_width) / 2);
  int per_image = self->side * self->side;
  GdkRGBA fg;
  cairo_t *cr;

  if (l.cols == 0)
    return;
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);
  G_GNUC_END_IGNORE_DEPRECATIONS
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  cairo_set_antialias (cr, CAIRO_ANTIALIAS_NONE);
  for (int c = 0; c < self->n; c++)
    {
      int cx = x0 + (c % l.cols) * (l.cell + GAP);
      int cy = 1 + (c / l.cols) * (l.image + GAP);

      /* A faint frame in the gap keeps dark cells apart on a dark background; a two-channel
       * filter shares one. */
      cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 0.25);
      cairo_rectangle (cr, cx - 1, cy - 1, l.cell + 2, l.image + 2);
      cairo_fill (cr);
      for (int k = 0; k < self->group; k++)
        {
          const float *img = self->values + ((gsize) c * self->group + k) * per_image;
          int ix = cx + k * (l.image + GROUP_GAP);

          for (int y = 0; y < self->side; y++)
            for (int x = 0; x < self->side; x++)
              {
                double r, g, b;

                pb_feature_scale_color (self->scale, img[y * self->side + x], self->vmax, &r, &g,
                                        &b);
                cairo_set_source_rgb (cr, r, g, b);
                cairo_rectangle (cr, ix + x * l.px, cy + y * l.px, l.px, l.px);
                cairo_fill (cr);
              }
        }
    }
  cairo_destroy (cr);
}

static GtkSizeRequestMode
pb_feature_grid_get_request_mode (GtkWidget *widget)
{
  return GTK_SIZE_REQUEST_HEIGHT_FOR_WIDTH;
}

static void
pb_feature_grid_measure (GtkWidget      *widget,
                         GtkOrientation  orientation,
                         int             for_size,
                         int            *minimum,
                         int            *natural,
                         int            *minimum_baseline,
                         int            *natural_baseline)
{
  PbFeatureGrid *self = PB_FEATURE_GRID (widget);

  if (self->values == NULL || self->n == 0)
    {
      *minimum = *natural = 0;
      return;
    }
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      int target = MAX (1, (int) lround ((double) self->target_cell / self->side));
      Layout smallest = layout_for_px (self, 1, G_MAXINT / 4);
      Layout wanted = layout_for_px (self, target, G_MAXINT / 4);

      *minimum = smallest.cell;
      *natural = MIN (self->n, 16) * (wanted.cell + GAP) - GAP;
    }
  else
    {
      Layout l = compute_layout (self, for_size < 0 ? G_MAXINT / 4 : for_size);

      *minimum = *natural = l.rows * (l.image + GAP) - GAP + 2;
    }
}

static gboolean
pb_feature_grid_query_tooltip (GtkWidget  *widget,
                               int         x,
                               int         y,
                               gboolean    keyboard,
                               GtkTooltip *tooltip)
{
  PbFeatureGrid *self = PB_FEATURE_GRID (widget);
  int width = gtk_widget_get_width (widget);
  Layout l = compute_layout (self, width);
  int grid_width = l.cols * (l.cell + GAP) - GAP;
  int x0 = MAX (1, (width - grid_width) / 2);
  int col, row, c, k, ix, iy;
  g_autofree char *text = NULL;
  float v;

  if (l.cols == 0 || keyboard || x < x0)
    return FALSE;
  col = (x - x0) / (l.cell + GAP);
  row = (y - 1) / (l.image + GAP);
  c = row * l.cols + col;
  if (col >= l.cols || c >= self->n)
    return FALSE;
  ix = x - x0 - col * (l.cell + GAP);
  iy = y - 1 - row * (l.image + GAP);
  k = ix / (l.image + GROUP_GAP);
  ix -= k * (l.image + GROUP_GAP);
  if (k >= self->group || ix >= l.image || iy < 0 || iy >= l.image)
    return FALSE;
  v = self->values[((gsize) c * self->group + k) * self->side * self->side +
                   (iy / l.px) * self->side + ix / l.px];
  if (self->group > 1)
    /* Translators: a tooltip over one value of a feature grid */
    text = g_strdup_printf (_("Channel %d, input %d: %.3g"), c + 1, k + 1, v);
  else
    text = g_strdup_printf (_("Channel %d: %.3g"), c + 1, v);
  gtk_tooltip_set_text (tooltip, text);
  return TRUE;
}

static void
pb_feature_grid_finalize (GObject *object)
{
  PbFeatureGrid *self = PB_FEATURE_GRID (object);

  g_free (self->values);

  G_OBJECT_CLASS (pb_feature_grid_parent_class)->finalize (object);
}

static void
pb_feature_grid_class_init (PbFeatureGridClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = pb_feature_grid_finalize;
  widget_class->snapshot = pb_feature_grid_snapshot;
  widget_class->measure = pb_feature_grid_measure;
  widget_class->get_request_mode = pb_feature_grid_get_request_mode;
  widget_class->query_tooltip = pb_feature_grid_query_tooltip;
  gtk_widget_class_set_css_name (widget_class, "featuregrid");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
pb_feature_grid_init (PbFeatureGrid *self)
{
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
}

GtkWidget *
pb_feature_grid_new (PbFeatureScale scale,
                     int            target_cell)
{
  PbFeatureGrid *self = g_object_new (PB_TYPE_FEATURE_GRID, NULL);

  self->scale = scale;
  self->target_cell = MAX (target_cell, 1);
  return GTK_WIDGET (self);
}

void
pb_feature_grid_set_maps (PbFeatureGrid *self,
                          const float   *values,
                          int            n,
                          int            group,
                          int            side,
                          double         vmax)
{
  gsize count;
  gboolean same_shape;

  g_return_if_fail (PB_IS_FEATURE_GRID (self));
  g_return_if_fail (values != NULL && n > 0 && group > 0 && side > 0);

  count = (gsize) n * group * side * side;
  same_shape = self->values != NULL && self->n == n && self->group == group && self->side == side;
  if (!same_shape)
    {
      g_free (self->values);
      self->values = g_new (float, count);
    }
  memcpy (self->values, values, count * sizeof (float));
  self->n = n;
  self->group = group;
  self->side = side;
  self->vmax = vmax;
  if (!same_shape)
    gtk_widget_queue_resize (GTK_WIDGET (self));
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
pb_feature_grid_clear (PbFeatureGrid *self)
{
  g_return_if_fail (PB_IS_FEATURE_GRID (self));

  g_clear_pointer (&self->values, g_free);
  self->n = 0;
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

const float *
pb_feature_grid_get_maps (PbFeatureGrid *self,
                          int           *n,
                          int           *group,
                          int           *side)
{
  g_return_val_if_fail (PB_IS_FEATURE_GRID (self), NULL);

  if (n != NULL)
    *n = self->n;
  if (group != NULL)
    *group = self->group;
  if (side != NULL)
    *side = self->side;
  return self->values;
}

double
pb_feature_grid_get_vmax (PbFeatureGrid *self)
{
  g_return_val_if_fail (PB_IS_FEATURE_GRID (self), 0);
  return self->vmax;
}
