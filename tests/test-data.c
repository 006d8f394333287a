/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <glib.h>
#include <glib/gstdio.h>
#include <locale.h>
#include <math.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <zlib.h>

#include "pb-data.h"
#include "data-check.h"

/* ---- helpers ----------------------------------------------------------------------------- */

static char *
make_tmp_dir (void)
{
  GError *error = NULL;
  char *dir = g_dir_make_tmp ("pb-test-data-XXXXXX", &error);
  g_assert_no_error (error);
  return dir;
}

static void
remove_tree (const char *dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const char *name;
  if (d == NULL)
    return;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        remove_tree (path);
      else
        g_unlink (path);
    }
  g_dir_close (d);
  g_rmdir (dir);
}

static int
count_entries (const char *dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  int n = 0;
  g_assert_nonnull (d);
  while (g_dir_read_name (d) != NULL)
    n++;
  g_dir_close (d);
  return n;
}

static void
write_bytes (const char *path, const void *data, size_t len)
{
  GError *error = NULL;
  g_file_set_contents (path, data, (gssize) len, &error);
  g_assert_no_error (error);
}

static void
write_gzip (const char *path, const void *data, size_t len)
{
  gzFile gz = gzopen (path, "wb9");
  g_assert_nonnull (gz);
  g_assert_cmpint (gzwrite (gz, data, (unsigned) len), ==, (int) len);
  g_assert_cmpint (gzclose (gz), ==, Z_OK);
}

static GByteArray *
idx_bytes (uint8_t type, int ndim, const uint32_t *dims, const void *data, size_t data_len)
{
  GByteArray *b = g_byte_array_new ();
  uint8_t head[4] = { 0, 0, type, (uint8_t) ndim };
  g_byte_array_append (b, head, 4);
  for (int i = 0; i < ndim; i++)
    {
      uint8_t d[4] = { dims[i] >> 24, dims[i] >> 16, dims[i] >> 8, dims[i] };
      g_byte_array_append (b, d, 4);
    }
  if (data_len > 0)
    g_byte_array_append (b, data, (guint) data_len);
  return b;
}

/* Asserts that reading path fails with status and a message containing every fragment. */
static void
expect_read_error (const char *path, PbStatus status, const char *const *fragments)
{
  PbIdx idx;
  PbError err = { { 0 } };
  g_assert_cmpint (pb_idx_read (path, &idx, &err), ==, status);
  g_test_message ("%s", err.message);
  g_assert_null (idx.data);
  g_assert_null (strchr (err.message, '\n'));
  g_assert_true (g_str_has_prefix (err.message, path));
  for (int i = 0; fragments[i] != NULL; i++)
    if (strstr (err.message, fragments[i]) == NULL)
      g_error ("message \"%s\" lacks \"%s\"", err.message, fragments[i]);
}

/* ---- IDX --------------------------------------------------------------------------------- */

static void
test_idx_plain (void)
{
  g_autofree char *dir = make_tmp_dir ();
  g_autofree char *path = g_build_filename (dir, "a-idx3-ubyte", NULL);
  const uint32_t dims[3] = { 2, 3, 4 };
  uint8_t data[24];
  for (int i = 0; i < 24; i++)
    data[i] = (uint8_t) (i * 11);
  g_autoptr (GByteArray) bytes = idx_bytes (0x08, 3, dims, data, sizeof data);
  write_bytes (path, bytes->data, bytes->len);

  PbIdx idx;
  PbError err = { { 0 } };
  g_assert_cmpint (pb_idx_read (path, &idx, &err), ==, PB_OK);
  g_assert_cmpint (idx.type, ==, 0x08);
  g_assert_cmpint (idx.ndim, ==, 3);
  g_assert_cmpuint (idx.dims[0], ==, 2);
  g_assert_cmpuint (idx.dims[1], ==, 3);
  g_assert_cmpuint (idx.dims[2], ==, 4);
  g_assert_cmpuint (idx.count, ==, 24);
  g_assert_cmpmem (idx.data, 24, data, 24);
  pb_idx_clear (&idx);
  g_assert_null (idx.data);
  remove_tree (dir);
}

