/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "pb-shard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FILE_BYTES ((size_t) 1 << 30)

/* Digits only, no sign, no leading '+', at most max. */
static bool
parse_count (const char *s, const char *end, long max, long *out)
{
  long v = 0;

  if (s == end)
    return false;
  for (const char *c = s; c < end; c++)
    {
      if (*c < '0' || *c > '9')
        return false;
      v = v * 10 + (*c - '0');
      if (v > max)
        return false;
    }
  *out = v;
  return true;
}

PbStatus
pb_shard_parse (const char *text, PbShard *out, PbError *err)
{
  const char *slash = text != NULL ? strchr (text, '/') : NULL;
  long k, n;

  if (slash == NULL || !parse_count (text, slash, PB_SHARD_MAX, &k)
      || !parse_count (slash + 1, slash + strlen (slash), PB_SHARD_MAX, &n) || k < 1 || k > n)
    return pb_error_set (err, PB_ERR_INVALID, "--shard: expected K/N with 1 ≤ K ≤ N ≤ %d, "
                         "got '%s'", PB_SHARD_MAX, text != NULL ? text : "");
  out->k = (int) k;
  out->n = (int) n;
  return PB_OK;
}

bool
pb_shard_owns (const PbShard *self, long unit)
{
  return unit >= 1 && (unit - 1) % self->n + 1 == self->k;
}

uint64_t
pb_hash64 (const void *data, size_t len)
{
  const unsigned char *p = data;
  uint64_t h = 14695981039346656037ull;

  for (size_t i = 0; i < len; i++)
    {
      h ^= p[i];
      h *= 1099511628211ull;
    }
  return h;
}

void
pb_shard_header_append (PbStr *out, const char *kind, const char *build, uint64_t hash,
                        const PbShard *shard, const long *units, int n_units)
{
  pb_str_printf (out, "\"format\":\"%s\",\"version\":%d,\"kind\":", PB_SHARD_FORMAT,
                 PB_SHARD_VERSION);
  pb_str_append_json_string (out, kind);
  pb_str_append (out, ",\"build\":");
  pb_str_append_json_string (out, build);
  pb_str_printf (out, ",\"hash\":\"%016llx\",\"shard\":%d,\"shards\":%d,\"units\":[",
                 (unsigned long long) hash, shard->k, shard->n);
  for (int i = 0; i < n_units; i++)
    pb_str_printf (out, "%s%ld", i > 0 ? "," : "", units[i]);
  pb_str_append (out, "]");
}

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

static bool
is_int (const PbJson *v, double min, double max)
{
  return v != NULL && v->type == PB_JSON_NUMBER && v->number == (double) (long) v->number
         && v->number >= min && v->number <= max;
}

static PbStatus
not_a_shard (const char *path, const char *expected, const char *found, PbError *err)
{
  return pb_error_set (err, PB_ERR_FORMAT, "%s: expected a pairbench shard (%s), found %s", path,
                       expected, found);
}

