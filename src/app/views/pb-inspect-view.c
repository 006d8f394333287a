/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pb-inspect-view"

#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n.h>
#include <adwaita.h>

#include "pb-debug.h"
#include "pb-feature-grid.h"
#include "pb-format.h"
#include "pb-inspect-view.h"
#include "pb-logit-bars.h"
#include "pb-style.h"

#define N_PANELS 2
#define MAX_COLS 2

/* The wanted size in pixels of one enlarged image per row. */
#define INPUT_CELL 56
#define FILTER_CELL 32
static const int map_cells[PB_N_CONV] = { 36, 15, 12 };

typedef struct
{
  PbRunItem *item;
  PbModel *model;      /* a private copy for one pair, so the run's own model is never touched */
  int n_cols;          /* the columns the widgets were built for, 0 before */
  int epoch;
  double head_prob;
  const char *trunk[MAX_COLS];

  GtkWidget *root;
  GtkLabel *title;
  GtkLabel *subtitle;
  GtkLabel *message;
  GtkWidget *body;
  GtkLabel *col_labels[MAX_COLS];
  PbFeatureGrid *inputs[MAX_COLS];
  GtkLabel *filter_caption;
  PbFeatureGrid *filters[MAX_COLS];
  GtkLabel *map_captions[PB_N_CONV];
  PbFeatureGrid *maps[PB_N_CONV][MAX_COLS];
  GtkLabel *logit_caption;
  PbLogitBars *bars[MAX_COLS];
  GtkLabel *head_label;
  GtkLevelBar *head_bar;
} Panel;

struct _PbInspectView
{
  GtkWidget parent_instance;

  GListModel *runs;
  GPtrArray *choices;          /* PbRunItem, in the drop-downs' order */
  PbRunItem *run;
  PbRunItem *compare;
  int pair;
  gboolean updating_choices;
  gboolean dirty;
  guint n_updates;
  Panel panels[N_PANELS];

  GtkDropDown *run_dropdown;
  GtkDropDown *compare_dropdown;
  GtkSpinButton *pair_spin;
  GtkAdjustment *pair_adjustment;
  GtkLabel *pair_label;
  GtkStack *content_stack;
  AdwStatusPage *status_page;
  GtkBox *panels_box;
};

G_DEFINE_TYPE (PbInspectView, pb_inspect_view, GTK_TYPE_WIDGET)

static void refresh (PbInspectView *self);

/* The weights to show: the trained or loaded model, else the last epoch's snapshot of a run
 * that is training. */
static gboolean
run_weights (PbRunItem      *item,
             PbModel       **model,
             double         *mean,
             double         *std,
             const PbPairs **test,
             int            *epoch)
{
  guint ne;

  if (pb_run_item_get_model (item) != NULL)
    {
      *model = pb_run_item_get_model (item);
      pb_run_item_get_input_stats (item, mean, std);
      *test = pb_run_item_get_test_pairs (item);
      pb_run_item_get_epochs (item, &ne);
      *epoch = (int) ne;
      return *test != NULL;
    }
  return pb_run_item_get_snapshot (item, model, epoch, mean, std, test);
}

static const PbPairs *
run_test_pairs (PbRunItem *item)
{
  PbModel *model;
  double mean, std;
  const PbPairs *test = NULL;
  int epoch;

  if (item == NULL || !run_weights (item, &model, &mean, &std, &test, &epoch))
    return NULL;
  return test;
}

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

static void
panel_destroy_widgets (Panel *p)
{
  if (p->root != NULL)
    gtk_box_remove (GTK_BOX (gtk_widget_get_parent (p->root)), p->root);
  p->root = NULL;
  p->n_cols = 0;
}

static void
panel_build (PbInspectView *self,
             Panel         *p,
             int            n_cols,
             int            index)
{
  GtkWidget *header = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkGrid *grid = GTK_GRID (gtk_grid_new ());
  GtkWidget *head_box;
  int row = 0;

  panel_destroy_widgets (p);
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
  if (index == 0)
    gtk_box_prepend (self->panels_box, p->root);
  else
    gtk_box_append (self->panels_box, p->root);
}

