/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pairbench-cli study: every model over rounds, the report's Table II and the paired tests. */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pb-cli.h"
#include "pb-cli-commands.h"
#include "pb-core.h"
#include "pb-table.h"
#include "study-plots.h"

typedef struct
{
  const char *const *names;
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
  p->done++;
  fprintf (stderr, "[%d/%d] %s round %d (seed %llu): test error %.3f, digit error %.3f, %.1f s\n",
           p->done, p->rounds, p->names[r->model_index], r->round + 1,
           (unsigned long long) r->seed, r->final.test_error, r->final.digit_error,
           r->final.train_seconds);
}

static void
mean_std (const double *v, int n, double *mean, double *std)
{
  double m = 0.0, ss = 0.0;
  for (int i = 0; i < n; i++)
    m += v[i];
  m /= n;
  for (int i = 0; i < n; i++)
    ss += (v[i] - m) * (v[i] - m);
  *mean = m;
  *std = n > 1 ? sqrt (ss / (n - 1)) : 0.0;
}

static bool
is_preset_name (const char *name)
{
  for (const char *const *p = pb_train_preset_names (); *p != NULL; p++)
    if (strcmp (*p, name) == 0)
      return true;
  return false;
}

/* Each entry of the list is a model name, trained with the shared settings base, or a preset,
 * trained with its own settings and then the command line's run options. names get static
 * strings. */
static int
parse_models (const char *cmd, const char *list, int argc, char **argv,
              const PbTrainSettings *base, PbTrainSettings *each, const char **names,
              int *n_models)
{
  char buf[256];
  char *save = NULL;
  PbError err;

  if (list == NULL || strlen (list) >= sizeof buf)
    return pb_cli_usage_error (cmd, "--models: expected a comma-separated list of model names");
  snprintf (buf, sizeof buf, "%s", list);
  *n_models = 0;
  for (char *tok = strtok_r (buf, ",", &save); tok != NULL; tok = strtok_r (NULL, ",", &save))
    {
      PbTrainSettings *m = &each[*n_models];
      PbArch named;

      if (*n_models >= 16)
        return pb_cli_usage_error (cmd, "--models: at most 16 models");
      if (is_preset_name (tok))
        {
          const char *data_dir = NULL;
          if (pb_train_settings_preset (m, tok, &err) != PB_OK)
            return pb_cli_usage_error (cmd, "--models: %s", err.message);
          for (int i = 1; i < argc; i++)
            if (pb_cli_parse_run_option (cmd, argc, argv, &i, m, &data_dir) == PB_CLI_EXIT_USAGE)
              return PB_CLI_EXIT_USAGE;
          for (const char *const *p = pb_train_preset_names (); *p != NULL; p++)
            if (strcmp (*p, tok) == 0)
              names[*n_models] = *p;
        }
      else
        {
          if (pb_arch_from_name (tok, &named, &err) != PB_OK)
            return pb_cli_usage_error (cmd, "--models: %s, or a preset (best)", err.message);
          *m = *base;
          m->arch.kind = named.kind;
          m->arch.aux = named.aux;
          names[*n_models] = pb_arch_name (&m->arch);
        }
      (*n_models)++;
    }
  if (*n_models == 0)
    return pb_cli_usage_error (cmd, "--models: expected at least one model name");
  return 0;
}

/* "—" for an undefined p-value, padded to width characters (not bytes). */
static void
study_append_p (PbStr *out, double p, int width)
{
  char buf[32];
  int len;

  if (isnan (p))
    {
      pb_str_printf (out, "%*s—", width - 1, "");
      return;
    }
  len = pb_snprintf_c (buf, sizeof buf, p < 1e-4 ? "%.1e" : "%.4f", p);
  pb_str_printf (out, "%*s%s", width > len ? width - len : 0, "", buf);
}

/* Every pair of models, compared on the test errors of the shared seeds. test: [n_models,
 * rounds]. Returns NULL when out of memory; the pairs (i, j), i < j, are at [i × n_models + j]. */
static PbPairedTests *
study_compare (const double *test, int n_models, int rounds)
{
  PbPairedTests *m = calloc ((size_t) n_models * n_models, sizeof *m);

  if (m != NULL && pb_stats_paired_matrix (test, n_models, rounds, m, NULL) != PB_OK)
    {
      free (m);
      return NULL;
    }
  return m;
}

