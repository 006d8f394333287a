/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pairbench-cli tsne: a 2-D map of any point set (CSV or .npy) with the core's t-SNE.
 * Progress goes to stderr; the result (final KL and seconds, or one JSON object) to stdout. */

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "pb-cli-commands.h"
#include "pb-cli.h"
#include "pb-gemm.h"
#include "pb-json.h"
#include "pb-points.h"
#include "pb-tsne.h"

#define KL_EVERY 50

static const char *usage =
  "Usage: pairbench-cli tsne --input FILE --out OUT.csv [OPTIONS]\n"
  "\n"
  "Embeds the points of FILE in 2-D with t-SNE and writes x,y[,label] rows,\n"
  "one per input point, in input order.\n"
  "\n"
  "FILE is a CSV with one point per row (a header row is allowed; a column named label\n"
  "is carried through) or a 2-D float32/float64 .npy array.\n"
  "\n"
  "Options:\n"
  "  --perplexity P          effective number of neighbours (default 30)\n"
  "  --iterations N          optimisation iterations (default 1000)\n"
  "  --method auto|bh|fft|exact\n"
  "                          the repulsion: Barnes–Hut, FFT-accelerated interpolation, or\n"
  "                          every pair; auto picks by the number of points (default auto)\n"
  "  --theta T               Barnes–Hut accuracy, 0 = exact (default 0.5; bh only)\n"
  "  --learning-rate auto|X  auto = max (N / 12, 200) (default auto)\n"
  "  --init pca|random       initial map (default pca)\n"
  "  --seed S                random seed (default 0)\n"
  "  --threads N             worker threads, 0 = up to 2 (default 0); results do not depend on it\n"
  "  --kl-exact              also score the final map with every pair's Q (O(N²), after the\n"
  "                          timing): the same evaluation for every method\n"
  "  --json                  print one JSON object: kl, seconds, iterations, perplexity,\n"
  "                          method, kl_trace ([[iteration, kl], ...]) and more\n"
  "  -h, --help              show this help\n";

typedef struct
{
  int last_stage;
} Progress;

