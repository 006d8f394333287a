/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A sweep's config (read, checked, written canonically), its trials and rungs, and a result's
 * JSON line. The runs and the summary are in pb-sweep-run.c. */
#include "pb-sweep.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pb-rng.h"
#include "pb-shard.h"

#define MAX_CONFIG_BYTES (1u << 20)

static const char *const method_names[] = { "grid", "random", "halving" };
static const char *const dist_names[] = { "values", "value", "uniform", "log_uniform_values",
                                          "int_uniform", "q_uniform" };

/* The literal of a JSON number as the file wrote it, e.g. "0.0005" or "1e-3". */
static void
literal (const char *text, const PbJson *v, char *buf, size_t size)
{
  size_t n = v->length < size - 1 ? v->length : size - 1;
  memcpy (buf, text + v->offset, n);
  buf[n] = '\0';
}

static const char *
type_name (const PbJson *v)
{
  static const char *const names[] = { "null", "a boolean", "a number", "a string", "an array",
                                       "an object" };
  return v == NULL ? "nothing" : names[v->type];
}

/* JSON → option text: a number as written, a string as is, a boolean as true/false. */
static bool
option_text (const char *text, const PbJson *v, char *buf, size_t size)
{
  switch (v->type)
    {
    case PB_JSON_NUMBER:
      literal (text, v, buf, size);
      return true;
    case PB_JSON_STRING:
      if (strlen (v->string) >= size)
        return false;
      snprintf (buf, size, "%s", v->string);
      return true;
    case PB_JSON_BOOL:
      snprintf (buf, size, "%s", v->boolean ? "true" : "false");
      return true;
    default:
      return false;
    }
}

/* pb_train_settings_set_option's message without its "--NAME: ", behind our key. */
static PbStatus
refuse_value (const char *what, const char *key, const PbError *e, PbError *err)
{
  const char *m = e->message;
  if (strncmp (m, "--", 2) == 0 && strstr (m, ": ") != NULL)
    m = strstr (m, ": ") + 2;
  return pb_error_set (err, PB_ERR_INVALID, "%s: %s: %s", what, key, m);
}

/* The value as its option would read and write it: canonical holds the written form. */
static PbStatus
check_value (const char *what, const char *key, const char *name, const char *value,
             char canonical[PB_OPTION_VALUE_MAX], PbError *err)
{
  PbTrainSettings s;
  PbError e;

  pb_train_settings_init (&s, "siamese-aux", NULL);
  if (pb_train_settings_set_option (&s, name, value, &e) != PB_OK)
    return refuse_value (what, key, &e, err);
  if (canonical != NULL)
    pb_train_settings_get_option (&s, name, canonical, PB_OPTION_VALUE_MAX);
  return PB_OK;
}

static PbStatus
get_int (const char *text, const char *what, const PbJson *root, const char *key, long min,
         long max, long *out, PbError *err)
{
  const PbJson *v = pb_json_get (root, key);
  char buf[64], *end;
  long n;

  if (v == NULL)
    return PB_OK;
  if (v->type != PB_JSON_NUMBER)
    return pb_error_set (err, PB_ERR_INVALID, "%s: %s: expected an integer %ld–%ld, got %s",
                         what, key, min, max, type_name (v));
  literal (text, v, buf, sizeof buf);
  errno = 0;
  n = strtol (buf, &end, 10);
  if (errno != 0 || *end != '\0' || n < min || n > max)
    return pb_error_set (err, PB_ERR_INVALID, "%s: %s: expected an integer %ld–%ld, got '%s'",
                         what, key, min, max, buf);
  *out = n;
  return PB_OK;
}

static PbStatus
check_keys (const char *what, const char *prefix, const PbJson *obj,
            const char *const *allowed, PbError *err)
{
  for (int i = 0; i < obj->n; i++)
    {
      bool ok = false;
      for (const char *const *a = allowed; *a != NULL && !ok; a++)
        ok = strcmp (obj->keys[i], *a) == 0;
      for (int j = 0; ok && j < i; j++)
        if (strcmp (obj->keys[i], obj->keys[j]) == 0)
          return pb_error_set (err, PB_ERR_INVALID, "%s: %s%s: expected each key once, found it "
                               "twice", what, prefix, obj->keys[i]);
      if (!ok)
        {
          char list[256] = "";
          size_t n = 0;
          for (const char *const *a = allowed; *a != NULL && n < sizeof list; a++)
            n += (size_t) snprintf (list + n, sizeof list - n, "%s%s", a == allowed ? "" : ", ",
                                    *a);
          return pb_error_set (err, PB_ERR_INVALID, "%s: %s%s: unknown key, expected one of %s",
                               what, prefix, obj->keys[i], list);
        }
    }
  return PB_OK;
}

