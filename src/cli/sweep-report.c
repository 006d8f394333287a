/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The sweep's summary and the members of its shard and next-rung files, for sweep and merge. */

#include "sweep-report.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pb-cli.h"
#include "pb-shard.h"

static bool
config_option (const char *name)
{
  return strcmp (name, "seed") == 0 || strcmp (name, "val-pairs") == 0;
}

void
pb_sweep_cli_append_base (PbStr *out, const PbTrainSettings *base)
{
  int n;
  const PbOptionInfo *o = pb_options (&n);
  bool first = true;

  pb_str_append (out, "{");
  for (int i = 0; i < n; i++)
    {
      char v[PB_OPTION_VALUE_MAX];
      if (config_option (o[i].name))
        continue;
      pb_train_settings_get_option (base, o[i].name, v, sizeof v);
      pb_str_append (out, first ? "" : ",");
      first = false;
      pb_str_append_json_string (out, o[i].name);
      pb_str_append (out, ":");
      pb_sweep_append_value (out, o[i].name, v);
    }
  pb_str_append (out, "}");
}

PbStatus
pb_sweep_cli_read_base (const char *text, const PbJson *obj, const char *what,
                        PbTrainSettings *out, PbError *err)
{
  PbTrainSettings s;
  int n;

  pb_options (&n);
  pb_train_settings_init (&s, "siamese-aux", NULL);
  if (obj == NULL || obj->type != PB_JSON_OBJECT || obj->n != n - 2)
    return pb_error_set (err, PB_ERR_FORMAT, "%s: base: expected every run option but seed and "
                         "val-pairs", what);
  for (int i = 0; i < obj->n; i++)
    {
      const PbJson *v = &obj->items[i];
      char t[PB_OPTION_VALUE_MAX] = "";
      PbError e;

      if (pb_option_lookup (obj->keys[i]) == NULL || config_option (obj->keys[i]))
        return pb_error_set (err, PB_ERR_FORMAT, "%s: base.%s: expected a run option", what,
                             obj->keys[i]);
      if (v->type == PB_JSON_NUMBER && v->length < sizeof t)
        memcpy (t, text + v->offset, v->length), t[v->length] = '\0';
      else if (v->type == PB_JSON_STRING && strlen (v->string) < sizeof t)
        snprintf (t, sizeof t, "%s", v->string);
      else if (v->type == PB_JSON_BOOL)
        snprintf (t, sizeof t, "%s", v->boolean ? "true" : "false");
      if (pb_train_settings_set_option (&s, obj->keys[i], t, &e) != PB_OK)
        return pb_error_set (err, PB_ERR_FORMAT, "%s: base.%s: %s", what, obj->keys[i],
                             e.message);
    }
  *out = s;
  return PB_OK;
}

static int
compare_results (const void *a, const void *b)
{
  const PbSweepResult *x = a, *y = b;
  if (x->rung != y->rung)
    return x->rung < y->rung ? -1 : 1;
  if (x->trial != y->trial)
    return x->trial < y->trial ? -1 : 1;
  return (x->round > y->round) - (x->round < y->round);
}

void
pb_sweep_cli_sort_results (PbSweepResult *results, int n)
{
  if (n > 1)
    qsort (results, (size_t) n, sizeof *results, compare_results);
}

void
pb_sweep_cli_append_results (PbStr *out, const PbSweepConfig *config,
                             const PbSweepResult *results, int n)
{
  pb_str_append (out, "[");
  for (int i = 0; i < n; i++)
    {
      if (i > 0)
        pb_str_append (out, ",");
      pb_sweep_result_to_json (config, &results[i], out);
      if (!out->failed && out->len > 0 && out->data[out->len - 1] == '\n')
        out->data[--out->len] = '\0';
    }
  pb_str_append (out, "]");
}

