/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pairbench-cli end to end: train → weights → pairs → predict, the study's outputs, and the
 * exit status and one-line message of bad usage and bad files. */

#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "pb-core.h"

static char *tmpdir;

typedef struct
{
  int status;
  char *out;
  char *err;
} Result;

static void
result_clear (Result *r)
{
  g_free (r->out);
  g_free (r->err);
}

static Result
run_cli (const char *first, ...)
{
  GPtrArray *argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  Result r = { 0 };
  va_list ap;
  int wait_status;

  g_ptr_array_add (argv, (gpointer) g_getenv ("PAIRBENCH_CLI"));
  va_start (ap, first);
  for (const char *a = first; a != NULL; a = va_arg (ap, const char *))
    g_ptr_array_add (argv, (gpointer) a);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, &r.out, &r.err,
                &wait_status, &error);
  g_assert_no_error (error);
  r.status = WIFEXITED (wait_status) ? WEXITSTATUS (wait_status) : -1;
  g_ptr_array_free (argv, TRUE);
  return r;
}

static char *
tmp (const char *name)
{
  return g_build_filename (tmpdir, name, NULL);
}

static PbJson *
parse (const char *text)
{
  PbJson *json = NULL;
  PbError err = { { 0 } };
  if (pb_json_parse (text, strlen (text), "stdout", &json, &err) != PB_OK)
    g_error ("%s", err.message);
  return json;
}

/* The weights a run writes predict its own test pairs with exactly its reported error. */
static void
test_train_pairs_predict (void)
{
  g_autofree char *weights = tmp ("w.safetensors");
  g_autofree char *test_idx = tmp ("test.idx");
  g_autofree char *labels_idx = tmp ("labels.idx");

  Result train = run_cli ("train", "--model", "siamese-aux", "--epochs", "2", "--pairs", "300",
                          "--test-pairs", "400", "--seed", "9", "--weights", weights, "--json",
                          NULL);
  g_assert_cmpint (train.status, ==, 0);
  g_assert_nonnull (strstr (train.err, "epoch   2/2"));
  PbJson *j = parse (train.out);
  g_assert_cmpstr (pb_json_get_string (j, "model"), ==, "siamese-aux");
  g_assert_cmpfloat (pb_json_get_number (j, "params", 0), ==, 71076);
  g_assert_cmpfloat (pb_json_get_number (j, "seed", 0), ==, 9);
  const char *keys[] = { "test_error", "train_error", "digit_error", "chunk_sd", "train_seconds",
                         "eval_seconds" };
  for (gsize i = 0; i < G_N_ELEMENTS (keys); i++)
    g_assert_cmpint (pb_json_get (j, keys[i])->type, ==, PB_JSON_NUMBER);
  const PbJson *settings = pb_json_get (j, "settings");
  g_assert_cmpfloat (pb_json_get_number (settings, "epochs", 0), ==, 2);
  g_assert_cmpfloat (pb_json_get_number (settings, "train_pairs", 0), ==, 300);
  const PbJson *epochs = pb_json_get (j, "epochs");
  g_assert_cmpint (epochs->n, ==, 2);
  const char *ekeys[] = { "epoch", "train_loss", "train_main_loss", "train_aux_loss",
                          "train_error", "test_error", "digit_error", "seconds" };
  for (gsize i = 0; i < G_N_ELEMENTS (ekeys); i++)
    g_assert_nonnull (pb_json_get (&epochs->items[1], ekeys[i]));
  double test_error = pb_json_get_number (j, "test_error", -1);
  g_assert_cmpfloat (test_error, ==, pb_json_get_number (&epochs->items[1], "test_error", -2));

  Result pairs = run_cli ("pairs", "--seed", "9", "--pairs", "300", "--test-pairs", "400",
                          "--split", "test", "--out", test_idx, "--labels", labels_idx, NULL);
  g_assert_cmpint (pairs.status, ==, 0);
  PbIdx idx;
  g_assert_cmpint (pb_idx_read (test_idx, &idx, NULL), ==, PB_OK);
  g_assert_cmpint (idx.type, ==, 0x0D);
  g_assert_cmpint (idx.ndim, ==, 4);
  g_assert_cmpuint (idx.dims[0], ==, 400);
  g_assert_cmpuint (idx.dims[1], ==, 2);
  pb_idx_clear (&idx);

  Result pred = run_cli ("predict", "--weights", weights, "--input", test_idx, "--labels",
                         labels_idx, "--json", NULL);
  g_assert_cmpint (pred.status, ==, 0);
  PbJson *p = parse (pred.out);
  g_assert_cmpint (pb_json_get (p, "predictions")->n, ==, 400);
  g_assert_cmpint (pb_json_get (p, "digits")->n, ==, 400);
  g_assert_cmpint (pb_json_get (p, "probabilities")->n, ==, 400);
  g_test_message ("run's test error %.6f, predict's %.6f", test_error,
                  pb_json_get_number (p, "error", -1));
  g_assert_cmpfloat (pb_json_get_number (p, "error", -1), ==, test_error);

  /* The plain-text form agrees. */
  Result text = run_cli ("predict", "--weights", weights, "--input", test_idx, "--labels",
                         labels_idx, NULL);
  g_assert_cmpint (text.status, ==, 0);
  g_assert_true (g_str_has_prefix (text.out, "pair,label,digit1,digit2,p1\n"));
  g_assert_nonnull (strstr (text.out, "of 400 wrong"));

  pb_json_free (j);
  pb_json_free (p);
  result_clear (&train);
  result_clear (&pairs);
  result_clear (&pred);
  result_clear (&text);
}