static void
study_append_tests_text (PbStr *out, const char *const *names, int n_models, int rounds,
                         const PbPairedTests *m)
{
  pb_str_printf (out, "\nPaired tests on the test error over the %d shared seeds (two-sided; "
                 "mean diff = a − b):\n", rounds);
  pb_str_printf (out, "%-12s %-12s %10s  %10s  %10s\n", "a", "b", "mean diff", "t-test p",
                 "Wilcoxon p");
  for (int i = 0; i < n_models; i++)
    for (int j = i + 1; j < n_models; j++)
      {
        const PbPairedTests *c = &m[i * n_models + j];
        pb_str_printf (out, "%-12s %-12s %+10.4f  ", names[i], names[j], c->mean_diff);
        study_append_p (out, c->t.pvalue, 10);
        pb_str_append (out, "  ");
        study_append_p (out, c->wilcoxon.pvalue, 10);
        if (c->wilcoxon.n > 0)
          pb_str_append (out, c->wilcoxon.exact ? " exact" : " normal approx.");
        pb_str_append (out, "\n");
      }
}

static void
study_append_tests_json (PbStr *out, const char *const *names, int n_models,
                         const PbPairedTests *m)
{
  bool first = true;

  pb_str_append (out, "\"tests\":[");
  for (int i = 0; m != NULL && i < n_models; i++)
    for (int j = i + 1; j < n_models; j++)
      {
        const PbPairedTests *c = &m[i * n_models + j];
        pb_str_append (out, first ? "{\"a\":" : ",{\"a\":");
        first = false;
        pb_str_append_json_string (out, names[i]);
        pb_str_append (out, ",\"b\":");
        pb_str_append_json_string (out, names[j]);
        pb_str_append (out, ",\"mean_diff\":");
        pb_str_append_double (out, c->mean_diff);
        pb_str_append (out, ",\"t_p\":");
        pb_str_append_double (out, c->t.pvalue);
        pb_str_append (out, ",\"wilcoxon_p\":");
        pb_str_append_double (out, c->wilcoxon.pvalue);
        pb_str_append (out, "}");
      }
  pb_str_append (out, "]");
}

