/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pb-curve-view"

#include "config.h"

#include <math.h>
#include <string.h>
#include <glib/gi18n.h>

#include "pb-curve-view.h"
#include "pb-debug.h"
#include "pb-run-item.h"
#include "pb-smooth.h"
#include "pb-style.h"

#define PAD 8.0
#define TICK_LEN 4.0

struct _PbCurveView
{
  GtkWidget parent_instance;

  PbCurveKind kind;
  GListModel *model;
  GPtrArray *watched;
  gboolean log_scale;
  double smoothing;
  PbCurveXAxis x_axis;
  gboolean ignore_outliers;
  double hover_epoch;
  guint n_draws;
};

G_DEFINE_TYPE (PbCurveView, pb_curve_view, GTK_TYPE_WIDGET)

G_DEFINE_ENUM_TYPE (PbCurveKind, pb_curve_kind,
                    G_DEFINE_ENUM_VALUE (PB_CURVE_KIND_LOSS, "loss"),
                    G_DEFINE_ENUM_VALUE (PB_CURVE_KIND_ERROR, "error"))

/* The nicks are the GSettings enum's (curve-x-axis). */
G_DEFINE_ENUM_TYPE (PbCurveXAxis, pb_curve_x_axis,
                    G_DEFINE_ENUM_VALUE (PB_CURVE_X_EPOCH, "epoch"),
                    G_DEFINE_ENUM_VALUE (PB_CURVE_X_STEP, "step"),
                    G_DEFINE_ENUM_VALUE (PB_CURVE_X_WALL_TIME, "wall-time"))

enum {
  PROP_0,
  PROP_KIND,
  PROP_MODEL,
  PROP_LOG_SCALE,
  PROP_SMOOTHING,
  PROP_X_AXIS,
  PROP_IGNORE_OUTLIERS,
  PROP_HOVER_EPOCH,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Series: what is drawn for each run. */
typedef enum
{
  DASH_SOLID,
  DASH_DASHED,
  DASH_DOTTED,
} Dash;

typedef struct
{
  const char *name;
  const char *id;       /* the series column of the CSV */
  double width;
  Dash dash;
} SeriesStyle;

static SeriesStyle
loss_styles[] = {
  { N_("per batch"), "batch_loss", 1.0, DASH_SOLID },
  { N_("per epoch"), "epoch_loss", 2.5, DASH_SOLID },
  { N_("main part"), "epoch_main_loss", 1.5, DASH_DASHED },
  { N_("aux part"), "epoch_aux_loss", 1.5, DASH_DOTTED },
};

static SeriesStyle
error_styles[] = {
  { N_("test"), "test_error", 2.5, DASH_SOLID },
  { N_("train"), "train_error", 1.5, DASH_DASHED },
  { N_("digit"), "digit_error", 1.5, DASH_DOTTED },
};

static void
set_dash (cairo_t *cr,
          Dash     dash,
          double   width)
{
  double dashes[2];

  switch (dash)
    {
    case DASH_DASHED:
      dashes[0] = 6, dashes[1] = 4;
      cairo_set_dash (cr, dashes, 2, 0);
      cairo_set_line_cap (cr, CAIRO_LINE_CAP_BUTT);
      break;
    case DASH_DOTTED:
      dashes[0] = 0, dashes[1] = width * 2.5;
      cairo_set_dash (cr, dashes, 2, 0);
      cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);
      break;
    case DASH_SOLID:
    default:
      cairo_set_dash (cr, NULL, 0, 0);
      cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);
      break;
    }
  cairo_set_line_width (cr, width);
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

static gboolean
series_applies (PbCurveKind  kind,
                guint        series,
                PbRunItem   *item)
{
  if (kind == PB_CURVE_KIND_LOSS && series >= 2)
    return item_has_aux (item);
  /* Without the auxiliary loss the digit logits are never taught digits; their ~90 % error
   * would only squash the axis. */
  if (kind == PB_CURVE_KIND_ERROR && series == 2)
    return item_has_aux (item);
  return TRUE;
}

