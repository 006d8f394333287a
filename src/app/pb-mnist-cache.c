/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pb-mnist-cache"

#include "config.h"

#include <glib/gi18n.h>

#include "pb-core-error.h"
#include "pb-mnist-cache.h"

typedef struct
{
  PbMnist mnist;
} CachedMnist;

static GMutex cache_lock;
static GHashTable *cache;

const PbMnist *
pb_mnist_cache_get (const char  *dir,
                    GError     **error)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&cache_lock);
  CachedMnist *cached;
  PbError err = { { 0 } };
  PbStatus status;

  g_return_val_if_fail (dir != NULL, NULL);

  if (cache == NULL)
    cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  cached = g_hash_table_lookup (cache, dir);
  if (cached != NULL)
    return &cached->mnist;

  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, PB_CORE_ERROR, PB_ERR_IO,
                   _("The MNIST folder “%s” does not exist. Choose the folder with the four "
                     "MNIST files in Preferences, or set PAIRBENCH_DATA_DIR."), dir);
      return NULL;
    }

  /* Kept for the life of the process: runs on other threads keep pointers into it. */
  cached = g_new0 (CachedMnist, 1);
  status = pb_mnist_load (dir, &cached->mnist, &err);
  if (status != PB_OK)
    {
      g_set_error (error, PB_CORE_ERROR, status,
                   _("Could not load MNIST from “%s”: %s"), dir, err.message);
      g_free (cached);
      return NULL;
    }
  g_hash_table_insert (cache, g_strdup (dir), cached);
  return &cached->mnist;
}
