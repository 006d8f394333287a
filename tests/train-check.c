/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "train-check.h"

#include <glib.h>

PbMnist mnist;

void
train_check_init (int *argc, char ***argv)
{
  PbError err = { { 0 } };

  g_test_init (argc, argv, NULL);
  pb_blas_set_single_thread ();
  if (pb_mnist_load (g_getenv ("PAIRBENCH_DATA_DIR"), &mnist, &err) != PB_OK)
    g_error ("%s", err.message);
}

int
train_check_run (void)
{
  int rc = g_test_run ();

  pb_mnist_clear (&mnist);
  return rc;
}

void
small_settings (PbTrainSettings *s, const char *model, int epochs)
{
  g_assert_cmpint (pb_train_settings_init (s, model, NULL), ==, PB_OK);
  s->epochs = epochs;
  s->train_pairs = 300;
  s->test_pairs = 200;
  s->batch = 50;
  s->seed = 3;
}

PbRun *
train (const PbTrainSettings *s)
{
  PbRun *run = NULL;
  PbError err = { { 0 } };
  g_assert_cmpint (pb_run_new (s, &mnist, &run, &err), ==, PB_OK);
  g_assert_cmpint (pb_run_train (run, NULL, &err), ==, PB_OK);
  return run;
}
