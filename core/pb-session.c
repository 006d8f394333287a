/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "pb-session.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FILE_BYTES (512u << 20)

PbStatus
pb_session_init (PbSession *self, const PbTrainSettings *base, const PbArch *models,
                 int n_models, int rounds, PbError *err)
{
  memset (self, 0, sizeof *self);
  if (n_models < 1 || n_models > PB_SESSION_MAX_MODELS)
    return pb_error_set (err, PB_ERR_INVALID, "models: expected 1–%d, got %d",
                         PB_SESSION_MAX_MODELS, n_models);
  if (rounds < 1 || rounds > 1000)
    return pb_error_set (err, PB_ERR_INVALID, "rounds: expected 1–1000, got %d", rounds);
  self->results = calloc ((size_t) n_models * (size_t) rounds, sizeof *self->results);
  if (self->results == NULL)
    return pb_error_set (err, PB_ERR_NOMEM, "out of memory for %d × %d rounds", n_models, rounds);
  self->base = *base;
  self->n_models = n_models;
  self->rounds = rounds;
  memcpy (self->models, models, (size_t) n_models * sizeof *models);
  for (int m = 0; m < n_models; m++)
    for (int r = 0; r < rounds; r++)
      {
        PbRoundResult *res = &self->results[m * rounds + r];
        res->model_index = m;
        res->round = r;
        res->seed = base->seed + (uint64_t) r;
        res->status = PB_ERR_CANCELLED;
        res->params = pb_arch_param_count (&models[m]);
      }
  return PB_OK;
}

void
pb_session_clear (PbSession *self)
{
  if (self->results != NULL)
    pb_study_results_clear (self->results, self->n_models * self->rounds);
  free (self->results);
  memset (self, 0, sizeof *self);
}

PbStatus
pb_session_set_round (PbSession *self, const PbRoundResult *round, PbError *err)
{
  PbRoundResult *dst;
  PbEpochRecord *epochs = NULL;

  if (round->model_index < 0 || round->model_index >= self->n_models || round->round < 0
      || round->round >= self->rounds)
    return pb_error_set (err, PB_ERR_INVALID, "round %d of model %d is outside the comparison",
                         round->round + 1, round->model_index + 1);
  dst = &self->results[round->model_index * self->rounds + round->round];
  if (round->n_epochs > 0)
    {
      epochs = malloc ((size_t) round->n_epochs * sizeof *epochs);
      if (epochs == NULL)
        return pb_error_set (err, PB_ERR_NOMEM, "out of memory");
      memcpy (epochs, round->epochs, (size_t) round->n_epochs * sizeof *epochs);
    }
  free (dst->epochs);
  *dst = *round;
  dst->epochs = epochs;
  return PB_OK;
}

const PbRoundResult *
pb_session_round (const PbSession *self, int model, int round)
{
  return &self->results[model * self->rounds + round];
}

bool
pb_session_round_done (const PbSession *self, int model, int round)
{
  const PbRoundResult *r = pb_session_round (self, model, round);
  return r->status == PB_OK && r->n_epochs > 0;
}

int
pb_session_rounds_done (const PbSession *self, int model)
{
  int n = 0;
  for (int r = 0; r < self->rounds; r++)
    n += pb_session_round_done (self, model, r);
  return n;
}

int
pb_session_total_done (const PbSession *self)
{
  int n = 0;
  for (int m = 0; m < self->n_models; m++)
    n += pb_session_rounds_done (self, m);
  return n;
}

int
pb_session_max_epochs (const PbSession *self)
{
  int n = 0;
  for (int i = 0; i < self->n_models * self->rounds; i++)
    if (self->results[i].status == PB_OK && self->results[i].n_epochs > n)
      n = self->results[i].n_epochs;
  return n;
}

static void
mean_std (const double *v, int n, double *mean, double *std)
{
  *mean = pb_stats_mean (v, n);
  *std = n > 1 ? pb_stats_std (v, n) : 0.0;
}

PbStatus
pb_session_set_label (PbSession *self, int model, const char *label, PbError *err)
{
  if (strlen (label) >= PB_SESSION_LABEL_MAX)
    return pb_error_set (err, PB_ERR_INVALID, "model %d: expected a label of at most %d bytes, "
                         "got %zu", model + 1, PB_SESSION_LABEL_MAX - 1, strlen (label));
  snprintf (self->labels[model], sizeof self->labels[model], "%s", label);
  return PB_OK;
}

