/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "pb-safetensors.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "safetensors data is little-endian; this code copies it as is"
#endif

#define FORMAT_NAME "pairbench-1"
#define MAX_FILE_BYTES ((size_t) 1 << 31)
#define NBT_SUFFIX "num_batches_tracked"

static const char *const kind_names[] = { "siamese", "twin", "stacked" };

void
pb_train_settings_append_json (const PbTrainSettings *s, PbStr *out)
{
  const PbArch *a = &s->arch;

  pb_str_append (out, "{\"model\":");
  pb_str_append_json_string (out, pb_arch_name (a));
  pb_str_printf (out, ",\"kind\":\"%s\",\"aux\":%s,\"aux_weight\":", kind_names[a->kind],
                 a->aux ? "true" : "false");
  pb_str_append_float (out, a->aux_weight);
  pb_str_printf (out, ",\"kernel\":%d,\"channels\":[%d,%d,%d],\"padding\":[%d,%d,%d],"
                 "\"hidden\":%d,\"dropout\":", a->kernel, a->channels[0], a->channels[1],
                 a->channels[2], a->padding[0], a->padding[1], a->padding[2], a->hidden);
  pb_str_append_float (out, a->dropout);
  pb_str_printf (out, ",\"hidden_act\":\"%s\",\"batch_norm\":%s,\"rule\":\"%s\"",
                 pb_hidden_act_name (a->hidden_act), a->batch_norm ? "true" : "false",
                 pb_rule_name (a->rule));
  pb_str_printf (out, ",\"epochs\":%d,\"batch\":%d,\"lr\":", s->epochs, s->batch);
  pb_str_append_float (out, s->lr);
  pb_str_append (out, ",\"beta1\":");
  pb_str_append_float (out, s->beta1);
  pb_str_append (out, ",\"beta2\":");
  pb_str_append_float (out, s->beta2);
  pb_str_append (out, ",\"adam_eps\":");
  pb_str_append_float (out, s->adam_eps);
  pb_str_printf (out, ",\"train_pairs\":%d,\"test_pairs\":%d,\"augment\":", s->train_pairs,
                 s->test_pairs);
  pb_str_append_float (out, s->augment_deg);
  pb_str_printf (out, ",\"seed\":%llu,\"eval_every\":%d", (unsigned long long) s->seed,
                 s->eval_every);
  pb_str_printf (out, ",\"schedule\":\"%s\",\"weight_decay\":", pb_schedule_name (s->schedule));
  pb_str_append_float (out, s->weight_decay);
  pb_str_printf (out, ",\"translate\":%d,\"scale\":", s->translate);
  pb_str_append_float (out, s->scale);
  pb_str_append (out, ",\"shear\":");
  pb_str_append_float (out, s->shear);
  pb_str_printf (out, ",\"swap\":%s,\"repair\":%s,\"val_pairs\":%d}",
                 s->swap ? "true" : "false", s->repair ? "true" : "false", s->val_pairs);
}

static PbStatus
read_int (const PbJson *obj, const char *key, int *out, const char *what, PbError *err)
{
  const PbJson *v = pb_json_get (obj, key);
  if (v == NULL)
    return PB_OK;
  if (v->type != PB_JSON_NUMBER || v->number != floor (v->number) || fabs (v->number) > 1e9)
    return pb_error_set (err, PB_ERR_FORMAT, "%s: settings key '%s': expected an integer", what,
                         key);
  *out = (int) v->number;
  return PB_OK;
}

static PbStatus
read_float (const PbJson *obj, const char *key, float *out, const char *what, PbError *err)
{
  const PbJson *v = pb_json_get (obj, key);
  if (v == NULL)
    return PB_OK;
  if (v->type != PB_JSON_NUMBER)
    return pb_error_set (err, PB_ERR_FORMAT, "%s: settings key '%s': expected a number", what,
                         key);
  *out = (float) v->number;
  return PB_OK;
}

