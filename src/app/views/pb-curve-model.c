/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pb-curve-model"

#include "config.h"

#include <math.h>
#include <string.h>
#include <glib/gi18n.h>

#include "pb-curve-model.h"
#include "pb-smooth.h"
#include "pb-style.h"

/* Series: what is drawn for each run. */
typedef struct
{
  const char *name;
  const char *id;       /* the series column of the CSV */
  double width;
  PbCurveDash dash;
} SeriesStyle;

static const SeriesStyle
loss_styles[] = {
  { N_("per batch"), "batch_loss", 1.0, PB_CURVE_DASH_SOLID },
  { N_("per epoch"), "epoch_loss", 2.5, PB_CURVE_DASH_SOLID },
  { N_("main part"), "epoch_main_loss", 1.5, PB_CURVE_DASH_DASHED },
  { N_("aux part"), "epoch_aux_loss", 1.5, PB_CURVE_DASH_DOTTED },
};

static const SeriesStyle
error_styles[] = {
  { N_("test"), "test_error", 2.5, PB_CURVE_DASH_SOLID },
  { N_("train"), "train_error", 1.5, PB_CURVE_DASH_DASHED },
  { N_("digit"), "digit_error", 1.5, PB_CURVE_DASH_DOTTED },
};

const char *
pb_curve_kind_title (PbCurveKind kind)
{
  return kind == PB_CURVE_KIND_LOSS ? _("Loss") : _("Error");
}

static const char *
y_label_for (PbCurveKind kind)
{
  return kind == PB_CURVE_KIND_LOSS ? _("Cross-entropy (nats)") : _("Error (%)");
}

static gboolean
item_has_aux (PbRunItem *item)
{
  return pb_run_item_get_settings (item)->arch.aux;
}

static double
epoch_value (PbCurveKind          kind,
             const PbEpochRecord *r,
             guint                series)
{
  if (kind == PB_CURVE_KIND_LOSS)
    {
      switch (series)
        {
        case 1: return r->train_loss;
        case 2: return r->train_main_loss;
        case 3: return r->train_aux_loss;
        default: return NAN;
        }
    }
  switch (series)
    {
    case 0: return 100 * r->test_error;
    case 1: return 100 * r->train_error;
    case 2: return 100 * r->digit_error;
    default: return NAN;
    }
}

static guint
n_series (PbCurveKind kind)
{
  return kind == PB_CURVE_KIND_LOSS ? G_N_ELEMENTS (loss_styles) : G_N_ELEMENTS (error_styles);
}

static const SeriesStyle *
series_style (PbCurveKind kind,
              guint       series)
{
  return kind == PB_CURVE_KIND_LOSS ? &loss_styles[series] : &error_styles[series];
}

/* The auxiliary parts of the loss, and the digit error, exist only with the auxiliary loss. */
static gboolean
series_needs_aux (PbCurveKind kind,
                  guint       series)
{
  /* Without the auxiliary loss the digit logits are never taught digits; their ~90 % error
   * would only squash the axis. */
  return (kind == PB_CURVE_KIND_LOSS && series >= 2) || (kind == PB_CURVE_KIND_ERROR && series == 2);
}

static gboolean
series_applies (PbCurveKind  kind,
                guint        series,
                PbRunItem   *item)
{
  return !series_needs_aux (kind, series) || item_has_aux (item);
}

static gboolean
is_batch_series (PbCurveKind kind,
                 guint       series)
{
  return kind == PB_CURVE_KIND_LOSS && series == 0;
}

/* Per-batch series are smoothed; per-epoch ones are drawn raw, as TensorBoard draws sparse
 * scalars: a debiased average of a handful of epochs lags far behind the latest value. */
static gboolean
series_smoothed (const PbCurveOptions *o,
                 guint                 series)
{
  return o->smoothing > 0 && is_batch_series (o->kind, series);
}

/* One series of one run as drawn: the x on the current axis, the raw values in the plotted unit
 * (errors in percent) and the values drawn (smoothed or raw), with what the CSV needs. */
typedef struct
{
  guint n;
  double *x;
  double *raw;
  double *smoothed;
  int *step;
  int *epoch;
  double *seconds;
} Points;

static void
points_init (Points    *p,
             PbRunItem *item)
{
  guint ne, nb, capacity;

  pb_run_item_get_epochs (item, &ne);
  pb_run_item_get_batches (item, &nb);
  capacity = MAX (MAX (ne, nb), 1);
  p->n = 0;
  p->x = g_new (double, capacity);
  p->raw = g_new (double, capacity);
  p->smoothed = g_new (double, capacity);
  p->step = g_new (int, capacity);
  p->epoch = g_new (int, capacity);
  p->seconds = g_new (double, capacity);
}