static PbStatus
parse_metric (const char *what, const PbJson *m, PbError *err)
{
  static const char *const keys[] = { "name", "goal", NULL };
  const char *name, *goal;
  PbStatus st;

  if (m->type != PB_JSON_OBJECT)
    return pb_error_set (err, PB_ERR_INVALID, "%s: metric: expected an object, got %s", what,
                         type_name (m));
  if ((st = check_keys (what, "metric.", m, keys, err)) != PB_OK)
    return st;
  name = pb_json_get_string (m, "name");
  goal = pb_json_get_string (m, "goal");
  if (pb_json_get (m, "name") != NULL && (name == NULL || strcmp (name, "val_error") != 0))
    return pb_error_set (err, PB_ERR_INVALID, "%s: metric.name: expected \"val_error\" (a sweep "
                         "chooses on the validation split), got %s", what,
                         name != NULL ? name : type_name (pb_json_get (m, "name")));
  if (pb_json_get (m, "goal") != NULL && (goal == NULL || strcmp (goal, "minimize") != 0))
    return pb_error_set (err, PB_ERR_INVALID, "%s: metric.goal: expected \"minimize\", got %s",
                         what, goal != NULL ? goal : type_name (pb_json_get (m, "goal")));
  return PB_OK;
}

/* A real-valued bound: a number that its option accepts (int_uniform: an integer). */
static PbStatus
parse_bound (const char *text, const char *what, const char *name, const PbJson *obj,
             const char *member, bool integer, double *out, PbError *err)
{
  const PbJson *v = pb_json_get (obj, member);
  char key[96], buf[64];

  snprintf (key, sizeof key, "parameters.%s.%s", name, member);
  if (v == NULL || v->type != PB_JSON_NUMBER)
    return pb_error_set (err, PB_ERR_INVALID, "%s: %s: expected a number, got %s", what, key,
                         type_name (v));
  literal (text, v, buf, sizeof buf);
  if (strcmp (member, "q") != 0)
    {
      bool int_option = pb_option_lookup (name)->kind == PB_OPTION_INT;
      char t[64];
      PbStatus st;

      if ((integer || int_option) && (v->number != floor (v->number) || fabs (v->number) > 1e9))
        return pb_error_set (err, PB_ERR_INVALID, "%s: %s: expected an integer, got '%s'", what,
                             key, buf);
      /* An integer option reads "64", not "64.0" or "6.4e1". */
      if (int_option)
        snprintf (t, sizeof t, "%.0f", v->number);
      else
        snprintf (t, sizeof t, "%s", buf);
      if ((st = check_value (what, key, name, t, NULL, err)) != PB_OK)
        return st;
    }
  *out = v->number;
  return PB_OK;
}

