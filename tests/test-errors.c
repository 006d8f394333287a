/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Walks the tables of docs/errors.md: makes each row's bad file, runs the row's pairbench-cli
 * command and checks its exit status and its one-line message. Interrupted writes (a full disk,
 * a read-only folder) are in test-errors-writes.c. */

#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <zlib.h>

#include "pb-core.h"
#include "errors-check.h"

static char *tmpdir;
static char *mnist_dir;   /* a small valid MNIST folder */
static char *weights;     /* valid weights trained on it */
static char *pairs_idx;   /* 5 valid test pairs */

/* Fixtures */

static void
write_gzip (const char *path, const void *data, gsize len)
{
  gzFile f = gzopen (path, "wb9");
  g_assert_nonnull (f);
  g_assert_cmpint (gzwrite (f, data, (unsigned) len), ==, (int) len);
  g_assert_cmpint (gzclose (f), ==, Z_OK);
}

static char *
train_images (const char *dir)
{
  return g_build_filename (dir, "train-images-idx3-ubyte", NULL);
}

/* A valid MNIST folder whose training images are replaced by data (gzip: as .gz). */
static void
mnist_with_images (const char *dir, const void *data, gsize len, gboolean gzip)
{
  g_autofree char *images = train_images (dir);
  make_mnist (dir);
  if (gzip)
    {
      g_autofree char *gz = g_strconcat (images, ".gz", NULL);
      g_unlink (images);
      write_gzip (gz, data, len);
    }
  else
    write_bytes (images, data, len);
}

static GBytes *
good_images (void)
{
  g_autofree char *images = train_images (mnist_dir);
  return read_bytes (images);
}

static void
fx_mnist_magic (const char *path)
{
  g_autoptr (GBytes) good = good_images ();
  g_autofree guint8 *b = g_memdup2 (g_bytes_get_data (good, NULL), g_bytes_get_size (good));
  b[0] = 0x01;
  b[1] = 0x02;
  mnist_with_images (path, b, g_bytes_get_size (good), FALSE);
}

static void
fx_mnist_type (const char *path)
{
  g_autoptr (GBytes) good = good_images ();
  g_autofree guint8 *b = g_memdup2 (g_bytes_get_data (good, NULL), g_bytes_get_size (good));
  b[2] = 0x0B;
  mnist_with_images (path, b, g_bytes_get_size (good), FALSE);
}

static void
fx_mnist_ndim (const char *path)
{
  g_autoptr (GBytes) good = good_images ();
  g_autofree guint8 *b = g_memdup2 (g_bytes_get_data (good, NULL), g_bytes_get_size (good));
  b[3] = 9;
  mnist_with_images (path, b, g_bytes_get_size (good), FALSE);
}

static void
fx_mnist_overflow (const char *path)
{
  guint8 data[100] = { 0 };
  g_autoptr (GByteArray) b = idx_bytes (0x08, 3, (const guint32[]) { 0xFFFFFFFF, 0xFFFFFFFF, 28 },
                                        data, sizeof data);
  mnist_with_images (path, b->data, b->len, FALSE);
}

/* 2³¹ images in a 1 KB file, plain and gzip. */
static void
fx_mnist_claims (const char *path)
{
  guint8 data[1000] = { 0 };
  g_autoptr (GByteArray) b = idx_bytes (0x08, 3, (const guint32[]) { 1u << 31, 28, 28 }, data,
                                        sizeof data);
  mnist_with_images (path, b->data, b->len, FALSE);
}

static void
fx_mnist_claims_gz (const char *path)
{
  guint8 data[1000] = { 0 };
  g_autoptr (GByteArray) b = idx_bytes (0x08, 3, (const guint32[]) { 1u << 31, 28, 28 }, data,
                                        sizeof data);
  mnist_with_images (path, b->data, b->len, TRUE);
}

static void
fx_mnist_truncated (const char *path)
{
  g_autoptr (GBytes) good = good_images ();
  mnist_with_images (path, g_bytes_get_data (good, NULL), 5000, FALSE);
}

