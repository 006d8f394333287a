/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pb-embedding-view"

#include "config.h"

#include <math.h>
#include <glib/gi18n.h>
#include <adwaita.h>

#include "pb-embedding-view-private.h"
#include "pb-format.h"
#include "pb-run-picker.h"
#include "pb-scatter-view.h"
#include "pb-uninstalled.h"

/* The bar's share for the neighbour stage: about what it takes of a 1,000-iteration map of
 * 10,000 points, so that the bar moves at a steady pace. */
#define NEIGHBOUR_SHARE 0.1

/* The report's four models, in the order of its Figures 2–5. */
static const char *const compare_models[N_GRID] = {
  "stacked", "stacked-aux", "siamese", "siamese-aux",
};

enum {
  PROP_0,
  PROP_SPRITES,
  PROP_COLOR_BY,
  PROP_METRIC,
  PROP_NEIGHBOURS,
  N_PROPS
};

enum {
  INSPECT_PAIR,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_TYPE (PbEmbeddingView, pb_embedding_view, GTK_TYPE_WIDGET)

/* Runs with a model come first in the picker, then the comparison's models. */
static guint
n_run_choices (PbEmbeddingView *self)
{
  return pb_run_picker_get_n_runs (self->run_picker);
}

static guint
n_comparison_models (PbEmbeddingView *self)
{
  return self->comparison != NULL ? pb_comparison_get_n_embed_models (self->comparison) : 0;
}

static void
update_actions (PbEmbeddingView *self)
{
  gboolean running = pb_embedder_get_running (self->embedder);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "embedding.start",
                                 pb_run_picker_has_pick (self->run_picker));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "embedding.stop", running);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "embedding.compare",
                                 n_comparison_models (self) > 0 || n_run_choices (self) > 1);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "embedding.export", self->n_shown > 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "embedding.zoom-in", self->n_shown > 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "embedding.zoom-out", self->n_shown > 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "embedding.reset-view", self->n_shown > 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "embedding.clear-selection",
                                 self->selection_view != NULL);
}

static gboolean
item_has_model (PbRunItem *item,
                gpointer   data)
{
  return pb_run_item_get_model (item) != NULL &&
         pb_run_item_get_status (item) != PB_RUN_STATUS_RUNNING;
}

static void
update_compare_group (PbEmbeddingView *self)
{
  const PbSession *session = self->comparison ? pb_comparison_get_session (self->comparison)
                                              : NULL;

  if (n_comparison_models (self) > 0)
    adw_preferences_group_set_description (
      self->compare_group,
      _("One map for each model of the comparison, from its first finished round, in the "
        "report’s order (stacked, stacked-aux, siamese, siamese-aux), computed one after "
        "another."));
  else if (session != NULL && pb_comparison_get_loaded (self->comparison))
    adw_preferences_group_set_description (
      self->compare_group,
      _("The comparison was opened from a file, which keeps its metrics but not its models’ "
        "weights, so its models cannot be mapped: this maps the last run of each of the "
        "report’s four models instead. Run the comparison again to map its models."));
  else
    adw_preferences_group_set_description (
      self->compare_group,
      _("One map for the last run of each of the report’s four models (stacked, stacked-aux, "
        "siamese, siamese-aux), computed one after another; or, after a comparison, one for "
        "each of its models."));
}

static void
rebuild_choices (PbEmbeddingView *self)
{
  guint n_models = self->comparison ? pb_comparison_get_n_models (self->comparison) : 0;
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (guint));

  for (guint m = 0; m < n_models; m++)
    {
      PbEmbedModel model;

      if (!pb_comparison_get_embed_model (self->comparison, m, &model))
        continue;
      g_ptr_array_add (names, (gpointer) model.title);
      g_array_append_val (ids, m);
    }
  /* The picker keeps the pick, else a new run: what the user most likely wants to map next. */
  pb_run_picker_set_extras (self->run_picker, (const char *const *) names->pdata,
                            (const guint *) ids->data, ids->len);
}