static char *
run_color_markup (PbInspectView *self,
                  PbRunItem     *item)
{
  GdkRGBA c;

  pb_run_color (GTK_WIDGET (self), pb_run_item_get_color_index (item), &c);
  return g_strdup_printf ("<span foreground=\"#%02x%02x%02x\">●</span>",
                          (int) lround (c.red * 255), (int) lround (c.green * 255),
                          (int) lround (c.blue * 255));
}

static void
panel_set_header (PbInspectView *self,
                  Panel         *p,
                  gboolean       has_weights)
{
  PbRunItem *item = p->item;
  g_autofree char *dot = run_color_markup (self, item);
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
trunk_name (const PbModel *model,
            int            column)
{
  switch (pb_model_arch (model)->kind)
    {
    case PB_KIND_TWIN:
      return pb_model_trunk_prefix (model, column);
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

static gboolean
panel_compute (PbInspectView *self,
               Panel         *p,
               const PbPairs *pairs,
               int            pair)
{
  PbModel *src;
  const PbPairs *own_test;
  const PbArch *arch;
  double mean, std;
  float x[PB_PAIR_FLOATS];
  const float *image;
  const guint8 *classes;
  int n_cols, trunk_of[MAX_COLS];
  float *filters[MAX_COLS];
  gsize filter_size;
  int filter_group, k;
  PbError err = { { 0 } };

  p->head_prob = NAN;
  if (!run_weights (p->item, &src, &mean, &std, &own_test, &p->epoch) || pairs == NULL ||
      !(std > 0))
    {
      p->epoch = 0;
      return FALSE;
    }
  arch = pb_model_arch (src);
  if (p->model != NULL && memcmp (pb_model_arch (p->model), arch, sizeof *arch) != 0)
    g_clear_pointer (&p->model, pb_model_free);
  if (p->model == NULL && pb_model_new (arch, 1, &p->model, &err) != PB_OK)
    {
      g_warning ("Could not build the model to inspect: %s", err.message);
      return FALSE;
    }
  pb_model_copy_weights (p->model, src);

  n_cols = pb_model_n_applications (p->model);
  if (p->n_cols != n_cols)
    panel_build (self, p, n_cols, p == &self->panels[0] ? 0 : 1);

  image = pairs->images + (gsize) pair * PB_PAIR_FLOATS;
  classes = pairs->classes + 2 * pair;
  for (int i = 0; i < PB_PAIR_FLOATS; i++)
    x[i] = (image[i] - (float) mean) * (float) (1.0 / std);
  pb_model_forward (p->model, x, 1, false, NULL);

  /* Inputs and the column headings: which trunk processed which image. */
  for (int c = 0; c < n_cols; c++)
    {
      g_autofree char *heading = NULL;

      trunk_of[c] = arch->kind == PB_KIND_TWIN ? c : 0;
      p->trunk[c] = trunk_name (p->model, c);
      if (n_cols == 1)
        /* Translators: a column heading: both images go through the trunk named after the dot */
        heading = g_markup_printf_escaped (_("<b>Images 1 and 2</b> as two channels → %s"),
                                           p->trunk[c]);
      else
        /* Translators: a column heading, e.g. "Image 1 → trunk_a" */
        heading = g_markup_printf_escaped (_("<b>Image %d</b> → %s"), c + 1, p->trunk[c]);
      gtk_label_set_markup (p->col_labels[c], heading);
      pb_feature_grid_set_maps (p->inputs[c], image + (n_cols == 1 ? 0 : c * PB_IMAGE_PIXELS),
                                1, n_cols == 1 ? 2 : 1, PB_IMAGE_SIDE, 255);
      gtk_accessible_update_property (GTK_ACCESSIBLE (p->inputs[c]),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      gtk_label_get_text (p->col_labels[c]), -1);
    }

  /* conv1 filters on one scale for the whole run, so twin's two trunks compare. */
  {
    double vmax = 0;
    const char *detail;

    for (int c = 0; c < n_cols; c++)
      {
        g_autofree char *name = g_strdup_printf ("%s.conv1.weight",
                                                 pb_model_trunk_prefix (p->model, trunk_of[c]));
        int t = pb_model_find_tensor (p->model, name);

        g_assert (t >= 0);
        filters[c] = pb_model_tensor_data (p->model, t);
        filter_size = pb_model_tensor (p->model, t)->size;
        vmax = MAX (vmax, max_abs (filters[c], filter_size));
      }
    k = arch->kernel;
    filter_group = arch->kind == PB_KIND_STACKED ? 2 : 1;
    for (int c = 0; c < n_cols; c++)
      {
        g_autofree char *a11y = NULL;

        pb_feature_grid_set_maps (p->filters[c], filters[c], arch->channels[0], filter_group, k,
                                  vmax);
        /* Translators: accessible label, e.g. "conv1 filters of trunk_a: 16 of 2×2" */
        a11y = g_strdup_printf (_("conv1 filters of %s: %d of %d×%d"), p->trunk[c],
                                arch->channels[0], k, k);
        gtk_accessible_update_property (GTK_ACCESSIBLE (p->filters[c]),
                                        GTK_ACCESSIBLE_PROPERTY_LABEL, a11y, -1);
      }
    switch (arch->kind)
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
    {
      g_autofree char *title = g_strdup_printf (_("conv1 filters (%d of %d×%d)"),
                                                arch->channels[0], k, k);
      set_caption (p->filter_caption, title, detail,
                   scale_legend (PB_FEATURE_SCALE_DIVERGING, vmax));
    }
  }

  /* Feature maps, one scale per layer across the columns. */
  for (int l = 0; l < PB_N_CONV; l++)
    {
      int side = pb_model_feature_side (p->model, l);
      int ch = arch->channels[l];
      gsize size = (gsize) ch * side * side;
      g_autofree float *buf = g_new (float, size * n_cols);
      g_autofree char *title = NULL;
      double vmax;

      for (int c = 0; c < n_cols; c++)
        pb_model_feature_maps (p->model, c, l, 0, buf + c * size);
      vmax = max_abs (buf, size * n_cols);
      for (int c = 0; c < n_cols; c++)
        {
          g_autofree char *a11y = NULL;

          pb_feature_grid_set_maps (p->maps[l][c], buf + c * size, ch, 1, side, vmax);
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
    const float *logits = pb_model_digit_logits (p->model);
    double scale = max_abs (logits, 20);

    for (int c = 0; c < n_cols; c++)
      {
        g_autofree char *a11y = n_cols == 1
          ? g_strdup (_("Digit logits of both images"))
          /* Translators: accessible label of a chart */
          : g_strdup_printf (_("Digit logits of image %d"), c + 1);

        pb_logit_bars_set (p->bars[c], logits + 10 * c, n_cols == 1 ? 2 : 1, classes + c, scale);
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
    const float *main = pb_model_main_logits (p->model);
    double prob = 1.0 / (1.0 + exp ((double) main[0] - main[1]));
    int predicted = prob > 0.5;
    int truth = pb_pair_label (classes[0], classes[1]);
    g_autofree char *markup = NULL;

    p->head_prob = prob;
    /* Translators: the head's output; "Head  P(first > second) = 0.873 → predicts 1 · right" */
    markup = g_markup_printf_escaped (_("<b>Head</b>  P(first &gt; second) = %.3f → predicts %d · "
                                        "%s"),
                                      prob, predicted, predicted == truth ? _("right") : _("wrong"));
    gtk_label_set_markup (p->head_label, markup);
    gtk_widget_remove_css_class (GTK_WIDGET (p->head_label), "success");
    gtk_widget_remove_css_class (GTK_WIDGET (p->head_label), "error");
    gtk_widget_add_css_class (GTK_WIDGET (p->head_label), predicted == truth ? "success" : "error");
    gtk_level_bar_set_value (p->head_bar, prob);
    gtk_accessible_update_property (GTK_ACCESSIBLE (p->head_bar), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                    _("P(first > second)"), -1);
  }
  return TRUE;
}

static void
update_panel (PbInspectView *self,
              guint          index,
              const PbPairs *pairs)
{
  Panel *p = &self->panels[index];
  gboolean ok;

  if (p->item == NULL)
    {
      panel_destroy_widgets (p);
      return;
    }
  ok = panel_compute (self, p, pairs, self->pair);
  if (p->root == NULL)
    panel_build (self, p, 1, index);
  panel_set_header (self, p, ok);
  gtk_widget_set_visible (p->body, ok);
  gtk_widget_set_visible (GTK_WIDGET (p->message), !ok);
  if (!ok)
    gtk_label_set_label (p->message,
                         pb_run_item_get_status (p->item) == PB_RUN_STATUS_RUNNING
                           ? _("The network appears here when the first epoch ends.")
                           : _("This run has no weights: it ended before training."));
}

static void
update_pair_label (PbInspectView *self,
                   const PbPairs *pairs)
{
  g_autofree char *text = NULL;

  if (pairs == NULL)
    {
      gtk_label_set_label (self->pair_label, "");
      return;
    }
  {
    guint8 a = pairs->classes[2 * self->pair], b = pairs->classes[2 * self->pair + 1];
    /* Translators: the chosen test pair: "of 1000: digits 7 and 3, label 1 (first larger)" */
    text = g_strdup_printf (_("of %d: digits %u and %u, label %u (%s)"), pairs->n, a, b,
                            pb_pair_label (a, b),
                            a > b ? _("first larger") : _("first not larger"));
  }
  gtk_label_set_label (self->pair_label, text);
}

static void
refresh (PbInspectView *self)
{
  const PbPairs *pairs;
  gint64 t0 = g_get_monotonic_time ();

  if (!gtk_widget_get_mapped (GTK_WIDGET (self)))
    {
      self->dirty = TRUE;
      return;
    }
  self->dirty = FALSE;

  if (self->run == NULL)
    {
      for (guint i = 0; i < N_PANELS; i++)
        panel_destroy_widgets (&self->panels[i]);
      gtk_widget_set_sensitive (GTK_WIDGET (self->pair_spin), FALSE);
      update_pair_label (self, NULL);
      gtk_stack_set_visible_child_name (self->content_stack, "empty");
      return;
    }

  pairs = run_test_pairs (self->run);
  gtk_widget_set_sensitive (GTK_WIDGET (self->pair_spin), pairs != NULL);
  if (pairs != NULL)
    {
      self->pair = CLAMP (self->pair, 0, pairs->n - 1);
      gtk_adjustment_set_upper (self->pair_adjustment, pairs->n - 1);
      if ((int) gtk_adjustment_get_value (self->pair_adjustment) != self->pair)
        gtk_adjustment_set_value (self->pair_adjustment, self->pair);
    }
  update_pair_label (self, pairs);

  self->panels[0].item = self->run;
  self->panels[1].item = self->compare;
  for (guint i = 0; i < N_PANELS; i++)
    update_panel (self, i, pairs);
  gtk_stack_set_visible_child_name (self->content_stack, "panels");
  self->n_updates++;

  if (pb_debug_timing ())
    g_message ("inspect update: %.3f ms", (g_get_monotonic_time () - t0) / 1000.0);
}

static void
on_item_changed (PbInspectView *self)
{
  refresh (self);
}

/* Keeps *slot (self->run or self->compare) on item, listening to whichever runs are shown. */
static void
watch_item (PbInspectView  *self,
            PbRunItem     **slot,
            PbRunItem      *item)
{
  PbRunItem *old = *slot;
  PbRunItem *other = slot == &self->run ? self->compare : self->run;

  if (old == item)
    return;
  *slot = item != NULL ? g_object_ref (item) : NULL;
  if (old != NULL)
    {
      if (old != other)
        g_signal_handlers_disconnect_by_func (old, on_item_changed, self);
      g_object_unref (old);
    }
  if (item != NULL && item != other)
    {
      g_signal_connect_object (item, "notify::snapshot-epoch", G_CALLBACK (on_item_changed),
                               self, G_CONNECT_SWAPPED);
      g_signal_connect_object (item, "notify::status", G_CALLBACK (on_item_changed), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (item, "notify::label", G_CALLBACK (on_item_changed), self,
                               G_CONNECT_SWAPPED);
    }
}

static void
sync_dropdowns (PbInspectView *self)
{
  guint run_pos = GTK_INVALID_LIST_POSITION, compare_pos = 0;

  for (guint i = 0; i < self->choices->len; i++)
    {
      if (g_ptr_array_index (self->choices, i) == self->run)
        run_pos = i;
      if (g_ptr_array_index (self->choices, i) == self->compare)
        compare_pos = i + 1;
    }
  self->updating_choices = TRUE;
  gtk_drop_down_set_selected (self->run_dropdown, run_pos);
  gtk_drop_down_set_selected (self->compare_dropdown, compare_pos);
  self->updating_choices = FALSE;
}

static void on_runs_changed (PbInspectView *self, guint position, guint removed, guint added);

/* Choosing the compared run as the run swaps them, so that the comparison stays. */
static void
select_run (PbInspectView *self,
            PbRunItem     *item)
{
  g_autoptr(PbRunItem) old = self->run != NULL ? g_object_ref (self->run) : NULL;

  watch_item (self, &self->run, item);
  if (item != NULL && item == self->compare)
    watch_item (self, &self->compare, old);
}

static void
rebuild_choices (PbInspectView *self)
{
  g_autoptr(GtkStringList) names = gtk_string_list_new (NULL);
  g_autoptr(GtkStringList) compare_names = gtk_string_list_new (NULL);
  guint n = self->runs != NULL ? g_list_model_get_n_items (self->runs) : 0;
  gboolean run_found = FALSE, compare_found = FALSE;

  g_ptr_array_set_size (self->choices, 0);
  gtk_string_list_append (compare_names, C_("compare with", "None"));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(PbRunItem) item = g_list_model_get_item (self->runs, i);

      g_ptr_array_add (self->choices, g_object_ref (item));
      gtk_string_list_append (names, pb_run_item_get_label (item));
      gtk_string_list_append (compare_names, pb_run_item_get_label (item));
      run_found |= item == self->run;
      compare_found |= item == self->compare;
    }

  self->updating_choices = TRUE;
  gtk_drop_down_set_model (self->run_dropdown, G_LIST_MODEL (names));
  gtk_drop_down_set_model (self->compare_dropdown, G_LIST_MODEL (compare_names));
  self->updating_choices = FALSE;

  if (!compare_found)
    watch_item (self, &self->compare, NULL);
  if (!run_found)
    watch_item (self, &self->run, n > 0 ? g_ptr_array_index (self->choices, n - 1) : NULL);
  sync_dropdowns (self);
}

static void
on_item_label (PbInspectView *self)
{
  rebuild_choices (self);
}

static void
on_runs_changed (PbInspectView *self,
                 guint          position,
                 guint          removed,
                 guint          added)
{
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr(PbRunItem) item = g_list_model_get_item (self->runs, i);
      g_signal_connect_object (item, "notify::label", G_CALLBACK (on_item_label), self,
                               G_CONNECT_SWAPPED);
    }
  rebuild_choices (self);
  refresh (self);
}

static void
on_run_selected (PbInspectView *self)
{
  guint pos = gtk_drop_down_get_selected (self->run_dropdown);

  if (self->updating_choices || pos >= self->choices->len)
    return;
  select_run (self, g_ptr_array_index (self->choices, pos));
  sync_dropdowns (self);
  refresh (self);
}

static void
on_compare_selected (PbInspectView *self)
{
  guint pos = gtk_drop_down_get_selected (self->compare_dropdown);

  if (self->updating_choices)
    return;
  watch_item (self, &self->compare,
              pos >= 1 && pos <= self->choices->len ? g_ptr_array_index (self->choices, pos - 1)
                                                    : NULL);
  refresh (self);
}

static void
on_pair_changed (PbInspectView *self)
{
  int pair = (int) gtk_adjustment_get_value (self->pair_adjustment);

  if (pair == self->pair)
    return;
  self->pair = pair;
  refresh (self);
}

static void
pb_inspect_view_map (GtkWidget *widget)
{
  PbInspectView *self = PB_INSPECT_VIEW (widget);

  GTK_WIDGET_CLASS (pb_inspect_view_parent_class)->map (widget);
  if (self->dirty)
    refresh (self);
}

static void
pb_inspect_view_dispose (GObject *object)
{
  PbInspectView *self = PB_INSPECT_VIEW (object);

  if (self->runs != NULL)
    g_signal_handlers_disconnect_by_data (self->runs, self);
  for (guint i = 0; i < N_PANELS; i++)
    {
      panel_destroy_widgets (&self->panels[i]);
      g_clear_pointer (&self->panels[i].model, pb_model_free);
      self->panels[i].item = NULL;
    }
  gtk_widget_dispose_template (GTK_WIDGET (self), PB_TYPE_INSPECT_VIEW);
  /* Template children without an id are not unparented by dispose_template in GTK 4.8. */
  for (GtkWidget *child; (child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL;)
    gtk_widget_unparent (child);
  g_clear_object (&self->run);
  g_clear_object (&self->compare);
  g_clear_object (&self->runs);
  if (self->choices != NULL)
    g_ptr_array_set_size (self->choices, 0);

  G_OBJECT_CLASS (pb_inspect_view_parent_class)->dispose (object);
}

static void
pb_inspect_view_finalize (GObject *object)
{
  PbInspectView *self = PB_INSPECT_VIEW (object);

  g_ptr_array_unref (self->choices);

  G_OBJECT_CLASS (pb_inspect_view_parent_class)->finalize (object);
}

static void
pb_inspect_view_class_init (PbInspectViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pb_inspect_view_dispose;
  object_class->finalize = pb_inspect_view_finalize;
  widget_class->map = pb_inspect_view_map;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/pairbench/Pairbench/pb-inspect-view.ui");
  gtk_widget_class_bind_template_child (widget_class, PbInspectView, run_dropdown);
  gtk_widget_class_bind_template_child (widget_class, PbInspectView, compare_dropdown);
  gtk_widget_class_bind_template_child (widget_class, PbInspectView, pair_spin);
  gtk_widget_class_bind_template_child (widget_class, PbInspectView, pair_adjustment);
  gtk_widget_class_bind_template_child (widget_class, PbInspectView, pair_label);
  gtk_widget_class_bind_template_child (widget_class, PbInspectView, content_stack);
  gtk_widget_class_bind_template_child (widget_class, PbInspectView, status_page);
  gtk_widget_class_bind_template_child (widget_class, PbInspectView, panels_box);
  gtk_widget_class_bind_template_callback (widget_class, on_run_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_compare_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_pair_changed);
  gtk_widget_class_set_css_name (widget_class, "inspectview");
}

static void
pb_inspect_view_init (PbInspectView *self)
{
  self->choices = g_ptr_array_new_with_free_func (g_object_unref);
  gtk_widget_init_template (GTK_WIDGET (self));
  for (guint i = 0; i < N_PANELS; i++)
    self->panels[i].head_prob = NAN;
  self->dirty = TRUE;
}

GtkWidget *
pb_inspect_view_new (void)
{
  return g_object_new (PB_TYPE_INSPECT_VIEW, NULL);
}

void
pb_inspect_view_set_runs (PbInspectView *self,
                          GListModel    *runs)
{
  g_return_if_fail (PB_IS_INSPECT_VIEW (self));

  if (self->runs != NULL)
    g_signal_handlers_disconnect_by_data (self->runs, self);
  g_set_object (&self->runs, runs);
  if (runs != NULL)
    {
      g_signal_connect_swapped (runs, "items-changed", G_CALLBACK (on_runs_changed), self);
      on_runs_changed (self, 0, 0, g_list_model_get_n_items (runs));
    }
  else
    {
      rebuild_choices (self);
      refresh (self);
    }
}

void
pb_inspect_view_show_pair (PbInspectView *self,
                           PbRunItem     *run,
                           int            test_pair_index)
{
  g_return_if_fail (PB_IS_INSPECT_VIEW (self));
  g_return_if_fail (PB_IS_RUN_ITEM (run));

  select_run (self, run);
  self->pair = MAX (test_pair_index, 0);
  sync_dropdowns (self);
  refresh (self);
}

void
pb_inspect_view_set_compare_run (PbInspectView *self,
                                 PbRunItem     *run)
{
  g_return_if_fail (PB_IS_INSPECT_VIEW (self));

  watch_item (self, &self->compare, run);
  sync_dropdowns (self);
  refresh (self);
}

PbRunItem *
pb_inspect_view_get_run (PbInspectView *self)
{
  g_return_val_if_fail (PB_IS_INSPECT_VIEW (self), NULL);
  return self->run;
}

PbRunItem *
pb_inspect_view_get_compare_run (PbInspectView *self)
{
  g_return_val_if_fail (PB_IS_INSPECT_VIEW (self), NULL);
  return self->compare;
}

int
pb_inspect_view_get_pair (PbInspectView *self)
{
  g_return_val_if_fail (PB_IS_INSPECT_VIEW (self), -1);
  return self->pair;
}

static Panel *
shown_panel (PbInspectView *self,
             guint          panel)
{
  if (panel >= N_PANELS || self->panels[panel].root == NULL ||
      !gtk_widget_get_visible (self->panels[panel].body))
    return NULL;
  return &self->panels[panel];
}

guint
pb_inspect_view_get_n_panels (PbInspectView *self)
{
  guint n = 0;

  g_return_val_if_fail (PB_IS_INSPECT_VIEW (self), 0);
  for (guint i = 0; i < N_PANELS; i++)
    n += self->panels[i].root != NULL;
  return n;
}

int
pb_inspect_view_get_n_columns (PbInspectView *self,
                               guint          panel)
{
  Panel *p;

  g_return_val_if_fail (PB_IS_INSPECT_VIEW (self), -1);
  p = shown_panel (self, panel);
  return p != NULL ? p->n_cols : -1;
}

const char *
pb_inspect_view_get_column_trunk (PbInspectView *self,
                                  guint          panel,
                                  int            column)
{
  Panel *p;

  g_return_val_if_fail (PB_IS_INSPECT_VIEW (self), NULL);
  p = shown_panel (self, panel);
  return p != NULL && column >= 0 && column < p->n_cols ? p->trunk[column] : NULL;
}

PbFeatureGrid *
pb_inspect_view_get_filters (PbInspectView *self,
                             guint          panel,
                             int            column)
{
  Panel *p;

  g_return_val_if_fail (PB_IS_INSPECT_VIEW (self), NULL);
  p = shown_panel (self, panel);
  return p != NULL && column >= 0 && column < p->n_cols ? p->filters[column] : NULL;
}

PbFeatureGrid *
pb_inspect_view_get_feature_grid (PbInspectView *self,
                                  guint          panel,
                                  int            column,
                                  int            layer)
{
  Panel *p;

  g_return_val_if_fail (PB_IS_INSPECT_VIEW (self), NULL);
  p = shown_panel (self, panel);
  if (p == NULL || column < 0 || column >= p->n_cols || layer < 0 || layer >= PB_N_CONV)
    return NULL;
  return p->maps[layer][column];
}

PbLogitBars *
pb_inspect_view_get_logit_bars (PbInspectView *self,
                                guint          panel,
                                int            column)
{
  Panel *p;

  g_return_val_if_fail (PB_IS_INSPECT_VIEW (self), NULL);
  p = shown_panel (self, panel);
  return p != NULL && column >= 0 && column < p->n_cols ? p->bars[column] : NULL;
}

double
pb_inspect_view_get_head_probability (PbInspectView *self,
                                      guint          panel)
{
  Panel *p;

  g_return_val_if_fail (PB_IS_INSPECT_VIEW (self), NAN);
  p = shown_panel (self, panel);
  return p != NULL ? p->head_prob : NAN;
}

int
pb_inspect_view_get_shown_epoch (PbInspectView *self,
                                 guint          panel)
{
  Panel *p;

  g_return_val_if_fail (PB_IS_INSPECT_VIEW (self), -1);
  p = shown_panel (self, panel);
  return p != NULL ? p->epoch : -1;
}

guint
pb_inspect_view_get_n_updates (PbInspectView *self)
{
  g_return_val_if_fail (PB_IS_INSPECT_VIEW (self), 0);
  return self->n_updates;
}
