/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What pairbench-cli's commands share: messages, option parsing and the data folder. */

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pb-cli.h"
#include "pb-core.h"
#include "pb-options.h"
#include "pb-preset.h"

int
pb_cli_usage_error (const char *cmd, const char *fmt, ...)
{
  va_list ap;
  fprintf (stderr, "%s %s: ", PB_CLI_NAME, cmd);
  va_start (ap, fmt);
  vfprintf (stderr, fmt, ap);
  va_end (ap);
  fprintf (stderr, "\n");
  return PB_CLI_EXIT_USAGE;
}

int
pb_cli_failure (const char *cmd, const PbError *err)
{
  fprintf (stderr, "%s %s: %s\n", PB_CLI_NAME, cmd, err->message);
  return EXIT_FAILURE;
}

/* Option parsing: "--name value" or "--name=value". */

bool
pb_cli_match (int argc, char **argv, int *i, const char *name, const char **value)
{
  size_t n = strlen (name);
  const char *arg = argv[*i];

  if (strncmp (arg, name, n) != 0)
    return false;
  if (arg[n] == '=')
    {
      *value = arg + n + 1;
      return true;
    }
  if (arg[n] != '\0')
    return false;
  if (*i + 1 >= argc)
    {
      *value = NULL;
      return true;
    }
  *value = argv[++*i];
  return true;
}

bool
pb_cli_parse_int (const char *s, long min, long max, long *out)
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

bool
pb_cli_parse_double (const char *s, double min, double max, bool min_inclusive, double *out)
{
  char *end;
  double v;

  if (s == NULL || *s == '\0')
    return false;
  v = pb_strtod_c (s, &end);
  if (*end != '\0' || !isfinite (v) || v > max || v < min || (!min_inclusive && v == min))
    return false;
  *out = v;
  return true;
}

bool
pb_cli_parse_seed (const char *s, uint64_t *out)
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

static bool
is_dir (const char *path)
{
  struct stat st;
  return path != NULL && stat (path, &st) == 0 && S_ISDIR (st.st_mode);
}

/* $PAIRBENCH_DATA_DIR, else the installed copy when this binary is the installed one, else the
 * source tree's copy (an uninstalled build), else the installed copy. */