static void
points_clear (Points *p)
{
  g_free (p->x);
  g_free (p->raw);
  g_free (p->smoothed);
  g_free (p->step);
  g_free (p->epoch);
  g_free (p->seconds);
  memset (p, 0, sizeof *p);
}

static double
x_for (PbCurveXAxis axis,
       double       epochs,
       int          step,
       double       seconds)
{
  switch (axis)
    {
    case PB_CURVE_X_STEP:
      return step;
    case PB_CURVE_X_WALL_TIME:
      return seconds;
    case PB_CURVE_X_EPOCH:
    default:
      return epochs;
    }
}

/* p was initialised for item. */
static void
fill_points (const PbCurveOptions *o,
             PbRunItem            *item,
             guint                 series,
             Points               *p)
{
  guint ne, nb, bpe = pb_run_item_get_batches_per_epoch (item);
  const PbEpochRecord *er = pb_run_item_get_epochs (item, &ne);
  const PbBatchRecord *br = pb_run_item_get_batches (item, &nb);

  p->n = 0;
  if (is_batch_series (o->kind, series))
    {
      for (guint b = 0; b < nb; b++)
        {
          p->step[b] = br[b].step;
          p->epoch[b] = br[b].epoch;
          p->seconds[b] = br[b].seconds;
          p->raw[b] = br[b].loss;
          p->x[b] = x_for (o->x_axis, bpe > 0 ? br[b].step / (double) bpe : NAN, br[b].step,
                           br[b].seconds);
        }
      p->n = nb;
    }
  else
    {
      for (guint e = 0; e < ne; e++)
        {
          p->step[e] = er[e].epoch * (int) bpe;
          p->epoch[e] = er[e].epoch;
          p->seconds[e] = er[e].seconds;
          p->raw[e] = epoch_value (o->kind, &er[e], series);
          p->x[e] = x_for (o->x_axis, er[e].epoch, p->step[e], er[e].seconds);
        }
      p->n = ne;
    }
  pb_smooth_ema (p->raw, p->n, series_smoothed (o, series) ? o->smoothing : 0, p->smoothed);
}

/* The x range's end in data units: the planned epochs (or steps) so that a run fills the axis as
 * it trains; the latest time seen on the wall-time axis, which has no plan. */
static double
x_extent (const PbCurveOptions *o,
          PbRunItem            *item,
          double                seen)
{
  int epochs = pb_run_item_get_settings (item)->epochs;
  guint bpe = pb_run_item_get_batches_per_epoch (item);

  switch (o->x_axis)
    {
    case PB_CURVE_X_STEP:
      return bpe > 0 ? MAX ((double) epochs * bpe, seen) : seen;
    case PB_CURVE_X_WALL_TIME:
      return seen;
    case PB_CURVE_X_EPOCH:
    default:
      return epochs;
    }
}

double
pb_curve_step_to_x (PbCurveXAxis  axis,
                    PbRunItem    *item,
                    int           step)
{
  guint nb, bpe = pb_run_item_get_batches_per_epoch (item);
  const PbBatchRecord *br = pb_run_item_get_batches (item, &nb);

  switch (axis)
    {
    case PB_CURVE_X_STEP:
      return step;
    case PB_CURVE_X_WALL_TIME:
      /* Batches are recorded in step order, one per step. */
      if (step >= 1 && (guint) step <= nb && br[step - 1].step == step)
        return br[step - 1].seconds;
      for (guint b = 0; b < nb; b++)
        if (br[b].step == step)
          return br[b].seconds;
      return NAN;
    case PB_CURVE_X_EPOCH:
    default:
      return bpe > 0 ? step / (double) bpe : NAN;
    }
}

struct _PbCurveData
{
  PbCurveChart chart;
  PbCurveOptions options;
  int max_epochs;
  double *epoch_x;       /* [max_epochs + 1]: where epoch e ends on the axis, NaN: not known */
  GArray *runs;          /* of PbCurveRun */
  GArray *legend;        /* of PbCurveLine */
  GPtrArray *owned;      /* what the chart points into */
};

static gpointer
own (PbCurveData *data,
     gpointer     p)
{
  g_ptr_array_add (data->owned, p);
  return p;
}

