/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pairbench-cli sweep, end to end on the shipped MNIST: a small real sweep whole and as two
 * shards merged (the same but for the seconds), a halving sweep rung by rung over shards, the
 * best settings' command reproducing the reported test error, --save-preset read back by train
 * --preset, and bad configs refused with exit 2 naming the key. */

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "pb-core.h"

static char *tmpdir;

typedef struct
{
  int status;
  char *out, *err;
} Result;

static void
result_clear (Result *r)
{
  g_free (r->out);
  g_free (r->err);
}

/* Runs pairbench-cli with args (NULL-terminated); env: extra "NAME=VALUE" or NULL. */
static Result
run_env (const char *env, const char *first, ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) envp = g_get_environ ();
  Result r = { 0 };
  int wait_status;
  va_list ap;

  g_ptr_array_add (argv, (gpointer) g_getenv ("PAIRBENCH_CLI"));
  va_start (ap, first);
  for (const char *a = first; a != NULL; a = va_arg (ap, const char *))
    g_ptr_array_add (argv, (gpointer) a);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  if (env != NULL)
    {
      g_auto (GStrv) kv = g_strsplit (env, "=", 2);
      envp = g_environ_setenv (envp, kv[0], kv[1], TRUE);
    }
  g_spawn_sync (tmpdir, (char **) argv->pdata, envp, G_SPAWN_DEFAULT, NULL, NULL, &r.out, &r.err,
                &wait_status, &error);
  g_assert_no_error (error);
  r.status = WIFEXITED (wait_status) ? WEXITSTATUS (wait_status) : -1;
  return r;
}

#define run(...) run_env (NULL, __VA_ARGS__, NULL)

static char *
path_in (const char *name)
{
  return g_build_filename (tmpdir, name, NULL);
}

static char *
write_config (const char *name, const char *json)
{
  char *path = path_in (name);
  g_assert_true (g_file_set_contents (path, json, -1, NULL));
  return path;
}

static char *
read_text (const char *path)
{
  char *text = NULL;
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  return text;
}

static void
save (const char *name, const char *text)
{
  g_autofree char *path = path_in (name);
  g_assert_true (g_file_set_contents (path, text, -1, NULL));
}

/* The JSON with every "…seconds…": value removed. */
static char *
without_seconds (const char *json)
{
  g_autoptr (GRegex) re = g_regex_new ("\"[a-z_]*seconds[a-z_]*\":[^,}\\]]*", 0, 0, NULL);
  return g_regex_replace (re, json, -1, 0, "", 0, NULL);
}

static PbJson *
parse (const char *text)
{
  PbJson *root = NULL;
  PbError err = { { 0 } };
  if (pb_json_parse (text, strlen (text), "output", &root, &err) != PB_OK)
    g_error ("%s", err.message);
  return root;
}

#define SMALL "--epochs", "1", "--pairs", "200", "--test-pairs", "200", "--batch", "50", \
              "--jobs", "2"

static const char random_config[] =
  "{\"method\":\"random\",\"metric\":{\"name\":\"val_error\",\"goal\":\"minimize\"},"
  "\"trials\":4,\"rounds\":2,\"seed\":0,\"val-pairs\":50,\"parameters\":{"
  "\"lr\":{\"distribution\":\"log_uniform_values\",\"min\":0.0005,\"max\":0.005},"
  "\"hidden\":{\"values\":[16,32,64]}}}";

