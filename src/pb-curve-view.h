/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

typedef enum
{
  PB_CURVE_KIND_LOSS,
  PB_CURVE_KIND_ERROR,
} PbCurveKind;

#define PB_TYPE_CURVE_KIND (pb_curve_kind_get_type ())
GType pb_curve_kind_get_type (void);

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

#define PB_TYPE_CURVE_VIEW (pb_curve_view_get_type ())
G_DECLARE_FINAL_TYPE (PbCurveView, pb_curve_view, PB, CURVE_VIEW, GtkWidget)

/* A live chart of the runs in a GListModel of PbRunItem: loss or error against the epoch. */
GtkWidget  *pb_curve_view_new (PbCurveKind kind);
PbCurveKind pb_curve_view_get_kind (PbCurveView *self);
void        pb_curve_view_set_model (PbCurveView *self, GListModel *model);
GListModel *pb_curve_view_get_model (PbCurveView *self);
gboolean    pb_curve_view_get_log_scale (PbCurveView *self);
void        pb_curve_view_set_log_scale (PbCurveView *self, gboolean log_scale);
double      pb_curve_view_get_hover_epoch (PbCurveView *self);
void        pb_curve_view_set_hover_epoch (PbCurveView *self, double epoch);
/* The mapping of the last layout for a widget of this size (tests, hit testing). */
void        pb_curve_view_get_mapping (PbCurveView *self, int width, int height,
                                       PbPlotMapping *out);
/* The same drawing as on screen, for export to any cairo surface. */
void        pb_curve_view_draw (PbCurveView *self, cairo_t *cr, int width, int height);
/* Number of times the view has painted; tests check it redraws on data, not on a timer. */
guint       pb_curve_view_get_n_draws (PbCurveView *self);

G_END_DECLS
