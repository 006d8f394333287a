/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* What study and merge share: a study's settings (the command line's base, each model's own
 * settings and label, the rounds) in canonical JSON and their hash; the study's output (the text
 * or JSON table, the paired tests, --csv, --table, --plots) from its session; and a study shard
 * file's members after the header. */

#include <stdbool.h>
#include <stdint.h>

#include "pb-json.h"
#include "pb-session.h"
#include "pb-shard.h"
#include "pb-table.h"
#include "pb-train.h"
#include "study-plots.h"

typedef struct
{
  PbTrainSettings base;  /* the command line's run options */
  int n_models;
  PbTrainSettings each[PB_SESSION_MAX_MODELS];          /* each model's settings */
  char labels[PB_SESSION_MAX_MODELS][PB_SESSION_LABEL_MAX];  /* a preset's name, else "" */
  int rounds;
} PbCliStudy;

/* "VERSION COMMIT": the version and the commit this binary was built from. */
const char *pb_cli_build (void);

/* {"rounds":R,"base":{OPTIONS},"models":[{"label":L,"options":{OPTIONS}},…]}, every run option
 * (pb-options) as its text reads back, so the same command gives the same bytes anywhere. */
void     pb_cli_study_to_json (const PbCliStudy *self, PbStr *out);
uint64_t pb_cli_study_hash (const PbCliStudy *self);
/* The study's members back from a shard's "study" object; text is the file the tree was parsed
 * from. PB_ERR_FORMAT naming what and the key. */
PbStatus pb_cli_study_from_json (const PbJson *study, const char *text, const char *what,
                                 PbCliStudy *out, PbError *err);
/* An empty session of the study: the base settings, the models' architectures and labels. */
PbStatus pb_cli_study_session (const PbCliStudy *self, PbSession *out, PbError *err);

typedef struct
{
  bool json;
  const char *csv;        /* or NULL */
  const char *table;      /* or NULL */
  PbTableFormat table_format;
  PbCliPlots *plots;      /* with its folder, or NULL */
} PbCliStudyOutputs;

/* Fails (1, after printing) before any work when an output cannot be written. */
int      pb_cli_study_check_outputs (const char *cmd, const char *csv, const char *table,
                                     const char *plots_dir);
/* Prints the finished session's table and paired tests (text or JSON) on stdout and writes the
 * plots, the CSV and the table; returns the exit status. */
int      pb_cli_study_report (const char *cmd, const PbSession *session,
                              const PbCliStudyOutputs *out);

/* A study shard's file: the header, "study", "results" (each unit done: its model, round, seed,
 * params and per-epoch records, as the session's JSON has them) and "features" (the round-1
 * features of the models whose first round this shard trained, for the t-SNE maps). units are
 * the shard's units, every one done in session. features may be NULL. */
void     pb_cli_study_shard_append (PbStr *out, const PbCliStudy *study, const PbShard *shard,
                                    const long *units, int n_units, const PbSession *session,
                                    const PbCliPlots *features);
/* Unit u (1-based) of a study: model (u − 1) / rounds, round (u − 1) mod rounds. */
static inline long
pb_cli_study_unit (int rounds, int model, int round)
{
  return (long) model * rounds + round + 1;
}
/* Reads a shard file's results into session (checking each is one of the file's units, once,
 * and every unit has one) and its features into features (may be NULL). PB_ERR_FORMAT naming
 * the file. */
PbStatus pb_cli_study_shard_read (const PbShardFile *file, const PbCliStudy *study,
                                  PbSession *session, PbCliPlots *features, PbError *err);