static PbStatus
parse_param (const char *text, const char *what, PbSweepMethod method, const char *name,
             const PbJson *obj, PbSweepParam *p, PbError *err)
{
  static const char *const keys[] = { "values", "value", "distribution", "min", "max", "q",
                                      NULL };
  const PbOptionInfo *o = pb_option_lookup (name);
  const PbJson *values = pb_json_get (obj, "values"), *value = pb_json_get (obj, "value");
  const PbJson *dist = pb_json_get (obj, "distribution");
  char key[96];
  PbStatus st;

  memset (p, 0, sizeof *p);
  if (o == NULL || strlen (name) >= sizeof p->name)
    return pb_error_set (err, PB_ERR_INVALID, "%s: parameters.%s: expected a train option "
                         "(lr, hidden, kernel, channels, rule, augment…), got an unknown name",
                         what, name);
  if (o->kind == PB_OPTION_SEED || strcmp (name, "val-pairs") == 0)
    return pb_error_set (err, PB_ERR_INVALID, "%s: parameters.%s: set by the sweep (its \"%s\"), "
                         "expected another option", what, name,
                         o->kind == PB_OPTION_SEED ? "seed" : "val-pairs");
  if (method == PB_SWEEP_HALVING && strcmp (name, "epochs") == 0)
    return pb_error_set (err, PB_ERR_INVALID, "%s: parameters.epochs: halving sets each rung's "
                         "epochs, expected another option", what);
  snprintf (p->name, sizeof p->name, "%s", name);
  if (obj->type != PB_JSON_OBJECT)
    return pb_error_set (err, PB_ERR_INVALID, "%s: parameters.%s: expected an object, got %s",
                         what, name, type_name (obj));
  if ((st = check_keys (what, "parameters.", obj, keys, err)) != PB_OK)
    {
      /* name the parameter: "parameters.lr.mean: unknown key" */
      for (int i = 0; i < obj->n; i++)
        {
          bool known = false;
          for (const char *const *k = keys; *k != NULL; k++)
            known = known || strcmp (*k, obj->keys[i]) == 0;
          if (!known)
            return pb_error_set (err, PB_ERR_INVALID, "%s: parameters.%s.%s: unknown key, "
                                 "expected values, value, distribution, min, max or q", what,
                                 name, obj->keys[i]);
        }
      return st;
    }

  if (dist != NULL)
    {
      int d = -1;
      for (int i = 0; dist->type == PB_JSON_STRING && i < 6; i++)
        if (strcmp (dist->string, dist_names[i]) == 0)
          d = i;
      if (d < 0)
        return pb_error_set (err, PB_ERR_INVALID, "%s: parameters.%s.distribution: expected "
                             "values, value, uniform, log_uniform_values, int_uniform or "
                             "q_uniform, got %s%s%s", what, name,
                             dist->type == PB_JSON_STRING ? "'" : "",
                             dist->type == PB_JSON_STRING ? dist->string : type_name (dist),
                             dist->type == PB_JSON_STRING ? "'" : "");
      p->dist = (PbSweepDist) d;
    }
  else if (values != NULL)
    p->dist = PB_SWEEP_VALUES;
  else if (value != NULL)
    p->dist = PB_SWEEP_VALUE;
  else if (pb_json_get (obj, "min") != NULL || pb_json_get (obj, "max") != NULL)
    {
      /* W&B's inference: integer bounds mean int_uniform, else uniform. */
      const PbJson *lo = pb_json_get (obj, "min"), *hi = pb_json_get (obj, "max");
      bool ints = lo != NULL && hi != NULL && lo->type == PB_JSON_NUMBER
                  && hi->type == PB_JSON_NUMBER && lo->number == floor (lo->number)
                  && hi->number == floor (hi->number) && memchr (text + lo->offset, '.',
                  lo->length) == NULL && memchr (text + hi->offset, '.', hi->length) == NULL;
      p->dist = ints ? PB_SWEEP_INT_UNIFORM : PB_SWEEP_UNIFORM;
    }
  else
    return pb_error_set (err, PB_ERR_INVALID, "%s: parameters.%s: expected \"values\", "
                         "\"value\" or \"distribution\" with \"min\" and \"max\"", what, name);

  /* Only the members of its distribution. */
  {
    bool choice = p->dist == PB_SWEEP_VALUES || p->dist == PB_SWEEP_VALUE;
    for (int i = 0; i < obj->n; i++)
      {
        const char *k = obj->keys[i];
        bool ok = strcmp (k, "distribution") == 0
                  || (p->dist == PB_SWEEP_VALUES && strcmp (k, "values") == 0)
                  || (p->dist == PB_SWEEP_VALUE && strcmp (k, "value") == 0)
                  || (!choice && (strcmp (k, "min") == 0 || strcmp (k, "max") == 0))
                  || (p->dist == PB_SWEEP_Q_UNIFORM && strcmp (k, "q") == 0);
        if (!ok)
          return pb_error_set (err, PB_ERR_INVALID, "%s: parameters.%s.%s: not a member of the "
                               "%s distribution", what, name, k, dist_names[p->dist]);
      }
  }
  if (method == PB_SWEEP_GRID && p->dist != PB_SWEEP_VALUES && p->dist != PB_SWEEP_VALUE)
    return pb_error_set (err, PB_ERR_INVALID, "%s: parameters.%s: a grid needs \"values\" or "
                         "\"value\", got the %s distribution", what, name, dist_names[p->dist]);

  if (p->dist == PB_SWEEP_VALUES || p->dist == PB_SWEEP_VALUE)
    {
      const PbJson *items = p->dist == PB_SWEEP_VALUES ? values : value;
      int n = p->dist == PB_SWEEP_VALUES ? (values->type == PB_JSON_ARRAY ? values->n : -1) : 1;

      if (items == NULL)
        return pb_error_set (err, PB_ERR_INVALID, "%s: parameters.%s.%s: expected it with the "
                             "%s distribution, found none", what, name,
                             dist_names[p->dist], dist_names[p->dist]);
      if (n < 1 || n > PB_SWEEP_MAX_VALUES)
        return pb_error_set (err, PB_ERR_INVALID, "%s: parameters.%s.values: expected an array "
                             "of 1–%d values, got %s", what, name, PB_SWEEP_MAX_VALUES,
                             n < 0 ? type_name (values) : n == 0 ? "an empty array"
                             : "more");
      for (int i = 0; i < n; i++)
        {
          const PbJson *v = p->dist == PB_SWEEP_VALUES ? &values->items[i] : value;
          char t[PB_OPTION_VALUE_MAX];

          if (p->dist == PB_SWEEP_VALUES)
            snprintf (key, sizeof key, "parameters.%s.values[%d]", name, i);
          else
            snprintf (key, sizeof key, "parameters.%s.value", name);
          if (!option_text (text, v, t, sizeof t))
            return pb_error_set (err, PB_ERR_INVALID, "%s: %s: expected a number, a string or a "
                                 "boolean, got %s", what, key, type_name (v));
          if ((st = check_value (what, key, name, t, p->values[i], err)) != PB_OK)
            return st;
          for (int j = 0; j < i; j++)
            if (strcmp (p->values[i], p->values[j]) == 0)
              return pb_error_set (err, PB_ERR_INVALID, "%s: %s: %s is also values[%d], expected "
                                   "each value once", what, key, p->values[i], j);
        }
      p->n_values = n;
      return PB_OK;
    }

  if (o->kind != PB_OPTION_INT && o->kind != PB_OPTION_REAL)
    return pb_error_set (err, PB_ERR_INVALID, "%s: parameters.%s.distribution: %s draws numbers "
                         "and --%s takes a choice, expected \"values\"", what, name,
                         dist_names[p->dist], name);
  if (o->kind == PB_OPTION_INT && (p->dist == PB_SWEEP_UNIFORM
                                   || p->dist == PB_SWEEP_LOG_UNIFORM_VALUES))
    return pb_error_set (err, PB_ERR_INVALID, "%s: parameters.%s.distribution: %s draws reals "
                         "and --%s takes an integer, expected int_uniform or q_uniform", what,
                         name, dist_names[p->dist], name);
  bool integer = p->dist == PB_SWEEP_INT_UNIFORM;
  if ((st = parse_bound (text, what, name, obj, "min", integer, &p->min, err)) != PB_OK
      || (st = parse_bound (text, what, name, obj, "max", integer, &p->max, err)) != PB_OK)
    return st;
  if (!(p->min <= p->max))
    return pb_error_set (err, PB_ERR_INVALID, "%s: parameters.%s.max: expected at least min "
                         "(%g), got %g", what, name, p->min, p->max);
  if (p->dist == PB_SWEEP_LOG_UNIFORM_VALUES && !(p->min > 0.0))
    return pb_error_set (err, PB_ERR_INVALID, "%s: parameters.%s.min: expected a number > 0 for "
                         "log_uniform_values, got %g", what, name, p->min);
  p->q = 1.0;
  if (p->dist == PB_SWEEP_Q_UNIFORM)
    {
      if (pb_json_get (obj, "q") != NULL
          && (st = parse_bound (text, what, name, obj, "q", false, &p->q, err)) != PB_OK)
        return st;
      if (!(p->q > 0.0) || !isfinite (p->q))
        return pb_error_set (err, PB_ERR_INVALID, "%s: parameters.%s.q: expected a number > 0, "
                             "got %g", what, name, p->q);
      if (o->kind == PB_OPTION_INT && p->q != floor (p->q))
        return pb_error_set (err, PB_ERR_INVALID, "%s: parameters.%s.q: --%s takes an integer, "
                             "expected an integer q, got %g", what, name, name, p->q);
      if (ceil (p->min / p->q - 1e-9) > floor (p->max / p->q + 1e-9))
        return pb_error_set (err, PB_ERR_INVALID, "%s: parameters.%s.q: expected a multiple of "
                             "%g between min and max, found none", what, name, p->q);
    }
  return PB_OK;
}

