/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A sweep's units on worker threads, the halving rungs' survivors, and the summary. */
#include "pb-sweep.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pb-stats.h"

typedef struct
{
  const PbSweepConfig *config;
  const PbTrainSettings *base;
  const PbSweepUnit *units;
  int n_units;
  const PbMnist *mnist;
  const PbSweepCallbacks *cb;
  PbSweepResult *results;
  pthread_mutex_t lock;
  int next;
  PbStatus first_error;
  PbError error;
} Sweep;

static bool
sweep_cancelled (void *user_data)
{
  Sweep *sweep = user_data;
  return sweep->cb != NULL && sweep->cb->cancelled != NULL
         && sweep->cb->cancelled (sweep->cb->user_data);
}

/* One unit: the trial's settings with the round's seed and the rung's epochs, trained on the
 * training pairs less the validation split; only the last epoch is evaluated (its val_error is
 * what a run evaluating every epoch would get there) and never on the test pairs. */
static PbStatus
run_unit (Sweep *sweep, const PbSweepUnit *u, PbSweepResult *res, PbError *err)
{
  PbTrainCallbacks cb = { .cancelled = sweep_cancelled, .user_data = sweep };
  PbTrainSettings s;
  PbRun *run = NULL;
  PbStatus st;
  double t0;

  memset (res, 0, sizeof *res);
  res->trial = u->trial;
  res->round = u->round;
  res->rung = u->rung;
  res->seed = sweep->config->seed + (uint64_t) u->round;
  res->val_error = NAN;
  res->n_values = sweep->config->n_params;
  if ((st = pb_sweep_trial (sweep->config, sweep->base, u->trial, &s, res->values, err)) != PB_OK)
    return st;
  s.seed = res->seed;
  s.epochs = u->epochs;
  s.eval_every = 0;
  res->params = pb_arch_param_count (&s.arch);
  if ((st = pb_run_new (&s, sweep->mnist, &run, err)) != PB_OK)
    return st;
  pb_run_skip_test (run, true);
  t0 = pb_now_seconds ();
  st = pb_run_train (run, &cb, err);
  res->epochs = pb_run_n_epochs_done (run);
  res->train_seconds = pb_now_seconds () - t0;
  if (res->epochs > 0)
    {
      const PbEpochRecord *last = &pb_run_epochs (run)[res->epochs - 1];
      res->train_seconds = last->train_seconds;
      if (st == PB_OK)
        res->val_error = last->val_error;
    }
  pb_run_free (run);
  res->status = st == PB_ERR_DIVERGED ? PB_ERR_DIVERGED : PB_OK;
  return st == PB_ERR_DIVERGED ? PB_OK : st;
}

static void *
sweep_worker (void *data)
{
  Sweep *sweep = data;

  for (;;)
    {
      PbError err = { { 0 } };
      PbStatus st;
      int i;

      pthread_mutex_lock (&sweep->lock);
      i = sweep->next < sweep->n_units && sweep->first_error == PB_OK ? sweep->next++ : -1;
      pthread_mutex_unlock (&sweep->lock);
      if (i < 0 || sweep_cancelled (sweep))
        break;

      st = run_unit (sweep, &sweep->units[i], &sweep->results[i], &err);

      pthread_mutex_lock (&sweep->lock);
      if (st != PB_OK && st != PB_ERR_CANCELLED && sweep->first_error == PB_OK)
        {
          sweep->first_error = st;
          pb_error_set (&sweep->error, st, "trial %d, round %d: %s", sweep->units[i].trial + 1,
                        sweep->units[i].round + 1, err.message);
        }
      if (st == PB_OK && sweep->cb != NULL && sweep->cb->unit_done != NULL)
        sweep->cb->unit_done (sweep->cb->user_data, &sweep->results[i]);
      pthread_mutex_unlock (&sweep->lock);
    }
  return NULL;
}

PbStatus
pb_sweep_run_units (const PbSweepConfig *self, const PbTrainSettings *base,
                    const PbSweepUnit *units, int n_units, int jobs, const PbMnist *mnist,
                    const PbSweepCallbacks *cb, PbSweepResult *results, PbError *err)
{
  Sweep sweep = {
    .config = self, .base = base, .units = units, .n_units = n_units, .mnist = mnist, .cb = cb,
    .results = results,
  };
  pthread_t threads[64];
  int n_threads = jobs;

  if (jobs < 1 || jobs > 64)
    return pb_error_set (err, PB_ERR_INVALID, "--jobs: expected 1–64, got %d", jobs);
  memset (results, 0, (size_t) n_units * sizeof *results);
  pthread_mutex_init (&sweep.lock, NULL);
  if (n_threads > n_units)
    n_threads = n_units;
  for (int i = 0; i < n_threads; i++)
    if (pthread_create (&threads[i], NULL, sweep_worker, &sweep) != 0)
      {
        n_threads = i;
        break;
      }
  if (n_threads == 0 && n_units > 0)
    sweep_worker (&sweep);
  for (int i = 0; i < n_threads; i++)
    pthread_join (threads[i], NULL);
  pthread_mutex_destroy (&sweep.lock);

  if (sweep.first_error != PB_OK)
    {
      if (err != NULL)
        *err = sweep.error;
      return sweep.first_error;
    }
  if (sweep_cancelled (&sweep))
    return pb_error_set (err, PB_ERR_CANCELLED, "the sweep was cancelled");
  return PB_OK;
}

