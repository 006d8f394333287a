/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Plots drawn with plain cairo and pango (no GTK), so that a widget's snapshot, the app's export
 * and pairbench-cli all draw the same figure: axes with nice ticks, lines, box plots, small
 * multiples and t-SNE scatter maps. Colours and fonts come from a PbPlotStyle: widgets fill it
 * from their style (dark mode), files use the light print style. */

#include <cairo.h>
#include <glib.h>

#include "pb-draw.h"
#include "pb-session.h"

G_BEGIN_DECLS

/* Ticks covering [lo, hi]: first, first + step, … ≤ last, with last ≥ hi. */
typedef struct
{
  double first;
  double last;
  double step;
  int n;
} PbTicks;

/* 1, 2 or 5 × 10ⁿ ("nice numbers", Heckbert in Graphics Gems). */
double pb_nice_number (double x, gboolean round);
void   pb_nice_ticks (double lo, double hi, int max_ticks, PbTicks *out);
/* Decades 10ᵏ covering [lo, hi] (lo > 0); step is the exponent step. */
void   pb_log_ticks (double lo, double hi, PbTicks *out);

/* Data → pixels for a plot area at (x, y) of size width × height. */
typedef struct
{
  double x, y, width, height;
  double xmin, xmax, ymin, ymax;
  gboolean log_y;
} PbPlotMapping;

void pb_plot_mapping_to_pixel (const PbPlotMapping *m, double dx, double dy,
                               double *px, double *py);
void pb_plot_mapping_from_pixel (const PbPlotMapping *m, double px, double py,
                                 double *dx, double *dy);

#define PB_PLOT_N_SERIES 10

typedef struct
{
  PbColor background;                /* also behind labels over the plot */
  PbColor foreground;
  PbColor popover;                   /* behind a readout */
  PbColor series[PB_PLOT_N_SERIES];  /* models in order; digits 0–9 on maps */
  gboolean paint_background;
  char font_family[64];
  double font_size;                  /* points */
} PbPlotStyle;

/* Black on white (dark: white on libadwaita's dark view colour), Tableau 10 colours, 9 pt
 * sans, the background painted. */
void pb_plot_style_init (PbPlotStyle *style, gboolean dark);
/* The light one, for files. */
void pb_plot_style_init_print (PbPlotStyle *style);

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