/* The picker's entries or pick changed. */
static void
on_choices_changed (PbEmbeddingView *self)
{
  update_compare_group (self);

  if (pb_run_picker_get_n_entries (self->run_picker) > 0)
    {
      adw_status_page_set_title (self->status_page, _("Ready to Map"));
      adw_status_page_set_description (self->status_page,
                                       _("Press Embed to map the chosen run’s last layer; the "
                                         "map is redrawn as t-SNE optimises."));
    }
  else
    {
      adw_status_page_set_title (self->status_page, _("Nothing to Map Yet"));
      adw_status_page_set_description (self->status_page,
                                       _("Train a run or a comparison, or open a weights file "
                                         "with Ctrl+O; then map its last layer here."));
    }
  if (self->n_shown == 0)
    gtk_stack_set_visible_child_name (self->map_stack, "empty");
  update_actions (self);
}

void
pb_embedding_view_get_settings (PbEmbeddingView *self,
                                PbEmbedSettings *out)
{
  g_return_if_fail (PB_IS_EMBEDDING_VIEW (self));

  pb_embed_settings_init (out);
  out->layer = adw_combo_row_get_selected (self->layer_row) == 1 ? PB_LAYER_FC1
                                                                 : PB_LAYER_LOGITS;
  out->perplexity = gtk_spin_button_get_value (self->perplexity_spin);
  out->iterations = gtk_spin_button_get_value_as_int (self->iterations_spin);
  out->seed = (guint64) gtk_spin_button_get_value (self->seed_spin);
  out->test_pairs = gtk_spin_button_get_value_as_int (self->pairs_spin);
}

void
pb_embedding_view_set_settings (PbEmbeddingView       *self,
                                const PbEmbedSettings *s)
{
  g_return_if_fail (PB_IS_EMBEDDING_VIEW (self));

  adw_combo_row_set_selected (self->layer_row, s->layer == PB_LAYER_FC1 ? 1 : 0);
  gtk_spin_button_set_value (self->perplexity_spin, s->perplexity);
  gtk_spin_button_set_value (self->iterations_spin, s->iterations);
  gtk_spin_button_set_value (self->seed_spin, (double) s->seed);
  gtk_spin_button_set_value (self->pairs_spin, s->test_pairs);
}

static void
embed_model_from_item (PbRunItem    *item,
                       PbEmbedModel *out)
{
  out->title = pb_run_item_get_label (item);
  out->model = pb_run_item_get_model (item);
  pb_run_item_get_input_stats (item, &out->input_mean, &out->input_std);
  out->settings = pb_run_item_get_settings (item);
}

static void
update_status (PbEmbeddingView *self)
{
  guint n = pb_embedder_get_n_maps (self->embedder);
  const PbEmbedMap *current = NULL;
  guint index = 0, done = 0;
  g_autofree char *title = NULL;
  g_autofree char *detail = NULL;
  double fraction;

  for (guint i = 0; i < n; i++)
    {
      const PbEmbedMap *map = pb_embedder_get_map (self->embedder, i);

      if (map->state >= PB_EMBED_DONE)
        done++;
      if (current == NULL && map->state < PB_EMBED_DONE && map->state > PB_EMBED_QUEUED)
        {
          current = map;
          index = i;
        }
    }
  if (current == NULL && n > 0)
    {
      index = n - 1;
      current = pb_embedder_get_map (self->embedder, index);
    }
  if (current == NULL)
    return;

  if (pb_embedder_get_running (self->embedder))
    {
      if (n > 1)
        /* Translators: "Map 2 of 4: siamese · seed 1" */
        title = g_strdup_printf (_("Map %u of %u: %s"), index + 1, n, current->title);
      else
        title = g_strdup_printf (_("Mapping %s"), current->title);
    }
  else if (n > 1)
    title = g_strdup_printf (ngettext ("%u map of %u finished", "%u maps of %u finished", done),
                             done, n);
  else
    title = g_strdup (current->title);

  switch (current->state)
    {
    case PB_EMBED_FEATURES:
      detail = g_strdup (_("Running the model on the test pairs…"));
      fraction = 0;
      break;
    case PB_EMBED_NEIGHBOURS:
      detail = g_strdup (_("Finding each point’s neighbours and calibrating the perplexity…"));
      fraction = NEIGHBOUR_SHARE * current->fraction;
      break;
    case PB_EMBED_FAILED:
      detail = g_strdup (current->message ? current->message : "");
      fraction = 0;
      break;
    default:
      {
        g_autofree char *points = pb_format_count ((gsize) MAX (current->n, 0));

        /* Translators: points, t-SNE iteration/planned, KL divergence, perplexity used */
        detail = g_strdup_printf (_("%s points · iteration %d/%d · KL %.3f · perplexity %g"),
                                  points, current->iteration, current->iterations, current->kl,
                                  current->perplexity_used);
      }
      fraction = NEIGHBOUR_SHARE + (1 - NEIGHBOUR_SHARE) *
                 (current->iterations > 0 ? (double) current->iteration / current->iterations : 0);
      break;
    }
  if (current->state == PB_EMBED_CANCELLED)
    {
      g_autofree char *stopped = g_strdup_printf (_("Stopped · %s"), detail);
      g_free (detail);
      detail = g_steal_pointer (&stopped);
    }

  gtk_label_set_label (self->status_label, title);
  gtk_label_set_label (self->status_detail, detail);
  gtk_progress_bar_set_fraction (self->progress_bar, (index + fraction) / MAX (n, 1));
}