/* Trials by mean val_error (NaN last), then by number. */
typedef struct
{
  int trial;
  double mean;
} Ranked;

static int
compare_ranked (const void *a, const void *b)
{
  const Ranked *x = a, *y = b;
  bool nx = isnan (x->mean), ny = isnan (y->mean);

  if (nx != ny)
    return nx ? 1 : -1;
  if (!nx && x->mean != y->mean)
    return x->mean < y->mean ? -1 : 1;
  return (x->trial > y->trial) - (x->trial < y->trial);
}

/* The mean of the finite val_errors of trial t's results in rung, in round order; NaN when
 * there are none. *n_out: the results found. */
static double
trial_mean (const PbSweepResult *results, int n, int t, int rung, int *n_out, double *std_out,
            double *seconds_out)
{
  const PbSweepResult *by_round[1000] = { NULL };
  double vals[1000], secs = 0.0;
  int nv = 0, found = 0;

  for (int i = 0; i < n; i++)
    if (results[i].trial == t && results[i].rung == rung && results[i].round >= 0
        && results[i].round < 1000)
      by_round[results[i].round] = &results[i];
  for (int r = 0; r < 1000; r++)
    if (by_round[r] != NULL)
      {
        found++;
        secs += by_round[r]->train_seconds;
        if (by_round[r]->status == PB_OK && isfinite (by_round[r]->val_error))
          vals[nv++] = by_round[r]->val_error;
      }
  if (n_out != NULL)
    *n_out = found;
  if (std_out != NULL)
    *std_out = pb_stats_std (vals, nv);
  if (seconds_out != NULL)
    *seconds_out = found > 0 ? secs / found : NAN;
  return nv > 0 ? pb_stats_mean (vals, nv) : NAN;
}

int
pb_sweep_next_rung_units (const PbSweepConfig *self, int base_epochs,
                          const PbSweepResult *rung_results, int n_results, PbSweepUnit *out)
{
  Ranked *ranked;
  int rung, n = 0, keep, epochs, n_units = 0;

  if (n_results < 1)
    return 0;
  rung = rung_results[0].rung;
  if (rung + 1 >= pb_sweep_n_rungs (self, base_epochs))
    return 0;
  ranked = malloc ((size_t) n_results * sizeof *ranked);
  if (ranked == NULL)
    return -1;
  for (int i = 0; i < n_results; i++)
    {
      bool seen = false;
      for (int j = 0; j < n && !seen; j++)
        seen = ranked[j].trial == rung_results[i].trial;
      if (!seen)
        {
          ranked[n].trial = rung_results[i].trial;
          ranked[n].mean = trial_mean (rung_results, n_results, rung_results[i].trial, rung,
                                       NULL, NULL, NULL);
          n++;
        }
    }
  qsort (ranked, (size_t) n, sizeof *ranked, compare_ranked);
  keep = (n + self->eta - 1) / self->eta;
  /* The survivors in trial order. */
  for (int i = 0; i < keep; i++)
    for (int j = i + 1; j < keep; j++)
      if (ranked[j].trial < ranked[i].trial)
        {
          Ranked tmp = ranked[i];
          ranked[i] = ranked[j];
          ranked[j] = tmp;
        }
  epochs = pb_sweep_rung_epochs (self, base_epochs, rung + 1);
  for (int i = 0; i < keep; i++)
    for (int r = 0; r < self->rounds; r++)
      out[n_units++] = (PbSweepUnit) { .trial = ranked[i].trial, .round = r, .rung = rung + 1,
                                       .epochs = epochs };
  free (ranked);
  return n_units;
}

/* Parameter p's value in a result as a number for the correlation: the value itself (its log
 * for log_uniform_values) for a number, its index among the values for a choice. */
static double
param_x (const PbSweepParam *q, const char *value)
{
  const PbOptionInfo *o = pb_option_lookup (q->name);

  if (o != NULL && (o->kind == PB_OPTION_INT || o->kind == PB_OPTION_REAL))
    {
      double x = pb_strtod_c (value, NULL);
      return q->dist == PB_SWEEP_LOG_UNIFORM_VALUES ? log (x) : x;
    }
  for (int i = 0; i < q->n_values; i++)
    if (strcmp (q->values[i], value) == 0)
      return i;
  return NAN;
}