/* One series of one run as drawn: the x on the current axis, the raw values in the plotted unit
 * (errors in percent) and their smoothing, with what the CSV needs. */
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
points_init (Points *p,
             guint   capacity)
{
  capacity = MAX (capacity, 1);
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

static guint
points_capacity (PbRunItem *item)
{
  guint ne, nb;

  pb_run_item_get_epochs (item, &ne);
  pb_run_item_get_batches (item, &nb);
  return MAX (ne, nb);
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

static gboolean
is_batch_series (PbCurveKind kind,
                 guint       series)
{
  return kind == PB_CURVE_KIND_LOSS && series == 0;
}

/* p must hold points_capacity (item) points. */
static void
fill_points (PbCurveView *self,
             PbRunItem   *item,
             guint        series,
             Points      *p)
{
  guint ne, nb, bpe = pb_run_item_get_batches_per_epoch (item);
  const PbEpochRecord *er = pb_run_item_get_epochs (item, &ne);
  const PbBatchRecord *br = pb_run_item_get_batches (item, &nb);

  p->n = 0;
  if (is_batch_series (self->kind, series))
    {
      for (guint b = 0; b < nb; b++)
        {
          p->step[b] = br[b].step;
          p->epoch[b] = br[b].epoch;
          p->seconds[b] = br[b].seconds;
          p->raw[b] = br[b].loss;
          p->x[b] = x_for (self->x_axis, bpe > 0 ? br[b].step / (double) bpe : NAN, br[b].step,
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
          p->raw[e] = epoch_value (self->kind, &er[e], series);
          p->x[e] = x_for (self->x_axis, er[e].epoch, p->step[e], er[e].seconds);
        }
      p->n = ne;
    }
  pb_smooth_ema (p->raw, p->n, self->smoothing, p->smoothed);
}

static gboolean
smoothing_on (PbCurveView *self)
{
  return self->smoothing > 0;
}

/* The x range's end in data units: the planned epochs (or steps) so that a run fills the axis as
 * it trains; the latest time seen on the wall-time axis, which has no plan. */
static double
x_extent (PbCurveView *self,
          PbRunItem   *item,
          double       seen)
{
  int epochs = pb_run_item_get_settings (item)->epochs;
  guint bpe = pb_run_item_get_batches_per_epoch (item);

  switch (self->x_axis)
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

static void
data_ranges (PbCurveView *self,
             double      *xmax,
             double      *ymin,
             double      *ymax,
             int         *max_epochs,
             gboolean    *has_data)
{
  guint n = self->model ? g_list_model_get_n_items (self->model) : 0;
  g_autoptr(GArray) values = g_array_new (FALSE, FALSE, sizeof (double));
  double lo = INFINITY, hi = -INFINITY, xhi = 0;
  int epochs = 0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(PbRunItem) item = g_list_model_get_item (self->model, i);
      double seen = 0;
      Points p;

      if (!pb_run_item_get_shown (item))
        continue;
      epochs = MAX (epochs, pb_run_item_get_settings (item)->epochs);
      points_init (&p, points_capacity (item));
      for (guint s = 0; s < n_series (self->kind); s++)
        {
          if (!series_applies (self->kind, s, item))
            continue;
          fill_points (self, item, s, &p);
          for (guint k = 0; k < p.n; k++)
            if (isfinite (p.x[k]))
              seen = MAX (seen, p.x[k]);
          /* Ignoring outliers, the range follows the bold (smoothed) curves only, as in
           * TensorBoard; otherwise it holds every point drawn, the faint raw ones included. */
          if (!self->ignore_outliers || !smoothing_on (self))
            g_array_append_vals (values, p.raw, p.n);
          if (smoothing_on (self))
            g_array_append_vals (values, p.smoothed, p.n);
        }
      points_clear (&p);
      xhi = MAX (xhi, x_extent (self, item, seen));
    }

  *has_data = pb_robust_range ((double *) (gpointer) values->data, values->len,
                               self->ignore_outliers ? PB_SMOOTH_OUTLIER_QUANTILE : 0,
                               self->ignore_outliers ? 0.1 : 0, self->log_scale, &lo, &hi) > 0;
  *max_epochs = epochs;
  *xmax = xhi > 0 ? xhi : self->x_axis == PB_CURVE_X_WALL_TIME ? 60 : 10;
  if (!*has_data)
    {
      lo = self->log_scale ? 0.1 : 0;
      hi = self->kind == PB_CURVE_KIND_LOSS ? 1 : 50;
    }
  /* Losses and errors are never negative: the linear axis starts at 0, as a baseline. */
  if (!self->log_scale)
    lo = 0;
  *ymin = lo;
  *ymax = hi;
}

static PangoLayout *
make_layout (PbCurveView *self,
             const char  *text,
             gboolean     bold,
             double       scale)
{
  PangoLayout *layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), text);
  PangoAttrList *attrs = pango_attr_list_new ();

  if (bold)
    pango_attr_list_insert (attrs, pango_attr_weight_new (PANGO_WEIGHT_BOLD));
  if (scale != 1)
    pango_attr_list_insert (attrs, pango_attr_scale_new (scale));
  pango_layout_set_attributes (layout, attrs);
  pango_attr_list_unref (attrs);
  return layout;
}

static void
layout_size (PangoLayout *layout,
             double      *w,
             double      *h)
{
  int iw, ih;

  pango_layout_get_pixel_size (layout, &iw, &ih);
  *w = iw;
  *h = ih;
}

static char *
format_tick (double   v,
             double   step,
             gboolean log_y)
{
  int decimals;

  if (log_y)
    {
      if (v >= 1)
        return g_strdup_printf ("%.0f", v);
      decimals = (int) ceil (-log10 (v) - 1e-9);
      return g_strdup_printf ("%.*f", decimals, v);
    }
  decimals = step >= 1 ? 0 : (int) ceil (-log10 (step) - 1e-9);
  return g_strdup_printf ("%.*f", CLAMP (decimals, 0, 6), v);
}

static const char *
title_for (PbCurveKind kind)
{
  return kind == PB_CURVE_KIND_LOSS ? _("Loss") : _("Error");
}

static const char *
y_label_for (PbCurveKind kind)
{
  return kind == PB_CURVE_KIND_LOSS ? _("Cross-entropy (nats)") : _("Error (%)");
}

typedef struct
{
  PbPlotMapping map;     /* x in data units: epochs, steps or seconds */
  PbTicks xt, yt;        /* xt in x_unit: minutes or hours of wall time */
  double x_unit;
  int max_epochs;
  double legend_h;
  double y_label_w;
} Layout;

/* Seconds per tick unit, so a long run reads "12 min" rather than "720 s". */
static double
time_unit_for (double seconds)
{
  if (seconds <= 180)
    return 1;
  if (seconds <= 3 * 3600)
    return 60;
  return 3600;
}

static const char *
x_label_for (PbCurveXAxis axis,
             double       unit)
{
  switch (axis)
    {
    case PB_CURVE_X_STEP:
      return _("Step (batches)");
    case PB_CURVE_X_WALL_TIME:
      return unit >= 3600 ? _("Wall time (h)") : unit >= 60 ? _("Wall time (min)")
                                                            : _("Wall time (s)");
    case PB_CURVE_X_EPOCH:
    default:
      return _("Epoch");
    }
}

static double
x_to_px (const Layout *lo,
         double        x)
{
  const PbPlotMapping *m = &lo->map;

  return m->x + (x - m->xmin) / (m->xmax - m->xmin) * m->width;
}

static void
compute_layout (PbCurveView *self,
                int          width,
                int          height,
                Layout      *lo)
{
  double xmax, ymin, ymax, tw, th, tick_w = 0;
  gboolean has_data, integer_x;
  g_autoptr(PangoLayout) probe = make_layout (self, "0.000", FALSE, 0.85);
  double line_h;
  int max_yticks;

  /* A fixed minimum for the tick labels keeps the loss and error panels' epoch axes aligned. */
  layout_size (probe, &tick_w, &line_h);
  data_ranges (self, &xmax, &ymin, &ymax, &lo->max_epochs, &has_data);

  /* Title and legend share the top row(s); legend wraps, estimated by width. */
  lo->legend_h = line_h + 6;

  max_yticks = CLAMP ((int) ((height - 80) / (line_h * 2.2)), 2, 8);
  if (self->log_scale)
    pb_log_ticks (ymin, ymax, &lo->yt);
  else
    pb_nice_ticks (ymin, ymax, max_yticks, &lo->yt);

  for (int i = 0; i < lo->yt.n; i++)
    {
      double v = self->log_scale ? lo->yt.first * pow (10, i) : lo->yt.first + i * lo->yt.step;
      g_autofree char *s = format_tick (v, lo->yt.step, self->log_scale);
      pango_layout_set_text (probe, s, -1);
      layout_size (probe, &tw, &th);
      tick_w = MAX (tick_w, tw);
    }
  lo->y_label_w = line_h;

  lo->map.x = PAD + lo->y_label_w + 4 + tick_w + TICK_LEN + 2;
  lo->map.y = PAD + lo->legend_h + 6;
  lo->map.width = MAX (10, width - lo->map.x - PAD - 8);
  lo->map.height = MAX (10, height - lo->map.y - PAD - 2 * line_h - TICK_LEN - 6);

  lo->x_unit = self->x_axis == PB_CURVE_X_WALL_TIME ? time_unit_for (xmax) : 1;
  integer_x = self->x_axis != PB_CURVE_X_WALL_TIME;
  xmax /= lo->x_unit;
  /* Step numbers are wide: fewer of them fit. */
  pb_nice_ticks (0, xmax, CLAMP ((int) (lo->map.width / (self->x_axis == PB_CURVE_X_STEP ? 80 : 60)),
                                 2, 12), &lo->xt);
  if (integer_x && lo->xt.step < 1)
    pb_nice_ticks (0, xmax, (int) xmax + 1, &lo->xt);

  lo->map.xmin = 0;
  lo->map.xmax = MAX (lo->xt.last, integer_x ? 1 : 1e-3) * lo->x_unit;
  lo->map.ymin = lo->yt.first;
  lo->map.ymax = lo->yt.last;
  lo->map.log_y = self->log_scale;
}

void
pb_curve_view_get_mapping (PbCurveView   *self,
                           int            width,
                           int            height,
                           PbPlotMapping *out)
{
  Layout lo;

  g_return_if_fail (PB_IS_CURVE_VIEW (self));
  compute_layout (self, width, height, &lo);
  *out = lo.map;
}

static void
get_fg (PbCurveView *self,
        GdkRGBA     *fg)
{
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (GTK_WIDGET (self)), fg);
  G_GNUC_END_IGNORE_DEPRECATIONS
}

