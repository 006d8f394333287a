/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pairbench-cli study: every model over rounds, the report's Table II and the paired tests.
 * The rounds go into a PbSession, and the summary rows and the tests come from the core's
 * pb_session_summary, pb_session_table_row and pb_session_paired_tests, as the app's do. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pb-cli.h"
#include "pb-cli-commands.h"
#include "pb-core.h"
#include "pb-session.h"
#include "pb-shard.h"
#include "pb-table.h"
#include "study-plots.h"
#include "study-shard.h"

typedef struct
{
  const PbSession *session;
  int rounds;
  int done;
  PbCliPlots *plots;
} StudyProgress;

static void
study_round_run (void *user_data, const PbRoundResult *r, PbRun *run)
{
  StudyProgress *p = user_data;
  pb_cli_plots_round_run (p->plots, r, run);
}

static void
study_round_done (void *user_data, const PbRoundResult *r)
{
  StudyProgress *p = user_data;
  char digit[32] = "—";

  p->done++;
  if (pb_arch_trains_digits (&p->session->models[r->model_index]))
    snprintf (digit, sizeof digit, "%.3f", r->final.digit_error);
  fprintf (stderr, "[%d/%d] %s round %d (seed %llu): test error %.3f, digit error %s, %.1f s\n",
           p->done, p->rounds, pb_session_model_name (p->session, r->model_index), r->round + 1,
           (unsigned long long) r->seed, r->final.test_error, digit, r->final.train_seconds);
}

static const char *
preset_name (const char *name)
{
  for (const char *const *p = pb_train_preset_names (); *p != NULL; p++)
    if (strcmp (*p, name) == 0)
      return *p;
  return NULL;
}

/* Each entry of the list is a model name, trained with the shared settings base, or a preset,
 * trained with its own settings and then the command line's run options. */
static int
parse_models (const char *cmd, const char *list, int argc, char **argv,
              const PbTrainSettings *base, PbCliStudy *out)
{
  char buf[256];
  char *save = NULL;
  PbError err;

  out->base = *base;
  out->n_models = 0;
  if (list == NULL || strlen (list) >= sizeof buf)
    return pb_cli_usage_error (cmd, "--models: expected a comma-separated list of model names");
  snprintf (buf, sizeof buf, "%s", list);
  for (char *tok = strtok_r (buf, ",", &save); tok != NULL; tok = strtok_r (NULL, ",", &save))
    {
      PbTrainSettings *m;
      const char *preset = preset_name (tok);
      PbArch named;

      if (out->n_models >= PB_SESSION_MAX_MODELS)
        return pb_cli_usage_error (cmd, "--models: at most %d models", PB_SESSION_MAX_MODELS);
      m = &out->each[out->n_models];
      out->labels[out->n_models][0] = '\0';
      if (preset != NULL)
        {
          const char *data_dir = NULL;
          if (pb_train_settings_preset (m, tok, &err) != PB_OK)
            return pb_cli_usage_error (cmd, "--models: %s", err.message);
          for (int i = 1; i < argc; i++)
            if (pb_cli_parse_run_option (cmd, argc, argv, &i, m, &data_dir) == PB_CLI_EXIT_USAGE)
              return PB_CLI_EXIT_USAGE;
          snprintf (out->labels[out->n_models], sizeof out->labels[out->n_models], "%s", preset);
        }
      else
        {
          if (pb_arch_from_name (tok, &named, &err) != PB_OK)
            return pb_cli_usage_error (cmd, "--models: %s, or a preset (best)", err.message);
          *m = *base;
          m->arch.kind = named.kind;
          m->arch.aux = named.aux;
        }
      out->n_models++;
    }
  if (out->n_models == 0)
    return pb_cli_usage_error (cmd, "--models: expected at least one model name");
  return 0;
}

/* A shard's units run as one-round "models" of their own settings (seed + round), so the core's
 * study runs them on its threads; the callbacks map them back to their model and round. */
typedef struct
{
  StudyProgress *progress;
  const int *model, *round;  /* [n_units] */
} UnitMap;

static PbRoundResult
unit_result (const UnitMap *map, const PbRoundResult *r)
{
  PbRoundResult out = *r;
  out.model_index = map->model[r->model_index];
  out.round = map->round[r->model_index];
  return out;
}

static void
unit_round_run (void *user_data, const PbRoundResult *r, PbRun *run)
{
  const UnitMap *map = user_data;
  PbRoundResult mapped = unit_result (map, r);
  pb_cli_plots_round_run (map->progress->plots, &mapped, run);
}

