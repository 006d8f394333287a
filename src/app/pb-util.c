/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pb-util"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "pb-uninstalled.h"
#include "pb-util.h"

G_DEFINE_QUARK (pb-core-error-quark, pb_core_error)

gboolean
pb_set_error_from_status (GError   **error,
                          PbStatus   status,
                          const PbError *err)
{
  if (status == PB_OK)
    return TRUE;
  g_set_error_literal (error, PB_CORE_ERROR, status,
                       err != NULL && err->message[0] ? err->message : pb_status_name (status));
  return FALSE;
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

char *
pb_format_count (gsize n)
{
  g_autofree char *digits = g_strdup_printf ("%" G_GSIZE_FORMAT, n);
  GString *out = g_string_new (NULL);
  gsize len = strlen (digits);

  for (gsize i = 0; i < len; i++)
    {
      if (i > 0 && (len - i) % 3 == 0)
        g_string_append (out, "\u2009");
      g_string_append_c (out, digits[i]);
    }
  return g_string_free (out, FALSE);
}

char *
pb_format_duration (double seconds)
{
  gint64 s = (gint64) (seconds + 0.5);

  if (s < 0)
    s = 0;
  if (s >= 3600)
    return g_strdup_printf ("%d:%02d:%02d", (int) (s / 3600), (int) (s / 60 % 60), (int) (s % 60));
  return g_strdup_printf ("%d:%02d", (int) (s / 60), (int) (s % 60));
}

/* libadwaita's palette names: they exist in light and dark, and these shades stay legible on
 * both backgrounds. The fallbacks are the same colours. */
static const struct
{
  const char *name;
  const char *fallback;
} run_colors[PB_N_RUN_COLORS] = {
  { "blue_3", "#3584e4" },
  { "orange_3", "#ff7800" },
  { "green_4", "#2ec27e" },
  { "purple_2", "#c061cb" },
  { "red_2", "#ed333b" },
  { "yellow_5", "#e5a50a" },
  { "brown_2", "#b5835a" },
  { "blue_1", "#99c1f1" },
};

void
pb_run_color (GtkWidget *widget,
              guint      index,
              GdkRGBA   *out)
{
  guint i = index % PB_N_RUN_COLORS;

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  if (widget != NULL &&
      gtk_style_context_lookup_color (gtk_widget_get_style_context (widget),
                                      run_colors[i].name, out))
    return;
  G_GNUC_END_IGNORE_DEPRECATIONS
  gdk_rgba_parse (out, run_colors[i].fallback);
}

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

gboolean
pb_train_settings_from_gsettings (GSettings        *settings,
                                  PbTrainSettings  *out,
                                  GError          **error)
{
  gboolean aux = g_settings_get_boolean (settings, "aux-loss");
  const char *name;
  PbTrainSettings s;
  PbError err = { { 0 } };
  PbStatus status;

  if (g_settings_get_boolean (settings, "two-channel"))
    name = aux ? "stacked-aux" : "stacked";
  else if (g_settings_get_boolean (settings, "weight-sharing"))
    name = aux ? "siamese-aux" : "siamese";
  else
    name = aux ? "twin-aux" : "twin";

  status = pb_train_settings_init (&s, name, &err);
  if (status != PB_OK)
    return pb_set_error_from_status (error, status, &err);
  s.arch.aux_weight = (float) g_settings_get_double (settings, "aux-weight");
  s.epochs = g_settings_get_int (settings, "epochs");
  s.batch = g_settings_get_int (settings, "batch-size");
  s.lr = (float) g_settings_get_double (settings, "learning-rate");
  s.train_pairs = g_settings_get_int (settings, "train-pairs");
  s.test_pairs = g_settings_get_int (settings, "test-pairs");
  s.augment_deg = (float) g_settings_get_double (settings, "augment-angle");
  s.seed = g_settings_get_uint (settings, "seed");
  s.arch.kernel = g_settings_get_int (settings, "kernel-size");
  for (int l = 0; l < PB_N_CONV; l++)
    {
      g_autofree char *ch = g_strdup_printf ("conv%d-channels", l + 1);
      g_autofree char *pad = g_strdup_printf ("conv%d-padding", l + 1);
      s.arch.channels[l] = g_settings_get_int (settings, ch);
      s.arch.padding[l] = g_settings_get_int (settings, pad);
    }
  s.arch.batch_norm = g_settings_get_boolean (settings, "batch-norm");
  s.arch.hidden = g_settings_get_int (settings, "hidden-width");
  s.arch.hidden_act = (PbHiddenAct) g_settings_get_enum (settings, "hidden-activation");
  s.arch.dropout = (float) g_settings_get_double (settings, "dropout");
  s.arch.rule = (PbRule) g_settings_get_enum (settings, "decision-rule");
  s.schedule = (PbSchedule) g_settings_get_enum (settings, "lr-schedule");
  s.weight_decay = (float) g_settings_get_double (settings, "weight-decay");
  s.translate = g_settings_get_int (settings, "translate");
  s.scale = (float) g_settings_get_double (settings, "scale-jitter");
  s.shear = (float) g_settings_get_double (settings, "shear");
  s.swap = g_settings_get_boolean (settings, "swap-images");
  s.repair = g_settings_get_boolean (settings, "repair-pairs");
  s.val_pairs = g_settings_get_int (settings, "val-pairs");
  status = pb_train_settings_validate (&s, &err);
  if (status != PB_OK)
    return pb_set_error_from_status (error, status, &err);
  *out = s;
  return TRUE;
}

void
pb_train_settings_to_gsettings (GSettings             *target,
                                const PbTrainSettings *s)
{
  g_autoptr(GSettingsSchema) schema = NULL;
  g_autoptr(GObject) backend = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GSettings) settings = NULL;

  /* Delay mode cannot be left again, so batch through an object of our own: on the caller's,
   * its later writes (the sidebar's bindings) would stay pending for ever. */
  g_object_get (target, "settings-schema", &schema, "backend", &backend, "path", &path, NULL);
  settings = g_object_new (G_TYPE_SETTINGS, "settings-schema", schema, "backend", backend,
                           "path", path, NULL);
  g_settings_delay (settings);
  g_settings_set_boolean (settings, "two-channel", s->arch.kind == PB_KIND_STACKED);
  if (s->arch.kind != PB_KIND_STACKED)
    g_settings_set_boolean (settings, "weight-sharing", s->arch.kind == PB_KIND_SIAMESE);
  g_settings_set_boolean (settings, "aux-loss", s->arch.aux);
  g_settings_set_double (settings, "aux-weight", s->arch.aux_weight);
  g_settings_set_int (settings, "kernel-size", s->arch.kernel);
  for (int l = 0; l < PB_N_CONV; l++)
    {
      g_autofree char *ch = g_strdup_printf ("conv%d-channels", l + 1);
      g_autofree char *pad = g_strdup_printf ("conv%d-padding", l + 1);
      g_settings_set_int (settings, ch, s->arch.channels[l]);
      g_settings_set_int (settings, pad, s->arch.padding[l]);
    }
  g_settings_set_boolean (settings, "batch-norm", s->arch.batch_norm);
  g_settings_set_int (settings, "hidden-width", s->arch.hidden);
  g_settings_set_enum (settings, "hidden-activation", (int) s->arch.hidden_act);
  g_settings_set_double (settings, "dropout", s->arch.dropout);
  g_settings_set_enum (settings, "decision-rule", (int) s->arch.rule);
  g_settings_set_int (settings, "epochs", s->epochs);
  g_settings_set_int (settings, "batch-size", s->batch);
  g_settings_set_double (settings, "learning-rate", s->lr);
  g_settings_set_enum (settings, "lr-schedule", (int) s->schedule);
  g_settings_set_double (settings, "weight-decay", s->weight_decay);
  g_settings_set_int (settings, "train-pairs", s->train_pairs);
  g_settings_set_int (settings, "test-pairs", s->test_pairs);
  g_settings_set_int (settings, "val-pairs", s->val_pairs);
  g_settings_set_double (settings, "augment-angle", s->augment_deg);
  g_settings_set_int (settings, "translate", s->translate);
  g_settings_set_double (settings, "scale-jitter", s->scale);
  g_settings_set_double (settings, "shear", s->shear);
  g_settings_set_boolean (settings, "swap-images", s->swap);
  g_settings_set_boolean (settings, "repair-pairs", s->repair);
  g_settings_set_uint (settings, "seed", (guint) s->seed);
  g_settings_apply (settings);
}