static void
config_hash (PbSweepConfig *self)
{
  PbStr s;
  pb_str_init (&s);
  pb_sweep_config_to_json (self, &s);
  self->hash = s.failed ? 0 : pb_hash64 (s.data, s.len);
  pb_str_clear (&s);
}

PbStatus
pb_sweep_config_parse (const char *text, size_t len, const char *what, PbSweepConfig *out,
                       PbError *err)
{
  PbJson *root = NULL;
  PbStatus st;

  memset (out, 0, sizeof *out);
  if (pb_json_parse (text, len, what, &root, err) != PB_OK)
    return PB_ERR_FORMAT;
  st = pb_sweep_config_from_json (text, root, what, out, err);
  pb_json_free (root);
  return st;
}

PbStatus
pb_sweep_config_from_json (const char *text, const PbJson *root, const char *what,
                           PbSweepConfig *out, PbError *err)
{
  static const char *const keys[] = { "method", "metric", "trials", "rounds", "seed",
                                      "val-pairs", "eta", "min-epochs", "parameters", NULL };
  PbSweepConfig c;
  const PbJson *v, *params;
  long n;
  PbStatus st;

  memset (out, 0, sizeof *out);
  memset (&c, 0, sizeof c);
  if (root == NULL || root->type != PB_JSON_OBJECT)
    {
      st = pb_error_set (err, PB_ERR_FORMAT, "%s: expected a sweep config (a JSON object), "
                         "found %s", what, type_name (root));
      goto done;
    }
  if ((st = check_keys (what, "", root, keys, err)) != PB_OK)
    goto done;

  v = pb_json_get (root, "method");
  c.method = (PbSweepMethod) -1;
  for (int i = 0; v != NULL && v->type == PB_JSON_STRING && i < 3; i++)
    if (strcmp (v->string, method_names[i]) == 0)
      c.method = (PbSweepMethod) i;
  if ((int) c.method < 0)
    {
      st = pb_error_set (err, PB_ERR_INVALID, "%s: method: expected grid, random or halving, "
                         "got %s%s%s", what, v != NULL && v->type == PB_JSON_STRING ? "'" : "",
                         v != NULL && v->type == PB_JSON_STRING ? v->string : type_name (v),
                         v != NULL && v->type == PB_JSON_STRING ? "'" : "");
      goto done;
    }
  if ((v = pb_json_get (root, "metric")) != NULL && (st = parse_metric (what, v, err)) != PB_OK)
    goto done;

  n = 1;
  if ((st = get_int (text, what, root, "rounds", 1, 1000, &n, err)) != PB_OK)
    goto done;
  c.rounds = (int) n;
  v = pb_json_get (root, "seed");
  if (v != NULL)
    {
      char buf[64], *end;
      unsigned long long s;
      if (v->type == PB_JSON_NUMBER)
        literal (text, v, buf, sizeof buf);
      errno = 0;
      s = v->type == PB_JSON_NUMBER && buf[0] >= '0' && buf[0] <= '9' ? strtoull (buf, &end, 10)
                                                                      : 0;
      if (v->type != PB_JSON_NUMBER || buf[0] < '0' || buf[0] > '9' || errno != 0
          || *end != '\0')
        {
          st = pb_error_set (err, PB_ERR_INVALID, "%s: seed: expected an integer 0–%" PRIu64
                             ", got %s%s%s", what, UINT64_MAX,
                             v->type == PB_JSON_NUMBER ? "'" : "",
                             v->type == PB_JSON_NUMBER ? buf : type_name (v),
                             v->type == PB_JSON_NUMBER ? "'" : "");
          goto done;
        }
      c.seed = (uint64_t) s;
    }
  if (pb_json_get (root, "val-pairs") == NULL)
    {
      st = pb_error_set (err, PB_ERR_INVALID, "%s: val-pairs: expected the number of validation "
                         "pairs to choose on (required), found none", what);
      goto done;
    }
  if ((st = get_int (text, what, root, "val-pairs", 1, PB_MAX_PAIRS - 1, &n, err)) != PB_OK)
    goto done;
  c.val_pairs = (int) n;

  c.eta = 3;
  c.min_epochs = 1;
  if (c.method != PB_SWEEP_HALVING)
    for (int i = 0; i < 2; i++)
      if (pb_json_get (root, i == 0 ? "eta" : "min-epochs") != NULL)
        {
          st = pb_error_set (err, PB_ERR_INVALID, "%s: %s: only for the halving method, got "
                             "method %s", what, i == 0 ? "eta" : "min-epochs",
                             method_names[c.method]);
          goto done;
        }
  n = c.eta;
  if ((st = get_int (text, what, root, "eta", 2, 100, &n, err)) != PB_OK)
    goto done;
  c.eta = (int) n;
  n = c.min_epochs;
  if ((st = get_int (text, what, root, "min-epochs", 1, 10000, &n, err)) != PB_OK)
    goto done;
  c.min_epochs = (int) n;

  params = pb_json_get (root, "parameters");
  if (params == NULL || params->type != PB_JSON_OBJECT || params->n < 1
      || params->n > PB_SWEEP_MAX_PARAMS)
    {
      st = pb_error_set (err, PB_ERR_INVALID, "%s: parameters: expected an object of 1–%d train "
                         "options, got %s", what, PB_SWEEP_MAX_PARAMS,
                         params == NULL ? "none" : params->type != PB_JSON_OBJECT
                         ? type_name (params) : params->n == 0 ? "an empty object" : "more");
      goto done;
    }
  for (int i = 0; i < params->n; i++)
    {
      for (int j = 0; j < i; j++)
        if (strcmp (params->keys[i], params->keys[j]) == 0)
          {
            st = pb_error_set (err, PB_ERR_INVALID, "%s: parameters.%s: expected each parameter "
                               "once, found it twice", what, params->keys[i]);
            goto done;
          }
      if ((st = parse_param (text, what, c.method, params->keys[i], &params->items[i],
                             &c.params[i], err)) != PB_OK)
        goto done;
    }
  c.n_params = params->n;

  if (c.method == PB_SWEEP_GRID)
    {
      double product = 1.0;
      if (pb_json_get (root, "trials") != NULL)
        {
          st = pb_error_set (err, PB_ERR_INVALID, "%s: trials: a grid runs every combination of "
                             "its values, expected no trials", what);
          goto done;
        }
      for (int p = 0; p < c.n_params; p++)
        product *= c.params[p].n_values;
      if (product > PB_SWEEP_MAX_TRIALS)
        {
          st = pb_error_set (err, PB_ERR_INVALID, "%s: parameters: the grid has %.0f "
                             "combinations, expected at most %d", what, product,
                             PB_SWEEP_MAX_TRIALS);
          goto done;
        }
      c.trials = (int) product;
    }
  else
    {
      if (pb_json_get (root, "trials") == NULL)
        {
          st = pb_error_set (err, PB_ERR_INVALID, "%s: trials: expected the number of trials "
                             "(required for %s), found none", what, method_names[c.method]);
          goto done;
        }
      if ((st = get_int (text, what, root, "trials", 1, PB_SWEEP_MAX_TRIALS, &n, err)) != PB_OK)
        goto done;
      c.trials = (int) n;
    }
  if ((long) c.trials * c.rounds > PB_SHARD_MAX)
    {
      st = pb_error_set (err, PB_ERR_INVALID, "%s: rounds: %d trials × %d rounds are more than "
                         "%d units", what, c.trials, c.rounds, PB_SHARD_MAX);
      goto done;
    }
  config_hash (&c);
  *out = c;
  st = PB_OK;

done:
  return st;
}