static void
on_embedder_updated (PbEmbeddingView *self,
                     guint            index)
{
  update_status (self);
}

static void
on_embedder_running (PbEmbeddingView *self)
{
  update_status (self);
  update_actions (self);
}

static gboolean
embed_models (PbEmbeddingView     *self,
              const PbEmbedModel  *models,
              PbRunItem *const    *items,
              guint                n_models,
              GError             **error);

gboolean
pb_embedding_view_embed_models (PbEmbeddingView     *self,
                                const PbEmbedModel  *models,
                                guint                n_models,
                                GError             **error)
{
  g_return_val_if_fail (PB_IS_EMBEDDING_VIEW (self), FALSE);
  return embed_models (self, models, NULL, n_models, error);
}

static gboolean
embed_models (PbEmbeddingView     *self,
              const PbEmbedModel  *models,
              PbRunItem *const    *items,
              guint                n_models,
              GError             **error)
{
  PbEmbedSettings s;
  g_autofree char *setting = NULL;
  g_autofree char *data_dir = NULL;

  g_return_val_if_fail (PB_IS_EMBEDDING_VIEW (self), FALSE);
  g_return_val_if_fail (n_models >= 1 && n_models <= N_GRID, FALSE);

  /* Restart: the old worker finishes its current iterations and its results are dropped. */
  if (pb_embedder_get_running (self->embedder))
    {
      g_signal_handlers_disconnect_by_data (self->embedder, self);
      pb_embedder_stop (self->embedder);
      g_clear_object (&self->embedder);
      self->embedder = pb_embedder_new ();
      g_signal_connect_swapped (self->embedder, "updated", G_CALLBACK (on_embedder_updated),
                                self);
      g_signal_connect_swapped (self->embedder, "notify::running",
                                G_CALLBACK (on_embedder_running), self);
    }

  pb_embedding_view_get_settings (self, &s);
  setting = g_settings_get_string (self->settings, "data-dir");
  data_dir = pb_resolve_data_dir (setting);
  if (!pb_embedder_start (self->embedder, models, n_models, &s, data_dir, error))
    return FALSE;

  self->n_shown = n_models;
  for (guint i = 0; i < N_GRID; i++)
    {
      PbRunItem *item = items != NULL && i < n_models ? items[i] : NULL;
      g_set_object (&self->map_items[i], item);
    }
  if (n_models == 1)
    {
      pb_scatter_view_set_source (self->single_view, self->embedder, 0);
      gtk_stack_set_visible_child_name (self->map_stack, "single");
    }
  else
    {
      for (guint i = 0; i < N_GRID; i++)
        {
          pb_scatter_view_set_source (pb_embedding_view_grid_view (self, i), self->embedder, i);
          gtk_widget_set_visible (GTK_WIDGET (pb_embedding_view_grid_view (self, i)), i < n_models);
        }
      gtk_stack_set_visible_child_name (self->map_stack, "grid");
    }
  update_status (self);
  update_actions (self);
  return TRUE;
}

static void
report_error (PbEmbeddingView *self,
              GError          *error)
{
  gtk_label_set_label (self->status_label, _("Could Not Start the Map"));
  gtk_label_set_label (self->status_detail, error->message);
}

