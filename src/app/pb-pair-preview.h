/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

#include "pb-run-item.h"

G_BEGIN_DECLS

/* Training pairs as a run trains on them, in plain arrays for the samples page. */
typedef struct
{
  PbTrainSettings settings;  /* of the run they come from */
  gboolean per_epoch;        /* translate, swap or re-pair make each epoch's set anew */
  int epoch;                 /* per_epoch: the 1-based epoch shown; else 0 */
  int n_total;               /* training pairs: the epoch's set (per_epoch), else as drawn */
  int n;                     /* pairs here: the first max_pairs of the shuffled order */
  float *before;             /* [n, 2, 14, 14]: per_epoch, the images each pair was made from
                              * (unrotated, unshifted, in their order before a swap); else the
                              * pair as drawn */
  float *after;              /* [n, 2, 14, 14]: per_epoch, the pair as trained; else its rotated
                              * copy, or NULL without rotation */
  guint8 *classes;           /* [n, 2]: the digits as trained */
  PbAugmentInfo *info;       /* [n] per_epoch, else NULL */
  float *angles;             /* [n, 2] the rotated copies' angles, or NULL */
} PbPairSample;

#define PB_TYPE_PAIR_PREVIEW (pb_pair_preview_get_type ())
G_DECLARE_FINAL_TYPE (PbPairPreview, pb_pair_preview, PB, PAIR_PREVIEW, GObject)

/* Draws training pairs on a worker thread: the pairs of a trained run, or of the next run, which
 * it sets up from settings (loading MNIST and drawing every pair, once until invalidated).
 * "ready" on the main thread when the newest request's pairs are there, "failed" (with a
 * GError *) when it could not draw them; an older request's result is dropped. */
PbPairPreview *pb_pair_preview_new (void);
/* run: a run whose trained PbRun is kept (pb_run_item_get_run), or NULL for the next run, from
 * settings and data_dir. epoch is clamped to the run's epochs. The pairs are shuffled by
 * shuffle_seed, then the first max_pairs kept. */
void           pb_pair_preview_request (PbPairPreview *self, PbRunItem *run,
                                        const PbTrainSettings *settings, const char *data_dir,
                                        int epoch, guint32 shuffle_seed, int max_pairs);
/* Forgets the next run, so that the next request without a run sets it up anew. */
void           pb_pair_preview_invalidate (PbPairPreview *self);
/* Drops the pending request, if any. */
void           pb_pair_preview_cancel (PbPairPreview *self);
gboolean       pb_pair_preview_get_busy (PbPairPreview *self);
/* The newest result (NULL before the first): valid until the next "ready". */
const PbPairSample *pb_pair_preview_get_sample (PbPairPreview *self);

G_END_DECLS
