/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The run options of `pairbench-cli train` as data: each one's name (the long option without
 * "--"), how it reads a text value, and how it writes the setting back as text that reads to the
 * same setting. The CLI's run options, a sweep's parameters and a preset file all go through
 * here, so they accept and refuse the same values with the same messages. */

#include <stdbool.h>
#include <stddef.h>

#include "pb-status.h"
#include "pb-train.h"

typedef enum
{
  PB_OPTION_INT,     /* "25" */
  PB_OPTION_REAL,    /* "0.001" */
  PB_OPTION_CHOICE,  /* one of a few names: "relu", "on" */
  PB_OPTION_INT3,    /* "16,64,128" */
  PB_OPTION_FLAG,    /* "true" or "false"; on the command line "--swap" alone means true */
  PB_OPTION_SEED,    /* an integer 0–UINT64_MAX */
} PbOptionKind;

typedef struct
{
  const char *name;       /* "lr" */
  PbOptionKind kind;
  double min, max;        /* INT, REAL, INT3: the accepted range */
  bool min_exclusive;     /* REAL: "> min" */
  const char *const *choices;  /* CHOICE: NULL-terminated */
  const char *expected;   /* what a refusal says is expected, when not the kind's wording */
} PbOptionInfo;

#define PB_OPTION_VALUE_MAX 64

/* Every option, in the order of `train --help`; *n_out gets their number. "model" (the model's
 * name, as `train --model`) is among them; "data" and "preset" are not settings and are not. */
const PbOptionInfo *pb_options (int *n_out);
/* NULL when there is no such option. */
const PbOptionInfo *pb_option_lookup (const char *name);

/* Sets the option from its text. PB_ERR_INVALID with "--NAME: expected …, got 'VALUE'" for a
 * value `train` would refuse, and "unknown option 'NAME'" for an unknown name. */
PbStatus pb_train_settings_set_option (PbTrainSettings *s, const char *name, const char *value,
                                       PbError *err);
/* The setting as text that pb_train_settings_set_option reads back to the same value (floats in
 * the shortest form that round-trips; "" for an unknown name). */
void     pb_train_settings_get_option (const PbTrainSettings *s, const char *name, char *buf,
                                       size_t size);
/* Whether the option's value in a and b is the same. */
bool     pb_train_settings_option_equal (const PbTrainSettings *a, const PbTrainSettings *b,
                                         const char *name);