static void
unit_round_done (void *user_data, const PbRoundResult *r)
{
  const UnitMap *map = user_data;
  PbRoundResult mapped = unit_result (map, r);
  study_round_done (map->progress, &mapped);
}

/* Trains the shard's units into session (the others stay not done), keeping the round-1
 * features in plots. */
static PbStatus
run_units (const PbCliStudy *study, const long *units, int n_units, int jobs,
           const PbMnist *mnist, PbSession *session, PbCliPlots *plots, PbError *err)
{
  PbTrainSettings *each = calloc ((size_t) n_units, sizeof *each);
  int *model = calloc ((size_t) n_units, sizeof *model);
  int *round = calloc ((size_t) n_units, sizeof *round);
  PbRoundResult *results = calloc ((size_t) n_units, sizeof *results);
  StudyProgress progress = { .session = session, .rounds = n_units, .plots = plots };
  UnitMap map = { .progress = &progress, .model = model, .round = round };
  PbStudyCallbacks cb = { .round_done = unit_round_done, .round_run = unit_round_run,
                          .user_data = &map };
  PbStatus st = PB_OK;
  int k = 0;

  if (each == NULL || model == NULL || round == NULL || results == NULL)
    st = pb_error_set (err, PB_ERR_NOMEM, "out of memory");
  /* Round-major, as the whole study runs them. */
  for (int r = 0; st == PB_OK && r < study->rounds; r++)
    for (int i = 0; i < n_units; i++)
      if ((units[i] - 1) % study->rounds == r)
        {
          model[k] = (int) ((units[i] - 1) / study->rounds);
          round[k] = r;
          each[k] = study->each[model[k]];
          each[k].seed += (uint64_t) r;
          k++;
        }
  if (st == PB_OK)
    st = pb_study_run_each (each, n_units, 1, jobs, mnist, &cb, results, err);
  for (int i = 0; st == PB_OK && i < n_units; i++)
    {
      PbRoundResult mapped = unit_result (&map, &results[i]);
      st = pb_session_set_round (session, &mapped, err);
    }
  if (results != NULL)
    pb_study_results_clear (results, n_units);
  free (results);
  free (round);
  free (model);
  free (each);
  return st;
}

/* study --shard K/N: trains the shard's units and prints them, with --json as the shard file
 * merge reads. */
static int
study_run_shard (const char *cmd, const PbCliStudy *study, const PbShard *shard, int jobs,
                 const char *data_dir, bool json)
{
  long total = (long) study->n_models * study->rounds, *units;
  int n_units = 0, rc = 0;
  PbSession session;
  PbError err = { { 0 } };
  PbMnist mnist = { 0 };
  PbCliPlots *plots;
  PbStatus st;
  PbStr out;

  units = calloc ((size_t) total, sizeof *units);
  if (units == NULL)
    {
      fprintf (stderr, "%s %s: out of memory\n", PB_CLI_NAME, cmd);
      return 1;
    }
  for (long u = 1; u <= total; u++)
    if (pb_shard_owns (shard, u))
      units[n_units++] = u;
  if (pb_cli_study_session (study, &session, &err) != PB_OK)
    {
      free (units);
      return pb_cli_failure (cmd, &err);
    }
  plots = pb_cli_plots_new (cmd, NULL, study->n_models);
  if (n_units > 0 && (rc = pb_cli_load_mnist (cmd, data_dir, &mnist)) == 0)
    {
      pb_blas_set_single_thread ();
      st = run_units (study, units, n_units, jobs, &mnist, &session, plots, &err);
      pb_mnist_clear (&mnist);
      if (st != PB_OK)
        rc = pb_cli_failure (cmd, &err);
    }

  pb_str_init (&out);
  if (rc == 0 && json)
    pb_cli_study_shard_append (&out, study, shard, units, n_units, &session, plots);
  else if (rc == 0)
    {
      for (int i = 0; i < n_units; i++)
        {
          int m = (int) ((units[i] - 1) / study->rounds);
          int r = (int) ((units[i] - 1) % study->rounds);
          const PbRoundResult *res = pb_session_round (&session, m, r);
          pb_str_printf (&out, "unit %ld: %s round %d (seed %llu): test error %.3f, digit error "
                         "%.3f, %.1f s\n", units[i], pb_session_model_name (&session, m), r + 1,
                         (unsigned long long) res->seed, res->final.test_error,
                         res->final.digit_error, res->final.train_seconds);
        }
      pb_str_printf (&out, "(shard %d/%d: %d of the study's %ld units; with --json it prints the "
                     "shard file that merge joins)\n", shard->k, shard->n, n_units, total);
    }
  if (rc == 0 && out.failed)
    {
      fprintf (stderr, "%s %s: out of memory\n", PB_CLI_NAME, cmd);
      rc = 1;
    }
  else if (rc == 0)
    fputs (out.data, stdout);
  pb_str_clear (&out);
  pb_cli_plots_free (plots);
  pb_session_clear (&session);
  free (units);
  return rc;
}