static PbStatus
read_bool (const PbJson *obj, const char *key, bool *out, const char *what, PbError *err)
{
  const PbJson *v = pb_json_get (obj, key);
  if (v == NULL)
    return PB_OK;
  if (v->type != PB_JSON_BOOL)
    return pb_error_set (err, PB_ERR_FORMAT, "%s: settings key '%s': expected true or false",
                         what, key);
  *out = v->boolean;
  return PB_OK;
}

static PbStatus
read_int3 (const PbJson *obj, const char *key, int out[3], const char *what, PbError *err)
{
  const PbJson *v = pb_json_get (obj, key);
  if (v == NULL)
    return PB_OK;
  if (v->type != PB_JSON_ARRAY || v->n != 3)
    return pb_error_set (err, PB_ERR_FORMAT, "%s: settings key '%s': expected 3 integers", what,
                         key);
  for (int i = 0; i < 3; i++)
    {
      double d = v->items[i].number;
      if (v->items[i].type != PB_JSON_NUMBER || d != floor (d) || fabs (d) > 1e6)
        return pb_error_set (err, PB_ERR_FORMAT, "%s: settings key '%s': expected 3 integers",
                             what, key);
      out[i] = (int) d;
    }
  return PB_OK;
}

/* The architecture's named options; absent keys keep the report's defaults. */
static PbStatus
read_arch_names (const PbJson *obj, PbArch *arch, const char *what, PbError *err)
{
  const PbJson *act = pb_json_get (obj, "hidden_act"), *rule = pb_json_get (obj, "rule");

  if (act != NULL
      && (act->type != PB_JSON_STRING
          || pb_hidden_act_from_name (act->string, &arch->hidden_act, NULL) != PB_OK))
    return pb_error_set (err, PB_ERR_FORMAT,
                         "%s: settings key 'hidden_act': expected \"none\" or \"relu\", found %s%s%s",
                         what, act->type == PB_JSON_STRING ? "\"" : "",
                         act->type == PB_JSON_STRING ? act->string : "another type",
                         act->type == PB_JSON_STRING ? "\"" : "");
  if (rule != NULL
      && (rule->type != PB_JSON_STRING
          || pb_rule_from_name (rule->string, &arch->rule, NULL) != PB_OK))
    return pb_error_set (err, PB_ERR_FORMAT, "%s: settings key 'rule': expected \"head\", "
                         "\"posterior\" or \"both\", found %s%s%s",
                         what, rule->type == PB_JSON_STRING ? "\"" : "",
                         rule->type == PB_JSON_STRING ? rule->string : "another type",
                         rule->type == PB_JSON_STRING ? "\"" : "");
  return read_bool (obj, "batch_norm", &arch->batch_norm, what, err);
}

