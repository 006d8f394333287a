/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Training curves drawn from plain data: runs, each with its series of raw and smoothed points,
 * a colour and learning-rate marks, on an epoch, step or wall-time axis. The app's curve view,
 * its export and the CLI's study figures all draw through this one renderer; a PbPlotStyle
 * (pb-plot.h) gives the colours (light for files, the live style on screen) and the font. */

#include <cairo.h>
#include <glib.h>

#include "pb-draw.h"
#include "pb-chart.h"

G_BEGIN_DECLS

/* What the horizontal axis measures: epochs (a batch at step / batches per epoch), optimiser
 * steps, or wall time since the run started. */
typedef enum
{
  PB_CURVE_X_EPOCH,
  PB_CURVE_X_STEP,
  PB_CURVE_X_WALL_TIME,
} PbCurveXAxis;

typedef enum
{
  PB_CURVE_DASH_SOLID,
  PB_CURVE_DASH_DASHED,
  PB_CURVE_DASH_DOTTED,
} PbCurveDash;

/* How a series is stroked; with a name, an entry of the legend. */
typedef struct
{
  const char *name;
  double width;
  PbCurveDash dash;
} PbCurveLine;

typedef struct
{
  guint n;
  const double *x;         /* [n] on the axis, in data units (epochs, steps or seconds) */
  const double *raw;       /* [n]; NaN: no value */
  const double *smoothed;  /* [n], or NULL: drawn raw, its points marked */
  PbCurveLine line;
  gboolean light;          /* per-batch noise: kept light so that the epoch means read over it */
} PbCurveSeries;

/* A learning-rate change: a dotted line at x with its text at the top. */
typedef struct
{
  double x;
  const char *text;
} PbCurveMarker;

typedef struct
{
  const char *label;       /* the legend's name for the run */
  PbColor color;
  const PbCurveSeries *series;
  guint n_series;
  const PbCurveMarker *markers;
  guint n_markers;
} PbCurveRun;

typedef struct
{
  const char *title;
  const char *y_label;
  PbCurveXAxis x_axis;
  gboolean log_y;
  double smoothing;        /* the weight of the series that have smoothed values, for the legend */
  double xmax;             /* the data's x extent; the axis starts at 0 */
  double ymin, ymax;       /* the data's y range, before nice ticks */
  const PbCurveRun *runs;  /* the shown ones */
  guint n_runs;
  const PbCurveLine *legend;  /* the line styles named in the legend, before the runs */
  guint n_legend;
  const char *placeholder; /* drawn in the plot area when there is no run, or NULL */
  double hover_x;          /* the cross-hair, or NaN */
  const char *hover_markup;/* the readout beside it, Pango markup, or NULL */
} PbCurveChart;

typedef struct
{
  double x, y, width, height;
} PbCurveRect;

typedef struct
{
  PbPlotMapping map;       /* x in data units */
  PbTicks xt, yt;          /* xt in x_unit: seconds, minutes or hours of wall time */
  double x_unit;
  /* The title and legend above the plot, wrapped over as many rows as they need. */
  PbCurveRect legend;
  guint n_legend_rows;
  guint n_legend_runs;     /* the runs named in the legend: every one */
  PbCurveRect hover_box;   /* the readout; zero-sized when there is none */
} PbCurveLayout;

/* The layout of chart in width × height; cr (may be NULL) measures the text. */
void pb_curves_layout (cairo_t *cr, double width, double height, const PbPlotStyle *style,
                       const PbCurveChart *chart, PbCurveLayout *out);
/* Draws chart into (0, 0, width, height); layout (may be NULL) receives its layout. */
void pb_curves_draw (cairo_t *cr, double width, double height, const PbPlotStyle *style,
                     const PbCurveChart *chart, PbCurveLayout *layout);

/* The axis position of data x, in pixels. */
double pb_curves_x_to_pixel (const PbCurveLayout *layout, double x);

G_END_DECLS
