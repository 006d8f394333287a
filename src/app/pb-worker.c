/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pb-worker"

#include "config.h"

#include "pb-debug.h"
#include "pb-worker.h"

#define MIN_DISPATCH_INTERVAL_US (G_USEC_PER_SEC / PB_WORKER_MAX_RATE)

/* Shared by the owner, the thread and the pending dispatch; whichever lets go last frees it. */
struct _PbWorker
{
  const char *name;
  char *source_name;
  PbWorkerFuncs funcs;
  gpointer data;
  GDestroyNotify data_free;
  GWeakRef owner;
  GCancellable *cancellable;
  /* Main thread only. */
  GThread *thread;
  gboolean done_reported;

  GMutex lock;
  GCond wake;
  gboolean post_pending;
  gint64 last_dispatch;
  gboolean finished;
};

static void
worker_clear (gpointer data)
{
  PbWorker *self = data;

  /* Never joined (its main context went away first): the thread runs out detached. */
  g_clear_pointer (&self->thread, g_thread_unref);
  if (self->data_free != NULL)
    self->data_free (self->data);
  g_weak_ref_clear (&self->owner);
  g_clear_object (&self->cancellable);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->wake);
  g_free (self->source_name);
}

PbWorker *
pb_worker_ref (PbWorker *worker)
{
  return g_atomic_rc_box_acquire (worker);
}

void
pb_worker_unref (PbWorker *worker)
{
  g_atomic_rc_box_release_full (worker, worker_clear);
}

static gboolean
dispatch_cb (gpointer user_data)
{
  PbWorker *self = user_data;
  gint64 t0 = g_get_monotonic_time ();
  g_autoptr(GObject) owner = NULL;
  gboolean finished;

  g_mutex_lock (&self->lock);
  self->post_pending = FALSE;
  self->last_dispatch = t0;
  finished = self->finished;
  g_mutex_unlock (&self->lock);

  /* The thread has returned from run: joining only waits for it to exit. */
  if (finished && self->thread != NULL)
    g_thread_join (g_steal_pointer (&self->thread));

  owner = g_weak_ref_get (&self->owner);
  if (owner != NULL && !self->done_reported)
    {
      if (self->funcs.progress != NULL)
        self->funcs.progress (self, owner, self->data);
      if (finished)
        {
          self->done_reported = TRUE;
          if (self->funcs.done != NULL)
            self->funcs.done (self, owner, self->data);
        }
    }

  if (pb_debug_timing ())
    g_message ("%s handler: %.3f ms%s", self->source_name,
               (g_get_monotonic_time () - t0) / 1000.0,
               owner == NULL ? " (owner gone, dropped)" : "");
  return G_SOURCE_REMOVE;
}

void
pb_worker_post (PbWorker *self)
{
  gint64 wait;
  GSource *source;

  if (self->post_pending)
    return;
  self->post_pending = TRUE;

  wait = self->last_dispatch + MIN_DISPATCH_INTERVAL_US - g_get_monotonic_time ();
  if (wait <= 0)
    source = g_idle_source_new ();
  else
    source = g_timeout_source_new ((guint) (wait / 1000) + 1);
  g_source_set_priority (source, G_PRIORITY_LOW);
  g_source_set_callback (source, dispatch_cb, pb_worker_ref (self),
                         (GDestroyNotify) pb_worker_unref);
  g_source_set_name (source, self->source_name);
  g_source_attach (source, NULL);
  g_source_unref (source);
}

static gpointer
thread_func (gpointer user_data)
{
  PbWorker *self = user_data;

  self->funcs.run (self, self->data);

  g_mutex_lock (&self->lock);
  self->finished = TRUE;
  pb_worker_post (self);
  g_mutex_unlock (&self->lock);
  pb_worker_unref (self);
  return NULL;
}

PbWorker *
pb_worker_start (const char           *name,
                 gpointer              owner,
                 const PbWorkerFuncs  *funcs,
                 gpointer              data,
                 GDestroyNotify        data_free,
                 GError              **error)
{
  PbWorker *self;

  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (G_IS_OBJECT (owner), NULL);
  g_return_val_if_fail (funcs != NULL && funcs->run != NULL, NULL);

  self = g_atomic_rc_box_new0 (PbWorker);
  self->name = name;
  self->source_name = g_strdup_printf ("[%s] progress", name);
  self->funcs = *funcs;
  self->data = data;
  self->data_free = data_free;
  g_weak_ref_init (&self->owner, owner);
  self->cancellable = g_cancellable_new ();
  g_mutex_init (&self->lock);
  g_cond_init (&self->wake);

  self->thread = g_thread_try_new (name, thread_func, pb_worker_ref (self), error);
  if (self->thread == NULL)
    {
      /* The thread's reference and ours. */
      pb_worker_unref (self);
      pb_worker_unref (self);
      return NULL;
    }
  return self;
}

void
pb_worker_release (PbWorker *self)
{
  g_weak_ref_set (&self->owner, NULL);
  pb_worker_cancel (self);
  if (self->thread != NULL)
    g_thread_join (g_steal_pointer (&self->thread));
  pb_worker_unref (self);
}

gpointer
pb_worker_get_data (PbWorker *self)
{
  return self->data;
}

void
pb_worker_cancel (PbWorker *self)
{
  /* Cancelled first, then woken under the lock: a thread that checked before sleeping either
   * sees the flag or is already waiting when the broadcast comes. */
  g_cancellable_cancel (self->cancellable);
  g_mutex_lock (&self->lock);
  g_cond_broadcast (&self->wake);
  g_mutex_unlock (&self->lock);
}

gboolean
pb_worker_is_cancelled (PbWorker *self)
{
  return g_cancellable_is_cancelled (self->cancellable);
}

GCancellable *
pb_worker_get_cancellable (PbWorker *self)
{
  return self->cancellable;
}

void
pb_worker_lock (PbWorker *self)
{
  g_mutex_lock (&self->lock);
}

void
pb_worker_unlock (PbWorker *self)
{
  g_mutex_unlock (&self->lock);
}

gboolean
pb_worker_get_post_pending (PbWorker *self)
{
  return self->post_pending;
}

void
pb_worker_wait (PbWorker *self)
{
  g_cond_wait (&self->wake, &self->lock);
}

void
pb_worker_wake (PbWorker *self)
{
  g_cond_broadcast (&self->wake);
}