/* --dry-run counts the parameters of the settings given, presets included, without training. */
static void
test_dry_run (void)
{
  Result r = run_cli ("train", "--dry-run", "--json", "--kernel", "3", "--padding", "1,1,1",
                      "--channels", "32,64,64", "--hidden", "96", "--rule", "posterior", NULL);
  g_assert_cmpint (r.status, ==, 0);
  PbJson *j = parse (r.out);
  /* conv 320 + 18,496 + 36,928, batch norm 2·(32 + 64 + 64), fc1 6,240, fc2 970; no head */
  g_assert_cmpfloat (pb_json_get_number (j, "params", 0), ==, 63274);
  const PbJson *settings = pb_json_get (j, "settings");
  g_assert_cmpstr (pb_json_get_string (settings, "rule"), ==, "posterior");
  g_assert_cmpfloat (pb_json_get_number (settings, "kernel", 0), ==, 3);
  pb_json_free (j);
  result_clear (&r);

  /* The preset applies first wherever it stands; later options change it. */
  PbTrainSettings best;
  g_assert_cmpint (pb_train_settings_preset (&best, "best", NULL), ==, PB_OK);
  r = run_cli ("train", "--epochs", "7", "--preset", "best", "--dry-run", "--json", NULL);
  g_assert_cmpint (r.status, ==, 0);
  j = parse (r.out);
  g_assert_cmpfloat (pb_json_get_number (j, "params", 0), ==, pb_arch_param_count (&best.arch));
  settings = pb_json_get (j, "settings");
  g_assert_cmpfloat (pb_json_get_number (settings, "epochs", 0), ==, 7);
  g_assert_cmpfloat (pb_json_get_number (settings, "batch", 0), ==, best.batch);
  g_assert_cmpstr (pb_json_get_string (settings, "schedule"), ==, pb_schedule_name (best.schedule));
  pb_json_free (j);
  result_clear (&r);
}

/* A validation split reports its own errors, and a study trains a preset beside a named model
 * on the same seeds and test pairs. */