static void
fx_mnist_trailing (const char *path)
{
  g_autoptr (GBytes) good = good_images ();
  g_autoptr (GByteArray) b = g_byte_array_new ();
  g_byte_array_append (b, g_bytes_get_data (good, NULL), (guint) g_bytes_get_size (good));
  g_byte_array_append (b, (const guint8 *) "xyz", 3);
  mnist_with_images (path, b->data, b->len, FALSE);
}

static void
fx_mnist_count (const char *path)
{
  guint8 labels[MNIST_N - 1] = { 0 };
  g_autofree char *lab = g_build_filename (path, "train-labels-idx1-ubyte", NULL);
  make_mnist (path);
  write_idx (lab, 0x08, 1, (const guint32[]) { MNIST_N - 1 }, labels, sizeof labels);
}

static void
fx_mnist_label (const char *path)
{
  guint8 labels[MNIST_N] = { 0 };
  g_autofree char *lab = g_build_filename (path, "t10k-labels-idx1-ubyte", NULL);
  make_mnist (path);
  labels[57] = 12;
  write_idx (lab, 0x08, 1, (const guint32[]) { MNIST_N }, labels, sizeof labels);
}

static void
fx_mnist_shape (const char *path)
{
  g_autofree guint8 *data = g_malloc0 ((gsize) MNIST_N * 196);
  g_autoptr (GByteArray) b = idx_bytes (0x08, 3, (const guint32[]) { MNIST_N, 14, 14 }, data,
                                        (gsize) MNIST_N * 196);
  mnist_with_images (path, b->data, b->len, FALSE);
}

static void
fx_mnist_gzip_corrupt (const char *path)
{
  g_autoptr (GBytes) good = good_images ();
  g_autofree char *images = train_images (path);
  g_autofree char *gz = g_strconcat (images, ".gz", NULL);
  mnist_with_images (path, g_bytes_get_data (good, NULL), g_bytes_get_size (good), TRUE);
  g_autoptr (GBytes) z = read_bytes (gz);
  gsize len = g_bytes_get_size (z);
  g_autofree guint8 *b = g_memdup2 (g_bytes_get_data (z, NULL), len);
  for (gsize i = 20; i < 36; i++)
    b[i] ^= 0x5A;
  write_bytes (gz, b, len);
}

static void
fx_mnist_gzip_cut (const char *path)
{
  g_autoptr (GBytes) good = good_images ();
  g_autofree char *images = train_images (path);
  g_autofree char *gz = g_strconcat (images, ".gz", NULL);
  mnist_with_images (path, g_bytes_get_data (good, NULL), g_bytes_get_size (good), TRUE);
  g_autoptr (GBytes) z = read_bytes (gz);
  write_bytes (gz, g_bytes_get_data (z, NULL), g_bytes_get_size (z) / 2);
}

static void
fx_mnist_missing (const char *path)
{
  g_autofree char *lab = g_build_filename (path, "t10k-labels-idx1-ubyte", NULL);
  make_mnist (path);
  g_assert_cmpint (g_unlink (lab), ==, 0);
}

static void
fx_mnist_empty (const char *path)
{
  mnist_with_images (path, "", 0, FALSE);
}

static void
fx_not_a_folder (const char *path)
{
  write_bytes (path, "x", 1);
}

/* Weights: the valid file with its header edited (the body kept, the length recomputed). */

typedef struct
{
  char *header;
  GBytes *body;
} Weights;

static void
weights_load (Weights *w)
{
  g_autoptr (GBytes) file = read_bytes (weights);
  gsize len;
  const guint8 *d = g_bytes_get_data (file, &len);
  guint64 hlen;
  memcpy (&hlen, d, 8);
  w->header = g_strndup ((const char *) d + 8, (gsize) hlen);
  g_strchomp (w->header);
  w->body = g_bytes_new_from_bytes (file, 8 + (gsize) hlen, len - 8 - (gsize) hlen);
}