PbStatus
pb_sweep_config_load (const char *path, PbSweepConfig *out, PbError *err)
{
  char *text = NULL;
  size_t len = 0;
  PbStatus st;

  memset (out, 0, sizeof *out);
  if ((st = pb_read_file (path, MAX_CONFIG_BYTES, "a sweep config", &text, &len, err)) != PB_OK)
    return st;
  st = pb_sweep_config_parse (text, len, path, out, err);
  free (text);
  return st;
}

/* A value in JSON as its option's kind writes it: numbers and flags bare, the rest strings. */
static void
append_value (PbStr *out, const char *name, const char *value)
{
  const PbOptionInfo *o = pb_option_lookup (name);
  if (o != NULL && (o->kind == PB_OPTION_INT || o->kind == PB_OPTION_REAL
                    || o->kind == PB_OPTION_FLAG))
    pb_str_append (out, value);
  else
    pb_str_append_json_string (out, value);
}

void
pb_sweep_append_value (PbStr *out, const char *name, const char *value)
{
  append_value (out, name, value);
}

void
pb_sweep_config_to_json (const PbSweepConfig *self, PbStr *out)
{
  pb_str_printf (out, "{\"method\":\"%s\",\"metric\":{\"name\":\"val_error\",\"goal\":"
                 "\"minimize\"},", method_names[self->method]);
  if (self->method != PB_SWEEP_GRID)
    pb_str_printf (out, "\"trials\":%d,", self->trials);
  pb_str_printf (out, "\"rounds\":%d,\"seed\":%" PRIu64 ",\"val-pairs\":%d,", self->rounds,
                 self->seed, self->val_pairs);
  if (self->method == PB_SWEEP_HALVING)
    pb_str_printf (out, "\"eta\":%d,\"min-epochs\":%d,", self->eta, self->min_epochs);
  pb_str_append (out, "\"parameters\":{");
  for (int p = 0; p < self->n_params; p++)
    {
      const PbSweepParam *q = &self->params[p];
      if (p > 0)
        pb_str_append (out, ",");
      pb_str_append_json_string (out, q->name);
      if (q->dist == PB_SWEEP_VALUE)
        {
          pb_str_append (out, ":{\"value\":");
          append_value (out, q->name, q->values[0]);
        }
      else if (q->dist == PB_SWEEP_VALUES)
        {
          pb_str_append (out, ":{\"values\":[");
          for (int i = 0; i < q->n_values; i++)
            {
              if (i > 0)
                pb_str_append (out, ",");
              append_value (out, q->name, q->values[i]);
            }
          pb_str_append (out, "]");
        }
      else
        {
          pb_str_printf (out, ":{\"distribution\":\"%s\",\"min\":", dist_names[q->dist]);
          pb_str_append_double (out, q->min);
          pb_str_append (out, ",\"max\":");
          pb_str_append_double (out, q->max);
          if (q->dist == PB_SWEEP_Q_UNIFORM)
            {
              pb_str_append (out, ",\"q\":");
              pb_str_append_double (out, q->q);
            }
        }
      pb_str_append (out, "}");
    }
  pb_str_append (out, "}}");
}

