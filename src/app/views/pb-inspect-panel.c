/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pb-inspect-view"

#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n.h>
#include <adwaita.h>

#include "pb-inspect-panel.h"
#include "pb-debug.h"
#include "pb-format.h"
#include "pb-style.h"

/* The wanted size in pixels of one enlarged image per row. */
#define INPUT_CELL 56
#define FILTER_CELL 32
static const int map_cells[PB_N_CONV] = { 36, 15, 12 };

/* Pango markup for a legend of a colour scale: a few swatches and the ends. */
static char *
scale_legend (PbFeatureScale scale,
              double         vmax)
{
  GString *s = g_string_new (NULL);
  const double stops_div[] = { -1, -0.5, 0, 0.5, 1 };
  const double stops_seq[] = { 0, 0.25, 0.5, 0.75, 1 };
  const double *stops = scale == PB_FEATURE_SCALE_DIVERGING ? stops_div : stops_seq;

  if (scale == PB_FEATURE_SCALE_DIVERGING)
    g_string_append_printf (s, "−%.2g ", vmax);
  else
    g_string_append (s, "0 ");
  for (int i = 0; i < 5; i++)
    {
      double r, g, b;

      pb_feature_scale_color (scale, stops[i] * vmax, vmax, &r, &g, &b);
      g_string_append_printf (s, "<span foreground=\"#%02x%02x%02x\">█</span>",
                              (int) lround (r * 255), (int) lround (g * 255),
                              (int) lround (b * 255));
    }
  g_string_append_printf (s, scale == PB_FEATURE_SCALE_DIVERGING ? " +%.2g" : " %.2g", vmax);
  return g_string_free (s, FALSE);
}

static void
set_caption (GtkLabel   *label,
             const char *title,
             const char *detail,
             char       *legend)
{
  g_autofree char *markup = NULL;
  g_autofree char *t = g_markup_escape_text (title, -1);
  g_autofree char *d = g_markup_escape_text (detail, -1);

  if (legend != NULL)
    markup = g_strdup_printf ("<b>%s</b>  <span alpha=\"70%%\">%s</span>   %s", t, d, legend);
  else
    markup = g_strdup_printf ("<b>%s</b>  <span alpha=\"70%%\">%s</span>", t, d);
  gtk_label_set_markup (label, markup);
  g_free (legend);
}

static GtkLabel *
caption_label (void)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_widget_set_margin_top (label, 6);
  gtk_widget_add_css_class (label, "caption");
  return GTK_LABEL (label);
}

void
pb_inspect_panel_init (PbInspectPanel *p)
{
  memset (p, 0, sizeof *p);
  p->inspector = pb_inspector_new ();
  p->head_prob = NAN;
}

void
pb_inspect_panel_destroy_widgets (PbInspectPanel *p)
{
  if (p->root != NULL)
    gtk_box_remove (GTK_BOX (gtk_widget_get_parent (p->root)), p->root);
  p->root = NULL;
  p->n_cols = 0;
}

void
pb_inspect_panel_clear (PbInspectPanel *p)
{
  pb_inspect_panel_destroy_widgets (p);
  g_clear_object (&p->inspector);
  p->item = NULL;
}