static void
weights_write (const char *path, const char *header, GBytes *body, const void *extra,
               gsize extra_len)
{
  g_autoptr (GByteArray) b = g_byte_array_new ();
  guint64 hlen = strlen (header);
  g_byte_array_append (b, (const guint8 *) &hlen, 8);
  g_byte_array_append (b, (const guint8 *) header, (guint) hlen);
  g_byte_array_append (b, g_bytes_get_data (body, NULL), (guint) g_bytes_get_size (body));
  if (extra_len > 0)
    g_byte_array_append (b, extra, (guint) extra_len);
  write_bytes (path, b->data, b->len);
}

static void
weights_clear (Weights *w)
{
  g_free (w->header);
  g_bytes_unref (w->body);
}

/* The header with the first occurrence of from replaced by to. */
static void
weights_replace (const char *path, const char *from, const char *to)
{
  Weights w;
  weights_load (&w);
  char *at = strstr (w.header, from);
  g_assert_nonnull (at);
  g_autofree char *h = g_strdup_printf ("%.*s%s%s", (int) (at - w.header), w.header, to,
                                        at + strlen (from));
  weights_write (path, h, w.body, NULL, 0);
  weights_clear (&w);
}

static void
fx_weights_short (const char *path)
{
  write_bytes (path, "abcde", 5);
}

static void
fx_weights_garbage (const char *path)
{
  const char text[] = "not a weights file at all";
  write_bytes (path, text, sizeof text - 1);
}

static void
fx_weights_json (const char *path)
{
  Weights w;
  weights_load (&w);
  weights_write (path, "{\"__metadata__\": nope}", w.body, NULL, 0);
  weights_clear (&w);
}

static void
fx_weights_offsets (const char *path)
{
  weights_replace (path, "\"data_offsets\":[0,256]", "\"data_offsets\":[0,99999999]");
}

static void
fx_weights_overlap (const char *path)
{
  weights_replace (path, "\"data_offsets\":[256,320]", "\"data_offsets\":[200,264]");
}

static void
fx_weights_dtype (const char *path)
{
  weights_replace (path, "\"dtype\":\"F32\"", "\"dtype\":\"F16\"");
}

static void
fx_weights_i64 (const char *path)
{
  weights_replace (path, "\"dtype\":\"I64\"", "\"dtype\":\"F32\"");
}

static void
fx_weights_shape (const char *path)
{
  weights_replace (path, "\"shape\":[16,1,2,2]", "\"shape\":[16,2,2,2]");
}

static void
fx_weights_missing (const char *path)
{
  Weights w;
  weights_load (&w);
  char *at = strstr (w.header, ",\"head.weight\":{");
  g_assert_nonnull (at);
  char *end = strchr (at, '}');
  g_autofree char *h = g_strdup_printf ("%.*s%s", (int) (at - w.header), w.header, end + 1);
  weights_write (path, h, w.body, NULL, 0);
  weights_clear (&w);
}

static void
fx_weights_extra (const char *path)
{
  Weights w;
  weights_load (&w);
  gsize n = g_bytes_get_size (w.body);
  g_autofree char *h = g_strdup_printf ("%.*s,\"extra.weight\":{\"dtype\":\"F32\",\"shape\":[1],"
                                        "\"data_offsets\":[%zu,%zu]}}",
                                        (int) strlen (w.header) - 1, w.header, n, n + 4);
  weights_write (path, h, w.body, "\0\0\0\0", 4);
  weights_clear (&w);
}

static void
fx_weights_model (const char *path)
{
  weights_replace (path, "\"model\":\"siamese-aux\"", "\"model\":\"lenet\"");
}

static void
fx_weights_settings (const char *path)
{
  weights_replace (path, "\\\"model\\\":\\\"siamese-aux\\\"", "\\\"model\\\":\\\"twin\\\"");
}

static void
fx_weights_no_metadata (const char *path)
{
  weights_replace (path, "\"__metadata__\"", "\"__metadata\"");
}

static void
fx_weights_nonfinite (const char *path)
{
  Weights w;
  weights_load (&w);
  gsize n = g_bytes_get_size (w.body);
  g_autofree guint8 *body = g_memdup2 (g_bytes_get_data (w.body, NULL), n);
  float nan = NAN;
  memcpy (body + 4 * 3, &nan, 4);
  g_autoptr (GBytes) b = g_bytes_new (body, n);
  weights_write (path, w.header, b, NULL, 0);
  weights_clear (&w);
}