const char *
pb_session_model_name (const PbSession *self, int model)
{
  return self->labels[model][0] != '\0' ? self->labels[model]
                                        : pb_arch_name (&self->models[model]);
}

void
pb_session_summary (const PbSession *self, int model, PbSessionSummary *out)
{
  double test[1000], digit[1000], secs[1000], chunk[1000];
  int n = 0;

  for (int r = 0; r < self->rounds && r < 1000; r++)
    if (pb_session_round_done (self, model, r))
      {
        const PbRoundResult *res = pb_session_round (self, model, r);
        test[n] = res->final.test_error;
        digit[n] = res->final.digit_error;
        secs[n] = res->final.train_seconds;
        chunk[n] = res->final.chunk_sd;
        n++;
      }
  memset (out, 0, sizeof *out);
  out->model = pb_session_model_name (self, model);
  out->params = pb_arch_param_count (&self->models[model]);
  out->rounds_done = n;
  out->digit_trained = pb_arch_trains_digits (&self->models[model]);
  mean_std (test, n, &out->test_mean, &out->test_std);
  mean_std (digit, n, &out->digit_mean, &out->digit_std);
  out->seconds = pb_stats_mean (secs, n);
  out->chunk_mean = pb_stats_mean (chunk, n);
}

void
pb_session_table_row (const PbSession *self, int model, PbTableRow *out)
{
  PbSessionSummary sum;

  pb_session_summary (self, model, &sum);
  *out = (PbTableRow) { .model = sum.model, .params = sum.params, .test_mean = sum.test_mean,
                        .test_std = sum.test_std, .digit_mean = sum.digit_mean,
                        .digit_std = sum.digit_std, .seconds = sum.seconds,
                        .digit_untrained = !sum.digit_trained, .rounds = sum.rounds_done };
}

int
pb_session_common_rounds (const PbSession *self, int *rounds_out)
{
  int n = 0;

  for (int r = 0; r < self->rounds; r++)
    {
      bool all = true;
      for (int m = 0; m < self->n_models && all; m++)
        all = pb_session_round_done (self, m, r);
      if (all)
        {
          if (rounds_out != NULL)
            rounds_out[n] = r;
          n++;
        }
    }
  return n;
}

PbStatus
pb_session_paired_tests (const PbSession *self, PbPairedTests *out, int *n_rounds, PbError *err)
{
  int *common = malloc ((size_t) self->rounds * sizeof *common);
  double *values;
  int n, k = self->n_models;
  PbStatus st;

  if (common == NULL)
    return pb_error_set (err, PB_ERR_NOMEM, "out of memory");
  n = pb_session_common_rounds (self, common);
  if (n_rounds != NULL)
    *n_rounds = n;
  if (k < 2 || n < 2)
    {
      free (common);
      return pb_error_set (err, PB_ERR_INVALID, "paired tests need two models and two rounds "
                           "done by every model, have %d models and %d rounds", k, n);
    }
  values = malloc ((size_t) k * (size_t) n * sizeof *values);
  if (values == NULL)
    {
      free (common);
      return pb_error_set (err, PB_ERR_NOMEM, "out of memory");
    }
  for (int m = 0; m < k; m++)
    for (int i = 0; i < n; i++)
      values[m * n + i] = pb_session_round (self, m, common[i])->final.test_error;
  st = pb_stats_paired_matrix (values, k, n, out, err);
  free (values);
  free (common);
  return st;
}

PbStatus
pb_session_format_table (const PbSession *self, PbTableFormat format, PbStr *out, PbError *err)
{
  PbTableRow rows[PB_SESSION_MAX_MODELS];
  const char *names[PB_SESSION_MAX_MODELS];
  PbPairedTests *tests = NULL;
  int k = self->n_models, rounds = 0;
  PbStatus st;

  for (int m = 0; m < k; m++)
    {
      pb_session_table_row (self, m, &rows[m]);
      names[m] = rows[m].model;
    }
  pb_table_format_rows (out, rows, k, format);
  if (format == PB_TABLE_CSV || k < 2 || pb_session_common_rounds (self, NULL) < 2)
    return PB_OK;
  tests = calloc ((size_t) k * (size_t) k, sizeof *tests);
  if (tests == NULL)
    return pb_error_set (err, PB_ERR_NOMEM, "out of memory");
  st = pb_session_paired_tests (self, tests, &rounds, err);
  if (st == PB_OK)
    pb_table_format_tests (out, names, k, tests, rounds, format);
  free (tests);
  return st;
}

