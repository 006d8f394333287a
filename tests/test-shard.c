/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Shards: K/N parsing, which units a shard owns, the hash, and the header that merge checks
 * (a file that is no shard, and a set of files that is not one whole command). */

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "pb-shard.h"

static char *tmp_dir;

static void
test_parse (void)
{
  static const char *const bad[] = { "", "1", "0/2", "3/2", "1/0", "a/b", "1/2/3", "-1/2", "+1/2",
                                     "1/100001", " 1/2", "1/2 ", "1//2", "/2" };
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
