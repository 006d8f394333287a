/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pb-logit-bars"

#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n.h>

#include "pb-draw.h"
#include "pb-logit-bars.h"

#define N_DIGITS 10
#define MAX_GROUPS 2
#define GROUP_GAP 14
#define HEIGHT 120

struct _PbLogitBars
{
  GtkWidget parent_instance;

  int n_groups;
  float logits[MAX_GROUPS * N_DIGITS];
  float probs[MAX_GROUPS * N_DIGITS];
  guint8 truth[MAX_GROUPS];
  double scale;
};

G_DEFINE_TYPE (PbLogitBars, pb_logit_bars, GTK_TYPE_WIDGET)

typedef struct
{
  cairo_t *cr;
  PangoLayout *layout;
  PbColor fg;
  PbColor accent;
} Painter;

/* Draws text with its (ax, ay) anchor at (x, y): 0 left/top, 0.5 centre, 1 right/bottom. */
static void
text (Painter    *p,
      const char *markup,
      double      x,
      double      y,
      double      ax,
      double      ay)
{
  int w, h;

  pango_layout_set_markup (p->layout, markup, -1);
  pango_layout_get_pixel_size (p->layout, &w, &h);
  cairo_move_to (p->cr, round (x - ax * w), round (y - ay * h));
  pango_cairo_show_layout (p->cr, p->layout);
}

static int
argmax (const float *v)
{
  int best = 0;

  for (int i = 1; i < N_DIGITS; i++)
    if (v[i] > v[best])
      best = i;
  return best;
}

static void
pb_logit_bars_snapshot (GtkWidget   *widget,
                        GtkSnapshot *snapshot)
{
  PbLogitBars *self = PB_LOGIT_BARS (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  Painter p;
  int th, gutter;
  double lane1_top, lane1_bottom, zero, lane2_top, lane2_bottom, labels_y, slot;
  g_autofree char *scale_text = NULL;

  if (self->n_groups == 0)
    return;

  p.cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  p.layout = gtk_widget_create_pango_layout (widget, NULL);
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  {
    GtkStyleContext *context = gtk_widget_get_style_context (widget);
    GdkRGBA c;

    gtk_style_context_get_color (context, &c);
    p.fg = PB_COLOR_FROM (c);
    p.accent = gtk_style_context_lookup_color (context, "accent_color", &c)
               ? PB_COLOR_FROM (c) : pb_color_from_hex (0x3584e4);
  }
  G_GNUC_END_IGNORE_DEPRECATIONS

  pango_layout_set_markup (p.layout, "<small>softmax</small>", -1);
  pango_layout_get_pixel_size (p.layout, &gutter, &th);
  gutter += 8;
  labels_y = height - th - 3;
  lane1_top = 2;
  lane1_bottom = floor ((labels_y - 6) * 0.5);
  zero = floor ((lane1_top + lane1_bottom) / 2) + 0.5;
  lane2_top = lane1_bottom + 6 + th;
  lane2_bottom = labels_y - 3;
  slot = (width - gutter - (self->n_groups - 1) * GROUP_GAP) / (double) (self->n_groups * N_DIGITS);

  /* The lanes' names and scales. */
  pb_draw_set_color (p.cr, &p.fg, 0.7);
  scale_text = g_strdup_printf ("<small>%s\n±%.3g</small>", C_("chart lane", "logit"),
                                self->scale);
  text (&p, scale_text, 0, zero, 0, 0.5);
  {
    g_autofree char *m = g_strdup_printf ("<small>%s\n0–1</small>", C_("chart lane", "softmax"));
    text (&p, m, 0, (lane2_top + lane2_bottom) / 2, 0, 0.5);
  }

  pb_draw_set_color (p.cr, &p.fg, 0.35);
  cairo_set_line_width (p.cr, 1);
  cairo_move_to (p.cr, gutter, zero);
  cairo_line_to (p.cr, width, zero);
  cairo_move_to (p.cr, gutter, floor (lane2_bottom) + 0.5);
  cairo_line_to (p.cr, width, floor (lane2_bottom) + 0.5);
  cairo_stroke (p.cr);

  for (int g = 0; g < self->n_groups; g++)
    {
      const float *lg = self->logits + g * N_DIGITS;
      const float *pr = self->probs + g * N_DIGITS;
      int best = argmax (lg);
      double gx = gutter + g * (N_DIGITS * slot + GROUP_GAP);

      for (int d = 0; d < N_DIGITS; d++)
        {
          double x = gx + d * slot;
          double bw = MAX (2, floor (slot * 0.62));
          double bx = round (x + (slot - bw) / 2);
          double half = zero - lane1_top;
          double h = CLAMP (lg[d] / self->scale, -1, 1) * half;
          double ph = pr[d] * (lane2_bottom - lane2_top);
          double cx = x + slot / 2;
          g_autofree char *digit = NULL;

          /* Logit: signed from the zero line. */
          if (d == best)
            pb_draw_set_color (p.cr, &p.accent, 1);
          else
            pb_draw_set_color (p.cr, &p.fg, 0.5);
          cairo_rectangle (p.cr, bx, h >= 0 ? zero - h : zero, bw, fabs (h));
          cairo_fill (p.cr);

          /* Softmax: from the floor. */
          pb_draw_set_color (p.cr, &p.accent, d == best ? 1 : 0.45);
          cairo_rectangle (p.cr, bx, lane2_bottom - ph, bw, ph);
          cairo_fill (p.cr);
          if (d == best)
            {
              g_autofree char *m = g_strdup_printf ("<small>%.2f</small>", pr[d]);
              pb_draw_set_color (p.cr, &p.fg, 1);
              text (&p, m, cx, lane2_bottom - ph - 1, 0.5, 1);
            }

          /* The digit, bold when predicted, ringed when true. */
          pb_draw_set_color (p.cr, &p.fg, d == best ? 1 : 0.75);
          digit = d == best ? g_strdup_printf ("<b>%d</b>", d) : g_strdup_printf ("%d", d);
          text (&p, digit, cx, labels_y + 1, 0.5, 0);
          if (d == self->truth[g])
            {
              double r = th * 0.62;
              pb_draw_set_color (p.cr, &p.fg, 0.9);
              cairo_set_line_width (p.cr, 1.5);
              cairo_arc (p.cr, cx, labels_y + 1 + th / 2.0, r, 0, 2 * G_PI);
              cairo_stroke (p.cr);
            }
        }
    }

  g_object_unref (p.layout);
  cairo_destroy (p.cr);
}

static void
pb_logit_bars_measure (GtkWidget      *widget,
                       GtkOrientation  orientation,
                       int             for_size,
                       int            *minimum,
                       int            *natural,
                       int            *minimum_baseline,
                       int            *natural_baseline)
{
  PbLogitBars *self = PB_LOGIT_BARS (widget);
  int groups = MAX (self->n_groups, 1);

  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = 60 + groups * N_DIGITS * 12;
      *natural = 60 + groups * N_DIGITS * 24;
    }
  else
    *minimum = *natural = HEIGHT;
}

