/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pb-sweep-view"

#include "config.h"

#include <math.h>
#include <glib/gi18n.h>

#include "pb-format.h"
#include "pb-sweep-view-private.h"

char *
pb_sweep_view_get_cell (PbSweepView *self,
                        guint        row,
                        guint        column)
{
  g_autoptr(GObject) item = NULL;

  g_return_val_if_fail (PB_IS_SWEEP_VIEW (self), NULL);

  item = g_list_model_get_item (G_LIST_MODEL (self->selection), row);
  if (item == NULL)
    return NULL;
  {
    int trial = _pb_sweep_view_item_trial (item);
    const PbSweepTrialSummary *t = _pb_sweep_view_trial_summary (self, trial);
    const PbSweepResult *r = pb_sweeper_get_trial_values (self->sweeper, trial);

    if (column == 0)
      return g_strdup_printf ("%d", trial + 1);
    if (column <= (guint) self->n_swept)
      {
        const char *text = r != NULL ? r->values[self->swept[column - 1]] : "";
        char *end = NULL;
        double v = g_ascii_strtod (text, &end);

        /* A drawn real shows four digits here; the exports keep every digit. */
        if (end != text && *end == '\0' && v != floor (v))
          return g_strdup_printf ("%.4g", v);
        return g_strdup (text);
      }
    switch (column - self->n_swept)
      {
      case 1:
        if (t == NULL || !isfinite (t->val_mean))
          return g_strdup (_("diverged"));
        if (t->rounds < 2)
          return g_strdup_printf ("%.1f\u00a0%%", 100 * t->val_mean);
        return g_strdup_printf ("%.1f ± %.1f\u00a0%%", 100 * t->val_mean, 100 * t->val_std);
      case 2:
        return r != NULL ? pb_format_count (r->params) : g_strdup ("");
      case 3:
        return g_strdup_printf ("%d", r != NULL ? r->epochs : 0);
      default:
        return NULL;
      }
  }
}

guint
pb_sweep_view_get_n_columns (PbSweepView *self)
{
  g_return_val_if_fail (PB_IS_SWEEP_VIEW (self), 0);
  return (guint) self->n_swept + 4;
}

static void
setup_cell (GtkSignalListItemFactory *factory,
            GtkListItem              *item,
            gpointer                  data)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 1);
  gtk_widget_add_css_class (label, "numeric");
  gtk_list_item_set_child (item, label);
}

static void
bind_cell (GtkSignalListItemFactory *factory,
           GtkListItem              *item,
           PbSweepView              *self)
{
  guint column = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (factory), "column"));
  guint pos = gtk_list_item_get_position (item);
  g_autofree char *text = pb_sweep_view_get_cell (self, pos, column);

  gtk_label_set_label (GTK_LABEL (gtk_list_item_get_child (item)), text ? text : "");
}

typedef struct
{
  PbSweepView *view;
  guint column;
} SortColumn;

static double
sort_key (PbSweepView *self,
          int          trial,
          guint        column)
{
  const PbSweepTrialSummary *t;
  const PbSweepResult *r;

  if (column == 0)
    return trial;
  if (column <= (guint) self->n_swept)
    return _pb_sweep_view_axis_value (self, trial, (int) column - 1);
  t = _pb_sweep_view_trial_summary (self, trial);
  r = pb_sweeper_get_trial_values (self->sweeper, trial);
  switch (column - self->n_swept)
    {
    case 1:
      return t != NULL ? t->val_mean : NAN;
    case 2:
      return r != NULL ? (double) r->params : NAN;
    default:
      return r != NULL ? r->epochs : NAN;
    }
}

static int
compare_rows (gconstpointer a,
              gconstpointer b,
              gpointer      user_data)
{
  SortColumn *sc = user_data;
  int ta = _pb_sweep_view_item_trial ((gpointer) a), tb = _pb_sweep_view_item_trial ((gpointer) b);
  double ka = sort_key (sc->view, ta, sc->column), kb = sort_key (sc->view, tb, sc->column);

  /* Unknown values (a diverged trial) go last. */
  if (isnan (ka) || isnan (kb))
    return isnan (ka) - isnan (kb);
  if (ka != kb)
    return ka < kb ? -1 : 1;
  return (ta > tb) - (ta < tb);
}

static void
add_column (PbSweepView *self,
            guint        column,
            const char  *title)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
  SortColumn *sc = g_new0 (SortColumn, 1);
  GtkCustomSorter *sorter;
  GtkColumnViewColumn *col;

  sc->view = self;
  sc->column = column;
  g_object_set_data (G_OBJECT (factory), "column", GUINT_TO_POINTER (column));
  g_signal_connect (factory, "setup", G_CALLBACK (setup_cell), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_cell), self);
  col = gtk_column_view_column_new (title, factory);
  sorter = gtk_custom_sorter_new (compare_rows, sc, g_free);
  gtk_column_view_column_set_sorter (col, GTK_SORTER (sorter));
  g_object_unref (sorter);
  gtk_column_view_append_column (self->table_view, col);
  g_object_unref (col);
}

void
_pb_sweep_view_rebuild_columns (PbSweepView *self)
{
  GListModel *columns = gtk_column_view_get_columns (self->table_view);

  gtk_column_view_sort_by_column (self->table_view, NULL, GTK_SORT_ASCENDING);
  while (g_list_model_get_n_items (columns) > 0)
    {
      g_autoptr(GtkColumnViewColumn) col = g_list_model_get_item (columns, 0);
      gtk_column_view_remove_column (self->table_view, col);
    }
  add_column (self, 0, _("Trial"));
  for (int a = 0; a < self->n_swept; a++)
    add_column (self, 1 + a,
                pb_sweeper_get_config (self->sweeper)->params[self->swept[a]].name);
  add_column (self, 1 + self->n_swept, _("val_error"));
  /* Translators: the column of the trials' parameter counts */
  add_column (self, 2 + self->n_swept, _("Params"));
  add_column (self, 3 + self->n_swept, _("Epochs"));
}

