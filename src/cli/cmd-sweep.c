/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pairbench-cli sweep: a settings search from a W&B-style config, chosen on a validation split;
 * the best settings' test error afterwards; or one shard of it (--shard K/N), which merge joins.
 */

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pb-cli.h"
#include "pb-cli-commands.h"
#include "pb-core.h"
#include "pb-shard.h"
#include "pb-sweep.h"
#include "study-shard.h"
#include "sweep-report.h"

#define MAX_NEXT_BYTES (256u << 20)

typedef struct
{
  const PbSweepConfig *config;
  int done, total;
} SweepProgress;

static void
sweep_unit_done (void *user_data, const PbSweepResult *r)
{
  SweepProgress *p = user_data;
  p->done++;
  fprintf (stderr, "[%d/%d] trial %d round %d (rung %d, %d epochs, seed %" PRIu64 "): ",
           p->done, p->total, r->trial + 1, r->round + 1, r->rung, r->epochs, r->seed);
  if (r->status == PB_OK)
    fprintf (stderr, "val error %.4f, %.1f s\n", r->val_error, r->train_seconds);
  else
    fprintf (stderr, "diverged, %.1f s\n", r->train_seconds);
}

/* A next-rung file's earlier results, after checking that it belongs to this config and base. */
static int
read_resume (const char *cmd, const char *path, const PbSweepConfig *config,
             const PbTrainSettings *base, PbSweepResult **earlier, int *n_earlier)
{
  PbError err = { { 0 } };
  char *text = NULL;
  size_t len = 0;
  PbJson *root = NULL;
  PbSweepConfig c;
  PbTrainSettings b;
  const char *format;
  PbStatus st;

  *earlier = NULL;
  *n_earlier = 0;
  if (pb_read_file (path, MAX_NEXT_BYTES, "a sweep's next rung", &text, &len, &err) != PB_OK
      || pb_json_parse (text, len, path, &root, &err) != PB_OK)
    {
      free (text);
      return pb_cli_failure (cmd, &err);
    }
  format = pb_json_get_string (root, "format");
  if (format == NULL || strcmp (format, PB_SWEEP_NEXT_FORMAT) != 0)
    st = pb_error_set (&err, PB_ERR_FORMAT, "%s: expected a sweep's next rung (\"format\": \""
                       PB_SWEEP_NEXT_FORMAT "\" from merge --next-rung), found %s", path,
                       format != NULL ? format : "another file");
  else if ((st = pb_sweep_config_from_json (text, pb_json_get (root, "config"), path, &c, &err))
           != PB_OK)
    ;
  else if (c.hash != config->hash)
    st = pb_error_set (&err, PB_ERR_INVALID, "%s: expected the next rung of this --config, found "
                       "another config's", path);
  else if ((st = pb_sweep_cli_read_base (text, pb_json_get (root, "base"), path, &b, &err))
           != PB_OK)
    ;
  else
    {
      PbStr x, y;
      pb_str_init (&x);
      pb_str_init (&y);
      pb_sweep_cli_append_base (&x, &b);
      pb_sweep_cli_append_base (&y, base);
      if (x.failed || y.failed || strcmp (x.data, y.data) != 0)
        st = pb_error_set (&err, PB_ERR_INVALID, "%s: expected the next rung of these run "
                           "options, found other base settings: %s", path, x.data);
      pb_str_clear (&x);
      pb_str_clear (&y);
      if (st == PB_OK)
        st = pb_sweep_cli_read_results (config, pb_json_get (root, "results"), path, "results",
                                        earlier, n_earlier, &err);
    }
  pb_json_free (root);
  free (text);
  if (st == PB_OK && *n_earlier == 0)
    st = pb_error_set (&err, PB_ERR_FORMAT, "%s: expected the earlier rungs' results, found "
                       "none", path);
  if (st != PB_OK)
    {
      free (*earlier);
      *earlier = NULL;
      return st == PB_ERR_INVALID ? pb_cli_usage_error (cmd, "%s", err.message)
                                  : pb_cli_failure (cmd, &err);
    }
  pb_sweep_cli_sort_results (*earlier, *n_earlier);
  return 0;
}