static void
panel_build (PbInspectPanel *p,
             GtkBox         *box,
             int             n_cols,
             gboolean        first)
{
  GtkWidget *header = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkGrid *grid = GTK_GRID (gtk_grid_new ());
  GtkWidget *head_box;
  int row = 0;

  pb_inspect_panel_destroy_widgets (p);
  p->n_cols = n_cols;
  p->root = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  gtk_widget_set_valign (p->root, GTK_ALIGN_START);

  p->title = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (p->title, 0);
  gtk_widget_add_css_class (GTK_WIDGET (p->title), "title-4");
  p->subtitle = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (p->subtitle, 0);
  gtk_label_set_ellipsize (p->subtitle, PANGO_ELLIPSIZE_END);
  gtk_widget_set_hexpand (GTK_WIDGET (p->subtitle), TRUE);
  gtk_widget_set_valign (GTK_WIDGET (p->title), GTK_ALIGN_BASELINE);
  gtk_widget_set_valign (GTK_WIDGET (p->subtitle), GTK_ALIGN_BASELINE);
  gtk_widget_add_css_class (GTK_WIDGET (p->subtitle), "dim-label");
  gtk_box_append (GTK_BOX (header), GTK_WIDGET (p->title));
  gtk_box_append (GTK_BOX (header), GTK_WIDGET (p->subtitle));
  gtk_box_append (GTK_BOX (p->root), header);

  p->message = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (p->message, TRUE);
  gtk_label_set_xalign (p->message, 0);
  gtk_widget_set_margin_top (GTK_WIDGET (p->message), 24);
  gtk_box_append (GTK_BOX (p->root), GTK_WIDGET (p->message));

  gtk_grid_set_column_homogeneous (grid, TRUE);
  gtk_grid_set_column_spacing (grid, 16);
  gtk_grid_set_row_spacing (grid, 4);
  p->body = GTK_WIDGET (grid);
  gtk_box_append (GTK_BOX (p->root), p->body);

  for (int c = 0; c < n_cols; c++)
    {
      p->col_labels[c] = GTK_LABEL (gtk_label_new (NULL));
      gtk_grid_attach (grid, GTK_WIDGET (p->col_labels[c]), c, row, 1, 1);
      p->inputs[c] = PB_FEATURE_GRID (pb_feature_grid_new (PB_FEATURE_SCALE_GRAY, INPUT_CELL));
      gtk_grid_attach (grid, GTK_WIDGET (p->inputs[c]), c, row + 1, 1, 1);
    }
  row += 2;

  p->filter_caption = caption_label ();
  gtk_grid_attach (grid, GTK_WIDGET (p->filter_caption), 0, row++, n_cols, 1);
  for (int c = 0; c < n_cols; c++)
    {
      p->filters[c] = PB_FEATURE_GRID (pb_feature_grid_new (PB_FEATURE_SCALE_DIVERGING,
                                                            FILTER_CELL));
      gtk_grid_attach (grid, GTK_WIDGET (p->filters[c]), c, row, 1, 1);
    }
  row++;

  for (int l = 0; l < PB_N_CONV; l++)
    {
      p->map_captions[l] = caption_label ();
      gtk_grid_attach (grid, GTK_WIDGET (p->map_captions[l]), 0, row++, n_cols, 1);
      for (int c = 0; c < n_cols; c++)
        {
          p->maps[l][c] = PB_FEATURE_GRID (pb_feature_grid_new (PB_FEATURE_SCALE_SEQUENTIAL,
                                                                map_cells[l]));
          gtk_grid_attach (grid, GTK_WIDGET (p->maps[l][c]), c, row, 1, 1);
        }
      row++;
    }

  p->logit_caption = caption_label ();
  gtk_grid_attach (grid, GTK_WIDGET (p->logit_caption), 0, row++, n_cols, 1);
  for (int c = 0; c < n_cols; c++)
    {
      p->bars[c] = PB_LOGIT_BARS (pb_logit_bars_new ());
      gtk_grid_attach (grid, GTK_WIDGET (p->bars[c]), c, row, 1, 1);
    }
  row++;

  head_box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  gtk_widget_set_margin_top (head_box, 6);
  p->head_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (p->head_label, 0);
  gtk_label_set_wrap (p->head_label, TRUE);
  p->head_bar = GTK_LEVEL_BAR (gtk_level_bar_new_for_interval (0, 1));
  /* One colour whatever the value: the level is a probability, not a fill gauge. */
  gtk_level_bar_remove_offset_value (p->head_bar, GTK_LEVEL_BAR_OFFSET_LOW);
  gtk_level_bar_remove_offset_value (p->head_bar, GTK_LEVEL_BAR_OFFSET_HIGH);
  gtk_level_bar_remove_offset_value (p->head_bar, GTK_LEVEL_BAR_OFFSET_FULL);
  gtk_box_append (GTK_BOX (head_box), GTK_WIDGET (p->head_label));
  gtk_box_append (GTK_BOX (head_box), GTK_WIDGET (p->head_bar));
  gtk_grid_attach (grid, head_box, 0, row, n_cols, 1);

  /* Keep the run's panel first. */
  if (first)
    gtk_box_prepend (box, p->root);
  else
    gtk_box_append (box, p->root);
}