PbStatus
pb_sweep_cli_read_results (const PbSweepConfig *config, const PbJson *array, const char *what,
                           const char *key, PbSweepResult **out, int *n_out, PbError *err)
{
  PbSweepResult *r;
  PbStatus st;

  *out = NULL;
  *n_out = 0;
  if (array == NULL || array->type != PB_JSON_ARRAY)
    return pb_error_set (err, PB_ERR_FORMAT, "%s: %s: expected an array of sweep results", what,
                         key);
  r = calloc ((size_t) (array->n > 0 ? array->n : 1), sizeof *r);
  if (r == NULL)
    return pb_error_set (err, PB_ERR_NOMEM, "out of memory for %d results", array->n);
  for (int i = 0; i < array->n; i++)
    {
      char where[600];
      snprintf (where, sizeof where, "%s: %s[%d]", what, key, i);
      if ((st = pb_sweep_result_from_json (config, &array->items[i], where, &r[i], err)) != PB_OK)
        {
          free (r);
          return st;
        }
    }
  *out = r;
  *n_out = array->n;
  return PB_OK;
}

uint64_t
pb_sweep_cli_hash (const PbSweepConfig *config, const PbTrainSettings *base, int rung,
                   const PbSweepResult *earlier, int n_earlier)
{
  PbStr s;
  uint64_t h;

  pb_str_init (&s);
  pb_sweep_config_to_json (config, &s);
  pb_str_append (&s, "\n");
  pb_sweep_cli_append_base (&s, base);
  pb_str_printf (&s, "\n%d\n", rung);
  pb_sweep_cli_append_results (&s, config, earlier, n_earlier);
  h = s.failed ? 0 : pb_hash64 (s.data, s.len);
  pb_str_clear (&s);
  return h;
}

int
pb_sweep_cli_rung_units (const PbSweepConfig *config, int base_epochs,
                         const PbSweepResult *earlier, int n_earlier, PbSweepUnit **units_out)
{
  PbSweepUnit *units = malloc ((size_t) config->trials * (size_t) config->rounds
                               * sizeof *units);
  int n, last = 0, from = 0;

  *units_out = NULL;
  if (units == NULL)
    return -1;
  if (n_earlier == 0)
    n = pb_sweep_first_units (config, base_epochs, units);
  else
    {
      /* earlier is in unit order: its last rung is its tail. */
      last = earlier[n_earlier - 1].rung;
      while (from < n_earlier && earlier[from].rung != last)
        from++;
      n = pb_sweep_next_rung_units (config, base_epochs, earlier + from, n_earlier - from, units);
    }
  if (n <= 0)
    {
      free (units);
      return n;
    }
  *units_out = units;
  return n;
}

PbStatus
pb_sweep_cli_write_jsonl (const char *path, const PbSweepConfig *config,
                          const PbSweepResult *results, int n, PbError *err)
{
  PbStr s;
  PbStatus st;

  pb_str_init (&s);
  for (int i = 0; i < n; i++)
    pb_sweep_result_to_json (config, &results[i], &s);
  st = s.failed ? pb_error_set (err, PB_ERR_NOMEM, "out of memory")
                : pb_write_file_atomic (path, s.data != NULL ? s.data : "", s.len, err);
  pb_str_clear (&s);
  return st;
}

/* The swept values of a result: {"lr":0.002,"hidden":96} or "lr 0.002, hidden 96". */
static void
append_settings (PbStr *out, const PbSweepConfig *config, const PbSweepResult *r, bool json)
{
  if (json)
    pb_str_append (out, "{");
  for (int p = 0; p < config->n_params; p++)
    {
      if (json)
        {
          pb_str_append (out, p > 0 ? "," : "");
          pb_str_append_json_string (out, config->params[p].name);
          pb_str_append (out, ":");
          pb_sweep_append_value (out, config->params[p].name, r->values[p]);
        }
      else
        pb_str_printf (out, "%s%s %s", p > 0 ? ", " : "", config->params[p].name,
                       r->values[p]);
    }
  if (json)
    pb_str_append (out, "}");
}

