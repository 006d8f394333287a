/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* A run's colour by its index, from the widget's style (light or dark) when it has one. */
#define PB_N_RUN_COLORS 8
void pb_run_color (GtkWidget *widget, guint index, GdkRGBA *out);

/* Gives button the destructive-action style only while it is sensitive: an insensitive
 * destructive button is a pale red that reads as active, so an idle Stop looks like any other
 * disabled button. */
void pb_style_destructive_while_sensitive (GtkWidget *button);

G_END_DECLS
