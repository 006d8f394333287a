/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "pb-preset.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pb-options.h"

#define MAX_PRESET_BYTES (1u << 20)

PbStatus
pb_preset_check_name (const char *name, PbError *err)
{
  size_t n = name != NULL ? strlen (name) : 0;

  if (n == 0 || n > PB_PRESET_NAME_MAX)
    return pb_error_set (err, PB_ERR_INVALID, "preset name: expected 1–%d characters, got '%s'",
                         PB_PRESET_NAME_MAX, name != NULL ? name : "");
  for (size_t i = 0; i < n; i++)
    {
      char c = name[i];
      bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
      if (!alnum && (i == 0 || (c != '-' && c != '_')))
        return pb_error_set (err, PB_ERR_INVALID, "preset name: expected lower-case letters, "
                             "digits, '-' and '_' (starting with a letter or digit), got '%s'",
                             name);
    }
  for (const char *const *b = pb_train_preset_names (); *b != NULL; b++)
    if (strcmp (*b, name) == 0)
      return pb_error_set (err, PB_ERR_INVALID, "preset name: '%s' is a built-in preset", name);
  return PB_OK;
}

PbStatus
pb_preset_user_dir (char *buf, size_t size, PbError *err)
{
  const char *xdg = getenv ("XDG_DATA_HOME"), *home = getenv ("HOME");
  int n;

  /* The XDG spec ignores a relative XDG_DATA_HOME, as GLib does. */
  if (xdg != NULL && xdg[0] == '/')
    n = snprintf (buf, size, "%s/pairbench/presets", xdg);
  else if (home != NULL && home[0] != '\0')
    n = snprintf (buf, size, "%s/.local/share/pairbench/presets", home);
  else
    return pb_error_set (err, PB_ERR_IO, "presets: expected $XDG_DATA_HOME or $HOME to be set, "
                         "found neither");
  if (n < 0 || (size_t) n >= size)
    return pb_error_set (err, PB_ERR_IO, "presets: the folder's path is too long");
  return PB_OK;
}

void
pb_preset_to_json (const char *name, const PbTrainSettings *s, PbStr *out)
{
  int n;
  const PbOptionInfo *o = pb_options (&n);
  bool first = true;

  pb_str_append (out, "{\"format\":\"" PB_PRESET_FORMAT "\",\"version\":1,\"name\":");
  pb_str_append_json_string (out, name);
  pb_str_append (out, ",\"options\":{");
  for (int i = 0; i < n; i++)
    {
      char v[PB_OPTION_VALUE_MAX];
      if (o[i].kind == PB_OPTION_SEED)
        continue;
      pb_train_settings_get_option (s, o[i].name, v, sizeof v);
      pb_str_append (out, first ? "\n  " : ",\n  ");
      first = false;
      pb_str_append_json_string (out, o[i].name);
      pb_str_append (out, ": ");
      if (o[i].kind == PB_OPTION_INT || o[i].kind == PB_OPTION_REAL
          || o[i].kind == PB_OPTION_FLAG)
        pb_str_append (out, v);
      else
        pb_str_append_json_string (out, v);
    }
  pb_str_append (out, "\n}}\n");
}

PbStatus
pb_preset_from_json (const char *text, size_t len, const char *what, PbTrainSettings *out,
                     PbError *err)
{
  PbJson *root = NULL;
  const PbJson *options;
  const char *format;
  PbTrainSettings s;
  PbStatus st;

  if ((st = pb_json_parse (text, len, what, &root, err)) != PB_OK)
    return st;
  format = pb_json_get_string (root, "format");
  options = pb_json_get (root, "options");
  if (format == NULL || strcmp (format, PB_PRESET_FORMAT) != 0)
    st = pb_error_set (err, PB_ERR_FORMAT, "%s: expected \"format\": \"" PB_PRESET_FORMAT "\", "
                       "found %s", what, format != NULL ? format : "none");
  else if (pb_json_get_number (root, "version", 0) != PB_PRESET_VERSION)
    st = pb_error_set (err, PB_ERR_FORMAT, "%s: expected \"version\": 1, found another",
                       what);
  else if (options == NULL || options->type != PB_JSON_OBJECT)
    st = pb_error_set (err, PB_ERR_FORMAT, "%s: expected an \"options\" object", what);
  pb_train_settings_init (&s, "siamese-aux", NULL);
  for (int i = 0; st == PB_OK && i < options->n; i++)
    {
      const PbJson *v = &options->items[i];
      const PbOptionInfo *o = pb_option_lookup (options->keys[i]);
      char buf[PB_OPTION_VALUE_MAX];
      PbError e;

      if (o == NULL || o->kind == PB_OPTION_SEED)
        {
          st = pb_error_set (err, PB_ERR_FORMAT, "%s: \"%s\": expected a run option, found an "
                             "unknown key", what, options->keys[i]);
          break;
        }
      if (v->type == PB_JSON_STRING)
        snprintf (buf, sizeof buf, "%s", v->string);
      else if (v->type == PB_JSON_BOOL)
        snprintf (buf, sizeof buf, "%s", v->boolean ? "true" : "false");
      else if (v->type == PB_JSON_NUMBER && v->length < sizeof buf)
        snprintf (buf, sizeof buf, "%.*s", (int) v->length, text + v->offset);
      else
        buf[0] = '\0';
      if (pb_train_settings_set_option (&s, o->name, buf, &e) != PB_OK)
        st = pb_error_set (err, PB_ERR_FORMAT, "%s: %s", what, e.message);
    }
  if (st == PB_OK)
    {
      PbError e;
      if (pb_train_settings_validate (&s, &e) != PB_OK)
        st = pb_error_set (err, PB_ERR_FORMAT, "%s: %s", what, e.message);
    }
  pb_json_free (root);
  if (st == PB_OK)
    *out = s;
  return st;
}