int
pb_cli_study (int argc, char **argv)
{
  const char *cmd = "study";
  PbTrainSettings s;
  const char *data_dir = NULL, *csv = NULL, *models_arg = "stacked,stacked-aux,siamese,siamese-aux";
  const char *table = NULL, *plots_dir = NULL, *v;
  PbTableFormat table_format = PB_TABLE_CSV;
  PbTableRow rows[16];
  PbPairedTests *tests = NULL;
  bool json = false;
  long rounds = 20, jobs = sysconf (_SC_NPROCESSORS_ONLN);
  PbArch models[16];
  PbTrainSettings each[16];
  const char *names[16];
  bool any_preset = false;
  int n_models = 0, rc;
  PbError err = { { 0 } };
  PbMnist mnist = { 0 };

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
                  "       [--csv FILE] [--table FILE] [--json] [--plots DIR]\n"
                  "Trains every model R times (round r uses seed S + r, the same for every model)\n"
                  "and prints the report's Table II. With two models or more and two rounds or\n"
                  "more, it then compares every pair on the test errors of the shared seeds: the\n"
                  "mean difference, and the two-sided paired t-test's and Wilcoxon signed-rank\n"
                  "test's p-values (zero differences dropped; exact when there are no ties and\n"
                  "at most 25 differences, else the normal approximation; — when undefined).\n\n"
                  "  --models LIST      default stacked,stacked-aux,siamese,siamese-aux; a preset\n"
                  "                     (best) trains with its own settings, then the options\n"
                  "  --rounds R         rounds per model (default 20)\n"
                  "  --jobs J           rounds trained at once (default: the number of cores)\n"
                  PB_CLI_RUN_OPTIONS_HELP
                  "  --csv FILE         write one row per round\n"
                  "  --table FILE       write the summary table as CSV (.csv), Markdown (.md) or\n"
                  "                     LaTeX with booktabs (.tex), by the file's extension\n"
                  "  --json             print the table and the tests as JSON\n"
                  "  --plots DIR        write the curves, small multiples, box plot and each\n"
                  "                     model's round-1 t-SNE map as SVG and PNG\n", PB_CLI_NAME);
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
          if (v == NULL)
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
      rc = pb_cli_parse_run_option (cmd, argc, argv, &i, &s, &data_dir);
      if (rc == PB_CLI_EXIT_USAGE)
        return rc;
      if (rc == 0)
        return pb_cli_usage_error (cmd, "unknown option '%s' (see --help)", argv[i]);
    }
  if ((rc = parse_models (cmd, models_arg, argc, argv, &s, each, names, &n_models)) != 0)
    return rc;
  for (int m = 0; m < n_models; m++)
    {
      models[m] = each[m].arch;
      any_preset = any_preset || is_preset_name (names[m]);
      if (pb_train_settings_validate (&each[m], &err) != PB_OK)
        return pb_cli_usage_error (cmd, "%s: %s", names[m], err.message);
    }
  if (any_preset && plots_dir != NULL)
    return pb_cli_usage_error (cmd, "--plots: figures need models that share their settings; "
                               "drop the preset from --models");
  if ((rc = pb_cli_load_mnist (cmd, data_dir, &mnist)) != 0)
    return rc;

  pb_blas_set_single_thread ();
  int total = n_models * (int) rounds;
  PbRoundResult *results = calloc ((size_t) total, sizeof *results);
  StudyProgress progress = { .names = names, .rounds = total };
  PbStudyCallbacks cb = { .round_done = study_round_done, .user_data = &progress };
  if (results == NULL)
    {
      pb_mnist_clear (&mnist);
      fprintf (stderr, "%s %s: out of memory\n", PB_CLI_NAME, cmd);
      return 1;
    }
  PbCliPlots *plots = plots_dir != NULL ? pb_cli_plots_new (plots_dir, n_models) : NULL;
  progress.plots = plots;
  if (plots != NULL)
    cb.round_run = study_round_run;
  PbStatus st = pb_study_run_each (each, n_models, (int) rounds, (int) jobs, &mnist, &cb,
                                   results, &err);
  pb_mnist_clear (&mnist);
  if (st != PB_OK)
    {
      pb_cli_plots_free (plots);
      pb_study_results_clear (results, total);
      free (results);
      return pb_cli_failure (cmd, &err);
    }

  PbStr out, csv_out;
  pb_str_init (&out);
  pb_str_init (&csv_out);
  /* digit, secs, chunk: one model's rounds at a time; every model's test errors for the tests. */
  double *values = calloc ((size_t) rounds * (3 + (size_t) n_models), sizeof (double));
  if (values == NULL)
    {
      pb_study_results_clear (results, total);
      free (results);
      fprintf (stderr, "%s %s: out of memory\n", PB_CLI_NAME, cmd);
      return 1;
    }
  double *digit = values, *secs = values + rounds, *chunk = values + 2 * rounds,
         *all_test = values + 3 * rounds;

  if (json)
    pb_str_append (&out, "{\"models\":[");
  else
    pb_str_printf (&out, "%-12s %8s  %-16s %-16s %8s  %7s\n", "model", "params",
                   "test error", "digit error", "chunk sd", "s/run");
  pb_str_append (&csv_out, "model,round,seed,params,test_error,train_error,digit_error,chunk_sd,"
                 "train_seconds,eval_seconds\n");
  for (int m = 0; m < n_models; m++)
    {
      const PbRoundResult *r = &results[m * rounds];
      double tm, ts, dm, dsd, sm, ssd, cm, csd;
      double *test = all_test + m * rounds;
      const char *name = names[m];

      for (int k = 0; k < rounds; k++)
        {
          test[k] = r[k].final.test_error;
          digit[k] = r[k].final.digit_error;
          secs[k] = r[k].final.train_seconds;
          chunk[k] = r[k].final.chunk_sd;
          pb_str_printf (&csv_out, "%s,%d,%llu,%zu,%.6g,%.6g,%.6g,%.6g,%.4f,%.4f\n", name,
                         k + 1, (unsigned long long) r[k].seed, r[k].params, test[k],
                         r[k].final.train_error, digit[k], chunk[k], secs[k],
                         r[k].final.eval_seconds);
        }
      mean_std (test, (int) rounds, &tm, &ts);
      mean_std (digit, (int) rounds, &dm, &dsd);
      mean_std (secs, (int) rounds, &sm, &ssd);
      mean_std (chunk, (int) rounds, &cm, &csd);
      rows[m] = (PbTableRow) { .model = name, .params = r[0].params, .test_mean = tm,
                             .test_std = ts, .digit_mean = dm, .digit_std = dsd, .seconds = sm,
                             .rounds = (int) rounds };
      if (json)
        {
          pb_str_append (&out, m > 0 ? ",{\"model\":" : "{\"model\":");
          pb_str_append_json_string (&out, name);
          pb_str_printf (&out, ",\"params\":%zu,\"test_error_mean\":", r[0].params);
          pb_str_append_double (&out, tm);
          pb_str_append (&out, ",\"test_error_std\":");
          pb_str_append_double (&out, ts);
          pb_str_append (&out, ",\"digit_error_mean\":");
          pb_str_append_double (&out, dm);
          pb_str_append (&out, ",\"chunk_sd_mean\":");
          pb_str_append_double (&out, cm);
          pb_str_append (&out, ",\"train_seconds_mean\":");
          pb_str_append_double (&out, sm);
          pb_str_append (&out, ",\"rounds\":[");
          for (int k = 0; k < rounds; k++)
            {
              pb_str_printf (&out, "%s{\"round\":%d,\"seed\":%llu,\"test_error\":",
                             k > 0 ? "," : "", k + 1, (unsigned long long) r[k].seed);
              pb_str_append_double (&out, test[k]);
              pb_str_append (&out, ",\"train_error\":");
              pb_str_append_double (&out, r[k].final.train_error);
              pb_str_append (&out, ",\"digit_error\":");
              pb_str_append_double (&out, digit[k]);
              pb_str_append (&out, ",\"chunk_sd\":");
              pb_str_append_double (&out, chunk[k]);
              pb_str_append (&out, ",\"train_seconds\":");
              pb_str_append_double (&out, secs[k]);
              pb_str_append (&out, "}");
            }
          pb_str_append (&out, "]}");
        }
      else
        pb_str_printf (&out, "%-12s %8zu  %.3f ± %.3f    %.3f ± %.3f    %8.3f  %7.2f\n", name,
                       r[0].params, tm, ts, dm, dsd, cm, sm);
    }
  if (n_models >= 2 && rounds >= 2)
    tests = study_compare (all_test, n_models, (int) rounds);
  if (json)
    {
      pb_str_append (&out, "],");
      study_append_tests_json (&out, names, n_models, tests);
      pb_str_append (&out, "}\n");
    }
  else
    {
      pb_str_printf (&out, "(%ld rounds, seeds %llu–%llu, mean ± sample std over rounds; "
                     "chunk sd: the report's spread over 20 chunks of the test set)\n", rounds,
                     (unsigned long long) s.seed,
                     (unsigned long long) (s.seed + (uint64_t) rounds - 1));
      if (tests != NULL)
        study_append_tests_text (&out, names, n_models, (int) rounds, tests);
    }

  rc = 0;
  if (out.failed || (n_models >= 2 && rounds >= 2 && tests == NULL))
    {
      fprintf (stderr, "%s %s: out of memory\n", PB_CLI_NAME, cmd);
      rc = 1;
    }
  else
    fputs (out.data, stdout);
  if (rc == 0 && plots != NULL)
    rc = pb_cli_plots_write (plots, &s, models, n_models, (int) rounds, results);
  pb_cli_plots_free (plots);
  if (rc == 0 && csv != NULL
      && pb_write_file_atomic (csv, csv_out.data, csv_out.len, &err) != PB_OK)
    rc = pb_cli_failure (cmd, &err);
  if (rc == 0 && table != NULL)
    {
      PbStr table_out;
      pb_str_init (&table_out);
      pb_table_format_rows (&table_out, rows, n_models, table_format);
      if (table_out.failed)
        {
          fprintf (stderr, "%s %s: out of memory\n", PB_CLI_NAME, cmd);
          rc = 1;
        }
      else if (pb_write_file_atomic (table, table_out.data, table_out.len, &err) != PB_OK)
        rc = pb_cli_failure (cmd, &err);
      pb_str_clear (&table_out);
    }
  free (tests);
  pb_str_clear (&out);
  pb_str_clear (&csv_out);
  free (values);
  pb_study_results_clear (results, total);
  free (results);
  return rc;
}
