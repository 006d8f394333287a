/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "pb-curves.h"
#include "pb-run-item.h"

G_BEGIN_DECLS

/* The curve view's model: from a GListModel of PbRunItem and the view's options, the plain data
 * that pb-curves.h draws (each shown run's series, raw and as drawn, its colour and learning-rate
 * changes, the axes' ranges and the readout), and the CSV of the same points. */

typedef enum
{
  PB_CURVE_KIND_LOSS,
  PB_CURVE_KIND_ERROR,
} PbCurveKind;

typedef struct
{
  PbCurveKind kind;
  PbCurveXAxis x_axis;
  gboolean log_scale;
  double smoothing;         /* of the per-batch series: TensorBoard's debiased moving average,
                             * 0 (off) to PB_SMOOTH_MAX; per-epoch series are drawn raw */
  gboolean ignore_outliers; /* the y range from the 5th to the 95th percentile */
  double hover_epoch;       /* the readout's epoch, or -1 */
} PbCurveOptions;

typedef struct _PbCurveData PbCurveData;

/* runs may be NULL; colour_widget (may be NULL) looks up the run colours in its style. */
PbCurveData        *pb_curve_data_new (GListModel *runs, const PbCurveOptions *options,
                                       GtkWidget *colour_widget);
void                pb_curve_data_free (PbCurveData *data);
const PbCurveChart *pb_curve_data_get_chart (PbCurveData *data);
/* The most planned epochs of the shown runs. */
int                 pb_curve_data_get_max_epochs (PbCurveData *data);
/* The epoch whose end is nearest to x on the axis, or -1. */
double              pb_curve_data_x_to_epoch (PbCurveData *data, double x);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PbCurveData, pb_curve_data_free)

/* Where a run's step (1-based, as PbBatchRecord.step) lies on the axis; NaN when not known. */
double pb_curve_step_to_x (PbCurveXAxis axis, PbRunItem *item, int step);

/* The shown runs' points as CSV rows run,series,step,epoch,seconds,raw,smoothed (as drawn). */
void   pb_curve_append_csv (GListModel *runs, const PbCurveOptions *options, GString *out);

/* The kind's title ("Loss", "Error"). */
const char *pb_curve_kind_title (PbCurveKind kind);

G_END_DECLS
