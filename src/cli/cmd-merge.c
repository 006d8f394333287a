/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pairbench-cli merge: joins the shard files of one study (or sweep) run over several machines
 * into what the command prints on one machine. Every file is read and checked, and the whole
 * result built, before anything is printed or written. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pb-cli.h"
#include "pb-cli-commands.h"
#include "pb-session.h"
#include "pb-shard.h"
#include "pb-table.h"
#include "study-plots.h"
#include "study-shard.h"

static int
merge_study (const char *cmd, PbShardFile *files, int n_files, const PbCliMergeOptions *opts)
{
  PbCliStudy study, other;
  PbCliStudyOutputs out = { .json = opts->json, .csv = opts->csv, .table = opts->table };
  PbSession session = { 0 };
  PbError err = { { 0 } };
  int rc;

  if (opts->next_rung || opts->out != NULL)
    return pb_cli_usage_error (cmd, "%s: expected a halving sweep's shards with %s, found a "
                               "study's", files[0].path, opts->next_rung ? "--next-rung"
                                                                         : "--out");
  if (opts->table != NULL && !pb_table_format_from_path (opts->table, &out.table_format))
    return pb_cli_usage_error (cmd, "--table: expected a file name ending in .csv, .md or .tex, "
                               "got '%s'", opts->table);
  if ((rc = pb_cli_study_check_outputs (cmd, opts->csv, opts->table, opts->plots_dir)) != 0)
    return rc;

  /* Each file's settings must be the ones its hash names; then the hashes are compared. */
  for (int i = 0; i < n_files; i++)
    {
      PbCliStudy *s = i == 0 ? &study : &other;
      if (pb_cli_study_from_json (pb_json_get (files[i].root, "study"), files[i].text,
                                  files[i].path, s, &err) != PB_OK)
        return pb_cli_failure (cmd, &err);
      if (pb_cli_study_hash (s) != files[i].hash)
        {
          pb_error_set (&err, PB_ERR_FORMAT, "%s: expected the study settings that its \"hash\" "
                        "%016llx names, found settings of hash %016llx (an edited file?)",
                        files[i].path, (unsigned long long) files[i].hash,
                        (unsigned long long) pb_cli_study_hash (s));
          return pb_cli_failure (cmd, &err);
        }
    }
  if (pb_shard_files_check (files, n_files, (long) study.n_models * study.rounds, &err) != PB_OK
      || pb_cli_study_session (&study, &session, &err) != PB_OK)
    return pb_cli_failure (cmd, &err);
  if (opts->plots_dir != NULL)
    out.plots = pb_cli_plots_new (cmd, opts->plots_dir, study.n_models);
  for (int i = 0; i < n_files; i++)
    if (pb_cli_study_shard_read (&files[i], &study, &session, out.plots, &err) != PB_OK)
      {
        pb_cli_plots_free (out.plots);
        pb_session_clear (&session);
        return pb_cli_failure (cmd, &err);
      }
  rc = pb_cli_study_report (cmd, &session, &out);
  pb_cli_plots_free (out.plots);
  pb_session_clear (&session);
  return rc;
}