static gpointer
own_copy (PbCurveData *data,
          const void  *p,
          gsize        size)
{
  return own (data, g_memdup2 (p, MAX (size, 1)));
}

/* The shown run that places epochs on the step and wall-time axes, where runs differ: the first
 * one with data. NULL on the epoch axis, where every run agrees, or when none has data. */
static PbRunItem *
reference_item (GListModel           *runs,
                const PbCurveOptions *o)
{
  guint n = runs ? g_list_model_get_n_items (runs) : 0;

  if (o->x_axis == PB_CURVE_X_EPOCH)
    return NULL;
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(PbRunItem) item = g_list_model_get_item (runs, i);
      guint ne;

      pb_run_item_get_epochs (item, &ne);
      if (!pb_run_item_get_shown (item))
        continue;
      if (o->x_axis == PB_CURVE_X_STEP ? pb_run_item_get_batches_per_epoch (item) > 0 : ne > 0)
        return g_steal_pointer (&item);
    }
  return NULL;
}

/* Where an epoch ends on the x axis; NaN when that is not known (yet). */
static double
epoch_to_x (const PbCurveOptions *o,
            PbRunItem            *ref,
            int                   epoch)
{
  guint ne;
  const PbEpochRecord *er;

  if (o->x_axis == PB_CURVE_X_EPOCH)
    return epoch;
  if (ref == NULL)
    return NAN;
  if (o->x_axis == PB_CURVE_X_STEP)
    return (double) epoch * pb_run_item_get_batches_per_epoch (ref);
  er = pb_run_item_get_epochs (ref, &ne);
  return epoch >= 1 && (guint) epoch <= ne ? er[epoch - 1].seconds : NAN;
}

double
pb_curve_data_x_to_epoch (PbCurveData *data,
                          double       x)
{
  double best = -1, best_d = INFINITY;

  if (data->options.x_axis == PB_CURVE_X_EPOCH)
    return MAX (1, round (x));
  for (int e = 1; e <= data->max_epochs; e++)
    {
      double d = fabs (data->epoch_x[e] - x);

      if (d < best_d)
        best = e, best_d = d;
    }
  return best;
}

/* The readout's rows for the shown runs at the hovered epoch, or NULL when none has it. */
static char *
hover_markup (GListModel           *runs,
              const PbCurveOptions *o,
              GtkWidget            *colour_widget,
              int                   epoch)
{
  guint n = g_list_model_get_n_items (runs), rows = 0;
  g_autoptr(GString) text = g_string_new (NULL);
  g_autofree char *head = g_strdup_printf (_("Epoch %d"), epoch);
  g_autofree char *head_esc = g_markup_escape_text (head, -1);

  g_string_append_printf (text, "<b>%s</b>", head_esc);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(PbRunItem) item = g_list_model_get_item (runs, i);
      guint ne;
      const PbEpochRecord *er = pb_run_item_get_epochs (item, &ne);
      const PbEpochRecord *r;
      g_autofree char *esc = NULL, *values = NULL, *hex = NULL;
      GdkRGBA color;
      PbColor c;

      if (!pb_run_item_get_shown (item) || (guint) epoch > ne)
        continue;
      r = &er[epoch - 1];
      pb_run_color (colour_widget, pb_run_item_get_color_index (item), &color);
      c = PB_COLOR_FROM (color);
      hex = pb_color_to_hex (&c);
      esc = g_markup_escape_text (pb_run_item_get_label (item), -1);
      if (o->kind == PB_CURVE_KIND_LOSS && item_has_aux (item))
        values = g_strdup_printf (_("loss %.4f (main %.4f, aux %.4f)"),
                                  r->train_loss, r->train_main_loss, r->train_aux_loss);
      else if (o->kind == PB_CURVE_KIND_LOSS)
        values = g_strdup_printf (_("loss %.4f"), r->train_loss);
      else if (item_has_aux (item))
        values = g_strdup_printf (_("test %.1f\u00a0%%, train %.1f\u00a0%%, digit %.1f\u00a0%%"),
                                  100 * r->test_error, 100 * r->train_error,
                                  100 * r->digit_error);
      else
        values = g_strdup_printf (_("test %.1f\u00a0%%, train %.1f\u00a0%%"),
                                  100 * r->test_error, 100 * r->train_error);
      g_string_append_printf (text, "\n<span foreground=\"%s\">●</span> %s: %s", hex, esc, values);
      rows++;
    }
  return rows > 0 ? g_strdup (text->str) : NULL;
}

