/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "pb-embedder.h"
#include "pb-session.h"

G_BEGIN_DECLS

#define PB_TYPE_COMPARISON (pb_comparison_get_type ())
G_DECLARE_FINAL_TYPE (PbComparison, pb_comparison, PB, COMPARISON, GObject)

/* Runs a study (models × rounds, paired seeds) on worker threads and keeps its session: rounds
 * arrive on the main thread as they finish ("changed"), then "finished" with the core status. A
 * finished or stopped session stays until the next start or load. */
PbComparison    *pb_comparison_new (void);
gboolean         pb_comparison_start (PbComparison *self, const PbTrainSettings *base,
                                      const PbArch *models, int n_models, int rounds, int jobs,
                                      const char *data_dir, GError **error);
void             pb_comparison_stop (PbComparison *self);
gboolean         pb_comparison_get_running (PbComparison *self);
/* NULL before the first start or load. */
const PbSession *pb_comparison_get_session (PbComparison *self);
double           pb_comparison_get_elapsed (PbComparison *self);
gboolean         pb_comparison_save (PbComparison *self, const char *path, GError **error);
gboolean         pb_comparison_load (PbComparison *self, const char *path, GError **error);
/* The session's models (0 before the first start or load). */
guint            pb_comparison_get_n_models (PbComparison *self);
/* Each model keeps the trained weights of its first finished round (the lowest index), as its
 * rounds arrive; a loaded comparison keeps only metrics, so none. out stays valid until the
 * next "changed" (a lower round may replace it), start, load or dispose. */
guint            pb_comparison_get_n_embed_models (PbComparison *self);
gboolean         pb_comparison_get_embed_model (PbComparison *self, guint model_index,
                                                PbEmbedModel *out);
/* The session was opened from a file (and so has no weights). */
gboolean         pb_comparison_get_loaded (PbComparison *self);
/* The 0-based round whose weights model_index keeps, or -1. */
int              pb_comparison_get_embed_round (PbComparison *self, guint model_index);

/* The session's summary table (the report's Table II) in the format path's extension names
 * (.csv, .md or .tex): the same bytes as `pairbench-cli study --table`. NULL with an error when
 * there is no session or the extension is none of those. */
char            *pb_comparison_format_table (PbComparison *self, const char *path,
                                             GError **error);
/* Writes that table to path (a temporary file, then renamed). */
gboolean         pb_comparison_save_table (PbComparison *self, const char *path,
                                           GError **error);

G_END_DECLS
