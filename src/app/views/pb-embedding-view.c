/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pb-embedding-view"

#include "config.h"

#include <math.h>
#include <glib/gi18n.h>
#include <adwaita.h>

#include "pb-embedding-view.h"
#include "pb-knn.h"
#include "pb-scatter-view.h"
#include "pb-uninstalled.h"

#define N_GRID 4

/* The report's four models, in the order of its Figures 2–5. */
static const char *const compare_models[N_GRID] = {
  "stacked", "stacked-aux", "siamese", "siamese-aux",
};

struct _PbEmbeddingView
{
  GtkWidget parent_instance;

  GSettings *settings;
  GListModel *runs;
  PbComparison *comparison;
  GPtrArray *choices;       /* Choice, in the combo row's order: runs, then comparison models */
  GtkStringList *choice_names;
  PbEmbedder *embedder;
  guint n_shown;
  PbRunItem *map_items[N_GRID];   /* the run of each map shown, or NULL */

  gboolean sprites;
  PbScatterColoring color_by;
  PbDistance metric;
  int n_neighbours;
  PbScatterView *selection_view;  /* the map with the selected point, or NULL */

  AdwComboRow *run_row;
  AdwComboRow *layer_row;
  GtkSpinButton *perplexity_spin;
  GtkSpinButton *iterations_spin;
  GtkSpinButton *seed_spin;
  GtkSpinButton *pairs_spin;
  AdwPreferencesGroup *compare_group;
  GtkLabel *status_label;
  GtkLabel *status_detail;
  GtkProgressBar *progress_bar;
  GtkStack *map_stack;
  AdwStatusPage *status_page;
  PbScatterView *single_view;
  GtkGrid *grid;
  PbScatterView *grid_view0;
  PbScatterView *grid_view1;
  PbScatterView *grid_view2;
  PbScatterView *grid_view3;
  AdwComboRow *color_row;
  AdwComboRow *metric_row;
  GtkSpinButton *neighbours_spin;
  GtkRevealer *neighbour_revealer;
  GtkPicture *selected_picture;
  GtkLabel *selected_title;
  GtkLabel *selected_detail;
  GtkLabel *neighbours_caption;
  GtkListBox *neighbour_list;
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

/* A run with a model, or (item NULL) model index of the comparison. */
typedef struct
{
  PbRunItem *item;
  guint model;
} Choice;

static void
choice_free (gpointer data)
{
  Choice *choice = data;

  g_clear_object (&choice->item);
  g_free (choice);
}

static guint
n_run_choices (PbEmbeddingView *self)
{
  guint n = 0;

  for (guint i = 0; i < self->choices->len; i++)
    n += ((Choice *) g_ptr_array_index (self->choices, i))->item != NULL;
  return n;
}

static guint
n_comparison_models (PbEmbeddingView *self)
{
  return self->comparison != NULL ? pb_comparison_get_n_embed_models (self->comparison) : 0;
}

static PbScatterView *
grid_view (PbEmbeddingView *self,
           guint            i)
{
  PbScatterView *views[N_GRID] = {
    self->grid_view0, self->grid_view1, self->grid_view2, self->grid_view3,
  };

  return views[i];
}

static void
update_actions (PbEmbeddingView *self)
{
  gboolean running = pb_embedder_get_running (self->embedder);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "embedding.start", self->choices->len > 0);
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
item_has_model (PbRunItem *item)
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

static gboolean
choice_equal (const Choice *a,
              const Choice *b)
{
  return a->item == b->item && (a->item != NULL || a->model == b->model);
}

static void
rebuild_choices (PbEmbeddingView *self)
{
  guint n = self->runs ? g_list_model_get_n_items (self->runs) : 0;
  guint n_models = self->comparison ? pb_comparison_get_n_models (self->comparison) : 0;
  guint selected = adw_combo_row_get_selected (self->run_row);
  Choice previous = { NULL, 0 };
  gboolean had_previous = selected < self->choices->len;
  guint keep = GTK_INVALID_LIST_POSITION;
  guint n_runs;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);

  if (had_previous)
    {
      previous = *(Choice *) g_ptr_array_index (self->choices, selected);
      ((Choice *) g_ptr_array_index (self->choices, selected))->item = NULL;
    }
  g_ptr_array_set_size (self->choices, 0);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(PbRunItem) item = g_list_model_get_item (self->runs, i);
      Choice *choice;

