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