static double
now_seconds (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void
on_progress (PbTsneStage stage, double fraction, void *user_data)
{
  Progress *progress = user_data;

  (void) fraction;
  if ((int) stage == progress->last_stage)
    return;
  progress->last_stage = (int) stage;
  fprintf (stderr, "tsne: %s\n", stage == PB_TSNE_STAGE_NEIGHBOURS ? "nearest neighbours"
                                                                   : "perplexity calibration");
}

static void
print_result (bool json, double kl, double kl_exact, double seconds, int iterations,
              const PbTsne *tsne, const int *trace_iter, const double *trace_kl, int trace_len)
{
  PbStr out;

  pb_str_init (&out);
  if (json)
    {
      pb_str_append (&out, "{\"kl\": ");
      pb_str_append_double (&out, kl);
      pb_str_printf (&out, ", \"seconds\": %.3f, \"iterations\": %d, \"n\": %d, \"perplexity\": ",
                     seconds, iterations, pb_tsne_n (tsne));
      pb_str_append_double (&out, pb_tsne_perplexity_used (tsne));
      pb_str_printf (&out, ", \"perplexity_clamped\": %s, \"learning_rate\": ",
                     pb_tsne_perplexity_clamped (tsne) ? "true" : "false");
      pb_str_append_double (&out, pb_tsne_learning_rate_used (tsne));
      pb_str_printf (&out, ", \"method\": \"%s\", ",
                     pb_tsne_method_name (pb_tsne_method_used (tsne)));
      if (!isnan (kl_exact))
        {
          pb_str_append (&out, "\"kl_exact\": ");
          pb_str_append_double (&out, kl_exact);
          pb_str_append (&out, ", ");
        }
      pb_str_append (&out, "\"kl_trace\": [");
      for (int k = 0; k < trace_len; k++)
        {
          pb_str_printf (&out, "%s[%d, ", k > 0 ? ", " : "", trace_iter[k]);
          pb_str_append_double (&out, trace_kl[k]);
          pb_str_append (&out, "]");
        }
      pb_str_append (&out, "]}\n");
    }
  else
    {
      pb_str_printf (&out, "kl %.6f\nseconds %.3f\n", kl, seconds);
      if (!isnan (kl_exact))
        pb_str_printf (&out, "kl_exact %.6f\n", kl_exact);
    }
  if (!out.failed)
    fputs (out.data, stdout);
  fflush (stdout);
  pb_str_clear (&out);
}

int
pb_cli_tsne (int argc, char **argv)
{
  const char *cmd = "tsne";
  const char *input = NULL, *output = NULL;
  PbTsneSettings settings;
  long iterations = 1000;
  bool json = false, theta_given = false, kl_exact = false;
  int status = 0;

  pb_tsne_settings_init (&settings);
  for (int i = 1; i < argc; i++)
    {
      const char *v = NULL;
      long n;

      if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0)
        {
          fputs (usage, stdout);
          return 0;
        }
      else if (strcmp (argv[i], "--json") == 0)
        json = true;
      else if (strcmp (argv[i], "--kl-exact") == 0)
        kl_exact = true;
      else if (pb_cli_match (argc, argv, &i, "--input", &v))
        {
          if (v == NULL || *v == '\0')
            return pb_cli_usage_error (cmd, "--input: expected a file name");
          input = v;
        }
      else if (pb_cli_match (argc, argv, &i, "--out", &v))
        {
          if (v == NULL || *v == '\0')
            return pb_cli_usage_error (cmd, "--out: expected a file name");
          output = v;
        }
      else if (pb_cli_match (argc, argv, &i, "--perplexity", &v))
        {
          if (!pb_cli_parse_double (v, 0.0, 1e9, false, &settings.perplexity))
            return pb_cli_usage_error (cmd, "--perplexity: expected a number > 0, got '%s'",
                                       v ? v : "");
        }
      else if (pb_cli_match (argc, argv, &i, "--iterations", &v))
        {
          if (!pb_cli_parse_int (v, 1, 1000000, &iterations))
            return pb_cli_usage_error (cmd, "--iterations: expected an integer 1–1000000, "
                                       "got '%s'", v ? v : "");
        }
      else if (pb_cli_match (argc, argv, &i, "--theta", &v))
        {
          if (!pb_cli_parse_double (v, 0.0, 1.0, true, &settings.theta))
            return pb_cli_usage_error (cmd, "--theta: expected a number in 0–1, got '%s'",
                                       v ? v : "");
          theta_given = true;
        }
      else if (pb_cli_match (argc, argv, &i, "--method", &v))
        {
          if (!pb_tsne_method_parse (v, &settings.method))
            return pb_cli_usage_error (cmd, "--method: expected auto, bh, fft or exact, "
                                       "got '%s'", v ? v : "");
        }
      else if (pb_cli_match (argc, argv, &i, "--learning-rate", &v))
        {
          if (v != NULL && strcmp (v, "auto") == 0)
            settings.learning_rate = 0.0;
          else if (!pb_cli_parse_double (v, 0.0, 1e9, false, &settings.learning_rate))
            return pb_cli_usage_error (cmd, "--learning-rate: expected 'auto' or a number > 0, "
                                       "got '%s'", v ? v : "");
        }
      else if (pb_cli_match (argc, argv, &i, "--init", &v))
        {
          if (v != NULL && strcmp (v, "pca") == 0)
            settings.init = PB_TSNE_INIT_PCA;
          else if (v != NULL && strcmp (v, "random") == 0)
            settings.init = PB_TSNE_INIT_RANDOM;
          else
            return pb_cli_usage_error (cmd, "--init: expected 'pca' or 'random', got '%s'",
                                       v ? v : "");
        }
      else if (pb_cli_match (argc, argv, &i, "--seed", &v))
        {
          if (!pb_cli_parse_seed (v, &settings.seed))
            return pb_cli_usage_error (cmd, "--seed: expected an integer 0–%llu, got '%s'",
                                       (unsigned long long) UINT64_MAX,
                                       v ? v : "");
        }
      else if (pb_cli_match (argc, argv, &i, "--threads", &v))
        {
          if (!pb_cli_parse_int (v, 0, 16, &n))
            return pb_cli_usage_error (cmd, "--threads: expected an integer 0–16, got '%s'",
                                       v ? v : "");
          settings.threads = (int) n;
        }
      else
        return pb_cli_usage_error (cmd, "unknown argument '%s'; see --help", argv[i]);
    }
  if (input == NULL)
    return pb_cli_usage_error (cmd, "--input is required; see --help");
  if (output == NULL)
    return pb_cli_usage_error (cmd, "--out is required; see --help");
  if (theta_given && settings.method != PB_TSNE_METHOD_AUTO
      && settings.method != PB_TSNE_METHOD_BH)
    return pb_cli_usage_error (cmd, "--theta: applies to --method bh only, not %s",
                               pb_tsne_method_name (settings.method));

  PbPoints points = { 0 };
  PbTsne *tsne = NULL;
  PbError err = { { 0 } };
  Progress progress = { .last_stage = -1 };
  PbTsneCallbacks cb = { .progress = on_progress, .user_data = &progress };
  int trace_cap = (int) (iterations / KL_EVERY) + 2, trace_len = 0;
  int *trace_iter = malloc ((size_t) trace_cap * sizeof (int));
  double *trace_kl = malloc ((size_t) trace_cap * sizeof (double));

  if (trace_iter == NULL || trace_kl == NULL)
    {
      pb_error_set (&err, PB_ERR_NOMEM, "out of memory");
      status = pb_cli_failure (cmd, &err);
      goto out;
    }
  if ((status = pb_cli_check_output (cmd, output)) != 0)
    goto out;
  if (pb_points_read (input, &points, &err) != PB_OK)
    {
      status = pb_cli_failure (cmd, &err);
      goto out;
    }
  fprintf (stderr, "tsne: %s: %d points of %d dimensions%s; method %s\n", input, points.n,
           points.dim, points.labels != NULL ? ", labelled" : "",
           pb_tsne_method_name (pb_tsne_method_for (settings.method, points.n)));

  /* The run gets its parallelism from its own threads; idle BLAS threads would only spin. */
  pb_blas_set_single_thread ();

  double started = now_seconds ();
  if (pb_tsne_new (points.values, points.n, points.dim, &settings, &cb, &tsne, &err) != PB_OK)
    {
      PbError wrapped;
      pb_error_set (&wrapped, PB_ERR_INVALID, "%s: %s", input, err.message);
      status = pb_cli_failure (cmd, &wrapped);
      goto out;
    }
  if (pb_tsne_perplexity_clamped (tsne))
    fprintf (stderr, "tsne: perplexity %g is too large for %d points; using %.4g\n",
             settings.perplexity, points.n, pb_tsne_perplexity_used (tsne));

  while (pb_tsne_iteration (tsne) < iterations)
    {
      int left = (int) iterations - pb_tsne_iteration (tsne);
      if (pb_tsne_step (tsne, left < KL_EVERY ? left : KL_EVERY, &err) != PB_OK)
        {
          status = pb_cli_failure (cmd, &err);
          goto out;
        }
      trace_iter[trace_len] = pb_tsne_iteration (tsne);
      trace_kl[trace_len] = pb_tsne_kl (tsne);
      fprintf (stderr, "tsne: iteration %4d/%ld  KL %.5f\n", trace_iter[trace_len], iterations,
               trace_kl[trace_len]);
      trace_len++;
    }
  double seconds = now_seconds () - started;

  if (pb_points_write_csv (output, pb_tsne_coords (tsne), points.n,
                           (const char *const *) points.labels, &err) != PB_OK)
    {
      status = pb_cli_failure (cmd, &err);
      goto out;
    }
  double exact = NAN;
  if (kl_exact)
    {
      const float *xy = pb_tsne_coords (tsne);
      double *y = malloc ((size_t) 2 * points.n * sizeof (double));
      if (y == NULL)
        {
          pb_error_set (&err, PB_ERR_NOMEM, "out of memory");
          status = pb_cli_failure (cmd, &err);
          goto out;
        }
      for (int c = 0; c < 2 * points.n; c++)
        y[c] = xy[c];
      exact = pb_tsne_exact_kl (pb_tsne_affinities (tsne), y);
      free (y);
    }
  print_result (json, trace_kl[trace_len - 1], exact, seconds, (int) iterations, tsne,
                trace_iter, trace_kl, trace_len);

out:
  pb_tsne_free (tsne);
  pb_points_clear (&points);
  free (trace_iter);
  free (trace_kl);
  return status;
}
