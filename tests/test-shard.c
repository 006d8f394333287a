/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Shards: K/N parsing, which units a shard owns, the hash, and the header that merge checks
 * (a file that is no shard, and a set of files that is not one whole command). */

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/wait.h>

#include "pb-shard.h"

static char *tmp_dir;

static void
test_parse (void)
{
  static const char *const bad[] = { "", "1", "0/2", "3/2", "1/0", "a/b", "1/2/3", "-1/2",
                                     "+1/2", "1/100001", " 1/2", "1/2 ", "1//2", "/2" };
  PbShard s;
  PbError err;

  g_assert_cmpint (pb_shard_parse ("1/1", &s, &err), ==, PB_OK);
  g_assert_cmpint (s.k, ==, 1);
  g_assert_cmpint (s.n, ==, 1);
  g_assert_cmpint (pb_shard_parse ("7/100000", &s, &err), ==, PB_OK);
  g_assert_cmpint (s.k, ==, 7);
  g_assert_cmpint (s.n, ==, 100000);
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *want = g_strdup_printf ("--shard: expected K/N with 1 ≤ K ≤ N ≤ 100000, "
                                               "got '%s'", bad[i]);
      g_assert_cmpint (pb_shard_parse (bad[i], &s, &err), ==, PB_ERR_INVALID);
      g_assert_cmpstr (err.message, ==, want);
    }
  g_assert_cmpint (pb_shard_parse (NULL, &s, &err), ==, PB_ERR_INVALID);
}

static void
test_owns (void)
{
  PbShard a = { 1, 3 }, b = { 3, 3 }, one = { 1, 1 };

  g_assert_false (pb_shard_owns (&a, 0));
  g_assert_true (pb_shard_owns (&a, 1));
  g_assert_false (pb_shard_owns (&a, 2));
  g_assert_true (pb_shard_owns (&a, 4));
  g_assert_true (pb_shard_owns (&b, 3));
  g_assert_true (pb_shard_owns (&b, 6));
  g_assert_false (pb_shard_owns (&b, 7));
  for (long u = 1; u < 50; u++)
    {
      int owners = 0;
      g_assert_true (pb_shard_owns (&one, u));
      for (int k = 1; k <= 4; k++)
        owners += pb_shard_owns (&(PbShard) { k, 4 }, u);
      g_assert_cmpint (owners, ==, 1);
    }
}

static void
test_hash (void)
{
  /* FNV-1a's published 64-bit test vectors. */
  g_assert_cmphex (pb_hash64 ("", 0), ==, 0xcbf29ce484222325ull);
  g_assert_cmphex (pb_hash64 ("a", 1), ==, 0xaf63dc4c8601ec8cull);
  g_assert_cmphex (pb_hash64 ("foobar", 6), ==, 0x85944171f73967e8ull);
}

/* Writes a shard file of the given header with an extra member, and returns its path. */
static char *
write_shard (const char *name, const char *kind, const char *build, uint64_t hash, int k, int n,
             long total)
{
  PbShard s = { k, n };
  long units[64];
  int n_units = 0;
  PbStr out;
  char *path = g_build_filename (tmp_dir, name, NULL);

  for (long u = 1; u <= total; u++)
    if (pb_shard_owns (&s, u))
      units[n_units++] = u;
  pb_str_init (&out);
  pb_str_append (&out, "{");
  pb_shard_header_append (&out, kind, build, hash, &s, units, n_units);
  pb_str_append (&out, ",\"results\":[]}\n");
  g_assert_true (g_file_set_contents (path, out.data, (gssize) out.len, NULL));
  pb_str_clear (&out);
  return path;
}

