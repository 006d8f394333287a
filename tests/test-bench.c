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
  g_test_add_func ("/bench/study-eval-every", test_study_eval_every);
  g_test_add_func ("/bench/bad-usage", test_bad_usage);
  return g_test_run ();
}