static void
test_whole_and_shards (void)
{
  g_autofree char *config = write_config ("random.json", random_config);
  g_autofree char *trials = path_in ("trials.jsonl");
  Result whole = run ("sweep", "--config", config, SMALL, "--json", "--out", trials);
  g_assert_cmpint (whole.status, ==, 0);
  g_assert_nonnull (strstr (whole.err, "[8/8] trial"));

  /* The summary's members, in the agreed order. */
  PbJson *root = parse (whole.out);
  g_assert_cmpint (root->n, ==, 8);
  const char *keys[] = { "format", "version", "config", "base", "trials", "results",
                         "importance", "best" };
  for (int i = 0; i < 8; i++)
    g_assert_cmpstr (root->keys[i], ==, keys[i]);
  g_assert_cmpstr (pb_json_get_string (root, "format"), ==, "pairbench-sweep");
  const PbJson *ranked = pb_json_get (root, "trials"), *results = pb_json_get (root, "results");
  g_assert_cmpint (ranked->n, ==, 4);
  g_assert_cmpint (results->n, ==, 8);
  for (int i = 1; i < 4; i++)
    g_assert_cmpfloat (pb_json_get_number (&ranked->items[i - 1], "val_error_mean", 0), <=,
                       pb_json_get_number (&ranked->items[i], "val_error_mean", 0));
  /* No test error while choosing. */
  {
    g_auto (GStrv) progress = g_strsplit (whole.err, "\n", -1);
    int units = 0;
    for (int i = 0; progress[i] != NULL; i++)
      if (g_str_has_prefix (progress[i], "[") && strstr (progress[i], "] trial ") != NULL)
        {
          g_assert_null (strstr (progress[i], "test"));
          units++;
        }
    g_assert_cmpint (units, ==, 8);
    /* The test runs come after the choice: after every unit's line. */
    g_assert_true (strstr (whole.err, "[test 1/2]") > strstr (whole.err, "[8/8]"));
  }
  for (int i = 0; i < 8; i++)
    g_assert_null (pb_json_get (&results->items[i], "test_error"));
  const PbJson *best = pb_json_get (root, "best");
  g_assert_cmpfloat (pb_json_get_number (best, "trial", 0), ==,
                     pb_json_get_number (&ranked->items[0], "trial", -1));
  const PbJson *test = pb_json_get (best, "test");
  g_assert_nonnull (strstr (pb_json_get_string (test, "label"), "trained after the choice on "
                            "all 200 training pairs"));
  g_assert_cmpint (pb_json_get (test, "test_errors")->n, ==, 2);
  g_assert_cmpint (pb_json_get (root, "importance")->n, ==, 2);

  /* The command reproduces the first seed's test error. */
  const char *command = pb_json_get_string (best, "command");
  g_assert_true (g_str_has_prefix (command, "pairbench-cli train --model siamese-aux "));
  g_assert_nonnull (strstr (command, "--seed 0"));
  g_assert_null (strstr (command, "--val-pairs"));
  g_auto (GStrv) words = NULL;
  g_assert_true (g_shell_parse_argv (command, NULL, &words, NULL));
  g_autoptr (GPtrArray) args = g_ptr_array_new ();
  g_ptr_array_add (args, (gpointer) g_getenv ("PAIRBENCH_CLI"));
  for (int i = 1; words[i] != NULL; i++)
    g_ptr_array_add (args, words[i]);
  g_ptr_array_add (args, "--json");
  g_ptr_array_add (args, NULL);
  Result train = { 0 };
  int ws;
  g_spawn_sync (tmpdir, (char **) args->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, &train.out,
                &train.err, &ws, NULL);
  PbJson *tr = parse (train.out);
  g_assert_cmpfloat (pb_json_get_number (tr, "test_error", -1), ==,
                     pb_json_get (test, "test_errors")->items[0].number);
  pb_json_free (tr);
  result_clear (&train);

  /* TRIALS.jsonl: the results, one per line. */
  g_autofree char *lines = read_text (trials);
  g_auto (GStrv) split = g_strsplit (lines, "\n", -1);
  g_assert_cmpint (g_strv_length (split), ==, 9);
  g_assert_true (g_str_has_prefix (split[0], "{\"trial\":1,\"round\":1,\"rung\":0,\"seed\":0,"));

  /* Two shards, merged: the same JSON but for the seconds. */
  Result s1 = run ("sweep", "--config", config, SMALL, "--shard", "1/2", "--json");
  Result s2 = run ("sweep", "--config", config, SMALL, "--shard", "2/2", "--json");
  g_assert_cmpint (s1.status, ==, 0);
  g_assert_cmpint (s2.status, ==, 0);
  g_assert_true (g_str_has_prefix (s1.out, "{\"format\":\"pairbench-shard\",\"version\":1,"
                                   "\"kind\":\"sweep\","));
  g_assert_nonnull (strstr (s1.out, "\"units\":[1,3,5,7]"));
  save ("s1.json", s1.out);
  save ("s2.json", s2.out);
  Result merged = run ("merge", "s2.json", "s1.json", "--json");
  g_assert_cmpint (merged.status, ==, 0);
  g_autofree char *a = without_seconds (whole.out), *b = without_seconds (merged.out);
  g_assert_cmpstr (a, ==, b);
  g_assert_cmpstr (whole.out, !=, merged.out);  /* the seconds are measured */

  /* A shard alone, or edited, is refused, naming the file. */
  Result one = run ("merge", "s1.json", "--json");
  g_assert_cmpint (one.status, ==, 1);
  g_assert_nonnull (strstr (one.err, "shard 2"));
  g_assert_cmpstr (one.out, ==, "");
  g_autoptr (GString) edited = g_string_new (s2.out);
  g_string_replace (edited, "\"hidden\":{\"values\":[16,32,64]}",
                    "\"hidden\":{\"values\":[16,32,65]}", 1);
  save ("s2-edited.json", edited->str);
  Result bad = run ("merge", "s1.json", "s2-edited.json", "--json");
  g_assert_cmpint (bad.status, ==, 1);
  g_assert_nonnull (strstr (bad.err, "s2-edited.json: expected the config"));

  pb_json_free (root);
  result_clear (&whole);
  result_clear (&s1);
  result_clear (&s2);
  result_clear (&merged);
  result_clear (&one);
  result_clear (&bad);
}

