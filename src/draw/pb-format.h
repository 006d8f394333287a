/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* 71076 → "71 076" (thin space), readable in every language. */
char *pb_format_count (gsize n);

/* "1:05" or "1:02:03". */
char *pb_format_duration (double seconds);

G_END_DECLS