static void
test_val_split_and_preset_study (void)
{
  Result r = run_cli ("train", "--epochs", "1", "--pairs", "200", "--test-pairs", "100",
                      "--val-pairs", "50", "--batch", "25", "--json", NULL);
  g_assert_cmpint (r.status, ==, 0);
  PbJson *j = parse (r.out);
  const PbJson *epochs = pb_json_get (j, "epochs");
  double val = pb_json_get_number (&epochs->items[0], "val_error", -1);
  g_assert_cmpfloat (val, >=, 0.0);
  g_assert_cmpfloat (val, <=, 1.0);
  /* 50 pairs: the error is a multiple of 1/50 */
  g_assert_cmpfloat (fabs (val * 50 - round (val * 50)), <, 1e-9);
  pb_json_free (j);
  result_clear (&r);

  r = run_cli ("study", "--models", "siamese-aux,best", "--rounds", "2", "--jobs", "2",
               "--epochs", "1", "--pairs", "200", "--test-pairs", "100", "--json", NULL);
  g_assert_cmpint (r.status, ==, 0);
  j = parse (r.out);
  const PbJson *models = pb_json_get (j, "models");
  g_assert_cmpint (models->n, ==, 2);
  g_assert_cmpstr (pb_json_get_string (&models->items[0], "model"), ==, "siamese-aux");
  g_assert_cmpstr (pb_json_get_string (&models->items[1], "model"), ==, "best");
  g_assert_cmpfloat (pb_json_get_number (&models->items[0], "params", 0), ==, 71076);
  PbTrainSettings best;
  g_assert_cmpint (pb_train_settings_preset (&best, "best", NULL), ==, PB_OK);
  g_assert_cmpfloat (pb_json_get_number (&models->items[1], "params", 0), ==,
                     pb_arch_param_count (&best.arch));
  const PbJson *tests = pb_json_get (j, "tests");
  g_assert_cmpint (tests->n, ==, 1);
  g_assert_cmpstr (pb_json_get_string (&tests->items[0], "b"), ==, "best");
  pb_json_free (j);
  result_clear (&r);
}

/* --plots with a preset in --models: the preset's map is named by the preset, beside the
 * named model's, and the shared figures take both. */
static void
test_study_plots_preset (void)
{
  g_autofree char *dir = tmp ("plots-preset");
  static const char *const names[] = {
    "curves", "small-multiples", "box", "tsne-siamese", "tsne-best",
  };
  Result r = run_cli ("study", "--models", "siamese,best", "--rounds", "2", "--jobs", "2",
                      "--epochs", "1", "--pairs", "200", "--test-pairs", "100", "--plots", dir,
                      NULL);

  g_assert_cmpint (r.status, ==, 0);
  g_assert_null (strstr (r.err, "--plots"));
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    for (guint k = 0; k < 2; k++)
      {
        g_autofree char *file = g_strdup_printf ("%s.%s", names[i], k == 0 ? "svg" : "png");
        g_autofree char *path = g_build_filename (dir, file, NULL);
        g_autofree char *line = g_strdup_printf ("wrote %s\n", path);
        g_autofree char *contents = NULL;

        g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
        g_assert_nonnull (strstr (r.out, line));
        if (k == 0 && strcmp (names[i], "tsne-best") == 0)
          g_assert_nonnull (strstr (contents, "best: t-SNE of the digit logits"));
        g_unlink (path);
      }
  g_rmdir (dir);
  result_clear (&r);
}

/* embed maps the run's own test digits; with digit logits trained by the auxiliary loss, a
 * point's nearest neighbour on the map is mostly the same digit. */
static void
test_embed (void)
{
  g_autofree char *weights = tmp ("embed.safetensors");
  g_autofree char *csv = tmp ("embed.csv");
  g_autofree char *classes = tmp ("embed-classes.idx");
  g_autofree char *images = tmp ("embed-images.idx");

  Result train = run_cli ("train", "--model", "siamese-aux", "--epochs", "3", "--seed", "4",
                          "--test-pairs", "150", "--weights", weights, NULL);
  g_assert_cmpint (train.status, ==, 0);
  Result embed = run_cli ("embed", "--weights", weights, "--out", csv, "--pairs", "150",
                          "--iterations", "500", NULL);
  g_assert_cmpint (embed.status, ==, 0);
  g_assert_nonnull (strstr (embed.out, "points 300×10"));
  Result pairs = run_cli ("pairs", "--seed", "4", "--test-pairs", "150", "--split", "test",
                          "--out", images, "--labels", classes, NULL);
  g_assert_cmpint (pairs.status, ==, 0);

  PbIdx idx;
  g_assert_cmpint (pb_idx_read (classes, &idx, NULL), ==, PB_OK);
  const guint8 *digits = idx.data;
  g_autofree char *contents = NULL;
  g_assert_true (g_file_get_contents (csv, &contents, NULL, NULL));
  g_auto (GStrv) lines = g_strsplit (contents, "\n", -1);
  g_assert_cmpstr (lines[0], ==, "x,y,digit,pair,position");
  g_assert_cmpint (g_strv_length (lines), ==, 1 + 300 + 1);
  double x[300], y[300];
  int d[300];
  for (int r = 0; r < 300; r++)
    {
      int digit, pair, position;
      g_assert_cmpint (sscanf (lines[r + 1], "%lf,%lf,%d,%d,%d", &x[r], &y[r], &digit, &pair,
                               &position), ==, 5);
      g_assert_cmpint (pair, ==, r / 2);
      g_assert_cmpint (position, ==, r % 2 + 1);
      g_assert_cmpint (digit, ==, digits[r]);
      d[r] = digit;
    }
  int same = 0;
  for (int r = 0; r < 300; r++)
    {
      int best = -1;
      double best_d2 = G_MAXDOUBLE;
      for (int q = 0; q < 300; q++)
        {
          double d2 = (x[q] - x[r]) * (x[q] - x[r]) + (y[q] - y[r]) * (y[q] - y[r]);
          if (q != r && d2 < best_d2)
            {
              best_d2 = d2;
              best = q;
            }
        }
      same += d[best] == d[r];
    }
  g_test_message ("nearest neighbour on the map has the same digit for %d of 300 points", same);
  g_assert_cmpint (same, >, 240);
  pb_idx_clear (&idx);
  result_clear (&train);
  result_clear (&embed);
  result_clear (&pairs);
}

