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
parse_int3 (const char *s, long min, long max, int out[3])
{
  char buf[64], *save = NULL, *tok;
  int k = 0, v[3];
  long n;

  if (s == NULL || strlen (s) >= sizeof buf)
    return false;
  snprintf (buf, sizeof buf, "%s", s);
  for (tok = strtok_r (buf, ",", &save); tok != NULL; tok = strtok_r (NULL, ",", &save))
    {
      if (k == 3 || !pb_cli_parse_int (tok, min, max, &n))
        return false;
      v[k++] = (int) n;
    }
  if (k != 3)
    return false;
  memcpy (out, v, sizeof v);
  return true;
}

int
pb_cli_apply_preset (const char *cmd, int argc, char **argv, PbTrainSettings *s)
{
  const char *v;
  PbError err;

  for (int i = 1; i < argc; i++)
    if (pb_cli_match (argc, argv, &i, "--preset", &v)
        && pb_train_settings_preset (s, v != NULL ? v : "", &err) != PB_OK)
      return pb_cli_usage_error (cmd, "%s", err.message);
  return 0;
}

int
pb_cli_parse_run_option (const char *cmd, int argc, char **argv, int *i, PbTrainSettings *s,
                  const char **data_dir)
{
  const char *v;
  long n;
  double d;

  if (pb_cli_match (argc, argv, i, "--epochs", &v))
    {
      if (!pb_cli_parse_int (v, 1, 10000, &n))
        return pb_cli_usage_error (cmd, "--epochs: expected an integer 1–10000, got '%s'",
                                   v ? v : "");
      s->epochs = (int) n;
    }
  else if (pb_cli_match (argc, argv, i, "--batch", &v))
    {
      if (!pb_cli_parse_int (v, 1, PB_MAX_PAIRS, &n))
        return pb_cli_usage_error (cmd, "--batch: expected an integer 1–%d, got '%s'",
                                   PB_MAX_PAIRS, v ? v : "");
      s->batch = (int) n;
    }
  else if (pb_cli_match (argc, argv, i, "--lr", &v))
    {
      if (!pb_cli_parse_double (v, 0.0, FLT_MAX, false, &d))
        return pb_cli_usage_error (cmd, "--lr: expected a finite number > 0, got '%s'",
                                   v ? v : "");
      s->lr = (float) d;
    }
  else if (pb_cli_match (argc, argv, i, "--pairs", &v))
    {
      if (!pb_cli_parse_int (v, 1, PB_MAX_PAIRS, &n))
        return pb_cli_usage_error (cmd, "--pairs: expected an integer 1–%d, got '%s'",
                                   PB_MAX_PAIRS, v ? v : "");
      s->train_pairs = (int) n;
    }
  else if (pb_cli_match (argc, argv, i, "--test-pairs", &v))
    {
      if (!pb_cli_parse_int (v, 1, PB_MAX_PAIRS, &n))
        return pb_cli_usage_error (cmd, "--test-pairs: expected an integer 1–%d, got '%s'",
                                   PB_MAX_PAIRS, v ? v : "");
      s->test_pairs = (int) n;
    }
  else if (pb_cli_match (argc, argv, i, "--augment", &v))
    {
      if (!pb_cli_parse_double (v, 0.0, 180.0, true, &d))
        return pb_cli_usage_error (cmd, "--augment: expected degrees in 0–180, got '%s'",
                                   v ? v : "");
      s->augment_deg = (float) d;
    }
  else if (pb_cli_match (argc, argv, i, "--eval-every", &v))
    {
      if (!pb_cli_parse_int (v, 0, 10000, &n))
        return pb_cli_usage_error (cmd, "--eval-every: expected an integer 0–10000, got '%s'",
                                   v ? v : "");
      s->eval_every = (int) n;
    }
  else if (pb_cli_match (argc, argv, i, "--aux-weight", &v))
    {
      if (!pb_cli_parse_double (v, 0.0, FLT_MAX, true, &d))
        return pb_cli_usage_error (cmd, "--aux-weight: expected a finite number ≥ 0, got '%s'",
                                   v ? v : "");
      s->arch.aux_weight = (float) d;
    }
  else if (pb_cli_match (argc, argv, i, "--dropout", &v))
    {
      if (!pb_cli_parse_double (v, 0.0, 0.99, true, &d))
        return pb_cli_usage_error (cmd, "--dropout: expected a rate in 0–0.99, got '%s'",
                                   v ? v : "");
      s->arch.dropout = (float) d;
    }
  else if (pb_cli_match (argc, argv, i, "--kernel", &v))
    {
      if (!pb_cli_parse_int (v, 1, 7, &n))
        return pb_cli_usage_error (cmd, "--kernel: expected an integer 1–7, got '%s'", v ? v : "");
      s->arch.kernel = (int) n;
    }
  else if (pb_cli_match (argc, argv, i, "--padding", &v))
    {
      if (!parse_int3 (v, 0, 7, s->arch.padding))
        return pb_cli_usage_error (cmd, "--padding: expected three integers 0–7 like 0,1,1, got "
                                   "'%s'", v ? v : "");
    }
  else if (pb_cli_match (argc, argv, i, "--channels", &v))
    {
      if (!parse_int3 (v, 1, 1024, s->arch.channels))
        return pb_cli_usage_error (cmd, "--channels: expected three integers 1–1024 like "
                                   "16,64,128, got '%s'", v ? v : "");
    }
  else if (pb_cli_match (argc, argv, i, "--hidden", &v))
    {
      if (!pb_cli_parse_int (v, 1, 4096, &n))
        return pb_cli_usage_error (cmd, "--hidden: expected an integer 1–4096, got '%s'",
                                   v ? v : "");
      s->arch.hidden = (int) n;
    }
  else if (pb_cli_match (argc, argv, i, "--hidden-act", &v))
    {
      PbError e;
      if (v == NULL || pb_hidden_act_from_name (v, &s->arch.hidden_act, &e) != PB_OK)
        return pb_cli_usage_error (cmd, "--hidden-act: expected none or relu, got '%s'",
                                   v ? v : "");
    }
  else if (pb_cli_match (argc, argv, i, "--batch-norm", &v))
    {
      if (v != NULL && strcmp (v, "on") == 0)
        s->arch.batch_norm = true;
      else if (v != NULL && strcmp (v, "off") == 0)
        s->arch.batch_norm = false;
      else
        return pb_cli_usage_error (cmd, "--batch-norm: expected on or off, got '%s'", v ? v : "");
    }
  else if (pb_cli_match (argc, argv, i, "--rule", &v))
    {
      PbError e;
      if (v == NULL || pb_rule_from_name (v, &s->arch.rule, &e) != PB_OK)
        return pb_cli_usage_error (cmd, "--rule: expected head, posterior or both, got '%s'",
                                   v ? v : "");
    }
  else if (pb_cli_match (argc, argv, i, "--schedule", &v))
    {
      if (v == NULL || !pb_schedule_from_name (v, &s->schedule))
        return pb_cli_usage_error (cmd, "--schedule: expected constant or cosine, got '%s'",
                                   v ? v : "");
    }
  else if (pb_cli_match (argc, argv, i, "--weight-decay", &v))
    {
      if (!pb_cli_parse_double (v, 0.0, PB_MAX_WEIGHT_DECAY, true, &d))
        return pb_cli_usage_error (cmd, "--weight-decay: expected a number in 0–%g, got '%s'",
                                   (double) PB_MAX_WEIGHT_DECAY, v ? v : "");
      s->weight_decay = (float) d;
    }
  else if (pb_cli_match (argc, argv, i, "--translate", &v))
    {
      if (!pb_cli_parse_int (v, 0, PB_MAX_TRANSLATE, &n))
        return pb_cli_usage_error (cmd, "--translate: expected pixels 0–%d, got '%s'",
                                   PB_MAX_TRANSLATE, v ? v : "");
      s->translate = (int) n;
    }
  else if (pb_cli_match (argc, argv, i, "--scale", &v))
    {
      if (!pb_cli_parse_double (v, 0.0, PB_MAX_SCALE, true, &d))
        return pb_cli_usage_error (cmd, "--scale: expected a fraction in 0–%g, got '%s'",
                                   (double) PB_MAX_SCALE, v ? v : "");
      s->scale = (float) d;
    }
  else if (pb_cli_match (argc, argv, i, "--shear", &v))
    {
      if (!pb_cli_parse_double (v, 0.0, PB_MAX_SHEAR, true, &d))
        return pb_cli_usage_error (cmd, "--shear: expected a factor in 0–%g, got '%s'",
                                   (double) PB_MAX_SHEAR, v ? v : "");
      s->shear = (float) d;
    }
  else if (strcmp (argv[*i], "--swap") == 0)
    s->swap = true;
  else if (strcmp (argv[*i], "--repair") == 0)
    s->repair = true;
  else if (pb_cli_match (argc, argv, i, "--val-pairs", &v))
    {
      if (!pb_cli_parse_int (v, 0, PB_MAX_PAIRS, &n))
        return pb_cli_usage_error (cmd, "--val-pairs: expected an integer 0–%d, got '%s'",
                                   PB_MAX_PAIRS, v ? v : "");
      s->val_pairs = (int) n;
    }
  else if (pb_cli_match (argc, argv, i, "--preset", &v))
    {
      /* applied before every other option by pb_cli_apply_preset */
    }
  else if (pb_cli_match (argc, argv, i, "--seed", &v))
    {
      if (!pb_cli_parse_seed (v, &s->seed))
        return pb_cli_usage_error (cmd, "--seed: expected an integer 0–%llu, got '%s'",
                                   (unsigned long long) UINT64_MAX, v ? v : "");
    }
  else if (pb_cli_match (argc, argv, i, "--data", &v))
    {
      if (v == NULL || *v == '\0')
        return pb_cli_usage_error (cmd, "--data: expected a folder");
      *data_dir = v;
    }
  else
    return 0;
  return 1;
}