static void
start_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  PbEmbeddingView *self = PB_EMBEDDING_VIEW (widget);
  PbRunItem *item = pb_run_picker_get_run (self->run_picker);
  int extra = pb_run_picker_get_extra (self->run_picker);
  g_autoptr(GError) error = NULL;
  PbEmbedModel model;

  if (item != NULL)
    embed_model_from_item (item, &model);
  else if (extra < 0 || self->comparison == NULL
           || !pb_comparison_get_embed_model (self->comparison, extra, &model))
    return;
  if (!embed_models (self, &model, &item, 1, &error))
    report_error (self, error);
}

/* MNIST's test set, each digit once: what a map of the whole test set takes. */
static void
all_test_pairs_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  PbEmbeddingView *self = PB_EMBEDDING_VIEW (widget);

  gtk_spin_button_set_value (self->pairs_spin,
                             gtk_adjustment_get_upper (gtk_spin_button_get_adjustment (
                               self->pairs_spin)));
}

static void
stop_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  pb_embedder_stop (PB_EMBEDDING_VIEW (widget)->embedder);
}

/* The comparison's models that kept weights: the report's four first, in its order, then the
 * others in the comparison's order. */
static guint
comparison_models (PbEmbeddingView *self,
                   PbEmbedModel    *models)
{
  const PbSession *session;
  guint order[PB_SESSION_MAX_MODELS];
  guint n_order = 0, n = 0;

  if (n_comparison_models (self) == 0)
    return 0;
  session = pb_comparison_get_session (self->comparison);
  for (guint r = 0; r < N_GRID; r++)
    for (int m = 0; m < session->n_models; m++)
      if (g_strcmp0 (pb_arch_name (&session->models[m]), compare_models[r]) == 0)
        order[n_order++] = m;
  for (int m = 0; m < session->n_models; m++)
    {
      gboolean listed = FALSE;

      for (guint k = 0; k < n_order; k++)
        listed |= order[k] == (guint) m;
      if (!listed)
        order[n_order++] = m;
    }
  for (guint k = 0; k < n_order && n < N_GRID; k++)
    if (pb_comparison_get_embed_model (self->comparison, order[k], &models[n]))
      n++;
  return n;
}

gboolean
pb_embedding_view_embed_comparison (PbEmbeddingView  *self,
                                    GError          **error)
{
  PbEmbedModel models[N_GRID];
  guint n;

  g_return_val_if_fail (PB_IS_EMBEDDING_VIEW (self), FALSE);

  n = comparison_models (self, models);
  if (n == 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                           self->comparison && pb_comparison_get_loaded (self->comparison)
                           ? _("A comparison opened from a file keeps no weights to map; run it "
                               "again to map its models")
                           : _("No model of the comparison has finished a round yet"));
      return FALSE;
    }
  return pb_embedding_view_embed_models (self, models, n, error);
}

static void
compare_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  PbEmbeddingView *self = PB_EMBEDDING_VIEW (widget);
  PbEmbedModel models[N_GRID];
  PbRunItem *items[N_GRID];
  guint n = 0, n_runs = n_run_choices (self);
  g_autoptr(GError) error = NULL;

  if (n_comparison_models (self) > 0)
    {
      if (!pb_embedding_view_embed_comparison (self, &error))
        report_error (self, error);
      return;
    }
  for (guint m = 0; m < N_GRID; m++)
    for (guint i = n_runs; i-- > 0;)
      {
        PbRunItem *item = pb_run_picker_get_nth_run (self->run_picker, i);

        if (g_strcmp0 (pb_run_item_get_arch_name (item), compare_models[m]) == 0)
          {
            items[n] = item;
            embed_model_from_item (item, &models[n++]);
            break;
          }
      }
  /* Fewer than two of the report's models: compare the latest runs of any model instead. */
  if (n < 2)
    for (n = 0; n < MIN (n_runs, N_GRID); n++)
      {
        items[n] = pb_run_picker_get_nth_run (self->run_picker,
                                              n_runs - MIN (n_runs, N_GRID) + n);
        embed_model_from_item (items[n], &models[n]);
      }
  if (n == 0)
    return;
  if (!embed_models (self, models, items, n, &error))
    report_error (self, error);
}