static void
test_header_round_trip (void)
{
  g_autofree char *path = write_shard ("a.json", "study", "0.1.0 abc123", 0x0123456789abcdefull,
                                       2, 3, 8);
  g_autofree char *text = NULL;
  PbShardFile f;
  PbError err;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  g_assert_cmpstr (text, ==, "{\"format\":\"pairbench-shard\",\"version\":1,\"kind\":\"study\","
                   "\"build\":\"0.1.0 abc123\",\"hash\":\"0123456789abcdef\",\"shard\":2,"
                   "\"shards\":3,\"units\":[2,5,8],\"results\":[]}\n");
  g_assert_cmpint (pb_shard_file_load (path, &f, &err), ==, PB_OK);
  g_assert_cmpstr (f.kind, ==, "study");
  g_assert_cmpstr (f.build, ==, "0.1.0 abc123");
  g_assert_cmphex (f.hash, ==, 0x0123456789abcdefull);
  g_assert_cmpint (f.shard.k, ==, 2);
  g_assert_cmpint (f.shard.n, ==, 3);
  g_assert_cmpint (f.n_units, ==, 3);
  g_assert_cmpint (f.units[2], ==, 8);
  g_assert_nonnull (pb_json_get (f.root, "results"));
  g_assert_true (f.path == path);
  pb_shard_file_clear (&f);
}

