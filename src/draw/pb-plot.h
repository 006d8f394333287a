/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Plots drawn with plain cairo and pango (no GTK), so that a widget's snapshot, the app's export
 * and pairbench-cli all draw the same figure: axes with nice ticks, lines, box plots, small
 * multiples and t-SNE scatter maps. Colours and fonts come from a PbPlotStyle: widgets fill it
 * from their style (dark mode), files use the light print style. */

#include <cairo.h>
#include <glib.h>

#include "pb-chart.h"
#include "pb-session.h"

G_BEGIN_DECLS

typedef enum
{
  PB_PLOT_CURVES,           /* the mean test error per epoch, one line per model */
  PB_PLOT_SMALL_MULTIPLES,  /* one panel per model: every round thin, the mean bold */
  PB_PLOT_BOX,              /* per-round final test errors per model: box and points */
} PbPlotKind;

/* Draws into (0, 0, width, height) in user units. */
void pb_plot_draw_session (cairo_t *cr, double width, double height, const PbPlotStyle *style,
                           PbPlotKind kind, const PbSession *session);

/* A t-SNE map: xy [n, 2], digits [n] (0–9), coloured by digit with a legend. */
void pb_plot_draw_scatter (cairo_t *cr, double width, double height, const PbPlotStyle *style,
                           const char *title, const float *xy, const guint8 *digits, int n);

/* The title and axis labels of a session plot, as in the drawing. */
const char *pb_plot_kind_title (PbPlotKind kind);
const char *pb_plot_axis_label (PbPlotKind kind, gboolean y);

typedef void (*PbPlotDrawFunc) (cairo_t *cr, double width, double height, gpointer data);

/* Writes a PNG (2 pixels per point), SVG or PDF by the file's extension, width × height points,
 * atomically: the old file stays intact on failure. The SVG also gets a <title> and a <desc>
 * holding title and description, as cairo writes its text as glyph outlines. */
gboolean pb_plot_export (const char *path, double width, double height, PbPlotDrawFunc draw,
                         gpointer data, const char *title, const char *description,
                         GError **error);

/* Pixels per point in exported PNGs. */
#define PB_PLOT_PNG_SCALE 2

G_END_DECLS