/* A few bytes of settings describing a model of gigabytes, and no data. */
static void
fx_weights_huge (const char *path)
{
  g_autoptr (GBytes) empty = g_bytes_new (NULL, 0);
  weights_write (path, "{\"__metadata__\":{\"model\":\"twin\",\"settings\":\"{\\\"model\\\":"
                 "\\\"twin\\\",\\\"kernel\\\":7,\\\"channels\\\":[1024,1024,1024],"
                 "\\\"padding\\\":[7,7,7],\\\"hidden\\\":4096}\"}}", empty, NULL, 0);
}

/* Pairs for predict */

static void
fx_pairs_shape (const char *path)
{
  guint8 data[3 * 784] = { 0 };
  write_idx (path, 0x08, 3, (const guint32[]) { 3, 28, 28 }, data, sizeof data);
}

/* Points for t-SNE */

static void
fx_points_few (const char *path)
{
  write_bytes (path, "x,y\n1,2\n3,4\n5,6\n7,8\n", 20);
}

static void
fx_points_empty (const char *path)
{
  write_bytes (path, "", 0);
}

static void
fx_points_header_only (const char *path)
{
  write_bytes (path, "x,y,label\n", 10);
}

static void
fx_points_ragged (const char *path)
{
  write_bytes (path, "1,2,3\n4,5,6\n7,8\n", 16);
}

static void
fx_points_text (const char *path)
{
  write_bytes (path, "1,2\n3,4\n5,abc\n", 14);
}

static void
fx_points_quote (const char *path)
{
  write_bytes (path, "x,label\n1,\"open\n2,b\n", 20);
}

static void
fx_points_range (const char *path)
{
  write_bytes (path, "1,2\n3,1e39\n", 11);
}

static void
fx_points_label_only (const char *path)
{
  write_bytes (path, "label\na\nb\n", 10);
}

static void
npy_write (const char *path, const char *header, const void *data, gsize len)
{
  g_autoptr (GByteArray) b = g_byte_array_new ();
  gsize hl = strlen (header) + 1;
  gsize pad = (64 - (10 + hl) % 64) % 64;
  guint8 pre[10] = { 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (guint8) (hl + pad),
                     (guint8) ((hl + pad) >> 8) };
  g_byte_array_append (b, pre, 10);
  g_byte_array_append (b, (const guint8 *) header, (guint) strlen (header));
  for (gsize i = 0; i < pad; i++)
    g_byte_array_append (b, (const guint8 *) " ", 1);
  g_byte_array_append (b, (const guint8 *) "\n", 1);
  g_byte_array_append (b, data, (guint) len);
  write_bytes (path, b->data, b->len);
}

static const float npy_values[12] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 };

static void
fx_npy_magic (const char *path)
{
  write_bytes (path, "NUMPY not really", 16);
}

static void
fx_npy_dtype (const char *path)
{
  npy_write (path, "{'descr': '<i4', 'fortran_order': False, 'shape': (6, 2), }", npy_values,
             sizeof npy_values);
}

static void
fx_npy_fortran (const char *path)
{
  npy_write (path, "{'descr': '<f4', 'fortran_order': True, 'shape': (6, 2), }", npy_values,
             sizeof npy_values);
}

static void
fx_npy_3d (const char *path)
{
  npy_write (path, "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2, 2), }", npy_values,
             sizeof npy_values);
}

static void
fx_npy_truncated (const char *path)
{
  npy_write (path, "{'descr': '<f4', 'fortran_order': False, 'shape': (60, 2), }", npy_values,
             sizeof npy_values);
}

static void
fx_npy_nan (const char *path)
{
  float v[12];
  memcpy (v, npy_values, sizeof v);
  v[7] = NAN;
  npy_write (path, "{'descr': '<f4', 'fortran_order': False, 'shape': (6, 2), }", v, sizeof v);
}

static void
fx_npy_header (const char *path)
{
  npy_write (path, "{'descr': '<f4', 'shape': (6, 2)", npy_values, sizeof npy_values);
}

