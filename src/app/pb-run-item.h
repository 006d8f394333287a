/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

#include "pb-train.h"

G_BEGIN_DECLS

typedef enum
{
  PB_RUN_STATUS_PENDING,
  PB_RUN_STATUS_RUNNING,
  PB_RUN_STATUS_FINISHED,
  PB_RUN_STATUS_CANCELLED,
  PB_RUN_STATUS_FAILED,
} PbRunStatus;

#define PB_TYPE_RUN_STATUS (pb_run_status_get_type ())
GType pb_run_status_get_type (void);

#define PB_TYPE_RUN_ITEM (pb_run_item_get_type ())
G_DECLARE_FINAL_TYPE (PbRunItem, pb_run_item, PB, RUN_ITEM, GObject)

/* One run as the UI keeps it: its settings, the records that reached the main thread, and, once
 * it has ended, the trained run itself and its test-set predictions. Main thread only. */
PbRunItem  *pb_run_item_new (const PbTrainSettings *settings, guint color_index);

const PbTrainSettings *pb_run_item_get_settings (PbRunItem *self);
const char *pb_run_item_get_arch_name (PbRunItem *self);
gsize       pb_run_item_get_param_count (PbRunItem *self);
guint       pb_run_item_get_color_index (PbRunItem *self);
const char *pb_run_item_get_label (PbRunItem *self);
void        pb_run_item_set_label (PbRunItem *self, const char *label);
gboolean    pb_run_item_get_shown (PbRunItem *self);
void        pb_run_item_set_shown (PbRunItem *self, gboolean shown);
PbRunStatus pb_run_item_get_status (PbRunItem *self);
void        pb_run_item_set_status (PbRunItem *self, PbRunStatus status, const char *message);
const char *pb_run_item_get_message (PbRunItem *self);
/* Why the run ended, as the core said it (PB_OK while running or when it finished). */
PbStatus    pb_run_item_get_core_status (PbRunItem *self);
void        pb_run_item_set_core_status (PbRunItem *self, PbStatus status);

const PbEpochRecord *pb_run_item_get_epochs (PbRunItem *self, guint *n);
const PbBatchRecord *pb_run_item_get_batches (PbRunItem *self, guint *n);
guint       pb_run_item_get_batches_per_epoch (PbRunItem *self);
void        pb_run_item_set_batches_per_epoch (PbRunItem *self, guint n);
void        pb_run_item_append (PbRunItem *self, const PbBatchRecord *batches, guint n_batches,
                                const PbEpochRecord *epochs, guint n_epochs);
double      pb_run_item_get_elapsed (PbRunItem *self);
/* The one way the app counts epochs, for the status line and the run list alike: while the run
 * trains, the epoch under way ("epoch 5 of 25 in progress"); otherwise the epochs completed
 * ("4 of 25 epochs done"). */
char       *pb_run_item_format_epoch_progress (PbRunItem *self);
void        pb_run_item_set_elapsed (PbRunItem *self, double seconds);

/* Learning-rate changes made while it trained, in order; a run with any is "modified". */
const PbLrChange *pb_run_item_get_lr_changes (PbRunItem *self, guint *n);
void        pb_run_item_append_lr_changes (PbRunItem *self, const PbLrChange *changes, guint n);
gboolean    pb_run_item_get_modified (PbRunItem *self);
void        pb_run_item_set_paused (PbRunItem *self, gboolean paused);
gboolean    pb_run_item_get_paused (PbRunItem *self);
/* The rate of its last batch so far: the settings' until a change applies. */
double      pb_run_item_get_lr (PbRunItem *self);
/* One line per change, e.g. "After batch 40 (epoch 3): 0.0005", or NULL when unmodified. */
char       *pb_run_item_describe_lr_changes (PbRunItem *self);

/* The worker's batch count when Stop was pressed, or -1. */
int         pb_run_item_get_batches_at_stop (PbRunItem *self);
void        pb_run_item_set_batches_at_stop (PbRunItem *self, int n);

/* Takes ownership of run and of the prediction arrays (g_free), each [n_test] or [n_test, 2]. */
void        pb_run_item_take_run (PbRunItem *self, PbRun *run, guint8 *labels, float *prob1,
                                  guint8 *digits);
PbRun      *pb_run_item_get_run (PbRunItem *self);
gboolean    pb_run_item_get_predictions (PbRunItem *self, const guint8 **labels,
                                         const float **prob1, const guint8 **digits);

/* Weights opened from a file rather than trained here: the model, the test pairs drawn afresh
 * from its settings, and its predictions on them. Takes ownership of everything (pairs' arrays
 * included); the item is then finished and has no epochs. */
void        pb_run_item_take_loaded (PbRunItem *self, const char *path, PbModel *model,
                                     double input_mean, double input_std, PbPairs *test,
                                     const PbEvaluation *evaluation, guint8 *labels,
                                     float *prob1, guint8 *digits);
/* The file the weights came from, or NULL for a run trained here. */
const char *pb_run_item_get_loaded_path (PbRunItem *self);
const PbEvaluation *pb_run_item_get_loaded_evaluation (PbRunItem *self);
/* Trained or loaded alike; NULL before a trained run has ended. */
PbModel    *pb_run_item_get_model (PbRunItem *self);
const PbPairs *pb_run_item_get_test_pairs (PbRunItem *self);
void        pb_run_item_get_input_stats (PbRunItem *self, double *mean, double *std);

/* While the run trains: a copy of its weights as the last finished epoch left them, that
 * epoch's number (notify::snapshot-epoch), the run's input statistics and its test pairs. The
 * trainer sets it at each epoch's end; the weights are copied, the test pairs on the first call
 * only. get returns FALSE before the first epoch has ended. */
void        pb_run_item_set_snapshot (PbRunItem *self, const PbModel *model, int epoch,
                                      double input_mean, double input_std, const PbPairs *test);
gboolean    pb_run_item_get_snapshot (PbRunItem *self, PbModel **model, int *epoch,
                                      double *input_mean, double *input_std,
                                      const PbPairs **test);

G_END_DECLS
