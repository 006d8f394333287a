/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "pb-options.h"

#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pb-json.h"

static const char *const hidden_act_names[] = { "none", "relu", NULL };
static const char *const on_off[] = { "on", "off", NULL };
static const char *const rule_names[] = { "head", "posterior", "both", NULL };
static const char *const schedule_names[] = { "constant", "cosine", NULL };
static const char *const model_names[] = { "siamese", "siamese-aux", "twin", "twin-aux",
                                           "stacked", "stacked-aux", NULL };

/* The order of train --help. */
static const PbOptionInfo options[] = {
  { "model", PB_OPTION_CHOICE, 0, 0, false, model_names, NULL },
  { "epochs", PB_OPTION_INT, 1, 10000, false, NULL, NULL },
  { "batch", PB_OPTION_INT, 1, PB_MAX_PAIRS, false, NULL, NULL },
  { "lr", PB_OPTION_REAL, 0, FLT_MAX, true, NULL, NULL },
  { "pairs", PB_OPTION_INT, 1, PB_MAX_PAIRS, false, NULL, NULL },
  { "test-pairs", PB_OPTION_INT, 1, PB_MAX_PAIRS, false, NULL, NULL },
  { "augment", PB_OPTION_REAL, 0, 180, false, NULL, "degrees in 0–180" },
  { "eval-every", PB_OPTION_INT, 0, 10000, false, NULL, NULL },
  { "aux-weight", PB_OPTION_REAL, 0, FLT_MAX, false, NULL, NULL },
  { "dropout", PB_OPTION_REAL, 0, 0.99, false, NULL, "a rate in 0–0.99" },
  { "kernel", PB_OPTION_INT, 1, 7, false, NULL, NULL },
  { "padding", PB_OPTION_INT3, 0, 7, false, NULL, NULL },
  { "channels", PB_OPTION_INT3, 1, 1024, false, NULL, NULL },
  { "hidden", PB_OPTION_INT, 1, 4096, false, NULL, NULL },
  { "hidden-act", PB_OPTION_CHOICE, 0, 0, false, hidden_act_names, NULL },
  { "batch-norm", PB_OPTION_CHOICE, 0, 0, false, on_off, NULL },
  { "rule", PB_OPTION_CHOICE, 0, 0, false, rule_names, NULL },
  { "schedule", PB_OPTION_CHOICE, 0, 0, false, schedule_names, NULL },
  { "weight-decay", PB_OPTION_REAL, 0, PB_MAX_WEIGHT_DECAY, false, NULL, "a number in 0–1" },
  { "translate", PB_OPTION_INT, 0, PB_MAX_TRANSLATE, false, NULL, "pixels 0–7" },
  { "scale", PB_OPTION_REAL, 0, PB_MAX_SCALE, false, NULL, "a fraction in 0–0.5" },
  { "shear", PB_OPTION_REAL, 0, PB_MAX_SHEAR, false, NULL, "a factor in 0–1" },
  { "swap", PB_OPTION_FLAG, 0, 0, false, NULL, NULL },
  { "repair", PB_OPTION_FLAG, 0, 0, false, NULL, NULL },
  { "val-pairs", PB_OPTION_INT, 0, PB_MAX_PAIRS, false, NULL, NULL },
  { "seed", PB_OPTION_SEED, 0, 0, false, NULL, NULL },
};

#define N_OPTIONS ((int) (sizeof options / sizeof options[0]))

const PbOptionInfo *
pb_options (int *n_out)
{
  if (n_out != NULL)
    *n_out = N_OPTIONS;
  return options;
}

const PbOptionInfo *
pb_option_lookup (const char *name)
{
  for (int i = 0; name != NULL && i < N_OPTIONS; i++)
    if (strcmp (options[i].name, name) == 0)
      return &options[i];
  return NULL;
}

static bool
parse_long (const char *s, double min, double max, long *out)
{
  char *end;
  long v;

  if (s == NULL || *s == '\0')
    return false;
  errno = 0;
  v = strtol (s, &end, 10);
  if (errno != 0 || *end != '\0' || v < min || v > max)
    return false;
  *out = v;
  return true;
}

static bool
parse_real (const PbOptionInfo *o, const char *s, double *out)
{
  char *end;
  double v;

  if (s == NULL || *s == '\0')
    return false;
  v = pb_strtod_c (s, &end);
  if (*end != '\0' || !isfinite (v) || v > o->max || v < o->min
      || (o->min_exclusive && v == o->min))
    return false;
  *out = v;
  return true;
}

