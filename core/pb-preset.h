/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* A user's preset: named settings in a file NAME.json in the presets folder,
 *   {"format": "pairbench-preset", "version": 1, "name": "NAME",
 *    "options": {"model": "siamese-aux", "lr": 0.002, "channels": "16,64,128", "swap": false, …}}
 * with every run option but the seed (pb-options), so a preset means the same under a later
 * build's defaults. Values are JSON numbers, strings or booleans as their option reads them. The
 * built-in presets ("report", "best") are not files and their names cannot be taken. */

#include <stdbool.h>
#include <stddef.h>

#include "pb-json.h"
#include "pb-status.h"
#include "pb-train.h"

#define PB_PRESET_FORMAT "pairbench-preset"
#define PB_PRESET_VERSION 1
#define PB_PRESET_NAME_MAX 32

/* 1–32 characters of a–z, 0–9, '-' and '_', starting with a letter or digit, and not a
 * built-in preset's name. PB_ERR_INVALID with a message saying which rule it breaks. */
PbStatus pb_preset_check_name (const char *name, PbError *err);

/* The user's presets folder: $XDG_DATA_HOME/pairbench/presets, else
 * $HOME/.local/share/pairbench/presets (the app's g_get_user_data_dir () is the same folder).
 * PB_ERR_IO when neither variable is set. */
PbStatus pb_preset_user_dir (char *buf, size_t size, PbError *err);

void     pb_preset_to_json (const char *name, const PbTrainSettings *s, PbStr *out);
/* Starts from the report's siamese-aux settings and applies the file's options; what names the
 * file in messages. A missing option keeps the report's value; an unknown one is an error. */
PbStatus pb_preset_from_json (const char *text, size_t len, const char *what,
                              PbTrainSettings *out, PbError *err);
/* Creates dir (and its parents) if needed and writes dir/NAME.json atomically. */
PbStatus pb_preset_save (const char *dir, const char *name, const PbTrainSettings *s,
                         PbError *err);
/* Reads dir/NAME.json; PB_ERR_INVALID when there is no such preset. */
PbStatus pb_preset_load (const char *dir, const char *name, PbTrainSettings *out, PbError *err);
PbStatus pb_preset_load_file (const char *path, PbTrainSettings *out, PbError *err);
/* The presets in dir (files NAME.json with a valid name), sorted; a missing folder has none.
 * *names_out is a NULL-terminated array (pb_preset_names_free). */
PbStatus pb_preset_list (const char *dir, char ***names_out, int *n_out, PbError *err);
void     pb_preset_names_free (char **names);