const char *
pb_cli_default_data_dir (void)
{
  const char *env = getenv ("PAIRBENCH_DATA_DIR");
  char exe[4096];
  ssize_t n;

  if (env != NULL && *env != '\0')
    return env;
  n = readlink ("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0)
    {
      exe[n] = '\0';
      if (strncmp (exe, PB_INSTALL_BINDIR "/", strlen (PB_INSTALL_BINDIR) + 1) == 0
          && is_dir (PB_INSTALLED_DATA_DIR))
        return PB_INSTALLED_DATA_DIR;
    }
  if (is_dir (PB_SOURCE_DATA_DIR))
    return PB_SOURCE_DATA_DIR;
  return PB_INSTALLED_DATA_DIR;
}

/* dir must be a folder this process can create files in; what names the output. */
static int
check_folder (const char *cmd, const char *what, const char *dir)
{
  struct stat st;
  PbError err = { { 0 } };

  if (stat (dir, &st) != 0 && errno == ENOENT)
    pb_error_set (&err, PB_ERR_IO, "%s: the folder does not exist", what);
  else if (stat (dir, &st) != 0)
    pb_error_set (&err, PB_ERR_IO, "%s: cannot use the folder %s: %s", what, dir,
                  strerror (errno));
  else if (!S_ISDIR (st.st_mode))
    pb_error_set (&err, PB_ERR_IO, "%s: %s is not a folder", what, dir);
  else if (access (dir, W_OK | X_OK) != 0)
    pb_error_set (&err, PB_ERR_IO, "%s: the folder %s is not writable", what, dir);
  else
    return 0;
  return pb_cli_failure (cmd, &err);
}

int
pb_cli_check_output (const char *cmd, const char *path)
{
  const char *slash = strrchr (path, '/');
  char *dir;
  int rc;

  if (is_dir (path))
    {
      PbError err = { { 0 } };
      pb_error_set (&err, PB_ERR_IO, "%s: is a folder, expected a file name", path);
      return pb_cli_failure (cmd, &err);
    }
  if (slash == NULL)
    return check_folder (cmd, path, ".");
  dir = slash == path ? strdup ("/") : strndup (path, (size_t) (slash - path));
  if (dir == NULL)
    {
      fprintf (stderr, "%s %s: out of memory\n", PB_CLI_NAME, cmd);
      return 1;
    }
  rc = check_folder (cmd, path, dir);
  free (dir);
  return rc;
}

int
pb_cli_check_output_dir (const char *cmd, const char *dir)
{
  char *p = strdup (dir);
  struct stat st;
  int rc;

  if (p == NULL)
    {
      fprintf (stderr, "%s %s: out of memory\n", PB_CLI_NAME, cmd);
      return 1;
    }
  /* Up to the nearest part that exists: the folder itself, or where it will be created. */
  while (stat (p, &st) != 0 && (errno == ENOENT || errno == ENOTDIR))
    {
      char *slash = strrchr (p, '/');
      while (slash != NULL && slash > p && slash[1] == '\0')
        {
          *slash = '\0';
          slash = strrchr (p, '/');
        }
      if (slash == NULL)
        {
          strcpy (p, ".");
          break;
        }
      slash[slash == p ? 1 : 0] = '\0';
    }
  rc = check_folder (cmd, dir, p);
  free (p);
  return rc;
}

int
pb_cli_load_mnist (const char *cmd, const char *dir, PbMnist *mnist)
{
  PbError err = { { 0 } };
  if (pb_mnist_load (dir != NULL ? dir : pb_cli_default_data_dir (), mnist, &err) != PB_OK)
    return pb_cli_failure (cmd, &err);
  return 0;
}

static bool
builtin_preset (const char *name)
{
  for (const char *const *b = pb_train_preset_names (); *b != NULL; b++)
    if (strcmp (*b, name) == 0)
      return true;
  return false;
}

int
pb_cli_apply_preset (const char *cmd, int argc, char **argv, PbTrainSettings *s)
{
  const char *v;
  char dir[4096];
  PbError err;

  for (int i = 1; i < argc; i++)
    {
      if (!pb_cli_match (argc, argv, &i, "--preset", &v))
        continue;
      if (v == NULL || *v == '\0' || builtin_preset (v))
        {
          if (pb_train_settings_preset (s, v != NULL ? v : "", &err) != PB_OK)
            return pb_cli_usage_error (cmd, "%s", err.message);
          continue;
        }
      /* A saved preset (sweep --save-preset): a bad file is the file's fault, not usage. */
      if (pb_preset_user_dir (dir, sizeof dir, &err) != PB_OK)
        return pb_cli_failure (cmd, &err);
      if (pb_preset_check_name (v, NULL) != PB_OK)
        return pb_cli_usage_error (cmd, "--preset: expected report, best or a saved preset's "
                                   "name, got '%s'", v);
      switch (pb_preset_load (dir, v, s, &err))
        {
        case PB_OK:
          break;
        case PB_ERR_INVALID:
          return pb_cli_usage_error (cmd, "%s", err.message);
        default:
          return pb_cli_failure (cmd, &err);
        }
    }
  return 0;
}

int
pb_cli_parse_run_option (const char *cmd, int argc, char **argv, int *i, PbTrainSettings *s,
                         const char **data_dir)
{
  const char *arg = argv[*i], *v;
  const PbOptionInfo *o;
  char name[PB_OPTION_VALUE_MAX];
  size_t len;
  PbError err;

  if (pb_cli_match (argc, argv, i, "--preset", &v))
    return 1;  /* applied before every other option by pb_cli_apply_preset */
  if (pb_cli_match (argc, argv, i, "--data", &v))
    {
      if (v == NULL || *v == '\0')
        return pb_cli_usage_error (cmd, "--data: expected a folder");
      *data_dir = v;
      return 1;
    }
  if (strncmp (arg, "--", 2) != 0)
    return 0;
  len = strcspn (arg + 2, "=");
  if (len >= sizeof name)
    return 0;
  memcpy (name, arg + 2, len);
  name[len] = '\0';
  o = pb_option_lookup (name);
  /* train takes --model itself; study and sweep choose their models otherwise */
  if (o == NULL || strcmp (name, "model") == 0)
    return 0;
  if (o->kind == PB_OPTION_FLAG && arg[2 + len] == '\0')
    v = "true";
  else
    {
      char opt[sizeof name + 2];
      snprintf (opt, sizeof opt, "--%s", name);
      pb_cli_match (argc, argv, i, opt, &v);
    }
  if (pb_train_settings_set_option (s, name, v, &err) != PB_OK)
    return pb_cli_usage_error (cmd, "%s", err.message);
  return 1;
}
