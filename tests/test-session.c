/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>
#include <string.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "pb-session.h"
#include "pb-table.h"

static void
make_session (PbSession *s, int rounds_done)
{
  PbTrainSettings base;
  PbArch models[2];

  g_assert_cmpint (pb_train_settings_init (&base, "siamese", NULL), ==, PB_OK);
  base.epochs = 3;
  base.seed = 7;
  g_assert_cmpint (pb_arch_from_name ("stacked", &models[0], NULL), ==, PB_OK);
  g_assert_cmpint (pb_arch_from_name ("siamese-aux", &models[1], NULL), ==, PB_OK);
  g_assert_cmpint (pb_session_init (s, &base, models, 2, 4, NULL), ==, PB_OK);

  for (int m = 0; m < 2; m++)
    for (int r = 0; r < rounds_done; r++)
      {
        PbEpochRecord e[3];
        PbRoundResult res = { .model_index = m, .round = r, .seed = 7 + r, .status = PB_OK,
                              .params = 1234, .epochs = e, .n_epochs = 3 };

        for (int k = 0; k < 3; k++)
          e[k] = (PbEpochRecord) { .epoch = k + 1, .train_loss = 1.0 / (k + 1),
                                   .test_error = 0.3 - 0.05 * k - 0.01 * m + 0.002 * r * r,
                                   .digit_error = 0.1 * m, .chunk_sd = 0.01,
                                   .seconds = k + 1.5, .train_seconds = k + 1,
                                   .eval_seconds = 0.25 };
        e[1].chunk_sd = NAN;
        res.final = e[2];
        g_assert_cmpint (pb_session_set_round (s, &res, NULL), ==, PB_OK);
      }
}

static void
test_summary (void)
{
  PbSession s;
  PbSessionSummary sum;
  PbPairedTests tests[4];
  int n;

  make_session (&s, 3);
  g_assert_cmpint (pb_session_rounds_done (&s, 0), ==, 3);
  g_assert_cmpint (pb_session_total_done (&s), ==, 6);
  g_assert_false (pb_session_round_done (&s, 1, 3));
  g_assert_cmpint (pb_session_common_rounds (&s, NULL), ==, 3);
  pb_session_summary (&s, 1, &sum);
  g_assert_cmpstr (sum.model, ==, "siamese-aux");
  g_assert_cmpint (sum.rounds_done, ==, 3);
  g_assert_cmpfloat_with_epsilon (sum.test_mean, (0.19 + 0.192 + 0.198) / 3, 1e-12);
  g_assert_cmpfloat_with_epsilon (sum.seconds, 3, 1e-12);
  g_assert_cmpint (pb_session_paired_tests (&s, tests, &n, NULL), ==, PB_OK);
  g_assert_cmpint (n, ==, 3);
  g_assert_cmpfloat_with_epsilon (tests[0 * 2 + 1].mean_diff, 0.01, 1e-9);
  pb_session_clear (&s);

  make_session (&s, 1);
  g_assert_cmpint (pb_session_paired_tests (&s, tests, &n, NULL), ==, PB_ERR_INVALID);
  pb_session_summary (&s, 0, &sum);
  g_assert_cmpfloat (sum.test_std, ==, 0);
  pb_session_clear (&s);
}

/* A label names a model where its architecture would not (a preset); the summary, the table
 * row and the plots use it, and the file does not keep it. */
