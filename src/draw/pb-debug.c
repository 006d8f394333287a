/* SPDX-License-Identifier: GPL-3.0-or-later */

#include "pb-debug.h"

gboolean
pb_debug_timing (void)
{
  static gsize once;
  static gboolean enabled;

  if (g_once_init_enter (&once))
    {
      const char *v = g_getenv ("PAIRBENCH_DEBUG_TIMING");
      enabled = v != NULL && v[0] != '\0' && g_strcmp0 (v, "0") != 0;
      g_once_init_leave (&once, 1);
    }
  return enabled;
}