/* The shard's --json: the header, then config, base, rung, the earlier rungs and its results. */
static void
append_shard (PbStr *out, const PbSweepConfig *config, const PbTrainSettings *base,
              const PbShard *shard, int rung, const PbSweepResult *earlier, int n_earlier,
              const long *units, const PbSweepResult *results, int n)
{
  pb_str_append (out, "{");
  pb_shard_header_append (out, "sweep", pb_cli_build (),
                          pb_sweep_cli_hash (config, base, rung, earlier, n_earlier), shard,
                          units, n);
  pb_str_append (out, ",\"config\":");
  pb_sweep_config_to_json (config, out);
  pb_str_append (out, ",\"base\":");
  pb_sweep_cli_append_base (out, base);
  pb_str_printf (out, ",\"rung\":%d,\"earlier\":", rung);
  pb_sweep_cli_append_results (out, config, earlier, n_earlier);
  pb_str_append (out, ",\"results\":");
  pb_sweep_cli_append_results (out, config, results, n);
  pb_str_append (out, "}\n");
}

typedef struct
{
  const char *config_path, *out, *preset, *resume, *data_dir;
  bool json, sharded;
  PbShard shard;
  int jobs;
} SweepOptions;

static int
sweep_run (const char *cmd, const PbSweepConfig *config, const PbTrainSettings *base,
           const SweepOptions *o)
{
  PbSweepResult *all = NULL, *earlier = NULL;
  PbSweepUnit *units = NULL;
  int n_all = 0, n_earlier = 0, n_units, rc, rung = 0, cap;
  PbError err = { { 0 } };
  PbMnist mnist = { 0 };
  long *owned = NULL;

  if (o->resume != NULL
      && (rc = read_resume (cmd, o->resume, config, base, &earlier, &n_earlier)) != 0)
    return rc;
  n_units = pb_sweep_cli_rung_units (config, base->epochs, earlier, n_earlier, &units);
  if (n_units == 0)
    {
      free (earlier);
      return pb_cli_usage_error (cmd, "--resume: %s: its last rung was the sweep's last; merge "
                                 "its shards without --next-rung for the summary", o->resume);
    }
  cap = n_earlier + config->trials * config->rounds * pb_sweep_n_rungs (config, base->epochs);
  all = calloc ((size_t) cap, sizeof *all);
  owned = calloc ((size_t) config->trials * (size_t) config->rounds + 1, sizeof *owned);
  if (n_units < 0 || all == NULL || owned == NULL)
    {
      free (earlier);
      free (units);
      free (all);
      free (owned);
      fprintf (stderr, "%s %s: out of memory\n", PB_CLI_NAME, cmd);
      return 1;
    }
  if (n_earlier > 0)
    memcpy (all, earlier, (size_t) n_earlier * sizeof *all);
  n_all = n_earlier;
  if ((rc = pb_cli_load_mnist (cmd, o->data_dir, &mnist)) != 0)
    goto out;
  pb_blas_set_single_thread ();

  while (n_units > 0)
    {
      int n_run = 0;
      rung = units[0].rung;
      /* A shard's units of this rung: unit u (1-based) is shard ((u − 1) mod N) + 1's. */
      for (int i = 0; i < n_units; i++)
        if (!o->sharded || pb_shard_owns (&o->shard, i + 1))
          {
            units[n_run] = units[i];
            owned[n_run++] = i + 1;
          }
      SweepProgress progress = { .config = config, .total = n_run };
      PbSweepCallbacks cb = { .unit_done = sweep_unit_done, .user_data = &progress };
      if (pb_sweep_run_units (config, base, units, n_run, o->jobs, &mnist, &cb, all + n_all,
                              &err) != PB_OK)
        {
          rc = pb_cli_failure (cmd, &err);
          goto out;
        }
      n_all += n_run;
      free (units);
      units = NULL;
      if (o->sharded)
        break;
      pb_sweep_cli_sort_results (all, n_all);
      n_units = pb_sweep_cli_rung_units (config, base->epochs, all, n_all, &units);
      if (n_units < 0)
        {
          fprintf (stderr, "%s %s: out of memory\n", PB_CLI_NAME, cmd);
          rc = 1;
          goto out;
        }
    }

  if (o->sharded)
    {
      PbSweepResult *mine = all + n_earlier;
      int n_mine = n_all - n_earlier;
      if (o->out != NULL
          && pb_sweep_cli_write_jsonl (o->out, config, mine, n_mine, &err) != PB_OK)
        {
          rc = pb_cli_failure (cmd, &err);
          goto out;
        }
      if (o->json)
        {
          PbStr s;
          pb_str_init (&s);
          append_shard (&s, config, base, &o->shard, rung, earlier, n_earlier, owned, mine,
                        n_mine);
          if (s.failed)
            rc = (fprintf (stderr, "%s %s: out of memory\n", PB_CLI_NAME, cmd), 1);
          else
            fputs (s.data, stdout);
          pb_str_clear (&s);
        }
      else
        printf ("shard %d/%d of rung %d: %d units done; run it with --json for merge\n",
                o->shard.k, o->shard.n, rung, n_mine);
      goto out;
    }
  if (o->out != NULL && pb_sweep_cli_write_jsonl (o->out, config, all, n_all, &err) != PB_OK)
    {
      rc = pb_cli_failure (cmd, &err);
      goto out;
    }
  rc = pb_sweep_cli_finish (cmd, config, base, all, n_all, o->data_dir, &mnist, o->jobs, o->json,
                            o->preset);

out:
  pb_mnist_clear (&mnist);
  free (earlier);
  free (units);
  free (all);
  free (owned);
  return rc;
}

