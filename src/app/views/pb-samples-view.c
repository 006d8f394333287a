/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pb-samples-view"

#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n.h>
#include <adwaita.h>

#include "pb-core-error.h"
#include "pb-mnist-cache.h"
#include "pb-pair-preview.h"
#include "pb-pair-tile.h"
#include "pb-run-picker.h"
#include "pb-samples-view.h"
#include "pb-train-settings.h"
#include "pb-uninstalled.h"

#define MAX_PAIRS 36
#define MAX_MISTAKES 120

struct _PbSamplesView
{
  GtkWidget parent_instance;

  GSettings *settings;
  char *data_dir;
  PbPairPreview *preview;
  guint32 shuffle_seed;
  gboolean dirty;
  guint n_tiles;

  GtkToggleButton *pairs_toggle;
  GtkToggleButton *mistakes_toggle;
  GtkLabel *info_label;
  PbRunPicker *source_picker;
  PbRunPicker *mistakes_picker;
  GtkWidget *epoch_box;
  GtkSpinButton *epoch_spin;
  GtkWidget *reshuffle_button;
  GtkStack *content_stack;
  GtkSpinner *spinner;
  GtkFlowBox *flow_box;
  AdwStatusPage *status_page;
};

G_DEFINE_TYPE (PbSamplesView, pb_samples_view, GTK_TYPE_WIDGET)

enum {
  INSPECT_PAIR,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void refresh (PbSamplesView *self);

static char *
pair_caption (guint8 first,
              guint8 second)
{
  /* The report's rule: label 1 when the first digit is larger. */
  if (first > second)
    return g_strdup_printf ("%u > %u → 1", first, second);
  if (first < second)
    return g_strdup_printf ("%u < %u → 0", first, second);
  return g_strdup_printf ("%u = %u → 0", first, second);
}

static void
clear_tiles (PbSamplesView *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->flow_box))) != NULL)
    gtk_flow_box_remove (self->flow_box, child);
  self->n_tiles = 0;
}

static GtkWidget *
add_tile (PbSamplesView *self,
          const float   *pair,
          const float   *rotated,
          const char    *caption,
          const char    *detail,
          gboolean       detail_is_error)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  GtkWidget *tile = pb_pair_tile_new (pair, rotated);
  GtkWidget *label = gtk_label_new (caption);
  g_autofree char *accessible = NULL;

  gtk_widget_add_css_class (box, "pair-card");
  gtk_widget_add_css_class (box, "card");
  gtk_widget_set_halign (box, GTK_ALIGN_CENTER);
  gtk_box_append (GTK_BOX (box), tile);
  gtk_widget_add_css_class (label, "pair-caption");
  gtk_widget_add_css_class (label, "numeric");
  gtk_box_append (GTK_BOX (box), label);
  if (detail != NULL)
    {
      GtkWidget *d = gtk_label_new (detail);
      gtk_widget_add_css_class (d, "caption");
      gtk_widget_add_css_class (d, detail_is_error ? "error" : "dim-label");
      gtk_label_set_wrap (GTK_LABEL (d), TRUE);
      gtk_label_set_justify (GTK_LABEL (d), GTK_JUSTIFY_CENTER);
      gtk_box_append (GTK_BOX (box), d);
    }
  accessible = g_strdup_printf ("%s %s", caption, detail ? detail : "");
  gtk_accessible_update_property (GTK_ACCESSIBLE (tile), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  accessible, -1);
  gtk_flow_box_append (self->flow_box, box);
  self->n_tiles++;
  return box;
}

static void
show_status (PbSamplesView *self,
             const char    *title,
             const char    *description)
{
  clear_tiles (self);
  adw_status_page_set_title (self->status_page, title);
  adw_status_page_set_description (self->status_page, description);
  gtk_stack_set_visible_child_name (self->content_stack, "empty");
  gtk_spinner_stop (self->spinner);
}

/* The trained run whose training pairs are shown, or NULL for the next run's. */
static PbRunItem *
source_run (PbSamplesView *self)
{
  return pb_run_picker_get_run (self->source_picker);
}