      if (!item_has_model (item))
        continue;
      choice = g_new0 (Choice, 1);
      choice->item = g_object_ref (item);
      if (had_previous && choice_equal (choice, &previous))
        keep = self->choices->len;
      g_ptr_array_add (self->choices, choice);
      g_ptr_array_add (names, g_strdup (pb_run_item_get_label (item)));
    }
  n_runs = self->choices->len;
  for (guint m = 0; m < n_models; m++)
    {
      PbEmbedModel model;
      Choice *choice;

      if (!pb_comparison_get_embed_model (self->comparison, m, &model))
        continue;
      choice = g_new0 (Choice, 1);
      choice->model = m;
      if (had_previous && choice_equal (choice, &previous))
        keep = self->choices->len;
      g_ptr_array_add (self->choices, choice);
      g_ptr_array_add (names, g_strdup (model.title));
    }
  g_ptr_array_add (names, NULL);

  gtk_string_list_splice (self->choice_names, 0,
                          g_list_model_get_n_items (G_LIST_MODEL (self->choice_names)),
                          (const char *const *) names->pdata);
  /* A new run is what the user most likely wants to map next. */
  if (keep == GTK_INVALID_LIST_POSITION)
    keep = n_runs > 0 ? n_runs - 1 : self->choices->len > 0 ? 0 : GTK_INVALID_LIST_POSITION;
  adw_combo_row_set_selected (self->run_row, keep);
  g_clear_object (&previous.item);
  update_compare_group (self);

  if (self->choices->len > 0)
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

static void
on_item_notify (PbEmbeddingView *self)
{
  rebuild_choices (self);
}

static void
on_runs_changed (PbEmbeddingView *self,
                 guint            position,
                 guint            removed,
                 guint            added)
{
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr(PbRunItem) item = g_list_model_get_item (self->runs, i);

      g_signal_connect_object (item, "notify::status", G_CALLBACK (on_item_notify), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (item, "notify::label", G_CALLBACK (on_item_notify), self,
                               G_CONNECT_SWAPPED);
    }
  rebuild_choices (self);
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

static gboolean
embed_model_from_choice (PbEmbeddingView *self,
                         Choice          *choice,
                         PbEmbedModel    *out)
{
  if (choice->item != NULL)
    {
      embed_model_from_item (choice->item, out);
      return TRUE;
    }
  return self->comparison != NULL
         && pb_comparison_get_embed_model (self->comparison, choice->model, out);
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
      fraction = 0;
      break;
    case PB_EMBED_FAILED:
      detail = g_strdup (current->message ? current->message : "");
      fraction = 0;
      break;
    default:
      /* Translators: points, t-SNE iteration/planned, KL divergence, perplexity used */
      detail = g_strdup_printf (_("%d points · iteration %d/%d · KL %.3f · perplexity %g"),
                                current->n, current->iteration, current->iterations, current->kl,
                                current->perplexity_used);
      fraction = current->iterations > 0 ? (double) current->iteration / current->iterations : 0;
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
          pb_scatter_view_set_source (grid_view (self, i), self->embedder, i);
          gtk_widget_set_visible (GTK_WIDGET (grid_view (self, i)), i < n_models);
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
  guint selected = adw_combo_row_get_selected (self->run_row);
  g_autoptr(GError) error = NULL;
  PbEmbedModel model;

  if (selected >= self->choices->len
      || !embed_model_from_choice (self, g_ptr_array_index (self->choices, selected), &model))
    return;
  if (!embed_models (self, &model,
                     &((Choice *) g_ptr_array_index (self->choices, selected))->item, 1,
                     &error))
    report_error (self, error);
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
  /* Run choices come first in self->choices. */
  for (guint m = 0; m < N_GRID; m++)
    for (guint i = n_runs; i-- > 0;)
      {
        Choice *choice = g_ptr_array_index (self->choices, i);

        if (g_strcmp0 (pb_run_item_get_arch_name (choice->item), compare_models[m]) == 0)
          {
            items[n] = choice->item;
            embed_model_from_item (choice->item, &models[n++]);
            break;
          }
      }
  /* Fewer than two of the report's models: compare the latest runs of any model instead. */
  if (n < 2)
    for (n = 0; n < MIN (n_runs, N_GRID); n++)
      {
        items[n] = ((Choice *) g_ptr_array_index (self->choices,
                                                  n_runs - MIN (n_runs, N_GRID) + n))->item;
        embed_model_from_item (items[n], &models[n]);
      }
  if (n == 0)
    return;
  if (!embed_models (self, models, items, n, &error))
    report_error (self, error);
}

typedef struct
{
  PbEmbeddingView *self;
  int index;           /* -1: every map shown */
} DrawData;

static void
grid_shape (guint  n,
            guint *cols,
            guint *rows)
{
  *cols = n > 1 ? 2 : 1;
  *rows = (n + *cols - 1) / *cols;
}

static void
draw_figure (cairo_t *cr,
             double   width,
             double   height,
             gpointer data)
{
  DrawData *dd = data;
  PbEmbeddingView *self = dd->self;
  guint cols, rows;

  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);
  if (dd->index >= 0 || self->n_shown <= 1)
    {
      PbScatterView *view = self->n_shown <= 1 ? self->single_view : grid_view (self, dd->index);
      pb_scatter_view_draw (view, cr, width, height, TRUE);
      return;
    }
  grid_shape (self->n_shown, &cols, &rows);
  for (guint i = 0; i < self->n_shown; i++)
    {
      cairo_save (cr);
      cairo_translate (cr, (i % cols) * width / cols, (i / cols) * height / rows);
      cairo_rectangle (cr, 0, 0, width / cols, height / rows);
      cairo_clip (cr);
      pb_scatter_view_draw (grid_view (self, i), cr, width / cols, height / rows, TRUE);
      cairo_restore (cr);
    }
}

