/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "pb-curve-model.h"
#include "pb-plot.h"
#include "pb-run-item.h"

G_BEGIN_DECLS

#define PB_TYPE_CURVE_KIND (pb_curve_kind_get_type ())
GType pb_curve_kind_get_type (void);

/* PbCurveXAxis (pb-curves.h): epochs, steps or wall time (the records' seconds). */
#define PB_TYPE_CURVE_X_AXIS (pb_curve_x_axis_get_type ())
GType pb_curve_x_axis_get_type (void);

#define PB_TYPE_CURVE_VIEW (pb_curve_view_get_type ())
G_DECLARE_FINAL_TYPE (PbCurveView, pb_curve_view, PB, CURVE_VIEW, GtkWidget)

/* A live chart of the runs in a GListModel of PbRunItem: loss or error against the epoch, the
 * step or wall time. The per-batch loss is smoothed (pb-smooth.h) over its raw values drawn
 * faint; the per-epoch series are drawn raw, their points marked. */
GtkWidget  *pb_curve_view_new (PbCurveKind kind);
PbCurveKind pb_curve_view_get_kind (PbCurveView *self);
void        pb_curve_view_set_model (PbCurveView *self, GListModel *model);
GListModel *pb_curve_view_get_model (PbCurveView *self);
gboolean    pb_curve_view_get_log_scale (PbCurveView *self);
void        pb_curve_view_set_log_scale (PbCurveView *self, gboolean log_scale);
/* TensorBoard's debiased moving average of the per-batch series, 0 (off) to PB_SMOOTH_MAX. */
double      pb_curve_view_get_smoothing (PbCurveView *self);
void        pb_curve_view_set_smoothing (PbCurveView *self, double smoothing);
PbCurveXAxis pb_curve_view_get_x_axis (PbCurveView *self);
void        pb_curve_view_set_x_axis (PbCurveView *self, PbCurveXAxis axis);
/* The y range from the 5th to the 95th percentile of the bold (smoothed or per-epoch) points. */
gboolean    pb_curve_view_get_ignore_outliers (PbCurveView *self);
void        pb_curve_view_set_ignore_outliers (PbCurveView *self, gboolean ignore);
/* Where a run's step (1-based, as PbBatchRecord.step) lies on the current x axis, in the
 * mapping's data units; NaN when not known (no batches per epoch yet, or a step not reached on
 * the wall-time axis). With the mapping, this places per-step marks in the plot area. */
double      pb_curve_view_step_to_x (PbCurveView *self, PbRunItem *item, int step);
double      pb_curve_view_get_hover_epoch (PbCurveView *self);
void        pb_curve_view_set_hover_epoch (PbCurveView *self, double epoch);
/* The pointer at (x, y) in the widget, as its motion controller reports it: the cross-hair goes
 * to the epoch under it, and follows it there whenever the data or the axes change, until the
 * pointer leaves or the keyboard moves the cross-hair. */
void        pb_curve_view_hover_at (PbCurveView *self, double x, double y);
/* The mapping of the last layout for a widget of this size (tests, hit testing). */
void        pb_curve_view_get_mapping (PbCurveView *self, int width, int height,
                                       PbPlotMapping *out);
/* For tests: the whole layout at this size (legend, readout box), the run labels the legend
 * names, and the value the bold line of a run's series (by its legend name) draws at a point. */
void        pb_curve_view_get_layout (PbCurveView *self, int width, int height,
                                      PbCurveLayout *out);
GStrv       pb_curve_view_get_legend_labels (PbCurveView *self, int width, int height);
double      pb_curve_view_get_drawn_value (PbCurveView *self, guint run, const char *series,
                                           guint point);
/* The same drawing as on screen, for export to any cairo surface. */
void        pb_curve_view_draw (PbCurveView *self, cairo_t *cr, int width, int height);
/* The same curves in other colours and font, such as pb_plot_style_init's light ones. */
void        pb_curve_view_draw_with_style (PbCurveView *self, cairo_t *cr, int width,
                                           int height, const PbPlotStyle *style);
/* The shown runs' curves of every view as CSV with the header
 * run,series,step,epoch,seconds,raw,smoothed, smoothed being the bold line's value as drawn (the
 * raw one for the per-epoch series, which are not smoothed); errors as fractions, as in the
 * metrics CSV; missing values empty; C-locale numbers. Written to a temporary file renamed over
 * path. */
char       *pb_curve_view_to_csv (PbCurveView *const *views, guint n_views);
gboolean    pb_curve_view_export_csv (PbCurveView *const *views, guint n_views,
                                      const char *path, GError **error);
/* Number of times the view has painted; tests check it redraws on data, not on a timer. */
guint       pb_curve_view_get_n_draws (PbCurveView *self);

G_END_DECLS
