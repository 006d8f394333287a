/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pb-compare-page"

#include "config.h"

#include <math.h>
#include <string.h>
#include <glib/gi18n.h>

#include "pb-compare-page-private.h"
#include "pb-format.h"
#include "pb-model-name.h"

/* The fewest rounds with which the test could reach p < 0.05, when it has fewer; else 0. */
static int
too_few (const PbTest *test,
         gboolean      wilcoxon,
         int           rounds)
{
  int need = wilcoxon ? pb_stats_wilcoxon_min_pairs (0.05) : pb_stats_ttest_min_pairs (0.05);
  return rounds < need || test->n < need ? need : 0;
}

static char *
format_p (const PbTest *test,
          gboolean      wilcoxon,
          int           rounds)
{
  char p[32];

  pb_stats_format_p (p, sizeof p, test->pvalue);
  /* Too few rounds for every pair is said once, above the table; too few non-zero differences
   * is this pair's own. */
  if (too_few (test, wilcoxon, rounds) == 0 || rounds <= test->n)
    return g_strdup (p);
  /* Translators: a p-value, then its test's number of non-zero differences, too few for it to
   * be significant */
  return g_strdup_printf (_("%s (n = %d)"), p, test->n);
}

static char *
format_mean_std (double mean, double std, int n)
{
  if (n == 0)
    return g_strdup ("—");
  if (n == 1)
    return g_strdup_printf ("%.1f\u00a0%%", 100 * mean);
  return g_strdup_printf ("%.1f ± %.1f\u00a0%%", 100 * mean, 100 * std);
}

char *
pb_compare_page_get_cell (PbComparePage  *self,
                          PbCompareTable  table,
                          guint           row,
                          guint           column)
{
  const PbSession *s;

  g_return_val_if_fail (PB_IS_COMPARE_PAGE (self), NULL);

  s = pb_comparison_get_session (self->comparison);
  if (s == NULL)
    return NULL;
  if (table == PB_COMPARE_TABLE_RESULTS)
    {
      PbSessionSummary sum;

      if (row >= (guint) s->n_models)
        return NULL;
      pb_session_summary (s, (int) row, &sum);
      switch (column)
        {
        case 0:
          return pb_model_display_name (&s->models[row]);
        case 1:
          return pb_format_count (sum.params);
        case 2:
          return format_mean_std (sum.test_mean, sum.test_std, sum.rounds_done);
        case 3:
          if (!sum.digit_trained)
            return g_strdup ("—");
          return format_mean_std (sum.digit_mean, sum.digit_std, sum.rounds_done);
        case 4:
          return sum.rounds_done > 0 ? g_strdup_printf (_("%.1f s"), sum.seconds)
                                     : g_strdup ("—");
        case 5:
          return g_strdup_printf ("%d/%d", sum.rounds_done, s->rounds);
        default:
          return NULL;
        }
    }
  else
    {
      guint k = 0;

      if (self->tests == NULL)
        return NULL;
      for (int i = 0; i < s->n_models; i++)
        for (int j = i + 1; j < s->n_models; j++, k++)
          if (k == row)
            {
              const PbPairedTests *t = &self->tests[i * s->n_models + j];
              switch (column)
                {
                case 0:
                  return pb_model_display_name (&s->models[i]);
                case 1:
                  return pb_model_display_name (&s->models[j]);
                case 2:
                  /* Translators: a difference in percentage points */
                  return g_strdup_printf (_("%+.2f pp"), 100 * t->mean_diff);
                case 3:
                  return format_p (&t->t, FALSE, self->tests_rounds);
                case 4:
                  return format_p (&t->wilcoxon, TRUE, self->tests_rounds);
                default:
                  return NULL;
                }
            }
      return NULL;
    }
}

char *
pb_compare_page_get_cell_tooltip (PbComparePage  *self,
                                  PbCompareTable  table,
                                  guint           row,
                                  guint           column)
{
  const PbSession *s;
  guint k = 0;

  g_return_val_if_fail (PB_IS_COMPARE_PAGE (self), NULL);

  s = pb_comparison_get_session (self->comparison);
  if (s == NULL)
    return NULL;
  if (table == PB_COMPARE_TABLE_RESULTS)
    {
      if (column == 3 && row < (guint) s->n_models && !pb_arch_trains_digits (&s->models[row]))
        return g_strdup (_("No auxiliary loss: this model’s digit outputs are not trained, so "
                           "their error means nothing"));
      return NULL;
    }
  if (self->tests == NULL || (column != 3 && column != 4))
    return NULL;
  for (int i = 0; i < s->n_models; i++)
    for (int j = i + 1; j < s->n_models; j++, k++)
      if (k == row)
        {
          const PbPairedTests *t = &self->tests[i * s->n_models + j];
          int need = too_few (column == 3 ? &t->t : &t->wilcoxon, column == 4,
                              self->tests_rounds);

          if (need == 0)
            return NULL;
          if (column == 4)
            return g_strdup_printf (_("The exact two-sided Wilcoxon signed-rank test cannot reach "
                                      "p < 0.05 with fewer than %d non-zero differences: its "
                                      "smallest p with n is 2/2ⁿ"), need);
          return g_strdup_printf (_("The paired t-test needs at least %d rounds"), need);
        }
  return NULL;
}

static void
setup_cell (GtkSignalListItemFactory *factory,
            GtkListItem              *item,
            gpointer                  data)
{
  GtkWidget *label = gtk_label_new (NULL);
  gboolean text = g_object_get_data (G_OBJECT (factory), "text") != NULL;

  gtk_label_set_xalign (GTK_LABEL (label), text ? 0 : 1);

  gtk_widget_add_css_class (label, "numeric");
  gtk_list_item_set_child (item, label);
}