static void
test_label_and_table_row (void)
{
  PbSession s;
  PbSessionSummary sum;
  PbTableRow row;
  PbError err = { { 0 } };
  char long_label[PB_SESSION_LABEL_MAX + 1];
  PbStr json;

  make_session (&s, 3);
  g_assert_cmpstr (pb_session_model_name (&s, 1), ==, "siamese-aux");
  g_assert_cmpint (pb_session_set_label (&s, 1, "best", &err), ==, PB_OK);
  g_assert_cmpstr (pb_session_model_name (&s, 0), ==, "stacked");
  g_assert_cmpstr (pb_session_model_name (&s, 1), ==, "best");
  pb_session_summary (&s, 1, &sum);
  g_assert_cmpstr (sum.model, ==, "best");
  g_assert_cmpfloat_with_epsilon (sum.chunk_mean, 0.01, 1e-12);
  pb_session_table_row (&s, 1, &row);
  g_assert_cmpstr (row.model, ==, "best");
  g_assert_cmpuint (row.params, ==, sum.params);
  g_assert_cmpfloat (row.test_mean, ==, sum.test_mean);
  g_assert_cmpfloat (row.test_std, ==, sum.test_std);
  g_assert_cmpfloat (row.digit_mean, ==, sum.digit_mean);
  g_assert_cmpfloat (row.digit_std, ==, sum.digit_std);
  g_assert_cmpfloat (row.seconds, ==, sum.seconds);
  g_assert_cmpint (row.rounds, ==, 3);

  memset (long_label, 'x', sizeof long_label - 1);
  long_label[sizeof long_label - 1] = '\0';
  g_assert_cmpint (pb_session_set_label (&s, 0, long_label, &err), ==, PB_ERR_INVALID);
  g_assert_nonnull (strstr (err.message, "at most 31 bytes, got 32"));
  g_assert_cmpstr (pb_session_model_name (&s, 0), ==, "stacked");

  pb_str_init (&json);
  pb_session_to_json (&s, &json);
  g_assert_null (strstr (json.data, "\"best\""));
  pb_str_clear (&json);
  pb_session_clear (&s);
}

static void
test_round_trip (void)
{
  PbSession s, t;
  PbStr a, b;
  PbError err = { { 0 } };

  make_session (&s, 2);
  s.partial = true;
  pb_str_init (&a);
  pb_session_to_json (&s, &a);
  g_assert_false (a.failed);
  if (pb_session_from_json (a.data, a.len, "mem", &t, &err) != PB_OK)
    g_error ("%s", err.message);
  g_assert_true (t.partial);
  g_assert_cmpint (t.n_models, ==, 2);
  g_assert_cmpint (t.rounds, ==, 4);
  g_assert_cmpint (t.base.epochs, ==, 3);
  g_assert_cmpuint (t.base.seed, ==, 7);
  g_assert_cmpint (pb_session_total_done (&t), ==, 4);
  g_assert_true (isnan (pb_session_round (&t, 1, 1)->epochs[1].chunk_sd));
  g_assert_cmpfloat (pb_session_round (&t, 1, 1)->final.test_error, ==,
                     pb_session_round (&s, 1, 1)->final.test_error);
  pb_str_init (&b);
  pb_session_to_json (&t, &b);
  g_assert_cmpstr (a.data, ==, b.data);
  pb_str_clear (&a);
  pb_str_clear (&b);
  pb_session_clear (&s);
  pb_session_clear (&t);
}