static bool
parse_int3 (const PbOptionInfo *o, const char *s, int out[3])
{
  char buf[PB_OPTION_VALUE_MAX], *save = NULL, *tok;
  int k = 0, v[3];
  long n;

  if (s == NULL || strlen (s) >= sizeof buf)
    return false;
  snprintf (buf, sizeof buf, "%s", s);
  for (tok = strtok_r (buf, ",", &save); tok != NULL; tok = strtok_r (NULL, ",", &save))
    {
      if (k == 3 || !parse_long (tok, o->min, o->max, &n))
        return false;
      v[k++] = (int) n;
    }
  if (k != 3)
    return false;
  memcpy (out, v, sizeof v);
  return true;
}

static int
choice_index (const PbOptionInfo *o, const char *s)
{
  for (int i = 0; s != NULL && o->choices[i] != NULL; i++)
    if (strcmp (o->choices[i], s) == 0)
      return i;
  return -1;
}

/* "--lr: expected a finite number > 0, got 'x'", the CLI's wording. */
static PbStatus
refuse (const PbOptionInfo *o, const char *value, PbError *err)
{
  char what[160];

  if (o->expected != NULL)
    return pb_error_set (err, PB_ERR_INVALID, "--%s: expected %s, got '%s'", o->name,
                         o->expected, value != NULL ? value : "");
  switch (o->kind)
    {
    case PB_OPTION_INT:
      snprintf (what, sizeof what, "an integer %.0f–%.0f", o->min, o->max);
      break;
    case PB_OPTION_REAL:
      if (o->max >= FLT_MAX)
        snprintf (what, sizeof what, "a finite number %s %g", o->min_exclusive ? ">" : "≥",
                  o->min);
      else
        snprintf (what, sizeof what, "a number in %g–%g", o->min, o->max);
      break;
    case PB_OPTION_INT3:
      snprintf (what, sizeof what, "three integers %.0f–%.0f like %s", o->min, o->max,
                o->min > 0 ? "16,64,128" : "0,1,1");
      break;
    case PB_OPTION_CHOICE:
      {
        size_t n = 0;
        for (int i = 0; o->choices[i] != NULL && n < sizeof what; i++)
          n += (size_t) snprintf (what + n, sizeof what - n, "%s%s",
                                  i == 0 ? "" : o->choices[i + 1] == NULL ? " or " : ", ",
                                  o->choices[i]);
      }
      break;
    case PB_OPTION_FLAG:
      snprintf (what, sizeof what, "true or false");
      break;
    case PB_OPTION_SEED:
    default:
      snprintf (what, sizeof what, "an integer 0–%" PRIu64, UINT64_MAX);
      break;
    }
  return pb_error_set (err, PB_ERR_INVALID, "--%s: expected %s, got '%s'", o->name, what,
                       value != NULL ? value : "");
}

static bool
parse_seed (const char *s, uint64_t *out)
{
  char *end;
  unsigned long long v;

  if (s == NULL || *s < '0' || *s > '9')
    return false;
  errno = 0;
  v = strtoull (s, &end, 10);
  if (errno != 0 || *end != '\0' || v > UINT64_MAX)
    return false;
  *out = (uint64_t) v;
  return true;
}

static int *
int_field (PbTrainSettings *s, const char *name)
{
  if (strcmp (name, "epochs") == 0)
    return &s->epochs;
  if (strcmp (name, "batch") == 0)
    return &s->batch;
  if (strcmp (name, "pairs") == 0)
    return &s->train_pairs;
  if (strcmp (name, "test-pairs") == 0)
    return &s->test_pairs;
  if (strcmp (name, "eval-every") == 0)
    return &s->eval_every;
  if (strcmp (name, "kernel") == 0)
    return &s->arch.kernel;
  if (strcmp (name, "hidden") == 0)
    return &s->arch.hidden;
  if (strcmp (name, "translate") == 0)
    return &s->translate;
  if (strcmp (name, "val-pairs") == 0)
    return &s->val_pairs;
  if (strcmp (name, "padding") == 0)
    return s->arch.padding;
  if (strcmp (name, "channels") == 0)
    return s->arch.channels;
  return NULL;
}

static float *
real_field (PbTrainSettings *s, const char *name)
{
  if (strcmp (name, "lr") == 0)
    return &s->lr;
  if (strcmp (name, "augment") == 0)
    return &s->augment_deg;
  if (strcmp (name, "aux-weight") == 0)
    return &s->arch.aux_weight;
  if (strcmp (name, "dropout") == 0)
    return &s->arch.dropout;
  if (strcmp (name, "weight-decay") == 0)
    return &s->weight_decay;
  if (strcmp (name, "scale") == 0)
    return &s->scale;
  if (strcmp (name, "shear") == 0)
    return &s->shear;
  return NULL;
}

static bool *
flag_field (PbTrainSettings *s, const char *name)
{
  return strcmp (name, "swap") == 0 ? &s->swap : strcmp (name, "repair") == 0 ? &s->repair : NULL;
}