/* Trains the whole study into a session, prints it and writes the files. */
static int
study_run (const char *cmd, const PbCliStudy *study, int jobs, const char *data_dir,
           PbCliStudyOutputs *o, const char *plots_dir)
{
  int n_models = study->n_models, rounds = study->rounds, rc;
  PbSession session;
  PbError err = { { 0 } };
  PbMnist mnist = { 0 };
  PbStatus st;

  if ((rc = pb_cli_study_check_outputs (cmd, o->csv, o->table, plots_dir)) != 0)
    return rc;
  if (pb_cli_study_session (study, &session, &err) != PB_OK)
    return pb_cli_failure (cmd, &err);
  if ((rc = pb_cli_load_mnist (cmd, data_dir, &mnist)) != 0)
    {
      pb_session_clear (&session);
      return rc;
    }

  pb_blas_set_single_thread ();
  StudyProgress progress = { .session = &session, .rounds = n_models * rounds };
  PbStudyCallbacks cb = { .round_done = study_round_done, .user_data = &progress };
  if (plots_dir != NULL)
    {
      o->plots = pb_cli_plots_new (cmd, plots_dir, n_models);
      progress.plots = o->plots;
      cb.round_run = study_round_run;
    }
  /* The session's results are the study's [n_models × rounds] array, model-major. */
  st = pb_study_run_each (study->each, n_models, rounds, jobs, &mnist, &cb, session.results,
                          &err);
  pb_mnist_clear (&mnist);
  rc = st != PB_OK ? pb_cli_failure (cmd, &err) : pb_cli_study_report (cmd, &session, o);
  pb_cli_plots_free (o->plots);
  o->plots = NULL;
  pb_session_clear (&session);
  return rc;
}

