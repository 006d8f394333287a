/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pairbench-cli pairs: the exact pairs a run uses, as IDX files. */

#include <stdio.h>
#include <string.h>

#include "pb-cli.h"
#include "pb-cli-commands.h"
#include "pb-core.h"

int
pb_cli_pairs (int argc, char **argv)
{
  const char *cmd = "pairs";
  const char *data_dir = NULL, *out = NULL, *labels = NULL, *split = NULL, *v;
  PbTrainSettings s;
  PbError err = { { 0 } };
  PbMnist mnist = { 0 };
  int rc;

  pb_train_settings_init (&s, "siamese", NULL);
  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0)
        {
          printf ("Usage: %s pairs [--seed S] [--pairs N] [--test-pairs M] --split train|test\n"
                  "       --out FILE.idx [--labels FILE.idx] [--data DIR]\n"
                  "Writes the exact pairs a run with that seed uses: float32 IDX N×2×14×14 on the\n"
                  "0–255 pooled scale, and the digit classes as an unsigned-byte IDX N×2.\n", PB_CLI_NAME);
          return 0;
        }
      if (pb_cli_match (argc, argv, &i, "--split", &v))
        {
          if (v == NULL || (strcmp (v, "train") != 0 && strcmp (v, "test") != 0))
            return pb_cli_usage_error (cmd, "--split: expected train or test, got '%s'",
                                       v ? v : "");
          split = v;
          continue;
        }
      if (pb_cli_match (argc, argv, &i, "--out", &v))
        {
          if (v == NULL || *v == '\0')
            return pb_cli_usage_error (cmd, "--out: expected a file name");
          out = v;
          continue;
        }
      if (pb_cli_match (argc, argv, &i, "--labels", &v))
        {
          if (v == NULL || *v == '\0')
            return pb_cli_usage_error (cmd, "--labels: expected a file name");
          labels = v;
          continue;
        }
      rc = pb_cli_parse_run_option (cmd, argc, argv, &i, &s, &data_dir);
      if (rc == PB_CLI_EXIT_USAGE)
        return rc;
      if (rc == 0)
        return pb_cli_usage_error (cmd, "unknown option '%s' (see --help)", argv[i]);
    }
  if (split == NULL || out == NULL)
    return pb_cli_usage_error (cmd, "--split and --out are required (see --help)");
  if ((rc = pb_cli_check_output (cmd, out)) != 0
      || (labels != NULL && (rc = pb_cli_check_output (cmd, labels)) != 0))
    return rc;
  if ((rc = pb_cli_load_mnist (cmd, data_dir, &mnist)) != 0)
    return rc;

  PbPairs pairs = { 0 };
  PbSplit which = strcmp (split, "train") == 0 ? PB_SPLIT_TRAIN : PB_SPLIT_TEST;
  PbStatus st = pb_run_draw_pairs (&s, &mnist, which, &pairs, &err);
  uint32_t dims[4] = { (uint32_t) pairs.n, 2, PB_IMAGE_SIDE, PB_IMAGE_SIDE };
  uint32_t ldims[2] = { (uint32_t) pairs.n, 2 };
  if (st == PB_OK)
    st = pb_idx_write_f32 (out, 4, dims, pairs.images, &err);
  if (st == PB_OK && labels != NULL)
    st = pb_idx_write_u8 (labels, 2, ldims, pairs.classes, &err);
  pb_pairs_clear (&pairs);
  pb_mnist_clear (&mnist);
  if (st != PB_OK)
    return pb_cli_failure (cmd, &err);
  fprintf (stderr, "wrote %d %s pairs to %s\n", dims[0], split, out);
  return 0;
}