static double
figure_height (PbEmbeddingView *self,
               int              index,
               double           width_pt)
{
  guint cols, rows;

  if (index >= 0 || self->n_shown <= 1)
    return round (width_pt * 0.82);
  grid_shape (self->n_shown, &cols, &rows);
  return round (width_pt / cols * rows);
}

static gboolean
export_figure (PbEmbeddingView  *self,
               int               index,
               const char       *path,
               double            width_pt,
               GError          **error)
{
  DrawData dd = { self, index };
  g_autoptr(GString) desc = g_string_new (NULL);
  guint n = pb_embedder_get_n_maps (self->embedder);

  for (guint i = 0; i < n; i++)
    {
      const PbEmbedMap *map = pb_embedder_get_map (self->embedder, i);

      if (index >= 0 && (guint) index != i)
        continue;
      /* Translators: an exported map's description: run, points, iteration, KL */
      g_string_append_printf (desc, _("t-SNE map of %s: %d points coloured by digit, "
                                      "iteration %d, KL %.3f. "),
                              map->title, map->n, map->iteration, map->kl);
    }
  return pb_export_figure (path, width_pt, figure_height (self, index, width_pt), draw_figure,
                           &dd, _("t-SNE maps of the last layer"), desc->str, error);
}

gboolean
pb_embedding_view_export (PbEmbeddingView  *self,
                          const char       *path,
                          double            width_pt,
                          GError          **error)
{
  g_return_val_if_fail (PB_IS_EMBEDDING_VIEW (self), FALSE);
  return export_figure (self, -1, path, width_pt, error);
}

gboolean
pb_embedding_view_export_map (PbEmbeddingView  *self,
                              guint             index,
                              const char       *path,
                              double            width_pt,
                              GError          **error)
{
  g_return_val_if_fail (PB_IS_EMBEDDING_VIEW (self), FALSE);
  g_return_val_if_fail (index < MAX (self->n_shown, 1), FALSE);
  return export_figure (self, self->n_shown <= 1 ? -1 : (int) index, path, width_pt, error);
}

static gboolean
save_figure (const char  *path,
             double       width_pt,
             gpointer     data,
             GError     **error)
{
  return pb_embedding_view_export (data, path, width_pt, error);
}

static void
export_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  PbEmbeddingView *self = PB_EMBEDDING_VIEW (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  const PbEmbedMap *map;
  g_autofree char *name = NULL;

  if (self->n_shown == 0)
    return;
  map = pb_embedder_get_map (self->embedder, 0);
  name = self->n_shown > 1 ? g_strdup (_("t-SNE maps.pdf"))
                           : g_strdup_printf (_("t-SNE %s.pdf"), map->arch_name);
  pb_export_run_save_dialog (GTK_WINDOW (root), _("Export the Maps"), name, TRUE, save_figure,
                             g_object_ref (self), g_object_unref);
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
    views[i] = grid_view (self, i);
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
    if (grid_view (self, i) == view)
      return i;
  return 0;
}