/* The maps on screen: the single one, or the grid's first n_shown. */
static guint
shown_views (PbEmbeddingView *self,
             PbScatterView  **views)
{
  if (self->n_shown <= 1)
    {
      views[0] = self->single_view;
      return 1;
    }
  for (guint i = 0; i < self->n_shown; i++)
    views[i] = pb_embedding_view_grid_view (self, i);
  return self->n_shown;
}

static void
view_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  PbEmbeddingView *self = PB_EMBEDDING_VIEW (widget);
  PbScatterView *views[N_GRID];
  guint n = shown_views (self, views);

  for (guint i = 0; i < n; i++)
    if (g_str_equal (action_name, "embedding.zoom-in"))
      pb_scatter_view_zoom (views[i], 1.25);
    else if (g_str_equal (action_name, "embedding.zoom-out"))
      pb_scatter_view_zoom (views[i], 1 / 1.25);
    else
      pb_scatter_view_reset_view (views[i]);
}

static void
clear_selection_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  PbEmbeddingView *self = PB_EMBEDDING_VIEW (widget);

  if (self->selection_view != NULL)
    pb_scatter_view_set_selected (self->selection_view, -1);
}

static guint
view_index (PbEmbeddingView *self,
            PbScatterView   *view)
{
  for (guint i = 0; i < N_GRID; i++)
    if (pb_embedding_view_grid_view (self, i) == view)
      return i;
  return 0;
}

static void
on_selected (PbScatterView   *view,
             GParamSpec      *pspec,
             PbEmbeddingView *self)
{
  int point = pb_scatter_view_get_selected (view);
  const PbEmbedMap *map = pb_scatter_view_get_map (view);
  PbScatterView *views[N_GRID + 1] = {
    self->single_view, self->grid_view0, self->grid_view1, self->grid_view2, self->grid_view3,
  };

  if (point < 0)
    {
      if (view == self->selection_view)
        {
          self->selection_view = NULL;
          pb_embedding_view_update_neighbours (self);
          update_actions (self);
        }
      return;
    }

  /* One selection across the maps. */
  self->selection_view = view;
  for (guint i = 0; i < G_N_ELEMENTS (views); i++)
    if (views[i] != view)
      pb_scatter_view_set_selected (views[i], -1);
  pb_embedding_view_update_neighbours (self);
  update_actions (self);

  if (map != NULL)
    {
      PbRunItem *item = self->map_items[view == self->single_view ? 0 : view_index (self, view)];

      if (item != NULL)
        g_signal_emit (self, signals[INSPECT_PAIR], 0, item,
                       pb_embed_map_point_pair (map, point));
    }
}

static void
on_neighbour_activated (PbEmbeddingView *self,
                        GtkListBoxRow   *row)
{
  int point = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (row), "pb-point"));

  if (self->selection_view != NULL)
    pb_scatter_view_set_selected (self->selection_view, point);
}

static void
on_dark_changed (PbEmbeddingView *self)
{
  if (self->selection_view != NULL)
    pb_embedding_view_update_neighbours (self);
}

