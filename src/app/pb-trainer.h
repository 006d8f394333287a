/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

#include "pb-run-item.h"

G_BEGIN_DECLS

#define PB_TYPE_TRAINER (pb_trainer_get_type ())
G_DECLARE_FINAL_TYPE (PbTrainer, pb_trainer, PB, TRAINER, GObject)

/* Trains one run at a time on a worker thread and feeds its records into a PbRunItem on the main
 * thread, coalesced: at most one pending update, at most about 30 a second. */
PbTrainer *pb_trainer_new (void);
gboolean   pb_trainer_start (PbTrainer *self, PbRunItem *item, const char *data_dir,
                             GError **error);
/* Asks the worker to stop after the current batch; the run keeps what it trained. */
void       pb_trainer_stop (PbTrainer *self);
gboolean   pb_trainer_get_running (PbTrainer *self);
PbRunItem *pb_trainer_get_item (PbTrainer *self);

/* Pausing holds the worker between batches; the run keeps its state, so a paused and resumed
 * run ends with the same weights as one that never paused. */
void       pb_trainer_pause (PbTrainer *self);
void       pb_trainer_resume (PbTrainer *self);
gboolean   pb_trainer_get_paused (PbTrainer *self);
/* While paused: trains exactly one more batch (and the epoch's evaluation if it ends one), then
 * holds again. FALSE when not paused. */
gboolean   pb_trainer_step (PbTrainer *self);
/* Paused, and the worker is waiting with every batch it trained delivered to the item. */
gboolean   pb_trainer_get_holding (PbTrainer *self);

/* Changes the running run's learning rate before its next batch; the run records the change.
 * Setting the rate it already uses changes nothing. */
gboolean   pb_trainer_set_lr (PbTrainer *self, double lr, GError **error);
/* The learning rate the run trains with now, as last set; 0 when no run is training. */
double     pb_trainer_get_lr (PbTrainer *self);

/* The throughput of recent batches: forward + backward (and Adam) time per pair, and pairs
 * trained per second of running time, evaluation included. FALSE before the first batch. */
gboolean   pb_trainer_get_speed (PbTrainer *self, double *seconds_per_pair,
                                 double *pairs_per_second);

G_END_DECLS