PbStatus
pb_train_settings_from_json (const PbJson *obj, PbTrainSettings *s, const char *what,
                             PbError *err)
{
  PbStatus st;
  const char *model = pb_json_get_string (obj, "model");
  const PbJson *aux = pb_json_get (obj, "aux");
  const PbJson *schedule = pb_json_get (obj, "schedule");
  double seed;

  if (obj == NULL || obj->type != PB_JSON_OBJECT)
    return pb_error_set (err, PB_ERR_FORMAT, "%s: settings: expected a JSON object", what);
  if (model != NULL && (st = pb_arch_from_name (model, &s->arch, err)) != PB_OK)
    return pb_error_set (err, PB_ERR_FORMAT, "%s: settings: unknown model '%s'", what, model);
  if (aux != NULL && aux->type == PB_JSON_BOOL)
    s->arch.aux = aux->boolean;
  if ((st = read_float (obj, "aux_weight", &s->arch.aux_weight, what, err)) != PB_OK
      || (st = read_int (obj, "kernel", &s->arch.kernel, what, err)) != PB_OK
      || (st = read_int3 (obj, "channels", s->arch.channels, what, err)) != PB_OK
      || (st = read_int3 (obj, "padding", s->arch.padding, what, err)) != PB_OK
      || (st = read_int (obj, "hidden", &s->arch.hidden, what, err)) != PB_OK
      || (st = read_float (obj, "dropout", &s->arch.dropout, what, err)) != PB_OK
      || (st = read_arch_names (obj, &s->arch, what, err)) != PB_OK
      || (st = read_int (obj, "epochs", &s->epochs, what, err)) != PB_OK
      || (st = read_int (obj, "batch", &s->batch, what, err)) != PB_OK
      || (st = read_float (obj, "lr", &s->lr, what, err)) != PB_OK
      || (st = read_float (obj, "beta1", &s->beta1, what, err)) != PB_OK
      || (st = read_float (obj, "beta2", &s->beta2, what, err)) != PB_OK
      || (st = read_float (obj, "adam_eps", &s->adam_eps, what, err)) != PB_OK
      || (st = read_int (obj, "train_pairs", &s->train_pairs, what, err)) != PB_OK
      || (st = read_int (obj, "test_pairs", &s->test_pairs, what, err)) != PB_OK
      || (st = read_float (obj, "augment", &s->augment_deg, what, err)) != PB_OK
      || (st = read_int (obj, "eval_every", &s->eval_every, what, err)) != PB_OK
      || (st = read_float (obj, "weight_decay", &s->weight_decay, what, err)) != PB_OK
      || (st = read_int (obj, "translate", &s->translate, what, err)) != PB_OK
      || (st = read_float (obj, "scale", &s->scale, what, err)) != PB_OK
      || (st = read_float (obj, "shear", &s->shear, what, err)) != PB_OK
      || (st = read_bool (obj, "swap", &s->swap, what, err)) != PB_OK
      || (st = read_bool (obj, "repair", &s->repair, what, err)) != PB_OK
      || (st = read_int (obj, "val_pairs", &s->val_pairs, what, err)) != PB_OK)
    return st;
  if (schedule != NULL
      && (schedule->type != PB_JSON_STRING
          || !pb_schedule_from_name (schedule->string, &s->schedule)))
    return pb_error_set (err, PB_ERR_FORMAT, "%s: settings key 'schedule': expected \"constant\" "
                         "or \"cosine\"", what);
  seed = pb_json_get_number (obj, "seed", (double) s->seed);
  if (!(seed >= 0 && seed < 1.8e19 && seed == floor (seed)))
    return pb_error_set (err, PB_ERR_FORMAT, "%s: settings key 'seed': expected an integer ≥ 0",
                         what);
  s->seed = (uint64_t) seed;
  return PB_OK;
}

/* Saving */

static bool
is_running_var (const PbTensorInfo *t)
{
  static const char suffix[] = ".running_var";
  size_t n = strlen (t->name), k = sizeof suffix - 1;
  return n > k && strcmp (t->name + n - k, suffix) == 0;
}

/* "trunk_a.bn2.running_var" → "trunk_a.bn2.num_batches_tracked" */
static void
nbt_name (const char *running_var, char *out, size_t n)
{
  size_t keep = strlen (running_var) - strlen ("running_var");
  snprintf (out, n, "%.*s" NBT_SUFFIX, (int) keep, running_var);
}

static int
trunk_of (const PbModel *model, const char *name)
{
  for (int t = 0; t < pb_model_n_trunks (model); t++)
    {
      const char *prefix = pb_model_trunk_prefix (model, t);
      size_t n = strlen (prefix);
      if (strncmp (name, prefix, n) == 0 && name[n] == '.')
        return t;
    }
  return -1;
}

PbStatus
pb_safetensors_save (const char *path, PbModel *model, const PbTrainSettings *settings,
                     double input_mean, double input_std, PbError *err)
{
  return pb_safetensors_save_with_lr (path, model, settings, input_mean, input_std, NULL, 0, err);
}

static void
append_lr_changes (const PbLrChange *changes, int n, PbStr *out)
{
  pb_str_append (out, "[");
  for (int i = 0; i < n; i++)
    {
      pb_str_printf (out, "%s{\"step\":%d,\"epoch\":%d,\"lr\":", i > 0 ? "," : "",
                     changes[i].step, changes[i].epoch);
      pb_str_append_float (out, changes[i].lr);
      pb_str_append (out, "}");
    }
  pb_str_append (out, "]");
}

