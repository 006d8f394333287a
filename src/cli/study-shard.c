/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The study's output, which study and merge print alike, and the study shard's members. */

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pb-build.h"
#include "pb-cli.h"
#include "pb-options.h"
#include "study-shard.h"

const char *
pb_cli_build (void)
{
  return PB_VERSION " " PB_BUILD_COMMIT;
}

/* Settings */

static void
append_options (PbStr *out, const PbTrainSettings *s)
{
  int n;
  const PbOptionInfo *o = pb_options (&n);

  pb_str_append (out, "{");
  for (int i = 0; i < n; i++)
    {
      char v[PB_OPTION_VALUE_MAX];
      pb_train_settings_get_option (s, o[i].name, v, sizeof v);
      if (i > 0)
        pb_str_append (out, ",");
      pb_str_append_json_string (out, o[i].name);
      pb_str_append (out, ":");
      if (o[i].kind == PB_OPTION_INT || o[i].kind == PB_OPTION_REAL
          || o[i].kind == PB_OPTION_FLAG)
        pb_str_append (out, v);
      else
        pb_str_append_json_string (out, v);
    }
  pb_str_append (out, "}");
}

void
pb_cli_study_to_json (const PbCliStudy *self, PbStr *out)
{
  pb_str_printf (out, "{\"rounds\":%d,\"base\":", self->rounds);
  append_options (out, &self->base);
  pb_str_append (out, ",\"models\":[");
  for (int m = 0; m < self->n_models; m++)
    {
      pb_str_append (out, m > 0 ? ",{\"label\":" : "{\"label\":");
      pb_str_append_json_string (out, self->labels[m]);
      pb_str_append (out, ",\"options\":");
      append_options (out, &self->each[m]);
      pb_str_append (out, "}");
    }
  pb_str_append (out, "]}");
}

uint64_t
pb_cli_study_hash (const PbCliStudy *self)
{
  PbStr s;
  uint64_t h;

  pb_str_init (&s);
  pb_cli_study_to_json (self, &s);
  h = s.failed ? 0 : pb_hash64 (s.data, s.len);
  pb_str_clear (&s);
  return h;
}

static PbStatus
read_options (const PbJson *obj, const char *text, const char *what, const char *where,
              PbTrainSettings *out, PbError *err)
{
  if (obj == NULL || obj->type != PB_JSON_OBJECT)
    return pb_error_set (err, PB_ERR_FORMAT, "%s: %s: expected an object of run options", what,
                         where);
  pb_train_settings_init (out, "siamese", NULL);
  for (int i = 0; i < obj->n; i++)
    {
      const PbJson *v = &obj->items[i];
      char buf[PB_OPTION_VALUE_MAX];
      PbError e;

      if (v->type == PB_JSON_STRING)
        snprintf (buf, sizeof buf, "%s", v->string);
      else if (v->type == PB_JSON_BOOL)
        snprintf (buf, sizeof buf, "%s", v->boolean ? "true" : "false");
      else if (v->type == PB_JSON_NUMBER && v->length < sizeof buf)
        snprintf (buf, sizeof buf, "%.*s", (int) v->length, text + v->offset);
      else
        buf[0] = '\0';
      if (pb_train_settings_set_option (out, obj->keys[i], buf, &e) != PB_OK)
        return pb_error_set (err, PB_ERR_FORMAT, "%s: %s: %s", what, where, e.message);
    }
  return PB_OK;
}

