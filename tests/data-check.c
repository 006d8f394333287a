/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "data-check.h"

#include <glib.h>

const char *
data_dir (void)
{
  const char *dir = g_getenv ("PAIRBENCH_DATA_DIR");
  return dir != NULL ? dir : "data/mnist";
}
