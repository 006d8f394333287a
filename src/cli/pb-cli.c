/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pairbench-cli: the training core without the app. Exit status 0 on success, 1 when the work
 * fails (a bad file, a diverged run), 2 on bad usage. */

#include <errno.h>
#include <float.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pb-cli.h"
#include "cmd-embed.h"
#include "study-plots.h"
#include "cmd-bench.h"
#include "cmd-tsne.h"
#include "pb-core.h"
#include "pb-table.h"

#define EXIT_USAGE 2

static const char *prog = "pairbench-cli";

int
pb_cli_usage_error (const char *cmd, const char *fmt, ...)
{
  va_list ap;
  fprintf (stderr, "%s %s: ", prog, cmd);
  va_start (ap, fmt);
  vfprintf (stderr, fmt, ap);
  va_end (ap);
  fprintf (stderr, "\n");
  return EXIT_USAGE;
}

int
pb_cli_failure (const char *cmd, const PbError *err)
{
  fprintf (stderr, "%s %s: %s\n", prog, cmd, err->message);
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

/* A --preset replaces every setting, so it applies first wherever it stands; the other options
 * then change it. */
static int
apply_preset (const char *cmd, int argc, char **argv, PbTrainSettings *s)
{
  const char *v;
  PbError err;

  for (int i = 1; i < argc; i++)
    if (pb_cli_match (argc, argv, &i, "--preset", &v)
        && pb_train_settings_preset (s, v != NULL ? v : "", &err) != PB_OK)
      return pb_cli_usage_error (cmd, "%s", err.message);
  return 0;
}

/* Run options shared by train and study. Returns 1 when argv[*i] was one of them, 0 when it
 * was not, and EXIT_USAGE (after printing) when its value is bad. */

static int
parse_run_option (const char *cmd, int argc, char **argv, int *i, PbTrainSettings *s,
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
        return pb_cli_usage_error (cmd, "--batch: expected an integer ≥ 1, got '%s'", v ? v : "");
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
        return pb_cli_usage_error (cmd, "--pairs: expected an integer ≥ 1, got '%s'", v ? v : "");
      s->train_pairs = (int) n;
    }
  else if (pb_cli_match (argc, argv, i, "--test-pairs", &v))
    {
      if (!pb_cli_parse_int (v, 1, PB_MAX_PAIRS, &n))
        return pb_cli_usage_error (cmd, "--test-pairs: expected an integer ≥ 1, got '%s'",
                                   v ? v : "");
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
        return pb_cli_usage_error (cmd, "--val-pairs: expected an integer ≥ 0, got '%s'",
                                   v ? v : "");
      s->val_pairs = (int) n;
    }
  else if (pb_cli_match (argc, argv, i, "--preset", &v))
    {
      /* applied before every other option by apply_preset */
    }
  else if (pb_cli_match (argc, argv, i, "--seed", &v))
    {
      char *end;
      if (v == NULL || *v == '\0' || *v == '-')
        return pb_cli_usage_error (cmd, "--seed: expected an integer ≥ 0, got '%s'", v ? v : "");
      errno = 0;
      unsigned long long seed = strtoull (v, &end, 10);
      if (errno != 0 || *end != '\0')
        return pb_cli_usage_error (cmd, "--seed: expected an integer ≥ 0, got '%s'", v);
      s->seed = seed;
    }
  else if (pb_cli_match (argc, argv, i, "--data", &v))
    {
      if (v == NULL)
        return pb_cli_usage_error (cmd, "--data: expected a folder");
      *data_dir = v;
    }
  else
    return 0;
  return 1;
}

#define RUN_OPTIONS_HELP \
  "  --epochs N         epochs (default 25)\n" \
  "  --batch N          batch size (default 100)\n" \
  "  --lr X             Adam learning rate (default 0.001)\n" \
  "  --pairs N          training pairs (default 1000)\n" \
  "  --test-pairs M     test pairs (default 1000)\n" \
  "  --augment DEG      rotate a copy of every training pair by up to ±DEG (default 10, 0 = off)\n" \
  "  --eval-every N     evaluate after every Nth epoch (default 1; 0 = the last only)\n" \
  "  --aux-weight W     weight of the auxiliary digit loss (default 1)\n" \
  "  --dropout P        dropout before fc2 (default 0)\n" \
  "  --kernel K         conv kernel size (default 2)\n" \
  "  --padding A,B,C    each conv layer's zero padding (default 0,1,1)\n" \
  "  --channels A,B,C   each conv layer's width (default 16,64,128)\n" \
  "  --hidden N         fc1 width (default 64)\n" \
  "  --hidden-act ACT   after fc1: none (default) or relu\n" \
  "  --batch-norm on|off  batch norm after each conv (default on)\n" \
  "  --rule RULE        head (default), posterior (P(d1 > d2) from the digit\n" \
  "                     softmaxes; no head) or both (their average)\n" \
  "  --schedule S       learning rate: constant (default) or cosine (to zero)\n" \
  "  --weight-decay W   decoupled weight decay, AdamW (default 0)\n" \
  "  --translate K      shift each training image by up to ±K pixels, fresh every\n" \
  "                     epoch (default 0 = off)\n" \
  "  --scale S          scale each training image by a factor in 1 ± S, fresh every\n" \
  "                     epoch (default 0 = off)\n" \
  "  --shear H          shear each training image by a factor in ±H, fresh every\n" \
  "                     epoch (default 0 = off)\n" \
  "  --swap             swap the two images of half the training pairs, every epoch\n" \
  "  --repair           draw fresh pairs from the training images every epoch\n" \
  "  --val-pairs N      hold out the last N training pairs as a validation split\n" \
  "  --preset NAME      start from a preset: report or best (other options change it)\n" \
  "  --seed S           seed of pairs, init, order and augmentation (default 1)\n" \
  "  --data DIR         MNIST IDX folder (plain or .gz; default: the shipped copy)\n"

