/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Helpers the GUI tests share: waiting on the main loop, and checking exported figures. */

#include <glib.h>

/* Iterates the default main context until cond (data) holds. The timeout is generous and only a
 * safety net; returns FALSE when it ran out. */
gboolean pb_test_wait_until (gboolean (*cond) (gpointer data), gpointer data, guint timeout_s);
/* Lets pending idles, redraws and timeouts run for about a second. */
void     pb_test_settle (void);

/* A PNG of width_pt × height_pt points at 2 pixels per point (height_pt ≤ 0: any height). */
void     pb_test_check_png (const char *path, double width_pt, double height_pt);
/* Well-formed XML with an <svg> element and each of the NULL-terminated labels in its text. */
void     pb_test_check_svg (const char *path, const char *const *labels);
/* A PDF with exactly one page. */
void     pb_test_check_pdf (const char *path);