static void
test_file (void)
{
  g_autofree char *dir = g_dir_make_tmp ("test-session-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "c.json", NULL);
  g_autofree char *missing = g_build_filename (dir, "missing.json", NULL);
  PbSession s, t;
  PbError err = { { 0 } };

  make_session (&s, 4);
  g_assert_cmpint (pb_session_save (&s, path, &err), ==, PB_OK);
  g_assert_cmpint (pb_session_load (path, &t, &err), ==, PB_OK);
  g_assert_cmpint (pb_session_total_done (&t), ==, 8);
  g_assert_false (t.partial);
  pb_session_clear (&t);
  g_assert_cmpint (pb_session_load (missing, &t, &err), ==, PB_ERR_IO);
  g_assert_nonnull (strstr (err.message, "missing.json"));
  pb_session_clear (&s);
  g_unlink (path);
  g_rmdir (dir);
}

static void
expect_error (const char *text, const char *needle)
{
  PbSession s;
  PbError err = { { 0 } };

  g_assert_cmpint (pb_session_from_json (text, strlen (text), "x.json", &s, &err), ==,
                   PB_ERR_FORMAT);
  if (strstr (err.message, needle) == NULL || strncmp (err.message, "x.json", 6) != 0
      || strchr (err.message, '\n') != NULL)
    g_error ("expected a one-line message with \"%s\", got \"%s\"", needle, err.message);
}

#define SETTINGS "\"settings\":{\"epochs\":3,\"batch\":100,\"lr\":0.001,\"beta1\":0.9," \
  "\"beta2\":0.999,\"adam_eps\":1e-8,\"train_pairs\":1000,\"test_pairs\":1000," \
  "\"augment_deg\":10,\"seed\":1}"
#define MODELS "\"models\":[{\"name\":\"stacked\",\"aux_weight\":1,\"dropout\":0}]"
#define HEAD "{\"format\":\"pairbench-comparison\",\"version\":1,\"partial\":false,\"rounds\":2,"

static void
test_errors (void)
{
  expect_error ("[1", "expected");
  expect_error ("{\"format\":\"other\"}", "\"format\": expected \"pairbench-comparison\", "
                "found \"other\"");
  expect_error ("{\"format\":\"pairbench-comparison\",\"version\":2}", "\"version\": expected "
                "an integer 1–1");
  expect_error (HEAD MODELS ",\"results\":[]}", "\"settings\": expected an object, found nothing");
  expect_error (HEAD SETTINGS ",\"models\":[{\"name\":\"nope\"}],\"results\":[]}", "models[0]");
  expect_error (HEAD SETTINGS "," MODELS ",\"results\":[{\"model\":\"siamese\"}]}",
                "results[0] \"model\": expected one of the \"models\", found \"siamese\"");
  expect_error (HEAD SETTINGS "," MODELS ",\"results\":[{\"model\":\"stacked\",\"round\":3}]}",
                "results[0] \"round\": expected an integer 1–2, found 3");
  expect_error (HEAD SETTINGS "," MODELS ",\"results\":[{\"model\":\"stacked\",\"round\":1,"
                "\"seed\":1,\"params\":5,\"epochs\":[{\"epoch\":1,\"train_loss\":\"a\"}]}]}",
                "results[0] epochs[0] \"train_loss\": expected a number, found a string");
  expect_error (HEAD SETTINGS ",\"models\":[{\"name\":\"stacked\",\"aux_weight\":1,"
                "\"dropout\":0,\"kernel\":9}],\"results\":[]}",
                "models[0] \"kernel\": expected an integer 1–7, found 9");
  expect_error (HEAD SETTINGS ",\"models\":[{\"name\":\"stacked\",\"aux_weight\":1,"
                "\"dropout\":0,\"channels\":[16,64]}],\"results\":[]}",
                "models[0] \"channels\": expected 3 integers, found 2");
  expect_error (HEAD SETTINGS ",\"models\":[{\"name\":\"stacked\",\"aux_weight\":1,"
                "\"dropout\":0,\"padding\":[0,1,\"x\"]}],\"results\":[]}",
                "models[0] \"padding\"[2]: expected an integer 0–7, found a string");
  expect_error (HEAD SETTINGS ",\"models\":[{\"name\":\"stacked\",\"aux_weight\":1,"
                "\"dropout\":0,\"kernel\":2,\"padding\":[3,1,1]}],\"results\":[]}",
                "models[0]: conv1 padding: expected 0–2, got 3");
}

/* Every architecture setting of every model, and the later training settings, survive a save
 * and a load; a file without them gets the report's trunk. */
static void
test_arch_round_trip (void)
{
  PbTrainSettings base;
  PbArch models[2];
  PbSession s, t;
  PbStr a;
  PbError err = { { 0 } };
  const char *old = HEAD SETTINGS "," MODELS ",\"results\":[]}";

  g_assert_cmpint (pb_train_settings_preset (&base, "best", NULL), ==, PB_OK);
  base.weight_decay = 0.01f;
  g_assert_cmpint (pb_arch_from_name ("twin-aux", &models[0], NULL), ==, PB_OK);
  g_assert_cmpint (pb_arch_from_name ("stacked", &models[1], NULL), ==, PB_OK);
  for (int m = 0; m < 2; m++)
    {
      models[m].kernel = 3 + 2 * m;
      models[m].channels[0] = 8 + m;
      models[m].channels[1] = 24;
      models[m].channels[2] = 40 - m;
      models[m].padding[0] = 1 + m;
      models[m].padding[1] = 1;
      models[m].padding[2] = 1 + m;
      models[m].hidden = 48 + m;
      models[m].dropout = 0.25f;
      models[m].hidden_act = PB_HIDDEN_RELU;
      models[m].batch_norm = m == 0;
      models[m].rule = m == 0 ? PB_RULE_POSTERIOR : PB_RULE_BOTH;
      g_assert_cmpint (pb_arch_validate (&models[m], NULL), ==, PB_OK);
    }
  g_assert_cmpint (pb_session_init (&s, &base, models, 2, 1, NULL), ==, PB_OK);
  pb_str_init (&a);
  pb_session_to_json (&s, &a);
  if (pb_session_from_json (a.data, a.len, "mem", &t, &err) != PB_OK)
    g_error ("%s", err.message);
  for (int m = 0; m < 2; m++)
    {
      const PbArch *x = &s.models[m], *y = &t.models[m];
      g_assert_cmpint (y->kind, ==, x->kind);
      g_assert_cmpint (y->aux, ==, x->aux);
      g_assert_cmpint (y->kernel, ==, x->kernel);
      for (int l = 0; l < PB_N_CONV; l++)
        {
          g_assert_cmpint (y->channels[l], ==, x->channels[l]);
          g_assert_cmpint (y->padding[l], ==, x->padding[l]);
        }
      g_assert_cmpint (y->hidden, ==, x->hidden);
      g_assert_cmpfloat (y->dropout, ==, x->dropout);
      g_assert_cmpint (y->hidden_act, ==, x->hidden_act);
      g_assert_cmpint (y->batch_norm, ==, x->batch_norm);
      g_assert_cmpint (y->rule, ==, x->rule);
      g_assert_cmpuint (pb_arch_param_count (y), ==, pb_arch_param_count (x));
    }
  g_assert_cmpint (t.base.schedule, ==, PB_SCHEDULE_COSINE);
  g_assert_cmpfloat (t.base.weight_decay, ==, 0.01f);
  g_assert_cmpint (t.base.translate, ==, base.translate);
  g_assert_cmpint (t.base.swap, ==, base.swap);
  g_assert_cmpint (t.base.repair, ==, base.repair);
  pb_str_clear (&a);
  pb_session_clear (&s);
  pb_session_clear (&t);

  if (pb_session_from_json (old, strlen (old), "old.json", &t, &err) != PB_OK)
    g_error ("%s", err.message);
  g_assert_cmpint (t.models[0].kernel, ==, 2);
  g_assert_cmpint (t.models[0].channels[2], ==, 128);
  g_assert_cmpint (t.models[0].padding[0], ==, 0);
  g_assert_cmpint (t.models[0].hidden, ==, 64);
  pb_session_clear (&t);
}

static void
test_table (void)
{
  PbTableRow rows[] = {
    { "stacked", 71790, 0.2, 0.01, 0.9, 0.02, 3.5, 2 },
    { "a_b", 10, 0.1, 0.02, 0.05, 0.01, 1.25, 2 },
  };
  PbTableFormat f;
  PbStr out;

  g_assert_true (pb_table_format_from_path ("x/t.tex", &f));
  g_assert_cmpint (f, ==, PB_TABLE_LATEX);
  g_assert_false (pb_table_format_from_path ("t.txt", &f));
  pb_str_init (&out);
  pb_table_format_rows (&out, rows, 2, PB_TABLE_LATEX);
  g_assert_nonnull (strstr (out.data, "\\toprule"));
  g_assert_nonnull (strstr (out.data, "a\\_b & 10 & $0.100 \\pm 0.020$"));
  pb_str_clear (&out);
  pb_str_init (&out);
  pb_table_format_rows (&out, rows, 2, PB_TABLE_CSV);
  g_assert_nonnull (strstr (out.data, "stacked,71790,0.2,0.01,0.9,0.02,3.5,2\n"));
  pb_str_clear (&out);

  /* Without the auxiliary loss the digit error is "—", with a note; in CSV its fields are empty. */
  rows[0].digit_untrained = true;
  pb_str_init (&out);
  pb_table_format_rows (&out, rows, 2, PB_TABLE_MARKDOWN);
  g_assert_nonnull (strstr (out.data, "| stacked | 71790 | 0.200 ± 0.010 | — | 3.50 | 2 |\n"));
  g_assert_nonnull (strstr (out.data, "| a_b | 10 | 0.100 ± 0.020 | 0.050 ± 0.010 | "));
  g_assert_nonnull (strstr (out.data, "\n—: no auxiliary loss"));
  pb_str_clear (&out);
  pb_str_init (&out);
  pb_table_format_rows (&out, rows, 2, PB_TABLE_LATEX);
  g_assert_nonnull (strstr (out.data, "stacked & 71790 & $0.200 \\pm 0.010$ & --- & 3.50 & 2"));
  g_assert_true (g_str_has_suffix (out.data, "\\end{tabular}\n% ---: no auxiliary loss, so the "
                                   "model's digit outputs are not trained and their error means "
                                   "nothing.\n"));
  pb_str_clear (&out);
  pb_str_init (&out);
  pb_table_format_rows (&out, rows, 2, PB_TABLE_CSV);
  g_assert_nonnull (strstr (out.data, "stacked,71790,0.2,0.01,,,3.5,2\n"));
  pb_str_clear (&out);
}

/* The tests' table: p to two significant digits, and why 2 rounds cannot be significant. */
static void
test_table_tests (void)
{
  const double values[] = { 0.20, 0.30, 0.10, 0.15 };  /* [2 models × 2 rounds] */
  const char *const names[] = { "siamese", "siamese-aux" };
  PbPairedTests m[4];
  PbError err = { { 0 } };
  PbStr out;

  g_assert_cmpint (pb_stats_paired_matrix (values, 2, 2, m, &err), ==, PB_OK);
  pb_str_init (&out);
  pb_table_format_tests (&out, names, 2, m, 2, PB_TABLE_MARKDOWN);
  g_assert_nonnull (strstr (out.data, "| A | B | Mean diff (A − B) | t-test p | Wilcoxon p |\n"));
  /* d = 0.10, 0.15: t = 5, df = 1, p = 0.1257; Wilcoxon 2/4. */
  g_assert_nonnull (strstr (out.data, "| siamese | siamese-aux | +0.1250 | 0.13 | "
                                      "0.50 (too few rounds: n = 2) |\n"));
  pb_str_clear (&out);
  pb_str_init (&out);
  pb_table_format_tests (&out, names, 2, m, 2, PB_TABLE_LATEX);
  g_assert_nonnull (strstr (out.data, "siamese & siamese-aux & $+0.1250$ & 0.13 & "
                                      "0.50 (too few rounds: n = 2) \\\\\n"));
  pb_str_clear (&out);
  pb_str_init (&out);
  pb_table_format_tests (&out, names, 2, m, 2, PB_TABLE_CSV);
  g_assert_cmpuint (out.len, ==, 0);
  pb_str_clear (&out);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/core/session/summary", test_summary);
  g_test_add_func ("/core/session/label-table-row", test_label_and_table_row);
  g_test_add_func ("/core/session/round-trip", test_round_trip);
  g_test_add_func ("/core/session/file", test_file);
  g_test_add_func ("/core/session/errors", test_errors);
  g_test_add_func ("/core/session/arch-round-trip", test_arch_round_trip);
  g_test_add_func ("/core/table/formats", test_table);
  g_test_add_func ("/core/table/tests", test_table_tests);
  return g_test_run ();
}