/* Shards of a 2-model × 2-round study on {mnist}: 1.json and 2.json of 2; shard 2 of another
 * lr (lr-2.json), of another build (build-2.json), as a sweep's (sweep-2.json), with its
 * settings edited (edited-2.json), and of 3 (3-2.json); a CSV (text.json) and a comparison
 * header (comparison.json). */
static void
shard_run (const char *dir, const char *shard, const char *lr, const char *name)
{
  Result r = run_cli ("study", "--data", mnist_dir, "--models", "stacked,siamese", "--rounds", "2",
                      "--epochs", "1", "--pairs", "50", "--test-pairs", "50", "--batch", "10",
                      "--jobs", "1", "--lr", lr, "--shard", shard, "--json", NULL);
  g_autofree char *path = g_build_filename (dir, name, NULL);

  if (r.status != 0)
    g_error ("study --shard %s: %s", shard, r.err);
  write_bytes (path, r.out, strlen (r.out));
  result_clear (&r);
}

static void
shard_edit (const char *dir, const char *from, const char *to, const char *name)
{
  g_autofree char *src = g_build_filename (dir, "2.json", NULL);
  g_autofree char *dst = g_build_filename (dir, name, NULL);
  g_autoptr (GBytes) b = read_bytes (src);
  g_autoptr (GString) s = g_string_new_len (g_bytes_get_data (b, NULL), g_bytes_get_size (b));

  g_assert_cmpuint (g_string_replace (s, from, to, 1), ==, 1);
  write_bytes (dst, s->str, s->len);
}

static void
fx_shards (const char *path)
{
  static const char text[] = "model,round\nsiamese,1\n";
  static const char comparison[] = "{\"format\":\"pairbench-comparison\",\"version\":1}";
  g_autofree char *text_path = g_build_filename (path, "text.json", NULL);
  g_autofree char *comparison_path = g_build_filename (path, "comparison.json", NULL);

  g_assert_cmpint (g_mkdir_with_parents (path, 0755), ==, 0);
  shard_run (path, "1/2", "0.001", "1.json");
  shard_run (path, "2/2", "0.001", "2.json");
  shard_run (path, "2/2", "0.002", "lr-2.json");
  shard_run (path, "2/3", "0.001", "3-2.json");
  shard_edit (path, "\"build\":\"", "\"build\":\"0.0.1 ", "build-2.json");
  shard_edit (path, "\"kind\":\"study\"", "\"kind\":\"sweep\"", "sweep-2.json");
  shard_edit (path, "\"lr\":0.001", "\"lr\":0.01", "edited-2.json");
  write_bytes (text_path, text, sizeof text - 1);
  write_bytes (comparison_path, comparison, sizeof comparison - 1);
}

/* Sweep configs, each wrong in one way (and good.json), and the two first-rung shards of a
 * halving sweep on {mnist} (h0-1.json, h0-2.json; h0-edited-2.json with its config edited). */
