/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Every reader gets its fuzzing seeds (tests/fuzz/corpus/READER/) and every input that ever made
 * a fuzzer fail (tests/fuzz/regressions/READER/). A seed may load or not; a regression must end
 * in a clean error (one line naming the source), unless its name ends in "-valid". Under the
 * sanitizer build this replays them all with ASan and UBSan. */

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "pb-core.h"
#include "pb-points.h"
#include "pb-session.h"

typedef PbStatus (*ReadFunc) (const char *name, const guint8 *data, gsize len, PbError *err);

static char *tmpdir;

static PbStatus
read_idx (const char *name, const guint8 *data, gsize len, PbError *err)
{
  g_autofree char *path = g_build_filename (tmpdir, name, NULL);
  PbIdx idx;
  PbStatus st;

  g_assert_true (g_file_set_contents (path, (const char *) data, (gssize) len, NULL));
  st = pb_idx_read (path, &idx, err);
  if (st == PB_OK)
    pb_idx_clear (&idx);
  g_unlink (path);
  return st;
}

static PbStatus
read_safetensors (const char *name, const guint8 *data, gsize len, PbError *err)
{
  PbModel *model = NULL;
  PbWeightsInfo info;
  PbStatus st = pb_safetensors_load_bytes (data, len, name, 1, &model, &info, err);
  if (st == PB_OK)
    {
      float x[PB_PAIR_FLOATS] = { 0 };
      pb_model_forward (model, x, 1, false, NULL);
      pb_model_free (model);
    }
  return st;
}

static PbStatus
read_csv (const char *name, const guint8 *data, gsize len, PbError *err)
{
  PbPoints points;
  PbStatus st = pb_points_parse_csv (name, (const char *) data, len, &points, err);
  if (st == PB_OK)
    pb_points_clear (&points);
  return st;
}

static PbStatus
read_npy (const char *name, const guint8 *data, gsize len, PbError *err)
{
  PbPoints points;
  PbStatus st = pb_points_parse_npy (name, data, len, &points, err);
  if (st == PB_OK)
    pb_points_clear (&points);
  return st;
}

static PbStatus
read_json (const char *name, const guint8 *data, gsize len, PbError *err)
{
  PbJson *json = NULL;
  PbStatus st = pb_json_parse ((const char *) data, len, name, &json, err);
  if (st == PB_OK)
    {
      PbTrainSettings s;
      pb_train_settings_init (&s, "siamese", NULL);
      pb_train_settings_from_json (json, &s, name, NULL);
      pb_json_free (json);
    }
  return st;
}

static PbStatus
read_session (const char *name, const guint8 *data, gsize len, PbError *err)
{
  PbSession session;
  PbStatus st = pb_session_from_json ((const char *) data, len, name, &session, err);
  if (st == PB_OK)
    {
      PbSession again;
      PbStr out, out2;

      /* What the app saves, it opens again unchanged. */
      pb_str_init (&out);
      pb_str_init (&out2);
      pb_session_to_json (&session, &out);
      g_assert_false (out.failed);
      g_assert_cmpint (pb_session_from_json (out.data, out.len, name, &again, NULL), ==, PB_OK);
      pb_session_to_json (&again, &out2);
      g_assert_cmpstr (out.data, ==, out2.data);
      pb_str_clear (&out2);
      pb_str_clear (&out);
      pb_session_clear (&again);
      pb_session_clear (&session);
    }
  return st;
}

typedef struct
{
  const char *reader;
  ReadFunc read;
} Reader;

static const Reader readers[] = {
  { "idx", read_idx },
  { "safetensors", read_safetensors },
  { "csv", read_csv },
  { "npy", read_npy },
  { "json", read_json },
  { "session", read_session },
};

static void
replay (const Reader *r, const char *kind, gboolean must_fail)
{
  const char *src = g_getenv ("PAIRBENCH_SOURCE_DIR");
  g_autofree char *dir = NULL;
  g_autoptr (GDir) d = NULL;
  const char *name;
  int n = 0;

  g_assert_nonnull (src);
  dir = g_build_filename (src, "tests", "fuzz", kind, r->reader, NULL);
  d = g_dir_open (dir, 0, NULL);
  if (d == NULL)
    {
      g_test_message ("%s: none", dir);
      return;
    }
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autofree char *data = NULL;
      PbError err = { { 0 } };
      gsize len;

      g_assert_true (g_file_get_contents (path, &data, &len, NULL));
      PbStatus st = r->read (name, (const guint8 *) data, len, &err);
      g_test_message ("%s/%s: %s%s%s", r->reader, name, pb_status_name (st),
                      st != PB_OK ? ": " : "", st != PB_OK ? err.message : "");
      if (st != PB_OK)
        {
          g_assert_nonnull (strstr (err.message, name));
          g_assert_null (strchr (err.message, '\n'));
        }
      if (must_fail)
        g_assert_cmpint (st == PB_OK, ==, g_str_has_suffix (name, "-valid"));
      n++;
    }
  g_test_message ("%s/%s: %d inputs", kind, r->reader, n);
}

static void
test_corpus (gconstpointer data)
{
  replay (data, "corpus", FALSE);
}

static void
test_regressions (gconstpointer data)
{
  replay (data, "regressions", TRUE);
}

int
main (int argc, char **argv)
{
  int rc;

  g_test_init (&argc, &argv, NULL);
  tmpdir = g_dir_make_tmp ("pb-fuzz-XXXXXX", NULL);
  g_assert_nonnull (tmpdir);
  for (gsize i = 0; i < G_N_ELEMENTS (readers); i++)
    {
      g_autofree char *corpus = g_strdup_printf ("/fuzz/corpus/%s", readers[i].reader);
      g_autofree char *regressions = g_strdup_printf ("/fuzz/regressions/%s", readers[i].reader);
      g_test_add_data_func (corpus, &readers[i], test_corpus);
      g_test_add_data_func (regressions, &readers[i], test_regressions);
    }
  rc = g_test_run ();
  g_rmdir (tmpdir);
  g_free (tmpdir);
  return rc;
}
