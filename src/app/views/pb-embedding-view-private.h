/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* What the embedding view's files share: the view's state, the figure export and the
 * neighbour list. */

#include <adwaita.h>

#include "pb-embedding-view.h"
#include "pb-run-picker.h"

G_BEGIN_DECLS

#define N_GRID 4

struct _PbEmbeddingView
{
  GtkWidget parent_instance;

  GSettings *settings;
  GListModel *runs;
  PbComparison *comparison;
  PbEmbedder *embedder;
  guint n_shown;
  PbRunItem *map_items[N_GRID];   /* the run of each map shown, or NULL */

  gboolean sprites;
  PbScatterColoring color_by;
  PbDistance metric;
  int n_neighbours;
  PbScatterView *selection_view;  /* the map with the selected point, or NULL */

  PbRunPicker *run_picker;
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

static inline PbScatterView *
pb_embedding_view_grid_view (PbEmbeddingView *self,
                             guint            i)
{
  PbScatterView *views[N_GRID] = {
    self->grid_view0, self->grid_view1, self->grid_view2, self->grid_view3,
  };

  return views[i];
}

/* pb-embedding-view-export.c: the embedding.export action. */
void pb_embedding_view_export_action (GtkWidget *widget, const char *action_name,
                                      GVariant *parameter);
/* pb-embedding-view-neighbours.c: finds the selected point's neighbours in the features that
 * were mapped, marks them on the map and lists them. */
void pb_embedding_view_update_neighbours (PbEmbeddingView *self);

G_END_DECLS