/* Writing */

static void
append_key_double (PbStr *out, const char *key, double v, bool comma)
{
  pb_str_printf (out, "%s\"%s\":", comma ? "," : "", key);
  pb_str_append_double (out, v);
}

static void
append_key_float (PbStr *out, const char *key, float v)
{
  pb_str_printf (out, ",\"%s\":", key);
  pb_str_append_float (out, v);
}

static void
append_epoch (PbStr *out, const PbEpochRecord *e)
{
  pb_str_printf (out, "{\"epoch\":%d", e->epoch);
  append_key_double (out, "train_loss", e->train_loss, true);
  append_key_double (out, "train_main_loss", e->train_main_loss, true);
  append_key_double (out, "train_aux_loss", e->train_aux_loss, true);
  append_key_double (out, "train_error", e->train_error, true);
  append_key_double (out, "test_error", e->test_error, true);
  append_key_double (out, "digit_error", e->digit_error, true);
  append_key_double (out, "chunk_sd", e->chunk_sd, true);
  append_key_double (out, "val_error", e->val_error, true);
  append_key_double (out, "val_digit_error", e->val_digit_error, true);
  append_key_double (out, "seconds", e->seconds, true);
  append_key_double (out, "train_seconds", e->train_seconds, true);
  append_key_double (out, "eval_seconds", e->eval_seconds, true);
  pb_str_append (out, "}");
}

void
pb_session_to_json (const PbSession *self, PbStr *out)
{
  const PbTrainSettings *s = &self->base;
  bool first = true;

  pb_str_printf (out, "{\"format\":\"%s\",\"version\":%d,\"partial\":%s,\"rounds\":%d,\n",
                 PB_SESSION_FORMAT, PB_SESSION_VERSION, self->partial ? "true" : "false",
                 self->rounds);
  pb_str_printf (out, "\"settings\":{\"epochs\":%d,\"batch\":%d", s->epochs, s->batch);
  append_key_float (out, "lr", s->lr);
  append_key_float (out, "beta1", s->beta1);
  append_key_float (out, "beta2", s->beta2);
  append_key_float (out, "adam_eps", s->adam_eps);
  pb_str_printf (out, ",\"train_pairs\":%d,\"test_pairs\":%d", s->train_pairs, s->test_pairs);
  append_key_float (out, "augment_deg", s->augment_deg);
  pb_str_printf (out, ",\"schedule\":\"%s\"", pb_schedule_name (s->schedule));
  append_key_float (out, "weight_decay", s->weight_decay);
  pb_str_printf (out, ",\"translate\":%d", s->translate);
  append_key_float (out, "scale", s->scale);
  append_key_float (out, "shear", s->shear);
  pb_str_printf (out, ",\"swap\":%s,\"repair\":%s,\"val_pairs\":%d",
                 s->swap ? "true" : "false", s->repair ? "true" : "false", s->val_pairs);
  pb_str_printf (out, ",\"seed\":%llu},\n\"models\":[", (unsigned long long) s->seed);
  for (int m = 0; m < self->n_models; m++)
    {
      pb_str_append (out, m > 0 ? ",{\"name\":" : "{\"name\":");
      pb_str_append_json_string (out, pb_arch_name (&self->models[m]));
      append_key_float (out, "aux_weight", self->models[m].aux_weight);
      append_key_float (out, "dropout", self->models[m].dropout);
      pb_str_printf (out, ",\"kernel\":%d,\"channels\":[%d,%d,%d],\"padding\":[%d,%d,%d],"
                     "\"hidden\":%d", self->models[m].kernel, self->models[m].channels[0],
                     self->models[m].channels[1], self->models[m].channels[2],
                     self->models[m].padding[0], self->models[m].padding[1],
                     self->models[m].padding[2], self->models[m].hidden);
      pb_str_printf (out, ",\"hidden_act\":\"%s\",\"batch_norm\":%s,\"rule\":\"%s\"}",
                     pb_hidden_act_name (self->models[m].hidden_act),
                     self->models[m].batch_norm ? "true" : "false",
                     pb_rule_name (self->models[m].rule));
    }
  pb_str_append (out, "],\n\"results\":[");
  for (int m = 0; m < self->n_models; m++)
    for (int r = 0; r < self->rounds; r++)
      {
        const PbRoundResult *res = pb_session_round (self, m, r);
        if (!pb_session_round_done (self, m, r))
          continue;
        pb_str_append (out, first ? "\n{\"model\":" : ",\n{\"model\":");
        first = false;
        pb_str_append_json_string (out, pb_arch_name (&self->models[m]));
        pb_str_printf (out, ",\"round\":%d,\"seed\":%llu,\"params\":%zu,\"epochs\":[", r + 1,
                       (unsigned long long) res->seed, res->params);
        for (int e = 0; e < res->n_epochs; e++)
          {
            if (e > 0)
              pb_str_append (out, ",");
            append_epoch (out, &res->epochs[e]);
          }
        pb_str_append (out, "]}");
      }
  pb_str_append (out, "]}\n");
}

