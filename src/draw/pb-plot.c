/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pb-plot"

#include "config.h"

#include <math.h>
#include <string.h>
#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <gio/gio.h>
#include <glib/gi18n.h>
#include <pango/pangocairo.h>

#include "pb-curves.h"
#include "pb-plot.h"

#define GAP 6.0

const char *
pb_plot_kind_title (PbPlotKind kind)
{
  switch (kind)
    {
    case PB_PLOT_CURVES:
      return _("Mean test error per epoch");
    case PB_PLOT_SMALL_MULTIPLES:
      return _("Test error per round");
    case PB_PLOT_BOX:
    default:
      return _("Final test error per round");
    }
}

const char *
pb_plot_axis_label (PbPlotKind kind, gboolean y)
{
  if (y)
    return _("Test error (%)");
  return kind == PB_PLOT_BOX ? _("Model") : _("Epoch");
}

static PangoLayout *
make_layout (cairo_t *cr, const PbPlotStyle *style, const char *text, double scale,
             gboolean bold)
{
  PangoFontDescription *desc = pango_font_description_new ();
  PangoLayout *layout;

  pango_font_description_set_family (desc, style->font_family);
  pango_font_description_set_absolute_size (desc, style->font_size * PANGO_SCALE);
  layout = pb_draw_layout (cr, desc, text, bold, scale);
  /* A category label broken in two lines stays centred on its tick. */
  pango_layout_set_alignment (layout, PANGO_ALIGN_CENTER);
  pango_font_description_free (desc);
  return layout;
}

/* Draws text with its anchor at (x, y): xalign and yalign in [0, 1] over the text's box. */
static void
draw_text (cairo_t *cr, const PbPlotStyle *style, const char *text, double x, double y,
           double xalign, double yalign, double scale, gboolean bold, double alpha)
{
  PangoLayout *layout = make_layout (cr, style, text, scale, bold);
  double w, h;

  pb_draw_layout_size (layout, &w, &h);
  pb_draw_set_color (cr, &style->foreground, alpha);
  cairo_move_to (cr, x - xalign * w, y - yalign * h);
  pango_cairo_show_layout (cr, layout);
  g_object_unref (layout);
}

static void
text_size (cairo_t *cr, const PbPlotStyle *style, const char *text, double scale, double *w,
           double *h)
{
  PangoLayout *layout = make_layout (cr, style, text, scale, FALSE);
  pb_draw_layout_size (layout, w, h);
  g_object_unref (layout);
}

static char *
format_tick (double v, double step)
{
  int decimals = step >= 1 ? 0 : (int) ceil (-log10 (step) - 1e-9);
  char buf[32];

  if (fabs (v) < step * 1e-6)
    v = 0;
  g_snprintf (buf, sizeof buf, "%.*f", CLAMP (decimals, 0, 6), v);
  return g_strdup (buf);
}

typedef struct
{
  const char *title;
  const char *xlabel;          /* NULL: none */
  const char *ylabel;
  gboolean x_ticklabels, y_ticklabels;
  double xmin, xmax, ymin, ymax;
  const char *const *categories;  /* x tick labels at 1, 2, … instead of numbers */
  int n_categories;
} Panel;

static void
axis_ticks (double lo, double hi, gboolean integer, PbTicks *t)
{
  pb_nice_ticks (lo, hi, 6, t);
  if (integer && t->step < 1)
    pb_nice_ticks (lo, hi, (int) MAX (2, hi - lo + 1), t);
}

/* Lays out and draws the frame, grid, ticks and labels; m gets the plot area's mapping. The
 * margins are fixed from the largest labels so that panels in a row line up. */