static void
pb_embedding_view_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  PbEmbeddingView *self = PB_EMBEDDING_VIEW (object);

  switch (prop_id)
    {
    case PROP_SPRITES:
      g_value_set_boolean (value, self->sprites);
      break;
    case PROP_COLOR_BY:
      g_value_set_int (value, self->color_by);
      break;
    case PROP_METRIC:
      g_value_set_int (value, self->metric);
      break;
    case PROP_NEIGHBOURS:
      g_value_set_int (value, self->n_neighbours);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pb_embedding_view_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  PbEmbeddingView *self = PB_EMBEDDING_VIEW (object);

  switch (prop_id)
    {
    case PROP_SPRITES:
      if (self->sprites == g_value_get_boolean (value))
        return;
      self->sprites = g_value_get_boolean (value);
      break;
    case PROP_COLOR_BY:
      if (self->color_by == (PbScatterColoring) g_value_get_int (value))
        return;
      self->color_by = g_value_get_int (value);
      /* The thumbnails are tinted by the colouring. */
      pb_embedding_view_update_neighbours (self);
      break;
    case PROP_METRIC:
      if (self->metric == (PbDistance) g_value_get_int (value))
        return;
      self->metric = g_value_get_int (value);
      pb_embedding_view_update_neighbours (self);
      break;
    case PROP_NEIGHBOURS:
      if (self->n_neighbours == g_value_get_int (value))
        return;
      self->n_neighbours = g_value_get_int (value);
      pb_embedding_view_update_neighbours (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      return;
    }
  g_object_notify_by_pspec (object, pspec);
}

static void
pb_embedding_view_dispose (GObject *object)
{
  PbEmbeddingView *self = PB_EMBEDDING_VIEW (object);

  if (self->embedder != NULL)
    g_signal_handlers_disconnect_by_data (self->embedder, self);
  if (self->runs != NULL)
    g_signal_handlers_disconnect_by_data (self->runs, self);
  if (self->comparison != NULL)
    g_signal_handlers_disconnect_by_data (self->comparison, self);
  gtk_widget_dispose_template (GTK_WIDGET (self), PB_TYPE_EMBEDDING_VIEW);
  /* Template children without an id are not unparented by dispose_template in GTK 4.8. */
  for (GtkWidget *child; (child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL;)
    gtk_widget_unparent (child);
  /* Cancels and joins the worker. */
  g_clear_object (&self->embedder);
  g_clear_object (&self->runs);
  g_clear_object (&self->comparison);
  g_clear_object (&self->settings);
  for (guint i = 0; i < N_GRID; i++)
    g_clear_object (&self->map_items[i]);
  self->selection_view = NULL;

  G_OBJECT_CLASS (pb_embedding_view_parent_class)->dispose (object);
}

static void
pb_embedding_view_class_init (PbEmbeddingViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pb_embedding_view_dispose;
  object_class->get_property = pb_embedding_view_get_property;
  object_class->set_property = pb_embedding_view_set_property;

  properties[PROP_SPRITES] =
    g_param_spec_boolean ("sprites", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_COLOR_BY] =
    g_param_spec_int ("color-by", NULL, NULL, 0, PB_SCATTER_N_COLORINGS - 1,
                      PB_SCATTER_COLOR_DIGIT,
                      G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_METRIC] =
    g_param_spec_int ("metric", NULL, NULL, PB_DISTANCE_EUCLIDEAN, PB_DISTANCE_COSINE,
                      PB_DISTANCE_EUCLIDEAN,
                      G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_NEIGHBOURS] =
    g_param_spec_int ("neighbours", NULL, NULL, 1, 50, 10,
                      G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* The user picked a point of a run's map: the run and the test pair's index, for Inspect. */
  signals[INSPECT_PAIR] = g_signal_new ("inspect-pair", G_TYPE_FROM_CLASS (klass),
                                        G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 2,
                                        PB_TYPE_RUN_ITEM, G_TYPE_INT);

  g_type_ensure (PB_TYPE_SCATTER_VIEW);
  g_type_ensure (PB_TYPE_RUN_PICKER);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/pairbench/Pairbench/pb-embedding-view.ui");
  gtk_widget_class_bind_template_child (widget_class, PbEmbeddingView, run_picker);
  gtk_widget_class_bind_template_child (widget_class, PbEmbeddingView, layer_row);
  gtk_widget_class_bind_template_child (widget_class, PbEmbeddingView, perplexity_spin);
  gtk_widget_class_bind_template_child (widget_class, PbEmbeddingView, iterations_spin);
  gtk_widget_class_bind_template_child (widget_class, PbEmbeddingView, seed_spin);
  gtk_widget_class_bind_template_child (widget_class, PbEmbeddingView, pairs_spin);
  gtk_widget_class_bind_template_child (widget_class, PbEmbeddingView, compare_group);
  gtk_widget_class_bind_template_child (widget_class, PbEmbeddingView, status_label);
  gtk_widget_class_bind_template_child (widget_class, PbEmbeddingView, status_detail);
  gtk_widget_class_bind_template_child (widget_class, PbEmbeddingView, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, PbEmbeddingView, map_stack);
  gtk_widget_class_bind_template_child (widget_class, PbEmbeddingView, status_page);
  gtk_widget_class_bind_template_child (widget_class, PbEmbeddingView, single_view);
  gtk_widget_class_bind_template_child (widget_class, PbEmbeddingView, grid);
  gtk_widget_class_bind_template_child (widget_class, PbEmbeddingView, grid_view0);
  gtk_widget_class_bind_template_child (widget_class, PbEmbeddingView, grid_view1);
  gtk_widget_class_bind_template_child (widget_class, PbEmbeddingView, grid_view2);
  gtk_widget_class_bind_template_child (widget_class, PbEmbeddingView, grid_view3);
  gtk_widget_class_bind_template_child (widget_class, PbEmbeddingView, color_row);
  gtk_widget_class_bind_template_child (widget_class, PbEmbeddingView, metric_row);
  gtk_widget_class_bind_template_child (widget_class, PbEmbeddingView, neighbours_spin);
  gtk_widget_class_bind_template_child (widget_class, PbEmbeddingView, neighbour_revealer);
  gtk_widget_class_bind_template_child (widget_class, PbEmbeddingView, selected_picture);
  gtk_widget_class_bind_template_child (widget_class, PbEmbeddingView, selected_title);
  gtk_widget_class_bind_template_child (widget_class, PbEmbeddingView, selected_detail);
  gtk_widget_class_bind_template_child (widget_class, PbEmbeddingView, neighbours_caption);
  gtk_widget_class_bind_template_child (widget_class, PbEmbeddingView, neighbour_list);

  gtk_widget_class_install_action (widget_class, "embedding.start", NULL, start_action);
  gtk_widget_class_install_action (widget_class, "embedding.stop", NULL, stop_action);
  gtk_widget_class_install_action (widget_class, "embedding.all-test-pairs", NULL,
                                   all_test_pairs_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "embedding.stop", NULL);
  gtk_widget_class_install_action (widget_class, "embedding.compare", NULL, compare_action);
  gtk_widget_class_install_action (widget_class, "embedding.export", NULL,
                                   pb_embedding_view_export_action);
  gtk_widget_class_install_action (widget_class, "embedding.zoom-in", NULL, view_action);
  gtk_widget_class_install_action (widget_class, "embedding.zoom-out", NULL, view_action);
  gtk_widget_class_install_action (widget_class, "embedding.reset-view", NULL, view_action);
  gtk_widget_class_install_action (widget_class, "embedding.clear-selection", NULL,
                                   clear_selection_action);
  gtk_widget_class_install_property_action (widget_class, "embedding.sprites", "sprites");
  gtk_widget_class_install_property_action (widget_class, "embedding.color-by", "color-by");
  gtk_widget_class_set_css_name (widget_class, "embeddingview");
}

static void
pb_embedding_view_init (PbEmbeddingView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->settings = g_settings_new (PB_SCHEMA_ID);
  pb_run_picker_set_filter (self->run_picker, item_has_model, NULL);
  g_signal_connect_swapped (self->run_picker, "changed", G_CALLBACK (on_choices_changed), self);
  g_signal_connect_swapped (self->run_picker, "entries-changed", G_CALLBACK (on_choices_changed),
                            self);
  self->embedder = pb_embedder_new ();
  g_signal_connect_swapped (self->embedder, "updated", G_CALLBACK (on_embedder_updated), self);
  g_signal_connect_swapped (self->embedder, "notify::running", G_CALLBACK (on_embedder_running),
                            self);

  /* One digit highlighted on every map at once. */
  for (guint i = 1; i < N_GRID; i++)
    g_object_bind_property (self->grid_view0, "highlight", pb_embedding_view_grid_view (self, i),
                            "highlight", G_BINDING_BIDIRECTIONAL);
  g_object_bind_property (self->grid_view0, "highlight", self->single_view, "highlight",
                          G_BINDING_BIDIRECTIONAL);

  self->n_neighbours = 10;
  for (guint i = 0; i <= N_GRID; i++)
    {
      PbScatterView *view = i < N_GRID ? pb_embedding_view_grid_view (self, i) : self->single_view;

      g_object_bind_property (self, "sprites", view, "sprites", G_BINDING_SYNC_CREATE);
      g_object_bind_property (self, "color-by", view, "coloring", G_BINDING_SYNC_CREATE);
      g_signal_connect (view, "notify::selected", G_CALLBACK (on_selected), self);
    }
  g_object_bind_property (self, "color-by", self->color_row, "selected",
                          G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
  g_object_bind_property (self, "metric", self->metric_row, "selected",
                          G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
  g_object_bind_property (self, "neighbours", gtk_spin_button_get_adjustment (self->neighbours_spin),
                          "value", G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
  g_signal_connect_swapped (self->neighbour_list, "row-activated",
                            G_CALLBACK (on_neighbour_activated), self);
  g_signal_connect_object (adw_style_manager_get_default (), "notify::dark",
                           G_CALLBACK (on_dark_changed), self, G_CONNECT_SWAPPED);

  update_compare_group (self);
  gtk_label_set_label (self->status_label, _("No map yet"));
  gtk_label_set_label (self->status_detail, _("Choose a trained run and press Embed"));
  update_actions (self);
}

GtkWidget *
pb_embedding_view_new (void)
{
  return g_object_new (PB_TYPE_EMBEDDING_VIEW, NULL);
}

void
pb_embedding_view_set_runs (PbEmbeddingView *self,
                            GListModel      *runs)
{
  g_return_if_fail (PB_IS_EMBEDDING_VIEW (self));

  g_set_object (&self->runs, runs);
  pb_run_picker_set_runs (self->run_picker, runs);
  rebuild_choices (self);
}

static void
on_comparison_changed (PbEmbeddingView *self)
{
  rebuild_choices (self);
}

void
pb_embedding_view_set_comparison (PbEmbeddingView *self,
                                  PbComparison    *comparison)
{
  g_return_if_fail (PB_IS_EMBEDDING_VIEW (self));
  g_return_if_fail (comparison == NULL || PB_IS_COMPARISON (comparison));

  if (self->comparison != NULL)
    g_signal_handlers_disconnect_by_data (self->comparison, self);
  g_set_object (&self->comparison, comparison);
  if (comparison != NULL)
    {
      g_signal_connect_swapped (comparison, "changed", G_CALLBACK (on_comparison_changed), self);
      g_signal_connect_swapped (comparison, "finished", G_CALLBACK (on_comparison_changed),
                                self);
    }
  rebuild_choices (self);
}

guint
pb_embedding_view_get_n_choices (PbEmbeddingView *self)
{
  g_return_val_if_fail (PB_IS_EMBEDDING_VIEW (self), 0);
  return pb_run_picker_get_n_entries (self->run_picker);
}

char *
pb_embedding_view_get_choice_label (PbEmbeddingView *self,
                                    guint            index)
{
  g_return_val_if_fail (PB_IS_EMBEDDING_VIEW (self), NULL);
  g_return_val_if_fail (index < pb_run_picker_get_n_entries (self->run_picker), NULL);
  return g_strdup (pb_run_picker_get_entry_label (self->run_picker, index));
}

void
pb_embedding_view_select_run (PbEmbeddingView *self,
                              PbRunItem       *item)
{
  g_return_if_fail (PB_IS_EMBEDDING_VIEW (self));

  pb_run_picker_set_run (self->run_picker, item);
}

PbRunItem *
pb_embedding_view_get_run (PbEmbeddingView *self)
{
  g_return_val_if_fail (PB_IS_EMBEDDING_VIEW (self), NULL);
  return pb_run_picker_get_run (self->run_picker);
}

PbEmbedder *
pb_embedding_view_get_embedder (PbEmbeddingView *self)
{
  g_return_val_if_fail (PB_IS_EMBEDDING_VIEW (self), NULL);
  return self->embedder;
}

PbScatterView *
pb_embedding_view_get_map_view (PbEmbeddingView *self,
                                guint            index)
{
  g_return_val_if_fail (PB_IS_EMBEDDING_VIEW (self), NULL);
  g_return_val_if_fail (index < N_GRID, NULL);
  return self->n_shown <= 1 ? self->single_view : pb_embedding_view_grid_view (self, index);
}

GtkListBox *
pb_embedding_view_get_neighbour_list (PbEmbeddingView *self)
{
  g_return_val_if_fail (PB_IS_EMBEDDING_VIEW (self), NULL);
  return self->neighbour_list;
}