/* One shown run: its series as drawn, its colour and learning-rate changes; values gets every
 * point that sets the y range, seen the largest x. */
static void
add_run (PbCurveData *data,
         PbRunItem   *item,
         GtkWidget   *colour_widget,
         GArray      *values,
         double      *seen)
{
  const PbCurveOptions *o = &data->options;
  GArray *series = g_array_new (FALSE, TRUE, sizeof (PbCurveSeries));
  guint nc;
  const PbLrChange *ch = pb_run_item_get_lr_changes (item, &nc);
  PbCurveMarker *markers = own (data, g_new0 (PbCurveMarker, MAX (nc, 1)));
  PbCurveRun run = { 0 };
  GdkRGBA color;
  Points p;

  points_init (&p, item);
  for (guint s = 0; s < n_series (o->kind); s++)
    {
      const SeriesStyle *style = series_style (o->kind, s);
      gboolean smoothed = series_smoothed (o, s);
      PbCurveSeries cs = { 0 };

      if (!series_applies (o->kind, s, item))
        continue;
      fill_points (o, item, s, &p);
      for (guint k = 0; k < p.n; k++)
        if (isfinite (p.x[k]))
          *seen = MAX (*seen, p.x[k]);
      /* Ignoring outliers, the range follows the bold (smoothed or raw) curves only, as in
       * TensorBoard; otherwise it holds every point drawn, the faint raw ones included. */
      if (!o->ignore_outliers || !smoothed)
        g_array_append_vals (values, p.raw, p.n);
      if (smoothed)
        g_array_append_vals (values, p.smoothed, p.n);
      cs.n = p.n;
      cs.x = own_copy (data, p.x, p.n * sizeof (double));
      cs.raw = own_copy (data, p.raw, p.n * sizeof (double));
      cs.smoothed = smoothed ? own_copy (data, p.smoothed, p.n * sizeof (double)) : NULL;
      cs.line = (PbCurveLine) { _(style->name), style->width, style->dash };
      cs.light = is_batch_series (o->kind, s);
      g_array_append_val (series, cs);
    }
  points_clear (&p);

  for (guint c = 0; c < nc; c++)
    {
      markers[c].x = pb_curve_step_to_x (o->x_axis, item, ch[c].step);
      /* Translators: a learning-rate change on the curves, e.g. "lr 0.0005" */
      markers[c].text = own (data, g_strdup_printf (_("lr %g"), (double) ch[c].lr));
    }

  pb_run_color (colour_widget, pb_run_item_get_color_index (item), &color);
  run.label = own (data, g_strdup (pb_run_item_get_label (item)));
  run.color = PB_COLOR_FROM (color);
  run.n_series = series->len;
  run.series = own (data, g_array_free (series, FALSE));
  run.markers = markers;
  run.n_markers = nc;
  g_array_append_val (data->runs, run);
}