static PbStatus
read_header (PbShardFile *self, PbError *err)
{
  const char *path = self->path, *format, *kind, *build, *hash;
  const PbJson *root = self->root, *units;
  const PbJson *k = pb_json_get (root, "shard"), *n = pb_json_get (root, "shards");
  char found[160];

  if (root->type != PB_JSON_OBJECT)
    return not_a_shard (path, "a JSON object", type_name (root), err);
  format = pb_json_get_string (root, "format");
  if (format == NULL || strcmp (format, PB_SHARD_FORMAT) != 0)
    {
      if (format != NULL)
        snprintf (found, sizeof found, "\"format\": \"%.100s\"", format);
      else
        snprintf (found, sizeof found, "\"format\": %s", type_name (pb_json_get (root, "format")));
      return not_a_shard (path, "\"format\": \"" PB_SHARD_FORMAT "\"", found, err);
    }
  if (!is_int (pb_json_get (root, "version"), PB_SHARD_VERSION, PB_SHARD_VERSION))
    return not_a_shard (path, "\"version\": 1", "another version", err);
  kind = pb_json_get_string (root, "kind");
  if (kind == NULL || (strcmp (kind, "study") != 0 && strcmp (kind, "sweep") != 0))
    {
      snprintf (found, sizeof found, "\"kind\": %s%.60s%s", kind ? "\"" : "",
                kind ? kind : type_name (pb_json_get (root, "kind")), kind ? "\"" : "");
      return not_a_shard (path, "\"kind\": \"study\" or \"sweep\"", found, err);
    }
  build = pb_json_get_string (root, "build");
  if (build == NULL || *build == '\0' || strlen (build) >= sizeof self->build)
    return not_a_shard (path, "\"build\": the build's version, at most 63 bytes",
                        build ? "another string" : type_name (pb_json_get (root, "build")), err);
  hash = pb_json_get_string (root, "hash");
  if (hash == NULL || strlen (hash) != 16 || strspn (hash, "0123456789abcdef") != 16)
    return not_a_shard (path, "\"hash\": 16 hex digits",
                        hash ? "another string" : type_name (pb_json_get (root, "hash")), err);
  if (!is_int (n, 1, PB_SHARD_MAX) || !is_int (k, 1, n->number))
    return not_a_shard (path, "\"shard\": K and \"shards\": N with 1 ≤ K ≤ N ≤ 100000",
                        "other values", err);
  units = pb_json_get (root, "units");
  if (units == NULL || units->type != PB_JSON_ARRAY)
    return not_a_shard (path, "\"units\": an array", type_name (units), err);

  snprintf (self->kind, sizeof self->kind, "%s", kind);
  snprintf (self->build, sizeof self->build, "%s", build);
  self->hash = strtoull (hash, NULL, 16);
  self->shard.k = (int) k->number;
  self->shard.n = (int) n->number;
  self->units = malloc ((size_t) (units->n > 0 ? units->n : 1) * sizeof *self->units);
  if (self->units == NULL)
    return pb_error_set (err, PB_ERR_NOMEM, "%s: out of memory", path);
  for (int i = 0; i < units->n; i++)
    {
      const PbJson *u = &units->items[i];
      if (!is_int (u, i > 0 ? (double) self->units[i - 1] + 1 : 1, 1e15))
        return pb_error_set (err, PB_ERR_FORMAT, "%s: \"units\"[%d]: expected a unit number "
                             "above the one before (ascending, from 1), found %s", path, i,
                             u->type == PB_JSON_NUMBER ? "a smaller or fractional number"
                                                       : type_name (u));
      self->units[i] = (long) u->number;
    }
  self->n_units = units->n;
  return PB_OK;
}

PbStatus
pb_shard_file_load (const char *path, PbShardFile *out, PbError *err)
{
  PbStatus st;
  PbError parse_err;

  memset (out, 0, sizeof *out);
  out->path = path;
  if ((st = pb_read_file (path, MAX_FILE_BYTES, "a pairbench shard", &out->text, &out->len,
                          err)) != PB_OK)
    return st;
  if (pb_json_parse (out->text, out->len, path, &out->root, &parse_err) != PB_OK)
    {
      pb_shard_file_clear (out);
      out->path = path;
      if (strncmp (parse_err.message, path, strlen (path)) == 0
          && strncmp (parse_err.message + strlen (path), ": ", 2) == 0)
        return not_a_shard (path, "JSON", parse_err.message + strlen (path) + 2, err);
      return not_a_shard (path, "JSON", parse_err.message, err);
    }
  if ((st = read_header (out, err)) != PB_OK)
    {
      pb_shard_file_clear (out);
      out->path = path;
    }
  return st;
}

void
pb_shard_file_clear (PbShardFile *self)
{
  pb_json_free (self->root);
  free (self->text);
  free (self->units);
  memset (self, 0, sizeof *self);
}

