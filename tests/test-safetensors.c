/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Weights files: round trips, PyTorch's names, and malformed files rejected with a message. */

#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "pb-core.h"

static PbModel *
random_model (const char *name, PbTrainSettings *s)
{
  PbModel *model;
  PbRng rng;
  g_assert_cmpint (pb_train_settings_init (s, name, NULL), ==, PB_OK);
  s->seed = 77;
  g_assert_cmpint (pb_model_new (&s->arch, 16, &model, NULL), ==, PB_OK);
  pb_rng_seed (&rng, 5, 5);
  pb_model_init (model, &rng);
  /* Non-default running statistics, so that saving them is tested. */
  for (size_t i = 0; i < pb_model_buffer_count (model); i++)
    pb_model_buffers (model)[i] = (float) pb_rng_uniform (&rng) + 0.5f;
  for (int t = 0; t < pb_model_n_trunks (model); t++)
    pb_model_set_batches_tracked (model, t, 40 + t);
  return model;
}

static char *
tmp_path (const char *name)
{
  static char *dir;
  if (dir == NULL)
    dir = g_dir_make_tmp ("pb-st-XXXXXX", NULL);
  return g_build_filename (dir, name, NULL);
}

static void
test_round_trip (gconstpointer data)
{
  const char *name = data;
  PbTrainSettings s;
  PbModel *model = random_model (name, &s), *loaded = NULL;
  PbWeightsInfo info;
  PbError err = { { 0 } };
  g_autofree char *path = tmp_path ("model.safetensors");
  float x[16 * PB_PAIR_FLOATS];
  PbRng rng;

  s.arch.aux_weight = 0.25f;
  s.epochs = 7;
  s.augment_deg = 12.5f;
  g_assert_cmpint (pb_safetensors_save (path, model, &s, 33.25, 78.5, &err), ==, PB_OK);
  g_assert_cmpint (pb_safetensors_load (path, 16, &loaded, &info, &err), ==, PB_OK);
  g_assert_cmpstr (pb_arch_name (pb_model_arch (loaded)), ==, name);
  g_assert_cmpfloat (info.input_mean, ==, 33.25);
  g_assert_cmpfloat (info.input_std, ==, 78.5);
  g_assert_cmpuint (info.seed, ==, 77);
  g_assert_cmpint (info.settings.epochs, ==, 7);
  g_assert_cmpfloat (info.settings.augment_deg, ==, 12.5f);
  g_assert_cmpfloat (info.settings.arch.aux_weight, ==, 0.25f);
  g_assert_cmpmem (pb_model_params (model), pb_model_param_count (model) * sizeof (float),
                   pb_model_params (loaded), pb_model_param_count (loaded) * sizeof (float));
  g_assert_cmpmem (pb_model_buffers (model), pb_model_buffer_count (model) * sizeof (float),
                   pb_model_buffers (loaded), pb_model_buffer_count (loaded) * sizeof (float));
  for (int t = 0; t < pb_model_n_trunks (model); t++)
    g_assert_cmpint (pb_model_batches_tracked (loaded, t), ==, 40 + t);

  /* Same outputs as the in-memory model. */
  pb_rng_seed (&rng, 1, 1);
  for (gsize i = 0; i < G_N_ELEMENTS (x); i++)
    x[i] = (float) pb_rng_normal (&rng);
  pb_model_forward (model, x, 16, FALSE, NULL);
  pb_model_forward (loaded, x, 16, FALSE, NULL);
  g_assert_cmpmem (pb_model_main_logits (model), 32 * sizeof (float),
                   pb_model_main_logits (loaded), 32 * sizeof (float));
  g_assert_cmpmem (pb_model_digit_logits (model), 320 * sizeof (float),
                   pb_model_digit_logits (loaded), 320 * sizeof (float));

  pb_model_free (model);
  pb_model_free (loaded);
  g_unlink (path);
}