static void
set_rgba (cairo_t       *cr,
          const GdkRGBA *c,
          double         alpha)
{
  cairo_set_source_rgba (cr, c->red, c->green, c->blue, c->alpha * alpha);
}

static void
draw_text (cairo_t     *cr,
           PangoLayout *layout,
           double       x,
           double       y)
{
  cairo_move_to (cr, x, y);
  pango_cairo_show_layout (cr, layout);
}

static void
draw_axes (PbCurveView   *self,
           cairo_t       *cr,
           const Layout  *lo,
           const GdkRGBA *fg)
{
  const PbPlotMapping *m = &lo->map;
  g_autoptr(PangoLayout) layout = make_layout (self, "", FALSE, 0.85);
  double tw, th, px, py;

  cairo_save (cr);
  cairo_set_line_width (cr, 1);

  for (int i = 0; i < lo->yt.n; i++)
    {
      double v = self->log_scale ? lo->yt.first * pow (10, i) : lo->yt.first + i * lo->yt.step;
      g_autofree char *s = format_tick (v, lo->yt.step, self->log_scale);

      pb_plot_mapping_to_pixel (m, m->xmin, v, &px, &py);
      py = floor (py) + .5;
      set_rgba (cr, fg, i == 0 ? 0.45 : 0.12);
      cairo_move_to (cr, floor (m->x) - TICK_LEN, py);
      cairo_line_to (cr, m->x + m->width, py);
      cairo_stroke (cr);

      pango_layout_set_text (layout, s, -1);
      layout_size (layout, &tw, &th);
      set_rgba (cr, fg, 0.75);
      draw_text (cr, layout, m->x - TICK_LEN - 3 - tw, py - th / 2);
    }

  for (int i = 0; i < lo->xt.n; i++)
    {
      double v = lo->xt.first + i * lo->xt.step;
      g_autofree char *s = format_tick (v, lo->xt.step, FALSE);

      if (v * lo->x_unit > m->xmax * (1 + 1e-9))
        break;
      px = floor (x_to_px (lo, v * lo->x_unit)) + .5;
      set_rgba (cr, fg, i == 0 ? 0.45 : 0.12);
      cairo_move_to (cr, px, m->y);
      cairo_line_to (cr, px, m->y + m->height + TICK_LEN);
      cairo_stroke (cr);

      pango_layout_set_text (layout, s, -1);
      layout_size (layout, &tw, &th);
      set_rgba (cr, fg, 0.75);
      draw_text (cr, layout, px - tw / 2, m->y + m->height + TICK_LEN + 2);
    }

  /* Axis labels, with their units. */
  pango_layout_set_text (layout, x_label_for (self->x_axis, lo->x_unit), -1);
  layout_size (layout, &tw, &th);
  set_rgba (cr, fg, 0.75);
  draw_text (cr, layout, m->x + m->width / 2 - tw / 2, m->y + m->height + TICK_LEN + 2 + th);

  pango_layout_set_text (layout, y_label_for (self->kind), -1);
  layout_size (layout, &tw, &th);
  cairo_save (cr);
  cairo_translate (cr, PAD, m->y + m->height / 2 + tw / 2);
  cairo_rotate (cr, -G_PI / 2);
  draw_text (cr, layout, 0, 0);
  cairo_restore (cr);

  cairo_restore (cr);
}

static double
draw_legend_entry (PbCurveView   *self,
                   cairo_t       *cr,
                   PangoLayout   *layout,
                   double         x,
                   double         y,
                   double         line_h,
                   const GdkRGBA *color,
                   const SeriesStyle *style,
                   const char    *text)
{
  double tw, th;
  double cy = y + line_h / 2;

  if (style != NULL)
    {
      set_rgba (cr, color, 0.9);
      set_dash (cr, style->dash, style->width);
      cairo_move_to (cr, x + 1, floor (cy) + .5);
      cairo_line_to (cr, x + 21, floor (cy) + .5);
      cairo_stroke (cr);
    }
  else
    {
      set_rgba (cr, color, 1);
      cairo_rectangle (cr, x + 5, cy - 5, 10, 10);
      cairo_fill (cr);
    }
  pango_layout_set_text (layout, text, -1);
  layout_size (layout, &tw, &th);
  return x + 26 + tw + 14;
}

