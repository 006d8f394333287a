/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pb-embedding-view"

#include "config.h"

#include <glib/gi18n.h>

#include "pb-embedding-view-private.h"

static GtkWidget *
neighbour_row (const PbEmbedMap      *map,
               const PbScatterPoints *points,
               gboolean               dark,
               int                    rank,
               int                    point,
               float                  distance)
{
  g_autoptr(GdkTexture) texture = pb_scatter_point_texture (points, point, dark, 2);
  g_autofree char *what = pb_embed_map_describe_point (map, point);
  /* Translators: a neighbour's rank, and its distance in the mapped layer */
  g_autofree char *detail = g_strdup_printf (_("%d. distance %.4g"), rank, distance);
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 10);
  GtkWidget *labels = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *picture = gtk_picture_new_for_paintable (GDK_PAINTABLE (texture));
  GtkWidget *title = gtk_label_new (what);
  GtkWidget *subtitle = gtk_label_new (detail);
  g_autofree char *accessible = g_strdup_printf ("%s, %s", what, detail);

  gtk_picture_set_can_shrink (GTK_PICTURE (picture), FALSE);
  gtk_widget_set_valign (picture, GTK_ALIGN_CENTER);
  gtk_label_set_xalign (GTK_LABEL (title), 0);
  gtk_label_set_wrap (GTK_LABEL (title), TRUE);
  gtk_label_set_xalign (GTK_LABEL (subtitle), 0);
  gtk_widget_add_css_class (subtitle, "dim-label");
  gtk_widget_add_css_class (subtitle, "numeric");
  gtk_widget_add_css_class (subtitle, "caption");
  gtk_widget_set_valign (labels, GTK_ALIGN_CENTER);
  gtk_box_append (GTK_BOX (labels), title);
  gtk_box_append (GTK_BOX (labels), subtitle);
  gtk_box_append (GTK_BOX (box), picture);
  gtk_box_append (GTK_BOX (box), labels);
  gtk_widget_set_margin_top (box, 3);
  gtk_widget_set_margin_bottom (box, 3);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  accessible, -1);
  g_object_set_data (G_OBJECT (row), "pb-point", GINT_TO_POINTER (point));
  return row;
}

static void
clear_neighbour_list (PbEmbeddingView *self)
{
  for (GtkWidget *child;
       (child = gtk_widget_get_first_child (GTK_WIDGET (self->neighbour_list))) != NULL;)
    gtk_list_box_remove (self->neighbour_list, child);
}

void
pb_embedding_view_update_neighbours (PbEmbeddingView *self)
{
  PbScatterView *view = self->selection_view;
  const PbEmbedMap *map = view ? pb_scatter_view_get_map (view) : NULL;
  int selected = view ? pb_scatter_view_get_selected (view) : -1;
  gboolean dark = adw_style_manager_get_dark (adw_style_manager_get_default ());
  g_autofree guint8 *category = NULL;
  g_autofree int *idx = NULL;
  g_autofree float *dist = NULL;
  g_autofree char *what = NULL;
  g_autofree char *pair = NULL;
  g_autofree char *caption = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(GError) error = NULL;
  PbScatterPoints points;
  int k;

  clear_neighbour_list (self);
  if (map == NULL || selected < 0 || map->features == NULL || selected >= map->n_points
      || map->n_points < 2)
    {
      gtk_revealer_set_reveal_child (self->neighbour_revealer, FALSE);
      return;
    }

  category = g_new (guint8, MAX (map->n, 1));
  pb_scatter_points_from_map (map, self->color_by, dark, category, &points);
  idx = g_new (int, MAX (self->n_neighbours, 1));
  dist = g_new (float, MAX (self->n_neighbours, 1));
  k = pb_embedder_query_neighbours (map, selected, self->n_neighbours, self->metric, idx, dist,
                                    &error);
  if (k < 0)
    {
      /* Non-finite features: say why there is no list rather than show a wrong one. */
      pb_scatter_view_set_neighbours (view, NULL, 0);
      gtk_label_set_label (self->neighbours_caption, error->message);
      gtk_revealer_set_reveal_child (self->neighbour_revealer, TRUE);
      return;
    }
  pb_scatter_view_set_neighbours (view, idx, k);

  if (points.n > selected)
    texture = pb_scatter_point_texture (&points, selected, dark, 3);
  gtk_picture_set_paintable (self->selected_picture, GDK_PAINTABLE (texture));
  what = pb_embed_map_describe_point (map, selected);
  pair = pb_embed_map_describe_pair (map, selected);
  gtk_label_set_label (self->selected_title, what);
  gtk_label_set_label (self->selected_detail, pair);
  caption = g_strdup_printf (self->metric == PB_DISTANCE_COSINE
                             /* Translators: k nearest points by cosine distance, in a space of
                              * that many dimensions */
                             ? ngettext ("%d nearest by cosine distance, in %d dimensions",
                                         "%d nearest by cosine distance, in %d dimensions", k)
                             : ngettext ("%d nearest by Euclidean distance, in %d dimensions",
                                         "%d nearest by Euclidean distance, in %d dimensions", k),
                             k, map->feature_dim);
  gtk_label_set_label (self->neighbours_caption, caption);
  for (int j = 0; j < k && points.n > idx[j]; j++)
    gtk_list_box_append (self->neighbour_list,
                         neighbour_row (map, &points, dark, j + 1, idx[j], dist[j]));
  gtk_revealer_set_reveal_child (self->neighbour_revealer, TRUE);
}
