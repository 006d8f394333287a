/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "pb-sweep.h"

G_BEGIN_DECLS

#define PB_TYPE_SWEEPER (pb_sweeper_get_type ())
G_DECLARE_FINAL_TYPE (PbSweeper, pb_sweeper, PB, SWEEPER, GObject)

/* A settings sweep (pb-sweep) on a worker thread, or one opened from a file (a TRIALS.jsonl of
 * `pairbench-cli sweep --out`, or a summary of `sweep --json` or `merge --json`). Units arrive on
 * the main thread as they finish ("changed"), then "finished" with the core status. The trials
 * are chosen on the validation split only: no test error is computed here; a summary file's
 * best test error, measured after the choice, is kept as the file gives it. */
PbSweeper   *pb_sweeper_new (void);

/* A config from its JSON text (pb_sweep_config_parse); what names it in messages. */
gboolean     pb_sweeper_parse_config (const char *json, const char *what, PbSweepConfig *out,
                                      GError **error);
gboolean     pb_sweeper_start (PbSweeper *self, const PbSweepConfig *config,
                               const PbTrainSettings *base, int jobs, const char *data_dir,
                               GError **error);
void         pb_sweeper_stop (PbSweeper *self);
gboolean     pb_sweeper_get_running (PbSweeper *self);
/* One line naming the file on bad input; what was shown stays then. */
gboolean     pb_sweeper_load (PbSweeper *self, const char *path, GError **error);

/* NULL before the first start or load. A TRIALS.jsonl carries no config: its parameters are
 * read off the lines' "settings" (numbers as ranges, log-uniform when they span a decade or
 * more; anything else as choices). */
const PbSweepConfig   *pb_sweeper_get_config (PbSweeper *self);
/* The base settings of the trials, or NULL when unknown (a TRIALS.jsonl). */
const PbTrainSettings *pb_sweeper_get_base (PbSweeper *self);
const PbSweepResult   *pb_sweeper_get_results (PbSweeper *self, guint *n_out);
/* The units planned (a run; 0 for a file) and done. */
guint        pb_sweeper_get_n_planned (PbSweeper *self);
/* Trials ranked, and the parameters' importance, over the results so far; NULL before any. */
const PbSweepSummary  *pb_sweeper_get_summary (PbSweeper *self);
/* A result of trial t (0-based), of its deepest rung: its swept values, params and epochs. NULL
 * when it has none yet. */
const PbSweepResult   *pb_sweeper_get_trial_values (PbSweeper *self, int trial);
/* The settings trial t trained with: the base (fallback when unknown) with its swept values and
 * the sweep's validation pairs. */
gboolean     pb_sweeper_get_trial_settings (PbSweeper *self, int trial,
                                            const PbTrainSettings *fallback,
                                            PbTrainSettings *out, GError **error);
/* A summary file's test error of its best settings (trained after the choice on all the
 * training pairs): FALSE when there is none. label is the file's own label. */
gboolean     pb_sweeper_get_best_test (PbSweeper *self, const char **label, double *mean,
                                       double *std, int *rounds);
/* The file opened, or NULL for a run. */
const char  *pb_sweeper_get_path (PbSweeper *self);
double       pb_sweeper_get_elapsed (PbSweeper *self);

/* The ranked trials as a table in the format path's extension names (.csv, .md or .tex). */
char        *pb_sweeper_format_table (PbSweeper *self, const char *path, GError **error);
gboolean     pb_sweeper_save_table (PbSweeper *self, const char *path, GError **error);

G_END_DECLS