static void
draw_title_and_legend (PbCurveView   *self,
                       cairo_t       *cr,
                       const Layout  *lo,
                       int            width,
                       const GdkRGBA *fg)
{
  g_autoptr(PangoLayout) title = make_layout (self, title_for (self->kind), TRUE, 1);
  g_autoptr(PangoLayout) layout = make_layout (self, "", FALSE, 0.85);
  double tw, th, x, y = PAD, line_h, right = width - PAD;
  guint n = self->model ? g_list_model_get_n_items (self->model) : 0;
  gboolean any_aux = FALSE, any_shown = FALSE;

  layout_size (title, &tw, &th);
  set_rgba (cr, fg, 1);
  draw_text (cr, title, lo->map.x, y);
  x = lo->map.x + tw + 20;
  line_h = th;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(PbRunItem) item = g_list_model_get_item (self->model, i);
      if (pb_run_item_get_shown (item))
        {
          any_shown = TRUE;
          any_aux |= item_has_aux (item);
        }
    }
  if (!any_shown)
    return;

  /* Say so when the bold lines are smoothed, so that an exported figure says it too. */
  if (smoothing_on (self))
    {
      g_autofree char *note = g_strdup_printf (_("smoothed %.2f"), self->smoothing);

      pango_layout_set_text (layout, note, -1);
      layout_size (layout, &tw, &th);
      right = lo->map.x + lo->map.width - tw;
      set_rgba (cr, fg, 0.6);
      draw_text (cr, layout, right, y + (line_h - th) / 2);
      right -= 12;
    }

  /* The line styles, in the text colour; each run's colour is in the run list and the readout. */
  cairo_save (cr);
  for (guint s = 0; s < n_series (self->kind); s++)
    {
      const SeriesStyle *style = series_style (self->kind, s);
      double next, lw;

      if (((self->kind == PB_CURVE_KIND_LOSS && s >= 2) ||
           (self->kind == PB_CURVE_KIND_ERROR && s == 2)) && !any_aux)
        continue;
      pango_layout_set_text (layout, _(style->name), -1);
      layout_size (layout, &lw, &th);
      if (x + 26 + lw > right)
        break;
      next = draw_legend_entry (self, cr, layout, x, y, line_h, fg, style, _(style->name));
      set_rgba (cr, fg, 0.8);
      draw_text (cr, layout, x + 26, y + (line_h - th) / 2);
      x = next;
    }

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(PbRunItem) item = g_list_model_get_item (self->model, i);
      GdkRGBA color;
      double lw, next;

      if (!pb_run_item_get_shown (item))
        continue;
      pango_layout_set_text (layout, pb_run_item_get_label (item), -1);
      layout_size (layout, &lw, &th);
      if (x + 26 + lw > right)
        break;
      pb_run_color (GTK_WIDGET (self), pb_run_item_get_color_index (item), &color);
      next = draw_legend_entry (self, cr, layout, x, y, line_h, &color, NULL,
                                pb_run_item_get_label (item));
      set_rgba (cr, fg, 0.8);
      draw_text (cr, layout, x + 26, y + (line_h - th) / 2);
      x = next;
    }
  cairo_restore (cr);
}

static void
stroke_series (cairo_t *cr,
               const PbPlotMapping *m,
               const double *xs,
               const double *ys,
               guint n)
{
  gboolean pen_down = FALSE;

  for (guint i = 0; i < n; i++)
    {
      double px, py;

      if (!isfinite (ys[i]) || !isfinite (xs[i]) || (m->log_y && ys[i] <= 0))
        {
          pen_down = FALSE;
          continue;
        }
      pb_plot_mapping_to_pixel (m, xs[i], ys[i], &px, &py);
      if (pen_down)
        cairo_line_to (cr, px, py);
      else
        cairo_move_to (cr, px, py);
      pen_down = TRUE;
    }
  cairo_stroke (cr);
}

static void
draw_run (PbCurveView  *self,
          cairo_t      *cr,
          const Layout *lo,
          PbRunItem    *item)
{
  const PbPlotMapping *m = &lo->map;
  gboolean smoothed = smoothing_on (self);
  GdkRGBA color;
  Points p;

  pb_run_color (GTK_WIDGET (self), pb_run_item_get_color_index (item), &color);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  points_init (&p, points_capacity (item));

  /* Raw first, faint, so that every smoothed curve lies above every raw one. */
  if (smoothed)
    for (guint s = 0; s < n_series (self->kind); s++)
      {
        if (!series_applies (self->kind, s, item))
          continue;
        fill_points (self, item, s, &p);
        set_rgba (cr, &color, is_batch_series (self->kind, s) ? 0.2 : 0.28);
        set_dash (cr, DASH_SOLID, 1);
        stroke_series (cr, m, p.x, p.raw, p.n);
      }

  for (guint s = 0; s < n_series (self->kind); s++)
    {
      const SeriesStyle *style = series_style (self->kind, s);
      const double *ys;

      if (!series_applies (self->kind, s, item))
        continue;
      fill_points (self, item, s, &p);
      ys = smoothed ? p.smoothed : p.raw;
      if (is_batch_series (self->kind, s))
        {
          /* Unsmoothed, the per-batch noise stays light so the epoch means read over it. */
          set_rgba (cr, &color, smoothed ? 0.8 : 0.45);
          set_dash (cr, style->dash, smoothed ? 1.5 : style->width);
          stroke_series (cr, m, p.x, ys, p.n);
          continue;
        }
      set_rgba (cr, &color, 1);
      set_dash (cr, style->dash, style->width);
      stroke_series (cr, m, p.x, ys, p.n);

      /* Dots on the bold series so that a single epoch is visible. */
      if (style->width > 2)
        for (guint e = 0; e < p.n; e++)
          {
            double px, py;
            if (!isfinite (ys[e]) || !isfinite (p.x[e]) || (m->log_y && ys[e] <= 0))
              continue;
            pb_plot_mapping_to_pixel (m, p.x[e], ys[e], &px, &py);
            cairo_arc (cr, px, py, 3, 0, 2 * G_PI);
            cairo_fill (cr);
          }
    }
  cairo_set_dash (cr, NULL, 0, 0);
  points_clear (&p);
}

/* The shown run that places epochs on the step and wall-time axes, where runs differ: the first
 * one with data. NULL on the epoch axis, where every run agrees, or when none has data. */
static PbRunItem *
reference_item (PbCurveView *self)
{
  guint n = self->model ? g_list_model_get_n_items (self->model) : 0;

  if (self->x_axis == PB_CURVE_X_EPOCH)
    return NULL;
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(PbRunItem) item = g_list_model_get_item (self->model, i);
      guint ne;

      pb_run_item_get_epochs (item, &ne);
      if (!pb_run_item_get_shown (item))
        continue;
      if (self->x_axis == PB_CURVE_X_STEP ? pb_run_item_get_batches_per_epoch (item) > 0
                                          : ne > 0)
        return g_steal_pointer (&item);
    }
  return NULL;
}

/* Where an epoch ends on the x axis; NaN when that is not known (yet). */
static double
epoch_to_x (PbCurveView *self,
            PbRunItem   *ref,
            int          epoch)
{
  guint ne;
  const PbEpochRecord *er;

  if (self->x_axis == PB_CURVE_X_EPOCH)
    return epoch;
  if (ref == NULL)
    return NAN;
  if (self->x_axis == PB_CURVE_X_STEP)
    return (double) epoch * pb_run_item_get_batches_per_epoch (ref);
  er = pb_run_item_get_epochs (ref, &ne);
  return epoch >= 1 && (guint) epoch <= ne ? er[epoch - 1].seconds : NAN;
}

/* The epoch whose end is nearest to x, or -1. */
static double
x_to_epoch (PbCurveView *self,
            int          max_epochs,
            double       x)
{
  g_autoptr(PbRunItem) ref = reference_item (self);
  double best = -1, best_d = INFINITY;

  if (self->x_axis == PB_CURVE_X_EPOCH)
    return MAX (1, round (x));
  for (int e = 1; e <= max_epochs; e++)
    {
      double d = fabs (epoch_to_x (self, ref, e) - x);

      if (d < best_d)
        best = e, best_d = d;
    }
  return best;
}