static void
test_not_a_shard (void)
{
  static const struct { const char *text, *message; } cases[] = {
    { "not json", "expected a pairbench shard (JSON), found byte 0" },
    { "[1]", "expected a pairbench shard (a JSON object), found an array" },
    { "{\"format\":\"pairbench-comparison\"}",
      "expected a pairbench shard (\"format\": \"pairbench-shard\"), found \"format\": "
      "\"pairbench-comparison\"" },
    { "{\"format\":\"pairbench-shard\",\"version\":2}",
      "expected a pairbench shard (\"version\": 1), found another version" },
    { "{\"format\":\"pairbench-shard\",\"version\":1,\"kind\":\"train\"}",
      "expected a pairbench shard (\"kind\": \"study\" or \"sweep\"), found \"kind\": \"train\"" },
    { "{\"format\":\"pairbench-shard\",\"version\":1,\"kind\":\"study\",\"build\":\"x\","
      "\"hash\":\"0123\"}", "\"hash\": 16 hex digits" },
    { "{\"format\":\"pairbench-shard\",\"version\":1,\"kind\":\"study\",\"build\":\"x\","
      "\"hash\":\"0123456789abcdef\",\"shard\":3,\"shards\":2,\"units\":[]}",
      "with 1 ≤ K ≤ N ≤ 100000" },
    { "{\"format\":\"pairbench-shard\",\"version\":1,\"kind\":\"study\",\"build\":\"x\","
      "\"hash\":\"0123456789abcdef\",\"shard\":1,\"shards\":2,\"units\":[3,1]}",
      "\"units\"[1]: expected a unit number above the one before" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_build_filename (tmp_dir, "bad.json", NULL);
      PbShardFile f;
      PbError err;

      g_assert_true (g_file_set_contents (path, cases[i].text, -1, NULL));
      g_assert_cmpint (pb_shard_file_load (path, &f, &err), ==, PB_ERR_FORMAT);
      g_test_message ("%s", err.message);
      g_assert_true (g_str_has_prefix (err.message, path));
      g_assert_nonnull (strstr (err.message, cases[i].message));
      g_assert_null (f.root);
      g_assert_null (f.text);
    }
  {
    g_autofree char *path = g_build_filename (tmp_dir, "absent.json", NULL);
    PbShardFile f;
    PbError err;
    g_assert_cmpint (pb_shard_file_load (path, &f, &err), ==, PB_ERR_IO);
    g_assert_true (g_str_has_prefix (err.message, path));
  }
}

typedef struct
{
  const char *name, *kind, *build;
  uint64_t hash;
  int k, n;
  long total;  /* the units the file's shard owns of 1..total */
} Spec;

/* Loads the files of specs and checks them as a set of total units; returns the status and
 * the message. */
static PbStatus
check_set (const Spec *specs, int n, long total, char *message, size_t size)
{
  PbShardFile files[8];
  char *paths[8];
  PbError err = { { 0 } };
  PbStatus st;

  for (int i = 0; i < n; i++)
    {
      paths[i] = write_shard (specs[i].name, specs[i].kind, specs[i].build, specs[i].hash,
                              specs[i].k, specs[i].n, specs[i].total);
      g_assert_cmpint (pb_shard_file_load (paths[i], &files[i], &err), ==, PB_OK);
    }
  st = pb_shard_files_check (files, n, total, &err);
  g_strlcpy (message, st == PB_OK ? "" : err.message, size);
  for (int i = 0; i < n; i++)
    {
      pb_shard_file_clear (&files[i]);
      g_free (paths[i]);
    }
  return st;
}

static void
assert_refused (const Spec *specs, int n, long total, const char *prefix, const char *part)
{
  char message[512];

  g_assert_cmpint (check_set (specs, n, total, message, sizeof message), ==, PB_ERR_INVALID);
  g_test_message ("%s", message);
  if (prefix != NULL)
    {
      g_autofree char *path = g_build_filename (tmp_dir, prefix, NULL);
      g_assert_true (g_str_has_prefix (message, path));
    }
  g_assert_nonnull (strstr (message, part));
}

static void
test_files_check (void)
{
  char message[512];
  const Spec whole[] = {
    { "s2.json", "study", "b", 42, 2, 3, 7 },
    { "s1.json", "study", "b", 42, 1, 3, 7 },
    { "s3.json", "study", "b", 42, 3, 3, 7 },
  };
  /* More shards than units: the last has none, and the set is whole. */
  const Spec empty[] = {
    { "e1.json", "study", "b", 42, 1, 3, 2 },
    { "e2.json", "study", "b", 42, 2, 3, 2 },
    { "e3.json", "study", "b", 42, 3, 3, 2 },
  };
  const Spec one[] = { { "o.json", "sweep", "b", 1, 1, 1, 5 } };

  g_assert_cmpint (check_set (whole, 3, 7, message, sizeof message), ==, PB_OK);
  g_assert_cmpint (check_set (empty, 3, 2, message, sizeof message), ==, PB_OK);
  g_assert_cmpint (check_set (one, 1, 5, message, sizeof message), ==, PB_OK);

  assert_refused ((Spec[]) { whole[0], { "h.json", "study", "b", 43, 1, 3, 7 }, whole[2] }, 3, 7,
                  "h.json", "expected the settings of");
  assert_refused ((Spec[]) { whole[0], { "v.json", "study", "c", 42, 1, 3, 7 }, whole[2] }, 3, 7,
                  "v.json", "expected a shard of build 'b'");
  assert_refused ((Spec[]) { whole[0], { "k.json", "sweep", "b", 42, 1, 3, 7 }, whole[2] }, 3, 7,
                  "k.json", "expected a study shard");
  assert_refused ((Spec[]) { whole[0], { "n.json", "study", "b", 42, 1, 2, 7 }, whole[2] }, 3, 7,
                  "n.json", "expected one of 3 shards");
  assert_refused ((Spec[]) { whole[0], whole[2] }, 2, 7, NULL, "shard 1/3 is missing");
  assert_refused ((Spec[]) { whole[0], whole[1], whole[2],
                             { "d.json", "study", "b", 42, 2, 3, 7 } }, 4, 7,
                  "d.json", "found shard 2/3 again");
  /* The right shard numbers, but one file's units are those of another total. */
  assert_refused ((Spec[]) { whole[0], { "u.json", "study", "b", 42, 1, 3, 4 }, whole[2] }, 3, 7,
                  "u.json", "expected the 3 units of 7 that shard 1/3 owns");
  assert_refused (whole, 3, 10, "s2.json", "found units 2, 5");
}

/* The CLI: a study run whole and as shards, merged. */

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

/* Runs pairbench-cli with the study's settings first (if study), then args. */
static Result
run_cli (gboolean study, const char *first, ...)
{
  static const char *const settings[] = { "--models", "siamese,stacked-aux", "--rounds", "2",
                                          "--epochs", "1", "--pairs", "100", "--test-pairs", "100",
                                          "--jobs", "2" };
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  Result r = { 0 };
  int wait_status;
  va_list ap;

  g_ptr_array_add (argv, (gpointer) g_getenv ("PAIRBENCH_CLI"));
  va_start (ap, first);
  for (const char *a = first; a != NULL; a = va_arg (ap, const char *))
    {
      g_ptr_array_add (argv, (gpointer) a);
      if (study && a == first)
        for (gsize i = 0; i < G_N_ELEMENTS (settings); i++)
          g_ptr_array_add (argv, (gpointer) settings[i]);
    }
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, &r.out, &r.err,
                &wait_status, &error);
  g_assert_no_error (error);
  r.status = WIFEXITED (wait_status) ? WEXITSTATUS (wait_status) : -1;
  return r;
}