PbStatus
pb_cli_study_from_json (const PbJson *study, const char *text, const char *what,
                        PbCliStudy *out, PbError *err)
{
  const PbJson *rounds = pb_json_get (study, "rounds"), *models = pb_json_get (study, "models");
  PbStatus st;

  memset (out, 0, sizeof *out);
  if (study == NULL || study->type != PB_JSON_OBJECT)
    return pb_error_set (err, PB_ERR_FORMAT, "%s: \"study\": expected the study's settings (an "
                         "object)", what);
  if (rounds == NULL || rounds->type != PB_JSON_NUMBER || rounds->number != floor (rounds->number)
      || rounds->number < 1 || rounds->number > 1000)
    return pb_error_set (err, PB_ERR_FORMAT, "%s: study \"rounds\": expected an integer 1–1000",
                         what);
  out->rounds = (int) rounds->number;
  if ((st = read_options (pb_json_get (study, "base"), text, what, "study \"base\"", &out->base,
                          err)) != PB_OK)
    return st;
  if (models == NULL || models->type != PB_JSON_ARRAY || models->n < 1
      || models->n > PB_SESSION_MAX_MODELS)
    return pb_error_set (err, PB_ERR_FORMAT, "%s: study \"models\": expected an array of 1–%d "
                         "models", what, PB_SESSION_MAX_MODELS);
  for (int m = 0; m < models->n; m++)
    {
      const PbJson *model = &models->items[m];
      const char *label = pb_json_get_string (model, "label");
      char where[64];
      PbError e;

      snprintf (where, sizeof where, "study \"models\"[%d]", m);
      if (label == NULL || strlen (label) >= PB_SESSION_LABEL_MAX)
        return pb_error_set (err, PB_ERR_FORMAT, "%s: %s \"label\": expected a string of at most "
                             "%d bytes", what, where, PB_SESSION_LABEL_MAX - 1);
      snprintf (out->labels[m], sizeof out->labels[m], "%s", label);
      if ((st = read_options (pb_json_get (model, "options"), text, what, where, &out->each[m],
                              err)) != PB_OK)
        return st;
      if (pb_train_settings_validate (&out->each[m], &e) != PB_OK)
        return pb_error_set (err, PB_ERR_FORMAT, "%s: %s: %s", what, where, e.message);
    }
  out->n_models = models->n;
  return PB_OK;
}

PbStatus
pb_cli_study_session (const PbCliStudy *self, PbSession *out, PbError *err)
{
  PbArch archs[PB_SESSION_MAX_MODELS];
  PbStatus st;

  for (int m = 0; m < self->n_models; m++)
    archs[m] = self->each[m].arch;
  st = pb_session_init (out, &self->base, archs, self->n_models, self->rounds, err);
  for (int m = 0; st == PB_OK && m < self->n_models; m++)
    if (self->labels[m][0] != '\0')
      st = pb_session_set_label (out, m, self->labels[m], err);
  if (st != PB_OK)
    pb_session_clear (out);
  return st;
}

/* The report */

/* p to two significant digits, "—" when undefined, padded to width characters (not bytes). */
static void
append_p (PbStr *out, double p, int width)
{
  char buf[32];
  int len = pb_stats_format_p (buf, sizeof buf, p);

  if (isnan (p))
    len = 1;  /* "—" is one character of three bytes */
  pb_str_printf (out, "%*s%s", width > len ? width - len : 0, "", buf);
}

static void
append_tests_text (PbStr *out, const PbSession *session, int rounds, const PbPairedTests *m)
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
        append_p (out, c->t.pvalue, 10);
        pb_table_append_too_few (out, &c->t, false, rounds);
        pb_str_append (out, "  ");
        append_p (out, c->wilcoxon.pvalue, 10);
        if (c->wilcoxon.n > 0)
          pb_str_append (out, c->wilcoxon.exact ? " exact" : " normal approx.");
        pb_table_append_too_few (out, &c->wilcoxon, true, rounds);
        pb_str_append (out, "\n");
      }
  if (rounds < pb_stats_wilcoxon_min_pairs (0.05))
    pb_str_printf (out, "(too few rounds: the exact two-sided Wilcoxon test's smallest p with n "
                   "pairs is 2/2^n, so it needs n ≥ %d to reach p < 0.05)\n",
                   pb_stats_wilcoxon_min_pairs (0.05));
}

static void
append_tests_json (PbStr *out, const PbSession *session, const PbPairedTests *m)
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
append_model (PbStr *out, PbStr *csv_out, const PbSession *session, int m, bool json)
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
      pb_str_printf (out, "%-12s %8zu  %.3f ± %.3f    ", sum.model, sum.params, sum.test_mean,
                     sum.test_std);
      if (sum.digit_trained)
        pb_str_printf (out, "%.3f ± %.3f", sum.digit_mean, sum.digit_std);
      else
        pb_str_printf (out, "—%12s", "");
      pb_str_printf (out, "    %8.3f  %7.2f\n", sum.chunk_mean, sum.seconds);
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
  pb_str_printf (out, ",\"digit_trained\":%s", sum.digit_trained ? "true" : "false");
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

