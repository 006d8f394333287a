/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the run tests share (test-train.c, test-train-data.c): the shipped MNIST, which each
 * test's main loads, and small runs on it. */
#pragma once

#include "pb-core.h"

extern PbMnist mnist;

/* g_test_init, one BLAS thread, and the shipped MNIST into mnist: the start of each run test. */
void train_check_init (int *argc, char ***argv);
/* g_test_run, then frees mnist. */
int train_check_run (void);

/* The settings of model with epochs epochs, on 300 training and 200 test pairs. */
void small_settings (PbTrainSettings *s, const char *model, int epochs);
/* A run of s trained to the end; asserts that it succeeded. */
PbRun *train (const PbTrainSettings *s);