static char *
tmp_path (const char *name)
{
  return g_build_filename (tmp_dir, name, NULL);
}

static char *
read_text (const char *path)
{
  char *text = NULL;
  g_autoptr (GError) error = NULL;
  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  return text;
}

/* The values of keys with "seconds" in their name replaced, as merge's promise leaves them. */
static char *
without_seconds (const char *json)
{
  g_autoptr (GRegex) re = g_regex_new ("(\"[a-z_]*seconds[a-z_]*\"):[-+0-9.eE]+", 0, 0, NULL);
  return g_regex_replace (re, json, -1, 0, "\\1:S", 0, NULL);
}

/* The text table's s/run column, Table II's seconds cell, or the CSV's two seconds columns. */
static char *
without_seconds_column (const char *text, const char *pattern)
{
  g_autoptr (GRegex) re = g_regex_new (pattern, G_REGEX_MULTILINE, 0, NULL);
  return g_regex_replace (re, text, -1, 0, "\\1S", 0, NULL);
}

static void
write_text (const char *path, const char *text)
{
  g_autoptr (GError) error = NULL;
  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
}

/* A shard of the study, --json, to path. */
static void
run_shard (const char *shard, const char *path, const char *extra)
{
  Result r = extra != NULL ? run_cli (TRUE, "study", "--json", "--shard", shard, extra, NULL)
                           : run_cli (TRUE, "study", "--json", "--shard", shard, NULL);
  if (r.status != 0)
    g_error ("study --shard %s: %s", shard, r.err);
  write_text (path, r.out);
  result_clear (&r);
}

static void
assert_same_files (const char *dir_a, const char *dir_b)
{
  g_autoptr (GDir) d = g_dir_open (dir_a, 0, NULL);
  const char *name;
  int n = 0;

  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *a = g_build_filename (dir_a, name, NULL);
      g_autofree char *b = g_build_filename (dir_b, name, NULL);
      g_autofree char *ta = NULL, *tb = NULL;
      gsize la, lb;
      g_assert_true (g_file_get_contents (a, &ta, &la, NULL));
      g_assert_true (g_file_get_contents (b, &tb, &lb, NULL));
      g_assert_cmpmem (ta, la, tb, lb);
      n++;
    }
  g_test_message ("%d figures the same", n);
  g_assert_cmpint (n, ==, 10);
}

