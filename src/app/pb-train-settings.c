/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pb-train-settings"

#include "config.h"

#include "pb-core-error.h"
#include "pb-train-settings.h"

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
