/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pairbench-cli train: one run, its result on stdout and a line per epoch on stderr. */

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "pb-cli.h"
#include "pb-cli-commands.h"
#include "pb-core.h"

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

int
pb_cli_train (int argc, char **argv)
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
                PB_CLI_RUN_OPTIONS_HELP
                "  --weights FILE     write the trained weights as safetensors\n"
                "  --dry-run          check the settings and print the parameter count only\n"
                "  --json             print the result as one JSON object\n", PB_CLI_NAME);
        return 0;
      }
  if ((rc = pb_cli_apply_preset (cmd, argc, argv, &s)) != 0)
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
          if (v == NULL || *v == '\0')
            return pb_cli_usage_error (cmd, "--weights: expected a file name");
          weights = v;
          continue;
        }
      if (strcmp (argv[i], "--json") == 0)
        {
          json = true;
          continue;
        }
      rc = pb_cli_parse_run_option (cmd, argc, argv, &i, &s, &data_dir);
      if (rc == PB_CLI_EXIT_USAGE)
        return rc;
      if (rc == 0)
        return pb_cli_usage_error (cmd, "unknown option '%s' (see --help)", argv[i]);
    }
  if (pb_train_settings_validate (&s, &err) != PB_OK)
    return pb_cli_usage_error (cmd, "%s", err.message);
  if (dry_run)
    return print_dry_run (&s, json);
  if (weights != NULL && (rc = pb_cli_check_output (cmd, weights)) != 0)
    return rc;
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