/* Reading: every message names the file, the place, what was expected and what was found. */

static const char *
type_name (const PbJson *v)
{
  if (v == NULL)
    return "nothing";
  switch (v->type)
    {
    case PB_JSON_NULL: return "null";
    case PB_JSON_BOOL: return "a boolean";
    case PB_JSON_NUMBER: return "a number";
    case PB_JSON_STRING: return "a string";
    case PB_JSON_ARRAY: return "an array";
    case PB_JSON_OBJECT: return "an object";
    }
  return "something else";
}

static PbStatus
expect (const PbJson *v, PbJsonType type, const char *what, const char *where, const char *wanted,
        PbError *err)
{
  if (v != NULL && v->type == type)
    return PB_OK;
  return pb_error_set (err, PB_ERR_FORMAT, "%s: %s: expected %s, found %s", what, where, wanted,
                       type_name (v));
}

static PbStatus
get_int (const PbJson *obj, const char *key, long min, long max, const char *what,
         const char *where, long *out, PbError *err)
{
  const PbJson *v = pb_json_get (obj, key);
  PbStatus st;
  char place[160];

  snprintf (place, sizeof place, "%s \"%s\"", where, key);
  if ((st = expect (v, PB_JSON_NUMBER, what, place, "an integer", err)) != PB_OK)
    return st;
  if (v->number != floor (v->number) || v->number < (double) min || v->number > (double) max)
    return pb_error_set (err, PB_ERR_FORMAT, "%s: %s: expected an integer %ld–%ld, found %.17g",
                         what, place, min, max, v->number);
  *out = (long) v->number;
  return PB_OK;
}

static PbStatus
get_double (const PbJson *obj, const char *key, bool nullable, const char *what,
            const char *where, double *out, PbError *err)
{
  const PbJson *v = pb_json_get (obj, key);
  char place[160];

  if (nullable && v != NULL && v->type == PB_JSON_NULL)
    {
      *out = NAN;
      return PB_OK;
    }
  snprintf (place, sizeof place, "%s \"%s\"", where, key);
  return expect (v, PB_JSON_NUMBER, what, place, "a number", err) == PB_OK
           ? (*out = v->number, PB_OK) : PB_ERR_FORMAT;
}

/* The settings added after version 1's first files: absent keys keep the defaults. */
static PbStatus
read_later_settings (const PbJson *s, const char *what, PbTrainSettings *out, PbError *err)
{
  const PbJson *schedule = pb_json_get (s, "schedule");
  static const char *const flags[] = { "swap", "repair" };
  bool *flag_out[] = { &out->swap, &out->repair };
  long translate = out->translate, val_pairs = out->val_pairs;
  double wd = out->weight_decay, scale = out->scale, shear = out->shear;
  PbStatus st;

  if (schedule != NULL
      && (schedule->type != PB_JSON_STRING
          || !pb_schedule_from_name (schedule->string, &out->schedule)))
    return pb_error_set (err, PB_ERR_FORMAT, "%s: settings \"schedule\": expected \"constant\" "
                         "or \"cosine\", found %s", what, type_name (schedule));
  if ((pb_json_get (s, "weight_decay") != NULL
       && (st = get_double (s, "weight_decay", false, what, "settings", &wd, err)) != PB_OK)
      || (pb_json_get (s, "translate") != NULL
          && (st = get_int (s, "translate", 0, 1000, what, "settings", &translate, err)) != PB_OK)
      || (pb_json_get (s, "scale") != NULL
          && (st = get_double (s, "scale", false, what, "settings", &scale, err)) != PB_OK)
      || (pb_json_get (s, "shear") != NULL
          && (st = get_double (s, "shear", false, what, "settings", &shear, err)) != PB_OK)
      || (pb_json_get (s, "val_pairs") != NULL
          && (st = get_int (s, "val_pairs", 0, PB_MAX_PAIRS, what, "settings", &val_pairs,
                            err)) != PB_OK))
    return st;
  for (int i = 0; i < 2; i++)
    {
      const PbJson *v = pb_json_get (s, flags[i]);
      char place[64];
      snprintf (place, sizeof place, "settings \"%s\"", flags[i]);
      if (v != NULL && (st = expect (v, PB_JSON_BOOL, what, place, "true or false", err)) != PB_OK)
        return st;
      if (v != NULL)
        *flag_out[i] = v->boolean;
    }
  out->weight_decay = (float) wd;
  out->translate = (int) translate;
  out->scale = (float) scale;
  out->shear = (float) shear;
  out->val_pairs = (int) val_pairs;
  return PB_OK;
}