static GtkWidget *
neighbour_row (const PbEmbedMap      *map,
               const PbScatterPoints *points,
               gboolean               dark,
               int                    rank,
               int                    point,
               float                  distance)
{
  g_autoptr(GdkTexture) texture = pb_scatter_point_texture (points, point, dark, 2);
  g_autofree char *what = pb_embed_map_describe_point (map, point);
  /* Translators: a neighbour's rank, and its distance in the mapped layer */
  g_autofree char *detail = g_strdup_printf (_("%d. distance %.4g"), rank, distance);
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 10);
  GtkWidget *labels = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *picture = gtk_picture_new_for_paintable (GDK_PAINTABLE (texture));
  GtkWidget *title = gtk_label_new (what);
  GtkWidget *subtitle = gtk_label_new (detail);
  g_autofree char *accessible = g_strdup_printf ("%s, %s", what, detail);

  gtk_picture_set_can_shrink (GTK_PICTURE (picture), FALSE);
  gtk_widget_set_valign (picture, GTK_ALIGN_CENTER);
  gtk_label_set_xalign (GTK_LABEL (title), 0);
  gtk_label_set_wrap (GTK_LABEL (title), TRUE);
  gtk_label_set_xalign (GTK_LABEL (subtitle), 0);
  gtk_widget_add_css_class (subtitle, "dim-label");
  gtk_widget_add_css_class (subtitle, "numeric");
  gtk_widget_add_css_class (subtitle, "caption");
  gtk_widget_set_valign (labels, GTK_ALIGN_CENTER);
  gtk_box_append (GTK_BOX (labels), title);
  gtk_box_append (GTK_BOX (labels), subtitle);
  gtk_box_append (GTK_BOX (box), picture);
  gtk_box_append (GTK_BOX (box), labels);
  gtk_widget_set_margin_top (box, 3);
  gtk_widget_set_margin_bottom (box, 3);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  accessible, -1);
  g_object_set_data (G_OBJECT (row), "pb-point", GINT_TO_POINTER (point));
  return row;
}

static void
clear_neighbour_list (PbEmbeddingView *self)
{
  for (GtkWidget *child;
       (child = gtk_widget_get_first_child (GTK_WIDGET (self->neighbour_list))) != NULL;)
    gtk_list_box_remove (self->neighbour_list, child);
}

/* Finds the selected point's neighbours in the features that were mapped, marks them on the
 * map and lists them. */