static void
pb_logit_bars_class_init (PbLogitBarsClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  widget_class->snapshot = pb_logit_bars_snapshot;
  widget_class->measure = pb_logit_bars_measure;
  gtk_widget_class_set_css_name (widget_class, "logitbars");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
pb_logit_bars_init (PbLogitBars *self)
{
  self->scale = 1;
}

GtkWidget *
pb_logit_bars_new (void)
{
  return g_object_new (PB_TYPE_LOGIT_BARS, NULL);
}

static void
update_accessible_label (PbLogitBars *self)
{
  GString *s = g_string_new (NULL);

  for (int g = 0; g < self->n_groups; g++)
    {
      int best = argmax (self->logits + g * N_DIGITS);

      if (g > 0)
        g_string_append (s, "; ");
      /* Translators: accessible description of a digit chart */
      g_string_append_printf (s, _("predicts %d with probability %.2f, true digit %d"), best,
                              self->probs[g * N_DIGITS + best], self->truth[g]);
    }
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  s->str, -1);
  g_string_free (s, TRUE);
}

void
pb_logit_bars_set (PbLogitBars  *self,
                   const float  *logits,
                   int           n_groups,
                   const guint8 *truth,
                   double        scale)
{
  g_return_if_fail (PB_IS_LOGIT_BARS (self));
  g_return_if_fail (n_groups >= 1 && n_groups <= MAX_GROUPS);

  if (self->n_groups != n_groups)
    gtk_widget_queue_resize (GTK_WIDGET (self));
  self->n_groups = n_groups;
  memcpy (self->logits, logits, sizeof (float) * n_groups * N_DIGITS);
  memcpy (self->truth, truth, n_groups);
  for (int g = 0; g < n_groups; g++)
    {
      const float *lg = logits + g * N_DIGITS;
      float *pr = self->probs + g * N_DIGITS;
      float m = lg[argmax (lg)];
      double sum = 0;

      for (int d = 0; d < N_DIGITS; d++)
        sum += pr[d] = expf (lg[d] - m);
      for (int d = 0; d < N_DIGITS; d++)
        pr[d] /= sum;
    }
  self->scale = scale > 0 && isfinite (scale) ? scale : 1;
  update_accessible_label (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
pb_logit_bars_clear (PbLogitBars *self)
{
  g_return_if_fail (PB_IS_LOGIT_BARS (self));
  self->n_groups = 0;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

const float *
pb_logit_bars_get_probabilities (PbLogitBars *self,
                                 int         *n_groups)
{
  g_return_val_if_fail (PB_IS_LOGIT_BARS (self), NULL);
  *n_groups = self->n_groups;
  return self->n_groups > 0 ? self->probs : NULL;
}

const float *
pb_logit_bars_get_logits (PbLogitBars *self,
                          int         *n_groups)
{
  g_return_val_if_fail (PB_IS_LOGIT_BARS (self), NULL);
  *n_groups = self->n_groups;
  return self->n_groups > 0 ? self->logits : NULL;
}