static PbStatus
read_settings (const PbJson *s, const char *what, PbTrainSettings *out, PbError *err)
{
  long epochs, batch, train_pairs, test_pairs, seed;
  double lr, b1, b2, eps, aug;
  PbStatus st;

  if ((st = expect (s, PB_JSON_OBJECT, what, "\"settings\"", "an object", err)) != PB_OK)
    return st;
  pb_train_settings_init (out, "siamese", NULL);
  if ((st = get_int (s, "epochs", 1, 100000, what, "settings", &epochs, err)) != PB_OK
      || (st = get_int (s, "batch", 1, 100000, what, "settings", &batch, err)) != PB_OK
      || (st = get_int (s, "train_pairs", 1, PB_MAX_PAIRS, what, "settings", &train_pairs,
                        err)) != PB_OK
      || (st = get_int (s, "test_pairs", 1, PB_MAX_PAIRS, what, "settings", &test_pairs,
                        err)) != PB_OK
      || (st = get_int (s, "seed", 0, 9007199254740991L, what, "settings", &seed, err)) != PB_OK
      || (st = get_double (s, "lr", false, what, "settings", &lr, err)) != PB_OK
      || (st = get_double (s, "beta1", false, what, "settings", &b1, err)) != PB_OK
      || (st = get_double (s, "beta2", false, what, "settings", &b2, err)) != PB_OK
      || (st = get_double (s, "adam_eps", false, what, "settings", &eps, err)) != PB_OK
      || (st = get_double (s, "augment_deg", false, what, "settings", &aug, err)) != PB_OK)
    return st;
  out->epochs = (int) epochs;
  out->batch = (int) batch;
  out->train_pairs = (int) train_pairs;
  out->test_pairs = (int) test_pairs;
  out->seed = (uint64_t) seed;
  out->lr = (float) lr;
  out->beta1 = (float) b1;
  out->beta2 = (float) b2;
  out->adam_eps = (float) eps;
  out->augment_deg = (float) aug;
  return read_later_settings (s, what, out, err);
}

/* Three integers min–max at key; an absent key keeps out. */
static PbStatus
get_int3 (const PbJson *obj, const char *key, long min, long max, const char *what,
          const char *where, int *out, PbError *err)
{
  const PbJson *v = pb_json_get (obj, key);
  char place[160];
  PbStatus st;

  if (v == NULL)
    return PB_OK;
  snprintf (place, sizeof place, "%s \"%s\"", where, key);
  if ((st = expect (v, PB_JSON_ARRAY, what, place, "an array of 3 integers", err)) != PB_OK)
    return st;
  if (v->n != 3)
    return pb_error_set (err, PB_ERR_FORMAT, "%s: %s: expected 3 integers, found %d", what,
                         place, v->n);
  for (int i = 0; i < 3; i++)
    {
      const PbJson *e = &v->items[i];
      if (e->type != PB_JSON_NUMBER)
        return pb_error_set (err, PB_ERR_FORMAT, "%s: %s[%d]: expected an integer %ld–%ld, "
                             "found %s", what, place, i, min, max, type_name (e));
      if (e->number != floor (e->number) || e->number < (double) min || e->number > (double) max)
        return pb_error_set (err, PB_ERR_FORMAT, "%s: %s[%d]: expected an integer %ld–%ld, "
                             "found %.17g", what, place, i, min, max, e->number);
      out[i] = (int) e->number;
    }
  return PB_OK;
}