static void
test_idx_gzip (void)
{
  g_autofree char *dir = make_tmp_dir ();
  g_autofree char *path = g_build_filename (dir, "a-idx2-float.gz", NULL);
  const uint32_t dims[2] = { 3, 5 };
  const float values[15] = { 0.0f, -0.0f, 1.0f, -1.5f, 3.25e-41f, 1e30f, -1e-30f, INFINITY,
                             -INFINITY, 255.0f, 0.1f, 2.0f, 4.0f, 8.0f, 16.0f };
  uint8_t be[60];
  for (int i = 0; i < 15; i++)
    {
      uint32_t u;
      memcpy (&u, &values[i], 4);
      be[4 * i] = (uint8_t) (u >> 24);
      be[4 * i + 1] = (uint8_t) (u >> 16);
      be[4 * i + 2] = (uint8_t) (u >> 8);
      be[4 * i + 3] = (uint8_t) u;
    }
  g_autoptr (GByteArray) bytes = idx_bytes (0x0D, 2, dims, be, sizeof be);
  write_gzip (path, bytes->data, bytes->len);

  PbIdx idx;
  PbError err = { { 0 } };
  g_assert_cmpint (pb_idx_read (path, &idx, &err), ==, PB_OK);
  g_assert_cmpint (idx.type, ==, 0x0D);
  g_assert_cmpint (idx.ndim, ==, 2);
  g_assert_cmpuint (idx.count, ==, 15);
  g_assert_cmpmem (idx.data, 60, values, 60);
  pb_idx_clear (&idx);
  remove_tree (dir);
}

static void
test_idx_round_trip (void)
{
  g_autofree char *dir = make_tmp_dir ();
  g_autofree char *path_u8 = g_build_filename (dir, "u8", NULL);
  g_autofree char *path_f32 = g_build_filename (dir, "f32", NULL);
  PbError err = { { 0 } };
  PbIdx idx;

  const uint32_t dims4[4] = { 2, 3, 5, 7 };
  uint8_t u8[210];
  for (int i = 0; i < 210; i++)
    u8[i] = (uint8_t) (i * 37 + 5);
  g_assert_cmpint (pb_idx_write_u8 (path_u8, 4, dims4, u8, &err), ==, PB_OK);
  g_assert_cmpint (pb_idx_read (path_u8, &idx, &err), ==, PB_OK);
  g_assert_cmpint (idx.type, ==, 0x08);
  g_assert_cmpint (idx.ndim, ==, 4);
  for (int i = 0; i < 4; i++)
    g_assert_cmpuint (idx.dims[i], ==, dims4[i]);
  g_assert_cmpmem (idx.data, idx.count, u8, sizeof u8);
  pb_idx_clear (&idx);

  /* The file is exactly header plus data, big-endian. */
  g_autofree char *raw = NULL;
  gsize raw_len;
  g_assert_true (g_file_get_contents (path_u8, &raw, &raw_len, NULL));
  g_assert_cmpuint (raw_len, ==, 4 + 16 + 210);
  g_assert_cmpmem (raw, 8, ((const uint8_t[]) { 0, 0, 8, 4, 0, 0, 0, 2 }), 8);

  const uint32_t dims1[1] = { 4099 };
  g_autofree float *f = g_new (float, 4099);
  PbRng rng;
  pb_rng_seed (&rng, 7, 0);
  for (int i = 0; i < 4099; i++)
    f[i] = (float) pb_rng_normal (&rng) * 1e3f;
  f[0] = -0.0f;
  f[1] = 1.0e-40f;
  g_assert_cmpint (pb_idx_write_f32 (path_f32, 1, dims1, f, &err), ==, PB_OK);
  g_assert_cmpint (pb_idx_read (path_f32, &idx, &err), ==, PB_OK);
  g_assert_cmpint (idx.type, ==, 0x0D);
  g_assert_cmpuint (idx.count, ==, 4099);
  g_assert_cmpmem (idx.data, 4 * idx.count, f, 4 * 4099);
  pb_idx_clear (&idx);

  g_clear_pointer (&raw, g_free);
  g_assert_true (g_file_get_contents (path_f32, &raw, &raw_len, NULL));
  g_assert_cmpuint (raw_len, ==, 8 + 4 * 4099);
  /* -0.0f big-endian is 80 00 00 00 */
  g_assert_cmpmem (raw + 8, 4, ((const uint8_t[]) { 0x80, 0, 0, 0 }), 4);

  g_assert_cmpint (pb_idx_write_u8 (path_u8, 0, dims4, u8, &err), ==, PB_ERR_INVALID);
  g_assert_cmpint (pb_idx_write_u8 (path_u8, 5, dims4, u8, &err), ==, PB_ERR_INVALID);
  g_assert_cmpint (count_entries (dir), ==, 2);
  remove_tree (dir);
}