static void
draw_panel (cairo_t *cr, const PbPlotStyle *style, double x, double y, double w, double h,
            const Panel *p, double left_margin, PbPlotMapping *m)
{
  PbTicks xt, yt;
  double tw, th, bottom = 0, top = 0;

  text_size (cr, style, "0", 1, &tw, &th);
  if (p->title != NULL)
    {
      int lines = 1;
      for (const char *c = p->title; *c != '\0'; c++)
        lines += *c == '\n';
      top = th * 1.1 * lines + GAP;
    }
  if (p->x_ticklabels)
    {
      double label_h = th;
      for (int i = 0; p->categories != NULL && i < p->n_categories; i++)
        {
          double cw, ch;
          text_size (cr, style, p->categories[i], 1, &cw, &ch);
          label_h = MAX (label_h, ch);
        }
      bottom += label_h + 4;
    }
  if (p->xlabel != NULL)
    bottom += th + 4;
  bottom += 4;

  if (p->categories != NULL)
    xt = (PbTicks) { 1, p->n_categories, 1, p->n_categories };
  else
    axis_ticks (p->xmin, p->xmax, TRUE, &xt);
  axis_ticks (p->ymin, p->ymax, FALSE, &yt);

  *m = (PbPlotMapping) {
    .x = x + left_margin, .y = y + top, .width = MAX (w - left_margin - 2 * GAP, 10),
    .height = MAX (h - top - bottom, 10),
    .xmin = p->categories ? p->xmin : xt.first, .xmax = p->categories ? p->xmax : xt.last,
    .ymin = yt.first, .ymax = yt.last,
  };

  if (p->title != NULL)
    draw_text (cr, style, p->title, m->x + m->width / 2, y, 0.5, 0, 1.1, TRUE, 1);

  cairo_save (cr);
  cairo_set_line_width (cr, 0.5);
  for (int i = 0; i < yt.n; i++)
    {
      double v = yt.first + i * yt.step, px, py;

      pb_plot_mapping_to_pixel (m, m->xmin, v, &px, &py);
      pb_draw_set_color (cr, &style->foreground, 0.12);
      cairo_move_to (cr, m->x, py);
      cairo_line_to (cr, m->x + m->width, py);
      cairo_stroke (cr);
      if (p->y_ticklabels)
        {
          g_autofree char *label = format_tick (v, yt.step);
          draw_text (cr, style, label, m->x - 4, py, 1, 0.5, 1, FALSE, 0.8);
        }
    }
  for (int i = 0; i < xt.n; i++)
    {
      double v = xt.first + i * xt.step, px, py;

      pb_plot_mapping_to_pixel (m, v, m->ymin, &px, &py);
      pb_draw_set_color (cr, &style->foreground, 0.6);
      cairo_move_to (cr, px, m->y + m->height);
      cairo_line_to (cr, px, m->y + m->height + 3);
      cairo_stroke (cr);
      if (p->x_ticklabels)
        {
          g_autofree char *label = p->categories ? g_strdup (p->categories[i])
                                                 : format_tick (v, xt.step);
          draw_text (cr, style, label, px, m->y + m->height + 4, 0.5, 0, 1, FALSE, 0.8);
        }
    }
  pb_draw_set_color (cr, &style->foreground, 0.6);
  cairo_set_line_width (cr, 1);
  cairo_move_to (cr, m->x, m->y);
  cairo_line_to (cr, m->x, m->y + m->height);
  cairo_line_to (cr, m->x + m->width, m->y + m->height);
  cairo_stroke (cr);
  cairo_restore (cr);

  if (p->xlabel != NULL)
    draw_text (cr, style, p->xlabel, m->x + m->width / 2, y + h - 2, 0.5, 1, 1, FALSE, 1);
  if (p->ylabel != NULL)
    {
      cairo_save (cr);
      cairo_translate (cr, x, m->y + m->height / 2);
      cairo_rotate (cr, -G_PI / 2);
      draw_text (cr, style, p->ylabel, 0, 0, 0.5, 0, 1, FALSE, 1);
      cairo_restore (cr);
    }
}

static double
left_margin_for (cairo_t *cr, const PbPlotStyle *style, double ymax, gboolean ylabel)
{
  PbTicks yt;
  double w = 0, tw = 0, th = 0;

  axis_ticks (0, ymax, FALSE, &yt);
  for (int i = 0; i < yt.n; i++)
    {
      g_autofree char *label = format_tick (yt.first + i * yt.step, yt.step);
      text_size (cr, style, label, 1, &tw, &th);
      w = MAX (w, tw);
    }
  return w + 6 + (ylabel ? th + 4 : 0);
}

static void
draw_message (cairo_t *cr, const PbPlotStyle *style, double width, double height,
              const char *text)
{
  draw_text (cr, style, text, width / 2, height / 2, 0.5, 0.5, 1.1, FALSE, 0.55);
}