PbCurveData *
pb_curve_data_new (GListModel           *runs,
                   const PbCurveOptions *options,
                   GtkWidget            *colour_widget)
{
  PbCurveData *data = g_new0 (PbCurveData, 1);
  const PbCurveOptions *o = &data->options;
  guint n = runs ? g_list_model_get_n_items (runs) : 0;
  g_autoptr(GArray) values = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(PbRunItem) ref = NULL;
  double lo = INFINITY, hi = -INFINITY, xhi = 0;
  gboolean any_aux = FALSE, has_data;
  PbCurveChart *chart = &data->chart;
  int epoch;

  data->options = *options;
  data->runs = g_array_new (FALSE, TRUE, sizeof (PbCurveRun));
  data->legend = g_array_new (FALSE, TRUE, sizeof (PbCurveLine));
  data->owned = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(PbRunItem) item = g_list_model_get_item (runs, i);
      double seen = 0;

      if (!pb_run_item_get_shown (item))
        continue;
      data->max_epochs = MAX (data->max_epochs, pb_run_item_get_settings (item)->epochs);
      any_aux |= item_has_aux (item);
      add_run (data, item, colour_widget, values, &seen);
      xhi = MAX (xhi, x_extent (o, item, seen));
    }

  has_data = pb_robust_range ((double *) (gpointer) values->data, values->len,
                              o->ignore_outliers ? PB_SMOOTH_OUTLIER_QUANTILE : 0,
                              o->ignore_outliers ? 0.1 : 0, o->log_scale, &lo, &hi) > 0;
  if (!has_data)
    {
      lo = o->log_scale ? 0.1 : 0;
      hi = o->kind == PB_CURVE_KIND_LOSS ? 1 : 50;
    }
  /* Losses and errors are never negative: the linear axis starts at 0, as a baseline. */
  if (!o->log_scale)
    lo = 0;

  /* The line styles, named in the legend in the text colour; each run's colour is in the run
   * list and the readout. */
  for (guint s = 0; s < n_series (o->kind); s++)
    {
      const SeriesStyle *style = series_style (o->kind, s);
      PbCurveLine line = { _(style->name), style->width, style->dash };

      if (!series_needs_aux (o->kind, s) || any_aux)
        g_array_append_val (data->legend, line);
    }

  ref = reference_item (runs, o);
  data->epoch_x = g_new (double, data->max_epochs + 1);
  for (int e = 0; e <= data->max_epochs; e++)
    data->epoch_x[e] = epoch_to_x (o, ref, e);

  chart->title = pb_curve_kind_title (o->kind);
  chart->y_label = y_label_for (o->kind);
  chart->x_axis = o->x_axis;
  chart->log_y = o->log_scale;
  chart->smoothing = o->smoothing;
  chart->xmax = xhi > 0 ? xhi : o->x_axis == PB_CURVE_X_WALL_TIME ? 60 : 10;
  chart->ymin = lo;
  chart->ymax = hi;
  chart->runs = (const PbCurveRun *) (gpointer) data->runs->data;
  chart->n_runs = data->runs->len;
  chart->legend = (const PbCurveLine *) (gpointer) data->legend->data;
  chart->n_legend = data->legend->len;
  if (chart->n_runs == 0 && o->kind == PB_CURVE_KIND_LOSS)
    chart->placeholder = n == 0 ? _("Press Start to train a run; its curves appear here")
                                : _("Every run is hidden");

  chart->hover_x = NAN;
  epoch = (int) lround (o->hover_epoch);
  if (o->hover_epoch >= 0 && epoch >= 1 && epoch <= data->max_epochs
      && isfinite (data->epoch_x[epoch]))
    {
      chart->hover_x = data->epoch_x[epoch];
      chart->hover_markup = own (data, hover_markup (runs, o, colour_widget, epoch));
    }
  return data;
}

void
pb_curve_data_free (PbCurveData *data)
{
  if (data == NULL)
    return;
  g_array_unref (data->runs);
  g_array_unref (data->legend);
  g_ptr_array_unref (data->owned);
  g_free (data->epoch_x);
  g_free (data);
}

const PbCurveChart *
pb_curve_data_get_chart (PbCurveData *data)
{
  return &data->chart;
}

int
pb_curve_data_get_max_epochs (PbCurveData *data)
{
  return data->max_epochs;
}

static void
append_csv_number (GString    *out,
                   const char *format,
                   double      v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  g_string_append_c (out, ',');
  if (isfinite (v))
    g_string_append (out, g_ascii_formatd (buf, sizeof buf, format, v));
}

static void
append_csv_text (GString    *out,
                 const char *text)
{
  if (strpbrk (text, ",\"\n\r") == NULL)
    {
      g_string_append (out, text);
      return;
    }
  g_string_append_c (out, '"');
  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '"')
        g_string_append_c (out, '"');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
}

void
pb_curve_append_csv (GListModel           *runs,
                     const PbCurveOptions *o,
                     GString              *out)
{
  guint n = runs ? g_list_model_get_n_items (runs) : 0;
  /* The plot shows errors in percent; files keep the fractions the core and metrics CSV use. */
  double scale = o->kind == PB_CURVE_KIND_ERROR ? 0.01 : 1;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(PbRunItem) item = g_list_model_get_item (runs, i);
      Points p;

      if (!pb_run_item_get_shown (item))
        continue;
      points_init (&p, item);
      for (guint s = 0; s < n_series (o->kind); s++)
        {
          if (!series_applies (o->kind, s, item))
            continue;
          fill_points (o, item, s, &p);
          for (guint k = 0; k < p.n; k++)
            {
              append_csv_text (out, pb_run_item_get_label (item));
              g_string_append_printf (out, ",%s,%d,%d", series_style (o->kind, s)->id,
                                      p.step[k], p.epoch[k]);
              append_csv_number (out, "%.3f", p.seconds[k]);
              append_csv_number (out, "%.7g", p.raw[k] * scale);
              append_csv_number (out, "%.7g", p.smoothed[k] * scale);
              g_string_append_c (out, '\n');
            }
        }
      points_clear (&p);
    }
}