static PbRunItem *
mistakes_run (PbSamplesView *self)
{
  return pb_run_picker_get_run (self->mistakes_picker);
}

static gboolean
item_is_trained (PbRunItem *item,
                 gpointer   data)
{
  return pb_run_item_get_run (item) != NULL;
}

static gboolean
item_has_predictions (PbRunItem *item,
                      gpointer   data)
{
  const guint8 *labels, *digits;
  const float *prob1;

  return pb_run_item_get_predictions (item, &labels, &prob1, &digits);
}

/* Each mode shows its picker once there is a trained run to pick. */
static void
update_pickers (PbSamplesView *self)
{
  gboolean mistakes = gtk_toggle_button_get_active (self->mistakes_toggle);

  gtk_widget_set_visible (GTK_WIDGET (self->source_picker),
                          !mistakes && pb_run_picker_get_n_runs (self->source_picker) > 0);
  gtk_widget_set_visible (GTK_WIDGET (self->mistakes_picker),
                          mistakes && pb_run_picker_get_n_runs (self->mistakes_picker) > 0);
}

/* "+0.12", "−0.05" with a true minus, and "0.00" for what rounds to zero (never "-0.00"). */
static char *
signed_number (double value,
               int    digits)
{
  double unit = pow (10, digits);
  double rounded = round (value * unit) / unit;

  if (rounded == 0)
    return g_strdup_printf ("%.*f", digits, 0.0);
  return g_strdup_printf ("%s%.*f", rounded < 0 ? "−" : "+", digits, fabs (rounded));
}

/* What was applied to pair p of an epoch, one augmentation a line. */
static char *
augment_detail (const PbTrainSettings *s,
                const PbAugmentInfo   *info)
{
  GString *out = g_string_new (NULL);
  g_autofree char *angle0 = signed_number (info->angle[0], 1);
  g_autofree char *angle1 = signed_number (info->angle[1], 1);

  /* Only the images drawn from the rotated copies have an angle. */
  if (info->angle[0] != 0 && info->angle[1] != 0)
    /* Translators: the rotation angles of a pair's two images, e.g. "+6.7" and "−10.0" */
    g_string_append_printf (out, _("rotated %s° and %s°\n"), angle0, angle1);
  else if (info->angle[0] != 0)
    g_string_append_printf (out, _("first rotated %s°\n"), angle0);
  else if (info->angle[1] != 0)
    g_string_append_printf (out, _("second rotated %s°\n"), angle1);
  if (info->scale[0] != 1 || info->scale[1] != 1)
    /* Translators: the scale factors of a pair's two images */
    g_string_append_printf (out, _("scaled ×%.2f and ×%.2f\n"), info->scale[0], info->scale[1]);
  if (info->shear[0] != 0 || info->shear[1] != 0)
    {
      g_autofree char *shear0 = signed_number (info->shear[0], 2);
      g_autofree char *shear1 = signed_number (info->shear[1], 2);
      /* Translators: the horizontal shear factors of a pair's two images, e.g. "+0.12" */
      g_string_append_printf (out, _("sheared %s and %s\n"), shear0, shear1);
    }
  if (info->dx[0] != 0 || info->dy[0] != 0 || info->dx[1] != 0 || info->dy[1] != 0)
    {
      g_autofree char *dx0 = signed_number (info->dx[0], 0);
      g_autofree char *dy0 = signed_number (info->dy[0], 0);
      g_autofree char *dx1 = signed_number (info->dx[1], 0);
      g_autofree char *dy1 = signed_number (info->dy[1], 0);
      /* Translators: each image's shift in pixels, (dx, dy) */
      g_string_append_printf (out, _("shifted (%s, %s) and (%s, %s)\n"), dx0, dy0, dx1, dy1);
    }
  if (info->swapped)
    g_string_append (out, _("swapped\n"));
  if (s->repair)
    /* Translators: the MNIST training images a re-paired pair is made of */
    g_string_append_printf (out, _("re-paired: images %d and %d\n"), info->source[0],
                            info->source[1]);
  if (out->len == 0)
    g_string_append (out, _("as drawn\n"));
  g_string_truncate (out, out->len - 1);
  return g_string_free (out, FALSE);
}

