/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pb-arch-diagram"

#include "config.h"

#include <math.h>
#include <glib/gi18n.h>

#include "pb-arch-diagram.h"
#include "pb-format.h"
#include "pb-draw.h"

#define ROW_H 34.0
#define GAP 18.0
#define MARGIN 6.0
#define AUX_H 16.0
#define TRUNK_H 50.0

struct _PbArchDiagram
{
  GtkWidget parent_instance;

  PbArch arch;
};

G_DEFINE_TYPE (PbArchDiagram, pb_arch_diagram, GTK_TYPE_WIDGET)

typedef struct
{
  cairo_t *cr;
  PangoLayout *layout;
  PbColor fg;
  PbColor accent;
  PbColor aux;
} Painter;

static void
centered_text (Painter    *p,
               const char *markup,
               double      cx,
               double      cy,
               double      max_w)
{
  int w, h;

  pango_layout_set_width (p->layout, (int) (max_w * PANGO_SCALE));
  pango_layout_set_ellipsize (p->layout, PANGO_ELLIPSIZE_END);
  pango_layout_set_alignment (p->layout, PANGO_ALIGN_CENTER);
  pango_layout_set_markup (p->layout, markup, -1);
  pango_layout_get_pixel_size (p->layout, &w, &h);
  cairo_move_to (p->cr, cx - max_w / 2, cy - h / 2.0);
  pango_cairo_show_layout (p->cr, p->layout);
}

static void
box (Painter       *p,
     double         x,
     double         y,
     double         w,
     double         h,
     const PbColor *tint,
     const char    *markup)
{
  pb_draw_rounded_rect (p->cr, floor (x) + .5, floor (y) + .5, floor (w), floor (h), 5);
  pb_draw_set_color (p->cr, tint, 0.16);
  cairo_fill_preserve (p->cr);
  pb_draw_set_color (p->cr, tint, 0.7);
  cairo_set_line_width (p->cr, 1);
  cairo_stroke (p->cr);
  pb_draw_set_color (p->cr, &p->fg, 1);
  centered_text (p, markup, x + w / 2, y + h / 2, w - 8);
}

static void
arrow (Painter *p,
       double   x0,
       double   y0,
       double   x1,
       double   y1)
{
  double a = atan2 (y1 - y0, x1 - x0);

  pb_draw_set_color (p->cr, &p->fg, 0.6);
  cairo_set_line_width (p->cr, 1.2);
  cairo_move_to (p->cr, x0, y0);
  cairo_line_to (p->cr, x1, y1);
  cairo_stroke (p->cr);
  cairo_move_to (p->cr, x1, y1);
  cairo_line_to (p->cr, x1 - 6 * cos (a - 0.45), y1 - 6 * sin (a - 0.45));
  cairo_line_to (p->cr, x1 - 6 * cos (a + 0.45), y1 - 6 * sin (a + 0.45));
  cairo_close_path (p->cr);
  cairo_fill (p->cr);
}

/* A pill under a digit box, towards the outside, where the auxiliary loss attaches. */
static void
aux_tag (Painter *p,
         double   box_x,
         double   box_w,
         double   y,
         gboolean left)
{
  double w = MIN (box_w * 0.62, 84), h = AUX_H;
  double bx = left ? box_x : box_x + box_w - w;
  double cx = bx + w / 2;
  double dashes[] = { 3, 2 };

  pb_draw_set_color (p->cr, &p->aux, 0.9);
  cairo_set_line_width (p->cr, 1.2);
  cairo_set_dash (p->cr, dashes, 2, 0);
  cairo_move_to (p->cr, cx, y);
  cairo_line_to (p->cr, cx, y + 6);
  cairo_stroke (p->cr);
  cairo_set_dash (p->cr, NULL, 0, 0);
  pb_draw_rounded_rect (p->cr, bx, y + 6, w, h, h / 2);
  cairo_fill (p->cr);
  cairo_set_source_rgb (p->cr, 1, 1, 1);
  {
    g_autofree char *m = g_markup_printf_escaped ("<small><b>%s</b></small>", _("aux CE"));
    centered_text (p, m, cx, y + 6 + h / 2, w);
  }
}

