/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* What every chart of src/draw shares: nice ticks, the data-to-pixel mapping and the style
 * (colours and font), below both the figures (pb-plot) and the training curves (pb-curves). */

#include <glib.h>

#include "pb-draw.h"

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

G_END_DECLS