/* The active augmentations, for the info line: "rotation ±10°, scaling ×0.90–1.10, shears ±0.2,
 * shifts ±1 px, swaps". */
static char *
augment_summary (const PbTrainSettings *s)
{
  GString *out = g_string_new (NULL);

  if (s->augment_deg > 0)
    g_string_append_printf (out, _("rotated copies ±%g°"), (double) s->augment_deg);
  if (s->scale > 0)
    {
      /* Translators: the range of the scale factors, e.g. "scaling ×0.90–1.10" */
      g_autofree char *scaling = g_strdup_printf (_("scaling ×%.2f–%.2f"), 1.0 - s->scale,
                                                  1.0 + s->scale);
      g_string_append_printf (out, "%s%s", out->len ? ", " : "", scaling);
    }
  if (s->shear > 0)
    {
      /* Translators: the largest horizontal shear factor, e.g. "shears ±0.2" */
      g_autofree char *shears = g_strdup_printf (_("shears ±%g"), (double) s->shear);
      g_string_append_printf (out, "%s%s", out->len ? ", " : "", shears);
    }
  if (s->translate > 0)
    {
      g_autofree char *shifts = g_strdup_printf (_("shifts ±%d px"), s->translate);
      g_string_append_printf (out, "%s%s", out->len ? ", " : "", shifts);
    }
  if (s->swap)
    g_string_append_printf (out, "%s%s", out->len ? ", " : "", _("swaps"));
  if (s->repair)
    g_string_append_printf (out, "%s%s", out->len ? ", " : "", _("re-pairing"));
  return g_string_free (out, FALSE);
}

/* The pairs of the chosen epoch as the run trains on them, each beside the images it was made
 * from (unrotated, unshifted, in their order before a swap). */
static void
populate_epoch (PbSamplesView      *self,
                const PbPairSample *sample)
{
  const PbTrainSettings *s = &sample->settings;
  g_autofree char *summary = augment_summary (s);
  g_autofree char *seed = NULL;
  g_autofree char *text = NULL;

  clear_tiles (self);
  for (int k = 0; k < sample->n; k++)
    {
      g_autofree char *caption = pair_caption (sample->classes[2 * k],
                                               sample->classes[2 * k + 1]);
      g_autofree char *detail = augment_detail (s, &sample->info[k]);

      add_tile (self, sample->before + (gsize) k * PB_PAIR_FLOATS,
                sample->after + (gsize) k * PB_PAIR_FLOATS, caption, detail, FALSE);
    }

  seed = g_strdup_printf ("%" G_GUINT64_FORMAT, (guint64) s->seed);
  /* Translators: e.g. "Epoch 3 of 25: 36 of 2000 training pairs as trained, seed 1, with shifts
   * ±1 px, swaps; each beside the images it was made from" */
  text = g_strdup_printf (ngettext ("Epoch %d of %d: %d of %d training pair as trained, seed %s, "
                                    "with %s; each beside the images it was made from",
                                    "Epoch %d of %d: %d of %d training pairs as trained, seed %s, "
                                    "with %s; each beside the images it was made from",
                                    sample->n_total),
                          sample->epoch, s->epochs, sample->n, sample->n_total, seed, summary);
  gtk_label_set_label (self->info_label, text);
  gtk_stack_set_visible_child_name (self->content_stack, "grid");
  gtk_spinner_stop (self->spinner);
}