static char *
run_color_markup (GtkWidget *widget,
                  PbRunItem *item)
{
  GdkRGBA c;

  pb_run_color (widget, pb_run_item_get_color_index (item), &c);
  return g_strdup_printf ("<span foreground=\"#%02x%02x%02x\">●</span>",
                          (int) lround (c.red * 255), (int) lround (c.green * 255),
                          (int) lround (c.blue * 255));
}

static void
panel_set_header (PbInspectPanel *p,
                  GtkWidget      *widget,
                  gboolean        has_weights)
{
  PbRunItem *item = p->item;
  g_autofree char *dot = run_color_markup (widget, item);
  g_autofree char *label = g_markup_escape_text (pb_run_item_get_label (item), -1);
  g_autofree char *title = g_strdup_printf ("%s %s", dot, label);
  g_autofree char *params = pb_format_count (pb_run_item_get_param_count (item));
  g_autofree char *when = NULL;
  g_autofree char *subtitle = NULL;
  int planned = pb_run_item_get_settings (item)->epochs;

  gtk_label_set_markup (p->title, title);
  if (pb_run_item_get_loaded_path (item) != NULL)
    {
      g_autofree char *base = g_path_get_basename (pb_run_item_get_loaded_path (item));
      /* Translators: where the shown weights come from */
      when = g_strdup_printf (_("weights from %s"), base);
    }
  else if (!has_weights)
    when = g_strdup (_("no weights yet"));
  else if (pb_run_item_get_status (item) == PB_RUN_STATUS_RUNNING)
    /* Translators: the shown weights of a run that is still training */
    when = g_strdup_printf (_("weights after epoch %d of %d, still training"), p->epoch, planned);
  else
    when = g_strdup_printf (ngettext ("weights after %d epoch", "weights after %d epochs",
                                      p->epoch), p->epoch);
  /* Translators: "twin · 142 588 parameters · weights after 5 epochs" */
  subtitle = g_strdup_printf (_("%s · %s parameters · %s"), pb_run_item_get_arch_name (item),
                              params, when);
  gtk_label_set_label (p->subtitle, subtitle);
  gtk_widget_set_tooltip_text (GTK_WIDGET (p->subtitle), subtitle);
}

static const char *
trunk_name (const PbInspection *in,
            int                 column)
{
  switch (in->kind)
    {
    case PB_KIND_TWIN:
      return in->trunk_prefix[column];
    case PB_KIND_SIAMESE:
      return _("shared trunk");
    case PB_KIND_STACKED:
    default:
      return _("two-channel trunk");
    }
}

static double
max_abs (const float *v,
         gsize        n)
{
  double m = 0;

  for (gsize i = 0; i < n; i++)
    if (isfinite (v[i]))
      m = MAX (m, fabs (v[i]));
  return m > 0 ? m : 1;
}