/* Halving: the whole sweep, and rung by rung over two shards with merge --next-rung and
 * sweep --resume, give the same summary. */
static void
test_halving_rungs (void)
{
  g_autofree char *config = write_config ("halving.json",
    "{\"method\":\"halving\",\"trials\":5,\"rounds\":1,\"seed\":3,\"val-pairs\":50,\"eta\":2,"
    "\"parameters\":{\"lr\":{\"distribution\":\"uniform\",\"min\":0.0005,\"max\":0.005},"
    "\"kernel\":{\"values\":[2,3]}}}");
#define HALVING "--epochs", "4", "--pairs", "200", "--test-pairs", "100", "--batch", "50", \
                "--jobs", "2"
  Result whole = run ("sweep", "--config", config, HALVING, "--json");
  g_assert_cmpint (whole.status, ==, 0);
  /* rungs of 1, 2 and 4 epochs for 5, 3 and 2 trials */
  g_assert_nonnull (strstr (whole.err, "[5/5] trial"));
  g_assert_nonnull (strstr (whole.err, "[3/3] trial"));
  g_assert_nonnull (strstr (whole.err, "[2/2] trial"));
  g_assert_nonnull (strstr (whole.err, "rung 2, 4 epochs"));

  char next[32] = "";
  for (int rung = 0; rung < 3; rung++)
    {
      for (int k = 1; k <= 2; k++)
        {
          char shard[8], name[32];
          g_snprintf (shard, sizeof shard, "%d/2", k);
          g_snprintf (name, sizeof name, "h%d-%d.json", rung, k);
          Result s = rung == 0 ? run ("sweep", "--config", config, HALVING, "--shard", shard,
                                      "--json")
                               : run ("sweep", "--config", config, HALVING, "--shard", shard,
                                      "--json", "--resume", next);
          g_assert_cmpint (s.status, ==, 0);
          save (name, s.out);
          result_clear (&s);
        }
      char a[32], b[32];
      g_snprintf (a, sizeof a, "h%d-1.json", rung);
      g_snprintf (b, sizeof b, "h%d-2.json", rung);
      if (rung < 2)
        {
          /* Not the last rung: the summary is refused, the next rung written. */
          Result early = run ("merge", a, b, "--json");
          g_assert_cmpint (early.status, ==, 1);
          g_assert_nonnull (strstr (early.err, "--next-rung"));
          g_snprintf (next, sizeof next, "next%d.json", rung + 1);
          Result m = run ("merge", a, b, "--next-rung", "--out", next);
          g_assert_cmpint (m.status, ==, 0);
          result_clear (&early);
          result_clear (&m);
          continue;
        }
      Result last = run ("merge", a, b, "--next-rung", "--out", "next3.json");
      g_assert_cmpint (last.status, ==, 1);
      g_assert_nonnull (strstr (last.err, "is the sweep's last"));
      Result m = run ("merge", a, b, "--json");
      g_assert_cmpint (m.status, ==, 0);
      g_autofree char *x = without_seconds (whole.out), *y = without_seconds (m.out);
      g_assert_cmpstr (x, ==, y);
      result_clear (&last);
      result_clear (&m);
    }
  /* Shards of two rungs do not merge. */
  Result mixed = run ("merge", "h0-1.json", "h1-2.json", "--json");
  g_assert_cmpint (mixed.status, ==, 1);
  g_assert_nonnull (strstr (mixed.err, "h1-2.json"));
  /* A next rung of another config is refused. */
  Result wrong = run ("sweep", "--config", config, HALVING, "--resume", "next1.json",
                      "--epochs", "8");
  g_assert_cmpint (wrong.status, ==, 2);
  g_assert_nonnull (strstr (wrong.err, "next1.json: expected the next rung of these run "
                            "options"));
  result_clear (&whole);
  result_clear (&mixed);
  result_clear (&wrong);
}

