/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pairbench-cli bench: how fast the core trains, by the count of issue 7.
 *
 * FLOPs are 2 per multiply-add of the conv and linear layers, over the training steps only:
 * forward, plus backward for the weight gradients and the input gradients (none for conv1's
 * input). Evaluation is timed separately and not counted. The ceiling is single-thread sgemm on
 * a large square problem, measured in the same process. */

#include "pb-cli-commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "pb-cli.h"
#include "pb-core.h"

#define BENCH_MAX_MODELS 16
#define BENCH_MAX_REPEAT 50

/* Multiply-adds of one trunk application on one image (or stacked pair). first_conv: conv1's. */
static double
trunk_macs (const PbArch *a, int in_c, int n_out, double *first_conv)
{
  double macs = 0.0;
  int side = PB_IMAGE_SIDE, c_in = in_c;

  for (int l = 0; l < PB_N_CONV; l++)
    {
      int conv_side = side + 2 * a->padding[l] - a->kernel + 1;
      double m = (double) a->channels[l] * c_in * a->kernel * a->kernel
                 * (double) conv_side * conv_side;
      if (l == 0)
        *first_conv = m;
      macs += m;
      side = conv_side / 2;
      c_in = a->channels[l];
    }
  macs += (double) a->hidden * c_in * side * side; /* fc1 */
  macs += (double) n_out * a->hidden;               /* fc2 */
  return macs;
}

/* Training FLOPs per pair and per step of one pair (forward + both backward products). */
static double
train_flops_per_pair (const PbArch *a, double *forward_flops)
{
  double conv1 = 0.0, fwd;
  int apps = a->kind == PB_KIND_STACKED ? 1 : 2;

  if (a->kind == PB_KIND_STACKED)
    fwd = trunk_macs (a, 2, 20, &conv1);
  else
    fwd = trunk_macs (a, 1, 10, &conv1);
  fwd = fwd * apps + 2.0 * 20.0; /* the head */
  if (forward_flops != NULL)
    *forward_flops = 2.0 * fwd;
  return 2.0 * (3.0 * fwd - apps * conv1);
}

/* The peak resident set of this program: Linux's VmHWM, which starts afresh at exec, unlike
 * getrusage's ru_maxrss, which keeps the peak of the process that forked us (a Python script
 * with torch loaded, say). */
static double
peak_rss_mb (void)
{
  FILE *f = fopen ("/proc/self/status", "r");
  char line[256];
  long kb = -1;

  if (f != NULL)
    {
      while (fgets (line, sizeof line, f) != NULL)
        if (sscanf (line, "VmHWM: %ld", &kb) == 1)
          break;
      fclose (f);
    }
  if (kb < 0)
    {
      struct rusage ru;
      getrusage (RUSAGE_SELF, &ru);
      kb = ru.ru_maxrss;
    }
  return (double) kb / 1024.0;
}

/* User plus system CPU time of this process, all threads. */
static double
cpu_seconds (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return (double) ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 + (double) ru.ru_stime.tv_sec
         + ru.ru_stime.tv_usec * 1e-6;
}

/* Single-thread sgemm on an n×n×n problem, best of a dozen tries (a shared machine slows some of
 * them), in GFLOP/s. */