int
pb_cli_study (int argc, char **argv)
{
  const char *cmd = "study";
  PbTrainSettings s;
  const char *data_dir = NULL, *csv = NULL, *models_arg = "stacked,stacked-aux,siamese,siamese-aux";
  const char *table = NULL, *plots_dir = NULL, *v;
  PbTableFormat table_format = PB_TABLE_CSV;
  bool json = false;
  long rounds = 20, jobs = sysconf (_SC_NPROCESSORS_ONLN);
  PbCliStudy study;
  PbShard shard = { 1, 1 };
  bool sharded = false;
  PbError err;
  int rc;

  if (jobs < 1)
    jobs = 1;
  pb_train_settings_init (&s, "siamese", NULL);
  if ((rc = pb_cli_apply_preset (cmd, argc, argv, &s)) != 0)
    return rc;
  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0)
        {
          printf ("Usage: %s study [--models a,b,...] [--rounds R] [--jobs J] [options]\n"
                  "       [--csv FILE] [--table FILE] [--json] [--plots DIR] [--shard K/N]\n"
                  "Trains every model R times (round r uses seed S + r, the same for every model)\n"
                  "and prints the report's Table II. With two models or more and two rounds or\n"
                  "more, it then compares every pair on the test errors of the shared seeds: the\n"
                  "mean difference, and the two-sided paired t-test's and Wilcoxon signed-rank\n"
                  "test's p-values (zero differences dropped; exact when there are no ties and\n"
                  "at most 25 differences, else the normal approximation; — when undefined),\n"
                  "to two significant digits, marked \"too few rounds\" when so few could not\n"
                  "reach p < 0.05 (the exact Wilcoxon test needs 6). A model without the\n"
                  "auxiliary loss has untrained digit outputs: its digit error is —.\n\n"
                  "  --models LIST      default stacked,stacked-aux,siamese,siamese-aux; a preset\n"
                  "                     (best) trains with its own settings, then the options\n"
                  "  --rounds R         rounds per model (default 20)\n"
                  "  --jobs J           rounds trained at once (default: the number of cores)\n"
                  PB_CLI_RUN_OPTIONS_HELP
                  "  --csv FILE         write one row per round\n"
                  "  --table FILE       write the summary table as CSV (.csv), Markdown (.md) or\n"
                  "                     LaTeX with booktabs (.tex), by the file's extension;\n"
                  "                     .md and .tex add the paired tests under it\n"
                  "  --json             print the table and the tests as JSON\n"
                  "  --plots DIR        write the curves, small multiples, box plot and each\n"
                  "                     model's round-1 t-SNE map as SVG and PNG\n"
                  "  --shard K/N        train only shard K of N: unit u = m·R + r + 1 (model m,\n"
                  "                     round r, from 0) is shard's ((u − 1) mod N) + 1; with\n"
                  "                     --json print the shard file that '%s merge' joins\n"
                  "                     into this study's output (--csv, --table and --plots\n"
                  "                     go to merge)\n", PB_CLI_NAME, PB_CLI_NAME);
          return 0;
        }
      if (pb_cli_match (argc, argv, &i, "--models", &v))
        {
          models_arg = v;
          if (v == NULL)
            return pb_cli_usage_error (cmd, "--models: expected a list of model names");
          continue;
        }
      if (pb_cli_match (argc, argv, &i, "--rounds", &v))
        {
          if (!pb_cli_parse_int (v, 1, 1000, &rounds))
            return pb_cli_usage_error (cmd, "--rounds: expected an integer 1–1000, got '%s'",
                                       v ? v : "");
          continue;
        }
      if (pb_cli_match (argc, argv, &i, "--jobs", &v))
        {
          if (!pb_cli_parse_int (v, 1, 64, &jobs))
            return pb_cli_usage_error (cmd, "--jobs: expected an integer 1–64, got '%s'",
                                       v ? v : "");
          continue;
        }
      if (pb_cli_match (argc, argv, &i, "--csv", &v))
        {
          if (v == NULL || *v == '\0')
            return pb_cli_usage_error (cmd, "--csv: expected a file name");
          csv = v;
          continue;
        }
      if (pb_cli_match (argc, argv, &i, "--table", &v))
        {
          if (v == NULL || !pb_table_format_from_path (v, &table_format))
            return pb_cli_usage_error (cmd, "--table: expected a file name ending in .csv, .md "
                                       "or .tex, got '%s'", v ? v : "");
          table = v;
          continue;
        }
      if (pb_cli_match (argc, argv, &i, "--plots", &v))
        {
          if (v == NULL || *v == '\0')
            return pb_cli_usage_error (cmd, "--plots: expected a folder name");
          plots_dir = v;
          continue;
        }
      if (strcmp (argv[i], "--json") == 0)
        {
          json = true;
          continue;
        }
      if (pb_cli_match (argc, argv, &i, "--shard", &v))
        {
          if (pb_shard_parse (v, &shard, &err) != PB_OK)
            return pb_cli_usage_error (cmd, "%s", err.message);
          sharded = true;
          continue;
        }
      rc = pb_cli_parse_run_option (cmd, argc, argv, &i, &s, &data_dir);
      if (rc == PB_CLI_EXIT_USAGE)
        return rc;
      if (rc == 0)
        return pb_cli_usage_error (cmd, "unknown option '%s' (see --help)", argv[i]);
    }
  if (sharded && (csv != NULL || table != NULL || plots_dir != NULL))
    return pb_cli_usage_error (cmd, "--shard: %s is written by merge, which joins the shards; "
                               "expected --shard with --json only", csv != NULL ? "--csv"
                               : table != NULL ? "--table" : "--plots");
  if ((rc = parse_models (cmd, models_arg, argc, argv, &s, &study)) != 0)
    return rc;
  study.rounds = (int) rounds;
  for (int m = 0; m < study.n_models; m++)
    if (pb_train_settings_validate (&study.each[m], &err) != PB_OK)
      return pb_cli_usage_error (cmd, "%s: %s", study.labels[m][0] != '\0' ? study.labels[m]
                                 : pb_arch_name (&study.each[m].arch), err.message);
  if (sharded)
    return study_run_shard (cmd, &study, &shard, (int) jobs, data_dir, json);
  PbCliStudyOutputs outputs = { .json = json, .csv = csv, .table = table,
                                .table_format = table_format };
  return study_run (cmd, &study, (int) jobs, data_dir, &outputs, plots_dir);
}
