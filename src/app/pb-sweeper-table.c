/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pb-sweeper"

#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n.h>

#include "pb-core-error.h"
#include "pb-sweeper.h"

typedef enum { TABLE_CSV, TABLE_MARKDOWN, TABLE_LATEX } TableFormat;

static void
append_number (GString *out,
               double   v,
               int      decimals)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  char format[8];

  if (!isfinite (v))
    {
      g_string_append (out, "");
      return;
    }
  g_snprintf (format, sizeof format, "%%.%df", decimals);
  g_string_append (out, g_ascii_formatd (buf, sizeof buf, format, v));
}

static void
append_csv_text (GString    *out,
                 const char *s)
{
  if (strpbrk (s, ",\"\n") == NULL)
    {
      g_string_append (out, s);
      return;
    }
  g_string_append_c (out, '"');
  for (; *s; s++)
    {
      if (*s == '"')
        g_string_append_c (out, '"');
      g_string_append_c (out, *s);
    }
  g_string_append_c (out, '"');
}

static void
append_latex_text (GString    *out,
                   const char *s)
{
  for (; *s; s++)
    {
      if (strchr ("&%$#_{}", *s))
        g_string_append_c (out, '\\');
      g_string_append_c (out, *s);
    }
}

static void
append_cell (GString     *out,
             TableFormat  format,
             const char  *text,
             gboolean     first)
{
  switch (format)
    {
    case TABLE_CSV:
      if (!first)
        g_string_append_c (out, ',');
      append_csv_text (out, text);
      break;
    case TABLE_MARKDOWN:
      g_string_append (out, first ? "| " : " | ");
      g_string_append (out, text);
      break;
    case TABLE_LATEX:
    default:
      if (!first)
        g_string_append (out, " & ");
      append_latex_text (out, text);
      break;
    }
}

static void
end_row (GString     *out,
         TableFormat  format)
{
  g_string_append (out, format == TABLE_MARKDOWN ? " |\n" : format == TABLE_LATEX ? " \\\\\n"
                                                                                    : "\n");
}

char *
pb_sweeper_format_table (PbSweeper   *self,
                         const char  *path,
                         GError     **error)
{
  const PbSweepConfig *config;
  const PbSweepSummary *sum;
  g_autofree char *lower = NULL;
  TableFormat format;
  GString *out;
  int n_cols;

  g_return_val_if_fail (PB_IS_SWEEPER (self), NULL);
  g_return_val_if_fail (path != NULL, NULL);

  config = pb_sweeper_get_config (self);
  sum = pb_sweeper_get_summary (self);
  if (config == NULL || sum == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("There is no sweep"));
      return NULL;
    }
  lower = g_ascii_strdown (path, -1);
  if (g_str_has_suffix (lower, ".csv"))
    format = TABLE_CSV;
  else if (g_str_has_suffix (lower, ".md"))
    format = TABLE_MARKDOWN;
  else if (g_str_has_suffix (lower, ".tex"))
    format = TABLE_LATEX;
  else
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("%s: expected a file name ending in .csv, .md or .tex"), path);
      return NULL;
    }

  out = g_string_new (NULL);
  n_cols = 2 + config->n_params + 5;
  if (format == TABLE_LATEX)
    {
      g_string_append (out, "\\begin{tabular}{r");
      for (int c = 1; c < n_cols; c++)
        g_string_append_c (out, 'r');
      g_string_append (out, "}\n\\toprule\n");
    }
  {
    const char *head[] = { "rank", "trial" };
    const char *tail[] = { "val_error_mean", "val_error_std", "rounds", "params", "epochs" };

    for (guint c = 0; c < G_N_ELEMENTS (head); c++)
      append_cell (out, format, head[c], c == 0);
    for (int p = 0; p < config->n_params; p++)
      append_cell (out, format, config->params[p].name, FALSE);
    for (guint c = 0; c < G_N_ELEMENTS (tail); c++)
      append_cell (out, format, tail[c], FALSE);
    end_row (out, format);
  }
  if (format == TABLE_MARKDOWN)
    {
      for (int c = 0; c < n_cols; c++)
        g_string_append (out, c == 0 ? "| ---:" : " | ---:");
      g_string_append (out, " |\n");
    }
  else if (format == TABLE_LATEX)
    g_string_append (out, "\\midrule\n");

  for (int k = 0; k < sum->n_trials; k++)
    {
      const PbSweepTrialSummary *t = &sum->trials[k];
      const PbSweepResult *r = pb_sweeper_get_trial_values (self, t->trial);
      g_autofree char *rank = g_strdup_printf ("%d", k + 1);
      g_autofree char *trial = g_strdup_printf ("%d", t->trial + 1);
      GString *num = g_string_new (NULL);

      append_cell (out, format, rank, TRUE);
      append_cell (out, format, trial, FALSE);
      for (int p = 0; p < config->n_params; p++)
        append_cell (out, format, r != NULL && p < r->n_values ? r->values[p] : "", FALSE);
      append_number (num, t->val_mean, 4);
      append_cell (out, format, num->str, FALSE);
      g_string_truncate (num, 0);
      append_number (num, t->rounds > 1 ? t->val_std : NAN, 4);
      append_cell (out, format, num->str, FALSE);
      g_string_printf (num, "%d", t->rounds);
      append_cell (out, format, num->str, FALSE);
      g_string_printf (num, "%zu", r != NULL ? r->params : 0);
      append_cell (out, format, num->str, FALSE);
      g_string_printf (num, "%d", r != NULL ? r->epochs : 0);
      append_cell (out, format, num->str, FALSE);
      end_row (out, format);
      g_string_free (num, TRUE);
    }
  if (format == TABLE_LATEX)
    g_string_append (out, "\\bottomrule\n\\end{tabular}\n");
  return g_string_free (out, FALSE);
}

gboolean
pb_sweeper_save_table (PbSweeper   *self,
                       const char  *path,
                       GError     **error)
{
  g_autofree char *text = pb_sweeper_format_table (self, path, error);
  PbError err = { { 0 } };

  if (text == NULL)
    return FALSE;
  return pb_set_error_from_status (error, pb_write_file_atomic (path, text, strlen (text), &err),
                                   &err);
}
