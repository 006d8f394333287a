/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pairbench-cli study: every model over rounds, the report's Table II and the paired tests.
 * The rounds go into a PbSession, and the summary rows and the tests come from the core's
 * pb_session_summary, pb_session_table_row and pb_session_paired_tests, as the app's do. */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pb-cli.h"
#include "pb-cli-commands.h"
#include "pb-core.h"
#include "pb-session.h"
#include "pb-table.h"
#include "study-plots.h"

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
  p->done++;
  fprintf (stderr, "[%d/%d] %s round %d (seed %llu): test error %.3f, digit error %.3f, %.1f s\n",
           p->done, p->rounds, pb_session_model_name (p->session, r->model_index), r->round + 1,
           (unsigned long long) r->seed, r->final.test_error, r->final.digit_error,
           r->final.train_seconds);
}

static const char *
preset_name (const char *name)
{
  for (const char *const *p = pb_train_preset_names (); *p != NULL; p++)
    if (strcmp (*p, name) == 0)
      return *p;
  return NULL;
}

/* The models of --models: each one's settings and architecture, and for a preset its name
 * (else NULL). */
typedef struct
{
  int n;
  PbTrainSettings *each;
  PbArch *archs;
  const char **presets;
} StudyModels;

static void
study_models_clear (StudyModels *self)
{
  free (self->each);
  free (self->archs);
  free (self->presets);
  memset (self, 0, sizeof *self);
}

/* Each entry of the list is a model name, trained with the shared settings base, or a preset,
 * trained with its own settings and then the command line's run options. The arrays are sized
 * by the list's entries. */