static void
test_study (void)
{
  g_autofree char *csv = tmp ("rounds.csv");
  Result r = run_cli ("study", "--models", "siamese,stacked-aux", "--rounds", "2", "--jobs", "2",
                      "--epochs", "1", "--pairs", "200", "--test-pairs", "200", "--augment", "0",
                      "--csv", csv, "--json", NULL);
  g_assert_cmpint (r.status, ==, 0);
  PbJson *j = parse (r.out);
  const PbJson *models = pb_json_get (j, "models");
  g_assert_cmpint (models->n, ==, 2);
  g_assert_cmpstr (pb_json_get_string (&models->items[1], "model"), ==, "stacked-aux");
  g_assert_cmpfloat (pb_json_get_number (&models->items[1], "params", 0), ==, 71790);
  const PbJson *rounds = pb_json_get (&models->items[0], "rounds");
  g_assert_cmpint (rounds->n, ==, 2);
  g_assert_cmpfloat (pb_json_get_number (&rounds->items[1], "seed", 0), ==, 2);
  double e0 = pb_json_get_number (&rounds->items[0], "test_error", -1);
  double e1 = pb_json_get_number (&rounds->items[1], "test_error", -1);
  g_assert_cmpfloat_with_epsilon (pb_json_get_number (&models->items[0], "test_error_mean", -1),
                                  (e0 + e1) / 2, 1e-12);

  g_autofree char *contents = NULL;
  g_assert_true (g_file_get_contents (csv, &contents, NULL, NULL));
  g_auto (GStrv) lines = g_strsplit (contents, "\n", -1);
  g_assert_cmpstr (lines[0], ==, "model,round,seed,params,test_error,train_error,digit_error,"
                                 "chunk_sd,train_seconds,eval_seconds");
  g_assert_cmpint (g_strv_length (lines), ==, 1 + 4 + 1);
  g_assert_true (g_str_has_prefix (lines[3], "stacked-aux,1,1,71790,"));

  Result table = run_cli ("study", "--models", "siamese", "--rounds", "1", "--epochs", "1",
                          "--pairs", "200", "--test-pairs", "200", NULL);
  g_assert_cmpint (table.status, ==, 0);
  g_assert_nonnull (strstr (table.out, "test error"));
  g_assert_nonnull (strstr (table.out, "siamese"));
  g_assert_nonnull (strstr (table.out, "71076"));
  pb_json_free (j);
  result_clear (&r);
  result_clear (&table);
}

static char *
read_file (const char *path)
{
  char *contents = NULL;
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  return contents;
}