/* "lr_changes": a JSON array in a string, as every __metadata__ value is a string. */
static PbStatus
read_lr_changes (const char *text, const char *what, PbWeightsInfo *info, PbError *err)
{
  PbJson *list = NULL;
  char lwhat[300];
  PbStatus st;

  snprintf (lwhat, sizeof lwhat, "%s: __metadata__ lr_changes", what);
  if ((st = pb_json_parse (text, strlen (text), lwhat, &list, err)) != PB_OK)
    return st;
  if (list->type != PB_JSON_ARRAY || list->n > PB_MAX_LR_CHANGES)
    st = pb_error_set (err, PB_ERR_FORMAT, "%s: expected an array of at most %d changes", lwhat,
                       PB_MAX_LR_CHANGES);
  for (int i = 0; st == PB_OK && i < list->n; i++)
    {
      const PbJson *c = &list->items[i];
      double step = pb_json_get_number (c, "step", -1.0);
      double epoch = pb_json_get_number (c, "epoch", -1.0);
      double lr = pb_json_get_number (c, "lr", NAN);

      if (c->type != PB_JSON_OBJECT || !(step >= 0 && step <= 1e9 && step == floor (step))
          || !(epoch >= 1 && epoch <= 1e9 && epoch == floor (epoch)) || !(lr > 0.0)
          || !isfinite (lr))
        st = pb_error_set (err, PB_ERR_FORMAT, "%s[%d]: expected {\"step\": integer ≥ 0, "
                           "\"epoch\": integer ≥ 1, \"lr\": number > 0}", lwhat, i);
      else
        info->lr_changes[i] = (PbLrChange) { .step = (int) step, .epoch = (int) epoch,
                                             .lr = (float) lr };
    }
  if (st == PB_OK)
    info->n_lr_changes = list->n;
  pb_json_free (list);
  return st;
}

PbStatus
pb_safetensors_save_with_lr (const char *path, PbModel *model, const PbTrainSettings *settings,
                             double input_mean, double input_std, const PbLrChange *lr_changes,
                             int n_lr_changes, PbError *err)
{
  PbStr header, meta, body;
  size_t offset = 0;
  PbStatus st;
  char name[64];

  pb_str_init (&header);
  pb_str_init (&meta);
  pb_str_init (&body);

  pb_train_settings_append_json (settings, &meta);
  pb_str_append (&header, "{\"__metadata__\":{\"format\":\"" FORMAT_NAME "\",\"model\":");
  pb_str_append_json_string (&header, pb_arch_name (pb_model_arch (model)));
  pb_str_append (&header, ",\"input_mean\":\"");
  pb_str_append_double (&header, input_mean);
  pb_str_append (&header, "\",\"input_std\":\"");
  pb_str_append_double (&header, input_std);
  pb_str_printf (&header, "\",\"seed\":\"%llu\",\"settings\":",
                 (unsigned long long) settings->seed);
  pb_str_append_json_string (&header, meta.data != NULL ? meta.data : "{}");
  if (n_lr_changes > 0)
    {
      PbStr changes;
      pb_str_init (&changes);
      append_lr_changes (lr_changes, n_lr_changes, &changes);
      pb_str_append (&header, ",\"lr_changes\":");
      pb_str_append_json_string (&header, changes.data != NULL ? changes.data : "[]");
      meta.failed = meta.failed || changes.failed;
      pb_str_clear (&changes);
    }
  pb_str_append (&header, "}");

  for (int i = 0; i < pb_model_n_tensors (model); i++)
    {
      const PbTensorInfo *t = pb_model_tensor (model, i);
      size_t bytes = t->size * sizeof (float);

      pb_str_append (&header, ",");
      pb_str_append_json_string (&header, t->name);
      pb_str_append (&header, ":{\"dtype\":\"F32\",\"shape\":[");
      for (int d = 0; d < t->ndim; d++)
        pb_str_printf (&header, d > 0 ? ",%d" : "%d", t->shape[d]);
      pb_str_printf (&header, "],\"data_offsets\":[%zu,%zu]}", offset, offset + bytes);
      pb_str_append_len (&body, (const char *) pb_model_tensor_data (model, i), bytes);
      offset += bytes;

      if (is_running_var (t))
        {
          int64_t tracked = pb_model_batches_tracked (model, trunk_of (model, t->name));
          nbt_name (t->name, name, sizeof name);
          pb_str_append (&header, ",");
          pb_str_append_json_string (&header, name);
          pb_str_printf (&header, ":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[%zu,%zu]}",
                         offset, offset + sizeof tracked);
          pb_str_append_len (&body, (const char *) &tracked, sizeof tracked);
          offset += sizeof tracked;
        }
    }
  pb_str_append (&header, "}");
  while (header.len % 8 != 0)
    pb_str_append (&header, " ");

  if (header.failed || body.failed || meta.failed)
    st = pb_error_set (err, PB_ERR_NOMEM, "%s: out of memory building the file", path);
  else
    {
      PbStr file;
      uint64_t hlen = header.len;
      pb_str_init (&file);
      pb_str_append_len (&file, (const char *) &hlen, sizeof hlen);
      pb_str_append_len (&file, header.data, header.len);
      pb_str_append_len (&file, body.data, body.len);
      st = file.failed ? pb_error_set (err, PB_ERR_NOMEM, "%s: out of memory", path)
                       : pb_write_file_atomic (path, file.data, file.len, err);
      pb_str_clear (&file);
    }
  pb_str_clear (&header);
  pb_str_clear (&meta);
  pb_str_clear (&body);
  return st;
}

