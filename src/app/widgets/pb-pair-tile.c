/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pb-pair-tile"

#include "config.h"

#include <math.h>

#include "pb-data.h"
#include "pb-draw.h"
#include "pb-pair-tile.h"

#define SCALE 4
#define GAP 4
#define GROUP_GAP 18

struct _PbPairTile
{
  GtkWidget parent_instance;

  cairo_surface_t *images[4];
  int n_images;
};

G_DEFINE_TYPE (PbPairTile, pb_pair_tile, GTK_TYPE_WIDGET)

static int
tile_width (PbPairTile *self)
{
  int side = PB_IMAGE_SIDE * SCALE;

  if (self->n_images == 4)
    return 4 * side + 2 * GAP + GROUP_GAP;
  return 2 * side + GAP;
}

/* A small arrow in the gap between the two groups: the originals become the augmented pair. */
static void
draw_arrow (GtkWidget *widget,
            cairo_t   *cr,
            double     x0,
            double     cy)
{
  GdkRGBA fg;
  double x1 = x0 + GROUP_GAP;

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);
  G_GNUC_END_IGNORE_DEPRECATIONS
  pb_draw_set_color (cr, &PB_COLOR_FROM (fg), 0.55);
  cairo_set_line_width (cr, 1.5);
  cairo_move_to (cr, x0 + 3, pb_draw_align (cy));
  cairo_line_to (cr, x1 - 3, pb_draw_align (cy));
  cairo_stroke (cr);
  cairo_move_to (cr, x1 - 2, pb_draw_align (cy));
  cairo_line_to (cr, x1 - 6, floor (cy) - 3);
  cairo_line_to (cr, x1 - 6, floor (cy) + 4);
  cairo_close_path (cr);
  cairo_fill (cr);
}

static void
pb_pair_tile_snapshot (GtkWidget   *widget,
                       GtkSnapshot *snapshot)
{
  PbPairTile *self = PB_PAIR_TILE (widget);
  int side = PB_IMAGE_SIDE * SCALE;
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  double x = floor ((width - tile_width (self)) / 2.0);
  cairo_t *cr;

  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  for (int i = 0; i < self->n_images; i++)
    {
      cairo_save (cr);
      cairo_translate (cr, x, 0);
      cairo_scale (cr, SCALE, SCALE);
      cairo_set_source_surface (cr, self->images[i], 0, 0);
      cairo_pattern_set_filter (cairo_get_source (cr), CAIRO_FILTER_NEAREST);
      cairo_paint (cr);
      cairo_restore (cr);
      x += side + (i == 1 ? GROUP_GAP : GAP);
      if (i == 1 && self->n_images == 4)
        draw_arrow (widget, cr, x - GROUP_GAP, side / 2.0);
    }
  cairo_destroy (cr);
}

static void
pb_pair_tile_measure (GtkWidget      *widget,
                      GtkOrientation  orientation,
                      int             for_size,
                      int            *minimum,
                      int            *natural,
                      int            *minimum_baseline,
                      int            *natural_baseline)
{
  PbPairTile *self = PB_PAIR_TILE (widget);

  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    *minimum = *natural = tile_width (self);
  else
    *minimum = *natural = PB_IMAGE_SIDE * SCALE;
}

static void
pb_pair_tile_finalize (GObject *object)
{
  PbPairTile *self = PB_PAIR_TILE (object);

  for (int i = 0; i < self->n_images; i++)
    cairo_surface_destroy (self->images[i]);

  G_OBJECT_CLASS (pb_pair_tile_parent_class)->finalize (object);
}

static void
pb_pair_tile_class_init (PbPairTileClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = pb_pair_tile_finalize;
  widget_class->snapshot = pb_pair_tile_snapshot;
  widget_class->measure = pb_pair_tile_measure;
  gtk_widget_class_set_css_name (widget_class, "pairtile");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
pb_pair_tile_init (PbPairTile *self)
{
}

GtkWidget *
pb_pair_tile_new (const float *pair,
                  const float *rotated_pair)
{
  PbPairTile *self = g_object_new (PB_TYPE_PAIR_TILE, NULL);

  self->images[0] = pb_draw_gray_surface (pair, PB_IMAGE_SIDE, PB_IMAGE_SIDE);
  self->images[1] = pb_draw_gray_surface (pair + PB_IMAGE_PIXELS, PB_IMAGE_SIDE, PB_IMAGE_SIDE);
  self->n_images = 2;
  if (rotated_pair != NULL)
    {
      self->images[2] = pb_draw_gray_surface (rotated_pair, PB_IMAGE_SIDE, PB_IMAGE_SIDE);
      self->images[3] = pb_draw_gray_surface (rotated_pair + PB_IMAGE_PIXELS, PB_IMAGE_SIDE, PB_IMAGE_SIDE);
      self->n_images = 4;
    }
  return GTK_WIDGET (self);
}