static void
fx_sweeps (const char *path)
{
  static const struct
  {
    const char *name, *json;
  } configs[] = {
    { "good.json", "{\"method\":\"random\",\"trials\":2,\"val-pairs\":10,\"parameters\":"
      "{\"hidden\":{\"values\":[16,32]}}}" },
    { "unknown-key.json", "{\"method\":\"random\",\"trials\":2,\"val-pairs\":10,"
      "\"early_terminate\":{},\"parameters\":{\"hidden\":{\"values\":[16]}}}" },
    { "bad-dist.json", "{\"method\":\"random\",\"trials\":2,\"val-pairs\":10,\"parameters\":"
      "{\"lr\":{\"distribution\":\"normal\",\"min\":0.001,\"max\":0.01}}}" },
    { "bad-value.json", "{\"method\":\"random\",\"trials\":2,\"val-pairs\":10,"
      "\"parameters\":{\"hidden\":{\"values\":[64,0]}}}" },
    { "bad-min.json", "{\"method\":\"random\",\"trials\":2,\"val-pairs\":10,\"parameters\":"
      "{\"lr\":{\"distribution\":\"log_uniform_values\",\"min\":-0.001,\"max\":0.01}}}" },
    { "unknown-param.json", "{\"method\":\"random\",\"trials\":2,\"val-pairs\":10,"
      "\"parameters\":{\"lernrate\":{\"value\":0.01}}}" },
    { "no-val.json", "{\"method\":\"random\",\"trials\":2,\"parameters\":"
      "{\"hidden\":{\"values\":[16]}}}" },
    { "grid-dist.json", "{\"method\":\"grid\",\"val-pairs\":10,\"parameters\":"
      "{\"lr\":{\"distribution\":\"uniform\",\"min\":0.001,\"max\":0.01}}}" },
    { "big-val.json", "{\"method\":\"grid\",\"val-pairs\":1000,\"parameters\":"
      "{\"hidden\":{\"values\":[64]}}}" },
    { "not-json.json", "method: random" },
    { "halving.json", "{\"method\":\"halving\",\"trials\":2,\"val-pairs\":10,\"eta\":2,"
      "\"parameters\":{\"hidden\":{\"values\":[8,16]}}}" },
  };

  g_assert_cmpint (g_mkdir_with_parents (path, 0755), ==, 0);
  for (gsize i = 0; i < G_N_ELEMENTS (configs); i++)
    {
      g_autofree char *file = g_build_filename (path, configs[i].name, NULL);
      write_bytes (file, configs[i].json, strlen (configs[i].json));
    }
  g_autofree char *halving = g_build_filename (path, "halving.json", NULL);
  for (int k = 1; k <= 2; k++)
    {
      g_autofree char *shard = g_strdup_printf ("%d/2", k);
      g_autofree char *out = g_strdup_printf ("%s/h0-%d.json", path, k);
      Result r = run_cli ("sweep", "--config", halving, "--data", mnist_dir, "--epochs", "2",
                          "--pairs", "50", "--test-pairs", "20", "--batch", "10", "--jobs", "1",
                          "--shard", shard, "--json", NULL);
      if (r.status != 0)
        g_error ("sweep --shard %s: %s", shard, r.err);
      write_bytes (out, r.out, strlen (r.out));
      if (k == 2)
        {
          g_autoptr (GString) s = g_string_new (r.out);
          g_autofree char *edited = g_build_filename (path, "h0-edited-2.json", NULL);
          g_assert_cmpuint (g_string_replace (s, "\"values\":[8,16]", "\"values\":[8,17]", 1),
                            ==, 1);
          write_bytes (edited, s->str, s->len);
        }
      result_clear (&r);
    }
}

typedef struct
{
  const char *name;
  void (*make) (const char *path);
} Fixture;

static const Fixture fixtures[] = {
  { "mnist-magic", fx_mnist_magic },
  { "mnist-type", fx_mnist_type },
  { "mnist-ndim", fx_mnist_ndim },
  { "mnist-overflow", fx_mnist_overflow },
  { "mnist-claims", fx_mnist_claims },
  { "mnist-claims-gz", fx_mnist_claims_gz },
  { "mnist-truncated", fx_mnist_truncated },
  { "mnist-trailing", fx_mnist_trailing },
  { "mnist-count", fx_mnist_count },
  { "mnist-label", fx_mnist_label },
  { "mnist-shape", fx_mnist_shape },
  { "mnist-gzip-corrupt", fx_mnist_gzip_corrupt },
  { "mnist-gzip-cut", fx_mnist_gzip_cut },
  { "mnist-missing", fx_mnist_missing },
  { "mnist-empty", fx_mnist_empty },
  { "not-a-folder", fx_not_a_folder },
  { "weights-short", fx_weights_short },
  { "weights-garbage", fx_weights_garbage },
  { "weights-json", fx_weights_json },
  { "weights-offsets", fx_weights_offsets },
  { "weights-overlap", fx_weights_overlap },
  { "weights-dtype", fx_weights_dtype },
  { "weights-i64", fx_weights_i64 },
  { "weights-shape", fx_weights_shape },
  { "weights-missing", fx_weights_missing },
  { "weights-extra", fx_weights_extra },
  { "weights-model", fx_weights_model },
  { "weights-settings", fx_weights_settings },
  { "weights-no-metadata", fx_weights_no_metadata },
  { "weights-nonfinite", fx_weights_nonfinite },
  { "weights-huge", fx_weights_huge },
  { "pairs-shape", fx_pairs_shape },
  { "points-good.csv", fx_points_good },
  { "points-few.csv", fx_points_few },
  { "points-empty.csv", fx_points_empty },
  { "points-header-only.csv", fx_points_header_only },
  { "points-ragged.csv", fx_points_ragged },
  { "points-text.csv", fx_points_text },
  { "points-quote.csv", fx_points_quote },
  { "points-range.csv", fx_points_range },
  { "points-label-only.csv", fx_points_label_only },
  { "points-magic.npy", fx_npy_magic },
  { "points-dtype.npy", fx_npy_dtype },
  { "points-fortran.npy", fx_npy_fortran },
  { "points-3d.npy", fx_npy_3d },
  { "points-truncated.npy", fx_npy_truncated },
  { "points-nan.npy", fx_npy_nan },
  { "points-header.npy", fx_npy_header },
  { "shards", fx_shards },
  { "sweeps", fx_sweeps },
};