static void
test_idx_truncated (void)
{
  g_autofree char *dir = make_tmp_dir ();
  g_autofree char *plain = g_build_filename (dir, "short", NULL);
  g_autofree char *gz = g_build_filename (dir, "short.gz", NULL);
  g_autofree char *head = g_build_filename (dir, "head", NULL);
  g_autofree char *empty = g_build_filename (dir, "empty", NULL);
  g_autofree char *cut_gz = g_build_filename (dir, "cut.gz", NULL);
  const uint32_t dims[2] = { 10, 10 };
  uint8_t data[100] = { 0 };

  g_autoptr (GByteArray) bytes = idx_bytes (0x08, 2, dims, data, 60);
  write_bytes (plain, bytes->data, bytes->len);
  write_gzip (gz, bytes->data, bytes->len);
  expect_read_error (plain, PB_ERR_FORMAT,
                     (const char *[]) { "10×10 bytes", "holds only 60", "offset 72", NULL });
  expect_read_error (gz, PB_ERR_FORMAT,
                     (const char *[]) { "10×10 bytes", "holds only 60", "offset 72", NULL });

  write_bytes (head, bytes->data, 9);
  expect_read_error (head, PB_ERR_FORMAT,
                     (const char *[]) { "offset 9", "inside the header", NULL });
  write_bytes (empty, "", 0);
  expect_read_error (empty, PB_ERR_FORMAT, (const char *[]) { "offset 0", "magic", NULL });

  /* A complete header and data, but the gzip file itself stops half-way. */
  g_autoptr (GByteArray) full = idx_bytes (0x08, 2, dims, data, 100);
  write_gzip (cut_gz, full->data, full->len);
  g_autofree char *z = NULL;
  gsize z_len;
  g_assert_true (g_file_get_contents (cut_gz, &z, &z_len, NULL));
  write_bytes (cut_gz, z, z_len - 6);
  expect_read_error (cut_gz, PB_ERR_FORMAT, (const char *[]) { "gzip", "offset", NULL });
  remove_tree (dir);
}

static void
test_idx_bad_header (void)
{
  g_autofree char *dir = make_tmp_dir ();
  g_autofree char *path = g_build_filename (dir, "bad", NULL);
  const uint32_t dims[1] = { 4 };
  const uint8_t data[4] = { 1, 2, 3, 4 };

  g_autoptr (GByteArray) magic = idx_bytes (0x08, 1, dims, data, 4);
  magic->data[1] = 0x01;
  write_bytes (path, magic->data, magic->len);
  expect_read_error (path, PB_ERR_FORMAT,
                     (const char *[]) { "0x00 0x01", "expected 0x00 0x00", NULL });

  g_autoptr (GByteArray) type = idx_bytes (0x0B, 1, dims, data, 4);
  write_bytes (path, type->data, type->len);
  expect_read_error (path, PB_ERR_FORMAT,
                     (const char *[]) { "type code 0x0b", "offset 2", "0x08", NULL });

  g_autoptr (GByteArray) ndim0 = idx_bytes (0x08, 0, dims, data, 4);
  write_bytes (path, ndim0->data, ndim0->len);
  expect_read_error (path, PB_ERR_FORMAT,
                     (const char *[]) { "0 dimensions", "offset 3", "1 to 4", NULL });

  uint8_t ndim9[4 + 36] = { 0, 0, 8, 9 };
  write_bytes (path, ndim9, sizeof ndim9);
  expect_read_error (path, PB_ERR_FORMAT, (const char *[]) { "9 dimensions", NULL });

  const uint32_t huge[4] = { 0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu, 2 };
  g_autoptr (GByteArray) overflow = idx_bytes (0x08, 4, huge, data, 4);
  write_bytes (path, overflow->data, overflow->len);
  expect_read_error (path, PB_ERR_FORMAT, (const char *[]) { "overflow", NULL });

  g_autoptr (GByteArray) trailing = idx_bytes (0x08, 1, dims, data, 4);
  g_byte_array_append (trailing, data, 3);
  write_bytes (path, trailing->data, trailing->len);
  expect_read_error (path, PB_ERR_FORMAT,
                     (const char *[]) { "unexpected data at byte offset 12", NULL });

  g_autofree char *missing = g_build_filename (dir, "missing", NULL);
  expect_read_error (missing, PB_ERR_IO, (const char *[]) { "cannot open", NULL });
  remove_tree (dir);
}

