/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "pb-status.h"

#include <stdarg.h>
#include <stdio.h>

PbStatus
pb_error_set (PbError *err, PbStatus status, const char *fmt, ...)
{
  if (err != NULL)
    {
      va_list ap;
      va_start (ap, fmt);
      vsnprintf (err->message, sizeof err->message, fmt, ap);
      va_end (ap);
    }
  return status;
}

const char *
pb_status_name (PbStatus status)
{
  switch (status)
    {
    case PB_OK: return "ok";
    case PB_ERR_IO: return "i/o error";
    case PB_ERR_FORMAT: return "format error";
    case PB_ERR_INVALID: return "invalid argument";
    case PB_ERR_NOMEM: return "out of memory";
    case PB_ERR_CANCELLED: return "cancelled";
    case PB_ERR_DIVERGED: return "diverged";
    default: return "unknown error";
    }
}
