/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* A t-SNE map as plain data: the points, their images and what was mapped. The embedder
 * (src/app) fills it; the scatter drawing (pb-scatter.h) reads it. */

#include <glib.h>

G_BEGIN_DECLS

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

G_END_DECLS