static double
smoothed_headline (PbCurveView *self,
                   PbRunItem   *item,
                   int          epoch)
{
  Points p;
  double v = NAN;

  points_init (&p, points_capacity (item));
  fill_points (self, item, self->kind == PB_CURVE_KIND_LOSS ? 1 : 0, &p);
  if (epoch >= 1 && (guint) epoch <= p.n)
    v = p.smoothed[epoch - 1];
  points_clear (&p);
  return v;
}

static void
draw_hover (PbCurveView   *self,
            cairo_t       *cr,
            const Layout  *lo,
            int            width,
            const GdkRGBA *fg)
{
  const PbPlotMapping *m = &lo->map;
  guint n = self->model ? g_list_model_get_n_items (self->model) : 0;
  int epoch = (int) lround (self->hover_epoch);
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(PangoLayout) layout = NULL;
  GdkRGBA bg;
  double px, tw, th, bx, by;
  guint rows = 0;
  g_autoptr(PbRunItem) ref = reference_item (self);
  double x, smoothed;

  if (self->hover_epoch < 0 || epoch < 1 || epoch > lo->max_epochs)
    return;
  x = epoch_to_x (self, ref, epoch);
  if (!isfinite (x))
    return;

  px = floor (x_to_px (lo, x)) + .5;
  cairo_save (cr);
  set_rgba (cr, fg, 0.5);
  cairo_set_line_width (cr, 1);
  set_dash (cr, DASH_DASHED, 1);
  cairo_move_to (cr, px, m->y);
  cairo_line_to (cr, px, m->y + m->height);
  cairo_stroke (cr);
  cairo_set_dash (cr, NULL, 0, 0);

  {
    g_autofree char *head = g_strdup_printf (_("Epoch %d"), epoch);
    g_autofree char *esc = g_markup_escape_text (head, -1);
    g_string_append_printf (text, "<b>%s</b>", esc);
  }

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(PbRunItem) item = g_list_model_get_item (self->model, i);
      guint ne;
      const PbEpochRecord *er = pb_run_item_get_epochs (item, &ne);
      const PbEpochRecord *r;
      g_autofree char *esc = NULL;
      g_autofree char *values = NULL;
      GdkRGBA color;
      g_autofree char *hex = NULL;

      if (!pb_run_item_get_shown (item) || (guint) epoch > ne)
        continue;
      r = &er[epoch - 1];
      pb_run_color (GTK_WIDGET (self), pb_run_item_get_color_index (item), &color);
      hex = g_strdup_printf ("#%02x%02x%02x", (int) (color.red * 255), (int) (color.green * 255),
                             (int) (color.blue * 255));
      esc = g_markup_escape_text (pb_run_item_get_label (item), -1);
      if (self->kind == PB_CURVE_KIND_LOSS && item_has_aux (item))
        values = g_strdup_printf (_("loss %.4f (main %.4f, aux %.4f)"),
                                  r->train_loss, r->train_main_loss, r->train_aux_loss);
      else if (self->kind == PB_CURVE_KIND_LOSS)
        values = g_strdup_printf (_("loss %.4f"), r->train_loss);
      else if (item_has_aux (item))
        values = g_strdup_printf (_("test %.1f\u00a0%%, train %.1f\u00a0%%, digit %.1f\u00a0%%"),
                                  100 * r->test_error, 100 * r->train_error,
                                  100 * r->digit_error);
      else
        values = g_strdup_printf (_("test %.1f\u00a0%%, train %.1f\u00a0%%"),
                                  100 * r->test_error, 100 * r->train_error);
      smoothed = smoothing_on (self) ? smoothed_headline (self, item, epoch) : NAN;
      if (isfinite (smoothed))
        {
          double v = smoothed;
          char *with = self->kind == PB_CURVE_KIND_LOSS
            /* Translators: the readout's values, then the smoothed loss at that epoch */
            ? g_strdup_printf (_("%s; smoothed %.4f"), values, v)
            /* Translators: the readout's values, then the smoothed test error */
            : g_strdup_printf (_("%s; smoothed test %.1f\u00a0%%"), values, v);
          g_free (values);
          values = with;
        }
      g_string_append_printf (text, "\n<span foreground=\"%s\">●</span> %s: %s", hex, esc, values);
      rows++;
    }
  if (rows == 0)
    {
      cairo_restore (cr);
      return;
    }

  layout = make_layout (self, "", FALSE, 0.85);
  pango_layout_set_markup (layout, text->str, -1);
  layout_size (layout, &tw, &th);
  /* In the plot's top corner away from the cross-hair, so the readout never hides it. */
  if (px < m->x + m->width / 2)
    bx = m->x + m->width - tw - 12 - 6;
  else
    bx = m->x + 6;
  bx = MAX (bx, PAD);
  by = m->y + 6;

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  if (!gtk_style_context_lookup_color (gtk_widget_get_style_context (GTK_WIDGET (self)),
                                       "popover_bg_color", &bg))
    bg = (GdkRGBA) { 1 - fg->red, 1 - fg->green, 1 - fg->blue, 1 };
  G_GNUC_END_IGNORE_DEPRECATIONS
  bg.alpha *= 0.95;
  cairo_set_source_rgba (cr, bg.red, bg.green, bg.blue, bg.alpha);
  cairo_rectangle (cr, bx, by, tw + 12, th + 8);
  cairo_fill_preserve (cr);
  set_rgba (cr, fg, 0.25);
  cairo_set_line_width (cr, 1);
  cairo_stroke (cr);
  set_rgba (cr, fg, 1);
  draw_text (cr, layout, bx + 6, by + 4);
  cairo_restore (cr);
}

/* A learning-rate change: a dotted line in the run's colour where it took effect, with the new
 * rate at its top. Lines first, then the labels on a backing, so that no line crosses a label. */