/* mkdir -p */
static PbStatus
make_dirs (const char *dir, PbError *err)
{
  char path[4096];
  size_t n = strlen (dir);

  if (n == 0 || n >= sizeof path)
    return pb_error_set (err, PB_ERR_IO, "presets: expected a folder path, got '%s'", dir);
  memcpy (path, dir, n + 1);
  for (char *p = path + 1; ; p++)
    if (*p == '/' || *p == '\0')
      {
        char c = *p;
        *p = '\0';
        if (mkdir (path, 0755) != 0 && errno != EEXIST)
          return pb_error_set (err, PB_ERR_IO, "%s: cannot create the folder: %s", path,
                               strerror (errno));
        if (c == '\0')
          break;
        *p = c;
      }
  return PB_OK;
}

static PbStatus
preset_path (const char *dir, const char *name, char *buf, size_t size, PbError *err)
{
  int n;
  PbStatus st = pb_preset_check_name (name, err);

  if (st != PB_OK)
    return st;
  n = snprintf (buf, size, "%s/%s.json", dir, name);
  if (n < 0 || (size_t) n >= size)
    return pb_error_set (err, PB_ERR_IO, "presets: the file's path is too long");
  return PB_OK;
}

PbStatus
pb_preset_save (const char *dir, const char *name, const PbTrainSettings *s, PbError *err)
{
  char path[4200];
  PbStatus st;
  PbStr out;

  if ((st = preset_path (dir, name, path, sizeof path, err)) != PB_OK
      || (st = make_dirs (dir, err)) != PB_OK)
    return st;
  pb_str_init (&out);
  pb_preset_to_json (name, s, &out);
  st = out.failed ? pb_error_set (err, PB_ERR_NOMEM, "out of memory")
                  : pb_write_file_atomic (path, out.data, out.len, err);
  pb_str_clear (&out);
  return st;
}

PbStatus
pb_preset_load_file (const char *path, PbTrainSettings *out, PbError *err)
{
  char *text;
  size_t len;
  PbStatus st = pb_read_file (path, MAX_PRESET_BYTES, "a preset", &text, &len, err);

  if (st != PB_OK)
    return st;
  st = pb_preset_from_json (text, len, path, out, err);
  free (text);
  return st;
}

PbStatus
pb_preset_load (const char *dir, const char *name, PbTrainSettings *out, PbError *err)
{
  char path[4200];
  struct stat sb;
  PbStatus st;

  if ((st = preset_path (dir, name, path, sizeof path, err)) != PB_OK)
    return st;
  if (stat (path, &sb) != 0 && errno == ENOENT)
    return pb_error_set (err, PB_ERR_INVALID, "--preset: expected report, best or a saved "
                         "preset, got '%s' (none in %s)", name, dir);
  return pb_preset_load_file (path, out, err);
}

static int
compare_names (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

PbStatus
pb_preset_list (const char *dir, char ***names_out, int *n_out, PbError *err)
{
  DIR *d = opendir (dir);
  struct dirent *e;
  char **names = calloc (1, sizeof *names);
  int n = 0;

  *names_out = NULL;
  *n_out = 0;
  if (names == NULL)
    {
      if (d != NULL)
        closedir (d);
      return pb_error_set (err, PB_ERR_NOMEM, "out of memory");
    }
  if (d == NULL)
    {
      if (errno != ENOENT)
        {
          free (names);
          return pb_error_set (err, PB_ERR_IO, "%s: %s", dir, strerror (errno));
        }
      *names_out = names;
      return PB_OK;
    }
  while ((e = readdir (d)) != NULL)
    {
      size_t len = strlen (e->d_name);
      char name[PB_PRESET_NAME_MAX + 1], **grown;

      if (len <= 5 || len - 5 > PB_PRESET_NAME_MAX || strcmp (e->d_name + len - 5, ".json") != 0)
        continue;
      memcpy (name, e->d_name, len - 5);
      name[len - 5] = '\0';
      if (pb_preset_check_name (name, NULL) != PB_OK)
        continue;
      grown = realloc (names, (size_t) (n + 2) * sizeof *names);
      if (grown == NULL || (grown[n] = strdup (name)) == NULL)
        {
          names = grown != NULL ? grown : names;
          names[n] = NULL;
          closedir (d);
          pb_preset_names_free (names);
          return pb_error_set (err, PB_ERR_NOMEM, "out of memory");
        }
      names = grown;
      names[++n] = NULL;
    }
  closedir (d);
  qsort (names, (size_t) n, sizeof *names, compare_names);
  *names_out = names;
  *n_out = n;
  return PB_OK;
}

void
pb_preset_names_free (char **names)
{
  for (int i = 0; names != NULL && names[i] != NULL; i++)
    free (names[i]);
  free (names);
}