/* Table II and the tests through the core, so it is the app's file byte for byte. */
static PbStatus
write_table (const PbSession *session, const char *path, PbTableFormat format, PbError *err)
{
  PbStatus st;
  PbStr out;

  pb_str_init (&out);
  st = pb_session_format_table (session, format, &out, err);
  if (st == PB_OK && out.failed)
    st = pb_error_set (err, PB_ERR_NOMEM, "out of memory");
  if (st == PB_OK)
    st = pb_write_file_atomic (path, out.data, out.len, err);
  pb_str_clear (&out);
  return st;
}

int
pb_cli_study_check_outputs (const char *cmd, const char *csv, const char *table,
                            const char *plots_dir)
{
  int rc = 0;

  if ((csv != NULL && (rc = pb_cli_check_output (cmd, csv)) != 0)
      || (table != NULL && (rc = pb_cli_check_output (cmd, table)) != 0)
      || (plots_dir != NULL && (rc = pb_cli_check_output_dir (cmd, plots_dir)) != 0))
    return rc;
  return 0;
}

int
pb_cli_study_report (const char *cmd, const PbSession *session, const PbCliStudyOutputs *o)
{
  int n_models = session->n_models, rounds = session->rounds, rc = 0;
  PbPairedTests *tests = NULL;
  PbError err = { { 0 } };
  PbStr out, csv_out;

  if (n_models >= 2 && rounds >= 2)
    {
      tests = calloc ((size_t) n_models * (size_t) n_models, sizeof *tests);
      if ((tests == NULL ? pb_error_set (&err, PB_ERR_NOMEM, "out of memory")
                         : pb_session_paired_tests (session, tests, NULL, &err)) != PB_OK)
        {
          free (tests);
          return pb_cli_failure (cmd, &err);
        }
    }

  pb_str_init (&out);
  pb_str_init (&csv_out);
  if (o->json)
    pb_str_append (&out, "{\"models\":[");
  else
    pb_str_printf (&out, "%-12s %8s  %-16s %-16s %8s  %7s\n", "model", "params",
                   "test error", "digit error", "chunk sd", "s/run");
  pb_str_append (&csv_out, "model,round,seed,params,test_error,train_error,digit_error,chunk_sd,"
                 "train_seconds,eval_seconds\n");
  for (int m = 0; m < n_models; m++)
    append_model (&out, &csv_out, session, m, o->json);
  if (o->json)
    {
      pb_str_append (&out, "],");
      append_tests_json (&out, session, tests);
      pb_str_append (&out, "}\n");
    }
  else
    {
      bool untrained = false;

      pb_str_printf (&out, "(%d rounds, seeds %llu–%llu, mean ± sample std over rounds; "
                     "chunk sd: the report's spread over 20 chunks of the test set)\n", rounds,
                     (unsigned long long) session->base.seed,
                     (unsigned long long) (session->base.seed + (uint64_t) rounds - 1));
      for (int m = 0; m < n_models; m++)
        untrained |= !pb_arch_trains_digits (&session->models[m]);
      if (untrained)
        pb_str_append (&out, "(digit error —: no auxiliary loss, so the model's digit outputs "
                       "are not trained)\n");
      if (tests != NULL)
        append_tests_text (&out, session, rounds, tests);
    }

  if (out.failed || csv_out.failed)
    {
      fprintf (stderr, "%s %s: out of memory\n", PB_CLI_NAME, cmd);
      rc = 1;
    }
  else
    fputs (out.data, stdout);
  if (rc == 0 && o->plots != NULL)
    rc = pb_cli_plots_write (o->plots, session);
  if (rc == 0 && o->csv != NULL
      && pb_write_file_atomic (o->csv, csv_out.data, csv_out.len, &err) != PB_OK)
    rc = pb_cli_failure (cmd, &err);
  if (rc == 0 && o->table != NULL && write_table (session, o->table, o->table_format, &err)
                                     != PB_OK)
    rc = pb_cli_failure (cmd, &err);
  free (tests);
  pb_str_clear (&out);
  pb_str_clear (&csv_out);
  return rc;
}

/* The shard's members */

static void
append_key_double (PbStr *out, const char *key, double v)
{
  pb_str_printf (out, ",\"%s\":", key);
  pb_str_append_double (out, v);
}