static void
print_epoch (const char *label, const PbEpochRecord *r, int epochs)
{
  fprintf (stderr, "%s epoch %3d/%d  loss %.4f (main %.4f, aux %.4f)  ", label, r->epoch, epochs,
           r->train_loss, r->train_main_loss, r->train_aux_loss);
  if (isfinite (r->test_error))
    fprintf (stderr, "train err %.3f  test err %.3f  digit err %.3f  ", r->train_error,
             r->test_error, r->digit_error);
  if (isfinite (r->val_error))
    fprintf (stderr, "val err %.3f  val digit err %.3f  ", r->val_error, r->val_digit_error);
  if (!isfinite (r->test_error))
    fputs ("not evaluated  ", stderr);
  fprintf (stderr, "%.1f s\n", r->seconds);
}

static void
train_progress (void *user_data, const PbRun *run, PbProgress what)
{
  if (what == PB_PROGRESS_EPOCH)
    {
      const PbEpochRecord *r = &pb_run_epochs (run)[pb_run_n_epochs_done (run) - 1];
      print_epoch (user_data, r, pb_run_settings (run)->epochs);
    }
}

static void
append_epoch_json (PbStr *out, const PbEpochRecord *r)
{
  pb_str_printf (out, "{\"epoch\":%d,\"train_loss\":", r->epoch);
  pb_str_append_double (out, r->train_loss);
  pb_str_append (out, ",\"train_main_loss\":");
  pb_str_append_double (out, r->train_main_loss);
  pb_str_append (out, ",\"train_aux_loss\":");
  pb_str_append_double (out, r->train_aux_loss);
  pb_str_append (out, ",\"train_error\":");
  pb_str_append_double (out, r->train_error);
  pb_str_append (out, ",\"test_error\":");
  pb_str_append_double (out, r->test_error);
  pb_str_append (out, ",\"digit_error\":");
  pb_str_append_double (out, r->digit_error);
  pb_str_append (out, ",\"chunk_sd\":");
  pb_str_append_double (out, r->chunk_sd);
  pb_str_append (out, ",\"val_error\":");
  pb_str_append_double (out, r->val_error);
  pb_str_append (out, ",\"val_digit_error\":");
  pb_str_append_double (out, r->val_digit_error);
  pb_str_append (out, ",\"seconds\":");
  pb_str_append_double (out, r->seconds);
  pb_str_append (out, "}");
}

static int
print_dry_run (const PbTrainSettings *s, bool json)
{
  size_t params = pb_arch_param_count (&s->arch);

  if (json)
    {
      PbStr out;
      pb_str_init (&out);
      pb_str_append (&out, "{\"model\":");
      pb_str_append_json_string (&out, pb_arch_name (&s->arch));
      pb_str_printf (&out, ",\"params\":%zu,\"settings\":", params);
      pb_train_settings_append_json (s, &out);
      pb_str_append (&out, "}\n");
      fputs (out.data, stdout);
      pb_str_clear (&out);
    }
  else
    printf ("model %s  params %zu\n", pb_arch_name (&s->arch), params);
  return 0;
}