int
pb_cli_merge (int argc, char **argv)
{
  const char *cmd = "merge", *v;
  PbCliMergeOptions opts = { .jobs = (int) sysconf (_SC_NPROCESSORS_ONLN) };
  const char **paths = calloc ((size_t) argc, sizeof *paths);
  PbShardFile *files = NULL;
  PbError err = { { 0 } };
  int n_paths = 0, n_files = 0, rc = 0;
  long jobs;

  if (paths == NULL)
    {
      fprintf (stderr, "%s %s: out of memory\n", PB_CLI_NAME, cmd);
      return 1;
    }
  if (opts.jobs < 1)
    opts.jobs = 1;
  for (int i = 1; i < argc && rc == 0; i++)
    {
      if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0)
        {
          printf ("Usage: %s merge SHARD.json... [--json] [--table FILE] [--csv FILE]\n"
                  "       [--plots DIR] [--next-rung --out NEXT.json] [--data DIR] [--jobs J]\n"
                  "Joins the shard files that 'study --shard K/N --json' (or 'sweep --shard')\n"
                  "printed on several machines, and prints what the command prints on one\n"
                  "machine: the same bytes, but for the values of keys with \"seconds\" in their\n"
                  "name, which are the shards' own. It refuses (exit 1), naming the file, shards\n"
                  "of different settings or builds, a missing or doubled shard, and a file that\n"
                  "is no shard; it writes nothing then.\n\n"
                  "  --json             print the table and the tests as JSON\n"
                  "  --table FILE       write the summary table (.csv, .md or .tex)\n"
                  "  --csv FILE         write one row per round\n"
                  "  --plots DIR        write the study's figures as SVG and PNG\n"
                  "  --next-rung        a halving sweep: write the next rung's trials to --out\n"
                  "  --out FILE         where --next-rung writes\n"
                  "  --data DIR         MNIST folder, for what a sweep's summary trains\n"
                  "  --jobs J           runs trained at once (a sweep's summary; default: the\n"
                  "                     number of cores)\n", PB_CLI_NAME);
          free (paths);
          return 0;
        }
      if (strcmp (argv[i], "--json") == 0)
        opts.json = true;
      else if (strcmp (argv[i], "--next-rung") == 0)
        opts.next_rung = true;
      else if (pb_cli_match (argc, argv, &i, "--table", &v))
        {
          PbTableFormat format;
          if (v == NULL || !pb_table_format_from_path (v, &format))
            rc = pb_cli_usage_error (cmd, "--table: expected a file name ending in .csv, .md or "
                                     ".tex, got '%s'", v ? v : "");
          opts.table = v;
        }
      else if (pb_cli_match (argc, argv, &i, "--csv", &v))
        {
          if (v == NULL || *v == '\0')
            rc = pb_cli_usage_error (cmd, "--csv: expected a file name");
          opts.csv = v;
        }
      else if (pb_cli_match (argc, argv, &i, "--plots", &v))
        {
          if (v == NULL || *v == '\0')
            rc = pb_cli_usage_error (cmd, "--plots: expected a folder name");
          opts.plots_dir = v;
        }
      else if (pb_cli_match (argc, argv, &i, "--out", &v))
        {
          if (v == NULL || *v == '\0')
            rc = pb_cli_usage_error (cmd, "--out: expected a file name");
          opts.out = v;
        }
      else if (pb_cli_match (argc, argv, &i, "--data", &v))
        {
          if (v == NULL || *v == '\0')
            rc = pb_cli_usage_error (cmd, "--data: expected a folder name");
          opts.data_dir = v;
        }
      else if (pb_cli_match (argc, argv, &i, "--jobs", &v))
        {
          if (!pb_cli_parse_int (v, 1, 64, &jobs))
            rc = pb_cli_usage_error (cmd, "--jobs: expected an integer 1–64, got '%s'",
                                     v ? v : "");
          opts.jobs = (int) jobs;
        }
      else if (argv[i][0] == '-' && argv[i][1] != '\0')
        rc = pb_cli_usage_error (cmd, "unknown option '%s' (see --help)", argv[i]);
      else
        paths[n_paths++] = argv[i];
    }
  if (rc == 0 && n_paths == 0)
    rc = pb_cli_usage_error (cmd, "expected one or more shard files (see --help)");
  if (rc == 0 && opts.next_rung && opts.out == NULL)
    rc = pb_cli_usage_error (cmd, "--next-rung: expected --out FILE for the next rung's trials");
  if (rc == 0 && (files = calloc ((size_t) n_paths, sizeof *files)) == NULL)
    {
      fprintf (stderr, "%s %s: out of memory\n", PB_CLI_NAME, cmd);
      rc = 1;
    }

  for (int i = 0; rc == 0 && i < n_paths; i++)
    {
      n_files = i + 1;
      if (pb_shard_file_load (paths[i], &files[i], &err) != PB_OK)
        rc = pb_cli_failure (cmd, &err);
    }
  for (int i = 1; rc == 0 && i < n_files; i++)
    if (strcmp (files[i].kind, files[0].kind) != 0)
      {
        pb_error_set (&err, PB_ERR_INVALID, "%s: expected a %s shard as %s, found a %s shard",
                      files[i].path, files[0].kind, files[0].path, files[i].kind);
        rc = pb_cli_failure (cmd, &err);
      }
  if (rc == 0 && strcmp (files[0].kind, "study") == 0)
    rc = merge_study (cmd, files, n_files, &opts);
  else if (rc == 0)
    rc = pb_cli_merge_sweep (cmd, files, n_files, &opts);

  for (int i = 0; i < n_files; i++)
    pb_shard_file_clear (&files[i]);
  free (files);
  free (paths);
  return rc;
}