/* An epoch record with the keys of the session's JSON. */
static void
append_epoch (PbStr *out, const PbEpochRecord *e)
{
  pb_str_printf (out, "{\"epoch\":%d", e->epoch);
  append_key_double (out, "train_loss", e->train_loss);
  append_key_double (out, "train_main_loss", e->train_main_loss);
  append_key_double (out, "train_aux_loss", e->train_aux_loss);
  append_key_double (out, "train_error", e->train_error);
  append_key_double (out, "test_error", e->test_error);
  append_key_double (out, "digit_error", e->digit_error);
  append_key_double (out, "chunk_sd", e->chunk_sd);
  append_key_double (out, "val_error", e->val_error);
  append_key_double (out, "val_digit_error", e->val_digit_error);
  append_key_double (out, "seconds", e->seconds);
  append_key_double (out, "train_seconds", e->train_seconds);
  append_key_double (out, "eval_seconds", e->eval_seconds);
  pb_str_append (out, "}");
}

void
pb_cli_study_shard_append (PbStr *out, const PbCliStudy *study, const PbShard *shard,
                           const long *units, int n_units, const PbSession *session,
                           const PbCliPlots *features)
{
  bool first = true;

  pb_str_append (out, "{");
  pb_shard_header_append (out, "study", pb_cli_build (), pb_cli_study_hash (study), shard, units,
                          n_units);
  pb_str_append (out, ",\n\"study\":");
  pb_cli_study_to_json (study, out);
  pb_str_append (out, ",\n\"results\":[");
  for (int i = 0; i < n_units; i++)
    {
      int m = (int) ((units[i] - 1) / study->rounds), r = (int) ((units[i] - 1) % study->rounds);
      const PbRoundResult *res = pb_session_round (session, m, r);

      pb_str_printf (out, "%s\n{\"unit\":%ld,\"model\":%d,\"round\":%d,\"seed\":%" PRIu64
                     ",\"params\":%zu,\"epochs\":[", i > 0 ? "," : "", units[i], m + 1, r + 1,
                     res->seed, res->params);
      for (int e = 0; e < res->n_epochs; e++)
        {
          if (e > 0)
            pb_str_append (out, ",");
          append_epoch (out, &res->epochs[e]);
        }
      pb_str_append (out, "]}");
    }
  pb_str_append (out, "],\n\"features\":[");
  for (int i = 0; features != NULL && i < n_units; i++)
    {
      int m = (int) ((units[i] - 1) / study->rounds), rows, dim;
      const float *values;
      const uint8_t *digits;

      if ((units[i] - 1) % study->rounds != 0
          || !pb_cli_plots_get_features (features, m, &values, &digits, &rows, &dim))
        continue;
      pb_str_printf (out, "%s\n{\"model\":%d,\"rows\":%d,\"dim\":%d,\"digits\":[",
                     first ? "" : ",", m + 1, rows, dim);
      first = false;
      for (int k = 0; k < rows; k++)
        pb_str_printf (out, "%s%d", k > 0 ? "," : "", digits[k]);
      pb_str_append (out, "],\"values\":[");
      for (long k = 0; k < (long) rows * dim; k++)
        {
          if (k > 0)
            pb_str_append (out, ",");
          pb_str_append_float (out, values[k]);
        }
      pb_str_append (out, "]}");
    }
  pb_str_append (out, "]}\n");
}

/* Reading a shard's results */

static bool
json_int (const PbJson *v, double min, double max, long *out)
{
  if (v == NULL || v->type != PB_JSON_NUMBER || v->number != floor (v->number) || v->number < min
      || v->number > max)
    return false;
  *out = (long) v->number;
  return true;
}

