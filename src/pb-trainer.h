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

G_END_DECLS
