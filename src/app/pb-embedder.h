/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

#include "pb-knn.h"
#include "pb-embed-map.h"
#include "pb-train.h"

G_BEGIN_DECLS

typedef struct
{
  PbLayer layer;          /* PB_LAYER_LOGITS */
  double perplexity;      /* 30 */
  int iterations;         /* 1000 */
  guint64 seed;           /* the t-SNE's own seed (1) */
  int test_pairs;         /* test pairs to map (500): siamese and twin give two points each */
} PbEmbedSettings;

void pb_embed_settings_init (PbEmbedSettings *settings);

/* One model to map. pb_embedder_start copies the weights, so the model may change or go away
 * afterwards. The test pairs are drawn afresh from settings (its seed), as the run drew them. */
typedef struct
{
  const char *title;
  const PbModel *model;
  double input_mean;
  double input_std;
  const PbTrainSettings *settings;
} PbEmbedModel;

#define PB_TYPE_EMBEDDER (pb_embedder_get_type ())
G_DECLARE_FINAL_TYPE (PbEmbedder, pb_embedder, PB, EMBEDDER, GObject)

/* Maps each model's layer with t-SNE, one model after another on a worker thread, posting
 * copies of the coordinates at most about 30 times a second ("updated", with the map's index).
 * "finished" when every map is done, failed or cancelled. */
PbEmbedder *pb_embedder_new (void);
gboolean    pb_embedder_start (PbEmbedder *self, const PbEmbedModel *models, guint n_models,
                               const PbEmbedSettings *settings, const char *data_dir,
                               GError **error);
/* Asks the worker to stop after the current iterations; the maps keep their last coordinates. */
void        pb_embedder_stop (PbEmbedder *self);
gboolean    pb_embedder_get_running (PbEmbedder *self);
guint       pb_embedder_get_n_maps (PbEmbedder *self);
const PbEmbedMap *pb_embedder_get_map (PbEmbedder *self, guint index);
const PbEmbedSettings *pb_embedder_get_settings (PbEmbedder *self);

/* The k points nearest to point in the features that were mapped (not in the map's 2-D
 * coordinates), the point itself excluded, nearest first: idx [k], dist [k] (may be NULL).
 * k is capped at the map's points − 1; returns how many were found, or -1 with an error (no
 * features yet, point out of range, a non-finite feature). */
int         pb_embedder_query_neighbours (const PbEmbedMap *map, int point, int k,
                                          PbDistance metric, int *idx, float *dist,
                                          GError **error);

G_END_DECLS