static void
print_help (void)
{
  printf ("Usage: %s sweep --config SWEEP.json [--model NAME] [options] [--jobs J]\n"
          "       [--out TRIALS.jsonl] [--json] [--save-preset NAME] [--shard K/N]\n"
          "       [--resume NEXT.json]\n"
          "Searches settings as a W&B sweep config says (method grid, random or halving;\n"
          "parameters with values, value, or a distribution: uniform, log_uniform_values,\n"
          "int_uniform, q_uniform). Every trial starts from the options given here, trains on\n"
          "the training pairs less the config's val-pairs, and is chosen on its val_error\n"
          "alone; the test pairs are not evaluated. The best settings are then trained on all\n"
          "the training pairs for the config's rounds, and their test error is reported with\n"
          "the train command that reproduces it. See docs/sweeps.md.\n\n"
          "  --config FILE      the sweep config (JSON)\n"
          "  --model NAME       the base model (default siamese-aux)\n"
          PB_CLI_RUN_OPTIONS_HELP
          "                     (--seed and --val-pairs come from the config)\n"
          "  --jobs J           runs trained at once (default: the number of cores)\n"
          "  --out FILE         write one JSON line per trial and round (TRIALS.jsonl)\n"
          "  --json             print the summary (or with --shard, the shard file) as JSON\n"
          "  --save-preset NAME save the best settings as a preset for train --preset NAME\n"
          "  --shard K/N        run only shard K of N of the first rung (or of --resume's);\n"
          "                     join the shards' --json files with merge\n"
          "  --resume FILE      the next rung that merge --next-rung wrote (halving)\n",
          PB_CLI_NAME);
}