/* Loading */

typedef struct
{
  size_t begin, end;
  const char *name;
} Span;

static int
compare_spans (const void *a, const void *b)
{
  const Span *x = a, *y = b;
  return x->begin < y->begin ? -1 : x->begin > y->begin ? 1 : (x->end > y->end) - (x->end < y->end);
}

static PbStatus
parse_offsets (const PbJson *entry, const char *name, size_t data_len, Span *span,
               const char *text, const char *what, PbError *err)
{
  const PbJson *off = pb_json_get (entry, "data_offsets");
  double b, e;

  if (off == NULL || off->type != PB_JSON_ARRAY || off->n != 2
      || off->items[0].type != PB_JSON_NUMBER || off->items[1].type != PB_JSON_NUMBER)
    return pb_error_set (err, PB_ERR_FORMAT, "%s: tensor '%s': expected \"data_offsets\": "
                         "[begin, end]", what, name);
  b = off->items[0].number;
  e = off->items[1].number;
  if (!(b >= 0 && e >= b && b == floor (b) && e == floor (e) && e <= (double) data_len))
    return pb_error_set (err, PB_ERR_FORMAT, "%s: tensor '%s': data_offsets [%.*s, %.*s] lie "
                         "outside the %zu bytes of data", what, name,
                         (int) off->items[0].length, text + off->items[0].offset,
                         (int) off->items[1].length, text + off->items[1].offset, data_len);
  span->begin = (size_t) b;
  span->end = (size_t) e;
  span->name = name;
  return PB_OK;
}

/* text: the header the entry was parsed from; the message quotes its digits. */
static PbStatus
check_shape (const PbJson *entry, const char *name, const int *shape, int ndim, const char *text,
             const char *what, PbError *err)
{
  const PbJson *sh = pb_json_get (entry, "shape");
  char expected[64] = "", found[256] = "";
  bool ok;

  if (sh == NULL || sh->type != PB_JSON_ARRAY)
    return pb_error_set (err, PB_ERR_FORMAT, "%s: tensor '%s': expected a \"shape\" array",
                         what, name);
  ok = sh->n == ndim;
  for (int d = 0; d < ndim; d++)
    {
      size_t n = strlen (expected);
      snprintf (expected + n, sizeof expected - n, d > 0 ? ", %d" : "%d", shape[d]);
    }
  for (int d = 0; d < sh->n && d < 8; d++)
    {
      size_t n = strlen (found);
      if (sh->items[d].type != PB_JSON_NUMBER)
        ok = false;
      else
        snprintf (found + n, sizeof found - n, d > 0 ? ", %.*s" : "%.*s",
                  (int) sh->items[d].length, text + sh->items[d].offset);
      if (d < ndim && (sh->items[d].type != PB_JSON_NUMBER || sh->items[d].number != shape[d]))
        ok = false;
    }
  if (!ok)
    return pb_error_set (err, PB_ERR_FORMAT, "%s: tensor '%s': expected shape [%s], found [%s%s]",
                         what, name, expected, found, sh->n > 8 ? ", …" : "");
  return PB_OK;
}