static int
parse_models (const char *cmd, const char *list, int argc, char **argv,
              const PbTrainSettings *base, StudyModels *out)
{
  char buf[256];
  char *save = NULL;
  PbError err;
  size_t size = 1;

  memset (out, 0, sizeof *out);
  if (list == NULL || strlen (list) >= sizeof buf)
    return pb_cli_usage_error (cmd, "--models: expected a comma-separated list of model names");
  for (const char *c = list; *c != '\0'; c++)
    size += *c == ',';
  out->each = calloc (size, sizeof *out->each);
  out->archs = calloc (size, sizeof *out->archs);
  out->presets = calloc (size, sizeof *out->presets);
  if (out->each == NULL || out->archs == NULL || out->presets == NULL)
    {
      fprintf (stderr, "%s %s: out of memory\n", PB_CLI_NAME, cmd);
      return 1;
    }
  snprintf (buf, sizeof buf, "%s", list);
  for (char *tok = strtok_r (buf, ",", &save); tok != NULL; tok = strtok_r (NULL, ",", &save))
    {
      PbTrainSettings *m = &out->each[out->n];
      const char *preset = preset_name (tok);
      PbArch named;

      if (out->n >= PB_SESSION_MAX_MODELS)
        return pb_cli_usage_error (cmd, "--models: at most %d models", PB_SESSION_MAX_MODELS);
      if (preset != NULL)
        {
          const char *data_dir = NULL;
          if (pb_train_settings_preset (m, tok, &err) != PB_OK)
            return pb_cli_usage_error (cmd, "--models: %s", err.message);
          for (int i = 1; i < argc; i++)
            if (pb_cli_parse_run_option (cmd, argc, argv, &i, m, &data_dir) == PB_CLI_EXIT_USAGE)
              return PB_CLI_EXIT_USAGE;
          out->presets[out->n] = preset;
        }
      else
        {
          if (pb_arch_from_name (tok, &named, &err) != PB_OK)
            return pb_cli_usage_error (cmd, "--models: %s, or a preset (best)", err.message);
          *m = *base;
          m->arch.kind = named.kind;
          m->arch.aux = named.aux;
        }
      out->archs[out->n] = m->arch;
      out->n++;
    }
  if (out->n == 0)
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

static void
study_append_tests_text (PbStr *out, const PbSession *session, int rounds,
                         const PbPairedTests *m)
{
  pb_str_printf (out, "\nPaired tests on the test error over the %d shared seeds (two-sided; "
                 "mean diff = a − b):\n", rounds);
  pb_str_printf (out, "%-12s %-12s %10s  %10s  %10s\n", "a", "b", "mean diff", "t-test p",
                 "Wilcoxon p");
  int n_models = session->n_models;

  for (int i = 0; i < n_models; i++)
    for (int j = i + 1; j < n_models; j++)
      {
        const PbPairedTests *c = &m[i * n_models + j];
        pb_str_printf (out, "%-12s %-12s %+10.4f  ", pb_session_model_name (session, i),
                       pb_session_model_name (session, j), c->mean_diff);
        study_append_p (out, c->t.pvalue, 10);
        pb_str_append (out, "  ");
        study_append_p (out, c->wilcoxon.pvalue, 10);
        if (c->wilcoxon.n > 0)
          pb_str_append (out, c->wilcoxon.exact ? " exact" : " normal approx.");
        pb_str_append (out, "\n");
      }
}

static void
study_append_tests_json (PbStr *out, const PbSession *session, const PbPairedTests *m)
{
  int n_models = session->n_models;
  bool first = true;

  pb_str_append (out, "\"tests\":[");
  for (int i = 0; m != NULL && i < n_models; i++)
    for (int j = i + 1; j < n_models; j++)
      {
        const PbPairedTests *c = &m[i * n_models + j];
        pb_str_append (out, first ? "{\"a\":" : ",{\"a\":");
        first = false;
        pb_str_append_json_string (out, pb_session_model_name (session, i));
        pb_str_append (out, ",\"b\":");
        pb_str_append_json_string (out, pb_session_model_name (session, j));
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

/* One model's rows of the per-round CSV, and in JSON its summary and rounds, else its line of
 * the text table. */
static void
study_append_model (PbStr *out, PbStr *csv_out, const PbSession *session, int m, bool json)
{
  PbSessionSummary sum;

  pb_session_summary (session, m, &sum);
  for (int k = 0; k < session->rounds; k++)
    {
      const PbRoundResult *r = pb_session_round (session, m, k);
      pb_str_printf (csv_out, "%s,%d,%llu,%zu,%.6g,%.6g,%.6g,%.6g,%.4f,%.4f\n", sum.model, k + 1,
                     (unsigned long long) r->seed, r->params, r->final.test_error,
                     r->final.train_error, r->final.digit_error, r->final.chunk_sd,
                     r->final.train_seconds, r->final.eval_seconds);
    }
  if (!json)
    {
      pb_str_printf (out, "%-12s %8zu  %.3f ± %.3f    %.3f ± %.3f    %8.3f  %7.2f\n", sum.model,
                     sum.params, sum.test_mean, sum.test_std, sum.digit_mean, sum.digit_std,
                     sum.chunk_mean, sum.seconds);
      return;
    }
  pb_str_append (out, m > 0 ? ",{\"model\":" : "{\"model\":");
  pb_str_append_json_string (out, sum.model);
  pb_str_printf (out, ",\"params\":%zu,\"test_error_mean\":", sum.params);
  pb_str_append_double (out, sum.test_mean);
  pb_str_append (out, ",\"test_error_std\":");
  pb_str_append_double (out, sum.test_std);
  pb_str_append (out, ",\"digit_error_mean\":");
  pb_str_append_double (out, sum.digit_mean);
  pb_str_append (out, ",\"chunk_sd_mean\":");
  pb_str_append_double (out, sum.chunk_mean);
  pb_str_append (out, ",\"train_seconds_mean\":");
  pb_str_append_double (out, sum.seconds);
  pb_str_append (out, ",\"rounds\":[");
  for (int k = 0; k < session->rounds; k++)
    {
      const PbRoundResult *r = pb_session_round (session, m, k);
      pb_str_printf (out, "%s{\"round\":%d,\"seed\":%llu,\"test_error\":", k > 0 ? "," : "",
                     k + 1, (unsigned long long) r->seed);
      pb_str_append_double (out, r->final.test_error);
      pb_str_append (out, ",\"train_error\":");
      pb_str_append_double (out, r->final.train_error);
      pb_str_append (out, ",\"digit_error\":");
      pb_str_append_double (out, r->final.digit_error);
      pb_str_append (out, ",\"chunk_sd\":");
      pb_str_append_double (out, r->final.chunk_sd);
      pb_str_append (out, ",\"train_seconds\":");
      pb_str_append_double (out, r->final.train_seconds);
      pb_str_append (out, "}");
    }
  pb_str_append (out, "]}");
}

/* Table II through the core, so it is the app's table byte for byte. */
static PbStatus
study_write_table (const PbSession *session, const char *path, PbTableFormat format,
                   PbError *err)
{
  PbTableRow *rows = calloc ((size_t) session->n_models, sizeof *rows);
  PbStatus st;
  PbStr out;

  if (rows == NULL)
    return pb_error_set (err, PB_ERR_NOMEM, "out of memory");
  for (int m = 0; m < session->n_models; m++)
    pb_session_table_row (session, m, &rows[m]);
  pb_str_init (&out);
  pb_table_format_rows (&out, rows, session->n_models, format);
  st = out.failed ? pb_error_set (err, PB_ERR_NOMEM, "out of memory")
                  : pb_write_file_atomic (path, out.data, out.len, err);
  pb_str_clear (&out);
  free (rows);
  return st;
}

/* Trains the study into a session, prints it and writes the files. */
static int
study_run (const char *cmd, const PbTrainSettings *s, const StudyModels *models, int rounds,
           int jobs, const char *data_dir, bool json, const char *csv, const char *table,
           PbTableFormat table_format, const char *plots_dir)
{
  int n_models = models->n, rc;
  PbSession session;
  PbError err = { { 0 } };
  PbMnist mnist = { 0 };
  PbCliPlots *plots = NULL;
  PbPairedTests *tests = NULL;
  PbStatus st;
  PbStr out, csv_out;

  for (int m = 0; m < n_models; m++)
    if (pb_train_settings_validate (&models->each[m], &err) != PB_OK)
      return pb_cli_usage_error (cmd, "%s: %s", models->presets[m] != NULL ? models->presets[m]
                                 : pb_arch_name (&models->each[m].arch), err.message);
  if ((csv != NULL && (rc = pb_cli_check_output (cmd, csv)) != 0)
      || (table != NULL && (rc = pb_cli_check_output (cmd, table)) != 0)
      || (plots_dir != NULL && (rc = pb_cli_check_output_dir (cmd, plots_dir)) != 0))
    return rc;
  st = pb_session_init (&session, s, models->archs, n_models, rounds, &err);
  for (int m = 0; st == PB_OK && m < n_models; m++)
    if (models->presets[m] != NULL)
      st = pb_session_set_label (&session, m, models->presets[m], &err);
  if (st != PB_OK)
    {
      pb_session_clear (&session);
      return pb_cli_failure (cmd, &err);
    }
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
      plots = pb_cli_plots_new (plots_dir, n_models);
      progress.plots = plots;
      cb.round_run = study_round_run;
    }
  /* The session's results are the study's [n_models × rounds] array, model-major. */
  st = pb_study_run_each (models->each, n_models, rounds, jobs, &mnist, &cb, session.results,
                          &err);
  pb_mnist_clear (&mnist);
  if (st == PB_OK && n_models >= 2 && rounds >= 2)
    {
      tests = calloc ((size_t) n_models * (size_t) n_models, sizeof *tests);
      st = tests == NULL ? pb_error_set (&err, PB_ERR_NOMEM, "out of memory")
                         : pb_session_paired_tests (&session, tests, NULL, &err);
    }
  if (st != PB_OK)
    {
      free (tests);
      pb_cli_plots_free (plots);
      pb_session_clear (&session);
      return pb_cli_failure (cmd, &err);
    }

  pb_str_init (&out);
  pb_str_init (&csv_out);
  if (json)
    pb_str_append (&out, "{\"models\":[");
  else
    pb_str_printf (&out, "%-12s %8s  %-16s %-16s %8s  %7s\n", "model", "params",
                   "test error", "digit error", "chunk sd", "s/run");
  pb_str_append (&csv_out, "model,round,seed,params,test_error,train_error,digit_error,chunk_sd,"
                 "train_seconds,eval_seconds\n");
  for (int m = 0; m < n_models; m++)
    study_append_model (&out, &csv_out, &session, m, json);
  if (json)
    {
      pb_str_append (&out, "],");
      study_append_tests_json (&out, &session, tests);
      pb_str_append (&out, "}\n");
    }
  else
    {
      pb_str_printf (&out, "(%d rounds, seeds %llu–%llu, mean ± sample std over rounds; "
                     "chunk sd: the report's spread over 20 chunks of the test set)\n", rounds,
                     (unsigned long long) s->seed,
                     (unsigned long long) (s->seed + (uint64_t) rounds - 1));
      if (tests != NULL)
        study_append_tests_text (&out, &session, rounds, tests);
    }

  if (out.failed || csv_out.failed)
    {
      fprintf (stderr, "%s %s: out of memory\n", PB_CLI_NAME, cmd);
      rc = 1;
    }
  else
    fputs (out.data, stdout);
  if (rc == 0 && plots != NULL)
    rc = pb_cli_plots_write (plots, &session);
  if (rc == 0 && csv != NULL
      && pb_write_file_atomic (csv, csv_out.data, csv_out.len, &err) != PB_OK)
    rc = pb_cli_failure (cmd, &err);
  if (rc == 0 && table != NULL && study_write_table (&session, table, table_format, &err) != PB_OK)
    rc = pb_cli_failure (cmd, &err);
  pb_cli_plots_free (plots);
  free (tests);
  pb_str_clear (&out);
  pb_str_clear (&csv_out);
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
  StudyModels models;
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
      rc = pb_cli_parse_run_option (cmd, argc, argv, &i, &s, &data_dir);
      if (rc == PB_CLI_EXIT_USAGE)
        return rc;
      if (rc == 0)
        return pb_cli_usage_error (cmd, "unknown option '%s' (see --help)", argv[i]);
    }
  if ((rc = parse_models (cmd, models_arg, argc, argv, &s, &models)) == 0)
    rc = study_run (cmd, &s, &models, (int) rounds, (int) jobs, data_dir, json, csv, table,
                    table_format, plots_dir);
  study_models_clear (&models);
  return rc;
}