/* A header claiming 2^31 images must be refused from the file size, or for gzip from the stream
 * running dry, never by attempting the 1.6 TB allocation. */
static void
test_idx_huge_claim (void)
{
  g_autofree char *dir = make_tmp_dir ();
  g_autofree char *plain = g_build_filename (dir, "huge", NULL);
  g_autofree char *gz = g_build_filename (dir, "huge.gz", NULL);
  const uint32_t dims[3] = { 2147483648u, 28, 28 };
  uint8_t data[1000];
  memset (data, 7, sizeof data);
  g_autoptr (GByteArray) bytes = idx_bytes (0x08, 3, dims, data, sizeof data);
  write_bytes (plain, bytes->data, bytes->len);
  write_gzip (gz, bytes->data, bytes->len);

  /* The limit makes an attempted allocation fail even where the kernel overcommits without
   * limit. AddressSanitizer reserves terabytes of address space up front, so not under it. */
  struct rlimit old, lim;
  g_assert_cmpint (getrlimit (RLIMIT_AS, &old), ==, 0);
  lim = old;
#ifndef __SANITIZE_ADDRESS__
  if (lim.rlim_cur == RLIM_INFINITY || lim.rlim_cur > ((rlim_t) 8 << 30))
    lim.rlim_cur = (rlim_t) 8 << 30;
#endif
  g_assert_cmpint (setrlimit (RLIMIT_AS, &lim), ==, 0);

  gint64 start = g_get_monotonic_time ();
  const char *const fragments[] = { "2147483648×28×28 bytes", "holds only 1000", NULL };
  expect_read_error (plain, PB_ERR_FORMAT, fragments);
  expect_read_error (gz, PB_ERR_FORMAT, fragments);

  const uint32_t fdims[3] = { 2147483648u, 28, 28 };
  g_autoptr (GByteArray) fbytes = idx_bytes (0x0D, 3, fdims, data, sizeof data);
  write_bytes (plain, fbytes->data, fbytes->len);
  expect_read_error (plain, PB_ERR_FORMAT,
                     (const char *[]) { "float32", "holds only 1000 bytes", NULL });
  gint64 elapsed = g_get_monotonic_time () - start;

  g_assert_cmpint (setrlimit (RLIMIT_AS, &old), ==, 0);
  g_test_message ("refused in %.1f ms", elapsed / 1e3);
  g_assert_cmpint (elapsed, <, 2 * G_USEC_PER_SEC);
  remove_tree (dir);
}

static void
test_idx_corrupt_gzip (void)
{
  g_autofree char *dir = make_tmp_dir ();
  g_autofree char *path = g_build_filename (dir, "corrupt.gz", NULL);
  const uint32_t dims[1] = { 20000 };
  g_autofree uint8_t *data = g_new (uint8_t, 20000);
  PbRng rng;
  pb_rng_seed (&rng, 3, 0);
  for (int i = 0; i < 20000; i++)
    data[i] = (uint8_t) pb_rng_below (&rng, 10);
  g_autoptr (GByteArray) bytes = idx_bytes (0x08, 1, dims, data, 20000);
  write_gzip (path, bytes->data, bytes->len);

  g_autofree char *z = NULL;
  gsize z_len;
  g_assert_true (g_file_get_contents (path, &z, &z_len, NULL));

  /* Garbage in the deflate stream. */
  g_autofree char *broken = g_memdup2 (z, z_len);
  for (gsize i = z_len / 2; i < z_len / 2 + 16; i++)
    broken[i] = (char) (broken[i] ^ 0x5A);
  write_bytes (path, broken, z_len);
  expect_read_error (path, PB_ERR_FORMAT, (const char *[]) { "gzip", "offset", NULL });

  /* Intact stream, wrong CRC in the trailer. */
  memcpy (broken, z, z_len);
  broken[z_len - 8] = (char) (broken[z_len - 8] ^ 0xFF);
  write_bytes (path, broken, z_len);
  expect_read_error (path, PB_ERR_FORMAT, (const char *[]) { "gzip", NULL });

  write_bytes (path, z, z_len);
  PbIdx idx;
  PbError err = { { 0 } };
  g_assert_cmpint (pb_idx_read (path, &idx, &err), ==, PB_OK);
  g_assert_cmpmem (idx.data, idx.count, data, 20000);
  pb_idx_clear (&idx);
  remove_tree (dir);
}

