/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

#include "pb-run-item.h"

G_BEGIN_DECLS

/* What the network does with one test pair: plain arrays, owned by the inspector and valid until
 * its next pb_inspector_inspect or pb_inspector_set_run. */
typedef struct
{
  PbKind kind;
  int kernel;
  int channels[PB_N_CONV];
  int n_columns;                  /* trunk applications: 1 (stacked, both images as channels),
                                   * 2 (siamese and twin, an image each) */
  const char *trunk_prefix[2];    /* the trunk of each column ("trunk", "trunk_a", …) */
  int epoch;                      /* of the weights shown */

  int pair;
  const float *images;            /* [2, 14, 14], raw pixels */
  guint8 classes[2];
  int label;                      /* the target: 1 when the first digit is larger */

  const float *filters[2];        /* each column's trunk's conv1 weights, [channels[0],
                                   * group, kernel, kernel] */
  int filter_group;               /* input channels of conv1: 2 stacked, else 1 */
  gsize filter_size;
  const float *maps[PB_N_CONV];   /* [n_columns, channels[l], side, side] after batch norm,
                                   * max-pool and ReLU */
  int map_side[PB_N_CONV];
  float digit_logits[20];         /* fc2: image 1's ten, then image 2's */
  double head_probability;        /* P(first > second) */
} PbInspection;

#define PB_TYPE_INSPECTOR (pb_inspector_get_type ())
G_DECLARE_FINAL_TYPE (PbInspector, pb_inspector, PB, INSPECTOR, GObject)

/* Runs one run's network on one test pair, on a private copy of its weights, so that the run's
 * own model (which may be training) is never touched. Main thread only and synchronous: the copy
 * of the weights takes about 0.1 ms, the forward pass of one pair a few milliseconds (more while
 * a run trains on the same cores), as PAIRBENCH_DEBUG_TIMING=1 shows. */
PbInspector *pb_inspector_new (void);
/* Takes the weights to show from run: the trained or loaded model, else the snapshot of the last
 * epoch a training run finished. FALSE when it has none yet (or run is NULL). */
gboolean     pb_inspector_set_run (PbInspector *self, PbRunItem *run, GError **error);
/* The test pairs of the run set, or NULL. */
const PbPairs *pb_inspector_get_test_pairs (PbInspector *self);
int          pb_inspector_get_epoch (PbInspector *self);
/* The activations of pair of pairs (NULL: the run's own test pairs; another run's, to compare
 * two runs on one pair); FALSE (with an error) when the run has no weights or pair is out of
 * range. */
gboolean     pb_inspector_inspect (PbInspector *self, const PbPairs *pairs, int pair,
                                   PbInspection *out, GError **error);

G_END_DECLS