static double
sgemm_ceiling (int n)
{
  size_t nn = (size_t) n * n;
  float *a = malloc (nn * sizeof (float)), *b = malloc (nn * sizeof (float));
  float *c = malloc (nn * sizeof (float));
  double best = 0.0;

  if (a == NULL || b == NULL || c == NULL)
    {
      free (a);
      free (b);
      free (c);
      return 0.0;
    }
  for (size_t i = 0; i < nn; i++)
    {
      a[i] = (float) (i % 7) * 0.125f;
      b[i] = (float) (i % 5) * 0.25f;
    }
  pb_sgemm (false, false, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n); /* warm up */
  for (int rep = 0; rep < 12; rep++)
    {
      double t0 = pb_now_seconds ();
      pb_sgemm (false, false, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
      double t = pb_now_seconds () - t0;
      double g = 2.0 * n * (double) n * n / t * 1e-9;
      if (g > best)
        best = g;
    }
  free (a);
  free (b);
  free (c);
  return best;
}

static int
cmp_double (const void *pa, const void *pb)
{
  double a = *(const double *) pa, b = *(const double *) pb;
  return (a > b) - (a < b);
}

static double
median (double *v, int n)
{
  qsort (v, (size_t) n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static int
parse_models (const char *cmd, const char *list, PbArch *models, int *n_models)
{
  char buf[512];
  PbError err = { { 0 } };

  if (strlen (list) >= sizeof buf)
    return pb_cli_usage_error (cmd, "--models: list too long");
  strcpy (buf, list);
  *n_models = 0;
  for (char *save = NULL, *tok = strtok_r (buf, ",", &save); tok != NULL;
       tok = strtok_r (NULL, ",", &save))
    {
      if (*n_models == BENCH_MAX_MODELS)
        return pb_cli_usage_error (cmd, "--models: at most %d models", BENCH_MAX_MODELS);
      if (pb_arch_from_name (tok, &models[*n_models], &err) != PB_OK)
        return pb_cli_usage_error (cmd, "--models: %s", err.message);
      (*n_models)++;
    }
  if (*n_models == 0)
    return pb_cli_usage_error (cmd, "--models: expected at least one model name");
  return 0;
}

typedef struct
{
  const char *data;
  const char *models;
  long epochs, pairs, test_pairs, batch, repeat, rounds, jobs, seed, eval_every;
  bool json;
} BenchOptions;

/* Parses the options both subcommands share; returns -1 to go on, else an exit status. */
static int
parse_options (const char *cmd, int argc, char **argv, BenchOptions *o, const char *usage)
{
  for (int i = 1; i < argc; i++)
    {
      const char *v = NULL;
      long *target = NULL;
      long lo = 1, hi = 10000;

      if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0)
        {
          fputs (usage, stdout);
          return 0;
        }
      if (strcmp (argv[i], "--json") == 0)
        {
          o->json = true;
          continue;
        }
      if (pb_cli_match (argc, argv, &i, "--models", &v))
        {
          if (v == NULL)
            return pb_cli_usage_error (cmd, "--models: expected a list of model names");
          o->models = v;
          continue;
        }
      if (pb_cli_match (argc, argv, &i, "--data", &v))
        {
          if (v == NULL)
            return pb_cli_usage_error (cmd, "--data: expected a folder");
          o->data = v;
          continue;
        }
      if (pb_cli_match (argc, argv, &i, "--epochs", &v))
        target = &o->epochs;
      else if (pb_cli_match (argc, argv, &i, "--pairs", &v))
        target = &o->pairs, hi = PB_MAX_PAIRS;
      else if (pb_cli_match (argc, argv, &i, "--test-pairs", &v))
        target = &o->test_pairs, hi = PB_MAX_PAIRS;
      else if (pb_cli_match (argc, argv, &i, "--batch", &v))
        target = &o->batch, hi = PB_MAX_PAIRS;
      else if (pb_cli_match (argc, argv, &i, "--repeat", &v))
        target = &o->repeat, hi = BENCH_MAX_REPEAT;
      else if (pb_cli_match (argc, argv, &i, "--rounds", &v))
        target = &o->rounds, hi = 1000;
      else if (pb_cli_match (argc, argv, &i, "--jobs", &v))
        target = &o->jobs, hi = 64;
      else if (pb_cli_match (argc, argv, &i, "--seed", &v))
        target = &o->seed, lo = 0, hi = 1000000000L;
      else if (pb_cli_match (argc, argv, &i, "--eval-every", &v))
        target = &o->eval_every, lo = 0;
      else
        return pb_cli_usage_error (cmd, "unknown option '%s' (see --help)", argv[i]);
      if (v == NULL || !pb_cli_parse_int (v, lo, hi, target))
        return pb_cli_usage_error (cmd, "%s: expected an integer %ld–%ld, got '%s'", argv[i],
                                   lo, hi, v ? v : "");
    }
  return -1;
}

static PbStatus
settings_for (const BenchOptions *o, const PbArch *arch, PbTrainSettings *s, PbError *err)
{
  PbStatus st = pb_train_settings_init (s, NULL, err);
  if (st != PB_OK)
    return st;
  s->arch = *arch;
  s->epochs = (int) o->epochs;
  s->train_pairs = (int) o->pairs;
  s->test_pairs = (int) o->test_pairs;
  s->batch = (int) o->batch;
  s->seed = (uint64_t) o->seed;
  s->augment_deg = 0.0f; /* fixed work */
  s->eval_every = (int) o->eval_every;
  return pb_train_settings_validate (s, err);
}

/* How many of the epochs a run evaluates. */
static long
n_evaluations (const BenchOptions *o)
{
  if (o->eval_every == 0)
    return 1;
  return o->epochs / o->eval_every + (o->epochs % o->eval_every != 0);
}

static void
describe_evaluation (const BenchOptions *o, char *buf, size_t size)
{
  if (o->eval_every == 1)
    snprintf (buf, size, "evaluation after every epoch");
  else if (n_evaluations (o) == 1)
    snprintf (buf, size, "evaluation after the last epoch only, as PyTorch's study");
  else
    snprintf (buf, size, "evaluation after every %ld epochs and the last", o->eval_every);
}

static int
bench_train (int argc, char **argv)
{
  const char *cmd = "bench train";
  BenchOptions o = {
    .models = "siamese,siamese-aux,twin,twin-aux,stacked,stacked-aux",
    .epochs = 25, .pairs = 1000, .test_pairs = 1000, .batch = 100, .repeat = 1, .seed = 1,
    .eval_every = 1,
  };
  static const char usage[] =
    "Usage: pairbench-cli bench train [--models a,b,...] [--epochs N] [--pairs N]\n"
    "       [--test-pairs M] [--batch B] [--repeat R] [--seed S] [--eval-every N] [--json]\n"
    "       [--data DIR]\n"
    "Trains each model on one thread without augmentation (fixed work) and prints training\n"
    "throughput, seconds per run, inference throughput, achieved GFLOP/s against the\n"
    "single-thread sgemm ceiling measured in the same run, and the peak RSS.\n"
    "  --models LIST   default: all six\n"
    "  --repeat R      runs per model; the figures are medians (default 1)\n"
    "  --eval-every N  evaluate after every Nth epoch (default 1; 0 = the last only)\n";
  PbArch models[BENCH_MAX_MODELS];
  int n_models = 0, rc;
  PbMnist mnist = { 0 };
  PbError err = { { 0 } };

  if ((rc = parse_options (cmd, argc, argv, &o, usage)) >= 0)
    return rc;
  if ((rc = parse_models (cmd, o.models, models, &n_models)) != 0)
    return rc;
  for (int m = 0; m < n_models; m++)
    {
      PbTrainSettings s;
      if (settings_for (&o, &models[m], &s, &err) != PB_OK)
        return pb_cli_usage_error (cmd, "%s", err.message);
    }

  pb_blas_set_single_thread ();
  if (pb_cli_load_mnist (cmd, o.data, &mnist) != 0)
    return 1;

  typedef struct
  {
    double total, train, eval, gflop, test_error;
  } Row;
  Row rows[BENCH_MAX_MODELS];

  for (int m = 0; m < n_models; m++)
    {
      PbTrainSettings s;
      double train_s[BENCH_MAX_REPEAT], eval_s[BENCH_MAX_REPEAT], total_s[BENCH_MAX_REPEAT];

      settings_for (&o, &models[m], &s, &err);
      for (int r = 0; r < o.repeat; r++)
        {
          PbRun *run = NULL;
          double t0 = pb_now_seconds ();

          if (pb_run_new (&s, &mnist, &run, &err) != PB_OK
              || pb_run_train (run, NULL, &err) != PB_OK)
            {
              pb_run_free (run);
              pb_mnist_clear (&mnist);
              return pb_cli_failure (cmd, &err);
            }
          const PbEpochRecord *last = &pb_run_epochs (run)[pb_run_n_epochs_done (run) - 1];
          train_s[r] = last->train_seconds;
          eval_s[r] = last->eval_seconds;
          total_s[r] = pb_now_seconds () - t0;
          rows[m].test_error = last->test_error;
          pb_run_free (run);
        }
      rows[m].train = median (train_s, (int) o.repeat);
      rows[m].eval = median (eval_s, (int) o.repeat);
      rows[m].total = median (total_s, (int) o.repeat);
      rows[m].gflop = train_flops_per_pair (&models[m], NULL) * (double) s.train_pairs
                      * s.epochs * 1e-9;
    }

  /* The ceiling comes after the runs, so its 48 MB of matrices stay out of the peak RSS. */
  double rss = peak_rss_mb ();
  double ceiling = sgemm_ceiling (2048);

  if (o.json)
    printf ("{\"ceiling_gflops\":%.2f,\"flop_count\":\"2 per multiply-add of conv and linear "
            "layers; training steps only: forward, weight and input gradients (none for conv1's "
            "input)\",\"epochs\":%ld,\"pairs\":%ld,\"models\":[", ceiling, o.epochs, o.pairs);
  else
    {
      printf ("ceiling: single-thread sgemm 2048x2048x2048  %.1f GFLOP/s\n", ceiling);
      printf ("%ld epochs, %ld pairs, batch %ld, no augmentation, %ld run(s) per model "
              "(medians)\n", o.epochs, o.pairs, o.batch, o.repeat);
      printf ("%-12s %8s %8s %8s %9s %11s %7s %8s %7s\n", "model", "s/run", "train_s", "eval_s",
              "pairs/s", "inf pairs/s", "GFLOP", "GFLOP/s", "of ceil");
    }
  for (int m = 0; m < n_models; m++)
    {
      const Row *r = &rows[m];
      double gflops = r->gflop / r->train;
      double pairs_per_s = (double) o.pairs * o.epochs / r->train;
      double infer_per_s = (double) (o.pairs + o.test_pairs) * n_evaluations (&o) / r->eval;
      const char *name = pb_arch_name (&models[m]);

      if (o.json)
        printf ("%s{\"model\":\"%s\",\"run_seconds\":%.4f,\"train_seconds\":%.4f,"
                "\"eval_seconds\":%.4f,\"train_pairs_per_second\":%.1f,"
                "\"inference_pairs_per_second\":%.1f,\"gflop\":%.3f,\"gflops\":%.3f,"
                "\"fraction_of_ceiling\":%.4f,\"test_error\":%.4f}",
                m > 0 ? "," : "", name, r->total, r->train, r->eval, pairs_per_s, infer_per_s,
                r->gflop, gflops, gflops / ceiling, r->test_error);
      else
        printf ("%-12s %8.2f %8.3f %8.3f %9.0f %11.0f %7.1f %8.1f %6.0f%%\n", name, r->total,
                r->train, r->eval, pairs_per_s, infer_per_s, r->gflop, gflops,
                100.0 * gflops / ceiling);
    }
  if (o.json)
    printf ("],\"peak_rss_mb\":%.1f}\n", rss);
  else
    printf ("peak RSS %.1f MB (data included)\n"
            "count: 2 FLOPs per multiply-add of the conv and linear layers over the training "
            "steps\n(forward, weight and input gradients; none for conv1's input); evaluation "
            "is timed apart\n", rss);
  pb_mnist_clear (&mnist);
  return 0;
}

static int
bench_study (int argc, char **argv)
{
  const char *cmd = "bench study";
  long ncpu = sysconf (_SC_NPROCESSORS_ONLN);
  BenchOptions o = {
    .models = "stacked,stacked-aux,siamese,siamese-aux",
    .epochs = 25, .pairs = 1000, .test_pairs = 1000, .batch = 100, .rounds = 20, .seed = 1,
    .jobs = ncpu > 0 ? (ncpu < 64 ? ncpu : 64) : 1, .eval_every = 0,
  };
  static const char usage[] =
    "Usage: pairbench-cli bench study [--models a,b,...] [--rounds R] [--jobs J] [--epochs N]\n"
    "       [--pairs N] [--test-pairs M] [--seed S] [--eval-every N] [--json] [--data DIR]\n"
    "Times the report's study (every model × R rounds, no augmentation) on J threads\n"
    "(default: all cores), each run single-threaded. By default each run evaluates its\n"
    "training and test pairs once, after the last epoch, as PyTorch's study does.\n"
    "  --eval-every N  evaluate after every Nth epoch as well (1 = every epoch, as the app)\n";
  PbArch models[BENCH_MAX_MODELS];
  int n_models = 0, rc;
  PbMnist mnist = { 0 };
  PbError err = { { 0 } };
  PbTrainSettings s;

  if ((rc = parse_options (cmd, argc, argv, &o, usage)) >= 0)
    return rc;
  if ((rc = parse_models (cmd, o.models, models, &n_models)) != 0)
    return rc;
  if (settings_for (&o, &models[0], &s, &err) != PB_OK)
    return pb_cli_usage_error (cmd, "%s", err.message);

  pb_blas_set_single_thread ();
  if (pb_cli_load_mnist (cmd, o.data, &mnist) != 0)
    return 1;

  size_t n_results = (size_t) n_models * (size_t) o.rounds;
  PbRoundResult *results = calloc (n_results, sizeof *results);
  if (results == NULL)
    {
      pb_mnist_clear (&mnist);
      fprintf (stderr, "pairbench-cli %s: out of memory\n", cmd);
      return 1;
    }

  double t0 = pb_now_seconds (), cpu0 = cpu_seconds ();
  PbStatus st = pb_study_run (&s, models, n_models, (int) o.rounds, (int) o.jobs, &mnist, NULL,
                              results, &err);
  double wall = pb_now_seconds () - t0, cpu = cpu_seconds () - cpu0;
  if (st != PB_OK)
    {
      pb_study_results_clear (results, (int) n_results);
      free (results);
      pb_mnist_clear (&mnist);
      return pb_cli_failure (cmd, &err);
    }

  char how[80];
  describe_evaluation (&o, how, sizeof how);
  if (o.json)
    printf ("{\"wall_seconds\":%.3f,\"cpu_seconds\":%.3f,\"rounds\":%ld,\"jobs\":%ld,"
            "\"epochs\":%ld,\"eval_every\":%ld,\"evaluations_per_run\":%ld,\"models\":[", wall, cpu, o.rounds,
            o.jobs, o.epochs, o.eval_every, n_evaluations (&o));
  else
    printf ("study: %d models x %ld rounds, %ld epochs, no augmentation, %ld threads\n"
            "%s: %ld pass(es) over the training and test pairs per run\n", n_models, o.rounds,
            o.epochs, o.jobs, how, n_evaluations (&o));
  for (int m = 0; m < n_models; m++)
    {
      double err_sum = 0.0, train_sum = 0.0, eval_sum = 0.0;
      for (long r = 0; r < o.rounds; r++)
        {
          const PbRoundResult *res = &results[(size_t) m * o.rounds + r];
          err_sum += res->final.test_error;
          train_sum += res->final.train_seconds;
          eval_sum += res->final.eval_seconds;
        }
      if (o.json)
        printf ("%s{\"model\":\"%s\",\"mean_test_error\":%.4f,\"train_seconds_per_run\":%.4f,"
                "\"eval_seconds_per_run\":%.4f}", m > 0 ? "," : "", pb_arch_name (&models[m]),
                err_sum / o.rounds, train_sum / o.rounds, eval_sum / o.rounds);
      else
        printf ("  %-12s test error %.3f  train %.2f s + eval %.2f s per run\n",
                pb_arch_name (&models[m]), err_sum / o.rounds, train_sum / o.rounds,
                eval_sum / o.rounds);
    }
  if (o.json)
    printf ("],\"peak_rss_mb\":%.1f}\n", peak_rss_mb ());
  else
    printf ("wall time %.2f s  CPU time %.2f s  peak RSS %.1f MB\n", wall, cpu, peak_rss_mb ());

  pb_study_results_clear (results, (int) n_results);
  free (results);
  pb_mnist_clear (&mnist);
  return 0;
}

int
pb_cli_bench (int argc, char **argv)
{
  if (argc >= 2 && strcmp (argv[1], "train") == 0)
    return bench_train (argc - 1, argv + 1);
  if (argc >= 2 && strcmp (argv[1], "study") == 0)
    return bench_study (argc - 1, argv + 1);
  if (argc >= 2 && (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0))
    {
      printf ("Usage: pairbench-cli bench train|study [options]\n"
              "  train   single-thread throughput of each model (see bench train --help)\n"
              "  study   wall time of the report's study on all cores\n");
      return 0;
    }
  return pb_cli_usage_error ("bench", "expected 'train' or 'study' (see bench --help)");
}
