/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* One job on a thread of its own, reporting to an owner object on the main thread. The job
 * writes its progress into its data under the worker's lock and posts; at most one dispatch is
 * pending (G_PRIORITY_LOW, at most PB_WORKER_MAX_RATE a second), and it holds only a weak
 * reference to the owner, so what arrives for an owner that is gone, or that let the worker go,
 * is dropped. The trainer, the comparison and the embedder are built on it. */
typedef struct _PbWorker PbWorker;

#define PB_WORKER_MAX_RATE 30

typedef struct
{
  /* On the worker thread; the job ends when it returns. */
  void (*run) (PbWorker *worker, gpointer data);
  /* On the main thread, for each dispatch while the owner lives and holds the worker; the lock
   * is not held. May be NULL. */
  void (*progress) (PbWorker *worker, gpointer owner, gpointer data);
  /* On the main thread once, after the last progress, with the thread joined. May be NULL. */
  void (*done) (PbWorker *worker, gpointer owner, gpointer data);
} PbWorkerFuncs;

/* Runs funcs->run on a thread named name (a static string). owner is a GObject; data is the
 * job's, freed with data_free once the owner, the thread and any pending dispatch have let go.
 * On failure data is freed too, and NULL is returned. Main thread. */
PbWorker     *pb_worker_start (const char *name, gpointer owner, const PbWorkerFuncs *funcs,
                               gpointer data, GDestroyNotify data_free, GError **error);
PbWorker     *pb_worker_ref (PbWorker *worker);
void          pb_worker_unref (PbWorker *worker);
/* For an owner that lets a worker go before done (dispose): cancels, waits for the thread to
 * end and unrefs; nothing more reaches the owner, done included. Main thread. */
void          pb_worker_release (PbWorker *worker);

gpointer      pb_worker_get_data (PbWorker *worker);

/* From any thread; also wakes a pb_worker_wait (). */
void          pb_worker_cancel (PbWorker *worker);
gboolean      pb_worker_is_cancelled (PbWorker *worker);
GCancellable *pb_worker_get_cancellable (PbWorker *worker);

/* The lock guards the job's progress buffer, between the thread and the main thread. */
void          pb_worker_lock (PbWorker *worker);
void          pb_worker_unlock (PbWorker *worker);
/* With the lock held: asks for a dispatch unless one is pending. */
void          pb_worker_post (PbWorker *worker);
/* With the lock held: a dispatch is pending, so what is posted now arrives with it. */
gboolean      pb_worker_get_post_pending (PbWorker *worker);
/* With the lock held, on the worker thread: sleeps until pb_worker_wake () or a cancel (or
 * spuriously: check the condition again). */
void          pb_worker_wait (PbWorker *worker);
/* With the lock held. */
void          pb_worker_wake (PbWorker *worker);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PbWorker, pb_worker_unref)

G_END_DECLS