static void
test_save_preset (void)
{
  g_autofree char *config = write_config ("grid.json",
    "{\"method\":\"grid\",\"val-pairs\":50,\"parameters\":{\"hidden\":{\"values\":[24,40]},"
    "\"rule\":{\"value\":\"posterior\"}}}");
  g_autofree char *data = path_in ("xdg");
  g_autofree char *env = g_strdup_printf ("XDG_DATA_HOME=%s", data);
  Result r = run_env (env, "sweep", "--config", config, SMALL, "--save-preset", "found-1", NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "best: trial "));
  g_assert_nonnull (strstr (r.out, "test error of the best settings, trained after the choice"));
  g_assert_nonnull (strstr (r.err, "saved the best settings as the preset 'found-1'"));
  const char *hidden = strstr (r.out, "best: trial 1") != NULL ? "24" : "40";

  Result dry = run_env (env, "train", "--preset", "found-1", "--dry-run", "--json", NULL);
  g_assert_cmpint (dry.status, ==, 0);
  PbJson *root = parse (dry.out);
  const PbJson *settings = pb_json_get (root, "settings");
  g_assert_cmpfloat (pb_json_get_number (settings, "hidden", 0), ==, g_ascii_strtod (hidden,
                                                                                     NULL));
  g_assert_cmpstr (pb_json_get_string (settings, "rule"), ==, "posterior");
  g_assert_cmpfloat (pb_json_get_number (settings, "epochs", 0), ==, 1);
  g_assert_cmpfloat (pb_json_get_number (settings, "val_pairs", -1), ==, 0);
  pb_json_free (root);
  result_clear (&r);
  result_clear (&dry);
}

static void
test_usage_errors (void)
{
  static const struct
  {
    const char *json, *message;
  } bad[] = {
    { "{\"method\":\"random\",\"trials\":2,\"val-pairs\":50,\"parameters\":{\"lr\":"
      "{\"distribution\":\"gauss\",\"min\":0,\"max\":1}}}",
      "parameters.lr.distribution: expected values, value, uniform" },
    { "{\"method\":\"random\",\"trials\":2,\"val-pairs\":50,\"colour\":1,\"parameters\":{}}",
      "colour: unknown key" },
    { "{\"method\":\"random\",\"trials\":2,\"val-pairs\":50,\"parameters\":{\"kernel\":"
      "{\"values\":[3,9]}}}", "parameters.kernel.values[1]: expected an integer 1–7, got '9'" },
    { "{\"method\":\"random\",\"trials\":2,\"parameters\":{\"kernel\":{\"values\":[3]}}}",
      "val-pairs: expected the number of validation pairs" },
    /* 200 training pairs: 300 validation pairs are more than there are. */
    { "{\"method\":\"random\",\"trials\":2,\"val-pairs\":300,\"parameters\":{\"kernel\":"
      "{\"values\":[3]}}}", "trial 1 (kernel 3): --val-pairs: expected 0–199" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *config = write_config ("bad.json", bad[i].json);
      Result r = run ("sweep", "--config", config, SMALL);
      g_test_message ("%s → %d %s", bad[i].json, r.status, r.err);
      g_assert_cmpint (r.status, ==, 2);
      g_assert_nonnull (strstr (r.err, bad[i].message));
      g_assert_nonnull (strstr (r.err, config));
      g_assert_cmpstr (r.out, ==, "");
      result_clear (&r);
    }
  g_autofree char *good = write_config ("good.json", random_config);
  Result seed = run ("sweep", "--config", good, "--seed", "3");
  g_assert_cmpint (seed.status, ==, 2);
  g_assert_nonnull (strstr (seed.err, "--seed: a sweep's seeds are its config's"));
  Result none = run ("sweep", "--epochs", "3");
  g_assert_cmpint (none.status, ==, 2);
  g_assert_nonnull (strstr (none.err, "--config is required"));
  Result shard = run ("sweep", "--config", good, "--shard", "3/2");
  g_assert_cmpint (shard.status, ==, 2);
  g_assert_nonnull (strstr (shard.err, "--shard: expected K/N"));
  g_autofree char *notjson = write_config ("notjson.json", "method: random");
  Result nj = run ("sweep", "--config", notjson);
  g_assert_cmpint (nj.status, ==, 1);
  g_assert_nonnull (strstr (nj.err, notjson));
  result_clear (&seed);
  result_clear (&none);
  result_clear (&shard);
  result_clear (&nj);
}

static void
remove_tree (const char *path)
{
  GDir *d = g_dir_open (path, 0, NULL);
  const char *name;
  if (d != NULL)
    {
      while ((name = g_dir_read_name (d)) != NULL)
        {
          char *child = g_build_filename (path, name, NULL);
          remove_tree (child);
          g_free (child);
        }
      g_dir_close (d);
    }
  g_remove (path);
}

int
main (int argc, char **argv)
{
  int rc;

  g_test_init (&argc, &argv, NULL);
  tmpdir = g_dir_make_tmp ("pb-sweep-cli-XXXXXX", NULL);
  g_assert_nonnull (tmpdir);
  g_test_add_func ("/cli/sweep/whole-and-shards", test_whole_and_shards);
  g_test_add_func ("/cli/sweep/halving-rungs", test_halving_rungs);
  g_test_add_func ("/cli/sweep/save-preset", test_save_preset);
  g_test_add_func ("/cli/sweep/usage-errors", test_usage_errors);
  rc = g_test_run ();
  remove_tree (tmpdir);
  g_free (tmpdir);
  return rc;
}