static const Fixture *
find_fixture (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (fixtures); i++)
    if (strcmp (fixtures[i].name, name) == 0)
      return &fixtures[i];
  return NULL;
}

/* The table */

typedef struct
{
  int line;
  char *command;  /* after "pairbench-cli " */
  char *fixture;  /* NULL for none */
  int status;
  char *message;
} Row;

static void
row_free (gpointer data)
{
  Row *r = data;
  g_free (r->command);
  g_free (r->fixture);
  g_free (r->message);
  g_free (r);
}

static char *
cell_text (const char *cell)
{
  g_autofree char *s = g_strstrip (g_strdup (cell));
  gsize n = strlen (s);
  if (n >= 2 && s[0] == '`' && s[n - 1] == '`')
    return g_strndup (s + 1, n - 2);
  return g_strdup (s);
}

/* Rows of every table whose first column is a `pairbench-cli …` command:
 * | Command | Fixture | Exit | Message | */
static GPtrArray *
parse_table (const char *path)
{
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  GPtrArray *rows = g_ptr_array_new_with_free_func (row_free);

  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  for (int i = 0; lines[i] != NULL; i++)
    {
      if (!g_str_has_prefix (lines[i], "| `pairbench-cli "))
        continue;
      g_auto (GStrv) cells = g_strsplit (lines[i], " | ", -1);
      if (g_strv_length (cells) != 4)
        g_error ("%s:%d: expected 4 columns separated by ' | '", path, i + 1);
      Row *r = g_new0 (Row, 1);
      g_autofree char *cmd = cell_text (cells[0] + 1);
      g_autofree char *fixture = cell_text (cells[1]);
      g_autofree char *status = cell_text (cells[2]);
      char *last = cells[3];
      g_strchomp (last);
      if (g_str_has_suffix (last, "|"))
        last[strlen (last) - 1] = '\0';
      r->line = i + 1;
      r->command = g_strdup (cmd + strlen ("pairbench-cli "));
      r->fixture = strcmp (fixture, "—") == 0 ? NULL : g_steal_pointer (&fixture);
      r->status = atoi (status);
      r->message = cell_text (last);
      if (r->status != 1 && r->status != 2)
        g_error ("%s:%d: exit status %s, expected 1 or 2", path, i + 1, status);
      g_ptr_array_add (rows, r);
    }
  return rows;
}

static char *
substitute (const char *s, const char *fixture, const char *out)
{
  g_autoptr (GString) g = g_string_new (s);
  g_string_replace (g, "{fixture}", fixture != NULL ? fixture : "", 0);
  g_string_replace (g, "{out}", out, 0);
  g_string_replace (g, "{mnist}", mnist_dir, 0);
  g_string_replace (g, "{weights}", weights, 0);
  g_string_replace (g, "{pairs}", pairs_idx, 0);
  g_string_replace (g, "{tmp}", tmpdir, 0);
  return g_string_free (g_steal_pointer (&g), FALSE);
}