/* "pairbench-cli train --model M" and every option that differs from train's defaults. */
static void
append_command (PbStr *out, const PbTrainSettings *s)
{
  int n;
  const PbOptionInfo *o = pb_options (&n);
  PbTrainSettings defaults;

  pb_train_settings_init (&defaults, "siamese-aux", NULL);
  pb_str_printf (out, "pairbench-cli train --model %s", pb_arch_name (&s->arch));
  for (int i = 0; i < n; i++)
    {
      char v[PB_OPTION_VALUE_MAX];
      if (strcmp (o[i].name, "model") == 0
          || (o[i].kind != PB_OPTION_SEED
              && pb_train_settings_option_equal (s, &defaults, o[i].name)))
        continue;
      pb_train_settings_get_option (s, o[i].name, v, sizeof v);
      if (o[i].kind == PB_OPTION_FLAG)
        pb_str_printf (out, strcmp (v, "true") == 0 ? " --%s" : " --%s=false", o[i].name);
      else
        pb_str_printf (out, " --%s %s", o[i].name, v);
    }
}

typedef struct
{
  int done, total;
} TestProgress;

static void
test_round_done (void *user_data, const PbRoundResult *r)
{
  TestProgress *p = user_data;
  p->done++;
  fprintf (stderr, "[test %d/%d] best settings, seed %" PRIu64 ": test error %.4f, %.1f s\n",
           p->done, p->total, r->seed, r->final.test_error, r->final.train_seconds);
}

static const PbSweepResult *
find_result (const PbSweepResult *results, int n, int trial, int rung)
{
  for (int i = 0; i < n; i++)
    if (results[i].trial == trial && results[i].rung == rung)
      return &results[i];
  return NULL;
}