static int
cmd_train (int argc, char **argv)
{
  const char *cmd = "train";
  PbTrainSettings s;
  const char *data_dir = NULL, *weights = NULL, *model = "siamese-aux", *v;
  bool json = false, dry_run = false;
  PbError err = { { 0 } };
  PbMnist mnist = { 0 };
  PbRun *run = NULL;
  PbStatus st;
  int rc;

  pb_train_settings_init (&s, model, NULL);
  for (int i = 1; i < argc; i++)
    if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0)
      {
        printf ("Usage: %s train [--model NAME] [options] [--weights OUT.safetensors] [--json]\n"
                "Trains one run and prints its result; a line per epoch goes to stderr.\n\n"
                "  --model NAME       siamese, siamese-aux (default), twin, twin-aux, stacked,\n"
                "                     stacked-aux: the trunk sharing and the auxiliary loss\n"
                RUN_OPTIONS_HELP
                "  --weights FILE     write the trained weights as safetensors\n"
                "  --dry-run          check the settings and print the parameter count only\n"
                "  --json             print the result as one JSON object\n", prog);
        return 0;
      }
  if ((rc = apply_preset (cmd, argc, argv, &s)) != 0)
    return rc;
  for (int i = 1; i < argc; i++)
    {
      if (pb_cli_match (argc, argv, &i, "--model", &v))
        {
          PbArch named;
          if (v == NULL || pb_arch_from_name (v, &named, &err) != PB_OK)
            return pb_cli_usage_error (cmd, "--model: %s", v ? err.message : "expected a name");
          s.arch.kind = named.kind;
          s.arch.aux = named.aux;
          continue;
        }
      if (strcmp (argv[i], "--dry-run") == 0)
        {
          dry_run = true;
          continue;
        }
      if (pb_cli_match (argc, argv, &i, "--weights", &v))
        {
          if (v == NULL)
            return pb_cli_usage_error (cmd, "--weights: expected a file name");
          weights = v;
          continue;
        }
      if (strcmp (argv[i], "--json") == 0)
        {
          json = true;
          continue;
        }
      rc = parse_run_option (cmd, argc, argv, &i, &s, &data_dir);
      if (rc == EXIT_USAGE)
        return rc;
      if (rc == 0)
        return pb_cli_usage_error (cmd, "unknown option '%s' (see --help)", argv[i]);
    }
  if (pb_train_settings_validate (&s, &err) != PB_OK)
    return pb_cli_usage_error (cmd, "%s", err.message);
  if (dry_run)
    return print_dry_run (&s, json);
  if ((rc = pb_cli_load_mnist (cmd, data_dir, &mnist)) != 0)
    return rc;

  pb_blas_set_single_thread ();
  if ((st = pb_run_new (&s, &mnist, &run, &err)) != PB_OK)
    {
      pb_mnist_clear (&mnist);
      return pb_cli_failure (cmd, &err);
    }
  char label[48];
  snprintf (label, sizeof label, "%s", pb_arch_name (&s.arch));
  PbTrainCallbacks cb = { .progress = train_progress, .user_data = label };
  st = pb_run_train (run, &cb, &err);
  if (st != PB_OK)
    {
      pb_run_free (run);
      pb_mnist_clear (&mnist);
      return pb_cli_failure (cmd, &err);
    }
  if (weights != NULL
      && pb_safetensors_save (weights, pb_run_model (run), &s, pb_run_input_mean (run),
                              pb_run_input_std (run), &err) != PB_OK)
    {
      pb_run_free (run);
      pb_mnist_clear (&mnist);
      return pb_cli_failure (cmd, &err);
    }

  const PbEpochRecord *last = &pb_run_epochs (run)[pb_run_n_epochs_done (run) - 1];
  size_t params = pb_model_param_count (pb_run_model (run));
  if (json)
    {
      PbStr out;
      pb_str_init (&out);
      pb_str_append (&out, "{\"model\":");
      pb_str_append_json_string (&out, pb_arch_name (&s.arch));
      pb_str_printf (&out, ",\"params\":%zu,\"seed\":%llu,\"test_error\":", params,
                     (unsigned long long) s.seed);
      pb_str_append_double (&out, last->test_error);
      pb_str_append (&out, ",\"train_error\":");
      pb_str_append_double (&out, last->train_error);
      pb_str_append (&out, ",\"digit_error\":");
      pb_str_append_double (&out, last->digit_error);
      pb_str_append (&out, ",\"chunk_sd\":");
      pb_str_append_double (&out, last->chunk_sd);
      pb_str_append (&out, ",\"train_seconds\":");
      pb_str_append_double (&out, last->train_seconds);
      pb_str_append (&out, ",\"eval_seconds\":");
      pb_str_append_double (&out, last->eval_seconds);
      pb_str_append (&out, ",\"input_mean\":");
      pb_str_append_double (&out, pb_run_input_mean (run));
      pb_str_append (&out, ",\"input_std\":");
      pb_str_append_double (&out, pb_run_input_std (run));
      pb_str_append (&out, ",\"settings\":");
      pb_train_settings_append_json (&s, &out);
      pb_str_append (&out, ",\"epochs\":[");
      for (int e = 0; e < pb_run_n_epochs_done (run); e++)
        {
          if (e > 0)
            pb_str_append (&out, ",");
          append_epoch_json (&out, &pb_run_epochs (run)[e]);
        }
      pb_str_append (&out, "]}\n");
      fputs (out.data, stdout);
      pb_str_clear (&out);
    }
  else
    printf ("model %s  params %zu  seed %llu\ntest_error %.4f  train_error %.4f  digit_error %.4f"
            "  chunk_sd %.4f\ntrain_seconds %.2f  eval_seconds %.2f\n", pb_arch_name (&s.arch),
            params, (unsigned long long) s.seed, last->test_error, last->train_error,
            last->digit_error, last->chunk_sd, last->train_seconds, last->eval_seconds);

  pb_run_free (run);
  pb_mnist_clear (&mnist);
  return 0;
}

/* study */

typedef struct
{
  const char *const *names;
  int rounds;
  int done;
  PbCliPlots *plots;
} StudyProgress;

static void
study_round_run (void *user_data, const PbRoundResult *r, PbRun *run)
{
  StudyProgress *p = user_data;
  pb_cli_plots_round_run (p->plots, r, run);
}

static void
study_round_done (void *user_data, const PbRoundResult *r)
{
  StudyProgress *p = user_data;
  p->done++;
  fprintf (stderr, "[%d/%d] %s round %d (seed %llu): test error %.3f, digit error %.3f, %.1f s\n",
           p->done, p->rounds, p->names[r->model_index], r->round + 1,
           (unsigned long long) r->seed, r->final.test_error, r->final.digit_error,
           r->final.train_seconds);
}

static void
mean_std (const double *v, int n, double *mean, double *std)
{
  double m = 0.0, ss = 0.0;
  for (int i = 0; i < n; i++)
    m += v[i];
  m /= n;
  for (int i = 0; i < n; i++)
    ss += (v[i] - m) * (v[i] - m);
  *mean = m;
  *std = n > 1 ? sqrt (ss / (n - 1)) : 0.0;
}

static bool
is_preset_name (const char *name)
{
  for (const char *const *p = pb_train_preset_names (); *p != NULL; p++)
    if (strcmp (*p, name) == 0)
      return true;
  return false;
}

/* Each entry of the list is a model name, trained with the shared settings base, or a preset,
 * trained with its own settings and then the command line's run options. names get static
 * strings. */