static void
populate_pairs (PbSamplesView      *self,
                const PbPairSample *sample)
{
  const PbTrainSettings *s = &sample->settings;
  gboolean rotated = sample->angles != NULL;
  g_autofree char *info = NULL;
  g_autofree char *seed = NULL;

  gtk_widget_set_visible (self->epoch_box, sample->per_epoch);
  if (sample->per_epoch)
    {
      gtk_spin_button_set_range (self->epoch_spin, 1, s->epochs);
      populate_epoch (self, sample);
      return;
    }

  clear_tiles (self);
  for (int k = 0; k < sample->n; k++)
    {
      g_autofree char *caption = pair_caption (sample->classes[2 * k],
                                               sample->classes[2 * k + 1]);
      g_autofree char *detail = NULL;

      if (rotated)
        {
          g_autofree char *angle0 = signed_number (sample->angles[2 * k], 1);
          g_autofree char *angle1 = signed_number (sample->angles[2 * k + 1], 1);
          /* Translators: the rotation angles of a pair's two augmented copies */
          detail = g_strdup_printf (_("original · rotated %s° and %s°"), angle0, angle1);
        }
      add_tile (self, sample->before + (gsize) k * PB_PAIR_FLOATS,
                rotated ? sample->after + (gsize) k * PB_PAIR_FLOATS : NULL, caption, detail,
                FALSE);
    }

  seed = g_strdup_printf ("%" G_GUINT64_FORMAT, (guint64) s->seed);
  if (rotated)
    info = g_strdup_printf (ngettext ("%d of %d training pair, seed %s, each beside its copy "
                                      "rotated by up to ±%g°",
                                      "%d of %d training pairs, seed %s, each beside its copy "
                                      "rotated by up to ±%g°",
                                      sample->n_total),
                            sample->n, sample->n_total, seed, s->augment_deg);
  else
    info = g_strdup_printf (ngettext ("%d of %d training pair, seed %s, no augmentation",
                                      "%d of %d training pairs, seed %s, no augmentation",
                                      sample->n_total),
                            sample->n, sample->n_total, seed);
  gtk_label_set_label (self->info_label, info);
  gtk_stack_set_visible_child_name (self->content_stack, "grid");
  gtk_spinner_stop (self->spinner);
}

static void
populate_mistakes (PbSamplesView *self)
{
  const guint8 *labels, *digits;
  const float *prob1;
  const PbPairs *test;
  PbRunItem *run = mistakes_run (self);
  int wrong = 0, shown = 0;
  g_autofree char *info = NULL;

  gtk_widget_set_sensitive (self->reshuffle_button, FALSE);
  gtk_widget_set_visible (self->epoch_box, FALSE);
  update_pickers (self);
  if (run == NULL || !pb_run_item_get_predictions (run, &labels, &prob1, &digits))
    {
      gtk_label_set_label (self->info_label, "");
      show_status (self, _("No Trained Run Yet"),
                   _("Train a run for at least one epoch; the test pairs it gets wrong appear "
                     "here."));
      return;
    }

  test = pb_run_item_get_test_pairs (run);
  clear_tiles (self);
  for (int i = 0; i < test->n; i++)
    {
      g_autofree char *caption = NULL;
      g_autofree char *detail = NULL;
      GtkWidget *tile;

      if (labels[i] == test->labels[i])
        continue;
      wrong++;
      if (shown >= MAX_MISTAKES)
        continue;
      caption = pair_caption (test->classes[2 * i], test->classes[2 * i + 1]);
      /* Translators: the model's guess for a pair: its two digits and P(label = 1) */
      detail = g_strdup_printf (_("predicted %u and %u · P(1) = %.2f"),
                                digits[2 * i], digits[2 * i + 1], prob1[i]);
      tile = add_tile (self, test->images + (gsize) i * PB_PAIR_FLOATS, NULL, caption, detail,
                       TRUE);
      /* The index + 1, so that 0 means a tile that is not a test pair. */
      g_object_set_data (G_OBJECT (tile), "test-pair", GINT_TO_POINTER (i + 1));
      gtk_widget_set_tooltip_text (tile, _("Click or press Enter to look inside the network"));
      shown++;
    }

  if (wrong == 0)
    {
      show_status (self, _("No Mistakes"), _("The run got every test pair right."));
      return;
    }
  /* The picker beside it names the run. */
  if (shown < wrong)
    /* Translators: the last %d is the most tiles the page shows, to stay responsive */
    info = g_strdup_printf (_("%d of %d test pairs wrong (%.1f\u00a0%%); showing the first %d "
                              "in test-set order, as the page draws at most %d tiles"),
                            wrong, test->n, 100.0 * wrong / test->n, shown, MAX_MISTAKES);
  else
    info = g_strdup_printf (ngettext ("%d of %d test pairs wrong (%.1f\u00a0%%)",
                                      "%d of %d test pairs wrong (%.1f\u00a0%%)", wrong),
                            wrong, test->n, 100.0 * wrong / test->n);
  gtk_label_set_label (self->info_label, info);
  gtk_stack_set_visible_child_name (self->content_stack, "grid");
}