/* The largest test error in percent over the done rounds' epochs. */
static double
session_ymax (const PbSession *s, gboolean final_only)
{
  double ymax = 0;

  for (int m = 0; m < s->n_models; m++)
    for (int r = 0; r < s->rounds; r++)
      if (pb_session_round_done (s, m, r))
        {
          const PbRoundResult *res = pb_session_round (s, m, r);
          for (int e = final_only ? res->n_epochs - 1 : 0; e < res->n_epochs; e++)
            if (isfinite (res->epochs[e].test_error))
              ymax = MAX (ymax, 100 * res->epochs[e].test_error);
        }
  return ymax > 0 ? ymax : 1;
}

/* Mean over the done rounds at each epoch; n: [epochs], the rounds counted. */
static void
mean_curve (const PbSession *s, int model, int epochs, double *mean, int *n)
{
  for (int e = 0; e < epochs; e++)
    mean[e] = 0, n[e] = 0;
  for (int r = 0; r < s->rounds; r++)
    if (pb_session_round_done (s, model, r))
      {
        const PbRoundResult *res = pb_session_round (s, model, r);
        for (int e = 0; e < res->n_epochs && e < epochs; e++)
          if (isfinite (res->epochs[e].test_error))
            mean[e] += 100 * res->epochs[e].test_error, n[e]++;
      }
  for (int e = 0; e < epochs; e++)
    mean[e] = n[e] > 0 ? mean[e] / n[e] : NAN;
}

static void
line_through (cairo_t *cr, const PbPlotMapping *m, const double *y, int n)
{
  gboolean pen = FALSE;

  for (int e = 0; e < n; e++)
    {
      double px, py;

      if (!isfinite (y[e]))
        {
          pen = FALSE;
          continue;
        }
      pb_plot_mapping_to_pixel (m, e + 1, y[e], &px, &py);
      if (pen)
        cairo_line_to (cr, px, py);
      else
        cairo_move_to (cr, px, py);
      pen = TRUE;
      /* An epoch with no evaluated neighbour (one epoch, or epochs not evaluated) still shows,
       * as a dot. */
      if ((e == 0 || !isfinite (y[e - 1])) && (e == n - 1 || !isfinite (y[e + 1])))
        {
          cairo_new_sub_path (cr);
          cairo_arc (cr, px, py, 1.5, 0, 2 * G_PI);
        }
    }
}

static void
draw_round_curves (cairo_t *cr, const PbPlotStyle *style, const PbPlotMapping *m,
                   const PbSession *s, int model, int epochs, const PbColor *color)
{
  g_autofree double *y = g_new (double, epochs);
  g_autofree int *n = g_new (int, epochs);

  cairo_save (cr);
  cairo_rectangle (cr, m->x - 2, m->y - 2, m->width + 4, m->height + 4);
  cairo_clip (cr);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  cairo_set_line_width (cr, 0.75);
  for (int r = 0; r < s->rounds; r++)
    if (pb_session_round_done (s, model, r))
      {
        const PbRoundResult *res = pb_session_round (s, model, r);
        for (int e = 0; e < epochs; e++)
          y[e] = e < res->n_epochs ? 100 * res->epochs[e].test_error : NAN;
        line_through (cr, m, y, MIN (res->n_epochs, epochs));
        pb_draw_set_color (cr, color, 0.35);
        cairo_stroke (cr);
      }
  mean_curve (s, model, epochs, y, n);
  line_through (cr, m, y, epochs);
  pb_draw_set_color (cr, color, 1);
  cairo_set_line_width (cr, 2.25);
  cairo_stroke (cr);
  cairo_restore (cr);
}