static void
test_merge (void)
{
  g_autofree char *w_table = tmp_path ("whole.md"), *w_csv = tmp_path ("whole.csv");
  g_autofree char *w_plots = tmp_path ("whole-plots"), *m_plots = tmp_path ("merged-plots");
  g_autofree char *m_table = tmp_path ("merged.md"), *m_csv = tmp_path ("merged.csv");
  g_autofree char *s1 = tmp_path ("s1.json"), *s2 = tmp_path ("s2.json");
  const char *row_seconds = "^(.*±.*  )[0-9.]+$", *cell_seconds =
    "^(\\| [^|]+ \\| [0-9]+ \\| [^|]+ \\| [^|]+ \\| )[0-9.]+";
  const char *csv_seconds = "^(.*,)[0-9.]+,[0-9.]+$";
  char *five[5];
  Result whole_json = run_cli (TRUE, "study", "--json", NULL);
  Result whole = run_cli (TRUE, "study", "--table", w_table, "--csv", w_csv, "--plots", w_plots,
                          NULL);

  g_assert_cmpint (whole_json.status, ==, 0);
  g_assert_cmpint (whole.status, ==, 0);
  run_shard ("1/2", s1, NULL);
  run_shard ("2/2", s2, NULL);
  {
    g_autofree char *t1 = read_text (s1);
    g_assert_true (g_str_has_prefix (t1, "{\"format\":\"pairbench-shard\",\"version\":1,"
                                     "\"kind\":\"study\",\"build\":\""));
    g_assert_nonnull (strstr (t1, "\"shard\":1,\"shards\":2,\"units\":[1,3],\n\"study\":"));
  }

  /* JSON: byte for byte but for the seconds. */
  Result merged_json = run_cli (FALSE, "merge", s2, s1, "--json", NULL);
  g_assert_cmpint (merged_json.status, ==, 0);
  g_autofree char *a = without_seconds (whole_json.out), *b = without_seconds (merged_json.out);
  g_assert_cmpstr (a, ==, b);
  g_assert_cmpstr (whole_json.out, !=, merged_json.out);  /* the seconds are the shards' */

  /* Text, Table II, the CSV and the figures. */
  Result merged = run_cli (FALSE, "merge", s1, s2, "--table", m_table, "--csv", m_csv, "--plots",
                           m_plots, NULL);
  g_assert_cmpint (merged.status, ==, 0);
  {
    g_autofree char *wt = without_seconds_column (whole.out, row_seconds);
    g_autofree char *mt = without_seconds_column (merged.out, row_seconds);
    g_autofree char *wt_plots = g_strdup_printf ("wrote %s/", w_plots);
    g_autofree char *mt_plots = g_strdup_printf ("wrote %s/", m_plots);
    g_autoptr (GString) wg = g_string_new (wt);
    g_string_replace (wg, wt_plots, "wrote DIR/", 0);
    g_autoptr (GString) mg = g_string_new (mt);
    g_string_replace (mg, mt_plots, "wrote DIR/", 0);
    g_assert_cmpstr (wg->str, ==, mg->str);
    g_assert_nonnull (strstr (wg->str, "Paired tests"));
  }
  {
    g_autofree char *wt = read_text (w_table), *mt = read_text (m_table);
    g_autofree char *wn = without_seconds_column (wt, cell_seconds);
    g_autofree char *mn = without_seconds_column (mt, cell_seconds);
    g_assert_cmpstr (wn, ==, mn);
    g_assert_cmpstr (wn, !=, wt);  /* the seconds were there, and are gone */
  }
  {
    g_autofree char *wt = read_text (w_csv), *mt = read_text (m_csv);
    g_autofree char *wn = without_seconds_column (wt, csv_seconds);
    g_autofree char *mn = without_seconds_column (mt, csv_seconds);
    g_assert_cmpstr (wn, ==, mn);
    g_assert_cmpstr (wn, !=, wt);
  }
  assert_same_files (w_plots, m_plots);

  /* Five shards of four units: the fifth has none, and the set is whole. */
  for (int k = 0; k < 5; k++)
    {
      g_autofree char *name = g_strdup_printf ("five-%d.json", k + 1);
      g_autofree char *shard = g_strdup_printf ("%d/5", k + 1);
      five[k] = tmp_path (name);
      run_shard (shard, five[k], NULL);
    }
  {
    g_autofree char *t5 = read_text (five[4]);
    g_assert_nonnull (strstr (t5, "\"units\":[],"));
    g_assert_nonnull (strstr (t5, "\"results\":[],"));
  }
  Result merged5 = run_cli (FALSE, "merge", five[0], five[1], five[2], five[3], five[4], "--json",
                            NULL);
  g_assert_cmpint (merged5.status, ==, 0);
  g_autofree char *c = without_seconds (merged5.out);
  g_assert_cmpstr (a, ==, c);

  /* --shard 1/1 is the whole study, as one shard. */
  {
    g_autofree char *one = tmp_path ("one.json");
    run_shard ("1/1", one, NULL);
    Result merged1 = run_cli (FALSE, "merge", one, "--json", NULL);
    g_assert_cmpint (merged1.status, ==, 0);
    g_autofree char *d = without_seconds (merged1.out);
    g_assert_cmpstr (a, ==, d);
    result_clear (&merged1);
  }

  for (int k = 0; k < 5; k++)
    g_free (five[k]);
  result_clear (&merged5);
  result_clear (&merged);
  result_clear (&merged_json);
  result_clear (&whole);
  result_clear (&whole_json);
}