static int
parse_models (const char *cmd, const char *list, int argc, char **argv,
              const PbTrainSettings *base, PbTrainSettings *each, const char **names,
              int *n_models)
{
  char buf[256];
  char *save = NULL;
  PbError err;

  if (list == NULL || strlen (list) >= sizeof buf)
    return pb_cli_usage_error (cmd, "--models: expected a comma-separated list of model names");
  snprintf (buf, sizeof buf, "%s", list);
  *n_models = 0;
  for (char *tok = strtok_r (buf, ",", &save); tok != NULL; tok = strtok_r (NULL, ",", &save))
    {
      PbTrainSettings *m = &each[*n_models];
      PbArch named;

      if (*n_models >= 16)
        return pb_cli_usage_error (cmd, "--models: at most 16 models");
      if (is_preset_name (tok))
        {
          const char *data_dir = NULL;
          if (pb_train_settings_preset (m, tok, &err) != PB_OK)
            return pb_cli_usage_error (cmd, "--models: %s", err.message);
          for (int i = 1; i < argc; i++)
            if (parse_run_option (cmd, argc, argv, &i, m, &data_dir) == EXIT_USAGE)
              return EXIT_USAGE;
          for (const char *const *p = pb_train_preset_names (); *p != NULL; p++)
            if (strcmp (*p, tok) == 0)
              names[*n_models] = *p;
        }
      else
        {
          if (pb_arch_from_name (tok, &named, &err) != PB_OK)
            return pb_cli_usage_error (cmd, "--models: %s, or a preset (best)", err.message);
          *m = *base;
          m->arch.kind = named.kind;
          m->arch.aux = named.aux;
          names[*n_models] = pb_arch_name (&m->arch);
        }
      (*n_models)++;
    }
  if (*n_models == 0)
    return pb_cli_usage_error (cmd, "--models: expected at least one model name");
  return 0;
}

/* "—" for an undefined p-value, padded to width characters (not bytes). */
static void
study_append_p (PbStr *out, double p, int width)
{
  char buf[32];
  int len;

  if (isnan (p))
    {
      pb_str_printf (out, "%*s—", width - 1, "");
      return;
    }
  len = pb_snprintf_c (buf, sizeof buf, p < 1e-4 ? "%.1e" : "%.4f", p);
  pb_str_printf (out, "%*s%s", width > len ? width - len : 0, "", buf);
}

/* Every pair of models, compared on the test errors of the shared seeds. test: [n_models,
 * rounds]. Returns NULL when out of memory; the pairs (i, j), i < j, are at [i × n_models + j]. */
static PbPairedTests *
study_compare (const double *test, int n_models, int rounds)
{
  PbPairedTests *m = calloc ((size_t) n_models * n_models, sizeof *m);

  if (m != NULL && pb_stats_paired_matrix (test, n_models, rounds, m, NULL) != PB_OK)
    {
      free (m);
      return NULL;
    }
  return m;
}

static void
study_append_tests_text (PbStr *out, const char *const *names, int n_models, int rounds,
                         const PbPairedTests *m)
{
  pb_str_printf (out, "\nPaired tests on the test error over the %d shared seeds (two-sided; "
                 "mean diff = a − b):\n", rounds);
  pb_str_printf (out, "%-12s %-12s %10s  %10s  %10s\n", "a", "b", "mean diff", "t-test p",
                 "Wilcoxon p");
  for (int i = 0; i < n_models; i++)
    for (int j = i + 1; j < n_models; j++)
      {
        const PbPairedTests *c = &m[i * n_models + j];
        pb_str_printf (out, "%-12s %-12s %+10.4f  ", names[i], names[j], c->mean_diff);
        study_append_p (out, c->t.pvalue, 10);
        pb_str_append (out, "  ");
        study_append_p (out, c->wilcoxon.pvalue, 10);
        if (c->wilcoxon.n > 0)
          pb_str_append (out, c->wilcoxon.exact ? " exact" : " normal approx.");
        pb_str_append (out, "\n");
      }
}

