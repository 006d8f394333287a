/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the run tests share (test-train.c, test-train-data.c): the shipped MNIST, which each
 * test's main loads, and small runs on it. */
#pragma once

#include "pb-core.h"

extern PbMnist mnist;

/* The settings of model with epochs epochs, on 300 training and 200 test pairs. */
void small_settings (PbTrainSettings *s, const char *model, int epochs);
/* A run of s trained to the end; asserts that it succeeded. */
PbRun *train (const PbTrainSettings *s);