/* --plots: every figure as SVG (well-formed, with its axis labels) and PNG (2 px per point). */
static void
test_study_plots (void)
{
  g_autofree char *dir = tmp ("plots");
  static const char *const names[] = {
    "curves", "small-multiples", "box", "tsne-stacked", "tsne-siamese-aux",
  };
  Result r = run_cli ("study", "--models", "stacked,siamese-aux", "--rounds", "2", "--jobs", "2",
                      "--epochs", "1", "--pairs", "200", "--test-pairs", "100", "--plots", dir,
                      NULL);

  g_assert_cmpint (r.status, ==, 0);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *svg_name = g_strdup_printf ("%s.svg", names[i]);
      g_autofree char *png_name = g_strdup_printf ("%s.png", names[i]);
      g_autofree char *svg_path = g_build_filename (dir, svg_name, NULL);
      g_autofree char *png_path = g_build_filename (dir, png_name, NULL);
      g_autofree char *svg = NULL, *png = NULL;
      gsize svg_len, png_len;
      GMarkupParser parser = { 0 };
      GMarkupParseContext *ctx = g_markup_parse_context_new (&parser, 0, NULL, NULL);
      g_autoptr (GError) error = NULL;
      const guint8 *p;

      g_assert_true (g_file_get_contents (svg_path, &svg, &svg_len, NULL));
      g_assert_true (g_markup_parse_context_parse (ctx, svg, (gssize) svg_len, &error)
                     && g_markup_parse_context_end_parse (ctx, &error));
      g_assert_no_error (error);
      g_markup_parse_context_free (ctx);
      if (g_str_has_prefix (names[i], "tsne-"))
        g_assert_nonnull (strstr (svg, "t-SNE"));
      else
        {
          g_assert_nonnull (strstr (svg, "Test error (%)"));
          g_assert_nonnull (strstr (svg, strcmp (names[i], "box") == 0 ? "Model" : "Epoch"));
        }

      g_assert_true (g_file_get_contents (png_path, &png, &png_len, NULL));
      g_assert_cmpuint (png_len, >, 24);
      p = (const guint8 *) png;
      g_assert_cmpmem (p, 8, "\x89PNG\r\n\x1a\n", 8);
      g_assert_cmpuint ((guint32) p[16] << 24 | p[17] << 16 | p[18] << 8 | p[19], ==, 960);
      g_assert_cmpuint ((guint32) p[20] << 24 | p[21] << 16 | p[22] << 8 | p[23], >=, 600);
      g_unlink (svg_path);
      g_unlink (png_path);
    }
  g_rmdir (dir);
  result_clear (&r);
}