static void
draw_lr_markers (PbCurveView  *self,
                 cairo_t      *cr,
                 const Layout *lo)
{
  const PbPlotMapping *m = &lo->map;
  guint n = self->model ? g_list_model_get_n_items (self->model) : 0;
  g_autoptr(PangoLayout) layout = make_layout (self, "", FALSE, 0.75);
  const double dots[2] = { 2, 3 };
  double row_end[4] = { -G_MAXDOUBLE, -G_MAXDOUBLE, -G_MAXDOUBLE, -G_MAXDOUBLE };
  GdkRGBA bg;

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  if (!gtk_style_context_lookup_color (gtk_widget_get_style_context (GTK_WIDGET (self)),
                                       "view_bg_color", &bg))
    bg = (GdkRGBA) { 1, 1, 1, 1 };
  G_GNUC_END_IGNORE_DEPRECATIONS

  cairo_save (cr);
  for (int pass = 0; pass < 2; pass++)
    for (guint i = 0; i < n; i++)
      {
        g_autoptr(PbRunItem) item = g_list_model_get_item (self->model, i);
        guint nc, bpe = pb_run_item_get_batches_per_epoch (item);
        const PbLrChange *ch = pb_run_item_get_lr_changes (item, &nc);
        GdkRGBA color;

        if (!pb_run_item_get_shown (item) || bpe == 0)
          continue;
        pb_run_color (GTK_WIDGET (self), pb_run_item_get_color_index (item), &color);
        for (guint c = 0; c < nc; c++)
          {
            /* Translators: a learning-rate change on the curves, e.g. "lr 0.0005" */
            g_autofree char *text = g_strdup_printf (_("lr %g"), (double) ch[c].lr);
            double px, py, tw, th, tx, ty;
            guint row;

            pb_plot_mapping_to_pixel (m, ch[c].step / (double) bpe, m->ymin, &px, &py);
            px = floor (px) + .5;
            if (pass == 0)
              {
                set_rgba (cr, &color, 0.9);
                cairo_set_line_width (cr, 1.5);
                cairo_set_dash (cr, dots, 2, 0);
                cairo_move_to (cr, px, m->y);
                cairo_line_to (cr, px, m->y + m->height);
                cairo_stroke (cr);
                cairo_set_dash (cr, NULL, 0, 0);
                cairo_move_to (cr, px - 4, m->y);
                cairo_line_to (cr, px + 4, m->y);
                cairo_line_to (cr, px, m->y + 5);
                cairo_close_path (cr);
                cairo_fill (cr);
                continue;
              }

            pango_layout_set_text (layout, text, -1);
            layout_size (layout, &tw, &th);
            tx = px + 4 + tw > m->x + m->width ? px - 4 - tw : px + 4;
            /* Changes close together put their labels on the next free line. */
            for (row = 0; row < G_N_ELEMENTS (row_end) - 1 && tx < row_end[row] + 4; row++)
              ;
            row_end[row] = MAX (row_end[row], tx + tw);
            ty = m->y + 6 + row * (th + 1);
            cairo_set_source_rgba (cr, bg.red, bg.green, bg.blue, 0.85);
            cairo_rectangle (cr, tx - 2, ty, tw + 4, th);
            cairo_fill (cr);
            set_rgba (cr, &color, 1);
            draw_text (cr, layout, tx, ty);
          }
      }
  cairo_restore (cr);
}

void
pb_curve_view_draw (PbCurveView *self,
                    cairo_t     *cr,
                    int          width,
                    int          height)
{
  Layout lo;
  GdkRGBA fg;
  guint n;
  gboolean any = FALSE;

  g_return_if_fail (PB_IS_CURVE_VIEW (self));

  compute_layout (self, width, height, &lo);
  get_fg (self, &fg);

  draw_axes (self, cr, &lo, &fg);
  draw_title_and_legend (self, cr, &lo, width, &fg);

  cairo_save (cr);
  cairo_rectangle (cr, lo.map.x - 4, lo.map.y - 4, lo.map.width + 8, lo.map.height + 8);
  cairo_clip (cr);
  /* Marks at an x behind the curves (such as learning-rate changes) belong here, inside the
   * clip: x_to_px (&lo, pb_curve_view_step_to_x (self, item, step)) on the current axis. */
  n = self->model ? g_list_model_get_n_items (self->model) : 0;
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(PbRunItem) item = g_list_model_get_item (self->model, i);
      if (pb_run_item_get_shown (item))
        {
          draw_run (self, cr, &lo, item);
          any = TRUE;
        }
    }
  draw_lr_markers (self, cr, &lo);
  cairo_restore (cr);

  if (!any && self->kind == PB_CURVE_KIND_LOSS)
    {
      g_autoptr(PangoLayout) hint =
        make_layout (self, n == 0 ? _("Press Start to train a run; its curves appear here")
                                  : _("Every run is hidden"), FALSE, 1);
      double tw, th;

      layout_size (hint, &tw, &th);
      set_rgba (cr, &fg, 0.55);
      draw_text (cr, hint, lo.map.x + (lo.map.width - tw) / 2, lo.map.y + (lo.map.height - th) / 2);
    }

  draw_hover (self, cr, &lo, width, &fg);
}

