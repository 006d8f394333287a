/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "pb-comparison.h"
#include "pb-embedder.h"
#include "pb-export.h"
#include "pb-run-item.h"
#include "pb-scatter-view.h"

G_BEGIN_DECLS

#define PB_TYPE_EMBEDDING_VIEW (pb_embedding_view_get_type ())
G_DECLARE_FINAL_TYPE (PbEmbeddingView, pb_embedding_view, PB, EMBEDDING_VIEW, GtkWidget)

/* The report's Figures 2–5, live: a t-SNE map of a model's last layer on the test digits, drawn
 * as it optimises, or one map per model side by side. Points are dots or digit images, coloured
 * by digit, position, correctness or target; clicking one lists its nearest neighbours in the
 * mapped layer and emits "inspect-pair" (PbRunItem *run, int test_pair_index) when the map is
 * of a run of the session (not of a comparison's model). */
GtkWidget  *pb_embedding_view_new (void);
/* The session's runs (PbRunItem); those with a model can be mapped. */
void        pb_embedding_view_set_runs (PbEmbeddingView *self, GListModel *runs);
void        pb_embedding_view_select_run (PbEmbeddingView *self, PbRunItem *item);
/* The picked run, or NULL (a comparison's model, or nothing). */
PbRunItem  *pb_embedding_view_get_run (PbEmbeddingView *self);
/* The Compare page's comparison: its models that kept weights are offered after the runs, and
 * "Compare" maps them rather than the last runs. */
void        pb_embedding_view_set_comparison (PbEmbeddingView *self, PbComparison *comparison);
/* What the model picker offers: the runs, then the comparison's models. */
guint       pb_embedding_view_get_n_choices (PbEmbeddingView *self);
char       *pb_embedding_view_get_choice_label (PbEmbeddingView *self, guint index);
void        pb_embedding_view_get_settings (PbEmbeddingView *self, PbEmbedSettings *out);
void        pb_embedding_view_set_settings (PbEmbeddingView *self, const PbEmbedSettings *s);
/* Maps n models with the view's settings, one after another, side by side when n > 1. */
gboolean    pb_embedding_view_embed_models (PbEmbeddingView *self, const PbEmbedModel *models,
                                            guint n_models, GError **error);
/* One map per model of the comparison, side by side, in the report's order. */
gboolean    pb_embedding_view_embed_comparison (PbEmbeddingView *self, GError **error);
PbEmbedder *pb_embedding_view_get_embedder (PbEmbeddingView *self);
/* Every map shown, as one figure; or map index alone. height follows width. */
gboolean    pb_embedding_view_export (PbEmbeddingView *self, const char *path,
                                      double width_pt, GError **error);
gboolean    pb_embedding_view_export_map (PbEmbeddingView *self, guint index, const char *path,
                                          double width_pt, GError **error);

/* The scatter view showing map index. */
PbScatterView *pb_embedding_view_get_map_view (PbEmbeddingView *self, guint index);
/* The selected point's neighbours, one row each, nearest first (tests). */
GtkListBox    *pb_embedding_view_get_neighbour_list (PbEmbeddingView *self);

G_END_DECLS