PbStatus
pb_safetensors_load_bytes (const uint8_t *data, size_t len, const char *what, int max_batch,
                           PbModel **model_out, PbWeightsInfo *info, PbError *err)
{
  PbJson *header = NULL;
  PbModel *model = NULL;
  Span *spans = NULL;
  bool *seen = NULL;
  int n_spans = 0;
  uint64_t hlen;
  PbStatus st;

  *model_out = NULL;
  if (len < 8)
    return pb_error_set (err, PB_ERR_FORMAT, "%s: expected at least 8 bytes (the header length), "
                         "found %zu", what, len);
  memcpy (&hlen, data, 8);
  if (hlen > len - 8)
    return pb_error_set (err, PB_ERR_FORMAT, "%s: byte 0: header length %llu runs past the end "
                         "of the %zu-byte file", what, (unsigned long long) hlen, len);
  char hwhat[300];
  snprintf (hwhat, sizeof hwhat, "%s: JSON header", what);
  if ((st = pb_json_parse ((const char *) data + 8, (size_t) hlen, hwhat, &header, err)) != PB_OK)
    goto out;
  if (header->type != PB_JSON_OBJECT)
    {
      st = pb_error_set (err, PB_ERR_FORMAT, "%s: the header is not a JSON object", what);
      goto out;
    }

  const PbJson *meta = pb_json_get (header, "__metadata__");
  const char *model_name = pb_json_get_string (meta, "model");
  const char *settings_json = pb_json_get_string (meta, "settings");
  const char *seed_str = pb_json_get_string (meta, "seed");
  const char *mean_str = pb_json_get_string (meta, "input_mean");
  const char *std_str = pb_json_get_string (meta, "input_std");
  const char *lr_changes_str = pb_json_get_string (meta, "lr_changes");

  if (meta == NULL || meta->type != PB_JSON_OBJECT || model_name == NULL)
    {
      st = pb_error_set (err, PB_ERR_FORMAT, "%s: expected __metadata__ with a \"model\" name, "
                         "found none", what);
      goto out;
    }
  for (int i = 0; i < meta->n; i++)
    if (meta->items[i].type != PB_JSON_STRING)
      {
        st = pb_error_set (err, PB_ERR_FORMAT, "%s: __metadata__ key '%s': expected a string "
                           "value", what, meta->keys[i]);
        goto out;
      }
  if ((st = pb_train_settings_init (&info->settings, model_name, err)) != PB_OK)
    {
      st = pb_error_set (err, PB_ERR_FORMAT, "%s: __metadata__ names the unknown model '%s'; "
                         "expected one of siamese, siamese-aux, twin, twin-aux, stacked, "
                         "stacked-aux", what, model_name);
      goto out;
    }
  if (settings_json != NULL)
    {
      PbJson *sj = NULL;
      char swhat[300];
      snprintf (swhat, sizeof swhat, "%s: __metadata__ settings", what);
      if ((st = pb_json_parse (settings_json, strlen (settings_json), swhat, &sj, err)) != PB_OK)
        goto out;
      st = pb_train_settings_from_json (sj, &info->settings, what, err);
      pb_json_free (sj);
      if (st != PB_OK)
        goto out;
      if (strcmp (pb_arch_name (&info->settings.arch), model_name) != 0)
        {
          st = pb_error_set (err, PB_ERR_FORMAT, "%s: __metadata__ says model '%s' but its "
                             "settings describe '%s'", what, model_name,
                             pb_arch_name (&info->settings.arch));
          goto out;
        }
    }
  info->input_mean = 0.0;
  info->input_std = 1.0;
  if (mean_str != NULL)
    info->input_mean = pb_strtod_c (mean_str, NULL);
  if (std_str != NULL)
    info->input_std = pb_strtod_c (std_str, NULL);
  if (!isfinite (info->input_mean) || !(info->input_std > 0.0) || !isfinite (info->input_std))
    {
      st = pb_error_set (err, PB_ERR_FORMAT, "%s: __metadata__ input_mean/input_std: expected "
                         "finite numbers with std > 0, found '%s' and '%s'", what,
                         mean_str ? mean_str : "", std_str ? std_str : "");
      goto out;
    }
  info->seed = seed_str != NULL ? strtoull (seed_str, NULL, 10) : info->settings.seed;
  info->settings.seed = info->seed;
  info->n_lr_changes = 0;
  if (lr_changes_str != NULL && (st = read_lr_changes (lr_changes_str, what, info, err)) != PB_OK)
    goto out;

  /* A few bytes of settings can describe a model of gigabytes: check it against the data first. */
  if (pb_arch_validate (&info->settings.arch, NULL) == PB_OK)
    {
      size_t need = pb_arch_param_count (&info->settings.arch) * sizeof (float);
      size_t have = len - 8 - (size_t) hlen;
      if (need > have)
        {
          st = pb_error_set (err, PB_ERR_FORMAT, "%s: the settings describe a '%s' model of %zu "
                             "bytes of parameters, the file holds only %zu bytes of tensor data",
                             what, model_name, need, have);
          goto out;
        }
    }

  if ((st = pb_model_new (&info->settings.arch, max_batch, &model, err)) != PB_OK)
    {
      st = pb_error_set (err, PB_ERR_FORMAT, "%s: the settings describe no valid model: %s",
                         what, err != NULL ? err->message : "");
      goto out;
    }

  const uint8_t *body = data + 8 + hlen;
  size_t body_len = len - 8 - (size_t) hlen;
  int n_tensors = pb_model_n_tensors (model);
  spans = calloc ((size_t) header->n + 1, sizeof *spans);
  seen = calloc ((size_t) n_tensors + 1, sizeof *seen);
  if (spans == NULL || seen == NULL)
    {
      st = pb_error_set (err, PB_ERR_NOMEM, "%s: out of memory", what);
      goto out;
    }

  for (int k = 0; k < header->n; k++)
    {
      const char *name = header->keys[k];
      const PbJson *entry = &header->items[k];
      const char *dtype = pb_json_get_string (entry, "dtype");
      Span span;
      int ti;

      if (strcmp (name, "__metadata__") == 0)
        continue;
      if (entry->type != PB_JSON_OBJECT || dtype == NULL)
        {
          st = pb_error_set (err, PB_ERR_FORMAT, "%s: tensor '%s': expected an object with a "
                             "\"dtype\"", what, name);
          goto out;
        }
      if ((st = parse_offsets (entry, name, body_len, &span, (const char *) data + 8, what,
                               err)) != PB_OK)
        goto out;
      spans[n_spans++] = span;

      ti = pb_model_find_tensor (model, name);
      if (ti >= 0)
        {
          const PbTensorInfo *t = pb_model_tensor (model, ti);
          if (strcmp (dtype, "F32") != 0)
            {
              st = pb_error_set (err, PB_ERR_FORMAT, "%s: tensor '%s': expected dtype F32, "
                                 "found %s", what, name, dtype);
              goto out;
            }
          if ((st = check_shape (entry, name, t->shape, t->ndim, (const char *) data + 8, what, err)) != PB_OK)
            goto out;
          if (span.end - span.begin != t->size * sizeof (float))
            {
              st = pb_error_set (err, PB_ERR_FORMAT, "%s: tensor '%s': expected %zu bytes, the "
                                 "offsets span %zu", what, name, t->size * sizeof (float),
                                 span.end - span.begin);
              goto out;
            }
          memcpy (pb_model_tensor_data (model, ti), body + span.begin, span.end - span.begin);
          seen[ti] = true;
          continue;
        }

      size_t nlen = strlen (name), slen = strlen (NBT_SUFFIX);
      int trunk = trunk_of (model, name);
      if (nlen > slen && strcmp (name + nlen - slen, NBT_SUFFIX) == 0 && trunk >= 0)
        {
          char rv[64];
          snprintf (rv, sizeof rv, "%.*srunning_var", (int) (nlen - slen), name);
          if (pb_model_find_tensor (model, rv) >= 0)
            {
              int64_t tracked;
              if (strcmp (dtype, "I64") != 0 || span.end - span.begin != 8)
                {
                  st = pb_error_set (err, PB_ERR_FORMAT, "%s: tensor '%s': expected one I64, "
                                     "found %s with %zu bytes", what, name, dtype,
                                     span.end - span.begin);
                  goto out;
                }
              memcpy (&tracked, body + span.begin, 8);
              pb_model_set_batches_tracked (model, trunk, tracked);
              continue;
            }
        }
      st = pb_error_set (err, PB_ERR_FORMAT, "%s: unexpected tensor '%s' for model '%s'", what,
                         name, model_name);
      goto out;
    }

  for (int i = 0; i < n_tensors; i++)
    if (!seen[i])
      {
        st = pb_error_set (err, PB_ERR_FORMAT, "%s: tensor '%s' is missing for model '%s'", what,
                           pb_model_tensor (model, i)->name, model_name);
        goto out;
      }

  qsort (spans, (size_t) n_spans, sizeof *spans, compare_spans);
  for (int i = 1; i < n_spans; i++)
    if (spans[i].begin < spans[i - 1].end)
      {
        st = pb_error_set (err, PB_ERR_FORMAT, "%s: tensors '%s' and '%s' overlap in the data",
                           what, spans[i - 1].name, spans[i].name);
        goto out;
      }

  for (int i = 0; i < n_tensors; i++)
    {
      const float *v = pb_model_tensor_data (model, i);
      for (size_t j = 0; j < pb_model_tensor (model, i)->size; j++)
        if (!isfinite (v[j]))
          {
            st = pb_error_set (err, PB_ERR_FORMAT, "%s: tensor '%s' holds a non-finite value at "
                               "index %zu", what, pb_model_tensor (model, i)->name, j);
            goto out;
          }
    }

  *model_out = model;
  model = NULL;
  st = PB_OK;

out:
  pb_model_free (model);
  pb_json_free (header);
  free (spans);
  free (seen);
  return st;
}

