/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* A sweep's two figures from plain data, for the Sweep view and its exports: the parallel
 * coordinates (one vertical axis per swept parameter and a last one for val_error, one line per
 * trial coloured by its val_error, brushed ranges that dim the lines outside them) and the
 * scatter of val_error against one parameter. */

#include <cairo.h>
#include <glib.h>

#include "pb-chart.h"

G_BEGIN_DECLS

#define PB_SWEEP_PLOT_MAX_AXES 25
#define PB_SWEEP_PLOT_MAX_CATEGORIES 64

typedef enum
{
  PB_SWEEP_AXIS_LINEAR,
  PB_SWEEP_AXIS_LOG,        /* min > 0 */
  PB_SWEEP_AXIS_CATEGORY,   /* values are the categories' indices, 0 … n − 1 */
} PbSweepAxisScale;

typedef struct
{
  char name[32];
  PbSweepAxisScale scale;
  double min, max;          /* the data's range; a category axis is 0 … n − 1 */
  int n_categories;
  char categories[PB_SWEEP_PLOT_MAX_CATEGORIES][64];
  gboolean brushed;
  double brush_lo, brush_hi;  /* in data units, lo ≤ hi */
} PbSweepAxis;

typedef struct
{
  int n_axes;               /* the last is val_error (a fraction, shown in percent) */
  PbSweepAxis axes[PB_SWEEP_PLOT_MAX_AXES];
  int n_lines;              /* one per trial */
  const double *values;     /* [n_lines · n_axes], NaN where unknown (a diverged trial) */
  const int *labels;        /* [n_lines], the trials' numbers as shown (1-based) */
  int selected;             /* a line drawn over the others, or −1 */
} PbSweepPlotData;

/* Whether line i lies inside every brush (a NaN value is inside no brush). */
gboolean pb_sweep_plot_line_kept (const PbSweepPlotData *data, int line);
/* The axis' sets its range from the lines' values (a log axis from its positive ones), widened a
 * little when every value is the same. */
void     pb_sweep_axis_fit (PbSweepAxis *axis, const double *values, int stride, int n);

/* Where the parallel coordinates' axes stand for a given size and style: axis a at x[a], from
 * top (the range's max) to bottom (its min). */
typedef struct
{
  double x[PB_SWEEP_PLOT_MAX_AXES];
  double top, bottom;
  double legend_x;          /* the colour bar's left edge */
} PbSweepPlotGeometry;

void     pb_sweep_plot_geometry (const PbSweepPlotData *data, const PbPlotStyle *style,
                                 double width, double height, PbSweepPlotGeometry *out);
/* An axis position t in [0, 1] (0 at the bottom) and the value there, both ways. */
double   pb_sweep_axis_to_unit (const PbSweepAxis *axis, double value);
double   pb_sweep_axis_from_unit (const PbSweepAxis *axis, double t);

void     pb_sweep_plot_draw_parcoords (cairo_t *cr, double width, double height,
                                       const PbPlotStyle *style, const PbSweepPlotData *data);
/* val_error (%) against axis x_axis's values; the kept lines bold, the others dim. */
void     pb_sweep_plot_draw_scatter (cairo_t *cr, double width, double height,
                                     const PbPlotStyle *style, const PbSweepPlotData *data,
                                     int x_axis);

/* The sequential colour map (viridis, its light end cut off), t in [0, 1]. */
PbColor  pb_sweep_plot_color (double t);

const char *pb_sweep_plot_parcoords_title (void);
const char *pb_sweep_plot_scatter_title (void);

G_END_DECLS