static PbStatus
read_epoch (const PbJson *e, const char *what, int result, int index, PbEpochRecord *out,
            PbError *err)
{
  static const struct { const char *key; size_t offset; } fields[] = {
    { "train_loss", offsetof (PbEpochRecord, train_loss) },
    { "train_main_loss", offsetof (PbEpochRecord, train_main_loss) },
    { "train_aux_loss", offsetof (PbEpochRecord, train_aux_loss) },
    { "train_error", offsetof (PbEpochRecord, train_error) },
    { "test_error", offsetof (PbEpochRecord, test_error) },
    { "digit_error", offsetof (PbEpochRecord, digit_error) },
    { "chunk_sd", offsetof (PbEpochRecord, chunk_sd) },
    { "val_error", offsetof (PbEpochRecord, val_error) },
    { "val_digit_error", offsetof (PbEpochRecord, val_digit_error) },
    { "seconds", offsetof (PbEpochRecord, seconds) },
    { "train_seconds", offsetof (PbEpochRecord, train_seconds) },
    { "eval_seconds", offsetof (PbEpochRecord, eval_seconds) },
  };
  long epoch;

  if (!json_int (pb_json_get (e, "epoch"), index + 1, index + 1, &epoch))
    return pb_error_set (err, PB_ERR_FORMAT, "%s: results[%d] epochs[%d] \"epoch\": expected %d",
                         what, result, index, index + 1);
  out->epoch = (int) epoch;
  for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++)
    {
      const PbJson *v = pb_json_get (e, fields[f].key);
      double *dst = (double *) (void *) ((char *) out + fields[f].offset);
      if (v != NULL && v->type == PB_JSON_NULL)
        *dst = NAN;
      else if (v != NULL && v->type == PB_JSON_NUMBER)
        *dst = v->number;
      else
        return pb_error_set (err, PB_ERR_FORMAT, "%s: results[%d] epochs[%d] \"%s\": expected a "
                             "number or null", what, result, index, fields[f].key);
    }
  return PB_OK;
}

static PbStatus
read_result (const PbShardFile *file, const PbCliStudy *study, const PbJson *r, int i,
             PbSession *session, PbError *err)
{
  const char *what = file->path;
  const PbJson *epochs = pb_json_get (r, "epochs"), *seed = pb_json_get (r, "seed");
  long unit, model, round, params;
  bool listed = false;
  PbRoundResult res = { 0 };
  char digits[32];
  PbStatus st = PB_OK;

  if (!json_int (pb_json_get (r, "unit"), 1, 1e9, &unit)
      || !json_int (pb_json_get (r, "model"), 1, study->n_models, &model)
      || !json_int (pb_json_get (r, "round"), 1, study->rounds, &round)
      || !json_int (pb_json_get (r, "params"), 0, 1e12, &params)
      || seed == NULL || seed->type != PB_JSON_NUMBER || seed->length >= sizeof digits
      || epochs == NULL || epochs->type != PB_JSON_ARRAY || epochs->n < 1
      || epochs->n > study->each[model - 1].epochs)
    return pb_error_set (err, PB_ERR_FORMAT, "%s: results[%d]: expected a unit's \"unit\", "
                         "\"model\" (1–%d), \"round\" (1–%d), \"seed\", \"params\" and 1–%d "
                         "\"epochs\"", what, i, study->n_models, study->rounds,
                         study->base.epochs);
  for (int k = 0; k < file->n_units; k++)
    listed |= file->units[k] == unit;
  if (!listed || unit != pb_cli_study_unit (study->rounds, (int) model - 1, (int) round - 1))
    return pb_error_set (err, PB_ERR_FORMAT, "%s: results[%d]: expected one of the shard's "
                         "\"units\" as model %ld round %ld, found unit %ld", what, i, model,
                         round, unit);
  if (pb_session_round_done (session, (int) model - 1, (int) round - 1))
    return pb_error_set (err, PB_ERR_FORMAT, "%s: results[%d]: expected each unit once, found "
                         "unit %ld again", what, i, unit);
  snprintf (digits, sizeof digits, "%.*s", (int) seed->length, file->text + seed->offset);
  if (!pb_cli_parse_seed (digits, &res.seed))
    return pb_error_set (err, PB_ERR_FORMAT, "%s: results[%d] \"seed\": expected an integer "
                         "0–%" PRIu64 ", found %s", what, i, UINT64_MAX, digits);
  res.model_index = (int) model - 1;
  res.round = (int) round - 1;
  res.status = PB_OK;
  res.params = (size_t) params;
  res.n_epochs = epochs->n;
  res.epochs = calloc ((size_t) epochs->n, sizeof *res.epochs);
  if (res.epochs == NULL)
    return pb_error_set (err, PB_ERR_NOMEM, "out of memory");
  for (int e = 0; st == PB_OK && e < epochs->n; e++)
    st = read_epoch (&epochs->items[e], what, i, e, &res.epochs[e], err);
  if (st == PB_OK)
    {
      res.final = res.epochs[res.n_epochs - 1];
      st = pb_session_set_round (session, &res, err);
    }
  free (res.epochs);
  return st;
}