/* The trunk's layers in two short lines: the convolutions, then the fully connected part. */
static char *
trunk_markup (const PbArch *a,
              const char   *title,
              int           outputs,
              gboolean      compact)
{
  g_autofree char *conv = NULL;
  g_autofree char *fc = NULL;
  g_autofree char *act = NULL;

  if (compact)
    conv = g_strdup_printf (a->batch_norm ? _("conv %d×%d ×3 + BN") : _("conv %d×%d ×3"),
                            a->kernel, a->kernel);
  else
    /* Translators: the trunk's convolutions: kernel, the three widths, batch norm or not */
    conv = g_strdup_printf (a->batch_norm ? _("conv %d×%d: %d·%d·%d + BN")
                                          : _("conv %d×%d: %d·%d·%d, no BN"),
                            a->kernel, a->kernel, a->channels[0], a->channels[1], a->channels[2]);
  if (a->hidden_act == PB_HIDDEN_RELU && a->dropout > 0)
    act = g_strdup_printf (_(" ReLU, drop %g"), (double) a->dropout);
  else if (a->hidden_act == PB_HIDDEN_RELU)
    act = g_strdup (_(" ReLU"));
  else if (a->dropout > 0)
    act = g_strdup_printf (_(" drop %g"), (double) a->dropout);
  else
    act = g_strdup ("");
  fc = g_strdup_printf ("fc %d%s → %d", a->hidden, act, outputs);
  return g_markup_printf_escaped ("%s\n<small>%s\n%s</small>", title, conv, fc);
}

