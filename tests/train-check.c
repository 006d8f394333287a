/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "train-check.h"

#include <glib.h>

PbMnist mnist;

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