static void
draw_small_multiples (cairo_t *cr, double width, double height, const PbPlotStyle *style,
                      const PbSession *s)
{
  int n = s->n_models, cols, rows, epochs = MAX (pb_session_max_epochs (s), s->base.epochs);
  double ymax = session_ymax (s, FALSE), left, tw, th, top;

  text_size (cr, style, "0", 1, &tw, &th);
  top = th * 1.3 + GAP;
  draw_text (cr, style, pb_plot_kind_title (PB_PLOT_SMALL_MULTIPLES), width / 2, 0, 0.5, 0, 1.25,
             TRUE, 1);
  cols = width / MAX (height - top, 1) > 2.2 ? MIN (n, 4) : (int) ceil (sqrt (n));
  rows = (n + cols - 1) / cols;
  left = left_margin_for (cr, style, ymax, TRUE);
  /* Titles too wide for their panels ("stacked-aux (two-channel) (2/2)") all break at their
   * first space, so that the panels stay aligned. */
  gboolean wrap = FALSE;
  for (int i = 0; i < n; i++)
    {
      g_autofree char *title = g_strdup_printf (_("%s (%d/%d)"), pb_session_model_name (s, i),
                                                pb_session_rounds_done (s, i), s->rounds);
      double w, h;
      text_size (cr, style, title, 1.1, &w, &h);
      wrap |= w * 1.05 > (width - left) / cols - GAP;
    }

  for (int i = 0; i < n; i++)
    {
      int c = i % cols, r = i / cols;
      double pw = (width - left) / cols, ph = (height - top) / rows;
      gboolean first_col = c == 0, last_row = r == rows - 1 || i + cols >= n;
      double x = first_col ? 0 : left + c * pw, w = first_col ? left + pw : pw;
      g_autofree char *title = NULL;
      Panel p = {
        .xlabel = last_row ? pb_plot_axis_label (PB_PLOT_SMALL_MULTIPLES, FALSE) : NULL,
        .ylabel = first_col ? pb_plot_axis_label (PB_PLOT_SMALL_MULTIPLES, TRUE) : NULL,
        .x_ticklabels = TRUE, .y_ticklabels = first_col,
        .xmin = 1, .xmax = MAX (epochs, 2), .ymin = 0, .ymax = ymax,
      };
      PbPlotMapping m;
      int done = pb_session_rounds_done (s, i);

      /* Translators: a panel's title: the model, and how many of its rounds are done */
      title = g_strdup_printf (_("%s (%d/%d)"), pb_session_model_name (s, i), done, s->rounds);
      if (wrap && strchr (title, ' ') != NULL)
        *strchr (title, ' ') = '\n';
      p.title = title;
      draw_panel (cr, style, x, top + r * ph, w - (c < cols - 1 ? GAP : 0), ph - GAP / 2, &p,
                  first_col ? left : 4, &m);
      draw_round_curves (cr, style, &m, s, i, epochs, &style->series[i % PB_PLOT_N_SERIES]);
    }
}

static void
draw_legend (cairo_t *cr, const PbPlotStyle *style, double x, double y, const char *const *names,
             const PbColor *colors, int n, gboolean dots)
{
  double tw, th;

  for (int i = 0; i < n; i++)
    {
      text_size (cr, style, names[i], 1, &tw, &th);
      pb_draw_set_color (cr, &colors[i % PB_PLOT_N_SERIES], 1);
      if (dots)
        {
          cairo_arc (cr, x + 5, y + th / 2, 3, 0, 2 * G_PI);
          cairo_fill (cr);
        }
      else
        {
          cairo_set_line_width (cr, 2.25);
          cairo_move_to (cr, x, y + th / 2);
          cairo_line_to (cr, x + 14, y + th / 2);
          cairo_stroke (cr);
        }
      draw_text (cr, style, names[i], x + 18, y, 0, 0, 1, FALSE, 0.9);
      y += th + 2;
    }
}

/* Through the training curves' renderer, as the app draws them: the mean over the done rounds,
 * one run per model. */
static void
draw_curves (cairo_t *cr, double width, double height, const PbPlotStyle *style,
             const PbSession *s)
{
  int epochs = MAX (pb_session_max_epochs (s), s->base.epochs);
  g_autofree double *x = g_new (double, epochs);
  g_autofree double *y = g_new (double, (gsize) epochs * s->n_models);
  g_autofree int *n = g_new (int, epochs);
  g_autofree PbCurveSeries *series = g_new0 (PbCurveSeries, s->n_models);
  g_autofree PbCurveRun *runs = g_new0 (PbCurveRun, s->n_models);
  PbCurveChart chart = {
    .title = pb_plot_kind_title (PB_PLOT_CURVES),
    .y_label = pb_plot_axis_label (PB_PLOT_CURVES, TRUE),
    .x_axis = PB_CURVE_X_EPOCH,
    .xmax = epochs,
    .ymin = 0,
    .ymax = session_ymax (s, FALSE),
    .runs = runs,
    .n_runs = s->n_models,
    .hover_x = NAN,
  };

  for (int e = 0; e < epochs; e++)
    x[e] = e + 1;
  for (int i = 0; i < s->n_models; i++)
    {
      mean_curve (s, i, epochs, y + (gsize) i * epochs, n);
      series[i] = (PbCurveSeries) { .n = epochs, .x = x, .raw = y + (gsize) i * epochs,
                                    .line = { NULL, 2.5, PB_CURVE_DASH_SOLID } };
      runs[i] = (PbCurveRun) { .label = pb_session_model_name (s, i),
                               .color = style->series[i % PB_PLOT_N_SERIES],
                               .series = &series[i], .n_series = 1 };
    }
  pb_curves_draw (cr, width, height, style, &chart, NULL);
}