static void
pb_arch_diagram_draw (PbArchDiagram *self,
                      cairo_t       *cr,
                      double         width)
{
  Painter p = { cr, gtk_widget_create_pango_layout (GTK_WIDGET (self), NULL) };
  const PbArch *a = &self->arch;
  double inner_l = MARGIN, inner_r = width - MARGIN;
  double inner_w = inner_r - inner_l;
  double bw = inner_w * 0.47;
  double c1 = inner_l + bw / 2, c2 = inner_r - bw / 2;
  double y = MARGIN;
  g_autofree char *m = NULL;
  gboolean stacked = a->kind == PB_KIND_STACKED;

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  {
    GtkStyleContext *context = gtk_widget_get_style_context (GTK_WIDGET (self));
    GdkRGBA c;

    gtk_style_context_get_color (context, &c);
    p.fg = PB_COLOR_FROM (c);
    p.accent = gtk_style_context_lookup_color (context, "accent_color", &c)
               ? PB_COLOR_FROM (c) : pb_color_from_hex (0x3584e4);
    p.aux = gtk_style_context_lookup_color (context, "orange_3", &c)
            ? PB_COLOR_FROM (c) : pb_color_from_hex (0xff7800);
  }
  G_GNUC_END_IGNORE_DEPRECATIONS

  /* Inputs. */
  m = g_markup_printf_escaped ("%s\n<small>14×14</small>", _("Image 1"));
  box (&p, c1 - bw / 2, y, bw, ROW_H, &p.fg, m);
  g_free (m);
  m = g_markup_printf_escaped ("%s\n<small>14×14</small>", _("Image 2"));
  box (&p, c2 - bw / 2, y, bw, ROW_H, &p.fg, m);
  g_free (m);
  y += ROW_H;

  if (stacked)
    {
      arrow (&p, c1, y, c1, y + GAP);
      arrow (&p, c2, y, c2, y + GAP);
      y += GAP;
      m = g_markup_printf_escaped ("%s\n<small>%s</small>", _("Two-channel stack"),
                                   _("2×14×14, one image"));
      box (&p, inner_l, y, inner_w, ROW_H, &p.fg, m);
      g_free (m);
      y += ROW_H;
      arrow (&p, width / 2, y, width / 2, y + GAP);
      y += GAP;
      m = trunk_markup (a, _("One trunk"), 20, FALSE);
      box (&p, inner_l, y, inner_w, TRUNK_H, &p.accent, m);
      g_free (m);
      y += TRUNK_H;
    }
  else if (a->kind == PB_KIND_SIAMESE)
    {
      arrow (&p, c1, y, c1, y + GAP);
      arrow (&p, c2, y, c2, y + GAP);
      y += GAP;
      m = trunk_markup (a, _("Shared trunk (same weights)"), 10, FALSE);
      box (&p, inner_l, y, inner_w, TRUNK_H, &p.accent, m);
      g_free (m);
      y += TRUNK_H;
    }
  else
    {
      arrow (&p, c1, y, c1, y + GAP);
      arrow (&p, c2, y, c2, y + GAP);
      y += GAP;
      m = trunk_markup (a, _("Trunk 1"), 10, TRUE);
      box (&p, c1 - bw / 2, y, bw, TRUNK_H, &p.accent, m);
      g_free (m);
      m = trunk_markup (a, _("Trunk 2"), 10, TRUE);
      box (&p, c2 - bw / 2, y, bw, TRUNK_H, &p.accent, m);
      g_free (m);
      y += TRUNK_H;
    }

  /* Digit logits, where the auxiliary losses attach. */
  arrow (&p, c1, y, c1, y + GAP);
  arrow (&p, c2, y, c2, y + GAP);
  y += GAP;
  m = g_markup_printf_escaped ("%s\n<small>%s</small>", _("Digit 1 logits"), _("10 classes"));
  box (&p, c1 - bw / 2, y, bw, ROW_H, &p.fg, m);
  g_free (m);
  m = g_markup_printf_escaped ("%s\n<small>%s</small>", _("Digit 2 logits"), _("10 classes"));
  box (&p, c2 - bw / 2, y, bw, ROW_H, &p.fg, m);
  g_free (m);
  y += ROW_H;
  if (a->aux)
    {
      aux_tag (&p, c1 - bw / 2, bw, y, TRUE);
      aux_tag (&p, c2 - bw / 2, bw, y, FALSE);
    }

  arrow (&p, c1 + bw * 0.3, y, width / 2 - 10, y + GAP + AUX_H + 6);
  arrow (&p, c2 - bw * 0.3, y, width / 2 + 10, y + GAP + AUX_H + 6);
  y += GAP + AUX_H + 6;
  switch (a->rule)
    {
    case PB_RULE_POSTERIOR:
      m = g_markup_printf_escaped ("%s\n<small>%s</small>", _("Digit posterior"),
                                   _("Σ p₁(i)·p₂(j) over i > j, main CE"));
      break;
    case PB_RULE_BOTH:
      m = g_markup_printf_escaped ("%s\n<small>%s</small>", _("Head + posterior"),
                                   _("linear 20 → 2 and Σ p₁·p₂, averaged"));
      break;
    case PB_RULE_HEAD:
    default:
      m = g_markup_printf_escaped ("%s\n<small>%s</small>", _("Head"),
                                   _("linear 20 → 2, main CE"));
      break;
    }
  box (&p, width / 2 - inner_w * 0.4, y, inner_w * 0.8, ROW_H,
       a->rule == PB_RULE_HEAD ? &p.fg : &p.accent, m);
  g_free (m);
  y += ROW_H;
  arrow (&p, width / 2, y, width / 2, y + GAP - 4);
  y += GAP;

  pb_draw_set_color (cr, &p.fg, 1);
  {
    g_autofree char *count = pb_format_count (pb_arch_param_count (a));
    m = g_markup_printf_escaped ("%s · <b>%s</b>", _("first > second?"),
                                 count);
    centered_text (&p, m, width / 2, y + 8, width - 2 * MARGIN);
    g_free (m);
    m = g_markup_printf_escaped ("<small>%s</small>", _("trainable parameters"));
    pb_draw_set_color (cr, &p.fg, 0.7);
    centered_text (&p, m, width / 2, y + 26, width - 2 * MARGIN);
  }

  g_object_unref (p.layout);
}