int
pb_sweep_cli_finish (const char *cmd, const PbSweepConfig *config, const PbTrainSettings *base,
                     PbSweepResult *results, int n, const char *mnist_dir, const PbMnist *mnist,
                     int jobs, bool json, const char *preset)
{
  PbSweepSummary sum;
  PbError err = { { 0 } };
  PbTrainSettings best, fit;
  PbRoundResult *tests = NULL;
  PbMnist own = { 0 };
  double *errors = NULL, secs = 0.0;
  const PbSweepResult *best_r;
  int rounds = config->rounds, rc = 0;
  PbStr out;

  pb_sweep_cli_sort_results (results, n);
  if (pb_sweep_summarise (config, results, n, &sum, &err) != PB_OK)
    return pb_cli_failure (cmd, &err);
  if (sum.n_trials == 0 || isnan (sum.trials[0].val_mean))
    {
      pb_sweep_summary_clear (&sum);
      pb_error_set (&err, PB_ERR_DIVERGED, "every trial diverged; nothing to choose");
      return pb_cli_failure (cmd, &err);
    }
  best_r = find_result (results, n, sum.trials[0].trial, sum.trials[0].rung);
  /* The best settings: the base with the best trial's values, every training pair, the base's
   * epochs (halving: the last rung's). */
  if (pb_sweep_trial (config, base, sum.trials[0].trial, &best, NULL, &err) != PB_OK)
    {
      pb_sweep_summary_clear (&sum);
      return pb_cli_failure (cmd, &err);
    }
  best.val_pairs = 0;
  best.epochs = base->epochs;
  if (mnist == NULL)
    {
      if ((rc = pb_cli_load_mnist (cmd, mnist_dir, &own)) != 0)
        {
          pb_sweep_summary_clear (&sum);
          return rc;
        }
      mnist = &own;
    }
  /* As every run of the sweep and train: a multi-threaded BLAS sums in another order. */
  pb_blas_set_single_thread ();
  tests = calloc ((size_t) rounds, sizeof *tests);
  errors = calloc ((size_t) rounds, sizeof *errors);
  fit = best;
  fit.eval_every = 0;  /* the last epoch's test error is the same */
  TestProgress progress = { .total = rounds };
  PbStudyCallbacks cb = { .round_done = test_round_done, .user_data = &progress };
  if (tests == NULL || errors == NULL)
    rc = (pb_error_set (&err, PB_ERR_NOMEM, "out of memory"), pb_cli_failure (cmd, &err));
  else if (pb_study_run_each (&fit, 1, rounds, jobs, mnist, &cb, tests, &err) != PB_OK)
    rc = pb_cli_failure (cmd, &err);
  pb_mnist_clear (&own);
  if (rc != 0)
    {
      if (tests != NULL)
        pb_study_results_clear (tests, rounds);
      free (tests);
      free (errors);
      pb_sweep_summary_clear (&sum);
      return rc;
    }
  for (int r = 0; r < rounds; r++)
    {
      errors[r] = tests[r].final.test_error;
      secs += tests[r].final.train_seconds / rounds;
    }

  pb_str_init (&out);
  if (json)
    {
      pb_str_append (&out, "{\"format\":\"" PB_SWEEP_FORMAT "\",\"version\":1,\"config\":");
      pb_sweep_config_to_json (config, &out);
      pb_str_append (&out, ",\"base\":");
      pb_sweep_cli_append_base (&out, base);
      pb_str_append (&out, ",\"trials\":[");
      for (int i = 0; i < sum.n_trials; i++)
        {
          const PbSweepTrialSummary *t = &sum.trials[i];
          const PbSweepResult *r = find_result (results, n, t->trial, t->rung);
          pb_str_printf (&out, "%s{\"trial\":%d,\"rung\":%d,\"rounds\":%d,\"settings\":",
                         i > 0 ? "," : "", t->trial + 1, t->rung, t->rounds);
          append_settings (&out, config, r, true);
          pb_str_printf (&out, ",\"params\":%zu,\"epochs\":%d,\"val_error_mean\":", r->params,
                         r->epochs);
          pb_str_append_double (&out, t->val_mean);
          pb_str_append (&out, ",\"val_error_std\":");
          pb_str_append_double (&out, t->val_std);
          pb_str_append (&out, ",\"train_seconds_mean\":");
          pb_str_append_double (&out, t->train_seconds_mean);
          pb_str_append (&out, "}");
        }
      pb_str_append (&out, "],\"results\":");
      pb_sweep_cli_append_results (&out, config, results, n);
      pb_str_append (&out, ",\"importance\":[");
      for (int p = 0; p < sum.n_params; p++)
        {
          pb_str_append (&out, p > 0 ? ",{\"parameter\":" : "{\"parameter\":");
          pb_str_append_json_string (&out, sum.importance[p].name);
          pb_str_append (&out, ",\"correlation\":");
          pb_str_append_double (&out, sum.importance[p].correlation);
          pb_str_append (&out, ",\"importance\":");
          pb_str_append_double (&out, sum.importance[p].importance);
          pb_str_append (&out, "}");
        }
      pb_str_printf (&out, "],\"best\":{\"trial\":%d,\"settings\":", sum.trials[0].trial + 1);
      append_settings (&out, config, best_r, true);
      pb_str_append (&out, ",\"command\":\"");
      append_command (&out, &best);
      pb_str_printf (&out, "\",\"test\":{\"label\":\"test error of the best settings, trained "
                     "after the choice on all %d training pairs (the test pairs were not used "
                     "to choose)\",\"rounds\":%d,\"seeds\":[", best.train_pairs, rounds);
      for (int r = 0; r < rounds; r++)
        pb_str_printf (&out, "%s%" PRIu64, r > 0 ? "," : "", tests[r].seed);
      pb_str_append (&out, "],\"test_errors\":[");
      for (int r = 0; r < rounds; r++)
        {
          pb_str_append (&out, r > 0 ? "," : "");
          pb_str_append_double (&out, errors[r]);
        }
      pb_str_append (&out, "],\"test_error_mean\":");
      pb_str_append_double (&out, pb_stats_mean (errors, rounds));
      pb_str_append (&out, ",\"test_error_std\":");
      pb_str_append_double (&out, pb_stats_std (errors, rounds));
      pb_str_append (&out, ",\"train_seconds_mean\":");
      pb_str_append_double (&out, secs);
      pb_str_append (&out, "}}}\n");
    }
  else
    {
      int shown = sum.n_trials < 20 ? sum.n_trials : 20;
      pb_str_printf (&out, "sweep: %s, %d trials × %d rounds (seeds %" PRIu64 "–%" PRIu64 "), "
                     "chosen on the val_error of %d validation pairs\n",
                     pb_sweep_method_name (config->method), config->trials, rounds,
                     config->seed, config->seed + (uint64_t) rounds - 1, config->val_pairs);
      pb_str_printf (&out, "%4s %5s %4s %6s  %-15s  %7s  %s\n", "rank", "trial", "rung",
                     "epochs", "val error", "s/run", "settings");
      for (int i = 0; i < shown; i++)
        {
          const PbSweepTrialSummary *t = &sum.trials[i];
          const PbSweepResult *r = find_result (results, n, t->trial, t->rung);
          char val[48];
          if (isnan (t->val_mean))
            snprintf (val, sizeof val, "diverged");
          else if (isnan (t->val_std))
            pb_snprintf_c (val, sizeof val, "%.4f", t->val_mean);
          else
            pb_snprintf_c (val, sizeof val, "%.4f ± %.4f", t->val_mean, t->val_std);
          pb_str_printf (&out, "%4d %5d %4d %6d  %-*s  %7.2f  ", i + 1, t->trial + 1, t->rung,
                         r->epochs, strstr (val, "±") != NULL ? 16 : 15, val,
                         t->train_seconds_mean);
          append_settings (&out, config, r, false);
          pb_str_append (&out, "\n");
        }
      if (shown < sum.n_trials)
        pb_str_printf (&out, "(%d more trials in --json and --out)\n", sum.n_trials - shown);
      pb_str_append (&out, "\nimportance (Pearson r of the value with the mean val_error, over "
                     "the first rung):\n");
      for (int p = 0; p < sum.n_params; p++)
        {
          if (isnan (sum.importance[p].correlation))
            pb_str_printf (&out, "  %-14s —\n", sum.importance[p].name);
          else
            pb_str_printf (&out, "  %-14s r = %+.3f\n", sum.importance[p].name,
                           sum.importance[p].correlation);
        }
      pb_str_printf (&out, "\nbest: trial %d (", sum.trials[0].trial + 1);
      append_settings (&out, config, best_r, false);
      pb_str_printf (&out, "), val error %.4f\n", sum.trials[0].val_mean);
      pb_str_printf (&out, "test error of the best settings, trained after the choice on all %d "
                     "training pairs (seeds %" PRIu64 "–%" PRIu64 "): %.4f", best.train_pairs,
                     tests[0].seed, tests[rounds - 1].seed, pb_stats_mean (errors, rounds));
      if (rounds > 1)
        pb_str_printf (&out, " ± %.4f", pb_stats_std (errors, rounds));
      pb_str_append (&out, "\nreproduce (first seed): ");
      append_command (&out, &best);
      pb_str_append (&out, "\n");
    }

  if (out.failed)
    {
      fprintf (stderr, "%s %s: out of memory\n", PB_CLI_NAME, cmd);
      rc = 1;
    }
  if (rc == 0 && preset != NULL)
    {
      char dir[4096];
      if (pb_preset_user_dir (dir, sizeof dir, &err) != PB_OK
          || pb_preset_save (dir, preset, &best, &err) != PB_OK)
        rc = pb_cli_failure (cmd, &err);
      else
        fprintf (stderr, "saved the best settings as the preset '%s' (%s/%s.json)\n", preset, dir,
                 preset);
    }
  if (rc == 0)
    fputs (out.data, stdout);
  pb_str_clear (&out);
  pb_study_results_clear (tests, rounds);
  free (tests);
  free (errors);
  pb_sweep_summary_clear (&sum);
  return rc;
}
