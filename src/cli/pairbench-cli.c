/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pairbench-cli: the training core without the app. main only picks the command; each command
 * is one cmd-NAME.c, and what they share is in pb-cli.c. */

#include <stdio.h>
#include <string.h>

#include "pb-cli.h"
#include "pb-cli-commands.h"

static const struct
{
  const char *name;
  int (*run) (int argc, char **argv);
  const char *summary;
} commands[] = {
  { "train", pb_cli_train, "train one model and print its result" },
  { "study", pb_cli_study, "train several models over rounds and print Table II" },
  { "pairs", pb_cli_pairs, "write a run's digit pairs as IDX files" },
  { "predict", pb_cli_predict, "predict pairs with trained weights" },
  { "bench", pb_cli_bench, "time training (bench train) and the study (bench study)" },
  { "tsne", pb_cli_tsne, "embed points (CSV or .npy) in 2-D with t-SNE" },
  { "embed", pb_cli_embed, "map a trained model's last layer with t-SNE (Figures 2–5)" },
  { "sweep", pb_cli_sweep, "search settings (grid, random, halving), chosen on a validation split" },
  { "merge", pb_cli_merge, "join the shard files of a study or a sweep run on several machines" },
};

static void
usage (FILE *f)
{
  fprintf (f, "Usage: %s COMMAND [options]\n\nCommands:\n", PB_CLI_NAME);
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    fprintf (f, "  %-9s %s\n", commands[i].name, commands[i].summary);
  fprintf (f, "\nRun '%s COMMAND --help' for a command's options.\n", PB_CLI_NAME);
}

int
main (int argc, char **argv)
{
  if (argc < 2)
    {
      usage (stderr);
      return PB_CLI_EXIT_USAGE;
    }
  if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0)
    {
      usage (stdout);
      return 0;
    }
  if (strcmp (argv[1], "--version") == 0)
    {
      printf ("%s %s\n", PB_CLI_NAME, PB_VERSION);
      return 0;
    }
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (strcmp (argv[1], commands[i].name) == 0)
      return commands[i].run (argc - 1, argv + 1);
  fprintf (stderr, "%s: unknown command '%s' (see --help)\n", PB_CLI_NAME, argv[1]);
  return PB_CLI_EXIT_USAGE;
}
