/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pb-embed-map"

#include "config.h"

#include <glib/gi18n.h>

#include "pb-embed-map.h"

int
pb_embed_map_point_pair (const PbEmbedMap *map,
                         int               point)
{
  g_return_val_if_fail (map != NULL, -1);
  return map->images_per_point == 1 ? point / 2 : point;
}

int
pb_embed_map_point_position (const PbEmbedMap *map,
                             int               point)
{
  g_return_val_if_fail (map != NULL, -1);
  return map->images_per_point == 1 ? point % 2 : -1;
}

char *
pb_embed_map_describe_point (const PbEmbedMap *map,
                             int               point)
{
  int pair;

  g_return_val_if_fail (map != NULL && point >= 0 && point < map->n_points, NULL);
  pair = pb_embed_map_point_pair (map, point);
  if (map->images_per_point == 1)
    /* Translators: a map point: its digit, its test pair, and image 1 or 2 of the pair */
    return g_strdup_printf (_("Digit %d · pair %d, image %d"), map->digits[point], pair,
                            pb_embed_map_point_position (map, point) + 1);
  /* Translators: a stacked model's map point is a whole pair: its two digits, its index */
  return g_strdup_printf (_("Digits %d and %d · pair %d"), map->classes[2 * pair],
                          map->classes[2 * pair + 1], pair);
}

char *
pb_embed_map_describe_pair (const PbEmbedMap *map,
                            int               point)
{
  int pair;

  g_return_val_if_fail (map != NULL && point >= 0 && point < map->n_points, NULL);
  pair = pb_embed_map_point_pair (map, point);
  return g_strdup_printf (map->predicted[pair] == map->labels[pair]
                          /* Translators: the pair's label, and the model's, which is right */
                          ? _("Target %d · predicted %d, correct")
                          /* Translators: the pair's label, and the model's, which is wrong */
                          : _("Target %d · predicted %d, wrong"),
                          map->labels[pair], map->predicted[pair]);
}
