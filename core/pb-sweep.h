/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* A settings sweep in W&B's vocabulary (method, metric, parameters with values, value,
 * distribution min/max/q), read from JSON; its trials, each a pure function of (config, t); the
 * runs of its units on worker threads, choosing on the validation split only; a result's JSON
 * line; and the summary: trials ranked by mean val_error, the parameters' importance, and the
 * best settings' test error, trained afterwards on the full training pairs.
 *
 * The config: {"method": "grid" | "random" | "halving",
 *              "metric": {"name": "val_error", "goal": "minimize"},
 *              "trials": T (random, halving), "rounds": R, "seed": S, "val-pairs": V,
 *              "eta": 3, "min-epochs": 1 (halving),
 *              "parameters": {NAME: {"values": [...]} | {"value": X} |
 *                             {"distribution": "uniform" | "log_uniform_values" | "int_uniform"
 *                              | "q_uniform", "min": A, "max": B, "q": Q}, …}}
 * NAME is a train long option (pb-options). Round r of every trial trains with seed S + r, so
 * the trials are compared on the same seeds. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pb-data.h"
#include "pb-json.h"
#include "pb-options.h"
#include "pb-status.h"
#include "pb-train.h"

#define PB_SWEEP_MAX_PARAMS 24
#define PB_SWEEP_MAX_VALUES 64
#define PB_SWEEP_MAX_TRIALS 10000
#define PB_SWEEP_FORMAT "pairbench-sweep"

typedef enum
{
  PB_SWEEP_GRID,
  PB_SWEEP_RANDOM,
  PB_SWEEP_HALVING,
} PbSweepMethod;

typedef enum
{
  PB_SWEEP_VALUES,             /* one of values, uniformly (grid: each in turn) */
  PB_SWEEP_VALUE,              /* always value */
  PB_SWEEP_UNIFORM,            /* real in [min, max] */
  PB_SWEEP_LOG_UNIFORM_VALUES, /* exp of uniform in [log min, log max] */
  PB_SWEEP_INT_UNIFORM,        /* integer in [min, max] */
  PB_SWEEP_Q_UNIFORM,          /* round (uniform [min, max] / q) · q */
} PbSweepDist;

typedef struct
{
  char name[32];                /* the option: "lr" */
  PbSweepDist dist;
  int n_values;                 /* VALUES, VALUE (1) */
  char values[PB_SWEEP_MAX_VALUES][PB_OPTION_VALUE_MAX];  /* as option text */
  double min, max, q;
} PbSweepParam;

typedef struct
{
  PbSweepMethod method;
  int trials;                   /* grid: the product of the values' counts */
  int rounds;
  uint64_t seed;
  int val_pairs;
  int eta, min_epochs;          /* halving */
  int n_params;
  PbSweepParam params[PB_SWEEP_MAX_PARAMS];
  uint64_t hash;                /* pb_hash64 of the canonical JSON (pb_sweep_config_to_json) */
} PbSweepConfig;

/* An unknown key, a bad distribution, or a value `train` would refuse: PB_ERR_INVALID, one line
 * naming the key ("SWEEP.json: parameters.lr.min: expected a finite number > 0, got '-1'").
 * A file that is not JSON: PB_ERR_FORMAT. */
PbStatus pb_sweep_config_parse (const char *text, size_t len, const char *what,
                                PbSweepConfig *out, PbError *err);
/* The same from a tree parsed from text (the numbers' literals are read from text). */
PbStatus pb_sweep_config_from_json (const char *text, const PbJson *root, const char *what,
                                    PbSweepConfig *out, PbError *err);
PbStatus pb_sweep_config_load (const char *path, PbSweepConfig *out, PbError *err);
/* Canonical JSON of the config (fixed key order, values as parsed), as the summary and the shard
 * files carry it; it parses back to an equal config. */
void     pb_sweep_config_to_json (const PbSweepConfig *self, PbStr *out);
/* "grid", "random", "halving"; "values", …, "q_uniform". */
const char *pb_sweep_method_name (PbSweepMethod method);
const char *pb_sweep_dist_name (PbSweepDist dist);
/* A parameter's value (option text) in JSON as the result lines write it: numbers and flags
 * bare, choices and three-integer lists as strings. */
void     pb_sweep_append_value (PbStr *out, const char *name, const char *value);

/* Trial t (0-based) of the config: base with every parameter's value applied, and val_pairs set;
 * values_out[p] is parameter p's value as option text (may be NULL). Refuses (PB_ERR_INVALID,
 * naming the parameter) a combination pb_train_settings_validate refuses. */
PbStatus pb_sweep_trial (const PbSweepConfig *self, const PbTrainSettings *base, int t,
                         PbTrainSettings *out, char values_out[][PB_OPTION_VALUE_MAX],
                         PbError *err);