static void
test_idx_atomic_write (void)
{
  g_autofree char *dir = make_tmp_dir ();
  g_autofree char *path = g_build_filename (dir, "labels", NULL);
  g_autofree char *file_as_dir = g_build_filename (dir, "labels", "nested", NULL);
  const uint32_t small_dims[1] = { 5 };
  const uint8_t small[5] = { 1, 2, 3, 4, 5 };
  PbError err = { { 0 } };
  PbIdx idx;

  g_assert_cmpint (pb_idx_write_u8 (path, 1, small_dims, small, &err), ==, PB_OK);

  /* The parent of the target is a regular file: fails even for root. */
  g_assert_cmpint (pb_idx_write_u8 (file_as_dir, 1, small_dims, small, &err), ==, PB_ERR_IO);
  g_test_message ("%s", err.message);
  g_assert_true (g_str_has_prefix (err.message, file_as_dir));
  g_assert_null (strchr (err.message, '\n'));

  /* A write that fails half-way: the file size limit binds root too. */
  const uint32_t big_dims[1] = { 100000 };
  g_autofree uint8_t *big = g_new0 (uint8_t, 100000);
  struct rlimit old, lim;
  g_assert_cmpint (getrlimit (RLIMIT_FSIZE, &old), ==, 0);
  lim = old;
  lim.rlim_cur = 4096;
  void (*old_handler) (int) = signal (SIGXFSZ, SIG_IGN);
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &lim), ==, 0);
  PbStatus status = pb_idx_write_u8 (path, 1, big_dims, big, &err);
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &old), ==, 0);
  signal (SIGXFSZ, old_handler);
  g_assert_cmpint (status, ==, PB_ERR_IO);
  g_test_message ("%s", err.message);
  g_assert_nonnull (strstr (err.message, "byte offset 4096"));

  g_assert_cmpint (pb_idx_read (path, &idx, &err), ==, PB_OK);
  g_assert_cmpuint (idx.count, ==, 5);
  g_assert_cmpmem (idx.data, 5, small, 5);
  pb_idx_clear (&idx);
  g_assert_cmpint (count_entries (dir), ==, 1);

  /* And a successful write replaces it. */
  g_assert_cmpint (pb_idx_write_u8 (path, 1, big_dims, big, &err), ==, PB_OK);
  g_assert_cmpint (pb_idx_read (path, &idx, &err), ==, PB_OK);
  g_assert_cmpuint (idx.count, ==, 100000);
  pb_idx_clear (&idx);
  g_assert_cmpint (count_entries (dir), ==, 1);
  remove_tree (dir);
}

/* ---- MNIST ------------------------------------------------------------------------------- */

static void
test_mnist_shipped (void)
{
  PbMnist m;
  PbError err = { { 0 } };
  const int expected[10] = { 5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949 };
  const int expected_test[10] = { 980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009 };
  int counts[10] = { 0 }, counts_test[10] = { 0 };

  if (pb_mnist_load (data_dir (), &m, &err) != PB_OK)
    g_error ("%s", err.message);
  g_assert_cmpint (m.n_train, ==, 60000);
  g_assert_cmpint (m.n_test, ==, 10000);
  for (int i = 0; i < m.n_train; i++)
    counts[m.train_labels[i]]++;
  for (int i = 0; i < m.n_test; i++)
    counts_test[m.test_labels[i]]++;
  GString *s = g_string_new ("train label counts:");
  for (int d = 0; d < 10; d++)
    g_string_append_printf (s, " %d→%d", d, counts[d]);
  g_test_message ("%s", s->str);
  g_string_free (s, TRUE);
  for (int d = 0; d < 10; d++)
    {
      g_assert_cmpint (counts[d], ==, expected[d]);
      g_assert_cmpint (counts_test[d], ==, expected_test[d]);
    }

  /* The first training image is a 5; pooled pixels stay on the 0–255 scale. */
  g_assert_cmpint (m.train_labels[0], ==, 5);
  g_assert_cmpint (m.test_labels[0], ==, 7);
  double lo = 255.0, hi = 0.0, sum = 0.0;
  for (size_t i = 0; i < (size_t) m.n_train * PB_IMAGE_PIXELS; i++)
    {
      lo = MIN (lo, m.train_images[i]);
      hi = MAX (hi, m.train_images[i]);
      sum += m.train_images[i];
    }
  g_test_message ("pooled train pixels: min %g max %g mean %.3f", lo, hi,
                  sum / ((double) m.n_train * PB_IMAGE_PIXELS));
  g_assert_cmpfloat (lo, ==, 0.0);
  g_assert_cmpfloat (hi, <=, 255.0);
  g_assert_cmpfloat (hi, >, 250.0);
  pb_mnist_clear (&m);
  g_assert_null (m.train_images);
}