static double
pearson (const double *x, const double *y, int n)
{
  double mx = 0.0, my = 0.0, sxy = 0.0, sxx = 0.0, syy = 0.0;

  if (n < 2)
    return NAN;
  for (int i = 0; i < n; i++)
    {
      mx += x[i];
      my += y[i];
    }
  mx /= n;
  my /= n;
  for (int i = 0; i < n; i++)
    {
      sxy += (x[i] - mx) * (y[i] - my);
      sxx += (x[i] - mx) * (x[i] - mx);
      syy += (y[i] - my) * (y[i] - my);
    }
  if (!(sxx > 0.0) || !(syy > 0.0))
    return NAN;
  return sxy / sqrt (sxx * syy);
}

static int
compare_trials (const void *a, const void *b)
{
  const PbSweepTrialSummary *x = a, *y = b;
  Ranked rx = { x->trial, x->val_mean }, ry = { y->trial, y->val_mean };

  if (x->rung != y->rung)
    return x->rung > y->rung ? -1 : 1;
  return compare_ranked (&rx, &ry);
}

PbStatus
pb_sweep_summarise (const PbSweepConfig *self, const PbSweepResult *results, int n_results,
                    PbSweepSummary *out, PbError *err)
{
  int *top = calloc ((size_t) self->trials, sizeof (int));
  double *x = malloc ((size_t) self->trials * sizeof (double));
  double *y = malloc ((size_t) self->trials * sizeof (double));
  const PbSweepResult **first = calloc ((size_t) self->trials, sizeof *first);
  int n = 0;

  memset (out, 0, sizeof *out);
  out->trials = calloc ((size_t) self->trials, sizeof *out->trials);
  if (top == NULL || x == NULL || y == NULL || first == NULL || out->trials == NULL)
    {
      free (top);
      free (x);
      free (y);
      free (first);
      pb_sweep_summary_clear (out);
      return pb_error_set (err, PB_ERR_NOMEM, "out of memory for the sweep's summary");
    }
  for (int t = 0; t < self->trials; t++)
    top[t] = -1;
  for (int i = 0; i < n_results; i++)
    {
      const PbSweepResult *r = &results[i];
      if (r->trial < 0 || r->trial >= self->trials)
        {
          free (top);
          free (x);
          free (y);
          free (first);
          pb_sweep_summary_clear (out);
          return pb_error_set (err, PB_ERR_INVALID, "result %d: trial %d of %d", i + 1,
                               r->trial + 1, self->trials);
        }
      if (r->rung > top[r->trial])
        top[r->trial] = r->rung;
      if (r->rung == 0 && (first[r->trial] == NULL || r->round < first[r->trial]->round))
        first[r->trial] = r;
    }
  for (int t = 0; t < self->trials; t++)
    if (top[t] >= 0)
      {
        PbSweepTrialSummary *s = &out->trials[n++];
        s->trial = t;
        s->rung = top[t];
        s->val_mean = trial_mean (results, n_results, t, top[t], &s->rounds, &s->val_std,
                                  &s->train_seconds_mean);
      }
  out->n_trials = n;
  qsort (out->trials, (size_t) n, sizeof *out->trials, compare_trials);

  /* Importance over rung 0, where every trial had the same epochs. */
  out->n_params = self->n_params;
  for (int p = 0; p < self->n_params; p++)
    {
      PbSweepImportance *imp = &out->importance[p];
      int m = 0;

      for (int t = 0; t < self->trials; t++)
        {
          double mean;
          if (first[t] == NULL)
            continue;
          mean = trial_mean (results, n_results, t, 0, NULL, NULL, NULL);
          x[m] = param_x (&self->params[p], first[t]->values[p]);
          y[m] = mean;
          if (isfinite (x[m]) && isfinite (y[m]))
            m++;
        }
      snprintf (imp->name, sizeof imp->name, "%s", self->params[p].name);
      imp->correlation = self->params[p].dist == PB_SWEEP_VALUE ? NAN : pearson (x, y, m);
      imp->importance = isnan (imp->correlation) ? 0.0 : fabs (imp->correlation);
    }
  /* Stable, so equal importances keep the config's order. */
  for (int i = 1; i < self->n_params; i++)
    for (int j = i; j > 0 && out->importance[j].importance > out->importance[j - 1].importance;
         j--)
      {
        PbSweepImportance tmp = out->importance[j];
        out->importance[j] = out->importance[j - 1];
        out->importance[j - 1] = tmp;
      }
  free (top);
  free (x);
  free (y);
  free (first);
  return PB_OK;
}

void
pb_sweep_summary_clear (PbSweepSummary *self)
{
  free (self->trials);
  memset (self, 0, sizeof *self);
}
