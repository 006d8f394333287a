/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pb-core-error"

#include "config.h"

#include "pb-core-error.h"

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
