/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

#include "pb-knn.h"
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

typedef enum
{
  PB_EMBED_QUEUED,
  PB_EMBED_FEATURES,      /* drawing the pairs and running the model */
  PB_EMBED_NEIGHBOURS,    /* kNN and perplexity calibration; see fraction */
  PB_EMBED_OPTIMISING,
  PB_EMBED_DONE,
  PB_EMBED_CANCELLED,
  PB_EMBED_FAILED,
} PbEmbedState;

typedef struct
{
  int iteration;
  double kl;
} PbEmbedKl;

/* What the main thread knows of one map. Owned by the embedder; valid until the next update. */
typedef struct
{
  char *title;
  char *arch_name;
  PbEmbedState state;
  double fraction;        /* of the neighbour stage */
  char *message;          /* why it failed */
  int n;                  /* points */
  float *xy;              /* [n, 2] */
  guint8 *digits;         /* [n]: the point's own digit; stacked (a point per pair): the first */
  float *images;          /* [n, images_per_point, 14, 14] */
  int images_per_point;   /* 1: siamese and twin, point i is image i % 2 of pair i / 2;
                           * 2: stacked, point i is pair i */
  /* What was mapped, for neighbours in the original space; set with the digits. */
  float *features;        /* [n_points, feature_dim] */
  int feature_dim;
  int n_points;
  int n_pairs;
  guint8 *classes;        /* [n_pairs, 2] */
  guint8 *labels;         /* [n_pairs]: the target, 1 when the first digit is larger */
  guint8 *predicted;      /* [n_pairs]: the model's label */
  int iteration;
  int iterations;
  double kl;
  double perplexity_used;
  GArray *kl_trace;       /* of PbEmbedKl: every posted (iteration, KL), even those a busy
                           * main loop never drew */
} PbEmbedMap;

/* The test pair of a point, and which image of it the point is (0, 1; -1: both, stacked). */
int pb_embed_map_point_pair (const PbEmbedMap *map, int point);
int pb_embed_map_point_position (const PbEmbedMap *map, int point);
/* "Digit 7 · pair 12, image 1" (stacked: "Digits 3 and 7 · pair 12"), and
 * "Target 1 · predicted 0, wrong". */
char *pb_embed_map_describe_point (const PbEmbedMap *map, int point);
char *pb_embed_map_describe_pair (const PbEmbedMap *map, int point);

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