static void
bind_cell (GtkSignalListItemFactory *factory,
           GtkListItem              *item,
           PbComparePage            *self)
{
  guint column = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (factory), "column"));
  PbCompareTable table = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (factory), "table"));
  g_autofree char *text = pb_compare_page_get_cell (self, table, gtk_list_item_get_position (item),
                                                    column);

  g_autofree char *tooltip = pb_compare_page_get_cell_tooltip (self, table,
                                                               gtk_list_item_get_position (item),
                                                               column);

  const char *kind = text != NULL ? strstr (text, " (") : NULL;

  /* The display names are long: the kind goes on a second, smaller line, so that the tables
   * still fit beside the box plot. */
  if (kind != NULL && g_object_get_data (G_OBJECT (factory), "text") != NULL)
    {
      g_autofree char *id = g_strndup (text, kind - text);
      g_autofree char *markup = g_markup_printf_escaped ("%s\n<small>%s</small>", id, kind + 1);
      gtk_label_set_markup (GTK_LABEL (gtk_list_item_get_child (item)), markup);
    }
  else
    gtk_label_set_label (GTK_LABEL (gtk_list_item_get_child (item)), text ? text : "");
  gtk_widget_set_tooltip_text (gtk_list_item_get_child (item), tooltip);
}

void
pb_compare_page_add_column (PbComparePage  *self,
            GtkColumnView  *view,
            PbCompareTable  table,
            guint           column,
            const char     *title,
            gboolean        expand)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
  GtkColumnViewColumn *col;

  g_object_set_data (G_OBJECT (factory), "column", GUINT_TO_POINTER (column));
  g_object_set_data (G_OBJECT (factory), "table", GUINT_TO_POINTER (table));
  /* Names align left, numbers right. */
  if (column == 0 || (table == PB_COMPARE_TABLE_TESTS && column == 1))
    g_object_set_data (G_OBJECT (factory), "text", GINT_TO_POINTER (TRUE));
  g_signal_connect (factory, "setup", G_CALLBACK (setup_cell), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_cell), self);
  col = gtk_column_view_column_new (title, factory);
  gtk_column_view_column_set_expand (col, expand);
  gtk_column_view_append_column (view, col);
  g_object_unref (col);
}

static void
replace_rows (GtkStringList *list,
              guint          n)
{
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func (g_free);
  guint old = g_list_model_get_n_items (G_LIST_MODEL (list));

  for (guint i = 0; i < n; i++)
    g_ptr_array_add (rows, g_strdup_printf ("%u", i));
  g_ptr_array_add (rows, NULL);
  gtk_string_list_splice (list, 0, old, (const char *const *) rows->pdata);
}

void
pb_compare_page_refresh_tables (PbComparePage *self)
{
  const PbSession *s = pb_comparison_get_session (self->comparison);
  int common = s != NULL ? pb_session_common_rounds (s, NULL) : 0;
  gboolean tests = s != NULL && s->n_models >= 2 && common >= 2;

  g_clear_pointer (&self->tests, g_free);
  self->tests_rounds = 0;
  if (tests)
    {
      self->tests = g_new0 (PbPairedTests, s->n_models * s->n_models);
      if (pb_session_paired_tests (s, self->tests, &self->tests_rounds, NULL) != PB_OK)
        {
          g_clear_pointer (&self->tests, g_free);
          tests = FALSE;
        }
    }

  replace_rows (self->results_model, s != NULL ? (guint) s->n_models : 0);
  replace_rows (self->tests_model, tests ? (guint) (s->n_models * (s->n_models - 1) / 2) : 0);
  gtk_widget_set_visible (self->details_box, s != NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->tests_view), tests);
  gtk_widget_set_visible (GTK_WIDGET (self->tests_note), tests);
  gtk_widget_set_visible (GTK_WIDGET (self->tests_empty), !tests);
  if (s != NULL && s->n_models < 2)
    gtk_label_set_label (self->tests_empty, _("The paired tests need two models or more."));
  else
    gtk_label_set_label (self->tests_empty,
                         _("The paired tests appear once every model has finished two rounds."));
  if (tests)
    {
      g_autofree char *note =
        g_strdup_printf (ngettext ("Two-sided paired t-test and Wilcoxon signed-rank test on the "
                                   "test errors of the %d round every model has finished; mean "
                                   "diff is A − B.",
                                   "Two-sided paired t-test and Wilcoxon signed-rank test on the "
                                   "test errors of the %d rounds every model has finished; mean "
                                   "diff is A − B.", self->tests_rounds), self->tests_rounds);
      gtk_label_set_label (self->tests_note, note);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->tests_warning), FALSE);
  if (tests && self->tests_rounds < pb_stats_wilcoxon_min_pairs (0.05))
    {
      g_autofree char *warning =
        g_strdup_printf (_("Wilcoxon p: too few rounds: n = %d. The exact two-sided test’s "
                           "smallest p is 2/2ⁿ, so it needs %d rounds to reach p < 0.05."),
                         self->tests_rounds, pb_stats_wilcoxon_min_pairs (0.05));
      gtk_label_set_label (self->tests_warning, warning);
      gtk_widget_set_visible (GTK_WIDGET (self->tests_warning), TRUE);
    }
  if (tests && self->tests_rounds < pb_stats_ttest_min_pairs (0.05))
    {
      g_autofree char *warning =
        g_strdup_printf (_("Too few rounds for either test: n = %d."), self->tests_rounds);
      gtk_label_set_label (self->tests_warning, warning);
      gtk_widget_set_visible (GTK_WIDGET (self->tests_warning), TRUE);
    }
}