static void
on_preview_ready (PbSamplesView *self)
{
  if (gtk_toggle_button_get_active (self->pairs_toggle))
    populate_pairs (self, pb_pair_preview_get_sample (self->preview));
}

static void
on_preview_failed (PbSamplesView *self,
                   const GError  *error)
{
  gtk_label_set_label (self->info_label, "");
  show_status (self, _("Could Not Draw the Pairs"), error->message);
}

/* Asks the preview for the shown source's pairs; the next run's is set up anew after a
 * setting it depends on changed. */
static void
request_pairs (PbSamplesView *self)
{
  PbRunItem *run = source_run (self);
  PbTrainSettings settings;
  g_autoptr(GError) error = NULL;
  g_autofree char *setting = NULL;
  g_autofree char *data_dir = NULL;
  int epoch = gtk_spin_button_get_value_as_int (self->epoch_spin);

  if (run != NULL)
    {
      pb_pair_preview_request (self->preview, run, NULL, NULL, epoch, self->shuffle_seed,
                               MAX_PAIRS);
      return;
    }
  if (!pb_train_settings_from_gsettings (self->settings, &settings, &error))
    {
      pb_pair_preview_cancel (self->preview);
      show_status (self, _("Invalid Settings"), error->message);
      return;
    }
  setting = g_settings_get_string (self->settings, "data-dir");
  data_dir = self->data_dir ? g_strdup (self->data_dir) : pb_resolve_data_dir (setting);
  if (self->dirty || pb_pair_preview_get_sample (self->preview) == NULL)
    {
      pb_pair_preview_invalidate (self->preview);
      gtk_stack_set_visible_child_name (self->content_stack, "loading");
      gtk_spinner_start (self->spinner);
      gtk_label_set_label (self->info_label, _("Drawing the pairs…"));
    }
  self->dirty = FALSE;
  pb_pair_preview_request (self->preview, NULL, &settings, data_dir, epoch, self->shuffle_seed,
                           MAX_PAIRS);
}

static void
refresh (PbSamplesView *self)
{
  if (!gtk_widget_get_mapped (GTK_WIDGET (self)))
    return;
  if (gtk_toggle_button_get_active (self->mistakes_toggle))
    {
      pb_pair_preview_cancel (self->preview);
      populate_mistakes (self);
      return;
    }
  gtk_widget_set_sensitive (self->reshuffle_button, TRUE);
  update_pickers (self);
  request_pairs (self);
}

static void
on_tile_activated (PbSamplesView   *self,
                   GtkFlowBoxChild *child)
{
  GtkWidget *tile = gtk_flow_box_child_get_child (child);
  int index = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (tile), "test-pair")) - 1;

  if (index >= 0 && mistakes_run (self) != NULL)
    g_signal_emit (self, signals[INSPECT_PAIR], 0, mistakes_run (self), index);
}

static void
on_mode_toggled (PbSamplesView *self)
{
  refresh (self);
}

static void
on_epoch_changed (PbSamplesView *self)
{
  if (gtk_toggle_button_get_active (self->pairs_toggle)
      && gtk_widget_get_mapped (GTK_WIDGET (self)))
    request_pairs (self);
}

static void
on_source_changed (PbSamplesView *self)
{
  refresh (self);
}

static void
on_settings_changed (PbSamplesView *self,
                     const char    *key)
{
  static const char *const keys[] = {
    "seed", "train-pairs", "test-pairs", "val-pairs", "augment-angle", "translate", "scale-jitter",
    "shear", "swap-images", "repair-pairs", "epochs", "data-dir",
  };
  gboolean pairs_key = FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    pairs_key = pairs_key || g_str_equal (key, keys[i]);
  if (pairs_key)
    {
      self->dirty = TRUE;
      if (gtk_toggle_button_get_active (self->pairs_toggle) && source_run (self) == NULL)
        refresh (self);
    }
}

