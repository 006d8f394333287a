/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <stddef.h>

typedef enum
{
  PB_OK = 0,
  PB_ERR_IO,        /* a file could not be opened, read or written */
  PB_ERR_FORMAT,    /* a file's contents are not what was expected */
  PB_ERR_INVALID,   /* a setting or argument is out of range */
  PB_ERR_NOMEM,
  PB_ERR_CANCELLED, /* the caller's cancel check asked to stop */
  PB_ERR_DIVERGED,  /* a loss became NaN or infinite */
} PbStatus;

/* Caller-owned; the library writes one line saying what, where, and what was expected. */
typedef struct
{
  char message[512];
} PbError;

/* Fills err (if non-NULL) and returns status, so callers can write
 * `return pb_error_set (err, PB_ERR_FORMAT, "...", ...);`. */
PbStatus pb_error_set (PbError *err, PbStatus status, const char *fmt, ...)
  __attribute__ ((format (printf, 3, 4)));

const char *pb_status_name (PbStatus status);