static void
pb_curve_view_snapshot (GtkWidget   *widget,
                        GtkSnapshot *snapshot)
{
  PbCurveView *self = PB_CURVE_VIEW (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  gint64 t0 = g_get_monotonic_time ();
  cairo_t *cr;

  if (width <= 0 || height <= 0)
    return;
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  pb_curve_view_draw (self, cr, width, height);
  cairo_destroy (cr);
  self->n_draws++;

  if (pb_debug_timing ())
    g_message ("curve snapshot (%s): %.3f ms", title_for (self->kind),
               (g_get_monotonic_time () - t0) / 1000.0);
}

static void
pb_curve_view_measure (GtkWidget      *widget,
                       GtkOrientation  orientation,
                       int             for_size,
                       int            *minimum,
                       int            *natural,
                       int            *minimum_baseline,
                       int            *natural_baseline)
{
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    *minimum = 240, *natural = 480;
  else
    *minimum = 160, *natural = 280;
}

static void
pb_curve_view_css_changed (GtkWidget         *widget,
                           GtkCssStyleChange *change)
{
  GTK_WIDGET_CLASS (pb_curve_view_parent_class)->css_changed (widget, change);
  gtk_widget_queue_draw (widget);
}

static void
on_item_changed (PbCurveView *self)
{
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
unwatch_items (PbCurveView *self)
{
  for (guint i = 0; i < self->watched->len; i++)
    g_signal_handlers_disconnect_by_data (g_ptr_array_index (self->watched, i), self);
  g_ptr_array_set_size (self->watched, 0);
}

static void
on_items_changed (PbCurveView *self)
{
  guint n = g_list_model_get_n_items (self->model);

  unwatch_items (self);
  for (guint i = 0; i < n; i++)
    {
      PbRunItem *item = g_list_model_get_item (self->model, i);

      g_signal_connect_swapped (item, "changed", G_CALLBACK (on_item_changed), self);
      g_signal_connect_swapped (item, "notify::shown", G_CALLBACK (on_item_changed), self);
      g_signal_connect_swapped (item, "notify::label", G_CALLBACK (on_item_changed), self);
      g_ptr_array_add (self->watched, item);
    }
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
on_motion (GtkEventControllerMotion *controller,
           double                    x,
           double                    y,
           PbCurveView              *self)
{
  Layout lo;
  double dx, dy;

  compute_layout (self, gtk_widget_get_width (GTK_WIDGET (self)),
                  gtk_widget_get_height (GTK_WIDGET (self)), &lo);
  if (x < lo.map.x - 4 || x > lo.map.x + lo.map.width + 4)
    {
      pb_curve_view_set_hover_epoch (self, -1);
      return;
    }
  pb_plot_mapping_from_pixel (&lo.map, x, y, &dx, &dy);
  pb_curve_view_set_hover_epoch (self, x_to_epoch (self, lo.max_epochs, dx));
}

static void
on_leave (GtkEventControllerMotion *controller,
          PbCurveView              *self)
{
  pb_curve_view_set_hover_epoch (self, -1);
}

/* Left and Right walk the cross-hair over the epochs, so the readout works without a mouse. */
static gboolean
on_key_pressed (GtkEventControllerKey *controller,
                guint                  keyval,
                guint                  keycode,
                GdkModifierType        state,
                PbCurveView           *self)
{
  Layout lo;
  double epoch = self->hover_epoch;

  if (keyval != GDK_KEY_Left && keyval != GDK_KEY_Right && keyval != GDK_KEY_Home &&
      keyval != GDK_KEY_End)
    return FALSE;
  compute_layout (self, gtk_widget_get_width (GTK_WIDGET (self)),
                  gtk_widget_get_height (GTK_WIDGET (self)), &lo);
  if (keyval == GDK_KEY_Home)
    epoch = 1;
  else if (keyval == GDK_KEY_End)
    epoch = lo.max_epochs;
  else if (epoch < 1)
    epoch = 1;
  else
    epoch += keyval == GDK_KEY_Left ? -1 : 1;
  pb_curve_view_set_hover_epoch (self, CLAMP (epoch, 1, MAX (lo.max_epochs, 1)));
  return TRUE;
}

static void
on_focus_leave (GtkEventControllerFocus *controller,
                PbCurveView             *self)
{
  pb_curve_view_set_hover_epoch (self, -1);
}

static void
pb_curve_view_dispose (GObject *object)
{
  PbCurveView *self = PB_CURVE_VIEW (object);

  pb_curve_view_set_model (self, NULL);

  G_OBJECT_CLASS (pb_curve_view_parent_class)->dispose (object);
}

static void
pb_curve_view_finalize (GObject *object)
{
  PbCurveView *self = PB_CURVE_VIEW (object);

  g_ptr_array_unref (self->watched);

  G_OBJECT_CLASS (pb_curve_view_parent_class)->finalize (object);
}

static void
pb_curve_view_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  PbCurveView *self = PB_CURVE_VIEW (object);

  switch (prop_id)
    {
    case PROP_KIND:
      g_value_set_enum (value, self->kind);
      break;
    case PROP_MODEL:
      g_value_set_object (value, self->model);
      break;
    case PROP_LOG_SCALE:
      g_value_set_boolean (value, self->log_scale);
      break;
    case PROP_SMOOTHING:
      g_value_set_double (value, self->smoothing);
      break;
    case PROP_X_AXIS:
      g_value_set_enum (value, self->x_axis);
      break;
    case PROP_IGNORE_OUTLIERS:
      g_value_set_boolean (value, self->ignore_outliers);
      break;
    case PROP_HOVER_EPOCH:
      g_value_set_double (value, self->hover_epoch);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
update_accessible_label (PbCurveView *self)
{
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  self->kind == PB_CURVE_KIND_LOSS
                                    ? _("Loss curves") : _("Error curves"),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  self->kind == PB_CURVE_KIND_LOSS
                                    ? _("Training loss against the epoch, step or wall time "
                                        "for each shown run; Left and Right read the values at "
                                        "an epoch")
                                    : _("Training, test and digit error against the epoch, step "
                                        "or wall time for each shown run; Left and Right read "
                                        "the values at an epoch"),
                                  -1);
}

static void
pb_curve_view_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  PbCurveView *self = PB_CURVE_VIEW (object);

  switch (prop_id)
    {
    case PROP_KIND:
      self->kind = g_value_get_enum (value);
      update_accessible_label (self);
      gtk_widget_queue_draw (GTK_WIDGET (self));
      break;
    case PROP_MODEL:
      pb_curve_view_set_model (self, g_value_get_object (value));
      break;
    case PROP_LOG_SCALE:
      pb_curve_view_set_log_scale (self, g_value_get_boolean (value));
      break;
    case PROP_SMOOTHING:
      pb_curve_view_set_smoothing (self, g_value_get_double (value));
      break;
    case PROP_X_AXIS:
      pb_curve_view_set_x_axis (self, g_value_get_enum (value));
      break;
    case PROP_IGNORE_OUTLIERS:
      pb_curve_view_set_ignore_outliers (self, g_value_get_boolean (value));
      break;
    case PROP_HOVER_EPOCH:
      pb_curve_view_set_hover_epoch (self, g_value_get_double (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pb_curve_view_class_init (PbCurveViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pb_curve_view_dispose;
  object_class->finalize = pb_curve_view_finalize;
  object_class->get_property = pb_curve_view_get_property;
  object_class->set_property = pb_curve_view_set_property;

  widget_class->snapshot = pb_curve_view_snapshot;
  widget_class->measure = pb_curve_view_measure;
  widget_class->css_changed = pb_curve_view_css_changed;

  properties[PROP_KIND] =
    g_param_spec_enum ("kind", NULL, NULL, PB_TYPE_CURVE_KIND, PB_CURVE_KIND_LOSS,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);
  properties[PROP_MODEL] =
    g_param_spec_object ("model", NULL, NULL, G_TYPE_LIST_MODEL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LOG_SCALE] =
    g_param_spec_boolean ("log-scale", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SMOOTHING] =
    g_param_spec_double ("smoothing", NULL, NULL, 0, PB_SMOOTH_MAX, 0.6,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_X_AXIS] =
    g_param_spec_enum ("x-axis", NULL, NULL, PB_TYPE_CURVE_X_AXIS, PB_CURVE_X_EPOCH,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_IGNORE_OUTLIERS] =
    g_param_spec_boolean ("ignore-outliers", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_HOVER_EPOCH] =
    g_param_spec_double ("hover-epoch", NULL, NULL, -1, G_MAXDOUBLE, -1,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "curveview");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
pb_curve_view_init (PbCurveView *self)
{
  GtkEventController *motion = gtk_event_controller_motion_new ();
  GtkEventController *key, *focus;

  self->hover_epoch = -1;
  self->smoothing = 0.6;
  self->watched = g_ptr_array_new_with_free_func (g_object_unref);

  g_signal_connect (motion, "motion", G_CALLBACK (on_motion), self);
  g_signal_connect (motion, "leave", G_CALLBACK (on_leave), self);
  gtk_widget_add_controller (GTK_WIDGET (self), motion);

  key = gtk_event_controller_key_new ();
  g_signal_connect (key, "key-pressed", G_CALLBACK (on_key_pressed), self);
  gtk_widget_add_controller (GTK_WIDGET (self), key);

  focus = gtk_event_controller_focus_new ();
  g_signal_connect (focus, "leave", G_CALLBACK (on_focus_leave), self);
  gtk_widget_add_controller (GTK_WIDGET (self), focus);
  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);
}

GtkWidget *
pb_curve_view_new (PbCurveKind kind)
{
  return g_object_new (PB_TYPE_CURVE_VIEW, "kind", kind, NULL);
}

PbCurveKind
pb_curve_view_get_kind (PbCurveView *self)
{
  g_return_val_if_fail (PB_IS_CURVE_VIEW (self), PB_CURVE_KIND_LOSS);
  return self->kind;
}

void
pb_curve_view_set_model (PbCurveView *self,
                         GListModel  *model)
{
  g_return_if_fail (PB_IS_CURVE_VIEW (self));
  g_return_if_fail (model == NULL || G_IS_LIST_MODEL (model));

  if (self->model == model)
    return;
  if (self->model != NULL)
    {
      g_signal_handlers_disconnect_by_func (self->model, on_items_changed, self);
      unwatch_items (self);
      g_clear_object (&self->model);
    }
  if (model != NULL)
    {
      self->model = g_object_ref (model);
      g_signal_connect_swapped (model, "items-changed", G_CALLBACK (on_items_changed), self);
      on_items_changed (self);
    }
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODEL]);
}

GListModel *
pb_curve_view_get_model (PbCurveView *self)
{
  g_return_val_if_fail (PB_IS_CURVE_VIEW (self), NULL);
  return self->model;
}

gboolean
pb_curve_view_get_log_scale (PbCurveView *self)
{
  g_return_val_if_fail (PB_IS_CURVE_VIEW (self), FALSE);
  return self->log_scale;
}

void
pb_curve_view_set_log_scale (PbCurveView *self,
                             gboolean     log_scale)
{
  g_return_if_fail (PB_IS_CURVE_VIEW (self));

  log_scale = !!log_scale;
  if (self->log_scale == log_scale)
    return;
  self->log_scale = log_scale;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOG_SCALE]);
}

double
pb_curve_view_get_hover_epoch (PbCurveView *self)
{
  g_return_val_if_fail (PB_IS_CURVE_VIEW (self), -1);
  return self->hover_epoch;
}

void
pb_curve_view_set_hover_epoch (PbCurveView *self,
                               double       epoch)
{
  g_return_if_fail (PB_IS_CURVE_VIEW (self));

  if (epoch < 0)
    epoch = -1;
  if (self->hover_epoch == epoch)
    return;
  self->hover_epoch = epoch;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HOVER_EPOCH]);
}