/* Fills the panel from the inspection; builds its widgets for in's columns first. */
static void
panel_show (PbInspectPanel     *p,
            GtkBox             *box,
            gboolean            first,
            const PbInspection *in)
{
  int n_cols = in->n_columns;
  int k = in->kernel;

  if (p->n_cols != n_cols)
    panel_build (p, box, n_cols, first);
  p->epoch = in->epoch;

  /* Inputs and the column headings: which trunk processed which image. */
  for (int c = 0; c < n_cols; c++)
    {
      g_autofree char *heading = NULL;

      p->trunk[c] = trunk_name (in, c);
      if (n_cols == 1)
        /* Translators: a column heading: both images go through the trunk named after the dot */
        heading = g_markup_printf_escaped (_("<b>Images 1 and 2</b> as two channels → %s"),
                                           p->trunk[c]);
      else
        /* Translators: a column heading, e.g. "Image 1 → trunk_a" */
        heading = g_markup_printf_escaped (_("<b>Image %d</b> → %s"), c + 1, p->trunk[c]);
      gtk_label_set_markup (p->col_labels[c], heading);
      pb_feature_grid_set_maps (p->inputs[c],
                                in->images + (n_cols == 1 ? 0 : c * PB_IMAGE_PIXELS), 1,
                                n_cols == 1 ? 2 : 1, PB_IMAGE_SIDE, 255);
      gtk_accessible_update_property (GTK_ACCESSIBLE (p->inputs[c]),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      gtk_label_get_text (p->col_labels[c]), -1);
    }

  /* conv1 filters on one scale for the whole run, so twin's two trunks compare. */
  {
    double vmax = 0;
    const char *detail;
    g_autofree char *title = NULL;

    for (int c = 0; c < n_cols; c++)
      vmax = MAX (vmax, max_abs (in->filters[c], in->filter_size));
    for (int c = 0; c < n_cols; c++)
      {
        g_autofree char *a11y = NULL;

        pb_feature_grid_set_maps (p->filters[c], in->filters[c], in->channels[0],
                                  in->filter_group, k, vmax);
        /* Translators: accessible label, e.g. "conv1 filters of trunk_a: 16 of 2×2" */
        a11y = g_strdup_printf (_("conv1 filters of %s: %d of %d×%d"), p->trunk[c],
                                in->channels[0], k, k);
        gtk_accessible_update_property (GTK_ACCESSIBLE (p->filters[c]),
                                        GTK_ACCESSIBLE_PROPERTY_LABEL, a11y, -1);
      }
    switch (in->kind)
      {
      case PB_KIND_SIAMESE:
        detail = _("one set of weights, used for both images");
        break;
      case PB_KIND_TWIN:
        detail = _("each trunk learns its own");
        break;
      case PB_KIND_STACKED:
      default:
        detail = _("each filter sees both images: channel 1 | channel 2");
        break;
      }
    title = g_strdup_printf (_("conv1 filters (%d of %d×%d)"), in->channels[0], k, k);
    set_caption (p->filter_caption, title, detail,
                 scale_legend (PB_FEATURE_SCALE_DIVERGING, vmax));
  }

  /* Feature maps, one scale per layer across the columns. */
  for (int l = 0; l < PB_N_CONV; l++)
    {
      int side = in->map_side[l];
      int ch = in->channels[l];
      gsize size = (gsize) ch * side * side;
      g_autofree char *title = NULL;
      double vmax = max_abs (in->maps[l], size * n_cols);

      for (int c = 0; c < n_cols; c++)
        {
          g_autofree char *a11y = NULL;

          pb_feature_grid_set_maps (p->maps[l][c], in->maps[l] + c * size, ch, 1, side, vmax);
          /* Translators: accessible label, e.g. "conv2 feature maps of image 1 in trunk_a: 64
           * of 3×3" */
          a11y = g_strdup_printf (_("conv%d feature maps of image %d in %s: %d of %d×%d"), l + 1,
                                  c + 1, p->trunk[c], ch, side, side);
          gtk_accessible_update_property (GTK_ACCESSIBLE (p->maps[l][c]),
                                          GTK_ACCESSIBLE_PROPERTY_LABEL, a11y, -1);
        }
      /* Translators: "conv2 feature maps (64 of 3×3)" */
      title = g_strdup_printf (_("conv%d feature maps (%d of %d×%d)"), l + 1, ch, side, side);
      set_caption (p->map_captions[l], title, _("after batch norm, max-pool and ReLU"),
                   scale_legend (PB_FEATURE_SCALE_SEQUENTIAL, vmax));
    }

  /* Digit logits: [1, 20], image 1's ten then image 2's. */
  {
    double scale = max_abs (in->digit_logits, 20);

    for (int c = 0; c < n_cols; c++)
      {
        g_autofree char *a11y = n_cols == 1
          ? g_strdup (_("Digit logits of both images"))
          /* Translators: accessible label of a chart */
          : g_strdup_printf (_("Digit logits of image %d"), c + 1);

        pb_logit_bars_set (p->bars[c], in->digit_logits + 10 * c, n_cols == 1 ? 2 : 1,
                           in->classes + c, scale);
        gtk_accessible_update_property (GTK_ACCESSIBLE (p->bars[c]),
                                        GTK_ACCESSIBLE_PROPERTY_LABEL, a11y, -1);
      }
    set_caption (p->logit_caption, _("fc2 digit logits and their softmax"),
                 n_cols == 1 ? _("image 1’s ten digits, then image 2’s; the ring marks the "
                                 "true digit")
                             : _("the ring marks the true digit"),
                 NULL);
  }

  /* The head. */
  {
    double prob = in->head_probability;
    int predicted = prob > 0.5;
    g_autofree char *markup = NULL;

    p->head_prob = prob;
    /* Translators: the head's output; "Head  P(first > second) = 0.873 → predicts 1 · right" */
    markup = g_markup_printf_escaped (_("<b>Head</b>  P(first &gt; second) = %.3f → predicts %d · "
                                        "%s"),
                                      prob, predicted,
                                      predicted == in->label ? _("right") : _("wrong"));
    gtk_label_set_markup (p->head_label, markup);
    gtk_widget_remove_css_class (GTK_WIDGET (p->head_label), "success");
    gtk_widget_remove_css_class (GTK_WIDGET (p->head_label), "error");
    gtk_widget_add_css_class (GTK_WIDGET (p->head_label),
                              predicted == in->label ? "success" : "error");
    gtk_level_bar_set_value (p->head_bar, prob);
    gtk_accessible_update_property (GTK_ACCESSIBLE (p->head_bar), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                    _("P(first > second)"), -1);
  }
}

