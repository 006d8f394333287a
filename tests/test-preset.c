/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The presets: "best" stays within the report's budget, and at a short budget it already beats
 * the report's siamese-aux on the same seeds, pairs and epochs. */

#include <glib.h>
#include <math.h>

#include "pb-core.h"

static PbMnist mnist;

static void
test_budget (void)
{
  PbTrainSettings best, report;
  PbError err = { { 0 } };

  g_assert_cmpint (pb_train_settings_preset (&best, "best", &err), ==, PB_OK);
  g_assert_cmpint (pb_train_settings_preset (&report, "report", &err), ==, PB_OK);
  g_test_message ("best: %zu parameters, %d epochs, %d training pairs",
                  pb_arch_param_count (&best.arch), best.epochs, best.train_pairs);
  g_assert_cmpuint (pb_arch_param_count (&best.arch), <=, 75000);
  g_assert_cmpint (best.epochs, <=, 25);
  g_assert_cmpint (best.train_pairs, ==, 1000);
  g_assert_cmpint (best.test_pairs, ==, 1000);
  g_assert_cmpint (best.val_pairs, ==, 0);
  g_assert_cmpuint (pb_arch_param_count (&report.arch), ==, 71076);
  g_assert_cmpint (report.epochs, ==, 25);
}

static double
test_error_after (const PbTrainSettings *s)
{
  PbRun *run = NULL;
  PbError err = { { 0 } };

  if (pb_run_new (s, &mnist, &run, &err) != PB_OK || pb_run_train (run, NULL, &err) != PB_OK)
    g_error ("%s", err.message);
  double e = pb_run_epochs (run)[pb_run_n_epochs_done (run) - 1].test_error;
  pb_run_free (run);
  return e;
}

/* Three epochs each, seeds 1–3: the mean over seeds keeps one unlucky seed from deciding. */
static void
test_best_beats_report_short (void)
{
  const int seeds = 3, epochs = 3;
  double best_sum = 0.0, report_sum = 0.0;
  PbError err = { { 0 } };

  for (int k = 1; k <= seeds; k++)
    {
      PbTrainSettings best, report;
      g_assert_cmpint (pb_train_settings_preset (&best, "best", &err), ==, PB_OK);
      g_assert_cmpint (pb_train_settings_preset (&report, "report", &err), ==, PB_OK);
      best.epochs = report.epochs = epochs;
      best.eval_every = report.eval_every = 0;
      best.seed = report.seed = (uint64_t) k;
      double b = test_error_after (&best), r = test_error_after (&report);
      g_test_message ("seed %d, %d epochs: best %.3f, siamese-aux %.3f", k, epochs, b, r);
      best_sum += b;
      report_sum += r;
    }
  g_test_message ("mean test error: best %.4f, siamese-aux %.4f", best_sum / seeds,
                  report_sum / seeds);
  g_assert_cmpfloat (best_sum / seeds, <, report_sum / seeds);
}

int
main (int argc, char **argv)
{
  PbError err = { { 0 } };

  g_test_init (&argc, &argv, NULL);
  pb_blas_set_single_thread ();
  if (pb_mnist_load (g_getenv ("PAIRBENCH_DATA_DIR"), &mnist, &err) != PB_OK)
    g_error ("%s", err.message);
  g_test_add_func ("/preset/budget", test_budget);
  g_test_add_func ("/preset/best-beats-report-short", test_best_beats_report_short);
  int rc = g_test_run ();
  pb_mnist_clear (&mnist);
  return rc;
}