/* The header as written: PyTorch names, I64 num_batches_tracked, metadata strings. */
static void
test_header (void)
{
  PbTrainSettings s;
  PbModel *model = random_model ("twin-aux", &s);
  g_autofree char *path = tmp_path ("twin.safetensors");
  g_autofree char *contents = NULL;
  gsize len;
  guint64 hlen;
  PbJson *header;

  g_assert_cmpint (pb_safetensors_save (path, model, &s, 1.0, 2.0, NULL), ==, PB_OK);
  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  memcpy (&hlen, contents, 8);
  g_assert_cmpuint (hlen % 8, ==, 0);
  g_assert_cmpint (pb_json_parse (contents + 8, hlen, "header", &header, NULL), ==, PB_OK);

  const PbJson *meta = pb_json_get (header, "__metadata__");
  g_assert_cmpstr (pb_json_get_string (meta, "format"), ==, "pairbench-1");
  g_assert_cmpstr (pb_json_get_string (meta, "model"), ==, "twin-aux");
  g_assert_cmpstr (pb_json_get_string (meta, "seed"), ==, "77");
  g_assert_nonnull (pb_json_get_string (meta, "settings"));

  const PbJson *w = pb_json_get (header, "trunk_b.conv1.weight");
  g_assert_nonnull (w);
  g_assert_cmpstr (pb_json_get_string (w, "dtype"), ==, "F32");
  const PbJson *shape = pb_json_get (w, "shape");
  g_assert_cmpint (shape->n, ==, 4);
  g_assert_cmpfloat (shape->items[0].number, ==, 16);
  g_assert_cmpfloat (shape->items[1].number, ==, 1);
  const PbJson *nbt = pb_json_get (header, "trunk_a.bn3.num_batches_tracked");
  g_assert_nonnull (nbt);
  g_assert_cmpstr (pb_json_get_string (nbt, "dtype"), ==, "I64");
  g_assert_cmpint (pb_json_get (nbt, "shape")->n, ==, 0);
  g_assert_nonnull (pb_json_get (header, "head.weight"));
  g_assert_null (pb_json_get (header, "trunk.conv1.weight"));
  /* 2 trunks × (conv, bn) × 3 × 6 entries + fc1, fc2 (4) each, + head (2) */
  g_assert_cmpint (header->n, ==, 1 + 2 * (3 * 7 + 4) + 2);
  pb_json_free (header);
  pb_model_free (model);
  g_unlink (path);
}

/* A file with the given header and data: each malformed case below is built from a valid
 * one, so it fails for the one reason it is meant to. */
static PbStatus
load_with_header (const char *header_json, const guint8 *body, gsize body_len, PbError *err)
{
  GByteArray *file = g_byte_array_new ();
  guint64 hlen = strlen (header_json);
  PbModel *model = NULL;
  PbWeightsInfo info;
  PbStatus st;

  g_byte_array_append (file, (const guint8 *) &hlen, 8);
  g_byte_array_append (file, (const guint8 *) header_json, (guint) hlen);
  g_byte_array_append (file, body, (guint) body_len);
  st = pb_safetensors_load_bytes (file->data, file->len, "bad.safetensors", 4, &model, &info,
                                  err);
  g_test_message ("%s", st == PB_OK ? "(loaded)" : err->message);
  pb_model_free (model);
  g_byte_array_unref (file);
  return st;
}

typedef struct
{
  char *header;   /* the valid file's header */
  guint8 *body;
  gsize body_len;
} ValidFile;

static void
valid_file (ValidFile *v)
{
  PbTrainSettings s;
  PbModel *model = random_model ("siamese", &s);
  g_autofree char *path = tmp_path ("valid.safetensors");
  g_autofree char *contents = NULL;
  gsize len;
  guint64 hlen;

  g_assert_cmpint (pb_safetensors_save (path, model, &s, 1.0, 2.0, NULL), ==, PB_OK);
  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  memcpy (&hlen, contents, 8);
  v->header = g_strndup (contents + 8, hlen);
  g_strchomp (v->header);
  v->body_len = len - 8 - hlen;
  v->body = g_memdup2 (contents + 8 + hlen, v->body_len);
  pb_model_free (model);
  g_unlink (path);
}

static char *
replace (const char *s, const char *from, const char *to)
{
  g_auto (GStrv) parts = g_strsplit (s, from, 2);
  g_assert_nonnull (parts[1]);
  return g_strconcat (parts[0], to, parts[1], NULL);
}

static char *
drop_entry (const char *header, const char *name)
{
  g_autofree char *pattern = g_strdup_printf (",\"%s\":\\{[^}]*\\}", name);
  g_autoptr (GRegex) re = g_regex_new (pattern, 0, 0, NULL);
  char *out = g_regex_replace_literal (re, header, -1, 0, "", 0, NULL);
  g_assert_cmpuint (strlen (out), <, strlen (header));
  return out;
}