guint
pb_curve_view_get_n_draws (PbCurveView *self)
{
  g_return_val_if_fail (PB_IS_CURVE_VIEW (self), 0);
  return self->n_draws;
}

double
pb_curve_view_get_smoothing (PbCurveView *self)
{
  g_return_val_if_fail (PB_IS_CURVE_VIEW (self), 0);
  return self->smoothing;
}

void
pb_curve_view_set_smoothing (PbCurveView *self,
                             double       smoothing)
{
  g_return_if_fail (PB_IS_CURVE_VIEW (self));

  smoothing = isfinite (smoothing) ? CLAMP (smoothing, 0, PB_SMOOTH_MAX) : 0;
  if (self->smoothing == smoothing)
    return;
  self->smoothing = smoothing;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SMOOTHING]);
}

PbCurveXAxis
pb_curve_view_get_x_axis (PbCurveView *self)
{
  g_return_val_if_fail (PB_IS_CURVE_VIEW (self), PB_CURVE_X_EPOCH);
  return self->x_axis;
}

void
pb_curve_view_set_x_axis (PbCurveView  *self,
                          PbCurveXAxis  axis)
{
  g_return_if_fail (PB_IS_CURVE_VIEW (self));
  g_return_if_fail (axis <= PB_CURVE_X_WALL_TIME);

  if (self->x_axis == axis)
    return;
  self->x_axis = axis;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_X_AXIS]);
}

gboolean
pb_curve_view_get_ignore_outliers (PbCurveView *self)
{
  g_return_val_if_fail (PB_IS_CURVE_VIEW (self), FALSE);
  return self->ignore_outliers;
}

void
pb_curve_view_set_ignore_outliers (PbCurveView *self,
                                   gboolean     ignore)
{
  g_return_if_fail (PB_IS_CURVE_VIEW (self));

  ignore = !!ignore;
  if (self->ignore_outliers == ignore)
    return;
  self->ignore_outliers = ignore;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_IGNORE_OUTLIERS]);
}

double
pb_curve_view_step_to_x (PbCurveView *self,
                         PbRunItem   *item,
                         int          step)
{
  guint nb, bpe;
  const PbBatchRecord *br;

  g_return_val_if_fail (PB_IS_CURVE_VIEW (self), NAN);
  g_return_val_if_fail (PB_IS_RUN_ITEM (item), NAN);

  bpe = pb_run_item_get_batches_per_epoch (item);
  br = pb_run_item_get_batches (item, &nb);
  switch (self->x_axis)
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

static void
append_view_csv (PbCurveView *self,
                 GString     *out)
{
  guint n = self->model ? g_list_model_get_n_items (self->model) : 0;
  /* The plot shows errors in percent; files keep the fractions the core and metrics CSV use. */
  double scale = self->kind == PB_CURVE_KIND_ERROR ? 0.01 : 1;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(PbRunItem) item = g_list_model_get_item (self->model, i);
      Points p;

      if (!pb_run_item_get_shown (item))
        continue;
      points_init (&p, points_capacity (item));
      for (guint s = 0; s < n_series (self->kind); s++)
        {
          if (!series_applies (self->kind, s, item))
            continue;
          fill_points (self, item, s, &p);
          for (guint k = 0; k < p.n; k++)
            {
              append_csv_text (out, pb_run_item_get_label (item));
              g_string_append_printf (out, ",%s,%d,%d", series_style (self->kind, s)->id,
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

char *
pb_curve_view_to_csv (PbCurveView *const *views,
                      guint               n_views)
{
  GString *out = g_string_new ("run,series,step,epoch,seconds,raw,smoothed\n");

  for (guint v = 0; v < n_views; v++)
    {
      g_return_val_if_fail (PB_IS_CURVE_VIEW (views[v]), g_string_free (out, TRUE));
      append_view_csv (views[v], out);
    }
  return g_string_free (out, FALSE);
}

gboolean
pb_curve_view_export_csv (PbCurveView *const *views,
                          guint               n_views,
                          const char         *path,
                          GError            **error)
{
  g_autofree char *csv = pb_curve_view_to_csv (views, n_views);

  g_return_val_if_fail (path != NULL, FALSE);
  return g_file_set_contents_full (path, csv, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0666, error);
}