/* --table in each format, and the paired tests under the table and in the JSON. */
static void
test_study_tables (void)
{
  g_autofree char *csv = tmp ("table.csv");
  g_autofree char *md = tmp ("table.md");
  g_autofree char *tex = tmp ("table.tex");
  g_autofree char *pdf = tmp ("table.pdf");
#define STUDY_ARGS "study", "--models", "siamese,stacked-aux", "--rounds", "3", "--jobs", "3", \
    "--epochs", "1", "--pairs", "200", "--test-pairs", "200", "--augment", "0"
  Result rj = run_cli (STUDY_ARGS, "--json", "--table", csv, NULL);
  Result rt = run_cli (STUDY_ARGS, "--table", md, NULL);
  Result rx = run_cli (STUDY_ARGS, "--table", tex, NULL);
  Result bad = run_cli (STUDY_ARGS, "--table", pdf, NULL);
#undef STUDY_ARGS
  g_assert_cmpint (rj.status, ==, 0);
  g_assert_cmpint (rt.status, ==, 0);
  g_assert_cmpint (rx.status, ==, 0);
  g_assert_cmpint (bad.status, ==, 2);
  g_assert_nonnull (strstr (bad.err, "--table: expected a file name ending in .csv, .md or .tex"));
  g_assert_false (g_file_test (pdf, G_FILE_TEST_EXISTS));

  /* The JSON's tests are the core's on the rounds' test errors. */
  PbJson *j = parse (rj.out);
  const PbJson *models = pb_json_get (j, "models");
  const PbJson *tests = pb_json_get (j, "tests");
  double errors[2][3];
  g_assert_nonnull (tests);
  g_assert_cmpint (tests->type, ==, PB_JSON_ARRAY);
  g_assert_cmpint (tests->n, ==, 1);
  for (int m = 0; m < 2; m++)
    for (int k = 0; k < 3; k++)
      errors[m][k] = pb_json_get_number (&pb_json_get (&models->items[m], "rounds")->items[k],
                                         "test_error", -1);
  PbPairedTests expect;
  PbError err = { { 0 } };
  g_assert_cmpint (pb_stats_paired_tests (errors[0], errors[1], 3, &expect, &err), ==, PB_OK);
  const PbJson *t = &tests->items[0];
  g_assert_cmpstr (pb_json_get_string (t, "a"), ==, "siamese");
  g_assert_cmpstr (pb_json_get_string (t, "b"), ==, "stacked-aux");
  g_assert_cmpfloat_with_epsilon (pb_json_get_number (t, "mean_diff", -1), expect.mean_diff,
                                  1e-12);
  g_assert_cmpfloat_with_epsilon (pb_json_get_number (t, "mean_diff", -1),
                                  pb_json_get_number (&models->items[0], "test_error_mean", 0)
                                  - pb_json_get_number (&models->items[1], "test_error_mean", 0),
                                  1e-9);
  for (int i = 0; i < 2; i++)
    {
      const char *key = i == 0 ? "t_p" : "wilcoxon_p";
      double want = i == 0 ? expect.t.pvalue : expect.wilcoxon.pvalue;
      const PbJson *p = pb_json_get (t, key);
      g_assert_nonnull (p);
      if (want != want) /* NaN is written as null */
        g_assert_cmpint (p->type, ==, PB_JSON_NULL);
      else
        g_assert_cmpfloat_with_epsilon (p->number, want, 1e-15);
    }

  /* The JSON keeps the untrained digit error's number and says it is untrained. */
  g_assert_false (pb_json_get (&models->items[0], "digit_trained")->boolean);
  g_assert_true (pb_json_get (&models->items[1], "digit_trained")->boolean);
  g_assert_cmpint (pb_json_get (&models->items[0], "digit_error_mean")->type, ==,
                   PB_JSON_NUMBER);

  /* The text output has the pairs under the table, p to two significant digits, and with 3
   * rounds the Wilcoxon test cannot reach 0.05. */
  char t_p[32], w_p[32];
  pb_stats_format_p (t_p, sizeof t_p, expect.t.pvalue);
  pb_stats_format_p (w_p, sizeof w_p, expect.wilcoxon.pvalue);
  g_autofree char *t_cell = g_strdup_printf ("%10s  ", t_p);
  g_autofree char *w_cell = g_strdup_printf ("%10s %s (too few rounds: n = 3)\n", w_p,
                                             expect.wilcoxon.exact ? "exact" : "normal approx.");
  g_assert_nonnull (strstr (rt.out, "Paired tests on the test error over the 3 shared seeds"));
  g_assert_nonnull (strstr (rt.out, "Wilcoxon p"));
  g_assert_nonnull (strstr (rt.out, "\nsiamese      stacked-aux  "));
  g_assert_nonnull (strstr (rt.out, t_cell));
  g_assert_nonnull (strstr (rt.out, w_cell));
  g_assert_nonnull (strstr (rt.out, "needs n ≥ 6 to reach p < 0.05"));
  /* Table II: siamese's digit error is "—", stacked-aux's a number. */
  g_autofree char *siamese_row =
    g_strdup_printf ("\nsiamese         71076  %.3f ± %.3f    —            ",
                     pb_json_get_number (&models->items[0], "test_error_mean", -1),
                     pb_json_get_number (&models->items[0], "test_error_std", -1));
  g_assert_nonnull (strstr (rt.out, siamese_row));
  {
    const char *row = strstr (rt.out, "\nstacked-aux");
    g_autofree char *line = g_strndup (row, strchr (row + 1, '\n') - row);
    g_assert_null (strstr (line, "—"));
  }
  g_assert_nonnull (strstr (rt.out, "(digit error —: no auxiliary loss, so the model's digit "
                                    "outputs are not trained)\n"));

  g_autofree char *csv_text = read_file (csv);
  g_auto (GStrv) rows = g_strsplit (csv_text, "\n", -1);
  g_assert_cmpint (g_strv_length (rows), ==, 4);
  g_assert_cmpstr (rows[0], ==, "model,params,test_error_mean,test_error_std,digit_error_mean,"
                                "digit_error_std,seconds_per_run,rounds");
  g_assert_cmpstr (rows[3], ==, "");
  for (int m = 0; m < 2; m++)
    {
      g_auto (GStrv) f = g_strsplit (rows[1 + m], ",", -1);
      g_assert_cmpint (g_strv_length (f), ==, 8);
      g_assert_cmpstr (f[0], ==, m == 0 ? "siamese" : "stacked-aux");
      g_assert_cmpstr (f[1], ==, m == 0 ? "71076" : "71790");
      g_assert_cmpfloat (pb_strtod_c (f[2], NULL), ==,
                         pb_json_get_number (&models->items[m], "test_error_mean", -1));
      g_assert_cmpfloat (pb_strtod_c (f[3], NULL), ==,
                         pb_json_get_number (&models->items[m], "test_error_std", -1));
      if (m == 0)
        {
          g_assert_cmpstr (f[4], ==, "");
          g_assert_cmpstr (f[5], ==, "");
        }
      else
        g_assert_cmpfloat (pb_strtod_c (f[4], NULL), ==,
                           pb_json_get_number (&models->items[m], "digit_error_mean", -1));
      g_assert_cmpstr (f[7], ==, "3");
    }

  g_autofree char *md_text = read_file (md);
  g_auto (GStrv) md_rows = g_strsplit (md_text, "\n", -1);
  g_assert_cmpint (g_strv_length (md_rows), ==, 13);
  g_assert_cmpstr (md_rows[0], ==, "| Model | Parameters | Test error | Digit error | "
                                   "Seconds per run | Rounds |");
  g_assert_cmpstr (md_rows[1], ==, "|:--|--:|:-:|:-:|--:|--:|");
  g_autofree char *md_row =
    g_strdup_printf ("| siamese | 71076 | %.3f ± %.3f | ",
                     pb_json_get_number (&models->items[0], "test_error_mean", -1),
                     pb_json_get_number (&models->items[0], "test_error_std", -1));
  g_assert_true (g_str_has_prefix (md_rows[2], md_row));
  g_assert_true (g_str_has_prefix (md_rows[3], "| stacked-aux | 71790 | "));
  g_assert_true (g_str_has_suffix (md_rows[3], " | 3 |"));
  g_assert_nonnull (strstr (md_rows[2], " | — | "));
  g_assert_cmpstr (md_rows[4], ==, "");
  g_assert_true (g_str_has_prefix (md_rows[5], "—: no auxiliary loss"));
  g_assert_cmpstr (md_rows[7], ==, "Paired tests on the test error over 3 shared rounds "
                                   "(two-sided):");
  g_autofree char *md_test = g_strdup_printf ("| siamese | stacked-aux | %+.4f | %s | %s "
                                              "(too few rounds: n = 3) |", expect.mean_diff, t_p,
                                              w_p);
  g_assert_cmpstr (md_rows[11], ==, md_test);

  g_autofree char *tex_text = read_file (tex);
  g_assert_nonnull (strstr (tex_text, "\\begin{tabular}{lrccrr}\n\\toprule\n"
                                      "Model & Parameters & Test error & Digit error & "
                                      "Seconds per run & Rounds \\\\\n\\midrule\n"
                                      "siamese & 71076 & $"));
  g_assert_nonnull (strstr (tex_text, "\nstacked-aux & 71790 & $"));
  g_assert_nonnull (strstr (tex_text, " \\pm "));
  g_assert_nonnull (strstr (tex_text, " & 3 \\\\\n\\bottomrule\n\\end{tabular}\n"));
  g_assert_nonnull (strstr (tex_text, "$ & --- & "));
  g_assert_nonnull (strstr (tex_text, "(too few rounds: n = 3) \\\\\n\\bottomrule\n"));

  pb_json_free (j);
  result_clear (&rj);
  result_clear (&rt);
  result_clear (&rx);
  result_clear (&bad);
}