static void
check_row (const Row *row, int index, GString *failures)
{
  g_autofree char *fixture = NULL;
  g_autofree char *out_name = g_strdup_printf ("out-%d", index);
  g_autofree char *out = g_build_filename (tmpdir, out_name, NULL);
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) args = NULL;

  if (row->fixture != NULL)
    {
      const Fixture *f = find_fixture (row->fixture);
      if (f == NULL)
        g_error ("docs/errors.md:%d: no fixture '%s' in %s", row->line, row->fixture, __FILE__);
      fixture = g_build_filename (tmpdir, f->name, NULL);
      if (!g_file_test (fixture, G_FILE_TEST_EXISTS))
        f->make (fixture);
    }
  g_autofree char *cmd = substitute (row->command, fixture, out);
  g_autofree char *expect = substitute (row->message, fixture, out);
  g_shell_parse_argv (cmd, NULL, &args, &error);
  g_assert_no_error (error);

  Result r = run_cli_argv (args, 0);
  g_test_message ("docs/errors.md:%d: %s → %d: %s", row->line, row->command, r.status, r.err);
  if (r.status != row->status || strstr (r.err, expect) == NULL)
    {
      g_string_append_printf (failures, "docs/errors.md:%d: `%s` exited %d with\n%s"
                              "expected %d and '%s'\n", row->line, cmd, r.status, r.err,
                              row->status, expect);
      result_clear (&r);
      return;
    }

  /* One line saying what went wrong, the last on stderr (progress lines may come before). */
  g_auto (GStrv) lines = g_strsplit (r.err, "\n", -1);
  int n = (int) g_strv_length (lines);
  g_assert_cmpint (n, >=, 2);
  g_assert_cmpstr (lines[n - 1], ==, "");
  g_assert_true (g_str_has_prefix (lines[n - 2], "pairbench-cli"));
  g_assert_nonnull (strstr (lines[n - 2], expect));
  for (int i = 0; i < n - 2; i++)
    g_assert_false (g_str_has_prefix (lines[i], "pairbench-cli"));
  /* No result, no output file, no temporary file. */
  g_assert_cmpstr (r.out, ==, "");
  g_assert_cmpint (count_prefixed (tmpdir, out_name), ==, 0);
  result_clear (&r);
}

static void
test_table (void)
{
  const char *src = g_getenv ("PAIRBENCH_SOURCE_DIR");
  g_assert_nonnull (src);
  g_autofree char *path = g_build_filename (src, "docs", "errors.md", NULL);
  g_autoptr (GPtrArray) rows = parse_table (path);

  g_autoptr (GString) failures = g_string_new (NULL);

  g_test_message ("%u rows", rows->len);
  g_assert_cmpuint (rows->len, >=, 50);
  for (guint i = 0; i < rows->len; i++)
    check_row (rows->pdata[i], (int) i, failures);
  if (failures->len > 0)
    g_error ("%s", failures->str);
}

int
main (int argc, char **argv)
{
  int rc;

  g_test_init (&argc, &argv, NULL);
  tmpdir = g_dir_make_tmp ("pb-errors-XXXXXX", NULL);
  g_assert_nonnull (tmpdir);
  mnist_dir = g_build_filename (tmpdir, "mnist", NULL);
  weights = g_build_filename (tmpdir, "valid.safetensors", NULL);
  pairs_idx = g_build_filename (tmpdir, "valid-pairs.idx", NULL);
  make_mnist (mnist_dir);

  Result train = run_cli ("train", "--data", mnist_dir, "--epochs", "1", "--pairs", "50",
                          "--test-pairs", "50", "--batch", "10", "--weights", weights, NULL);
  Result pairs = run_cli ("pairs", "--data", mnist_dir, "--split", "test", "--test-pairs", "5",
                          "--out", pairs_idx, NULL);
  if (train.status != 0 || pairs.status != 0)
    g_error ("cannot make the valid files: %s%s", train.err, pairs.err);
  result_clear (&train);
  result_clear (&pairs);

  g_test_add_func ("/errors/table", test_table);
  rc = g_test_run ();

  remove_tree (tmpdir);
  g_free (tmpdir);
  g_free (mnist_dir);
  g_free (weights);
  g_free (pairs_idx);
  return rc;
}
