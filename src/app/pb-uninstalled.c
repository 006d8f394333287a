/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pb-uninstalled"

#include "config.h"

#include "pb-gemm.h"
#include "pb-uninstalled.h"

gboolean
pb_is_uninstalled (void)
{
  static gsize once;
  static gboolean uninstalled;

  if (g_once_init_enter (&once))
    {
      g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);

      uninstalled = exe != NULL && g_str_has_prefix (exe, PB_BUILD_ROOT "/");
      g_once_init_leave (&once, 1);
    }
  return uninstalled;
}

void
pb_uninstalled_setup (void)
{
  pb_blas_set_single_thread ();

  if (pb_is_uninstalled () && g_getenv ("GSETTINGS_SCHEMA_DIR") == NULL)
    g_setenv ("GSETTINGS_SCHEMA_DIR", PB_BUILD_ROOT "/data", TRUE);
}

const char *
pb_locale_dir (void)
{
  return pb_is_uninstalled () ? PB_BUILD_ROOT "/po" : PB_LOCALEDIR;
}

static gboolean
dir_has_mnist (const char *dir)
{
  g_autofree char *gz = g_build_filename (dir, "train-images-idx3-ubyte.gz", NULL);
  g_autofree char *plain = g_build_filename (dir, "train-images-idx3-ubyte", NULL);

  return g_file_test (gz, G_FILE_TEST_EXISTS) || g_file_test (plain, G_FILE_TEST_EXISTS);
}

char *
pb_resolve_data_dir (const char *setting)
{
  const char *env;

  if (setting != NULL && setting[0] != '\0')
    return g_strdup (setting);
  env = g_getenv ("PAIRBENCH_DATA_DIR");
  if (env != NULL && env[0] != '\0')
    return g_strdup (env);
  if (pb_is_uninstalled () || !dir_has_mnist (PB_INSTALLED_DATA_DIR))
    {
      if (dir_has_mnist (PB_SOURCE_DATA_DIR))
        return g_strdup (PB_SOURCE_DATA_DIR);
    }
  return g_strdup (PB_INSTALLED_DATA_DIR);
}