static PbStatus
set_choice (PbTrainSettings *s, const PbOptionInfo *o, int k)
{
  const char *v = o->choices[k];
  PbError ignored;

  if (strcmp (o->name, "model") == 0)
    {
      PbArch named;
      pb_arch_from_name (v, &named, &ignored);
      s->arch.kind = named.kind;
      s->arch.aux = named.aux;
    }
  else if (strcmp (o->name, "hidden-act") == 0)
    pb_hidden_act_from_name (v, &s->arch.hidden_act, &ignored);
  else if (strcmp (o->name, "batch-norm") == 0)
    s->arch.batch_norm = k == 0;
  else if (strcmp (o->name, "rule") == 0)
    pb_rule_from_name (v, &s->arch.rule, &ignored);
  else
    pb_schedule_from_name (v, &s->schedule);
  return PB_OK;
}

PbStatus
pb_train_settings_set_option (PbTrainSettings *s, const char *name, const char *value,
                              PbError *err)
{
  const PbOptionInfo *o = pb_option_lookup (name);
  long n;
  double d;
  int k;

  if (o == NULL)
    return pb_error_set (err, PB_ERR_INVALID, "unknown option '%s'", name != NULL ? name : "");
  switch (o->kind)
    {
    case PB_OPTION_INT:
      if (!parse_long (value, o->min, o->max, &n))
        return refuse (o, value, err);
      *int_field (s, name) = (int) n;
      return PB_OK;
    case PB_OPTION_INT3:
      if (!parse_int3 (o, value, int_field (s, name)))
        return refuse (o, value, err);
      return PB_OK;
    case PB_OPTION_REAL:
      if (!parse_real (o, value, &d))
        return refuse (o, value, err);
      *real_field (s, name) = (float) d;
      return PB_OK;
    case PB_OPTION_CHOICE:
      if ((k = choice_index (o, value)) < 0)
        return refuse (o, value, err);
      return set_choice (s, o, k);
    case PB_OPTION_FLAG:
      if (value == NULL || (strcmp (value, "true") != 0 && strcmp (value, "false") != 0))
        return refuse (o, value, err);
      *flag_field (s, name) = strcmp (value, "true") == 0;
      return PB_OK;
    case PB_OPTION_SEED:
    default:
      if (!parse_seed (value, &s->seed))
        return refuse (o, value, err);
      return PB_OK;
    }
}

static void
format_float (float v, char *buf, size_t size)
{
  for (int p = 1; p <= 9; p++)
    {
      pb_snprintf_c (buf, size, "%.*g", p, (double) v);
      if (strtof (buf, NULL) == v)
        return;
    }
}

void
pb_train_settings_get_option (const PbTrainSettings *s, const char *name, char *buf, size_t size)
{
  const PbOptionInfo *o = pb_option_lookup (name);
  PbTrainSettings *m = (PbTrainSettings *) s;  /* the field lookups only read through it */

  if (size == 0)
    return;
  buf[0] = '\0';
  if (o == NULL)
    return;
  switch (o->kind)
    {
    case PB_OPTION_INT:
      snprintf (buf, size, "%d", *int_field (m, name));
      break;
    case PB_OPTION_INT3:
      {
        const int *v = int_field (m, name);
        snprintf (buf, size, "%d,%d,%d", v[0], v[1], v[2]);
      }
      break;
    case PB_OPTION_REAL:
      format_float (*real_field (m, name), buf, size);
      break;
    case PB_OPTION_FLAG:
      snprintf (buf, size, "%s", *flag_field (m, name) ? "true" : "false");
      break;
    case PB_OPTION_SEED:
      snprintf (buf, size, "%" PRIu64, s->seed);
      break;
    case PB_OPTION_CHOICE:
    default:
      if (strcmp (name, "model") == 0)
        snprintf (buf, size, "%s", pb_arch_name (&s->arch));
      else if (strcmp (name, "hidden-act") == 0)
        snprintf (buf, size, "%s", pb_hidden_act_name (s->arch.hidden_act));
      else if (strcmp (name, "batch-norm") == 0)
        snprintf (buf, size, "%s", s->arch.batch_norm ? "on" : "off");
      else if (strcmp (name, "rule") == 0)
        snprintf (buf, size, "%s", pb_rule_name (s->arch.rule));
      else
        snprintf (buf, size, "%s", pb_schedule_name (s->schedule));
      break;
    }
}

bool
pb_train_settings_option_equal (const PbTrainSettings *a, const PbTrainSettings *b,
                                const char *name)
{
  char va[PB_OPTION_VALUE_MAX], vb[PB_OPTION_VALUE_MAX];

  pb_train_settings_get_option (a, name, va, sizeof va);
  pb_train_settings_get_option (b, name, vb, sizeof vb);
  return strcmp (va, vb) == 0;
}