int
pb_cli_sweep (int argc, char **argv)
{
  const char *cmd = "sweep", *v;
  SweepOptions o = { 0 };
  PbTrainSettings base;
  PbSweepConfig config;
  PbError err = { { 0 } };
  long jobs = sysconf (_SC_NPROCESSORS_ONLN);
  int rc;

  o.jobs = jobs < 1 ? 1 : jobs > 64 ? 64 : (int) jobs;
  for (int i = 1; i < argc; i++)
    if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0)
      {
        print_help ();
        return 0;
      }
  pb_train_settings_init (&base, "siamese-aux", NULL);
  if ((rc = pb_cli_apply_preset (cmd, argc, argv, &base)) != 0)
    return rc;
  for (int i = 1; i < argc; i++)
    {
      const char *arg = argv[i];
      if (pb_cli_match (argc, argv, &i, "--config", &v))
        {
          if (v == NULL || *v == '\0')
            return pb_cli_usage_error (cmd, "--config: expected a file name");
          o.config_path = v;
        }
      else if (pb_cli_match (argc, argv, &i, "--model", &v))
        {
          PbArch named;
          if (v == NULL || pb_arch_from_name (v, &named, &err) != PB_OK)
            return pb_cli_usage_error (cmd, "--model: %s", v ? err.message : "expected a name");
          base.arch.kind = named.kind;
          base.arch.aux = named.aux;
        }
      else if (pb_cli_match (argc, argv, &i, "--jobs", &v))
        {
          if (!pb_cli_parse_int (v, 1, 64, &jobs))
            return pb_cli_usage_error (cmd, "--jobs: expected an integer 1–64, got '%s'",
                                       v ? v : "");
          o.jobs = (int) jobs;
        }
      else if (pb_cli_match (argc, argv, &i, "--out", &v))
        {
          if (v == NULL || *v == '\0')
            return pb_cli_usage_error (cmd, "--out: expected a file name");
          o.out = v;
        }
      else if (pb_cli_match (argc, argv, &i, "--save-preset", &v))
        {
          if (pb_preset_check_name (v, &err) != PB_OK)
            return pb_cli_usage_error (cmd, "--save-preset: %s", err.message);
          o.preset = v;
        }
      else if (pb_cli_match (argc, argv, &i, "--shard", &v))
        {
          if (pb_shard_parse (v != NULL ? v : "", &o.shard, &err) != PB_OK)
            return pb_cli_usage_error (cmd, "%s", err.message);
          o.sharded = true;
        }
      else if (pb_cli_match (argc, argv, &i, "--resume", &v))
        {
          if (v == NULL || *v == '\0')
            return pb_cli_usage_error (cmd, "--resume: expected a file name");
          o.resume = v;
        }
      else if (strcmp (arg, "--json") == 0)
        o.json = true;
      else if (strncmp (arg, "--seed", 6) == 0 && (arg[6] == '\0' || arg[6] == '='))
        return pb_cli_usage_error (cmd, "--seed: a sweep's seeds are its config's \"seed\" + "
                                   "round; set it there");
      else if (strncmp (arg, "--val-pairs", 11) == 0 && (arg[11] == '\0' || arg[11] == '='))
        return pb_cli_usage_error (cmd, "--val-pairs: a sweep's validation split is its "
                                   "config's \"val-pairs\"; set it there");
      else
        {
          rc = pb_cli_parse_run_option (cmd, argc, argv, &i, &base, &o.data_dir);
          if (rc == PB_CLI_EXIT_USAGE)
            return rc;
          if (rc == 0)
            return pb_cli_usage_error (cmd, "unknown option '%s' (see --help)", argv[i]);
        }
    }
  if (o.config_path == NULL)
    return pb_cli_usage_error (cmd, "--config is required (see --help)");
  if (o.sharded && o.preset != NULL)
    return pb_cli_usage_error (cmd, "--save-preset: a shard does not choose; merge the shards "
                               "for the summary");
  if (pb_train_settings_validate (&base, &err) != PB_OK)
    return pb_cli_usage_error (cmd, "%s", err.message);
  switch (pb_sweep_config_load (o.config_path, &config, &err))
    {
    case PB_OK:
      break;
    case PB_ERR_INVALID:
      return pb_cli_usage_error (cmd, "%s", err.message);
    default:
      return pb_cli_failure (cmd, &err);
    }
  if (o.resume != NULL && config.method != PB_SWEEP_HALVING)
    return pb_cli_usage_error (cmd, "--resume: only a halving sweep has rungs to resume, %s's "
                               "method is %s", o.config_path,
                               pb_sweep_method_name (config.method));
  /* Every trial's settings, before any work: a combination train refuses is a usage error. */
  for (int t = 0; t < config.trials; t++)
    {
      PbTrainSettings s;
      if (pb_sweep_trial (&config, &base, t, &s, NULL, &err) != PB_OK)
        return pb_cli_usage_error (cmd, "%s: %s", o.config_path, err.message);
    }
  if (o.out != NULL && (rc = pb_cli_check_output (cmd, o.out)) != 0)
    return rc;
  return sweep_run (cmd, &config, &base, &o);
}
