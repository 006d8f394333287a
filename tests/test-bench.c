/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pairbench-cli bench: a smoke test (one epoch) that the benchmark runs and reports its figures.
 * The timings themselves are not checked; benchmarks are not tests. */

#include <glib.h>
#include <string.h>

#include "pb-core.h"

static int
run_cli (char **out, char **err, ...)
{
  GPtrArray *argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  int wait_status;
  va_list ap;

  g_ptr_array_add (argv, (gpointer) g_getenv ("PAIRBENCH_CLI"));
  va_start (ap, err);
  for (const char *a = va_arg (ap, const char *); a != NULL; a = va_arg (ap, const char *))
    g_ptr_array_add (argv, (gpointer) a);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, out, err,
                &wait_status, &error);
  g_assert_no_error (error);
  g_ptr_array_free (argv, TRUE);
  return WIFEXITED (wait_status) ? WEXITSTATUS (wait_status) : -1;
}

static void
test_train_one_epoch (void)
{
  g_autofree char *out = NULL, *err = NULL;
  PbJson *json = NULL;
  PbError perr = { { 0 } };

  int status = run_cli (&out, &err, "bench", "train", "--epochs", "1", "--models",
                        "siamese-aux,stacked", "--json", NULL);
  g_test_message ("stderr: %s", err);
  g_assert_cmpint (status, ==, 0);
  g_assert_cmpint (pb_json_parse (out, strlen (out), "stdout", &json, &perr), ==, PB_OK);

  g_assert_cmpfloat (pb_json_get_number (json, "ceiling_gflops", 0), >, 0.0);
  g_assert_cmpfloat (pb_json_get_number (json, "peak_rss_mb", 0), >, 0.0);
  const PbJson *models = pb_json_get (json, "models");
  g_assert_nonnull (models);
  g_assert_cmpint (models->n, ==, 2);
  g_assert_cmpstr (pb_json_get_string (&models->items[0], "model"), ==, "siamese-aux");
  /* The count: about 230 GFLOP for 25 epochs of siamese-aux on 1,000 pairs. */
  g_assert_cmpfloat_with_epsilon (pb_json_get_number (&models->items[0], "gflop", 0),
                                  229.69 / 25.0, 0.01);
  for (int i = 0; i < models->n; i++)
    {
      const PbJson *m = &models->items[i];
      g_assert_cmpfloat (pb_json_get_number (m, "train_seconds", 0), >, 0.0);
      g_assert_cmpfloat (pb_json_get_number (m, "eval_seconds", 0), >, 0.0);
      g_assert_cmpfloat (pb_json_get_number (m, "gflops", 0), >, 0.0);
      g_assert_cmpfloat (pb_json_get_number (m, "inference_pairs_per_second", 0), >, 0.0);
    }
  pb_json_free (json);

  /* The text form names the ceiling and the count it uses. */
  g_free (out);
  g_free (err);
  out = err = NULL;
  status = run_cli (&out, &err, "bench", "train", "--epochs", "1", "--models", "twin", NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (out, "ceiling"));
  g_assert_nonnull (strstr (out, "twin"));
  g_assert_nonnull (strstr (out, "peak RSS"));
}

/* --profile: every model gets a profile whose shares are all there, each in [0, 1], and, with
 * what no hook covers, add up to the step time; the hooks cover nearly all of it. */