typedef struct
{
  int status;
  const char *expect;
  const char *args[12];
} BadCase;

static void
check_bad (const BadCase *c)
{
  const char *a[14] = { 0 };
  for (int i = 0; i < 12 && c->args[i] != NULL; i++)
    a[i] = c->args[i];
  Result r = run_cli (a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11],
                      NULL);
  g_test_message ("%s %s … → %d: %s", a[0], a[1] ? a[1] : "", r.status, r.err);
  g_assert_cmpint (r.status, ==, c->status);
  g_assert_nonnull (strstr (r.err, c->expect));
  /* One line. */
  g_assert_cmpint (strchr (r.err, '\n') - r.err, ==, (int) strlen (r.err) - 1);
  result_clear (&r);
}

static void
test_bad_usage (void)
{
  g_autofree char *garbage = tmp ("garbage.safetensors");
  g_autofree char *pairs = tmp ("p.idx");
  g_autofree char *weights = tmp ("small.safetensors");
  Result small = run_cli ("train", "--epochs", "1", "--pairs", "50", "--test-pairs", "50",
                          "--batch", "50", "--weights", weights, NULL);
  g_assert_cmpint (small.status, ==, 0);
  result_clear (&small);
  g_assert_true (g_file_set_contents (garbage, "not a weights file at all", -1, NULL));
  Result make = run_cli ("pairs", "--split", "test", "--test-pairs", "5", "--out", pairs, NULL);
  g_assert_cmpint (make.status, ==, 0);
  result_clear (&make);

  const BadCase cases[] = {
    { 2, "unknown command", { "frobnicate" } },
    { 2, "unknown option '--bogus'", { "train", "--bogus" } },
    { 2, "--epochs: expected an integer 1–10000, got '0'", { "train", "--epochs", "0" } },
    { 2, "--epochs", { "train", "--epochs", "ten" } },
    { 2, "--lr: expected a finite number > 0, got '-1'", { "train", "--lr", "-1" } },
    { 2, "--lr", { "train", "--lr", "nan" } },
    { 2, "--batch", { "train", "--batch", "0" } },
    { 2, "--batch: expected 1–50", { "train", "--pairs", "50", "--batch", "100" } },
    { 2, "--augment: expected degrees in 0–180, got '200'", { "train", "--augment", "200" } },
    { 2, "siamese, siamese-aux, twin, twin-aux, stacked, stacked-aux",
      { "train", "--model", "lenet" } },
    { 2, "--rounds: expected an integer 1–1000, got '0'", { "study", "--rounds", "0" } },
    { 2, "--jobs: expected an integer 1–64, got '0'", { "study", "--jobs", "0" } },
    { 2, "--models", { "study", "--models", "siamese,nope" } },
    { 2, "--split", { "pairs", "--split", "valid", "--out", "x" } },
    { 2, "--layer: expected logits or fc1", { "embed", "--layer", "fc3" } },
    { 2, "--weights and --out are required", { "embed", "--weights", garbage } },
    { 1, "garbage.safetensors", { "embed", "--weights", garbage, "--out", "x.csv" } },
    { 2, "--weights and --input are required", { "predict", "--weights", garbage } },
    { 1, "40000 training pairs need 80000 images, the training set has 60000",
      { "train", "--pairs", "40000", "--epochs", "1" } },
    { 1, "/nonexistent-dir", { "train", "--data", "/nonexistent-dir" } },
    { 1, "garbage.safetensors", { "predict", "--weights", garbage, "--input", pairs } },
    { 1, "/nonexistent.idx", { "predict", "--weights", weights, "--input", "/nonexistent.idx" } },
    { 1, "p.idx: expected unsigned-byte digit classes 5×2",
      { "predict", "--weights", weights, "--input", pairs, "--labels", pairs } },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    check_bad (&cases[i]);
}

static void
test_help (void)
{
  const char *cmds[] = { "train", "study", "pairs", "predict", "tsne", "embed" };
  for (gsize i = 0; i < G_N_ELEMENTS (cmds); i++)
    {
      Result r = run_cli (cmds[i], "--help", NULL);
      g_assert_cmpint (r.status, ==, 0);
      g_assert_true (g_str_has_prefix (r.out, "Usage: pairbench-cli "));
      g_assert_nonnull (strstr (r.out, cmds[i]));
      result_clear (&r);
    }
  Result r = run_cli ("--help", NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "study"));
  result_clear (&r);
}

int
main (int argc, char **argv)
{
  int rc;
  g_test_init (&argc, &argv, NULL);
  tmpdir = g_dir_make_tmp ("pb-cli-XXXXXX", NULL);
  g_test_add_func ("/cli/train-pairs-predict", test_train_pairs_predict);
  g_test_add_func ("/cli/study", test_study);
  g_test_add_func ("/cli/dry-run", test_dry_run);
  g_test_add_func ("/cli/val-split-preset-study", test_val_split_and_preset_study);
  g_test_add_func ("/cli/study-tables", test_study_tables);
  g_test_add_func ("/cli/study-plots", test_study_plots);
  g_test_add_func ("/cli/study-plots-preset", test_study_plots_preset);
  g_test_add_func ("/cli/embed", test_embed);
  g_test_add_func ("/cli/bad-usage", test_bad_usage);
  g_test_add_func ("/cli/help", test_help);
  rc = g_test_run ();
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", tmpdir);
  if (system (cmd) != 0)
    g_warning ("could not remove %s", tmpdir);
  g_free (tmpdir);
  return rc;
}
