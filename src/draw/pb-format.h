/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* 71076 → "71 076" (thin space), readable in every language. */
char *pb_format_count (gsize n);

/* "1:05" or "1:02:03". */
char *pb_format_duration (double seconds);

/* A comparison's estimated time, from one run's measured seconds per epoch: runs × epochs, cores
 * runs at a time. "about 14 min on 2 cores"; "Time estimate after the first run" when nothing
 * is measured (epoch_seconds NaN or ≤ 0). */
char *pb_format_estimate (double epoch_seconds, int runs, int epochs, int cores);

G_END_DECLS