static void
test_train_profile (void)
{
  g_autofree char *out = NULL, *err = NULL;
  PbJson *json = NULL;
  PbError perr = { { 0 } };
  static const char *const layers[] = { "conv1", "conv2", "conv3", "fc1", "fc2", "head" };

  int status = run_cli (&out, &err, "bench", "train", "--epochs", "1", "--pairs", "400",
                        "--models", "siamese-aux,stacked", "--profile", "--json", NULL);
  g_test_message ("stderr: %s", err);
  g_assert_cmpint (status, ==, 0);
  g_assert_cmpint (pb_json_parse (out, strlen (out), "stdout", &json, &perr), ==, PB_OK);
  g_assert_nonnull (pb_json_get_string (json, "blas_core"));
  g_assert_cmpuint (strlen (pb_json_get_string (json, "blas_core")), >, 0);
  int bits = (int) pb_json_get_number (json, "vector_bits", -1);
  g_assert_true (bits == 0 || bits == 128 || bits == 256 || bits == 512);

  const PbJson *models = pb_json_get (json, "models");
  g_assert_nonnull (models);
  g_assert_cmpint (models->n, ==, 2);
  for (int i = 0; i < models->n; i++)
    {
      const PbJson *prof = pb_json_get (&models->items[i], "profile");
      g_assert_nonnull (prof);
      g_assert_cmpint ((int) pb_json_get_number (prof, "steps", 0), ==, 4);
      g_assert_cmpfloat (pb_json_get_number (prof, "step_seconds", 0), >, 0.0);

      const PbJson *shares = pb_json_get (prof, "shares");
      g_assert_nonnull (shares);
      /* 6 layers × 2 directions × 4 parts, loss, zero grad, adam, augment, batching, untimed */
      g_assert_cmpint (shares->n, ==, 6 * 2 * 4 + 5 + 1);
      double timed = 0.0;
      for (int j = 0; j < shares->n; j++)
        {
          double v = pb_json_get_number (shares, shares->keys[j], -1);
          if (strcmp (shares->keys[j], "untimed") == 0)
            continue;
          g_assert_cmpfloat (v, >=, 0.0);
          g_assert_cmpfloat (v, <=, 1.0);
          timed += v;
        }
      g_assert_cmpfloat (timed, >, 0.8);
      g_assert_cmpfloat (timed, <, 1.0 + 1e-3);
      g_assert_cmpfloat_with_epsilon (timed + pb_json_get_number (shares, "untimed", -1), 1.0,
                                      2e-4);
      g_assert_cmpfloat (pb_json_get_number (shares, "adam", 0), >, 0.0);
      g_assert_cmpfloat (pb_json_get_number (shares, "conv2 fwd gemm", 0), >, 0.0);
      g_assert_cmpfloat (pb_json_get_number (shares, "conv2 bwd bn+pool+relu", 0), >, 0.0);

      /* the layers' forward and backward are the sums of their parts */
      const PbJson *rows = pb_json_get (prof, "layers");
      g_assert_nonnull (rows);
      g_assert_cmpint (rows->n, ==, 6);
      for (int l = 0; l < rows->n; l++)
        {
          const PbJson *row = &rows->items[l];
          g_assert_cmpstr (pb_json_get_string (row, "layer"), ==, layers[l]);
          for (int d = 0; d < 2; d++)
            {
              double sum = 0.0;
              static const char *const parts[] = { "gemm", "im2col", "bn+pool+relu", "other" };
              for (int part = 0; part < 4; part++)
                {
                  g_autofree char *key = g_strdup_printf ("%s %s %s", layers[l],
                                                          d ? "bwd" : "fwd", parts[part]);
                  sum += pb_json_get_number (shares, key, -1);
                }
              g_assert_cmpfloat_with_epsilon (pb_json_get_number (row, d ? "backward" : "forward",
                                                                  -1), sum, 1e-4);
            }
        }
      g_assert_cmpfloat (pb_json_get_number (&rows->items[2], "backward", 0), >, 0.0);

      /* every GEMM shape the model runs, each with its own and sgemm's rate */
      const PbJson *gemms = pb_json_get (prof, "gemms");
      g_assert_nonnull (gemms);
      g_assert_cmpint (gemms->n, >=, 10);
      for (int g = 0; g < gemms->n; g++)
        {
          const PbJson *row = &gemms->items[g];
          g_assert_cmpint ((int) pb_json_get_number (row, "calls", 0), >=, 4);
          g_assert_cmpfloat (pb_json_get_number (row, "gflops", 0), >, 0.0);
          g_assert_cmpfloat (pb_json_get_number (row, "sgemm_gflops", 0), >, 0.0);
        }
    }
  pb_json_free (json);

  /* without --profile there is none */
  g_free (out);
  g_free (err);
  out = err = NULL;
  status = run_cli (&out, &err, "bench", "train", "--epochs", "1", "--pairs", "200", "--models",
                    "stacked", "--json", NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_cmpint (pb_json_parse (out, strlen (out), "stdout", &json, &perr), ==, PB_OK);
  g_assert_null (pb_json_get (&pb_json_get (json, "models")->items[0], "profile"));
  pb_json_free (json);
}

/* The study evaluates after the last epoch only, unless asked for more. */
static void
test_study_eval_every (void)
{
  for (int every = 0; every <= 1; every++)
    {
      g_autofree char *out = NULL, *err = NULL;
      PbJson *json = NULL;
      PbError perr = { { 0 } };

      int status = run_cli (&out, &err, "bench", "study", "--rounds", "1", "--epochs", "2",
                            "--pairs", "200", "--test-pairs", "200", "--models", "stacked",
                            "--json", every ? "--eval-every" : NULL, "1", NULL);
      g_test_message ("stderr: %s", err);
      g_assert_cmpint (status, ==, 0);
      g_assert_cmpint (pb_json_parse (out, strlen (out), "stdout", &json, &perr), ==, PB_OK);
      g_assert_cmpint ((int) pb_json_get_number (json, "eval_every", -1), ==, every);
      g_assert_cmpint ((int) pb_json_get_number (json, "evaluations_per_run", -1), ==,
                       every ? 2 : 1);
      const PbJson *models = pb_json_get (json, "models");
      g_assert_nonnull (models);
      g_assert_cmpfloat (pb_json_get_number (&models->items[0], "mean_test_error", -1), >=, 0.0);
      pb_json_free (json);
    }
}

static void
test_bad_usage (void)
{
  g_autofree char *out = NULL, *err = NULL;

  g_assert_cmpint (run_cli (&out, &err, "bench", "nothing", NULL), ==, 2);
  g_free (out);
  g_free (err);
  out = err = NULL;
  g_assert_cmpint (run_cli (&out, &err, "bench", "train", "--models", "nope", NULL), ==, 2);
  g_assert_nonnull (strstr (err, "nope"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/bench/train-one-epoch", test_train_one_epoch);
  g_test_add_func ("/bench/train-profile", test_train_profile);
  g_test_add_func ("/bench/study-eval-every", test_study_eval_every);
  g_test_add_func ("/bench/bad-usage", test_bad_usage);
  return g_test_run ();
}