/* The architecture's named options of models[i]; absent keys keep the report's defaults
 * (sessions written before they existed). */
static PbStatus
read_model_options (const PbJson *m, const char *what, const char *where, PbArch *arch,
                    PbError *err)
{
  const PbJson *act = pb_json_get (m, "hidden_act"), *rule = pb_json_get (m, "rule");
  const PbJson *bn = pb_json_get (m, "batch_norm");
  char place[160];
  PbStatus st;
  long kernel = arch->kernel, hidden = arch->hidden;

  if ((pb_json_get (m, "kernel") != NULL
       && (st = get_int (m, "kernel", 1, 7, what, where, &kernel, err)) != PB_OK)
      || (pb_json_get (m, "hidden") != NULL
          && (st = get_int (m, "hidden", 1, 4096, what, where, &hidden, err)) != PB_OK)
      || (st = get_int3 (m, "channels", 1, 1024, what, where, arch->channels, err)) != PB_OK
      || (st = get_int3 (m, "padding", 0, 7, what, where, arch->padding, err)) != PB_OK)
    return st;
  arch->kernel = (int) kernel;
  arch->hidden = (int) hidden;

  if (act != NULL)
    {
      snprintf (place, sizeof place, "%s \"hidden_act\"", where);
      if ((st = expect (act, PB_JSON_STRING, what, place, "\"none\" or \"relu\"", err)) != PB_OK)
        return st;
      if (pb_hidden_act_from_name (act->string, &arch->hidden_act, NULL) != PB_OK)
        return pb_error_set (err, PB_ERR_FORMAT, "%s: %s: expected \"none\" or \"relu\", "
                             "found \"%s\"", what, place, act->string);
    }
  if (rule != NULL)
    {
      snprintf (place, sizeof place, "%s \"rule\"", where);
      if ((st = expect (rule, PB_JSON_STRING, what, place,
                        "\"head\", \"posterior\" or \"both\"", err)) != PB_OK)
        return st;
      if (pb_rule_from_name (rule->string, &arch->rule, NULL) != PB_OK)
        return pb_error_set (err, PB_ERR_FORMAT, "%s: %s: expected \"head\", \"posterior\" "
                             "or \"both\", found \"%s\"", what, place, rule->string);
    }
  if (bn != NULL)
    {
      snprintf (place, sizeof place, "%s \"batch_norm\"", where);
      if ((st = expect (bn, PB_JSON_BOOL, what, place, "true or false", err)) != PB_OK)
        return st;
      arch->batch_norm = bn->boolean;
    }
  return PB_OK;
}

static PbStatus
read_models (const PbJson *list, const char *what, PbArch *models, int *n, PbError *err)
{
  PbStatus st;

  if ((st = expect (list, PB_JSON_ARRAY, what, "\"models\"", "an array", err)) != PB_OK)
    return st;
  if (list->n < 1 || list->n > PB_SESSION_MAX_MODELS)
    return pb_error_set (err, PB_ERR_FORMAT, "%s: \"models\": expected 1–%d models, found %d",
                         what, PB_SESSION_MAX_MODELS, list->n);
  for (int i = 0; i < list->n; i++)
    {
      const PbJson *m = &list->items[i];
      const char *name;
      char where[64];
      double aux_weight, dropout;
      PbError e;

      snprintf (where, sizeof where, "models[%d]", i);
      if ((st = expect (m, PB_JSON_OBJECT, what, where, "an object", err)) != PB_OK)
        return st;
      name = pb_json_get_string (m, "name");
      if (name == NULL)
        return pb_error_set (err, PB_ERR_FORMAT, "%s: %s \"name\": expected a model name, "
                             "found %s", what, where, type_name (pb_json_get (m, "name")));
      if (pb_arch_from_name (name, &models[i], &e) != PB_OK)
        return pb_error_set (err, PB_ERR_FORMAT, "%s: %s \"name\": %s", what, where, e.message);
      if ((st = get_double (m, "aux_weight", false, what, where, &aux_weight, err)) != PB_OK
          || (st = get_double (m, "dropout", false, what, where, &dropout, err)) != PB_OK)
        return st;
      models[i].aux_weight = (float) aux_weight;
      models[i].dropout = (float) dropout;
      if ((st = read_model_options (m, what, where, &models[i], err)) != PB_OK)
        return st;
      if (pb_arch_validate (&models[i], &e) != PB_OK)
        return pb_error_set (err, PB_ERR_FORMAT, "%s: %s: %s", what, where, e.message);
    }
  *n = list->n;
  return PB_OK;
}