/* "1, 4, 7" or "1, 4, 7, … (12 units)". */
static void
format_units (char *buf, size_t size, const long *units, int n)
{
  size_t len = 0;

  buf[0] = '\0';
  if (n == 0)
    {
      snprintf (buf, size, "none");
      return;
    }
  for (int i = 0; i < n && i < 6; i++)
    len += (size_t) snprintf (buf + len, len < size ? size - len : 0, "%s%ld", i > 0 ? ", " : "",
                              units[i]);
  if (n > 6 && len < size)
    snprintf (buf + len, size - len, ", … (%d units)", n);
}

PbStatus
pb_shard_files_check (const PbShardFile *files, int n_files, long total_units, PbError *err)
{
  const PbShardFile *first = &files[0];
  const PbShardFile **by_k;
  int n;

  if (n_files < 1)
    return pb_error_set (err, PB_ERR_INVALID, "expected at least one shard file");
  n = first->shard.n;
  for (int i = 1; i < n_files; i++)
    {
      const PbShardFile *f = &files[i];
      if (strcmp (f->kind, first->kind) != 0)
        return pb_error_set (err, PB_ERR_INVALID, "%s: expected a %s shard as %s, found a %s "
                             "shard", f->path, first->kind, first->path, f->kind);
      if (strcmp (f->build, first->build) != 0)
        return pb_error_set (err, PB_ERR_INVALID, "%s: expected a shard of build '%s' as %s, "
                             "found build '%s'", f->path, first->build, first->path, f->build);
      if (f->hash != first->hash)
        return pb_error_set (err, PB_ERR_INVALID, "%s: expected the settings of %s (hash "
                             "%016llx), found other settings (hash %016llx)", f->path,
                             first->path, (unsigned long long) first->hash,
                             (unsigned long long) f->hash);
      if (f->shard.n != n)
        return pb_error_set (err, PB_ERR_INVALID, "%s: expected one of %d shards as %s, found "
                             "shard %d/%d", f->path, n, first->path, f->shard.k, f->shard.n);
    }

  by_k = calloc ((size_t) n + 1, sizeof *by_k);
  if (by_k == NULL)
    return pb_error_set (err, PB_ERR_NOMEM, "out of memory");
  for (int i = 0; i < n_files; i++)
    {
      const PbShardFile *f = &files[i];
      if (by_k[f->shard.k] != NULL)
        {
          pb_error_set (err, PB_ERR_INVALID, "%s: expected each shard once, found shard %d/%d "
                        "again (also %s)", f->path, f->shard.k, n, by_k[f->shard.k]->path);
          free (by_k);
          return PB_ERR_INVALID;
        }
      by_k[f->shard.k] = f;
    }
  for (int k = 1; k <= n; k++)
    if (by_k[k] == NULL)
      {
        int have = 0;
        for (int j = 1; j <= n; j++)
          have += by_k[j] != NULL;
        pb_error_set (err, PB_ERR_INVALID, "shard %d/%d is missing: expected all %d shards, "
                      "found %d", k, n, n, have);
        free (by_k);
        return PB_ERR_INVALID;
      }
  free (by_k);

  for (int i = 0; i < n_files; i++)
    {
      const PbShardFile *f = &files[i];
      long expected = total_units >= f->shard.k ? (total_units - f->shard.k) / n + 1 : 0;
      bool ok = f->n_units == expected;

      for (int j = 0; ok && j < f->n_units; j++)
        ok = f->units[j] == f->shard.k + (long) j * n;
      if (!ok)
        {
          char found[96], want[96];
          long first_units[6];
          for (int j = 0; j < 6; j++)
            first_units[j] = f->shard.k + (long) j * n;
          format_units (want, sizeof want, first_units, expected < 6 ? (int) expected : 6);
          if (expected > 6)
            snprintf (want + strlen (want), sizeof want - strlen (want), ", …");
          format_units (found, sizeof found, f->units, f->n_units);
          return pb_error_set (err, PB_ERR_INVALID, "%s: expected the %ld units of %ld that "
                               "shard %d/%d owns (%s), found units %s", f->path, expected,
                               total_units, f->shard.k, n, want, found);
        }
    }
  return PB_OK;
}
