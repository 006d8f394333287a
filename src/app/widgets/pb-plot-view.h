/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "pb-plot.h"

G_BEGIN_DECLS

#define PB_TYPE_PLOT_KIND (pb_plot_kind_get_type ())
GType pb_plot_kind_get_type (void);

#define PB_TYPE_PLOT_VIEW (pb_plot_view_get_type ())
G_DECLARE_FINAL_TYPE (PbPlotView, pb_plot_view, PB, PLOT_VIEW, GtkWidget)

/* A comparison plot on screen, drawn by pb-plot with colours from the style. The session is
 * borrowed: the owner sets it again (or NULL) before it changes or goes away. */
GtkWidget  *pb_plot_view_new (PbPlotKind kind);
PbPlotKind  pb_plot_view_get_kind (PbPlotView *self);
void        pb_plot_view_set_session (PbPlotView *self, const PbSession *session);
/* The session's contents changed. */
void        pb_plot_view_update (PbPlotView *self);
/* The on-screen style: the widget's text colour and font, the theme's run colours. */
void        pb_plot_view_get_style (PbPlotView *self, PbPlotStyle *out);

/* The same for any drawing widget: its text colour, the theme's view and popover colours, the
 * run colours and the widget's font; the background left to the widget's CSS. */
void        pb_plot_style_from_widget (GtkWidget *widget, PbPlotStyle *out);
/* Only the widget's font family and size (in pixels). */
void        pb_plot_style_set_font_from_widget (PbPlotStyle *style, GtkWidget *widget);

G_END_DECLS
