/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "pb-table.h"

#include <math.h>
#include <string.h>

bool
pb_table_format_from_path (const char *path, PbTableFormat *format)
{
  const char *dot = strrchr (path, '.');

  if (dot == NULL || strchr (dot, '/') != NULL)
    return false;
  if (strcmp (dot, ".csv") == 0)
    *format = PB_TABLE_CSV;
  else if (strcmp (dot, ".md") == 0)
    *format = PB_TABLE_MARKDOWN;
  else if (strcmp (dot, ".tex") == 0)
    *format = PB_TABLE_LATEX;
  else
    return false;
  return true;
}

static void
append_text (PbStr *out, const char *s, PbTableFormat format)
{
  if (format == PB_TABLE_CSV)
    {
      if (strpbrk (s, ",\"\n") == NULL)
        {
          pb_str_append (out, s);
          return;
        }
      pb_str_append (out, "\"");
      for (; *s != '\0'; s++)
        {
          if (*s == '"')
            pb_str_append (out, "\"");
          pb_str_append_len (out, s, 1);
        }
      pb_str_append (out, "\"");
      return;
    }
  for (; *s != '\0'; s++)
    {
      if (format == PB_TABLE_LATEX && strchr ("&%$#_{}", *s) != NULL)
        pb_str_printf (out, "\\%c", *s);
      else if (format == PB_TABLE_MARKDOWN && *s == '|')
        pb_str_append (out, "\\|");
      else
        pb_str_append_len (out, s, 1);
    }
}

/* CSV keeps full precision in separate columns; the Markdown and LaTeX tables are the
 * terminal's, ready to paste into a report. */
void
pb_table_format_rows (PbStr *out, const PbTableRow *rows, int n, PbTableFormat format)
{
  static const char *const headers[] = {
    "Model", "Parameters", "Test error", "Digit error", "Seconds per run", "Rounds",
  };

  switch (format)
    {
    case PB_TABLE_CSV:
      pb_str_append (out, "model,params,test_error_mean,test_error_std,digit_error_mean,"
                     "digit_error_std,seconds_per_run,rounds\n");
      break;
    case PB_TABLE_MARKDOWN:
      for (int c = 0; c < 6; c++)
        pb_str_printf (out, "| %s ", headers[c]);
      pb_str_append (out, "|\n|:--|--:|:-:|:-:|--:|--:|\n");
      break;
    case PB_TABLE_LATEX:
      pb_str_printf (out, "%% pairbench-cli study: errors are mean ± sample std over %d rounds\n"
                     "\\begin{tabular}{lrccrr}\n\\toprule\n", n > 0 ? rows[0].rounds : 0);
      for (int c = 0; c < 6; c++)
        pb_str_printf (out, "%s%s", c > 0 ? " & " : "", headers[c]);
      pb_str_append (out, " \\\\\n\\midrule\n");
      break;
    }
  for (int i = 0; i < n; i++)
    {
      const PbTableRow *r = &rows[i];
      switch (format)
        {
        case PB_TABLE_CSV:
          append_text (out, r->model, format);
          pb_str_printf (out, ",%zu,", r->params);
          pb_str_append_double (out, r->test_mean);
          pb_str_append (out, ",");
          pb_str_append_double (out, r->test_std);
          pb_str_append (out, ",");
          if (!r->digit_untrained)
            {
              pb_str_append_double (out, r->digit_mean);
              pb_str_append (out, ",");
              pb_str_append_double (out, r->digit_std);
            }
          else
            pb_str_append (out, ",");
          pb_str_append (out, ",");
          pb_str_append_double (out, r->seconds);
          pb_str_printf (out, ",%d\n", r->rounds);
          break;
        case PB_TABLE_MARKDOWN:
          pb_str_append (out, "| ");
          append_text (out, r->model, format);
          pb_str_printf (out, " | %zu | %.3f ± %.3f | ", r->params, r->test_mean, r->test_std);
          if (r->digit_untrained)
            pb_str_append (out, "—");
          else
            pb_str_printf (out, "%.3f ± %.3f", r->digit_mean, r->digit_std);
          pb_str_printf (out, " | %.2f | %d |\n", r->seconds, r->rounds);
          break;
        case PB_TABLE_LATEX:
          append_text (out, r->model, format);
          pb_str_printf (out, " & %zu & $%.3f \\pm %.3f$ & ", r->params, r->test_mean,
                         r->test_std);
          if (r->digit_untrained)
            pb_str_append (out, "---");
          else
            pb_str_printf (out, "$%.3f \\pm %.3f$", r->digit_mean, r->digit_std);
          pb_str_printf (out, " & %.2f & %d \\\\\n", r->seconds, r->rounds);
          break;
        }
    }
  if (format == PB_TABLE_LATEX)
    pb_str_append (out, "\\bottomrule\n\\end{tabular}\n");
  for (int i = 0; i < n; i++)
    if (rows[i].digit_untrained && format != PB_TABLE_CSV)
      {
        /* A comment in LaTeX, so that the tabular stays ready to paste. */
        pb_str_printf (out, "%s%s: no auxiliary loss, so the model's digit outputs are not "
                       "trained and their error means nothing.\n",
                       format == PB_TABLE_LATEX ? "% " : "\n", format == PB_TABLE_LATEX ? "---"
                       : "—");
        break;
      }
}