PbStatus
pb_safetensors_load (const char *path, int max_batch, PbModel **model, PbWeightsInfo *info,
                     PbError *err)
{
  FILE *f = fopen (path, "rb");
  uint8_t *data = NULL;
  size_t cap = 0, len = 0;
  PbStatus st;

  *model = NULL;
  if (f == NULL)
    return pb_error_set (err, PB_ERR_IO, "%s: cannot open: %s", path, strerror (errno));
  for (;;)
    {
      if (len == cap)
        {
          size_t ncap = cap == 0 ? 1 << 20 : cap * 2;
          uint8_t *grown;
          if (ncap > MAX_FILE_BYTES)
            {
              fclose (f);
              free (data);
              return pb_error_set (err, PB_ERR_FORMAT, "%s: expected a weights file under 2 GiB",
                                   path);
            }
          grown = realloc (data, ncap);
          if (grown == NULL)
            {
              fclose (f);
              free (data);
              return pb_error_set (err, PB_ERR_NOMEM, "%s: out of memory reading it", path);
            }
          data = grown;
          cap = ncap;
        }
      size_t got = fread (data + len, 1, cap - len, f);
      len += got;
      if (got == 0)
        break;
    }
  if (ferror (f))
    {
      int e = errno;
      fclose (f);
      free (data);
      return pb_error_set (err, PB_ERR_IO, "%s: cannot read: %s", path, strerror (e));
    }
  fclose (f);
  st = pb_safetensors_load_bytes (data, len, path, max_batch, model, info, err);
  free (data);
  return st;
}