static PbStatus
read_epoch (const PbJson *e, const char *what, const char *where, int index, PbEpochRecord *out,
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
    { "seconds", offsetof (PbEpochRecord, seconds) },
    { "train_seconds", offsetof (PbEpochRecord, train_seconds) },
    { "eval_seconds", offsetof (PbEpochRecord, eval_seconds) },
  };
  char place[128];
  long epoch;
  PbStatus st;

  snprintf (place, sizeof place, "%s epochs[%d]", where, index);
  if ((st = expect (e, PB_JSON_OBJECT, what, place, "an object", err)) != PB_OK)
    return st;
  if ((st = get_int (e, "epoch", index + 1, index + 1, what, place, &epoch, err)) != PB_OK)
    return st;
  out->epoch = (int) epoch;
  for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++)
    if ((st = get_double (e, fields[f].key, true, what, place,
                          (double *) (void *) ((char *) out + fields[f].offset), err)) != PB_OK)
      return st;
  /* Absent from files written before the validation split. */
  out->val_error = out->val_digit_error = NAN;
  if ((pb_json_get (e, "val_error") != NULL
       && (st = get_double (e, "val_error", true, what, place, &out->val_error, err)) != PB_OK)
      || (pb_json_get (e, "val_digit_error") != NULL
          && (st = get_double (e, "val_digit_error", true, what, place, &out->val_digit_error,
                               err)) != PB_OK))
    return st;
  return PB_OK;
}

static PbStatus
read_results (const PbJson *list, const char *what, PbSession *self, PbError *err)
{
  PbStatus st;

  if ((st = expect (list, PB_JSON_ARRAY, what, "\"results\"", "an array", err)) != PB_OK)
    return st;
  for (int i = 0; i < list->n; i++)
    {
      const PbJson *r = &list->items[i], *epochs;
      char where[64];
      const char *name;
      long round, seed, params;
      int m = -1;
      PbRoundResult res = { 0 };

      snprintf (where, sizeof where, "results[%d]", i);
      if ((st = expect (r, PB_JSON_OBJECT, what, where, "an object", err)) != PB_OK)
        return st;
      name = pb_json_get_string (r, "model");
      for (int k = 0; name != NULL && k < self->n_models; k++)
        if (strcmp (name, pb_arch_name (&self->models[k])) == 0)
          m = k;
      if (m < 0)
        return pb_error_set (err, PB_ERR_FORMAT, "%s: %s \"model\": expected one of the "
                             "\"models\", found %s%s%s", what, where, name ? "\"" : "",
                             name ? name : type_name (pb_json_get (r, "model")), name ? "\"" : "");
      if ((st = get_int (r, "round", 1, self->rounds, what, where, &round, err)) != PB_OK
          || (st = get_int (r, "seed", 0, 9007199254740991L, what, where, &seed, err)) != PB_OK
          || (st = get_int (r, "params", 0, 1000000000L, what, where, &params, err)) != PB_OK)
        return st;
      if (pb_session_round_done (self, m, (int) round - 1))
        return pb_error_set (err, PB_ERR_FORMAT, "%s: %s: expected each round once, found %s "
                             "round %ld again", what, where, name, round);
      epochs = pb_json_get (r, "epochs");
      if ((st = expect (epochs, PB_JSON_ARRAY, what, where, "an \"epochs\" array", err)) != PB_OK)
        return st;
      if (epochs->n < 1 || epochs->n > self->base.epochs)
        return pb_error_set (err, PB_ERR_FORMAT, "%s: %s \"epochs\": expected 1–%d records, "
                             "found %d", what, where, self->base.epochs, epochs->n);
      res.model_index = m;
      res.round = (int) round - 1;
      res.seed = (uint64_t) seed;
      res.status = PB_OK;
      res.params = (size_t) params;
      res.n_epochs = epochs->n;
      res.epochs = calloc ((size_t) epochs->n, sizeof *res.epochs);
      if (res.epochs == NULL)
        return pb_error_set (err, PB_ERR_NOMEM, "out of memory");
      for (int e = 0; e < epochs->n; e++)
        if ((st = read_epoch (&epochs->items[e], what, where, e, &res.epochs[e], err)) != PB_OK)
          {
            free (res.epochs);
            return st;
          }
      res.final = res.epochs[res.n_epochs - 1];
      st = pb_session_set_round (self, &res, err);
      free (res.epochs);
      if (st != PB_OK)
        return st;
    }
  return PB_OK;
}