void
pb_inspect_panel_update (PbInspectPanel *p,
                         GtkBox         *box,
                         gboolean        first,
                         const PbPairs  *pairs,
                         int             pair)
{
  PbInspection in;
  g_autoptr(GError) error = NULL;
  gboolean ok;
  gint64 t0 = g_get_monotonic_time (), t1;

  if (p->item == NULL)
    {
      pb_inspect_panel_destroy_widgets (p);
      return;
    }
  p->head_prob = NAN;
  ok = pb_inspector_set_run (p->inspector, p->item, &error) && pairs != NULL;
  t1 = g_get_monotonic_time ();
  ok = ok && pb_inspector_inspect (p->inspector, pairs, pair, &in, &error);
  if (error != NULL)
    g_warning ("Could not inspect %s: %s", pb_run_item_get_label (p->item), error->message);
  if (pb_debug_timing ())
    g_message ("inspect: weights %.3f ms, forward %.3f ms", (t1 - t0) / 1000.0,
               (g_get_monotonic_time () - t1) / 1000.0);
  if (ok)
    panel_show (p, box, first, &in);
  else
    p->epoch = 0;
  if (p->root == NULL)
    panel_build (p, box, 1, first);
  panel_set_header (p, GTK_WIDGET (box), ok);
  gtk_widget_set_visible (p->body, ok);
  gtk_widget_set_visible (GTK_WIDGET (p->message), !ok);
  if (!ok)
    gtk_label_set_label (p->message,
                         pb_run_item_get_status (p->item) == PB_RUN_STATUS_RUNNING
                           ? _("The network appears here when the first epoch ends.")
                           : _("This run has no weights: it ended before training."));
}
