/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Writes the seed corpora in tests/fuzz/corpus/: a few small valid files per reader and some
 * edge cases. Run from the source root: tools/run-fuzzers --seeds. */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "pb-core.h"
#include "pb-session.h"

static const char *root = "tests/fuzz/corpus";

static void
die (const char *what, const PbError *err)
{
  fprintf (stderr, "gen-seeds: %s: %s\n", what, err != NULL ? err->message : "failed");
  exit (1);
}

static void
put (const char *reader, const char *name, const void *data, size_t len)
{
  char path[512];
  PbError err;

  snprintf (path, sizeof path, "%s/%s", root, reader);
  mkdir (path, 0755);
  snprintf (path, sizeof path, "%s/%s/%s", root, reader, name);
  if (pb_write_file_atomic (path, data, len, &err) != PB_OK)
    die (path, &err);
}

static void
put_str (const char *reader, const char *name, const char *text)
{
  put (reader, name, text, strlen (text));
}

static void *
slurp (const char *path, size_t *len)
{
  FILE *f = fopen (path, "rb");
  char *buf;
  long n = -1;

  if (f == NULL || fseek (f, 0, SEEK_END) != 0 || (n = ftell (f)) < 0)
    die (path, NULL);
  rewind (f);
  buf = malloc ((size_t) n + 1);
  if (buf == NULL || fread (buf, 1, (size_t) n, f) != (size_t) n)
    die (path, NULL);
  fclose (f);
  *len = (size_t) n;
  return buf;
}

