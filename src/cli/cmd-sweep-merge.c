/* SPDX-License-Identifier: GPL-3.0-or-later */
/* merge of a sweep's shards: the summary that sweep prints on one machine, or for a halving
 * sweep whose rung is not the last, the next rung's trials (--next-rung --out NEXT.json). */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pb-cli.h"
#include "pb-cli-commands.h"
#include "pb-shard.h"
#include "pb-sweep.h"
#include "sweep-report.h"

typedef struct
{
  PbSweepConfig config;
  PbTrainSettings base;
  int rung;
  PbSweepResult *earlier, *results;
  int n_earlier, n_results;
} SweepShard;

static void
sweep_shard_clear (SweepShard *self)
{
  free (self->earlier);
  free (self->results);
  memset (self, 0, sizeof *self);
}

/* A shard's members, checked against its own hash. */
static PbStatus
read_shard (const PbShardFile *f, SweepShard *out, PbError *err)
{
  const PbJson *rung = pb_json_get (f->root, "rung");
  PbStatus st;

  memset (out, 0, sizeof *out);
  if ((st = pb_sweep_config_from_json (f->text, pb_json_get (f->root, "config"), f->path,
                                       &out->config, err)) != PB_OK)
    return PB_ERR_FORMAT;
  if ((st = pb_sweep_cli_read_base (f->text, pb_json_get (f->root, "base"), f->path, &out->base,
                                    err)) != PB_OK)
    return st;
  if (rung == NULL || rung->type != PB_JSON_NUMBER || rung->number < 0 || rung->number > 100)
    return pb_error_set (err, PB_ERR_FORMAT, "%s: rung: expected an integer 0–100", f->path);
  out->rung = (int) rung->number;
  if ((st = pb_sweep_cli_read_results (&out->config, pb_json_get (f->root, "earlier"), f->path,
                                       "earlier", &out->earlier, &out->n_earlier, err)) != PB_OK
      || (st = pb_sweep_cli_read_results (&out->config, pb_json_get (f->root, "results"),
                                          f->path, "results", &out->results, &out->n_results,
                                          err)) != PB_OK)
    return st;
  pb_sweep_cli_sort_results (out->earlier, out->n_earlier);
  if (pb_sweep_cli_hash (&out->config, &out->base, out->rung, out->earlier, out->n_earlier)
      != f->hash)
    return pb_error_set (err, PB_ERR_FORMAT, "%s: expected the config, base settings and earlier "
                         "rungs that its \"hash\" %016" PRIx64 " names, found others (an edited "
                         "file?)", f->path, f->hash);
  return PB_OK;
}

/* {"format":"pairbench-sweep-next",…}: what --resume reads. */
static void
append_next (PbStr *out, const SweepShard *s, const PbSweepResult *all, int n_all,
             const PbSweepUnit *units, int n_units)
{
  pb_str_append (out, "{\"format\":\"" PB_SWEEP_NEXT_FORMAT "\",\"version\":1,\"config\":");
  pb_sweep_config_to_json (&s->config, out);
  pb_str_append (out, ",\"base\":");
  pb_sweep_cli_append_base (out, &s->base);
  pb_str_printf (out, ",\"rung\":%d,\"units\":[", units[0].rung);
  for (int i = 0; i < n_units; i++)
    pb_str_printf (out, "%s{\"trial\":%d,\"round\":%d,\"epochs\":%d}", i > 0 ? "," : "",
                   units[i].trial + 1, units[i].round + 1, units[i].epochs);
  pb_str_append (out, "],\"results\":");
  pb_sweep_cli_append_results (out, &s->config, all, n_all);
  pb_str_append (out, "}\n");
}

