/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "pb-run-item.h"

G_BEGIN_DECLS

#define PB_TYPE_RUN_PICKER (pb_run_picker_get_type ())
G_DECLARE_FINAL_TYPE (PbRunPicker, pb_run_picker, PB, RUN_PICKER, GtkWidget)

/* Whether a run is offered; asked again when a run's status or label changes. */
typedef gboolean (*PbRunPickerFilter) (PbRunItem *item, gpointer data);

/* A drop-down over a list of runs, by their labels, which every page that picks a run uses. Its
 * entries are: an optional "no run" entry first, the runs that pass the filter in the list's
 * order, then optional extra entries (a comparison's models, say), each with an id.
 *
 * Every page defaults to the latest run: while the newest offered run is picked, a newer one
 * takes the pick over; a pick of an older run, or of another entry, stays. When the picked run
 * leaves the list (or stops passing the filter) the picker picks the "no run" entry if it has
 * one, else the last run, else the first extra. "changed" is emitted
 * whenever the pick changes, by the user or by the list, but not by pb_run_picker_set_run or
 * pb_run_picker_set_extra; "entries-changed" whenever the entries are rebuilt. */
GtkWidget  *pb_run_picker_new (void);
void        pb_run_picker_set_runs (PbRunPicker *self, GListModel *runs);
void        pb_run_picker_set_filter (PbRunPicker *self, PbRunPickerFilter filter, gpointer data);
/* NULL: no such entry (the default). */
void        pb_run_picker_set_none_label (PbRunPicker *self, const char *label);
/* How a run's label is shown: a format with one %s ("%s" by default). */
void        pb_run_picker_set_label_format (PbRunPicker *self, const char *format);
void        pb_run_picker_set_extras (PbRunPicker *self, const char *const *labels,
                                      const guint *ids, guint n);

/* The picked run; NULL when the "no run" entry, an extra or nothing is picked. */
PbRunItem  *pb_run_picker_get_run (PbRunPicker *self);
/* The picked extra's id, or -1. */
int         pb_run_picker_get_extra (PbRunPicker *self);
/* Whether anything is picked at all. */
gboolean    pb_run_picker_has_pick (PbRunPicker *self);
/* Picks run, or with NULL the "no run" entry (nothing without one). A run not offered is
 * ignored. */
void        pb_run_picker_set_run (PbRunPicker *self, PbRunItem *run);
void        pb_run_picker_set_extra (PbRunPicker *self, guint id);

/* The offered runs, in order. */
guint       pb_run_picker_get_n_runs (PbRunPicker *self);
PbRunItem  *pb_run_picker_get_nth_run (PbRunPicker *self, guint index);
guint       pb_run_picker_get_n_entries (PbRunPicker *self);
/* The text of entry index as shown, or NULL. */
const char *pb_run_picker_get_entry_label (PbRunPicker *self, guint index);

G_END_DECLS
