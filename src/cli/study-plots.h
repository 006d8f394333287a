/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* pairbench-cli study --plots DIR: the curves, the small multiples, the box plot and one t-SNE
 * map per model (its round-1 weights) as SVG and PNG, drawn by the app's plot code. A model is
 * named by pb_session_model_name, so a preset's series and map ("tsne-best") stand beside the
 * others. */

#include <stdbool.h>
#include <stdint.h>

#include "pb-core.h"
#include "pb-session.h"

typedef struct PbCliPlots PbCliPlots;

/* cmd names the command in messages; dir may be NULL to keep the features only (a shard). */
PbCliPlots *pb_cli_plots_new (const char *cmd, const char *dir, int n_models);
void        pb_cli_plots_free (PbCliPlots *self);
/* A PbStudyCallbacks.round_run: keeps the round-1 model's features for the test pairs. */
void        pb_cli_plots_round_run (void *self, const PbRoundResult *result, PbRun *run);
/* Builds the figures from the finished study; 0, or 1 after printing the error. */
int         pb_cli_plots_write (PbCliPlots *self, const PbSession *session);
/* Model m's round-1 features, [rows, dim], and each row's digit: false when there are none. */
bool        pb_cli_plots_get_features (const PbCliPlots *self, int m, const float **features,
                                       const uint8_t **digits, int *rows, int *dim);
/* Sets model m's round-1 features (copied), as a shard file holds them. */
void        pb_cli_plots_set_features (PbCliPlots *self, int m, const float *features,
                                       const uint8_t *digits, int rows, int dim);