static void
update_neighbours (PbEmbeddingView *self)
{
  PbScatterView *view = self->selection_view;
  const PbEmbedMap *map = view ? pb_scatter_view_get_map (view) : NULL;
  int selected = view ? pb_scatter_view_get_selected (view) : -1;
  gboolean dark = adw_style_manager_get_dark (adw_style_manager_get_default ());
  g_autofree guint8 *category = NULL;
  g_autofree int *idx = NULL;
  g_autofree float *dist = NULL;
  g_autofree char *what = NULL;
  g_autofree char *pair = NULL;
  g_autofree char *caption = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  PbScatterPoints points;
  PbError err = { { 0 } };
  int k;

  clear_neighbour_list (self);
  if (map == NULL || selected < 0 || map->features == NULL || selected >= map->n_points
      || map->n_points < 2)
    {
      gtk_revealer_set_reveal_child (self->neighbour_revealer, FALSE);
      return;
    }

  category = g_new (guint8, MAX (map->n, 1));
  pb_scatter_points_from_map (map, self->color_by, dark, category, &points);
  k = MIN (self->n_neighbours, map->n_points - 1);
  idx = g_new (int, k);
  dist = g_new (float, k);
  if (pb_knn (map->features, map->n_points, map->feature_dim, selected, k, self->metric, idx,
              dist, &err) != PB_OK)
    {
      /* Non-finite features: say why there is no list rather than show a wrong one. */
      pb_scatter_view_set_neighbours (view, NULL, 0);
      gtk_label_set_label (self->neighbours_caption, err.message);
      gtk_revealer_set_reveal_child (self->neighbour_revealer, TRUE);
      return;
    }
  pb_scatter_view_set_neighbours (view, idx, k);

  if (points.n > selected)
    texture = pb_scatter_point_texture (&points, selected, dark, 3);
  gtk_picture_set_paintable (self->selected_picture, GDK_PAINTABLE (texture));
  what = pb_embed_map_describe_point (map, selected);
  pair = pb_embed_map_describe_pair (map, selected);
  gtk_label_set_label (self->selected_title, what);
  gtk_label_set_label (self->selected_detail, pair);
  caption = g_strdup_printf (self->metric == PB_DISTANCE_COSINE
                             /* Translators: k nearest points by cosine distance, in a space of
                              * that many dimensions */
                             ? ngettext ("%d nearest by cosine distance, in %d dimensions",
                                         "%d nearest by cosine distance, in %d dimensions", k)
                             : ngettext ("%d nearest by Euclidean distance, in %d dimensions",
                                         "%d nearest by Euclidean distance, in %d dimensions", k),
                             k, map->feature_dim);
  gtk_label_set_label (self->neighbours_caption, caption);
  for (int j = 0; j < k && points.n > idx[j]; j++)
    gtk_list_box_append (self->neighbour_list,
                         neighbour_row (map, &points, dark, j + 1, idx[j], dist[j]));
  gtk_revealer_set_reveal_child (self->neighbour_revealer, TRUE);
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
          update_neighbours (self);
          update_actions (self);
        }
      return;
    }

  /* One selection across the maps. */
  self->selection_view = view;
  for (guint i = 0; i < G_N_ELEMENTS (views); i++)
    if (views[i] != view)
      pb_scatter_view_set_selected (views[i], -1);
  update_neighbours (self);
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
    update_neighbours (self);
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
      update_neighbours (self);
      break;
    case PROP_METRIC:
      if (self->metric == (PbDistance) g_value_get_int (value))
        return;
      self->metric = g_value_get_int (value);
      update_neighbours (self);
      break;
    case PROP_NEIGHBOURS:
      if (self->n_neighbours == g_value_get_int (value))
        return;
      self->n_neighbours = g_value_get_int (value);
      update_neighbours (self);
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
  g_clear_pointer (&self->choices, g_ptr_array_unref);
  g_clear_object (&self->choice_names);
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
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/pairbench/Pairbench/pb-embedding-view.ui");
  gtk_widget_class_bind_template_child (widget_class, PbEmbeddingView, run_row);
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
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "embedding.stop", NULL);
  gtk_widget_class_install_action (widget_class, "embedding.compare", NULL, compare_action);
  gtk_widget_class_install_action (widget_class, "embedding.export", NULL, export_action);
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
  self->choices = g_ptr_array_new_with_free_func (choice_free);
  self->choice_names = gtk_string_list_new (NULL);
  adw_combo_row_set_model (self->run_row, G_LIST_MODEL (self->choice_names));
  self->embedder = pb_embedder_new ();
  g_signal_connect_swapped (self->embedder, "updated", G_CALLBACK (on_embedder_updated), self);
  g_signal_connect_swapped (self->embedder, "notify::running", G_CALLBACK (on_embedder_running),
                            self);

  /* One digit highlighted on every map at once. */
  for (guint i = 1; i < N_GRID; i++)
    g_object_bind_property (self->grid_view0, "highlight", grid_view (self, i), "highlight",
                            G_BINDING_BIDIRECTIONAL);
  g_object_bind_property (self->grid_view0, "highlight", self->single_view, "highlight",
                          G_BINDING_BIDIRECTIONAL);

  self->n_neighbours = 10;
  for (guint i = 0; i <= N_GRID; i++)
    {
      PbScatterView *view = i < N_GRID ? grid_view (self, i) : self->single_view;

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

  if (self->runs != NULL)
    g_signal_handlers_disconnect_by_data (self->runs, self);
  g_set_object (&self->runs, runs);
  if (runs != NULL)
    {
      g_signal_connect_swapped (runs, "items-changed", G_CALLBACK (on_runs_changed), self);
      on_runs_changed (self, 0, 0, g_list_model_get_n_items (runs));
    }
  else
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
  return self->choices->len;
}

char *
pb_embedding_view_get_choice_label (PbEmbeddingView *self,
                                    guint            index)
{
  g_return_val_if_fail (PB_IS_EMBEDDING_VIEW (self), NULL);
  g_return_val_if_fail (index < self->choices->len, NULL);
  return g_strdup (gtk_string_list_get_string (self->choice_names, index));
}

void
pb_embedding_view_select_run (PbEmbeddingView *self,
                              PbRunItem       *item)
{
  g_return_if_fail (PB_IS_EMBEDDING_VIEW (self));

  for (guint i = 0; i < self->choices->len; i++)
    if (((Choice *) g_ptr_array_index (self->choices, i))->item == item)
      adw_combo_row_set_selected (self->run_row, i);
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
  return self->n_shown <= 1 ? self->single_view : grid_view (self, index);
}

GtkListBox *
pb_embedding_view_get_neighbour_list (PbEmbeddingView *self)
{
  g_return_val_if_fail (PB_IS_EMBEDDING_VIEW (self), NULL);
  return self->neighbour_list;
}