/* Writes a tiny MNIST-shaped set; labels[i] = i % 10 unless bad_label ≥ 0 replaces label 3. */
static void
write_fake_mnist (const char *dir, const char *images_name, const char *labels_name, int n_images,
                  int n_labels, int side, int bad_label)
{
  g_autofree char *ip = g_build_filename (dir, images_name, NULL);
  g_autofree char *lp = g_build_filename (dir, labels_name, NULL);
  g_autofree uint8_t *images = g_new0 (uint8_t, (size_t) n_images * side * 28);
  g_autofree uint8_t *labels = g_new0 (uint8_t, (size_t) n_labels);
  const uint32_t idims[3] = { (uint32_t) n_images, (uint32_t) side, 28 };
  const uint32_t ldims[1] = { (uint32_t) n_labels };
  PbError err = { { 0 } };

  for (int i = 0; i < n_images * side * 28; i++)
    images[i] = (uint8_t) (i % 251);
  for (int i = 0; i < n_labels; i++)
    labels[i] = (uint8_t) (i % 10);
  if (bad_label >= 0)
    labels[3] = (uint8_t) bad_label;

  if (g_str_has_suffix (images_name, ".gz"))
    {
      g_autoptr (GByteArray) b = idx_bytes (0x08, 3, idims, images,
                                            (size_t) n_images * side * 28);
      write_gzip (ip, b->data, b->len);
    }
  else
    g_assert_cmpint (pb_idx_write_u8 (ip, 3, idims, images, &err), ==, PB_OK);
  g_assert_cmpint (pb_idx_write_u8 (lp, 1, ldims, labels, &err), ==, PB_OK);
}

static void
test_mnist_names (void)
{
  g_autofree char *dir = make_tmp_dir ();
  PbMnist m;
  PbError err = { { 0 } };

  write_fake_mnist (dir, "train-images.idx3-ubyte.gz", "train-labels-idx1-ubyte", 30, 30, 28, -1);
  write_fake_mnist (dir, "t10k-images-idx3-ubyte", "t10k-labels.idx1-ubyte", 12, 12, 28, -1);
  if (pb_mnist_load (dir, &m, &err) != PB_OK)
    g_error ("%s", err.message);
  g_assert_cmpint (m.n_train, ==, 30);
  g_assert_cmpint (m.n_test, ==, 12);
  for (int i = 0; i < 30; i++)
    g_assert_cmpint (m.train_labels[i], ==, i % 10);

  /* Check one pooled pixel against the generator: image 1, pooled (2, 3). */
  const int base = 1 * 784, r = 2, c = 3;
  int sum = 0;
  for (int dr = 0; dr < 2; dr++)
    for (int dc = 0; dc < 2; dc++)
      sum += (base + (2 * r + dr) * 28 + 2 * c + dc) % 251;
  g_assert_cmpfloat (m.train_images[PB_IMAGE_PIXELS + r * 14 + c], ==, sum / 4.0f);
  pb_mnist_clear (&m);
  remove_tree (dir);
}

