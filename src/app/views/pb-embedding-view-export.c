/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pb-embedding-view"

#include "config.h"

#include <math.h>
#include <glib/gi18n.h>

#include "pb-embedding-view-private.h"
#include "pb-export.h"
#include "pb-file-dialog.h"

typedef struct
{
  PbEmbeddingView *self;
  int index;           /* -1: every map shown */
} DrawData;

static void
grid_shape (guint  n,
            guint *cols,
            guint *rows)
{
  *cols = n > 1 ? 2 : 1;
  *rows = (n + *cols - 1) / *cols;
}

static void
draw_figure (cairo_t *cr,
             double   width,
             double   height,
             gpointer data)
{
  DrawData *dd = data;
  PbEmbeddingView *self = dd->self;
  guint cols, rows;

  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);
  if (dd->index >= 0 || self->n_shown <= 1)
    {
      PbScatterView *view = self->n_shown <= 1 ? self->single_view
                                                 : pb_embedding_view_grid_view (self, dd->index);
      pb_scatter_view_draw (view, cr, width, height, TRUE);
      return;
    }
  grid_shape (self->n_shown, &cols, &rows);
  for (guint i = 0; i < self->n_shown; i++)
    {
      cairo_save (cr);
      cairo_translate (cr, (i % cols) * width / cols, (i / cols) * height / rows);
      cairo_rectangle (cr, 0, 0, width / cols, height / rows);
      cairo_clip (cr);
      pb_scatter_view_draw (pb_embedding_view_grid_view (self, i), cr, width / cols,
                            height / rows, TRUE);
      cairo_restore (cr);
    }
}

static double
figure_height (PbEmbeddingView *self,
               int              index,
               double           width_pt)
{
  guint cols, rows;

  if (index >= 0 || self->n_shown <= 1)
    return round (width_pt * 0.82);
  grid_shape (self->n_shown, &cols, &rows);
  return round (width_pt / cols * rows);
}

static gboolean
export_figure (PbEmbeddingView  *self,
               int               index,
               const char       *path,
               double            width_pt,
               GError          **error)
{
  DrawData dd = { self, index };
  g_autoptr(GString) desc = g_string_new (NULL);
  guint n = pb_embedder_get_n_maps (self->embedder);

  for (guint i = 0; i < n; i++)
    {
      const PbEmbedMap *map = pb_embedder_get_map (self->embedder, i);

      if (index >= 0 && (guint) index != i)
        continue;
      /* Translators: an exported map's description: run, points, iteration, KL */
      g_string_append_printf (desc, _("t-SNE map of %s: %d points coloured by digit, "
                                      "iteration %d, KL %.3f. "),
                              map->title, map->n, map->iteration, map->kl);
    }
  return pb_export_figure (path, width_pt, figure_height (self, index, width_pt), draw_figure,
                           &dd, _("t-SNE maps of the last layer"), desc->str, error);
}

gboolean
pb_embedding_view_export (PbEmbeddingView  *self,
                          const char       *path,
                          double            width_pt,
                          GError          **error)
{
  g_return_val_if_fail (PB_IS_EMBEDDING_VIEW (self), FALSE);
  return export_figure (self, -1, path, width_pt, error);
}

gboolean
pb_embedding_view_export_map (PbEmbeddingView  *self,
                              guint             index,
                              const char       *path,
                              double            width_pt,
                              GError          **error)
{
  g_return_val_if_fail (PB_IS_EMBEDDING_VIEW (self), FALSE);
  g_return_val_if_fail (index < MAX (self->n_shown, 1), FALSE);
  return export_figure (self, self->n_shown <= 1 ? -1 : (int) index, path, width_pt, error);
}

static void
on_export_chosen (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  PbEmbeddingView *self = PB_EMBEDDING_VIEW (source);
  g_autoptr(GError) error = NULL;
  double width_pt;
  g_autofree char *path = pb_file_dialog_run_finish (result, &width_pt, &error);

  if (path == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  /* The window shows the outcome. */
  if (path != NULL && pb_embedding_view_export (self, path, width_pt, &error))
    gtk_widget_activate_action (GTK_WIDGET (self), "win.show-saved", "s", path);
  else
    gtk_widget_activate_action (GTK_WIDGET (self), "win.show-error", "(ss)",
                                _("Could Not Save the File"), error->message);
}

void
pb_embedding_view_export_action (GtkWidget  *widget,
                                 const char *action_name,
                                 GVariant   *parameter)
{
  PbEmbeddingView *self = PB_EMBEDDING_VIEW (widget);
  const PbEmbedMap *map;
  g_autofree char *stem = NULL;
  g_autofree char *name = NULL;

  if (self->n_shown == 0)
    return;
  map = pb_embedder_get_map (self->embedder, 0);
  stem = pb_export_file_stem (map->title);
  name = self->n_shown > 1 ? g_strdup (_("t-SNE maps.pdf"))
                           : g_strdup_printf (_("t-SNE %s.pdf"), stem);
  pb_file_dialog_run (widget, PB_FILE_DIALOG_SAVE_FIGURE, _("Export the Maps"), name, NULL,
                      on_export_chosen, NULL);
}
