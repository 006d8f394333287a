/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pb-style"

#include "config.h"

#include "pb-style.h"

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

static void
update_destructive (GtkWidget *button)
{
  if (gtk_widget_get_sensitive (button))
    gtk_widget_add_css_class (button, "destructive-action");
  else
    gtk_widget_remove_css_class (button, "destructive-action");
}

void
pb_style_destructive_while_sensitive (GtkWidget *button)
{
  g_return_if_fail (GTK_IS_WIDGET (button));

  g_signal_connect (button, "notify::sensitive", G_CALLBACK (update_destructive), NULL);
  update_destructive (button);
}