static PbStatus
read_features (const PbShardFile *file, const PbCliStudy *study, const PbJson *f, int i,
               PbCliPlots *plots, PbError *err)
{
  const PbJson *digits = pb_json_get (f, "digits"), *values = pb_json_get (f, "values");
  long model, rows, dim;
  bool listed = false;
  float *v;
  uint8_t *d;

  if (!json_int (pb_json_get (f, "model"), 1, study->n_models, &model)
      || !json_int (pb_json_get (f, "rows"), 1, 1e6, &rows)
      || !json_int (pb_json_get (f, "dim"), 1, 1e4, &dim)
      || digits == NULL || digits->type != PB_JSON_ARRAY || digits->n != rows
      || values == NULL || values->type != PB_JSON_ARRAY || values->n != rows * dim)
    return pb_error_set (err, PB_ERR_FORMAT, "%s: features[%d]: expected \"model\" (1–%d), "
                         "\"rows\", \"dim\", rows \"digits\" and rows × dim \"values\"",
                         file->path, i, study->n_models);
  for (int k = 0; k < file->n_units; k++)
    listed |= file->units[k] == pb_cli_study_unit (study->rounds, (int) model - 1, 0);
  if (!listed)
    return pb_error_set (err, PB_ERR_FORMAT, "%s: features[%d]: expected the features of a "
                         "model whose round 1 is one of the shard's units, found model %ld",
                         file->path, i, model);
  if (plots == NULL)
    return PB_OK;
  v = malloc ((size_t) values->n * sizeof *v);
  d = malloc ((size_t) rows);
  if (v == NULL || d == NULL)
    {
      free (v);
      free (d);
      return pb_error_set (err, PB_ERR_NOMEM, "out of memory");
    }
  for (long k = 0; k < rows; k++)
    {
      long digit;
      if (!json_int (&digits->items[k], 0, 9, &digit))
        {
          free (v);
          free (d);
          return pb_error_set (err, PB_ERR_FORMAT, "%s: features[%d] digits[%ld]: expected a "
                               "digit 0–9", file->path, i, k);
        }
      d[k] = (uint8_t) digit;
    }
  for (int k = 0; k < values->n; k++)
    {
      if (values->items[k].type != PB_JSON_NUMBER || !isfinite (values->items[k].number))
        {
          free (v);
          free (d);
          return pb_error_set (err, PB_ERR_FORMAT, "%s: features[%d] values[%d]: expected a "
                               "finite number", file->path, i, k);
        }
      v[k] = (float) values->items[k].number;
    }
  pb_cli_plots_set_features (plots, (int) model - 1, v, d, (int) rows, (int) dim);
  free (v);
  free (d);
  return PB_OK;
}

PbStatus
pb_cli_study_shard_read (const PbShardFile *file, const PbCliStudy *study, PbSession *session,
                         PbCliPlots *features, PbError *err)
{
  const PbJson *results = pb_json_get (file->root, "results");
  const PbJson *feats = pb_json_get (file->root, "features");
  PbStatus st;

  if (results == NULL || results->type != PB_JSON_ARRAY)
    return pb_error_set (err, PB_ERR_FORMAT, "%s: \"results\": expected an array of the units' "
                         "results", file->path);
  if (feats == NULL || feats->type != PB_JSON_ARRAY)
    return pb_error_set (err, PB_ERR_FORMAT, "%s: \"features\": expected an array",
                         file->path);
  for (int i = 0; i < results->n; i++)
    if ((st = read_result (file, study, &results->items[i], i, session, err)) != PB_OK)
      return st;
  for (int k = 0; k < file->n_units; k++)
    {
      int m = (int) ((file->units[k] - 1) / study->rounds);
      int r = (int) ((file->units[k] - 1) % study->rounds);
      if (!pb_session_round_done (session, m, r))
        return pb_error_set (err, PB_ERR_FORMAT, "%s: expected a result for each of its "
                             "\"units\", found none for unit %ld", file->path, file->units[k]);
    }
  for (int i = 0; i < feats->n; i++)
    if ((st = read_features (file, study, &feats->items[i], i, features, err)) != PB_OK)
      return st;
  return PB_OK;
}