static int
compare_doubles (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static double
quantile (const double *sorted, int n, double q)
{
  double pos = q * (n - 1);
  int i = (int) floor (pos);

  if (i >= n - 1)
    return sorted[n - 1];
  return sorted[i] + (pos - i) * (sorted[i + 1] - sorted[i]);
}

static void
draw_box (cairo_t *cr, double width, double height, const PbPlotStyle *style, const PbSession *s)
{
  const char *names[PB_SESSION_MAX_MODELS];
  double ymax = session_ymax (s, TRUE);
  Panel p = {
    .title = pb_plot_kind_title (PB_PLOT_BOX),
    .xlabel = pb_plot_axis_label (PB_PLOT_BOX, FALSE),
    .ylabel = pb_plot_axis_label (PB_PLOT_BOX, TRUE),
    .x_ticklabels = TRUE, .y_ticklabels = TRUE,
    .xmin = 0.5, .xmax = s->n_models + 0.5, .ymin = 0, .ymax = ymax,
    .categories = names, .n_categories = s->n_models,
  };
  PbPlotMapping m;
  g_autofree double *v = g_new (double, s->rounds);
  g_autoptr(GPtrArray) wrapped = g_ptr_array_new_with_free_func (g_free);
  double slot = (width - left_margin_for (cr, style, ymax, TRUE)) / MAX (s->n_models, 1);

  /* A name too wide for its slot ("stacked (two-channel)") breaks at its first space, and
   * keeps only its first word when that is still too wide. */
  for (int i = 0; i < s->n_models; i++)
    {
      const char *name = pb_session_model_name (s, i);
      double tw, th;

      names[i] = name;
      text_size (cr, style, name, 1, &tw, &th);
      if (tw > slot - 6 && strchr (name, ' ') != NULL)
        {
          char *two = g_strdup (name);
          *strchr (two, ' ') = '\n';
          text_size (cr, style, two, 1, &tw, &th);
          if (tw > slot - 6)
            *strchr (two, '\n') = '\0';
          g_ptr_array_add (wrapped, two);
          names[i] = two;
        }
    }
  draw_panel (cr, style, 0, 0, width, height, &p, left_margin_for (cr, style, ymax, TRUE), &m);

  for (int i = 0; i < s->n_models; i++)
    {
      const PbColor *color = &style->series[i % PB_PLOT_N_SERIES];
      double half = MIN (0.3 * m.width / s->n_models, 40), cx, q1, q3, med, lo, hi, iqr;
      double px, py1, py3, pym;
      int n = 0;

      for (int r = 0; r < s->rounds; r++)
        if (pb_session_round_done (s, i, r))
          v[n++] = 100 * pb_session_round (s, i, r)->final.test_error;
      if (n == 0)
        continue;
      qsort (v, (size_t) n, sizeof *v, compare_doubles);
      q1 = quantile (v, n, 0.25);
      med = quantile (v, n, 0.5);
      q3 = quantile (v, n, 0.75);
      iqr = q3 - q1;
      lo = v[0], hi = v[n - 1];
      for (int k = 0; k < n; k++)
        if (v[k] >= q1 - 1.5 * iqr)
          {
            lo = v[k];
            break;
          }
      for (int k = n - 1; k >= 0; k--)
        if (v[k] <= q3 + 1.5 * iqr)
          {
            hi = v[k];
            break;
          }
      pb_plot_mapping_to_pixel (&m, i + 1, q1, &cx, &py1);
      pb_plot_mapping_to_pixel (&m, i + 1, q3, &px, &py3);
      pb_plot_mapping_to_pixel (&m, i + 1, med, &px, &pym);

      cairo_set_line_width (cr, 1.25);
      pb_draw_set_color (cr, color, 0.18);
      cairo_rectangle (cr, cx - half, py3, 2 * half, py1 - py3);
      cairo_fill_preserve (cr);
      pb_draw_set_color (cr, color, 1);
      cairo_stroke (cr);
      cairo_set_line_width (cr, 2.25);
      cairo_move_to (cr, cx - half, pym);
      cairo_line_to (cr, cx + half, pym);
      cairo_stroke (cr);
      cairo_set_line_width (cr, 1);
      pb_plot_mapping_to_pixel (&m, i + 1, lo, &px, &pym);
      cairo_move_to (cr, cx, py1);
      cairo_line_to (cr, cx, pym);
      cairo_move_to (cr, cx - half / 2, pym);
      cairo_line_to (cr, cx + half / 2, pym);
      pb_plot_mapping_to_pixel (&m, i + 1, hi, &px, &pym);
      cairo_move_to (cr, cx, py3);
      cairo_line_to (cr, cx, pym);
      cairo_move_to (cr, cx - half / 2, pym);
      cairo_line_to (cr, cx + half / 2, pym);
      cairo_stroke (cr);

      /* Every round as a point beside its box, spread by a fixed jitter so files are stable. */
      for (int k = 0; k < n; k++)
        {
          double jitter = ((k * 7919) % 13) / 12.0 - 0.5, py;

          pb_plot_mapping_to_pixel (&m, i + 1, v[k], &px, &py);
          cairo_arc (cr, cx + half + 6 + jitter * 6, py, 1.8, 0, 2 * G_PI);
          pb_draw_set_color (cr, color, 0.8);
          cairo_fill (cr);
        }
    }
}

void
pb_plot_draw_session (cairo_t *cr, double width, double height, const PbPlotStyle *style,
                      PbPlotKind kind, const PbSession *session)
{
  cairo_save (cr);
  if (style->paint_background)
    {
      pb_draw_set_color (cr, &style->background, 1);
      cairo_paint (cr);
    }
  if (session == NULL || session->n_models == 0)
    draw_message (cr, style, width, height, _("Each model’s test-error curves appear here"));
  else if (kind == PB_PLOT_SMALL_MULTIPLES)
    draw_small_multiples (cr, width, height, style, session);
  else if (pb_session_total_done (session) == 0)
    {
      draw_text (cr, style, pb_plot_kind_title (kind), width / 2, 0, 0.5, 0, 1.1, TRUE, 1);
      draw_message (cr, style, width, height, _("Appears when the first rounds finish"));
    }
  else if (kind == PB_PLOT_CURVES)
    draw_curves (cr, width, height, style, session);
  else
    draw_box (cr, width, height, style, session);
  cairo_restore (cr);
}

void
pb_plot_draw_scatter (cairo_t *cr, double width, double height, const PbPlotStyle *style,
                      const char *title, const float *xy, const guint8 *digits, int n)
{
  static const char *const names[10] = { "0", "1", "2", "3", "4", "5", "6", "7", "8", "9" };
  double xmin = G_MAXDOUBLE, xmax = -G_MAXDOUBLE, ymin = G_MAXDOUBLE, ymax = -G_MAXDOUBLE;
  double tw, th, top, legend_w, size, ox, oy, scale;

  cairo_save (cr);
  if (style->paint_background)
    {
      pb_draw_set_color (cr, &style->background, 1);
      cairo_paint (cr);
    }
  text_size (cr, style, "0", 1, &tw, &th);
  top = title != NULL ? th * 1.3 + GAP : GAP;
  if (title != NULL)
    draw_text (cr, style, title, width / 2, 0, 0.5, 0, 1.1, TRUE, 1);
  legend_w = tw + 18 + 2 * GAP;
  for (int i = 0; i < n; i++)
    {
      xmin = MIN (xmin, xy[2 * i]), xmax = MAX (xmax, xy[2 * i]);
      ymin = MIN (ymin, xy[2 * i + 1]), ymax = MAX (ymax, xy[2 * i + 1]);
    }
  /* Equal scales on both axes: t-SNE distances mean the same in every direction. */
  size = MIN (width - legend_w - 2 * GAP, height - top - GAP);
  if (n > 0 && size > 0)
    {
      scale = size / MAX (MAX (xmax - xmin, ymax - ymin), 1e-9);
      ox = GAP + (width - legend_w - 2 * GAP - (xmax - xmin) * scale) / 2;
      oy = top + (height - top - GAP - (ymax - ymin) * scale) / 2;
      for (int i = 0; i < n; i++)
        {
          pb_draw_set_color (cr, &style->series[digits[i] % 10], 0.75);
          cairo_arc (cr, ox + (xy[2 * i] - xmin) * scale, oy + (ymax - xy[2 * i + 1]) * scale,
                     MAX (1.2, size / 300), 0, 2 * G_PI);
          cairo_fill (cr);
        }
    }
  else
    draw_message (cr, style, width, height, _("No points"));
  draw_legend (cr, style, width - legend_w + GAP, top, names, style->series, 10, TRUE);
  cairo_restore (cr);
}

/* Exports */

static cairo_status_t
append_bytes (void *closure, const unsigned char *data, unsigned int length)
{
  g_byte_array_append (closure, data, length);
  return CAIRO_STATUS_SUCCESS;
}

static GBytes *
svg_with_metadata (GByteArray *svg, const char *title, const char *description)
{
  const char *start = (const char *) svg->data, *open, *end;
  GString *out;

  g_byte_array_append (svg, (const guint8 *) "", 1);
  open = strstr (start, "<svg");
  end = open ? strchr (open, '>') : NULL;
  if (end == NULL)
    return g_bytes_new (svg->data, svg->len - 1);
  out = g_string_new_len (start, end + 1 - start);
  if (title != NULL)
    {
      g_autofree char *t = g_markup_escape_text (title, -1);
      g_string_append_printf (out, "\n<title>%s</title>", t);
    }
  if (description != NULL)
    {
      g_autofree char *d = g_markup_escape_text (description, -1);
      g_string_append_printf (out, "\n<desc>%s</desc>", d);
    }
  g_string_append (out, end + 1);
  return g_string_free_to_bytes (out);
}

gboolean
pb_plot_export (const char     *path,
                double          width,
                double          height,
                PbPlotDrawFunc  draw,
                gpointer        data,
                const char     *title,
                const char     *description,
                GError        **error)
{
  g_autoptr(GByteArray) buffer = g_byte_array_new ();
  g_autoptr(GBytes) bytes = NULL;
  g_autofree char *lower = g_ascii_strdown (path, -1);
  cairo_surface_t *surface;
  cairo_status_t status;
  cairo_t *cr;
  enum { PNG, SVG, PDF } format;

  if (g_str_has_suffix (lower, ".png"))
    format = PNG;
  else if (g_str_has_suffix (lower, ".svg"))
    format = SVG;
  else if (g_str_has_suffix (lower, ".pdf"))
    format = PDF;
  else
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("%s: expected a file name ending in .png, .svg or .pdf"), path);
      return FALSE;
    }
  if (!(width >= 50 && width <= 5000 && height >= 50 && height <= 5000))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("%s: expected a size of 50–5000 points, got %g × %g"), path, width, height);
      return FALSE;
    }

  if (format == PNG)
    surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32,
                                          (int) ceil (width * PB_PLOT_PNG_SCALE),
                                          (int) ceil (height * PB_PLOT_PNG_SCALE));
  else if (format == SVG)
    surface = cairo_svg_surface_create_for_stream (append_bytes, buffer, width, height);
  else
    {
      surface = cairo_pdf_surface_create_for_stream (append_bytes, buffer, width, height);
      if (title != NULL)
        cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_TITLE, title);
      cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_CREATOR, "Pairbench");
    }
  cr = cairo_create (surface);
  if (format == PNG)
    cairo_scale (cr, PB_PLOT_PNG_SCALE, PB_PLOT_PNG_SCALE);
  draw (cr, width, height, data);
  status = cairo_status (cr);
  cairo_destroy (cr);
  cairo_surface_flush (surface);
  if (status == CAIRO_STATUS_SUCCESS && format == PNG)
    status = cairo_surface_write_to_png_stream (surface, append_bytes, buffer);
  cairo_surface_finish (surface);
  if (status == CAIRO_STATUS_SUCCESS)
    status = cairo_surface_status (surface);
  cairo_surface_destroy (surface);
  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("%s: could not draw the plot: %s"),
                   path, cairo_status_to_string (status));
      return FALSE;
    }

  if (format == SVG)
    bytes = svg_with_metadata (buffer, title, description);
  else
    bytes = g_byte_array_free_to_bytes (g_steal_pointer (&buffer));
  if (!g_file_set_contents_full (path, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0666, error))
    return FALSE;
  return TRUE;
}
