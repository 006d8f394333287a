/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* What pairbench-cli's commands share: usage errors and failures, option parsing, the run
 * options of train, study and pairs, and the MNIST folder. Exit status 0 on success, 1 when the
 * work fails (a bad file, a diverged run), 2 on bad usage. */

#include <stdbool.h>
#include <stdint.h>

#include "pb-data.h"
#include "pb-status.h"
#include "pb-train.h"

#define PB_CLI_NAME "pairbench-cli"
#define PB_CLI_EXIT_USAGE 2

/* Prints "pairbench-cli CMD: message" and returns 2. */
int  pb_cli_usage_error (const char *cmd, const char *fmt, ...)
  __attribute__ ((format (printf, 2, 3)));
/* Prints "pairbench-cli CMD: err" and returns 1. */
int  pb_cli_failure (const char *cmd, const PbError *err);
/* Matches "--name value" or "--name=value" at argv[*i]; value is NULL when it is missing. */
bool pb_cli_match (int argc, char **argv, int *i, const char *name, const char **value);
bool pb_cli_parse_int (const char *s, long min, long max, long *out);
bool pb_cli_parse_double (const char *s, double min, double max, bool min_inclusive,
                          double *out);
/* A seed: an integer 0–UINT64_MAX, digits only. */
bool pb_cli_parse_seed (const char *s, uint64_t *out);
const char *pb_cli_default_data_dir (void);
/* Loads MNIST from dir (NULL: the default); returns 0, or 1 after printing the error. */
int  pb_cli_load_mnist (const char *cmd, const char *dir, PbMnist *mnist);

/* Fails before the work, not after it, when the output file path cannot be written: returns 0,
 * or 1 after printing "PATH: the folder does not exist" (or is not a folder, or is not
 * writable, or PATH is a folder). The file itself is still written to a temporary file and
 * renamed at the end. */
int  pb_cli_check_output (const char *cmd, const char *path);
/* The same for a folder the command creates (--plots DIR): its nearest existing ancestor must
 * be a writable folder. */
int  pb_cli_check_output_dir (const char *cmd, const char *dir);

/* A --preset replaces every setting, so it applies first wherever it stands; the other options
 * then change it. Returns 0, or 2 after printing. */
int  pb_cli_apply_preset (const char *cmd, int argc, char **argv, PbTrainSettings *s);
/* The run options shared by train, study and pairs. Returns 1 when argv[*i] was one of them,
 * 0 when it was not, and 2 (after printing) when its value is bad. */
int  pb_cli_parse_run_option (const char *cmd, int argc, char **argv, int *i,
                              PbTrainSettings *s, const char **data_dir);

#define PB_CLI_RUN_OPTIONS_HELP \
  "  --epochs N         epochs (default 25)\n" \
  "  --batch N          batch size (default 100)\n" \
  "  --lr X             Adam learning rate (default 0.001)\n" \
  "  --pairs N          training pairs (default 1000)\n" \
  "  --test-pairs M     test pairs (default 1000)\n" \
  "  --augment DEG      rotate a copy of every training pair by up to ±DEG (default 10, 0 = off)\n" \
  "  --eval-every N     evaluate after every Nth epoch (default 1; 0 = the last only)\n" \
  "  --aux-weight W     weight of the auxiliary digit loss (default 1)\n" \
  "  --dropout P        dropout before fc2 (default 0)\n" \
  "  --kernel K         conv kernel size (default 2)\n" \
  "  --padding A,B,C    each conv layer's zero padding (default 0,1,1)\n" \
  "  --channels A,B,C   each conv layer's width (default 16,64,128)\n" \
  "  --hidden N         fc1 width (default 64)\n" \
  "  --hidden-act ACT   after fc1: none (default) or relu\n" \
  "  --batch-norm on|off  batch norm after each conv (default on)\n" \
  "  --rule RULE        head (default), posterior (P(d1 > d2) from the digit\n" \
  "                     softmaxes; no head) or both (their average)\n" \
  "  --schedule S       learning rate: constant (default) or cosine (to zero)\n" \
  "  --weight-decay W   decoupled weight decay, AdamW (default 0)\n" \
  "  --translate K      shift each training image by up to ±K pixels, fresh every\n" \
  "                     epoch (default 0 = off)\n" \
  "  --scale S          scale each training image by a factor in 1 ± S, fresh every\n" \
  "                     epoch (default 0 = off)\n" \
  "  --shear H          shear each training image by a factor in ±H, fresh every\n" \
  "                     epoch (default 0 = off)\n" \
  "  --swap             swap the two images of half the training pairs, every epoch\n" \
  "  --repair           draw fresh pairs from the training images every epoch\n" \
  "  --val-pairs N      hold out the last N training pairs as a validation split\n" \
  "  --preset NAME      start from a preset: report, best or one saved by sweep\n" \
  "                     --save-preset (other options change it)\n" \
  "  --seed S           seed of pairs, init, order and augmentation (default 1)\n" \
  "  --data DIR         MNIST IDX folder (plain or .gz; default: the shipped copy)\n"