PbStatus
pb_session_from_json (const char *text, size_t len, const char *what, PbSession *out,
                      PbError *err)
{
  PbJson *root = NULL;
  PbTrainSettings base;
  PbArch models[PB_SESSION_MAX_MODELS];
  int n_models = 0;
  long version, rounds;
  const char *format;
  const PbJson *partial;
  PbError e;
  PbStatus st;

  memset (out, 0, sizeof *out);
  if ((st = pb_json_parse (text, len, what, &root, err)) != PB_OK)
    return st;
  if ((st = expect (root, PB_JSON_OBJECT, what, "the top level", "an object", err)) != PB_OK)
    goto out;
  format = pb_json_get_string (root, "format");
  if (format == NULL || strcmp (format, PB_SESSION_FORMAT) != 0)
    {
      st = pb_error_set (err, PB_ERR_FORMAT, "%s: \"format\": expected \"%s\", found %s%s%s",
                         what, PB_SESSION_FORMAT, format ? "\"" : "",
                         format ? format : type_name (pb_json_get (root, "format")),
                         format ? "\"" : "");
      goto out;
    }
  if ((st = get_int (root, "version", PB_SESSION_VERSION, PB_SESSION_VERSION, what, "the top "
                     "level", &version, err)) != PB_OK
      || (st = get_int (root, "rounds", 1, 1000, what, "the top level", &rounds, err)) != PB_OK
      || (st = read_settings (pb_json_get (root, "settings"), what, &base, err)) != PB_OK
      || (st = read_models (pb_json_get (root, "models"), what, models, &n_models, err)) != PB_OK)
    goto out;
  partial = pb_json_get (root, "partial");
  if ((st = expect (partial, PB_JSON_BOOL, what, "\"partial\"", "true or false", err)) != PB_OK)
    goto out;
  base.arch = models[0];
  if (pb_train_settings_validate (&base, &e) != PB_OK)
    {
      st = pb_error_set (err, PB_ERR_FORMAT, "%s: \"settings\": %s", what, e.message);
      goto out;
    }
  if ((st = pb_session_init (out, &base, models, n_models, (int) rounds, err)) != PB_OK)
    goto out;
  out->partial = partial->boolean;
  if ((st = read_results (pb_json_get (root, "results"), what, out, err)) != PB_OK)
    pb_session_clear (out);

out:
  pb_json_free (root);
  return st;
}

PbStatus
pb_session_save (const PbSession *self, const char *path, PbError *err)
{
  PbStr s;
  PbStatus st;

  pb_str_init (&s);
  pb_session_to_json (self, &s);
  if (s.failed)
    st = pb_error_set (err, PB_ERR_NOMEM, "%s: out of memory", path);
  else
    st = pb_write_file_atomic (path, s.data, s.len, err);
  pb_str_clear (&s);
  return st;
}

PbStatus
pb_session_load (const char *path, PbSession *out, PbError *err)
{
  FILE *f = fopen (path, "rb");
  char *buf = NULL;
  size_t len = 0, cap = 0, n;
  PbStatus st;

  memset (out, 0, sizeof *out);
  if (f == NULL)
    return pb_error_set (err, PB_ERR_IO, "%s: %s", path, strerror (errno));
  do
    {
      if (len == cap)
        {
          char *grown;
          if (cap >= MAX_FILE_BYTES)
            {
              free (buf);
              fclose (f);
              return pb_error_set (err, PB_ERR_FORMAT, "%s: expected a comparison of at most "
                                   "%u MiB, found a larger file", path, MAX_FILE_BYTES >> 20);
            }
          cap = cap ? 2 * cap : 65536;
          grown = realloc (buf, cap);
          if (grown == NULL)
            {
              free (buf);
              fclose (f);
              return pb_error_set (err, PB_ERR_NOMEM, "%s: out of memory", path);
            }
          buf = grown;
        }
      n = fread (buf + len, 1, cap - len, f);
      len += n;
    }
  while (n > 0);
  if (ferror (f))
    {
      free (buf);
      fclose (f);
      return pb_error_set (err, PB_ERR_IO, "%s: could not read the file", path);
    }
  fclose (f);
  st = pb_session_from_json (buf, len, path, out, err);
  free (buf);
  return st;
}
