/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "pb-comparison.h"

G_BEGIN_DECLS

#define PB_TYPE_COMPARE_PAGE (pb_compare_page_get_type ())
G_DECLARE_FINAL_TYPE (PbComparePage, pb_compare_page, PB, COMPARE_PAGE, GtkWidget)

typedef enum
{
  PB_COMPARE_TABLE_RESULTS,
  PB_COMPARE_TABLE_TESTS,
} PbCompareTable;

/* The Compare page: models × rounds with the Train page's settings, small multiples, the
 * results table, the box plot and the paired tests, filled in as rounds finish. */
PbComparison *pb_compare_page_get_comparison (PbComparePage *self);
/* Checks exactly the named models (NULL-terminated) and sets the rounds. */
void          pb_compare_page_set_selection (PbComparePage *self, const char *const *models,
                                             int rounds);
/* The rows shown in a table, and a cell's text as shown. */
guint         pb_compare_page_get_n_rows (PbComparePage *self, PbCompareTable table);
char         *pb_compare_page_get_cell (PbComparePage *self, PbCompareTable table, guint row,
                                        guint column);
/* The cell's tooltip: why a digit error is "—" or a p-value cannot be significant; else NULL. */
char         *pb_compare_page_get_cell_tooltip (PbComparePage *self, PbCompareTable table,
                                                guint row, guint column);
/* The Train page's runs, whose latest finished one times the estimate before Start. */
void          pb_compare_page_set_runs (PbComparePage *self, GListModel *runs);
/* The estimate shown before Start, NULL when hidden (running, or no model chosen). */
const char   *pb_compare_page_get_estimate (PbComparePage *self);
/* The elapsed time is updated every second (while running). */
gboolean      pb_compare_page_get_ticking (PbComparePage *self);
/* What the Significance section says when the rounds are too few for a test, else NULL. */
const char   *pb_compare_page_get_tests_warning (PbComparePage *self);
gboolean      pb_compare_page_get_tests_visible (PbComparePage *self);
/* The comparison was stopped before every round finished. */
gboolean      pb_compare_page_get_session_partial (PbComparePage *self);
/* what: "small-multiples", "box" or "curves" (PNG, SVG or PDF by the extension, width in
 * points), or "table" (.csv, .md or .tex). The file chooser ends here too. */
gboolean      pb_compare_page_export_to (PbComparePage *self, const char *what, const char *path,
                                         double width, GError **error);
gboolean      pb_compare_page_save_to (PbComparePage *self, const char *path, GError **error);
gboolean      pb_compare_page_open_from (PbComparePage *self, const char *path, GError **error);

G_END_DECLS