static int
diagram_height (PbArchDiagram *self)
{
  int rows = self->arch.kind == PB_KIND_STACKED ? 5 : 4;

  return (int) (2 * MARGIN + (rows - 1) * ROW_H + TRUNK_H + rows * GAP + AUX_H + 6 + 36);
}

static void
pb_arch_diagram_snapshot (GtkWidget   *widget,
                          GtkSnapshot *snapshot)
{
  PbArchDiagram *self = PB_ARCH_DIAGRAM (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  cairo_t *cr;

  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  pb_arch_diagram_draw (self, cr, width);
  cairo_destroy (cr);
}

static void
pb_arch_diagram_measure (GtkWidget      *widget,
                         GtkOrientation  orientation,
                         int             for_size,
                         int            *minimum,
                         int            *natural,
                         int            *minimum_baseline,
                         int            *natural_baseline)
{
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    *minimum = 260, *natural = 320;
  else
    *minimum = *natural = diagram_height (PB_ARCH_DIAGRAM (widget));
}

static void
pb_arch_diagram_css_changed (GtkWidget         *widget,
                             GtkCssStyleChange *change)
{
  GTK_WIDGET_CLASS (pb_arch_diagram_parent_class)->css_changed (widget, change);
  gtk_widget_queue_draw (widget);
}

static void
pb_arch_diagram_class_init (PbArchDiagramClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  widget_class->snapshot = pb_arch_diagram_snapshot;
  widget_class->measure = pb_arch_diagram_measure;
  widget_class->css_changed = pb_arch_diagram_css_changed;

  gtk_widget_class_set_css_name (widget_class, "archdiagram");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
update_accessible (PbArchDiagram *self)
{
  const char *shape, *rule;
  g_autofree char *text = NULL;
  g_autofree char *count = NULL;

  switch (self->arch.kind)
    {
    case PB_KIND_SIAMESE:
      shape = _("Both images go through one shared trunk");
      break;
    case PB_KIND_TWIN:
      shape = _("Each image goes through its own trunk");
      break;
    case PB_KIND_STACKED:
    default:
      shape = _("The two images are stacked as one two-channel image");
      break;
    }
  count = pb_format_count (pb_arch_param_count (&self->arch));
  switch (self->arch.rule)
    {
    case PB_RULE_POSTERIOR:
      rule = _("the pair’s label is the posterior of the two digit predictions");
      break;
    case PB_RULE_BOTH:
      rule = _("the pair’s label averages a linear head and the digit posterior");
      break;
    case PB_RULE_HEAD:
    default:
      rule = _("the digit logits feed a linear head");
      break;
    }
  /* Translators: the diagram's description for screen readers */
  text = g_strdup_printf (self->arch.aux
                            ? _("%s (kernel %d, %d·%d·%d channels, hidden width %d); %s, with "
                                "auxiliary digit losses; %s trainable parameters")
                            : _("%s (kernel %d, %d·%d·%d channels, hidden width %d); %s; %s "
                                "trainable parameters"),
                          shape, self->arch.kernel, self->arch.channels[0],
                          self->arch.channels[1], self->arch.channels[2], self->arch.hidden, rule,
                          count);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Architecture diagram"),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, text,
                                  -1);
}

static void
pb_arch_diagram_init (PbArchDiagram *self)
{
  PbError err;

  if (pb_arch_from_name ("siamese-aux", &self->arch, &err) != PB_OK)
    g_critical ("%s", err.message);
  update_accessible (self);
}

GtkWidget *
pb_arch_diagram_new (void)
{
  return g_object_new (PB_TYPE_ARCH_DIAGRAM, NULL);
}

void
pb_arch_diagram_set_arch (PbArchDiagram *self,
                          const PbArch  *arch)
{
  g_return_if_fail (PB_IS_ARCH_DIAGRAM (self));
  g_return_if_fail (arch != NULL);

  self->arch = *arch;
  update_accessible (self);
  gtk_widget_queue_resize (GTK_WIDGET (self));
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

const PbArch *
pb_arch_diagram_get_arch (PbArchDiagram *self)
{
  g_return_val_if_fail (PB_IS_ARCH_DIAGRAM (self), NULL);
  return &self->arch;
}
