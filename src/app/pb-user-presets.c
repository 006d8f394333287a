/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pb-user-presets"

#include "config.h"

#include "pb-core-error.h"
#include "pb-preset.h"
#include "pb-user-presets.h"

static gboolean
user_dir (char     *buf,
          gsize     size,
          GError  **error)
{
  PbError err = { { 0 } };
  return pb_set_error_from_status (error, pb_preset_user_dir (buf, size, &err), &err);
}

char **
pb_user_presets_list (GError **error)
{
  char dir[4096];
  char **names = NULL;
  int n = 0;
  PbError err = { { 0 } };
  g_autoptr(GStrvBuilder) builder = NULL;

  if (!user_dir (dir, sizeof dir, error))
    return NULL;
  if (!pb_set_error_from_status (error, pb_preset_list (dir, &names, &n, &err), &err))
    return NULL;
  builder = g_strv_builder_new ();
  for (int i = 0; i < n; i++)
    g_strv_builder_add (builder, names[i]);
  pb_preset_names_free (names);
  return g_strv_builder_end (builder);
}

gboolean
pb_user_presets_check_name (const char  *name,
                            GError     **error)
{
  PbError err = { { 0 } };
  return pb_set_error_from_status (error, pb_preset_check_name (name, &err), &err);
}

gboolean
pb_user_presets_save (const char             *name,
                      const PbTrainSettings  *settings,
                      GError                **error)
{
  char dir[4096];
  PbError err = { { 0 } };

  if (!pb_user_presets_check_name (name, error) || !user_dir (dir, sizeof dir, error))
    return FALSE;
  return pb_set_error_from_status (error, pb_preset_save (dir, name, settings, &err), &err);
}

gboolean
pb_user_presets_load (const char       *name,
                      PbTrainSettings  *out,
                      GError          **error)
{
  char dir[4096];
  PbError err = { { 0 } };

  if (!user_dir (dir, sizeof dir, error))
    return FALSE;
  return pb_set_error_from_status (error, pb_preset_load (dir, name, out, &err), &err);
}
