/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* pairbench-cli's commands, one file each (cmd-NAME.c), for main's command table. argv[0] is
 * the command's name; each returns the exit status. */

int pb_cli_train (int argc, char **argv);
int pb_cli_study (int argc, char **argv);
int pb_cli_pairs (int argc, char **argv);
int pb_cli_predict (int argc, char **argv);
/* bench train | study: throughput of the training core. */
int pb_cli_bench (int argc, char **argv);
/* t-SNE of points from a CSV or .npy file. */
int pb_cli_tsne (int argc, char **argv);
/* The report's Figures 2–5: a trained model's last layer mapped with t-SNE. */
int pb_cli_embed (int argc, char **argv);
/* A settings search from a W&B-style sweep config (docs/sweeps.md). */
int pb_cli_sweep (int argc, char **argv);

#include <stdbool.h>

#include "pb-shard.h"

/* merge SHARD.json…: joins the shards of a study or a sweep into what the command prints on one
 * machine. */
typedef struct
{
  bool json;              /* --json */
  const char *table;      /* --table FILE (.csv, .md or .tex), or NULL */
  const char *csv;        /* --csv FILE, or NULL */
  const char *plots_dir;  /* --plots DIR, or NULL */
  bool next_rung;         /* --next-rung (a halving sweep) */
  const char *out;        /* --out FILE (with --next-rung), or NULL */
  const char *data_dir;   /* --data DIR, or NULL for the default */
  int jobs;               /* --jobs J (default: the number of cores) */
} PbCliMergeOptions;

int pb_cli_merge (int argc, char **argv);
/* The sweep's part of merge (cmd-sweep*.c): files are loaded (pb_shard_file_load) and all of kind
 * "sweep"; it checks them as a set and prints or writes as opts say. Returns the exit status. */
int pb_cli_merge_sweep (const char *cmd, PbShardFile *files, int n_files,
                        const PbCliMergeOptions *opts);