const char *
pb_sweep_method_name (PbSweepMethod method)
{
  return method_names[method];
}

const char *
pb_sweep_dist_name (PbSweepDist dist)
{
  return dist_names[dist];
}

/* Parameter p's value in trial t as option text. Random draws: one generator per (seed, trial,
 * parameter name), so adding trials or parameters leaves the others' draws as they were. */
static void
trial_value (const PbSweepConfig *self, int t, int p, char out[PB_OPTION_VALUE_MAX])
{
  const PbSweepParam *q = &self->params[p];
  const PbOptionInfo *o = pb_option_lookup (q->name);
  uint64_t key[2];
  PbRng rng;
  double x;

  if (q->dist == PB_SWEEP_VALUE)
    {
      snprintf (out, PB_OPTION_VALUE_MAX, "%s", q->values[0]);
      return;
    }
  if (self->method == PB_SWEEP_GRID)
    {
      /* The first parameter varies slowest, as nested loops in the config's order. */
      int index = t;
      for (int k = self->n_params - 1; k > p; k--)
        index /= self->params[k].n_values;
      snprintf (out, PB_OPTION_VALUE_MAX, "%s", q->values[index % q->n_values]);
      return;
    }
  key[0] = pb_hash64 (q->name, strlen (q->name));
  key[1] = (uint64_t) t;
  pb_rng_seed (&rng, self->seed, pb_hash64 (key, sizeof key));
  switch (q->dist)
    {
    case PB_SWEEP_VALUES:
      snprintf (out, PB_OPTION_VALUE_MAX, "%s",
                q->values[pb_rng_below (&rng, (uint32_t) q->n_values)]);
      return;
    case PB_SWEEP_INT_UNIFORM:
      x = q->min + (double) pb_rng_below (&rng, (uint32_t) (q->max - q->min + 1.0));
      break;
    case PB_SWEEP_LOG_UNIFORM_VALUES:
      x = exp (log (q->min) + (log (q->max) - log (q->min)) * pb_rng_uniform_double (&rng));
      break;
    case PB_SWEEP_Q_UNIFORM:
      {
        double lo = ceil (q->min / q->q - 1e-9), hi = floor (q->max / q->q + 1e-9);
        double k = round ((q->min + (q->max - q->min) * pb_rng_uniform_double (&rng)) / q->q);
        x = (k < lo ? lo : k > hi ? hi : k) * q->q;
      }
      break;
    case PB_SWEEP_UNIFORM:
    default:
      x = q->min + (q->max - q->min) * pb_rng_uniform_double (&rng);
      break;
    }
  if (x < q->min)
    x = q->min;
  if (x > q->max)
    x = q->max;
  if (o->kind == PB_OPTION_INT)
    snprintf (out, PB_OPTION_VALUE_MAX, "%.0f", round (x));
  else
    {
      /* The float the option holds, written as the option writes it. */
      PbTrainSettings s;
      char t2[64];
      pb_train_settings_init (&s, "siamese-aux", NULL);
      pb_snprintf_c (t2, sizeof t2, "%.9g", x);
      pb_train_settings_set_option (&s, q->name, t2, NULL);
      pb_train_settings_get_option (&s, q->name, out, PB_OPTION_VALUE_MAX);
    }
}