static void
study_append_tests_json (PbStr *out, const char *const *names, int n_models,
                         const PbPairedTests *m)
{
  bool first = true;

  pb_str_append (out, "\"tests\":[");
  for (int i = 0; m != NULL && i < n_models; i++)
    for (int j = i + 1; j < n_models; j++)
      {
        const PbPairedTests *c = &m[i * n_models + j];
        pb_str_append (out, first ? "{\"a\":" : ",{\"a\":");
        first = false;
        pb_str_append_json_string (out, names[i]);
        pb_str_append (out, ",\"b\":");
        pb_str_append_json_string (out, names[j]);
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

static int
cmd_study (int argc, char **argv)
{
  const char *cmd = "study";
  PbTrainSettings s;
  const char *data_dir = NULL, *csv = NULL, *models_arg = "stacked,stacked-aux,siamese,siamese-aux";
  const char *table = NULL, *plots_dir = NULL, *v;
  PbTableFormat table_format = PB_TABLE_CSV;
  PbTableRow rows[16];
  PbPairedTests *tests = NULL;
  bool json = false;
  long rounds = 20, jobs = sysconf (_SC_NPROCESSORS_ONLN);
  PbArch models[16];
  PbTrainSettings each[16];
  const char *names[16];
  bool any_preset = false;
  int n_models = 0, rc;
  PbError err = { { 0 } };
  PbMnist mnist = { 0 };

  if (jobs < 1)
    jobs = 1;
  pb_train_settings_init (&s, "siamese", NULL);
  if ((rc = apply_preset (cmd, argc, argv, &s)) != 0)
    return rc;
  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0)
        {
          printf ("Usage: %s study [--models a,b,...] [--rounds R] [--jobs J] [options]\n"
                  "       [--csv FILE] [--table FILE] [--json] [--plots DIR]\n"
                  "Trains every model R times (round r uses seed S + r, the same for every model)\n"
                  "and prints the report's Table II. With two models or more and two rounds or\n"
                  "more, it then compares every pair on the test errors of the shared seeds: the\n"
                  "mean difference, and the two-sided paired t-test's and Wilcoxon signed-rank\n"
                  "test's p-values (zero differences dropped; exact when there are no ties and\n"
                  "at most 25 differences, else the normal approximation; — when undefined).\n\n"
                  "  --models LIST      default stacked,stacked-aux,siamese,siamese-aux; a preset\n"
                  "                     (best) trains with its own settings, then the options\n"
                  "  --rounds R         rounds per model (default 20)\n"
                  "  --jobs J           rounds trained at once (default: the number of cores)\n"
                  RUN_OPTIONS_HELP
                  "  --csv FILE         write one row per round\n"
                  "  --table FILE       write the summary table as CSV (.csv), Markdown (.md) or\n"
                  "                     LaTeX with booktabs (.tex), by the file's extension\n"
                  "  --json             print the table and the tests as JSON\n"
                  "  --plots DIR        write the curves, small multiples, box plot and each\n"
                  "                     model's round-1 t-SNE map as SVG and PNG\n", prog);
          return 0;
        }
      if (pb_cli_match (argc, argv, &i, "--models", &v))
        {
          models_arg = v;
          if (v == NULL)
            return pb_cli_usage_error (cmd, "--models: expected a list of model names");
          continue;
        }
      if (pb_cli_match (argc, argv, &i, "--rounds", &v))
        {
          if (!pb_cli_parse_int (v, 1, 1000, &rounds))
            return pb_cli_usage_error (cmd, "--rounds: expected an integer 1–1000, got '%s'",
                                       v ? v : "");
          continue;
        }
      if (pb_cli_match (argc, argv, &i, "--jobs", &v))
        {
          if (!pb_cli_parse_int (v, 1, 64, &jobs))
            return pb_cli_usage_error (cmd, "--jobs: expected an integer 1–64, got '%s'",
                                       v ? v : "");
          continue;
        }
      if (pb_cli_match (argc, argv, &i, "--csv", &v))
        {
          if (v == NULL)
            return pb_cli_usage_error (cmd, "--csv: expected a file name");
          csv = v;
          continue;
        }
      if (pb_cli_match (argc, argv, &i, "--table", &v))
        {
          if (v == NULL || !pb_table_format_from_path (v, &table_format))
            return pb_cli_usage_error (cmd, "--table: expected a file name ending in .csv, .md "
                                       "or .tex, got '%s'", v ? v : "");
          table = v;
          continue;
        }
      if (pb_cli_match (argc, argv, &i, "--plots", &v))
        {
          if (v == NULL || *v == '\0')
            return pb_cli_usage_error (cmd, "--plots: expected a folder name");
          plots_dir = v;
          continue;
        }
      if (strcmp (argv[i], "--json") == 0)
        {
          json = true;
          continue;
        }
      rc = parse_run_option (cmd, argc, argv, &i, &s, &data_dir);
      if (rc == EXIT_USAGE)
        return rc;
      if (rc == 0)
        return pb_cli_usage_error (cmd, "unknown option '%s' (see --help)", argv[i]);
    }
  if ((rc = parse_models (cmd, models_arg, argc, argv, &s, each, names, &n_models)) != 0)
    return rc;
  for (int m = 0; m < n_models; m++)
    {
      models[m] = each[m].arch;
      any_preset = any_preset || is_preset_name (names[m]);
      if (pb_train_settings_validate (&each[m], &err) != PB_OK)
        return pb_cli_usage_error (cmd, "%s: %s", names[m], err.message);
    }
  if (any_preset && plots_dir != NULL)
    return pb_cli_usage_error (cmd, "--plots: figures need models that share their settings; "
                               "drop the preset from --models");
  if ((rc = pb_cli_load_mnist (cmd, data_dir, &mnist)) != 0)
    return rc;

  pb_blas_set_single_thread ();
  int total = n_models * (int) rounds;
  PbRoundResult *results = calloc ((size_t) total, sizeof *results);
  StudyProgress progress = { .names = names, .rounds = total };
  PbStudyCallbacks cb = { .round_done = study_round_done, .user_data = &progress };
  if (results == NULL)
    {
      pb_mnist_clear (&mnist);
      fprintf (stderr, "%s %s: out of memory\n", prog, cmd);
      return 1;
    }
  PbCliPlots *plots = plots_dir != NULL ? pb_cli_plots_new (plots_dir, n_models) : NULL;
  progress.plots = plots;
  if (plots != NULL)
    cb.round_run = study_round_run;
  PbStatus st = pb_study_run_each (each, n_models, (int) rounds, (int) jobs, &mnist, &cb,
                                   results, &err);
  pb_mnist_clear (&mnist);
  if (st != PB_OK)
    {
      pb_cli_plots_free (plots);
      pb_study_results_clear (results, total);
      free (results);
      return pb_cli_failure (cmd, &err);
    }

  PbStr out, csv_out;
  pb_str_init (&out);
  pb_str_init (&csv_out);
  /* digit, secs, chunk: one model's rounds at a time; every model's test errors for the tests. */
  double *values = calloc ((size_t) rounds * (3 + (size_t) n_models), sizeof (double));
  if (values == NULL)
    {
      pb_study_results_clear (results, total);
      free (results);
      fprintf (stderr, "%s %s: out of memory\n", prog, cmd);
      return 1;
    }
  double *digit = values, *secs = values + rounds, *chunk = values + 2 * rounds,
         *all_test = values + 3 * rounds;

  if (json)
    pb_str_append (&out, "{\"models\":[");
  else
    pb_str_printf (&out, "%-12s %8s  %-16s %-16s %8s  %7s\n", "model", "params",
                   "test error", "digit error", "chunk sd", "s/run");
  pb_str_append (&csv_out, "model,round,seed,params,test_error,train_error,digit_error,chunk_sd,"
                 "train_seconds,eval_seconds\n");
  for (int m = 0; m < n_models; m++)
    {
      const PbRoundResult *r = &results[m * rounds];
      double tm, ts, dm, dsd, sm, ssd, cm, csd;
      double *test = all_test + m * rounds;
      const char *name = names[m];

      for (int k = 0; k < rounds; k++)
        {
          test[k] = r[k].final.test_error;
          digit[k] = r[k].final.digit_error;
          secs[k] = r[k].final.train_seconds;
          chunk[k] = r[k].final.chunk_sd;
          pb_str_printf (&csv_out, "%s,%d,%llu,%zu,%.6g,%.6g,%.6g,%.6g,%.4f,%.4f\n", name,
                         k + 1, (unsigned long long) r[k].seed, r[k].params, test[k],
                         r[k].final.train_error, digit[k], chunk[k], secs[k],
                         r[k].final.eval_seconds);
        }
      mean_std (test, (int) rounds, &tm, &ts);
      mean_std (digit, (int) rounds, &dm, &dsd);
      mean_std (secs, (int) rounds, &sm, &ssd);
      mean_std (chunk, (int) rounds, &cm, &csd);
      rows[m] = (PbTableRow) { .model = name, .params = r[0].params, .test_mean = tm,
                             .test_std = ts, .digit_mean = dm, .digit_std = dsd, .seconds = sm,
                             .rounds = (int) rounds };
      if (json)
        {
          pb_str_append (&out, m > 0 ? ",{\"model\":" : "{\"model\":");
          pb_str_append_json_string (&out, name);
          pb_str_printf (&out, ",\"params\":%zu,\"test_error_mean\":", r[0].params);
          pb_str_append_double (&out, tm);
          pb_str_append (&out, ",\"test_error_std\":");
          pb_str_append_double (&out, ts);
          pb_str_append (&out, ",\"digit_error_mean\":");
          pb_str_append_double (&out, dm);
          pb_str_append (&out, ",\"chunk_sd_mean\":");
          pb_str_append_double (&out, cm);
          pb_str_append (&out, ",\"train_seconds_mean\":");
          pb_str_append_double (&out, sm);
          pb_str_append (&out, ",\"rounds\":[");
          for (int k = 0; k < rounds; k++)
            {
              pb_str_printf (&out, "%s{\"round\":%d,\"seed\":%llu,\"test_error\":",
                             k > 0 ? "," : "", k + 1, (unsigned long long) r[k].seed);
              pb_str_append_double (&out, test[k]);
              pb_str_append (&out, ",\"train_error\":");
              pb_str_append_double (&out, r[k].final.train_error);
              pb_str_append (&out, ",\"digit_error\":");
              pb_str_append_double (&out, digit[k]);
              pb_str_append (&out, ",\"chunk_sd\":");
              pb_str_append_double (&out, chunk[k]);
              pb_str_append (&out, ",\"train_seconds\":");
              pb_str_append_double (&out, secs[k]);
              pb_str_append (&out, "}");
            }
          pb_str_append (&out, "]}");
        }
      else
        pb_str_printf (&out, "%-12s %8zu  %.3f ± %.3f    %.3f ± %.3f    %8.3f  %7.2f\n", name,
                       r[0].params, tm, ts, dm, dsd, cm, sm);
    }
  if (n_models >= 2 && rounds >= 2)
    tests = study_compare (all_test, n_models, (int) rounds);
  if (json)
    {
      pb_str_append (&out, "],");
      study_append_tests_json (&out, names, n_models, tests);
      pb_str_append (&out, "}\n");
    }
  else
    {
      pb_str_printf (&out, "(%ld rounds, seeds %llu–%llu, mean ± sample std over rounds; "
                     "chunk sd: the report's spread over 20 chunks of the test set)\n", rounds,
                     (unsigned long long) s.seed,
                     (unsigned long long) (s.seed + (uint64_t) rounds - 1));
      if (tests != NULL)
        study_append_tests_text (&out, names, n_models, (int) rounds, tests);
    }

  rc = 0;
  if (out.failed || (n_models >= 2 && rounds >= 2 && tests == NULL))
    {
      fprintf (stderr, "%s %s: out of memory\n", prog, cmd);
      rc = 1;
    }
  else
    fputs (out.data, stdout);
  if (rc == 0 && plots != NULL)
    rc = pb_cli_plots_write (plots, &s, models, n_models, (int) rounds, results);
  pb_cli_plots_free (plots);
  if (rc == 0 && csv != NULL
      && pb_write_file_atomic (csv, csv_out.data, csv_out.len, &err) != PB_OK)
    rc = pb_cli_failure (cmd, &err);
  if (rc == 0 && table != NULL)
    {
      PbStr table_out;
      pb_str_init (&table_out);
      pb_table_format_rows (&table_out, rows, n_models, table_format);
      if (table_out.failed)
        {
          fprintf (stderr, "%s %s: out of memory\n", prog, cmd);
          rc = 1;
        }
      else if (pb_write_file_atomic (table, table_out.data, table_out.len, &err) != PB_OK)
        rc = pb_cli_failure (cmd, &err);
      pb_str_clear (&table_out);
    }
  free (tests);
  pb_str_clear (&out);
  pb_str_clear (&csv_out);
  free (values);
  pb_study_results_clear (results, total);
  free (results);
  return rc;
}

