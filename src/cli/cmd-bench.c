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
  pb_sgemm_blas (false, false, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n); /* warm up */
  for (int rep = 0; rep < 12; rep++)
    {
      double t0 = pb_now_seconds ();
      pb_sgemm_blas (false, false, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
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
  bool json, profile, allow_profile;
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
      if (o->allow_profile && strcmp (argv[i], "--profile") == 0)
        {
          o->profile = true;
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

/* The share of the step time of every (layer, direction, part) slot and of the step's other
 * parts; "untimed" is what no hook covers. */
static double
slot_share (const PbProfile *p, int slot)
{
  return p->step_seconds > 0.0 ? p->seconds[slot] / p->step_seconds : 0.0;
}

static double
untimed_share (const PbProfile *p)
{
  double sum = 0.0;
  for (int i = 0; i < PB_PROF_N_SLOTS; i++)
    sum += slot_share (p, i);
  return 1.0 - sum;
}

static double
layer_share (const PbProfile *p, int layer, int dir)
{
  double sum = 0.0;
  for (int part = 0; part < PB_PROF_N_PARTS; part++)
    sum += slot_share (p, pb_profile_slot (layer, dir, part));
  return sum;
}

static double
gemm_gflops (const PbProfGemm *g)
{
  return g->seconds > 0.0 ? 2.0 * g->m * (double) g->n * g->k * g->calls / g->seconds * 1e-9
                          : 0.0;
}

static void
print_profile_text (const char *name, const PbProfile *p)
{
  char buf[64];

  printf ("\nprofile %s: %ld steps, %.2f s; shares of the training step time\n", name, p->steps,
          p->step_seconds);
  printf ("  %-6s %6s | %6s %6s %6s %6s | %6s | %6s %6s %6s %6s\n", "layer", "fwd", "gemm",
          "im2col", "bnpool", "other", "bwd", "gemm", "im2col", "bnpool", "other");
  for (int l = 0; l < PB_PROF_N_LAYERS; l++)
    {
      printf ("  %-6s %5.1f%% |", pb_profile_layer_name (l), 100.0 * layer_share (p, l, 0));
      for (int part = 0; part < PB_PROF_N_PARTS; part++)
        printf (" %5.1f%%", 100.0 * slot_share (p, pb_profile_slot (l, 0, part)));
      printf (" | %5.1f%% |", 100.0 * layer_share (p, l, 1));
      for (int part = 0; part < PB_PROF_N_PARTS; part++)
        printf (" %5.1f%%", 100.0 * slot_share (p, pb_profile_slot (l, 1, part)));
      printf ("\n");
    }
  printf (" ");
  for (int i = PB_PROF_N_LAYER_SLOTS; i < PB_PROF_N_SLOTS; i++)
    printf (" %s %.1f%%", pb_profile_slot_name (i, buf, sizeof buf), 100.0 * slot_share (p, i));
  printf ("  untimed %.1f%%\n", 100.0 * untimed_share (p));
  printf ("  GEMMs through %s; alone: the same shape on its own, hot in cache, through "
          "OpenBLAS's sgemm and through %s\n", pb_gemm_backend_name (pb_gemm_backend ()),
          pb_gemm_backend_name (pb_gemm_backend ()));
  printf ("  %-10s %-3s %17s %6s %6s %9s %9s %9s %6s\n", "gemm of", "op", "M x N x K", "calls",
          "share", "GFLOP/s", "sgemm", "backend", "ratio");
  for (int i = 0; i < p->n_gemm; i++)
    {
      const PbProfGemm *g = &p->gemm[i];
      char shape[40];
      int ld = g->slot / PB_PROF_N_PARTS;
      snprintf (shape, sizeof shape, "%dx%dx%d", g->m, g->n, g->k);
      printf ("  %-6s %-3s %-3s %17s %6ld %5.1f%% %9.1f %9.1f %9.1f %5.0f%%\n",
              pb_profile_layer_name (ld / 2), ld % 2 ? "bwd" : "fwd",
              g->trans_a ? (g->trans_b ? "TT" : "TN") : (g->trans_b ? "NT" : "NN"), shape,
              g->calls, 100.0 * g->seconds / p->step_seconds, gemm_gflops (g), g->sgemm_gflops,
              g->backend_gflops,
              g->backend_gflops > 0.0 ? 100.0 * gemm_gflops (g) / g->backend_gflops : 0.0);
    }
}

static void
print_profile_json (const PbProfile *p)
{
  char buf[64];

  printf (",\"profile\":{\"steps\":%ld,\"step_seconds\":%.4f,\"shares\":{", p->steps,
          p->step_seconds);
  for (int i = 0; i < PB_PROF_N_SLOTS; i++)
    printf ("\"%s\":%.5f,", pb_profile_slot_name (i, buf, sizeof buf), slot_share (p, i));
  printf ("\"untimed\":%.5f},\"layers\":[", untimed_share (p));
  for (int l = 0; l < PB_PROF_N_LAYERS; l++)
    printf ("%s{\"layer\":\"%s\",\"forward\":%.5f,\"backward\":%.5f}", l > 0 ? "," : "",
            pb_profile_layer_name (l), layer_share (p, l, 0), layer_share (p, l, 1));
  printf ("],\"gemms\":[");
  for (int i = 0; i < p->n_gemm; i++)
    {
      const PbProfGemm *g = &p->gemm[i];
      int ld = g->slot / PB_PROF_N_PARTS;
      printf ("%s{\"layer\":\"%s\",\"direction\":\"%s\",\"trans_a\":%s,\"trans_b\":%s,"
              "\"m\":%d,\"n\":%d,\"k\":%d,\"calls\":%ld,\"share\":%.5f,\"gflops\":%.3f,"
              "\"sgemm_gflops\":%.3f,\"backend_gflops\":%.3f}", i > 0 ? "," : "",
              pb_profile_layer_name (ld / 2), ld % 2 ? "bwd" : "fwd",
              g->trans_a ? "true" : "false", g->trans_b ? "true" : "false", g->m, g->n, g->k,
              g->calls, g->seconds / p->step_seconds, gemm_gflops (g), g->sgemm_gflops,
              g->backend_gflops);
    }
  printf ("]}");
}

static int
bench_train (int argc, char **argv)
{
  const char *cmd = "bench train";
  BenchOptions o = {
    .models = "siamese,siamese-aux,twin,twin-aux,stacked,stacked-aux",
    .epochs = 25, .pairs = 1000, .test_pairs = 1000, .batch = 100, .repeat = 1, .seed = 1,
    .eval_every = 1, .allow_profile = true,
  };
  static const char usage[] =
    "Usage: pairbench-cli bench train [--models a,b,...] [--epochs N] [--pairs N]\n"
    "       [--test-pairs M] [--batch B] [--repeat R] [--seed S] [--eval-every N] [--json]\n"
    "       [--profile] [--data DIR]\n"
    "Trains each model on one thread without augmentation (fixed work) and prints training\n"
    "throughput, seconds per run, inference throughput, achieved GFLOP/s against the\n"
    "single-thread sgemm ceiling measured in the same run, and the peak RSS.\n"
    "  --models LIST   default: all six\n"
    "  --repeat R      runs per model; the figures are medians (default 1)\n"
    "  --eval-every N  evaluate after every Nth epoch (default 1; 0 = the last only)\n"
    "  --profile       one more run per model, timed per layer, part and GEMM shape: the\n"
    "                  share of the step time of each, and each GEMM shape's GFLOP/s next to\n"
    "                  sgemm's on the same shape alone\n";
  PbArch models[BENCH_MAX_MODELS];
  int n_models = 0, rc;
  PbMnist mnist = { 0 };
  PbError err = { { 0 } };
  static PbProfile profiles[BENCH_MAX_MODELS];

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
      if (o.profile)
        {
          PbRun *run = NULL;

          pb_profile_reset (&profiles[m]);
          if (pb_run_new (&s, &mnist, &run, &err) == PB_OK)
            pb_model_set_profile (pb_run_model (run), &profiles[m]);
          if (run == NULL || pb_run_train (run, NULL, &err) != PB_OK)
            {
              pb_run_free (run);
              pb_mnist_clear (&mnist);
              return pb_cli_failure (cmd, &err);
            }
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
  if (o.profile)
    for (int m = 0; m < n_models; m++)
      if (!pb_profile_measure_gemms (&profiles[m], 0.05))
        {
          pb_mnist_clear (&mnist);
          fprintf (stderr, "pairbench-cli %s: out of memory\n", cmd);
          return 1;
        }

  if (o.json)
    printf ("{\"ceiling_gflops\":%.2f,\"flop_count\":\"2 per multiply-add of conv and linear "
            "layers; training steps only: forward, weight and input gradients (none for conv1's "
            "input)\",\"blas_core\":\"%s\",\"vector_bits\":%d,\"gemm\":\"%s\",\"epochs\":%ld,"
            "\"pairs\":%ld,\"models\":[", ceiling, pb_blas_core_name (), pb_cpu_vector_bits (),
            pb_gemm_backend_name (pb_gemm_backend ()), o.epochs, o.pairs);
  else
    {
      printf ("OpenBLAS core %s; CPU vectors %d bits; GEMMs through %s\n",
              pb_blas_core_name (), pb_cpu_vector_bits (),
              pb_gemm_backend_name (pb_gemm_backend ()));
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
                "\"fraction_of_ceiling\":%.4f,\"test_error\":%.4f",
                m > 0 ? "," : "", name, r->total, r->train, r->eval, pairs_per_s, infer_per_s,
                r->gflop, gflops, gflops / ceiling, r->test_error);
      if (o.json && o.profile)
        print_profile_json (&profiles[m]);
      if (o.json)
        printf ("}");
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
  if (!o.json && o.profile)
    for (int m = 0; m < n_models; m++)
      print_profile_text (pb_arch_name (&models[m]), &profiles[m]);
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
