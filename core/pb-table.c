/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "pb-table.h"

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
          pb_str_append_double (out, r->digit_mean);
          pb_str_append (out, ",");
          pb_str_append_double (out, r->digit_std);
          pb_str_append (out, ",");
          pb_str_append_double (out, r->seconds);
          pb_str_printf (out, ",%d\n", r->rounds);
          break;
        case PB_TABLE_MARKDOWN:
          pb_str_append (out, "| ");
          append_text (out, r->model, format);
          pb_str_printf (out, " | %zu | %.3f ± %.3f | %.3f ± %.3f | %.2f | %d |\n", r->params,
                         r->test_mean, r->test_std, r->digit_mean, r->digit_std, r->seconds,
                         r->rounds);
          break;
        case PB_TABLE_LATEX:
          append_text (out, r->model, format);
          pb_str_printf (out, " & %zu & $%.3f \\pm %.3f$ & $%.3f \\pm %.3f$ & %.2f & %d \\\\\n",
                         r->params, r->test_mean, r->test_std, r->digit_mean, r->digit_std,
                         r->seconds, r->rounds);
          break;
        }
    }
  if (format == PB_TABLE_LATEX)
    pb_str_append (out, "\\bottomrule\n\\end{tabular}\n");
}