/* pairs */

static int
cmd_pairs (int argc, char **argv)
{
  const char *cmd = "pairs";
  const char *data_dir = NULL, *out = NULL, *labels = NULL, *split = NULL, *v;
  PbTrainSettings s;
  PbError err = { { 0 } };
  PbMnist mnist = { 0 };
  int rc;

  pb_train_settings_init (&s, "siamese", NULL);
  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0)
        {
          printf ("Usage: %s pairs [--seed S] [--pairs N] [--test-pairs M] --split train|test\n"
                  "       --out FILE.idx [--labels FILE.idx] [--data DIR]\n"
                  "Writes the exact pairs a run with that seed uses: float32 IDX N×2×14×14 on the\n"
                  "0–255 pooled scale, and the digit classes as an unsigned-byte IDX N×2.\n", prog);
          return 0;
        }
      if (pb_cli_match (argc, argv, &i, "--split", &v))
        {
          if (v == NULL || (strcmp (v, "train") != 0 && strcmp (v, "test") != 0))
            return pb_cli_usage_error (cmd, "--split: expected train or test, got '%s'",
                                       v ? v : "");
          split = v;
          continue;
        }
      if (pb_cli_match (argc, argv, &i, "--out", &v))
        {
          if (v == NULL)
            return pb_cli_usage_error (cmd, "--out: expected a file name");
          out = v;
          continue;
        }
      if (pb_cli_match (argc, argv, &i, "--labels", &v))
        {
          if (v == NULL)
            return pb_cli_usage_error (cmd, "--labels: expected a file name");
          labels = v;
          continue;
        }
      rc = parse_run_option (cmd, argc, argv, &i, &s, &data_dir);
      if (rc == EXIT_USAGE)
        return rc;
      if (rc == 0)
        return pb_cli_usage_error (cmd, "unknown option '%s' (see --help)", argv[i]);
    }
  if (split == NULL || out == NULL)
    return pb_cli_usage_error (cmd, "--split and --out are required (see --help)");
  if ((rc = pb_cli_load_mnist (cmd, data_dir, &mnist)) != 0)
    return rc;

  PbPairs pairs = { 0 };
  PbSplit which = strcmp (split, "train") == 0 ? PB_SPLIT_TRAIN : PB_SPLIT_TEST;
  PbStatus st = pb_run_draw_pairs (&s, &mnist, which, &pairs, &err);
  uint32_t dims[4] = { (uint32_t) pairs.n, 2, PB_IMAGE_SIDE, PB_IMAGE_SIDE };
  uint32_t ldims[2] = { (uint32_t) pairs.n, 2 };
  if (st == PB_OK)
    st = pb_idx_write_f32 (out, 4, dims, pairs.images, &err);
  if (st == PB_OK && labels != NULL)
    st = pb_idx_write_u8 (labels, 2, ldims, pairs.classes, &err);
  pb_pairs_clear (&pairs);
  pb_mnist_clear (&mnist);
  if (st != PB_OK)
    return pb_cli_failure (cmd, &err);
  fprintf (stderr, "wrote %d %s pairs to %s\n", dims[0], split, out);
  return 0;
}

