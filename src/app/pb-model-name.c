/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pb-model-name"

#include "config.h"

#include <glib/gi18n.h>

#include "pb-model-name.h"

const char *
pb_model_kind_label (PbKind kind)
{
  switch (kind)
    {
    case PB_KIND_STACKED:
      /* Translators: a model kind, after its id: "stacked (two-channel)" */
      return _("two-channel");
    case PB_KIND_TWIN:
      /* Translators: a model kind, after its id: "twin (two trunks)" */
      return _("two trunks");
    case PB_KIND_SIAMESE:
    default:
      /* Translators: a model kind, after its id: "siamese (shared trunk)" */
      return _("shared trunk");
    }
}

char *
pb_model_display_name (const PbArch *arch)
{
  /* Translators: a model's id, as pairbench-cli takes it, and its kind */
  return g_strdup_printf (_("%s (%s)"), pb_arch_name (arch), pb_model_kind_label (arch->kind));
}
