/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "pb-sweep-plot.h"

G_BEGIN_DECLS

typedef enum
{
  PB_SWEEP_PLOT_PARCOORDS,  /* parallel coordinates; drag on an axis to brush, click to clear */
  PB_SWEEP_PLOT_SCATTER,    /* val_error against the x-axis parameter */
} PbSweepPlotKind;

#define PB_TYPE_SWEEP_PLOT_KIND (pb_sweep_plot_kind_get_type ())
GType pb_sweep_plot_kind_get_type (void);

#define PB_TYPE_SWEEP_PLOT_VIEW (pb_sweep_plot_view_get_type ())
G_DECLARE_FINAL_TYPE (PbSweepPlotView, pb_sweep_plot_view, PB, SWEEP_PLOT_VIEW, GtkWidget)

/* A sweep's figure on screen, drawn by draw/pb-sweep-plot with colours from the style. The
 * parallel coordinates own the brushes: "brushes-changed" after the user (or the _drag API)
 * changed one. set_data copies the data; the parallel coordinates keep their brushes on the
 * axes that keep their name, the scatter takes the data's. */
GtkWidget *pb_sweep_plot_view_new (PbSweepPlotKind kind);
void       pb_sweep_plot_view_set_data (PbSweepPlotView *self, const PbSweepPlotData *data);
/* The data with the current brushes; values stay valid until the next set_data. */
const PbSweepPlotData *pb_sweep_plot_view_get_data (PbSweepPlotView *self);
void       pb_sweep_plot_view_set_selected (PbSweepPlotView *self, int line);
void       pb_sweep_plot_view_set_x_axis (PbSweepPlotView *self, int axis);
/* Brushes, in data units; emit "brushes-changed". */
void       pb_sweep_plot_view_set_brush (PbSweepPlotView *self, int axis, double lo, double hi);
void       pb_sweep_plot_view_clear_brushes (PbSweepPlotView *self);
/* The pointer path of a drag from (x0, y0) to (x1, y1) in widget coordinates, as the drag
 * gesture handles it: a drag along an axis brushes that range, a click clears the axis's. */
void       pb_sweep_plot_view_drag (PbSweepPlotView *self, double x0, double y0, double x1,
                                    double y1);
/* Where axis a stands (x) and where value v on it is drawn (y), at the current size. */
void       pb_sweep_plot_view_axis_point (PbSweepPlotView *self, int axis, double v, double *x,
                                          double *y);
/* Draws as on screen, or with another style (exports). */
void       pb_sweep_plot_view_draw (PbSweepPlotView *self, cairo_t *cr, double width,
                                    double height, const PbPlotStyle *style);

G_END_DECLS