/* predict */

static PbStatus
pairs_from_idx (const char *path, const PbIdx *idx, PbPairs *pairs, PbError *err)
{
  PbStatus st;

  if (idx->ndim != 4 || idx->dims[1] != 2 || idx->dims[2] != PB_IMAGE_SIDE
      || idx->dims[3] != PB_IMAGE_SIDE)
    return pb_error_set (err, PB_ERR_FORMAT, "%s: expected an N×2×14×14 array, found %d "
                         "dimensions (%u×%u×…)", path, idx->ndim, idx->dims[0],
                         idx->ndim > 1 ? idx->dims[1] : 0);
  if (idx->dims[0] < 1 || idx->dims[0] > 1000000)
    return pb_error_set (err, PB_ERR_FORMAT, "%s: expected 1–1000000 pairs, found %u", path,
                         idx->dims[0]);
  if ((st = pb_pairs_alloc ((int) idx->dims[0], pairs, err)) != PB_OK)
    return st;
  for (size_t i = 0; i < idx->count; i++)
    pairs->images[i] = idx->type == 0x08 ? (float) ((const uint8_t *) idx->data)[i]
                                         : ((const float *) idx->data)[i];
  return PB_OK;
}

static int
cmd_predict (int argc, char **argv)
{
  const char *cmd = "predict";
  const char *weights = NULL, *input = NULL, *labels = NULL, *v;
  bool json = false;
  PbError err = { { 0 } };
  PbIdx idx = { 0 }, lidx = { 0 };
  PbPairs pairs = { 0 };
  PbModel *model = NULL;
  PbWeightsInfo info;
  int rc = 1;

  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0)
        {
          printf ("Usage: %s predict --weights FILE --input FILE.idx [--labels FILE.idx] "
                  "[--json]\n"
                  "Predicts each pair of an N×2×14×14 IDX file (unsigned byte or float32, on the\n"
                  "0–255 pooled scale): the label (1 when the first digit is larger), the two\n"
                  "digits and P(label = 1). With --labels (N×2 digit classes) it prints the "
                  "error.\n", prog);
          return 0;
        }
      v = NULL;
      if (strcmp (argv[i], "--json") == 0)
        {
          json = true;
          continue;
        }
      if (pb_cli_match (argc, argv, &i, "--weights", &v))
        weights = v;
      else if (pb_cli_match (argc, argv, &i, "--input", &v))
        input = v;
      else if (pb_cli_match (argc, argv, &i, "--labels", &v))
        labels = v;
      else
        return pb_cli_usage_error (cmd, "unknown option '%s' (see --help)", argv[i]);
      if (v == NULL)
        return pb_cli_usage_error (cmd, "%s: expected a file name", argv[i]);
    }
  if (weights == NULL || input == NULL)
    return pb_cli_usage_error (cmd, "--weights and --input are required (see --help)");

  if (pb_safetensors_load (weights, 100, &model, &info, &err) != PB_OK
      || pb_idx_read (input, &idx, &err) != PB_OK
      || pairs_from_idx (input, &idx, &pairs, &err) != PB_OK)
    goto fail;
  if (labels != NULL)
    {
      if (pb_idx_read (labels, &lidx, &err) != PB_OK)
        goto fail;
      if (lidx.type != 0x08 || lidx.ndim != 2 || lidx.dims[0] != (uint32_t) pairs.n
          || lidx.dims[1] != 2)
        {
          pb_error_set (&err, PB_ERR_FORMAT, "%s: expected unsigned-byte digit classes %d×2, "
                        "found type 0x%02x with %d dimensions (%u…)", labels, pairs.n, lidx.type,
                        lidx.ndim, lidx.dims[0]);
          goto fail;
        }
      for (int i = 0; i < pairs.n; i++)
        {
          const uint8_t *c = (const uint8_t *) lidx.data + 2 * i;
          if (c[0] > 9 || c[1] > 9)
            {
              pb_error_set (&err, PB_ERR_FORMAT, "%s: pair %d: expected digits 0–9, found %u "
                            "and %u", labels, i, c[0], c[1]);
              goto fail;
            }
          pairs.classes[2 * i] = c[0];
          pairs.classes[2 * i + 1] = c[1];
          pairs.labels[i] = pb_pair_label (c[0], c[1]);
        }
    }

  uint8_t *pred = malloc ((size_t) pairs.n * 3);
  float *prob = malloc ((size_t) pairs.n * sizeof (float));
  if (pred == NULL || prob == NULL
      || pb_model_predict (model, info.input_mean, info.input_std, &pairs, pred, prob,
                           pred + pairs.n, &err) != PB_OK)
    {
      free (pred);
      free (prob);
      if (err.message[0] == '\0')
        pb_error_set (&err, PB_ERR_NOMEM, "out of memory");
      goto fail;
    }
  uint8_t *digits = pred + pairs.n;
  int wrong = 0;
  for (int i = 0; i < pairs.n && labels != NULL; i++)
    wrong += pred[i] != pairs.labels[i];

  PbStr out;
  pb_str_init (&out);
  if (json)
    {
      pb_str_append (&out, "{\"predictions\":[");
      for (int i = 0; i < pairs.n; i++)
        pb_str_printf (&out, "%s%d", i > 0 ? "," : "", pred[i]);
      pb_str_append (&out, "],\"digits\":[");
      for (int i = 0; i < pairs.n; i++)
        pb_str_printf (&out, "%s[%d,%d]", i > 0 ? "," : "", digits[2 * i], digits[2 * i + 1]);
      pb_str_append (&out, "],\"probabilities\":[");
      for (int i = 0; i < pairs.n; i++)
        {
          if (i > 0)
            pb_str_append (&out, ",");
          pb_str_append_float (&out, prob[i]);
        }
      pb_str_append (&out, "]");
      if (labels != NULL)
        {
          pb_str_append (&out, ",\"error\":");
          pb_str_append_double (&out, (double) wrong / pairs.n);
        }
      pb_str_append (&out, "}\n");
    }
  else
    {
      pb_str_append (&out, "pair,label,digit1,digit2,p1\n");
      for (int i = 0; i < pairs.n; i++)
        pb_str_printf (&out, "%d,%d,%d,%d,%.6f\n", i, pred[i], digits[2 * i], digits[2 * i + 1],
                       (double) prob[i]);
      if (labels != NULL)
        pb_str_printf (&out, "error %.6g (%d of %d wrong)\n", (double) wrong / pairs.n, wrong,
                       pairs.n);
    }
  fputs (out.data, stdout);
  pb_str_clear (&out);
  free (pred);
  free (prob);
  rc = 0;
  goto done;

