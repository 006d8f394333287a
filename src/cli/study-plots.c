/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pb-study-plots"

#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <glib.h>

#include "study-plots.h"
#include "pb-plot.h"
#include "pb-session.h"
#include "pb-tsne.h"

#define WIDTH_PT 480.0
#define MAP_POINTS 1000

typedef struct
{
  float *features;  /* [rows, dim] */
  guint8 *digits;   /* [rows] */
  int rows, dim;
} Features;

struct PbCliPlots
{
  char *cmd;
  char *dir;
  int n_models;
  Features *features;  /* [n_models]; each written by the one thread that trains round 1 */
};

PbCliPlots *
pb_cli_plots_new (const char *cmd, const char *dir, int n_models)
{
  PbCliPlots *self = g_new0 (PbCliPlots, 1);

  self->cmd = g_strdup (cmd);
  self->dir = g_strdup (dir);
  self->n_models = n_models;
  self->features = g_new0 (Features, n_models);
  return self;
}

void
pb_cli_plots_free (PbCliPlots *self)
{
  if (self == NULL)
    return;
  for (int m = 0; m < self->n_models; m++)
    {
      g_free (self->features[m].features);
      g_free (self->features[m].digits);
    }
  g_free (self->features);
  g_free (self->dir);
  g_free (self->cmd);
  g_free (self);
}

void
pb_cli_plots_round_run (void *data, const PbRoundResult *result, PbRun *run)
{
  PbCliPlots *self = data;
  Features *f;
  const PbPairs *test = pb_run_test_pairs (run);
  PbModel *model = pb_run_model (run);
  PbPairs pairs = *test;
  gboolean per_image;

  if (result->round != 0)
    return;
  f = &self->features[result->model_index];
  g_clear_pointer (&f->features, g_free);
  g_clear_pointer (&f->digits, g_free);
  pairs.n = MIN (test->n, MAP_POINTS / 2);
  f->rows = pb_model_feature_rows (model, pairs.n);
  f->dim = pb_model_feature_dim (model, PB_LAYER_LOGITS);
  f->features = g_new (float, (gsize) f->rows * (gsize) f->dim);
  f->digits = g_new (guint8, f->rows);
  per_image = f->rows == 2 * pairs.n;
  /* Per image for siamese and twin, per pair (coloured by its first digit) for stacked. */
  for (int i = 0; i < f->rows; i++)
    f->digits[i] = per_image ? test->classes[i] : test->classes[2 * i];
  if (pb_model_features (model, pb_run_input_mean (run), pb_run_input_std (run), &pairs,
                         PB_LAYER_LOGITS, f->features, NULL) != PB_OK)
    g_clear_pointer (&f->features, g_free);
}

typedef struct
{
  const PbSession *session;
  PbPlotKind kind;
  const char *title;
  const float *xy;
  const guint8 *digits;
  int n;
} Figure;

static void
draw_figure (cairo_t *cr, double width, double height, gpointer data)
{
  Figure *f = data;
  PbPlotStyle style;

  pb_plot_style_init_print (&style);
  if (f->session != NULL)
    pb_plot_draw_session (cr, width, height, &style, f->kind, f->session);
  else
    pb_plot_draw_scatter (cr, width, height, &style, f->title, f->xy, f->digits, f->n);
}

static gboolean
write_both (const char *cmd, const char *dir, const char *name, double height, Figure *figure,
            const char *title, const char *description)
{
  const char *ext[] = { "svg", "png" };

  for (int i = 0; i < 2; i++)
    {
      g_autofree char *file = g_strdup_printf ("%s.%s", name, ext[i]);
      g_autofree char *path = g_build_filename (dir, file, NULL);
      g_autoptr(GError) error = NULL;

      if (!pb_plot_export (path, WIDTH_PT, height, draw_figure, figure, title, description,
                           &error))
        {
          fprintf (stderr, "pairbench-cli %s: --plots: %s\n", cmd, error->message);
          return FALSE;
        }
      printf ("wrote %s\n", path);
    }
  return TRUE;
}

int
pb_cli_plots_write (PbCliPlots *self, const PbSession *session)
{
  static const struct { PbPlotKind kind; const char *name; double height; } plots[] = {
    { PB_PLOT_CURVES, "curves", 300 },
    { PB_PLOT_SMALL_MULTIPLES, "small-multiples", 300 },
    { PB_PLOT_BOX, "box", 300 },
  };
  PbError err = { { 0 } };
  int rc = 0;

  if (g_mkdir_with_parents (self->dir, 0777) != 0)
    {
      fprintf (stderr, "pairbench-cli %s: --plots: %s: %s\n", self->cmd, self->dir,
               g_strerror (errno));
      return 1;
    }

  for (size_t p = 0; p < G_N_ELEMENTS (plots) && rc == 0; p++)
    {
      Figure figure = { .session = session, .kind = plots[p].kind };
      g_autofree char *desc = g_strdup_printf ("%s: %s; %s", pb_plot_kind_title (plots[p].kind),
                                               pb_plot_axis_label (plots[p].kind, FALSE),
                                               pb_plot_axis_label (plots[p].kind, TRUE));

      if (!write_both (self->cmd, self->dir, plots[p].name, plots[p].height, &figure,
                       pb_plot_kind_title (plots[p].kind), desc))
        rc = 1;
    }

  for (int m = 0; m < session->n_models && rc == 0; m++)
    {
      Features *f = &self->features[m];
      PbTsneSettings ts;
      PbTsne *tsne = NULL;
      g_autofree char *title = NULL, *name = NULL;

      if (f->features == NULL)
        continue;
      pb_tsne_settings_init (&ts);
      ts.seed = session->base.seed;
      if (pb_tsne_new (f->features, f->rows, f->dim, &ts, NULL, &tsne, &err) != PB_OK
          || pb_tsne_step (tsne, 1000, &err) != PB_OK)
        {
          pb_tsne_free (tsne);
          fprintf (stderr, "pairbench-cli %s: --plots: t-SNE of %s: %s\n", self->cmd,
                   pb_session_model_name (session, m), err.message);
          rc = 1;
          break;
        }
      title = g_strdup_printf ("%s: t-SNE of the digit logits, round 1 (%d points)",
                               pb_session_model_name (session, m), f->rows);
      name = g_strdup_printf ("tsne-%s", pb_session_model_name (session, m));
      Figure figure = { .title = title, .xy = pb_tsne_coords (tsne), .digits = f->digits,
                        .n = f->rows };
      if (!write_both (self->cmd, self->dir, name, 400, &figure, title,
                       "t-SNE map coloured by digit"))
        rc = 1;
      pb_tsne_free (tsne);
    }
  return rc;
}

bool
pb_cli_plots_get_features (const PbCliPlots *self, int m, const float **features,
                           const uint8_t **digits, int *rows, int *dim)
{
  const Features *f = &self->features[m];

  if (f->features == NULL)
    return false;
  *features = f->features;
  *digits = f->digits;
  *rows = f->rows;
  *dim = f->dim;
  return true;
}

void
pb_cli_plots_set_features (PbCliPlots *self, int m, const float *features, const uint8_t *digits,
                           int rows, int dim)
{
  Features *f = &self->features[m];

  g_free (f->features);
  g_free (f->digits);
  f->features = g_memdup2 (features, (gsize) rows * (gsize) dim * sizeof *features);
  f->digits = g_memdup2 (digits, (gsize) rows);
  f->rows = rows;
  f->dim = dim;
}