PbStatus
pb_sweep_trial (const PbSweepConfig *self, const PbTrainSettings *base, int t,
                PbTrainSettings *out, char values_out[][PB_OPTION_VALUE_MAX], PbError *err)
{
  PbTrainSettings s = *base;
  char v[PB_OPTION_VALUE_MAX];
  PbError e;

  if (t < 0 || t >= self->trials)
    return pb_error_set (err, PB_ERR_INVALID, "trial %d: expected 1–%d", t + 1, self->trials);
  for (int p = 0; p < self->n_params; p++)
    {
      trial_value (self, t, p, v);
      if (pb_train_settings_set_option (&s, self->params[p].name, v, &e) != PB_OK)
        return pb_error_set (err, PB_ERR_INVALID, "trial %d: parameters.%s: %s", t + 1,
                             self->params[p].name, e.message);
      if (values_out != NULL)
        snprintf (values_out[p], PB_OPTION_VALUE_MAX, "%s", v);
    }
  s.val_pairs = self->val_pairs;
  s.seed = self->seed;
  if (pb_train_settings_validate (&s, &e) != PB_OK)
    {
      /* Name what the trial set: "trial 3 (kernel 5, padding 0,1,1): …" */
      char which[256] = "";
      size_t n = 0;
      for (int p = 0; p < self->n_params && n < sizeof which; p++)
        {
          trial_value (self, t, p, v);
          n += (size_t) snprintf (which + n, sizeof which - n, "%s%s %s", p > 0 ? ", " : "",
                                  self->params[p].name, v);
        }
      return pb_error_set (err, PB_ERR_INVALID, "trial %d (%s): %s", t + 1, which, e.message);
    }
  *out = s;
  return PB_OK;
}

int
pb_sweep_n_rungs (const PbSweepConfig *self, int base_epochs)
{
  int k = 1;
  double e = self->min_epochs;

  if (self->method != PB_SWEEP_HALVING)
    return 1;
  while (e < base_epochs)
    {
      e *= self->eta;
      k++;
    }
  return self->min_epochs >= base_epochs ? 1 : k;
}

int
pb_sweep_rung_epochs (const PbSweepConfig *self, int base_epochs, int rung)
{
  double e = self->min_epochs;

  if (self->method != PB_SWEEP_HALVING)
    return base_epochs;
  for (int k = 0; k < rung && e < base_epochs; k++)
    e *= self->eta;
  return e < base_epochs ? (int) e : base_epochs;
}

int
pb_sweep_first_units (const PbSweepConfig *self, int base_epochs, PbSweepUnit *out)
{
  int epochs = pb_sweep_rung_epochs (self, base_epochs, 0);

  for (int t = 0; t < self->trials; t++)
    for (int r = 0; r < self->rounds; r++)
      out[t * self->rounds + r] = (PbSweepUnit) { .trial = t, .round = r, .rung = 0,
                                                  .epochs = epochs };
  return self->trials * self->rounds;
}

void
pb_sweep_result_to_json (const PbSweepConfig *config, const PbSweepResult *r, PbStr *out)
{
  pb_str_printf (out, "{\"trial\":%d,\"round\":%d,\"rung\":%d,\"seed\":%" PRIu64
                 ",\"settings\":{", r->trial + 1, r->round + 1, r->rung, r->seed);
  for (int p = 0; p < config->n_params && p < r->n_values; p++)
    {
      if (p > 0)
        pb_str_append (out, ",");
      pb_str_append_json_string (out, config->params[p].name);
      pb_str_append (out, ":");
      append_value (out, config->params[p].name, r->values[p]);
    }
  pb_str_printf (out, "},\"params\":%zu,\"epochs\":%d,\"val_error\":", r->params, r->epochs);
  pb_str_append_double (out, r->status == PB_OK ? r->val_error : NAN);
  pb_str_append (out, ",\"train_seconds\":");
  pb_str_append_double (out, r->train_seconds);
  pb_str_append (out, "}\n");
}