static void
test_malformed (void)
{
  ValidFile v;
  PbError err = { { 0 } };
  char *h;

  valid_file (&v);
  g_assert_cmpint (load_with_header (v.header, v.body, v.body_len, &err), ==, PB_OK);

  /* Without the num_batches_tracked entries it still loads (files from other tools). */
  h = drop_entry (v.header, "trunk.bn1.num_batches_tracked");
  g_assert_cmpint (load_with_header (h, v.body, v.body_len, &err), ==, PB_OK);
  g_free (h);

  struct { const char *from, *to, *expect; } cases[] = {
    { "\"model\":\"siamese\"", "\"model\":\"resnet\"", "unknown model 'resnet'" },
    { "\"model\":\"siamese\"", "\"modelx\":\"siamese\"", "\"model\" name" },
    { "{\"dtype\":\"F32\",\"shape\":[16,1,2,2]", "{\"dtype\":\"F16\",\"shape\":[16,1,2,2]",
      "expected dtype F32, found F16" },
    { "\"shape\":[16,1,2,2]", "\"shape\":[16,2,2,2]", "expected shape [16, 1, 2, 2]" },
    { "\"data_offsets\":[0,256]", "\"data_offsets\":[0,999999999]", "outside" },
    { "\"data_offsets\":[0,256]", "\"data_offsets\":[0,252]", "expected 256 bytes" },
    { "\"trunk.conv1.bias\":{\"dtype\":\"F32\",\"shape\":[16],\"data_offsets\":[256,320]}",
      "\"trunk.conv1.bias\":{\"dtype\":\"F32\",\"shape\":[16],\"data_offsets\":[200,264]}",
      "overlap" },
    { "\"head.bias\"", "\"head.bias2\"", "unexpected tensor 'head.bias2'" },
    { "\"dtype\":\"I64\"", "\"dtype\":\"F32\"", "expected one I64" },
    { "\"format\"", "\"format\":", "expected" },
    /* Above 2^53 a double rounds (…993 reads as …992): the message quotes the file's digits. */
    { "\"shape\":[16,1,2,2]", "\"shape\":[9007199254740993,1,2,2]",
      "found [9007199254740993, 1, 2, 2]" },
    { "\"shape\":[16,1,2,2]", "\"shape\":[16,1,2,1e3]", "found [16, 1, 2, 1e3]" },
    { "\"data_offsets\":[0,256]", "\"data_offsets\":[0,18446744073709551617]",
      "data_offsets [0, 18446744073709551617] lie outside" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      h = replace (v.header, cases[i].from, cases[i].to);
      memset (&err, 0, sizeof err);
      g_assert_cmpint (load_with_header (h, v.body, v.body_len, &err), ==, PB_ERR_FORMAT);
      g_assert_nonnull (strstr (err.message, "bad.safetensors"));
      g_assert_nonnull (strstr (err.message, cases[i].expect));
      g_assert_null (strchr (err.message, '\n'));
      g_free (h);
    }

  /* Header length beyond the file; malformed JSON; too short. */
  {
    GByteArray *file = g_byte_array_new ();
    guint64 hlen = 1u << 30;
    PbModel *model = NULL;
    PbWeightsInfo info;
    g_byte_array_append (file, (const guint8 *) &hlen, 8);
    g_byte_array_append (file, (const guint8 *) "{}", 2);
    g_assert_cmpint (pb_safetensors_load_bytes (file->data, file->len, "bad.safetensors", 4,
                                                &model, &info, &err), ==, PB_ERR_FORMAT);
    g_assert_nonnull (strstr (err.message, "runs past the end"));
    g_assert_cmpint (pb_safetensors_load_bytes (file->data, 5, "bad.safetensors", 4, &model,
                                                &info, &err), ==, PB_ERR_FORMAT);
    g_assert_nonnull (strstr (err.message, "at least 8 bytes"));
    g_byte_array_unref (file);
  }
  g_assert_cmpint (load_with_header ("{\"__metadata__\":{\"model\":\"siamese\"", v.body,
                                     v.body_len, &err), ==, PB_ERR_FORMAT);
  g_assert_nonnull (strstr (err.message, "byte"));

  g_free (v.header);
  g_free (v.body);
}

static void
test_missing_tensor (void)
{
  ValidFile v;
  PbError err = { { 0 } };
  valid_file (&v);
  char *h = drop_entry (v.header, "head.weight");
  g_assert_cmpint (load_with_header (h, v.body, v.body_len, &err), ==, PB_ERR_FORMAT);
  g_assert_nonnull (strstr (err.message, "'head.weight' is missing"));
  g_free (h);
  g_free (v.header);
  g_free (v.body);
}

static void
test_missing_file (void)
{
  PbModel *model = NULL;
  PbWeightsInfo info;
  PbError err = { { 0 } };
  g_assert_cmpint (pb_safetensors_load ("/nonexistent/w.safetensors", 4, &model, &info, &err),
                   ==, PB_ERR_IO);
  g_assert_nonnull (strstr (err.message, "/nonexistent/w.safetensors"));
  g_assert_null (model);
}

/* A failed save leaves the previous file as it was. */
static void
test_atomic_save (void)
{
  PbTrainSettings s;
  PbModel *model = random_model ("stacked", &s);
  g_autofree char *path = tmp_path ("keep.safetensors");
  g_autofree char *bad = tmp_path ("keep.safetensors/inside");
  PbError err = { { 0 } };

  g_assert_true (g_file_set_contents (path, "old", 3, NULL));
  g_assert_cmpint (pb_safetensors_save (bad, model, &s, 0, 1, &err), ==, PB_ERR_IO);
  g_assert_nonnull (strstr (err.message, "inside"));
  g_autofree char *contents = NULL;
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "old");
  pb_model_free (model);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (int i = 0; i < PB_N_MODEL_NAMES; i++)
    {
      g_autofree char *p = g_strdup_printf ("/core/safetensors/round-trip/%s", pb_model_names[i]);
      g_test_add_data_func (p, pb_model_names[i], test_round_trip);
    }
  g_test_add_func ("/core/safetensors/header", test_header);
  g_test_add_func ("/core/safetensors/malformed", test_malformed);
  g_test_add_func ("/core/safetensors/missing-tensor", test_missing_tensor);
  g_test_add_func ("/core/safetensors/missing-file", test_missing_file);
  g_test_add_func ("/core/safetensors/atomic-save", test_atomic_save);
  return g_test_run ();
}