static void
test_mnist_errors (void)
{
  PbMnist m;
  PbError err = { { 0 } };
  g_autofree char *empty = make_tmp_dir ();
  g_assert_cmpint (pb_mnist_load (empty, &m, &err), ==, PB_ERR_IO);
  g_test_message ("%s", err.message);
  g_assert_nonnull (strstr (err.message, "train-images-idx3-ubyte"));
  g_assert_null (m.train_images);
  remove_tree (empty);

  g_autofree char *mismatch = make_tmp_dir ();
  write_fake_mnist (mismatch, "train-images-idx3-ubyte", "train-labels-idx1-ubyte", 20, 19, 28,
                    -1);
  write_fake_mnist (mismatch, "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", 10, 10, 28, -1);
  g_assert_cmpint (pb_mnist_load (mismatch, &m, &err), ==, PB_ERR_FORMAT);
  g_test_message ("%s", err.message);
  g_assert_nonnull (strstr (err.message, "19 labels at byte offset 4, expected 20"));
  remove_tree (mismatch);

  g_autofree char *range = make_tmp_dir ();
  write_fake_mnist (range, "train-images-idx3-ubyte", "train-labels-idx1-ubyte", 20, 20, 28, -1);
  write_fake_mnist (range, "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", 10, 10, 28, 12);
  g_assert_cmpint (pb_mnist_load (range, &m, &err), ==, PB_ERR_FORMAT);
  g_test_message ("%s", err.message);
  g_assert_true (g_str_has_suffix (err.message, "t10k-labels-idx1-ubyte: label 12 at byte offset "
                                                "11 is outside 0–9"));
  g_assert_null (m.train_images);
  g_assert_null (m.test_labels);
  remove_tree (range);

  g_autofree char *dims = make_tmp_dir ();
  write_fake_mnist (dims, "train-images-idx3-ubyte", "train-labels-idx1-ubyte", 20, 20, 27, -1);
  write_fake_mnist (dims, "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", 10, 10, 28, -1);
  g_assert_cmpint (pb_mnist_load (dims, &m, &err), ==, PB_ERR_FORMAT);
  g_test_message ("%s", err.message);
  g_assert_nonnull (strstr (err.message, "20×27×28"));
  remove_tree (dims);
}

static void
test_pool (void)
{
  uint8_t in[2 * 784] = { 0 };
  float out[2 * PB_IMAGE_PIXELS];
  /* Top-left block 1, 2, 3, 4 → 2.5; the block at pooled (13, 13) 255, 255, 255, 0 → 191.25;
   * pooled (0, 1) of the second image 1, 0, 0, 0 → 0.25. */
  in[0] = 1;
  in[1] = 2;
  in[28] = 3;
  in[29] = 4;
  in[26 * 28 + 26] = 255;
  in[26 * 28 + 27] = 255;
  in[27 * 28 + 26] = 255;
  in[784 + 2] = 1;
  pb_pool_28_to_14 (2, in, out);
  g_assert_cmpfloat (out[0], ==, 2.5f);
  g_assert_cmpfloat (out[13 * 14 + 13], ==, 191.25f);
  g_assert_cmpfloat (out[PB_IMAGE_PIXELS + 1], ==, 0.25f);
  float total = 0.0f;
  for (int i = 0; i < 2 * PB_IMAGE_PIXELS; i++)
    total += out[i];
  g_assert_cmpfloat (total, ==, 2.5f + 191.25f + 0.25f);
}

int
main (int argc, char *argv[])
{
  /* The messages contain × and –; without a UTF-8 locale GLib prints them as '?'. */
  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/data/idx/plain", test_idx_plain);
  g_test_add_func ("/core/data/idx/gzip", test_idx_gzip);
  g_test_add_func ("/core/data/idx/round-trip", test_idx_round_trip);
  g_test_add_func ("/core/data/idx/truncated", test_idx_truncated);
  g_test_add_func ("/core/data/idx/bad-header", test_idx_bad_header);
  g_test_add_func ("/core/data/idx/huge-claim", test_idx_huge_claim);
  g_test_add_func ("/core/data/idx/corrupt-gzip", test_idx_corrupt_gzip);
  g_test_add_func ("/core/data/idx/atomic-write", test_idx_atomic_write);
  g_test_add_func ("/core/data/mnist/shipped", test_mnist_shipped);
  g_test_add_func ("/core/data/mnist/names", test_mnist_names);
  g_test_add_func ("/core/data/mnist/errors", test_mnist_errors);
  g_test_add_func ("/core/data/pool", test_pool);

  return g_test_run ();
}