static void
reshuffle_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  PbSamplesView *self = PB_SAMPLES_VIEW (widget);

  self->shuffle_seed = g_random_int ();
  refresh (self);
}

static void
pb_samples_view_map (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (pb_samples_view_parent_class)->map (widget);
  refresh (PB_SAMPLES_VIEW (widget));
}

static void
pb_samples_view_dispose (GObject *object)
{
  PbSamplesView *self = PB_SAMPLES_VIEW (object);

  if (self->preview != NULL)
    pb_pair_preview_cancel (self->preview);
  gtk_widget_dispose_template (GTK_WIDGET (self), PB_TYPE_SAMPLES_VIEW);
  /* Template children without an id are not unparented by dispose_template in GTK 4.8. */
  for (GtkWidget *child; (child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL;)
    gtk_widget_unparent (child);
  g_clear_object (&self->settings);
  g_clear_object (&self->preview);

  G_OBJECT_CLASS (pb_samples_view_parent_class)->dispose (object);
}

static void
pb_samples_view_finalize (GObject *object)
{
  PbSamplesView *self = PB_SAMPLES_VIEW (object);

  g_free (self->data_dir);

  G_OBJECT_CLASS (pb_samples_view_parent_class)->finalize (object);
}

static void
pb_samples_view_class_init (PbSamplesViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pb_samples_view_dispose;
  object_class->finalize = pb_samples_view_finalize;
  widget_class->map = pb_samples_view_map;

  g_type_ensure (PB_TYPE_RUN_PICKER);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/pairbench/Pairbench/pb-samples-view.ui");
  gtk_widget_class_bind_template_child (widget_class, PbSamplesView, pairs_toggle);
  gtk_widget_class_bind_template_child (widget_class, PbSamplesView, mistakes_toggle);
  gtk_widget_class_bind_template_child (widget_class, PbSamplesView, info_label);
  gtk_widget_class_bind_template_child (widget_class, PbSamplesView, source_picker);
  gtk_widget_class_bind_template_child (widget_class, PbSamplesView, mistakes_picker);
  gtk_widget_class_bind_template_child (widget_class, PbSamplesView, epoch_box);
  gtk_widget_class_bind_template_child (widget_class, PbSamplesView, epoch_spin);
  gtk_widget_class_bind_template_child (widget_class, PbSamplesView, reshuffle_button);
  gtk_widget_class_bind_template_child (widget_class, PbSamplesView, content_stack);
  gtk_widget_class_bind_template_child (widget_class, PbSamplesView, spinner);
  gtk_widget_class_bind_template_child (widget_class, PbSamplesView, flow_box);
  gtk_widget_class_bind_template_child (widget_class, PbSamplesView, status_page);
  gtk_widget_class_bind_template_callback (widget_class, on_mode_toggled);
  gtk_widget_class_bind_template_callback (widget_class, on_epoch_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_source_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_tile_activated);

  /* A test pair's tile was activated: look inside the run's network for it. */
  signals[INSPECT_PAIR] = g_signal_new ("inspect-pair", G_TYPE_FROM_CLASS (klass),
                                        G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 2,
                                        PB_TYPE_RUN_ITEM, G_TYPE_INT);

  gtk_widget_class_install_action (widget_class, "samples.reshuffle", NULL, reshuffle_action);
  gtk_widget_class_set_css_name (widget_class, "samplesview");
}

static void
pb_samples_view_init (PbSamplesView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  pb_run_picker_set_none_label (self->source_picker, _("Next run"));
  /* Translators: the source of the training pairs shown, e.g. "Run siamese-aux · seed 1" */
  pb_run_picker_set_label_format (self->source_picker, _("Run %s"));
  pb_run_picker_set_filter (self->source_picker, item_is_trained, NULL);
  pb_run_picker_set_filter (self->mistakes_picker, item_has_predictions, NULL);
  self->preview = pb_pair_preview_new ();
  g_signal_connect_object (self->preview, "ready", G_CALLBACK (on_preview_ready), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->preview, "failed", G_CALLBACK (on_preview_failed), self,
                           G_CONNECT_SWAPPED);
  self->shuffle_seed = 1;
  self->settings = g_settings_new (PB_SCHEMA_ID);
  g_signal_connect_object (self->settings, "changed", G_CALLBACK (on_settings_changed), self,
                           G_CONNECT_SWAPPED);
}

GtkWidget *
pb_samples_view_new (void)
{
  return g_object_new (PB_TYPE_SAMPLES_VIEW, NULL);
}

void
pb_samples_view_set_runs (PbSamplesView *self,
                          GListModel    *runs)
{
  g_return_if_fail (PB_IS_SAMPLES_VIEW (self));

  pb_run_picker_set_runs (self->source_picker, runs);
  pb_run_picker_set_runs (self->mistakes_picker, runs);
  refresh (self);
}

/* Predictions arrive as a run finishes, after the picker last asked its filter. */
void
pb_samples_view_update_runs (PbSamplesView *self)
{
  g_return_if_fail (PB_IS_SAMPLES_VIEW (self));

  pb_run_picker_set_filter (self->source_picker, item_is_trained, NULL);
  pb_run_picker_set_filter (self->mistakes_picker, item_has_predictions, NULL);
  refresh (self);
}

void
pb_samples_view_set_mistakes_run (PbSamplesView *self,
                                  PbRunItem     *item)
{
  g_return_if_fail (PB_IS_SAMPLES_VIEW (self));

  pb_run_picker_set_filter (self->mistakes_picker, item_has_predictions, NULL);
  pb_run_picker_set_run (self->mistakes_picker, item);
  refresh (self);
}

PbRunItem *
pb_samples_view_get_mistakes_run (PbSamplesView *self)
{
  g_return_val_if_fail (PB_IS_SAMPLES_VIEW (self), NULL);
  return mistakes_run (self);
}

const char *
pb_samples_view_get_info (PbSamplesView *self)
{
  g_return_val_if_fail (PB_IS_SAMPLES_VIEW (self), NULL);
  return gtk_label_get_label (self->info_label);
}

void
pb_samples_view_set_data_dir (PbSamplesView *self,
                              const char    *data_dir)
{
  g_return_if_fail (PB_IS_SAMPLES_VIEW (self));

  if (g_strcmp0 (self->data_dir, data_dir) == 0)
    return;
  g_free (self->data_dir);
  self->data_dir = g_strdup (data_dir);
  self->dirty = TRUE;
}

void
pb_samples_view_set_mode (PbSamplesView *self,
                          const char    *mode)
{
  g_return_if_fail (PB_IS_SAMPLES_VIEW (self));

  if (g_strcmp0 (mode, "mistakes") == 0)
    gtk_toggle_button_set_active (self->mistakes_toggle, TRUE);
  else
    gtk_toggle_button_set_active (self->pairs_toggle, TRUE);
}

gboolean
pb_samples_view_get_busy (PbSamplesView *self)
{
  g_return_val_if_fail (PB_IS_SAMPLES_VIEW (self), FALSE);
  return pb_pair_preview_get_busy (self->preview);
}

guint
pb_samples_view_get_n_tiles (PbSamplesView *self)
{
  g_return_val_if_fail (PB_IS_SAMPLES_VIEW (self), 0);
  return self->n_tiles;
}

gboolean
pb_samples_view_activate_tile (PbSamplesView *self,
                               guint          position)
{
  GtkFlowBoxChild *child;

  g_return_val_if_fail (PB_IS_SAMPLES_VIEW (self), FALSE);

  child = gtk_flow_box_get_child_at_index (self->flow_box, (int) position);
  if (child == NULL ||
      g_object_get_data (G_OBJECT (gtk_flow_box_child_get_child (child)), "test-pair") == NULL)
    return FALSE;
  g_signal_emit_by_name (child, "activate");
  return TRUE;
}