fail:
  rc = pb_cli_failure (cmd, &err);
done:
  pb_model_free (model);
  pb_idx_clear (&idx);
  pb_idx_clear (&lidx);
  pb_pairs_clear (&pairs);
  return rc;
}

static void
usage (FILE *f)
{
  fprintf (f, "Usage: %s COMMAND [options]\n\n"
           "Commands:\n"
           "  train     train one model and print its result\n"
           "  study     train several models over rounds and print Table II\n"
           "  pairs     write a run's digit pairs as IDX files\n"
           "  predict   predict pairs with trained weights\n"
           "  bench     time training (bench train) and the study (bench study)\n"
           "  tsne      embed points (CSV or .npy) in 2-D with t-SNE\n"
           "  embed     map a trained model's last layer with t-SNE (Figures 2–5)\n"
           "\nRun '%s COMMAND --help' for a command's options.\n", prog, prog);
}

int
main (int argc, char **argv)
{
  if (argc < 2)
    {
      usage (stderr);
      return EXIT_USAGE;
    }
  if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0)
    {
      usage (stdout);
      return 0;
    }
  if (strcmp (argv[1], "--version") == 0)
    {
      printf ("pairbench-cli %s\n", PB_VERSION);
      return 0;
    }
  if (strcmp (argv[1], "train") == 0)
    return cmd_train (argc - 1, argv + 1);
  if (strcmp (argv[1], "study") == 0)
    return cmd_study (argc - 1, argv + 1);
  if (strcmp (argv[1], "pairs") == 0)
    return cmd_pairs (argc - 1, argv + 1);
  if (strcmp (argv[1], "predict") == 0)
    return cmd_predict (argc - 1, argv + 1);
  if (strcmp (argv[1], "bench") == 0)
    return pb_cli_bench (argc - 1, argv + 1);
  if (strcmp (argv[1], "tsne") == 0)
    return pb_cli_tsne (argc - 1, argv + 1);
  if (strcmp (argv[1], "embed") == 0)
    return pb_cli_embed (argc - 1, argv + 1);
  fprintf (stderr, "%s: unknown command '%s' (see --help)\n", prog, argv[1]);
  return EXIT_USAGE;
}
