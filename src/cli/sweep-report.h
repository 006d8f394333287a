/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* What `sweep` and `merge` of a sweep's shards share: the base settings in JSON, the shard and
 * next-rung files' members, and the summary (the ranking, the importance, and the best
 * settings trained afterwards on every training pair for their test error). */

#include <stdbool.h>
#include <stdint.h>

#include "pb-core.h"
#include "pb-sweep.h"

#define PB_SWEEP_NEXT_FORMAT "pairbench-sweep-next"

/* {"model":"siamese-aux","epochs":5,…}: every run option but seed and val-pairs, which the
 * config sets. */
void     pb_sweep_cli_append_base (PbStr *out, const PbTrainSettings *base);
/* Reads it back; numbers are read from text (the tree's source). */
PbStatus pb_sweep_cli_read_base (const char *text, const PbJson *obj, const char *what,
                                 PbTrainSettings *out, PbError *err);
/* The results in unit order: rung, then trial, then round. */
void     pb_sweep_cli_sort_results (PbSweepResult *results, int n);
/* [line objects without their newlines, comma-separated] */
void     pb_sweep_cli_append_results (PbStr *out, const PbSweepConfig *config,
                                      const PbSweepResult *results, int n);
PbStatus pb_sweep_cli_read_results (const PbSweepConfig *config, const PbJson *array,
                                    const char *what, const char *key, PbSweepResult **out,
                                    int *n_out, PbError *err);
/* The hash a shard or next-rung file carries: the config, the base, the rung and the earlier
 * rungs' results. */
uint64_t pb_sweep_cli_hash (const PbSweepConfig *config, const PbTrainSettings *base, int rung,
                            const PbSweepResult *earlier, int n_earlier);
/* The rung's units: the first rung's, or those that the last rung of earlier leads to.
 * *units_out is allocated; returns their number, 0 when earlier's rung was the last, -1 when out
 * of memory. */
int      pb_sweep_cli_rung_units (const PbSweepConfig *config, int base_epochs,
                                  const PbSweepResult *earlier, int n_earlier,
                                  PbSweepUnit **units_out);
/* Writes the TRIALS.jsonl lines (atomically). */
PbStatus pb_sweep_cli_write_jsonl (const char *path, const PbSweepConfig *config,
                                   const PbSweepResult *results, int n, PbError *err);
/* Chooses, trains the best settings on all the training pairs for the config's rounds, and
 * prints the summary (text, or --json) on stdout; saves the preset when preset is not NULL.
 * mnist_dir NULL: the default. Returns the exit status. */
int      pb_sweep_cli_finish (const char *cmd, const PbSweepConfig *config,
                              const PbTrainSettings *base, PbSweepResult *results, int n,
                              const char *mnist_dir, const PbMnist *mnist, int jobs, bool json,
                              const char *preset);
