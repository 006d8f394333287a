/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* A comparison (a study kept for later): the shared settings, the models, and every finished
 * round's per-epoch records; its summary rows and paired tests; and its JSON file format.
 * Rounds that never finished (a stopped comparison) are absent from the file, and the file then
 * says "partial": true. */

#include <stdbool.h>
#include <stddef.h>

#include "pb-json.h"
#include "pb-stats.h"
#include "pb-status.h"
#include "pb-table.h"
#include "pb-train.h"

#define PB_SESSION_MAX_MODELS 16
#define PB_SESSION_LABEL_MAX 32
#define PB_SESSION_FORMAT "pairbench-comparison"
#define PB_SESSION_VERSION 1

typedef struct
{
  PbTrainSettings base;  /* base.arch is unused; each model has its own */
  int n_models;
  PbArch models[PB_SESSION_MAX_MODELS];
  /* A model's own name where its architecture's would not tell it apart (a preset: "best");
   * empty for the others. Not in the file. */
  char labels[PB_SESSION_MAX_MODELS][PB_SESSION_LABEL_MAX];
  int rounds;
  bool partial;
  /* [n_models × rounds], model-major; a round is done when its status is PB_OK and it has
   * epochs. The others have status PB_ERR_CANCELLED and no epochs. */
  PbRoundResult *results;
} PbSession;

typedef struct
{
  const char *model;
  size_t params;
  int rounds_done;
  double test_mean, test_std;   /* means NaN when no round is done; std 0 below two rounds */
  double digit_mean, digit_std;
  bool digit_trained;           /* pb_arch_trains_digits: else the digit error means nothing */
  double seconds;               /* mean training seconds per run */
  double chunk_mean;            /* mean of the rounds' chunk sd */
} PbSessionSummary;

PbStatus pb_session_init (PbSession *self, const PbTrainSettings *base, const PbArch *models,
                          int n_models, int rounds, PbError *err);
void     pb_session_clear (PbSession *self);

/* Copies the round, its epochs included, into its slot. */
PbStatus pb_session_set_round (PbSession *self, const PbRoundResult *round, PbError *err);
const PbRoundResult *pb_session_round (const PbSession *self, int model, int round);
bool     pb_session_round_done (const PbSession *self, int model, int round);
int      pb_session_rounds_done (const PbSession *self, int model);
int      pb_session_total_done (const PbSession *self);
/* The largest epoch count over the done rounds. */
int      pb_session_max_epochs (const PbSession *self);

/* PB_ERR_INVALID when the label does not fit. */
PbStatus pb_session_set_label (PbSession *self, int model, const char *label, PbError *err);
/* The label, else the architecture's name. */
const char *pb_session_model_name (const PbSession *self, int model);

void     pb_session_summary (const PbSession *self, int model, PbSessionSummary *out);
/* The summary as Table II's row, the one the CLI's study and the app's export both write. */
void     pb_session_table_row (const PbSession *self, int model, PbTableRow *out);

/* The rounds every model has done, which the paired tests use: fills rounds_out (may be NULL,
 * [self->rounds]) and returns their number. */
int      pb_session_common_rounds (const PbSession *self, int *rounds_out);
/* out: [n_models × n_models] as pb_stats_paired_matrix, on the test errors of the common
 * rounds. PB_ERR_INVALID when fewer than two models or two common rounds. */
PbStatus pb_session_paired_tests (const PbSession *self, PbPairedTests *out, int *n_rounds,
                                  PbError *err);
/* Table II, then in Markdown and LaTeX the paired tests when there are any: the file that the
 * CLI's study --table and the app's export both write. */
PbStatus pb_session_format_table (const PbSession *self, PbTableFormat format, PbStr *out,
                                  PbError *err);

void     pb_session_to_json (const PbSession *self, PbStr *out);
/* what names the source in messages (the file name). */
PbStatus pb_session_from_json (const char *text, size_t len, const char *what, PbSession *out,
                               PbError *err);
PbStatus pb_session_save (const PbSession *self, const char *path, PbError *err);
PbStatus pb_session_load (const char *path, PbSession *out, PbError *err);