/* A copy of src with from replaced by to, at dst. */
static void
edit_file (const char *src, const char *dst, const char *from, const char *to)
{
  g_autofree char *text = read_text (src);
  g_autoptr (GString) s = g_string_new (text);
  g_assert_cmpuint (g_string_replace (s, from, to, 1), ==, 1);
  write_text (dst, s->str);
}

/* merge refuses (exit 1, one line naming the file), printing and writing nothing. */
static void
assert_merge_refused (const char *message, const char *a, const char *b, const char *c)
{
  g_autofree char *table = tmp_path ("refused.md"), *csv = tmp_path ("refused.csv");
  Result r = run_cli (FALSE, "merge", "--table", table, "--csv", csv, a, b, c, NULL);
  g_auto (GStrv) lines = g_strsplit (r.err, "\n", -1);

  g_test_message ("%s", r.err);
  g_assert_cmpint (r.status, ==, 1);
  g_assert_cmpstr (r.out, ==, "");
  g_assert_cmpuint (g_strv_length (lines), ==, 2);
  g_assert_true (g_str_has_prefix (r.err, "pairbench-cli merge: "));
  g_assert_nonnull (strstr (r.err, message));
  g_assert_false (g_file_test (table, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (csv, G_FILE_TEST_EXISTS));
  result_clear (&r);
}

static void
test_merge_refusals (void)
{
  g_autofree char *s1 = tmp_path ("r1.json"), *s2 = tmp_path ("r2.json");
  g_autofree char *lr = tmp_path ("lr-2.json"), *build = tmp_path ("build-2.json");
  g_autofree char *sweep = tmp_path ("sweep-2.json"), *edited = tmp_path ("edited-2.json");
  g_autofree char *text = tmp_path ("text.json"), *whole = tmp_path ("whole.json");
  g_autofree char *three = tmp_path ("three-2.json");
  g_autofree char *m_hash = NULL, *m_build = NULL, *m_sweep = NULL, *m_edit = NULL;
  g_autofree char *m_text = NULL, *m_whole = NULL, *m_double = NULL, *m_three = NULL;

  run_shard ("1/2", s1, NULL);
  run_shard ("2/2", s2, NULL);
  run_shard ("2/2", lr, "--lr=0.002");
  run_shard ("2/3", three, NULL);
  edit_file (s2, build, "\"build\":\"", "\"build\":\"0.0.1 ");
  edit_file (s2, sweep, "\"kind\":\"study\"", "\"kind\":\"sweep\"");
  edit_file (s2, edited, "\"lr\":0.001", "\"lr\":0.01");
  write_text (text, "model,round\nsiamese,1\n");
  {
    Result r = run_cli (TRUE, "study", "--json", NULL);
    g_assert_cmpint (r.status, ==, 0);
    write_text (whole, r.out);
    result_clear (&r);
  }

  m_hash = g_strdup_printf ("%s: expected the settings of %s (hash", lr, s1);
  assert_merge_refused (m_hash, s1, lr, NULL);
  m_build = g_strdup_printf ("%s: expected a shard of build '", build);
  assert_merge_refused (m_build, s1, build, NULL);
  m_sweep = g_strdup_printf ("%s: expected a study shard as %s, found a sweep shard", sweep, s1);
  assert_merge_refused (m_sweep, s1, sweep, NULL);
  m_edit = g_strdup_printf ("%s: expected the study settings that its \"hash\"", edited);
  assert_merge_refused (m_edit, s1, edited, NULL);
  m_text = g_strdup_printf ("%s: expected a pairbench shard (JSON), found byte 0", text);
  assert_merge_refused (m_text, s1, text, NULL);
  m_whole = g_strdup_printf ("%s: expected a pairbench shard (\"format\": \"pairbench-shard\"), "
                             "found \"format\": nothing", whole);
  assert_merge_refused (m_whole, whole, s1, NULL);
  assert_merge_refused ("shard 2/2 is missing: expected all 2 shards, found 1", s1, NULL, NULL);
  m_double = g_strdup_printf ("%s: expected each shard once, found shard 1/2 again (also %s)", s1,
                              s1);
  assert_merge_refused (m_double, s1, s2, s1);
  m_three = g_strdup_printf ("%s: expected one of 2 shards as %s, found shard 2/3", three, s1);
  assert_merge_refused (m_three, s1, three, NULL);
  {
    g_autofree char *absent = tmp_path ("absent.json");
    assert_merge_refused (absent, absent, s1, s2);
  }
  /* And the two that merge well. */
  {
    Result r = run_cli (FALSE, "merge", s1, s2, NULL);
    g_assert_cmpint (r.status, ==, 0);
    result_clear (&r);
  }
}

static void
test_study_usage (void)
{
  static const struct { const char *shard, *extra, *message; } cases[] = {
    { "0/2", NULL, "--shard: expected K/N with 1 ≤ K ≤ N ≤ 100000, got '0/2'" },
    { "3/2", NULL, "--shard: expected K/N with 1 ≤ K ≤ N ≤ 100000, got '3/2'" },
    { "1/2", "--csv=x.csv", "--shard: --csv is written by merge" },
    { "1/2", "--table=x.md", "--shard: --table is written by merge" },
    { "1/2", "--plots=x", "--shard: --plots is written by merge" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      Result r = cases[i].extra != NULL
                   ? run_cli (TRUE, "study", "--shard", cases[i].shard, cases[i].extra, NULL)
                   : run_cli (TRUE, "study", "--shard", cases[i].shard, NULL);
      g_assert_cmpint (r.status, ==, 2);
      g_assert_nonnull (strstr (r.err, cases[i].message));
      g_assert_cmpstr (r.out, ==, "");
      result_clear (&r);
    }
  {
    Result r = run_cli (FALSE, "merge", NULL);
    g_assert_cmpint (r.status, ==, 2);
    result_clear (&r);
  }
}

int
main (int argc, char **argv)
{
  int rc;

  g_test_init (&argc, &argv, NULL);
  tmp_dir = g_dir_make_tmp ("pb-shard-XXXXXX", NULL);
  g_assert_nonnull (tmp_dir);
  g_test_add_func ("/shard/parse", test_parse);
  g_test_add_func ("/shard/owns", test_owns);
  g_test_add_func ("/shard/hash", test_hash);
  g_test_add_func ("/shard/header-round-trip", test_header_round_trip);
  g_test_add_func ("/shard/not-a-shard", test_not_a_shard);
  g_test_add_func ("/shard/files-check", test_files_check);
  g_test_add_func ("/shard/cli/study-usage", test_study_usage);
  g_test_add_func ("/shard/cli/merge", test_merge);
  g_test_add_func ("/shard/cli/merge-refusals", test_merge_refusals);
  rc = g_test_run ();
  {
    GDir *dir = g_dir_open (tmp_dir, 0, NULL);
    const char *name;
    while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
      {
        g_autofree char *path = g_build_filename (tmp_dir, name, NULL);
        g_unlink (path);
      }
    if (dir != NULL)
      g_dir_close (dir);
    g_rmdir (tmp_dir);
  }
  g_free (tmp_dir);
  return rc;
}