static void
idx_seed (const char *name, bool f32, int ndim, const uint32_t *dims, bool gzip)
{
  char tmp[] = "/tmp/pb-seed-XXXXXX";
  size_t count = 1, len;
  PbError err;
  PbStatus st;

  for (int i = 0; i < ndim; i++)
    count *= dims[i];
  int fd = mkstemp (tmp);
  if (fd < 0)
    die ("mkstemp", NULL);
  close (fd);
  if (f32)
    {
      float *v = calloc (count + 1, sizeof *v);
      for (size_t i = 0; i < count; i++)
        v[i] = (float) (i % 256);
      st = pb_idx_write_f32 (tmp, ndim, dims, v, &err);
      free (v);
    }
  else
    {
      uint8_t *v = calloc (count + 1, 1);
      for (size_t i = 0; i < count; i++)
        v[i] = (uint8_t) (ndim == 1 ? i % 10 : (i * 37) % 256);
      st = pb_idx_write_u8 (tmp, ndim, dims, v, &err);
      free (v);
    }
  if (st != PB_OK)
    die (name, &err);
  uint8_t *data = slurp (tmp, &len);
  remove (tmp);
  if (gzip)
    {
      z_stream z = { 0 };
      uLong cap = compressBound (len) + 64;
      uint8_t *out = malloc (cap);
      if (deflateInit2 (&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        die ("deflateInit2", NULL);
      z.next_in = data;
      z.avail_in = (uInt) len;
      z.next_out = out;
      z.avail_out = (uInt) cap;
      if (deflate (&z, Z_FINISH) != Z_STREAM_END)
        die ("deflate", NULL);
      put ("idx", name, out, z.total_out);
      deflateEnd (&z);
      free (out);
    }
  else
    put ("idx", name, data, len);
  free (data);
}

static void
weights_seed (const char *name, const char *model, int kernel, const int channels[3],
              const int padding[3], int hidden)
{
  char tmp[] = "/tmp/pb-seed-XXXXXX";
  PbTrainSettings s;
  PbModel *m = NULL;
  PbRng rng;
  PbError err;
  size_t len;

  if (pb_train_settings_init (&s, model, &err) != PB_OK)
    die (model, &err);
  s.arch.kernel = kernel;
  memcpy (s.arch.channels, channels, sizeof s.arch.channels);
  memcpy (s.arch.padding, padding, sizeof s.arch.padding);
  s.arch.hidden = hidden;
  if (pb_model_new (&s.arch, 1, &m, &err) != PB_OK)
    die (name, &err);
  pb_rng_seed (&rng, 1, 0);
  pb_model_init (m, &rng);
  int fd = mkstemp (tmp);
  close (fd);
  if (pb_safetensors_save (tmp, m, &s, 33.3, 77.7, &err) != PB_OK)
    die (name, &err);
  void *data = slurp (tmp, &len);
  remove (tmp);
  put ("safetensors", name, data, len);
  free (data);
  pb_model_free (m);
}

static void
npy_seed (const char *name, const char *descr, int rows, int cols, int version, bool fortran)
{
  char header[128];
  uint8_t buf[1024];
  size_t at = 0, item = strcmp (descr, "<f8") == 0 ? 8 : 4;
  int hl = snprintf (header, sizeof header,
                     "{'descr': '%s', 'fortran_order': %s, 'shape': (%d, %d), }", descr,
                     fortran ? "True" : "False", rows, cols);
  size_t pre = version == 1 ? 10 : 12;
  size_t total = pre + (size_t) hl + 1;
  size_t pad = (64 - total % 64) % 64;

  memcpy (buf, "\x93NUMPY", 6);
  buf[6] = (uint8_t) version;
  buf[7] = 0;
  size_t hlen = (size_t) hl + pad + 1;
  if (version == 1)
    {
      buf[8] = (uint8_t) hlen;
      buf[9] = (uint8_t) (hlen >> 8);
    }
  else
    {
      buf[8] = (uint8_t) hlen;
      buf[9] = (uint8_t) (hlen >> 8);
      buf[10] = buf[11] = 0;
    }
  at = pre;
  memcpy (buf + at, header, (size_t) hl);
  at += (size_t) hl;
  memset (buf + at, ' ', pad);
  at += pad;
  buf[at++] = '\n';
  for (int i = 0; i < rows * cols; i++)
    {
      if (item == 4)
        {
          float f = (float) i * 0.5f - 1.0f;
          memcpy (buf + at, &f, 4);
        }
      else
        {
          double d = (double) i * 0.25 - 2.0;
          memcpy (buf + at, &d, 8);
        }
      at += item;
    }
  put ("npy", name, buf, at);
}

static void
session_seed (const char *name, int epochs, int rounds, int done_rounds_last, bool partial)
{
  static const char *const names[] = { "siamese", "twin-aux" };
  PbArch models[2];
  PbTrainSettings base;
  PbSession session;
  PbEpochRecord records[8];
  PbError err;
  PbStr out;

  if (pb_train_settings_init (&base, "siamese", &err) != PB_OK)
    die (name, &err);
  base.epochs = epochs;
  base.train_pairs = base.test_pairs = 200;
  base.batch = 50;
  for (int m = 0; m < 2; m++)
    if (pb_arch_from_name (names[m], &models[m], &err) != PB_OK)
      die (names[m], &err);
  models[1].dropout = 0.25f;
  if (pb_session_init (&session, &base, models, 2, rounds, &err) != PB_OK)
    die (name, &err);
  session.partial = partial;
  for (int m = 0; m < 2; m++)
    for (int r = 0; r < (m == 1 ? done_rounds_last : rounds); r++)
      {
        PbRoundResult res = *pb_session_round (&session, m, r);
        for (int e = 0; e < epochs; e++)
          records[e] = (PbEpochRecord) {
            .epoch = e + 1, .train_loss = 0.7 / (e + 1), .train_main_loss = 0.5 / (e + 1),
            .train_aux_loss = 0.2 / (e + 1), .train_error = 0.3 - 0.01 * (r + e),
            .test_error = 0.25 - 0.02 * e + 0.003 * r + 0.01 * m, .digit_error = 0.1,
            .chunk_sd = 0.02, .seconds = 1.5 * (e + 1), .train_seconds = 1.25 * (e + 1),
            .eval_seconds = 0.25 * (e + 1),
          };
        records[0].digit_error = m == 0 ? NAN : 0.1;
        res.status = PB_OK;
        res.epochs = records;
        res.n_epochs = epochs;
        res.final = records[epochs - 1];
        if (pb_session_set_round (&session, &res, &err) != PB_OK)
          die (name, &err);
      }
  pb_str_init (&out);
  pb_session_to_json (&session, &out);
  put ("session", name, out.data, out.len);
  pb_str_clear (&out);
  pb_session_clear (&session);
}

int
main (void)
{
  mkdir (root, 0755);

  idx_seed ("images-u8-3d", false, 3, (const uint32_t[]) { 2, 28, 28 }, false);
  idx_seed ("images-u8-3d.gz", false, 3, (const uint32_t[]) { 2, 28, 28 }, true);
  idx_seed ("labels-u8-1d", false, 1, (const uint32_t[]) { 10 }, false);
  idx_seed ("labels-u8-1d.gz", false, 1, (const uint32_t[]) { 10 }, true);
  idx_seed ("pairs-f32-4d", true, 4, (const uint32_t[]) { 1, 2, 14, 14 }, false);
  idx_seed ("pairs-f32-4d.gz", true, 4, (const uint32_t[]) { 1, 2, 14, 14 }, true);
  idx_seed ("classes-u8-2d", false, 2, (const uint32_t[]) { 3, 2 }, false);
  idx_seed ("empty-u8-3d", false, 3, (const uint32_t[]) { 0, 28, 28 }, false);
  put ("idx", "huge-claim", "\0\0\x08\x03\x80\0\0\0\0\0\0\x1c\0\0\0\x1c\1\2\3", 19);
  put ("idx", "overflow", "\0\0\x0d\x04\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
       "\xff\xff\xff\xff", 20);

  const int c1[3] = { 1, 1, 1 }, c2[3] = { 2, 1, 2 }, p0[3] = { 0, 1, 1 }, p1[3] = { 1, 0, 1 };
  weights_seed ("siamese-tiny", "siamese", 2, c1, p0, 2);
  weights_seed ("siamese-aux-tiny", "siamese-aux", 3, c2, p1, 3);
  weights_seed ("twin-tiny", "twin", 2, c1, p0, 1);
  weights_seed ("stacked-aux-tiny", "stacked-aux", 1, c2, p0, 2);

  put_str ("csv", "plain", "1,2,3\n4,5,6\n7,8,9\n");
  put_str ("csv", "header-label", "x,y,label\n0.5,-1e3,7\n1.25,2,\"a, b\"\n.5,3E-2,\"q\"\"\"\n");
  put_str ("csv", "crlf-bom", "\xef\xbb\xbf" "a,b\r\n1,2\r\n\r\n3,4\r\n");
  put_str ("csv", "ragged", "1,2\n3\n");
  put_str ("csv", "label-only", "label\nx\n");
  put_str ("csv", "not-a-number", "1,2\n3,nan\n");
  put_str ("csv", "quoted-newline", "label,v\n\"line\none\",1\n");

  npy_seed ("f4-v1", "<f4", 3, 2, 1, false);
  npy_seed ("f8-v2", "<f8", 2, 3, 2, false);
  npy_seed ("f4-v3-empty", "<f4", 0, 4, 3, false);
  npy_seed ("f4-fortran", "<f4", 1, 1, 1, true);
  npy_seed ("i4", "<i4", 2, 2, 1, false);

  put_str ("json", "object", "{\"a\": [1, 2.5e-3, -0, true, false, null], \"b\": {\"c\": \"d\"}}");
  put_str ("json", "escapes", "[\"\\u00e9\\ud83d\\ude00\\ud800x\\n\\t\\\"\\\\\\/\", \"\"]");
  put_str ("json", "settings", "{\"model\":\"twin-aux\",\"kind\":\"twin\",\"aux\":true,"
           "\"aux_weight\":1,\"kernel\":2,\"channels\":[16,64,128],\"padding\":[0,1,1],"
           "\"hidden\":64,\"dropout\":0,\"epochs\":25,\"batch\":100,\"lr\":0.001,"
           "\"beta1\":0.9,\"beta2\":0.999,\"adam_eps\":1e-08,\"train_pairs\":1000,"
           "\"test_pairs\":1000,\"augment\":10,\"seed\":1}");
  put_str ("json", "deep", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]");
  put_str ("json", "numbers", "[0, -1, 1e308, 1e-308, 123456789012345678901234567890, 1E+2]");

  session_seed ("complete", 3, 3, 3, false);
  session_seed ("partial", 2, 4, 1, true);
  session_seed ("one-round", 1, 1, 1, false);
  session_seed ("nothing-done", 2, 2, 0, true);
  put_str ("session", "wrong-version", "{\"format\":\"pairbench-comparison\",\"version\":2}");
  put_str ("session", "duplicate-round",
           "{\"format\":\"pairbench-comparison\",\"version\":1,\"partial\":false,"
           "\"rounds\":2,\"settings\":{\"epochs\":1,\"batch\":10,\"lr\":0.001,"
           "\"beta1\":0.9,\"beta2\":0.999,\"adam_eps\":1e-08,\"train_pairs\":100,"
           "\"test_pairs\":100,\"augment_deg\":0,\"seed\":7},"
           "\"models\":[{\"name\":\"twin\",\"aux_weight\":1,\"dropout\":0}],\"results\":["
           "{\"model\":\"twin\",\"round\":2,\"seed\":8,\"params\":5,\"epochs\":[{\"epoch\":1,"
           "\"train_loss\":1,\"train_main_loss\":1,\"train_aux_loss\":null,\"train_error\":0.5,"
           "\"test_error\":0.5,\"digit_error\":null,\"chunk_sd\":0,\"seconds\":1,"
           "\"train_seconds\":1,\"eval_seconds\":0}]},"
           "{\"model\":\"twin\",\"round\":2,\"seed\":8,\"params\":5,\"epochs\":[]}]}");
  put_str ("session", "unknown-model",
           "{\"format\":\"pairbench-comparison\",\"version\":1,\"partial\":true,"
           "\"rounds\":1,\"settings\":{\"epochs\":1,\"batch\":1,\"lr\":1,\"beta1\":0,"
           "\"beta2\":0,\"adam_eps\":1,\"train_pairs\":1,\"test_pairs\":1,"
           "\"augment_deg\":180,\"seed\":0},\"models\":[{\"name\":\"lenet\"}],"
           "\"results\":[]}");
  return 0;
}