int
pb_cli_merge_sweep (const char *cmd, PbShardFile *files, int n_files,
                    const PbCliMergeOptions *opts)
{
  SweepShard first = { 0 }, other = { 0 };
  PbSweepUnit *units = NULL, *next = NULL;
  PbSweepResult *all = NULL;
  PbError err = { { 0 } };
  int n_units, n_next, n_all, rc = 0;

  if (opts->table != NULL || opts->csv != NULL || opts->plots_dir != NULL)
    return pb_cli_usage_error (cmd, "%s: a sweep's shards; --table, --csv and --plots are for a "
                               "study's", opts->table != NULL ? "--table" : opts->csv != NULL
                               ? "--csv" : "--plots");
  if (opts->out != NULL && (rc = pb_cli_check_output (cmd, opts->out)) != 0)
    return rc;
  if (read_shard (&files[0], &first, &err) != PB_OK)
    return pb_cli_failure (cmd, &err);
  n_units = pb_sweep_cli_rung_units (&first.config, first.base.epochs, first.earlier,
                                     first.n_earlier, &units);
  if (n_units <= 0 || units[0].rung != first.rung)
    {
      pb_error_set (&err, PB_ERR_FORMAT, "%s: rung %d does not follow from its earlier results",
                    files[0].path, first.rung);
      rc = pb_cli_failure (cmd, &err);
      goto out;
    }
  if (pb_shard_files_check (files, n_files, n_units, &err) != PB_OK)
    {
      rc = pb_cli_failure (cmd, &err);
      goto out;
    }
  all = calloc ((size_t) (first.n_earlier + n_units), sizeof *all);
  if (all == NULL)
    {
      fprintf (stderr, "%s %s: out of memory\n", PB_CLI_NAME, cmd);
      rc = 1;
      goto out;
    }
  memcpy (all, first.earlier, (size_t) first.n_earlier * sizeof *all);
  n_all = first.n_earlier;
  /* Every file's results are exactly its units, which pb_shard_files_check matched to it. */
  for (int i = 0; i < n_files; i++)
    {
      SweepShard *s = i == 0 ? &first : &other;
      if (i > 0 && read_shard (&files[i], &other, &err) != PB_OK)
        {
          rc = pb_cli_failure (cmd, &err);
          goto out;
        }
      if (s->n_results != files[i].n_units)
        {
          pb_error_set (&err, PB_ERR_FORMAT, "%s: expected a result for each of its %d units, "
                        "found %d", files[i].path, files[i].n_units, s->n_results);
          rc = pb_cli_failure (cmd, &err);
          goto out;
        }
      for (int j = 0; j < s->n_results; j++)
        {
          const PbSweepUnit *u = &units[files[i].units[j] - 1];
          const PbSweepResult *r = &s->results[j];
          if (r->trial != u->trial || r->round != u->round || r->rung != u->rung)
            {
              pb_error_set (&err, PB_ERR_FORMAT, "%s: results[%d]: expected unit %ld (trial %d, "
                            "round %d, rung %d), found trial %d, round %d, rung %d",
                            files[i].path, j, files[i].units[j], u->trial + 1, u->round + 1,
                            u->rung, r->trial + 1, r->round + 1, r->rung);
              rc = pb_cli_failure (cmd, &err);
              goto out;
            }
          all[n_all++] = *r;
        }
      if (i > 0)
        sweep_shard_clear (&other);
    }
  pb_sweep_cli_sort_results (all, n_all);

  n_next = pb_sweep_cli_rung_units (&first.config, first.base.epochs, all, n_all, &next);
  if (n_next < 0)
    {
      fprintf (stderr, "%s %s: out of memory\n", PB_CLI_NAME, cmd);
      rc = 1;
    }
  else if (opts->next_rung && n_next == 0)
    {
      pb_error_set (&err, PB_ERR_INVALID, "%s: rung %d is the sweep's last; merge without "
                    "--next-rung for the summary", files[0].path, first.rung);
      rc = pb_cli_failure (cmd, &err);
    }
  else if (!opts->next_rung && n_next > 0)
    {
      pb_error_set (&err, PB_ERR_INVALID, "%s: rung %d (of 0–%d) is done; expected the last rung's "
                    "shards, or --next-rung --out NEXT.json to go on (then sweep --resume)",
                    files[0].path, first.rung,
                    pb_sweep_n_rungs (&first.config, first.base.epochs) - 1);
      rc = pb_cli_failure (cmd, &err);
    }
  else if (opts->next_rung)
    {
      PbStr s;
      pb_str_init (&s);
      append_next (&s, &first, all, n_all, next, n_next);
      if (s.failed)
        rc = (fprintf (stderr, "%s %s: out of memory\n", PB_CLI_NAME, cmd), 1);
      else if (pb_write_file_atomic (opts->out, s.data, s.len, &err) != PB_OK)
        rc = pb_cli_failure (cmd, &err);
      else
        fprintf (stderr, "rung %d: %d units for --resume %s\n", next[0].rung, n_next, opts->out);
      pb_str_clear (&s);
    }
  else if (opts->out != NULL
           && pb_sweep_cli_write_jsonl (opts->out, &first.config, all, n_all, &err) != PB_OK)
    rc = pb_cli_failure (cmd, &err);
  else
    rc = pb_sweep_cli_finish (cmd, &first.config, &first.base, all, n_all, opts->data_dir, NULL,
                              opts->jobs, opts->json, NULL);

out:
  sweep_shard_clear (&first);
  sweep_shard_clear (&other);
  free (units);
  free (next);
  free (all);
  return rc;
}