/* Halving: the number of rungs for base_epochs (the base settings' epochs), and rung k's epochs:
 * min(base_epochs, min_epochs · eta^k). Other methods have one rung of base_epochs. */
int      pb_sweep_n_rungs (const PbSweepConfig *self, int base_epochs);
int      pb_sweep_rung_epochs (const PbSweepConfig *self, int base_epochs, int rung);

/* One unit's result: one line of TRIALS.jsonl. */
typedef struct
{
  int trial;                    /* 0-based; written 1-based */
  int round;                    /* 0-based; written 1-based */
  int rung;                     /* 0 but for halving */
  uint64_t seed;
  PbStatus status;              /* PB_OK, or PB_ERR_DIVERGED (val_error NaN) */
  size_t params;
  int epochs;                   /* epochs done */
  double val_error;
  double train_seconds;
  int n_values;
  char values[PB_SWEEP_MAX_PARAMS][PB_OPTION_VALUE_MAX];
} PbSweepResult;

/* {"trial":1,"round":1,"rung":0,"seed":1,"settings":{"lr":0.0012,"hidden":96},"params":71076,
 *  "epochs":5,"val_error":0.125,"train_seconds":3.2}\n — numbers as numbers, choices as strings,
 * flags as booleans, padding/channels as strings "16,64,128". */
void     pb_sweep_result_to_json (const PbSweepConfig *config, const PbSweepResult *r,
                                  PbStr *out);
/* One line back; config gives the parameters' names and order. */
PbStatus pb_sweep_result_from_json (const PbSweepConfig *config, const PbJson *line,
                                    const char *what, PbSweepResult *out, PbError *err);

typedef struct
{
  /* Worker threads, serialised by the sweep's lock. */
  void (*unit_done) (void *user_data, const PbSweepResult *result);
  bool (*cancelled) (void *user_data);
  void *user_data;
} PbSweepCallbacks;

/* The units to run: (trial, round) pairs with their rung and epochs. */
typedef struct
{
  int trial, round, rung, epochs;
} PbSweepUnit;

/* The units of rung 0 in unit order (t·rounds + r): all trials × rounds. out: [trials·rounds]. */
int      pb_sweep_first_units (const PbSweepConfig *self, int base_epochs, PbSweepUnit *out);
/* Trains the units (jobs at a time, one run per thread; the caller sets a single-threaded BLAS)
 * on the training pairs less the validation split, and fills results[i] for units[i]: trial t's
 * settings with seed config.seed + round and the unit's epochs. Only the last epoch is evaluated
 * (its val_error is the same as with eval_every 1), and never on the test pairs
 * (pb_run_skip_test). A diverged run is a result (PB_ERR_DIVERGED, val_error NaN), not an
 * error. */
PbStatus pb_sweep_run_units (const PbSweepConfig *self, const PbTrainSettings *base,
                             const PbSweepUnit *units, int n_units, int jobs,
                             const PbMnist *mnist, const PbSweepCallbacks *cb,
                             PbSweepResult *results, PbError *err);
/* Halving: the trials that go on from a finished rung (the best ceil(n / eta) by mean
 * val_error over rounds; ties by trial number), and their next rung's units. Returns the number
 * of units written to out ([n_trials·rounds]), 0 after the last rung. */
int      pb_sweep_next_rung_units (const PbSweepConfig *self, int base_epochs,
                                   const PbSweepResult *rung_results, int n_results,
                                   PbSweepUnit *out);

typedef struct
{
  int trial;                    /* 0-based */
  int rung;                     /* the last rung it reached */
  int rounds;                   /* rounds done in that rung */
  double val_mean, val_std;     /* over those rounds; NaN when every round diverged */
  double train_seconds_mean;
} PbSweepTrialSummary;

typedef struct
{
  char name[32];
  double correlation;           /* Pearson's r of the value (its log for log_uniform_values, its
                                 * index for a choice) with the trials' mean val_error; NaN when
                                 * the value never varies */
  double importance;            /* |correlation| (0 for NaN) */
} PbSweepImportance;

typedef struct
{
  int n_trials;
  PbSweepTrialSummary *trials;  /* ranked: deeper rung first, then mean val_error, then trial */
  int n_params;
  PbSweepImportance importance[PB_SWEEP_MAX_PARAMS];  /* ranked by importance */
} PbSweepSummary;

/* From every result (all rungs); the same results in any order give the same summary. */
PbStatus pb_sweep_summarise (const PbSweepConfig *self, const PbSweepResult *results,
                             int n_results, PbSweepSummary *out, PbError *err);
void     pb_sweep_summary_clear (PbSweepSummary *self);