void
pb_table_append_too_few (PbStr *out, const PbTest *test, bool wilcoxon, int rounds)
{
  int need = wilcoxon ? pb_stats_wilcoxon_min_pairs (0.05) : pb_stats_ttest_min_pairs (0.05);

  if (rounds < need)
    pb_str_printf (out, " (too few rounds: n = %d)", rounds);
  else if (test->n < need)
    pb_str_printf (out, " (too few non-zero differences: n = %d)", test->n);
}

static void
append_test_p (PbStr *out, const PbTest *test, bool wilcoxon, int rounds, PbTableFormat format)
{
  char p[32];

  pb_stats_format_p (p, sizeof p, test->pvalue);
  pb_str_append (out, format == PB_TABLE_LATEX && isnan (test->pvalue) ? "---" : p);
  pb_table_append_too_few (out, test, wilcoxon, rounds);
}

void
pb_table_format_tests (PbStr *out, const char *const *names, int n_models,
                       const PbPairedTests *matrix, int rounds, PbTableFormat format)
{
  static const char *const headers[] = { "A", "B", "Mean diff (A − B)", "t-test p",
                                         "Wilcoxon p" };

  if (format == PB_TABLE_CSV || matrix == NULL || n_models < 2)
    return;
  if (format == PB_TABLE_MARKDOWN)
    {
      pb_str_printf (out, "\nPaired tests on the test error over %d shared rounds "
                     "(two-sided):\n\n", rounds);
      for (int c = 0; c < 5; c++)
        pb_str_printf (out, "| %s ", headers[c]);
      pb_str_append (out, "|\n|:--|:--|--:|--:|--:|\n");
    }
  else
    pb_str_printf (out, "\n%% Paired tests on the test error over %d shared rounds "
                   "(two-sided)\n\\begin{tabular}{llrll}\n\\toprule\n"
                   "A & B & Mean diff ($A - B$) & $t$-test $p$ & Wilcoxon $p$ \\\\\n"
                   "\\midrule\n", rounds);
  for (int i = 0; i < n_models; i++)
    for (int j = i + 1; j < n_models; j++)
      {
        const PbPairedTests *c = &matrix[i * n_models + j];
        const char *sep = format == PB_TABLE_MARKDOWN ? " | " : " & ";

        if (format == PB_TABLE_MARKDOWN)
          pb_str_append (out, "| ");
        append_text (out, names[i], format);
        pb_str_append (out, sep);
        append_text (out, names[j], format);
        pb_str_printf (out, format == PB_TABLE_MARKDOWN ? " | %+.4f | " : " & $%+.4f$ & ",
                       c->mean_diff);
        append_test_p (out, &c->t, false, rounds, format);
        pb_str_append (out, sep);
        append_test_p (out, &c->wilcoxon, true, rounds, format);
        pb_str_append (out, format == PB_TABLE_MARKDOWN ? " |\n" : " \\\\\n");
      }
  if (format == PB_TABLE_LATEX)
    pb_str_append (out, "\\bottomrule\n\\end{tabular}\n");
}