static bool
json_int (const PbJson *obj, const char *key, double min, double max, double *out)
{
  const PbJson *v = pb_json_get (obj, key);
  if (v == NULL || v->type != PB_JSON_NUMBER || v->number != floor (v->number)
      || v->number < min || v->number > max)
    return false;
  *out = v->number;
  return true;
}

PbStatus
pb_sweep_result_from_json (const PbSweepConfig *config, const PbJson *line, const char *what,
                           PbSweepResult *out, PbError *err)
{
  static const char *const keys[] = { "trial", "round", "rung", "seed", "settings", "params",
                                      "epochs", "val_error", "train_seconds", NULL };
  const PbJson *settings, *val, *secs;
  double trial, round, rung, params, epochs;
  PbSweepResult r;
  PbStatus st;

  memset (&r, 0, sizeof r);
  memset (out, 0, sizeof *out);
  if (line == NULL || line->type != PB_JSON_OBJECT)
    return pb_error_set (err, PB_ERR_FORMAT, "%s: expected a sweep result object, found %s",
                         what, type_name (line));
  if ((st = check_keys (what, "", line, keys, err)) != PB_OK)
    return PB_ERR_FORMAT;
  if (!json_int (line, "trial", 1, config->trials, &trial))
    return pb_error_set (err, PB_ERR_FORMAT, "%s: trial: expected an integer 1–%d", what,
                         config->trials);
  if (!json_int (line, "round", 1, config->rounds, &round))
    return pb_error_set (err, PB_ERR_FORMAT, "%s: round: expected an integer 1–%d", what,
                         config->rounds);
  if (!json_int (line, "rung", 0, 100, &rung))
    return pb_error_set (err, PB_ERR_FORMAT, "%s: rung: expected an integer 0–100", what);
  /* The seed is the config's seed + round − 1; a double cannot hold every uint64. */
  if (pb_json_get (line, "seed") == NULL || pb_json_get (line, "seed")->type != PB_JSON_NUMBER)
    return pb_error_set (err, PB_ERR_FORMAT, "%s: seed: expected an integer", what);
  if (!json_int (line, "params", 1, 1e12, &params))
    return pb_error_set (err, PB_ERR_FORMAT, "%s: params: expected a parameter count", what);
  if (!json_int (line, "epochs", 0, 10000, &epochs))
    return pb_error_set (err, PB_ERR_FORMAT, "%s: epochs: expected an integer 0–10000", what);
  val = pb_json_get (line, "val_error");
  if (val == NULL || (val->type != PB_JSON_NULL && (val->type != PB_JSON_NUMBER
                                                     || !(val->number >= 0 && val->number <= 1))))
    return pb_error_set (err, PB_ERR_FORMAT, "%s: val_error: expected a number 0–1 or null "
                         "(diverged)", what);
  secs = pb_json_get (line, "train_seconds");
  if (secs == NULL || (secs->type != PB_JSON_NUMBER && secs->type != PB_JSON_NULL))
    return pb_error_set (err, PB_ERR_FORMAT, "%s: train_seconds: expected a number", what);
  settings = pb_json_get (line, "settings");
  if (settings == NULL || settings->type != PB_JSON_OBJECT || settings->n != config->n_params)
    return pb_error_set (err, PB_ERR_FORMAT, "%s: settings: expected the %d swept parameters",
                         what, config->n_params);
  for (int p = 0; p < config->n_params; p++)
    {
      const char *name = config->params[p].name;
      const PbJson *v = settings->n > p && strcmp (settings->keys[p], name) == 0
                          ? &settings->items[p] : NULL;
      char t[64], key[64];
      PbError e;

      snprintf (key, sizeof key, "settings.%s", name);
      if (v != NULL && v->type == PB_JSON_NUMBER)
        pb_snprintf_c (t, sizeof t, "%.17g", v->number);
      else if (v != NULL && v->type == PB_JSON_STRING && strlen (v->string) < sizeof t)
        snprintf (t, sizeof t, "%s", v->string);
      else if (v != NULL && v->type == PB_JSON_BOOL)
        snprintf (t, sizeof t, "%s", v->boolean ? "true" : "false");
      else
        return pb_error_set (err, PB_ERR_FORMAT, "%s: %s: expected the parameter's value, in "
                             "the config's order", what, key);
      if (check_value (what, key, name, t, r.values[p], &e) != PB_OK)
        return pb_error_set (err, PB_ERR_FORMAT, "%s", e.message);
    }
  r.n_values = config->n_params;
  r.trial = (int) trial - 1;
  r.round = (int) round - 1;
  r.rung = (int) rung;
  r.seed = config->seed + (uint64_t) r.round;
  r.params = (size_t) params;
  r.epochs = (int) epochs;
  r.status = val->type == PB_JSON_NULL ? PB_ERR_DIVERGED : PB_OK;
  r.val_error = val->type == PB_JSON_NULL ? NAN : val->number;
  r.train_seconds = secs->type == PB_JSON_NUMBER ? secs->number : NAN;
  *out = r;
  return PB_OK;
}
