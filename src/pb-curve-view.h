/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "pb-plot.h"

G_BEGIN_DECLS

typedef enum
{
  PB_CURVE_KIND_LOSS,
  PB_CURVE_KIND_ERROR,
} PbCurveKind;

#define PB_TYPE_CURVE_KIND (pb_curve_kind_get_type ())
GType pb_curve_kind_get_type (void);

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
