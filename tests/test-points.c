/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <glib.h>
#include <glib/gstdio.h>
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "pb-points.h"
#include "pb-rng.h"

static void
parse_csv_ok (const char *text, PbPoints *points)
{
  PbError err = { { 0 } };
  PbStatus status = pb_points_parse_csv ("t.csv", text, strlen (text), points, &err);

  if (status != PB_OK)
    g_error ("%s", err.message);
}

/* Parses text and checks the one-line message exactly. */
static void
check_csv_error (const char *text, const char *message)
{
  PbPoints points;
  PbError err = { { 0 } };

  g_assert_cmpint (pb_points_parse_csv ("t.csv", text, strlen (text), &points, &err), ==,
                   PB_ERR_FORMAT);
  g_assert_cmpstr (err.message, ==, message);
  g_assert_null (points.values);
  g_assert_null (points.labels);
}

static void
test_csv_header_label (void)
{
  PbPoints p;
  int label;

  parse_csv_ok ("a, b ,Label,c\n1,2,cat,3\n-4.5e1, .5 ,7,+6\n", &p);
  g_assert_cmpint (p.n, ==, 2);
  g_assert_cmpint (p.dim, ==, 3);
  g_assert_cmpfloat (p.values[0], ==, 1.0f);
  g_assert_cmpfloat (p.values[1], ==, 2.0f);
  g_assert_cmpfloat (p.values[2], ==, 3.0f);
  g_assert_cmpfloat (p.values[3], ==, -45.0f);
  g_assert_cmpfloat (p.values[4], ==, 0.5f);
  g_assert_cmpfloat (p.values[5], ==, 6.0f);
  g_assert_nonnull (p.labels);
  g_assert_cmpstr (p.labels[0], ==, "cat");
  g_assert_cmpstr (p.labels[1], ==, "7");
  g_assert_false (pb_points_label_int (&p, 0, &label));
  g_assert_true (pb_points_label_int (&p, 1, &label));
  g_assert_cmpint (label, ==, 7);
  pb_points_clear (&p);

  /* Quoted fields, CRLF, a BOM, blank lines and no final newline. */
  parse_csv_ok ("\xef\xbb\xbfx,y,label\r\n\r\n1,2,\"a, \"\"b\"\"\"\r\n  \n3,4,\"two\nlines\"", &p);
  g_assert_cmpint (p.n, ==, 2);
  g_assert_cmpint (p.dim, ==, 2);
  g_assert_cmpstr (p.labels[0], ==, "a, \"b\"");
  g_assert_cmpstr (p.labels[1], ==, "two\nlines");
  g_assert_cmpfloat (p.values[3], ==, 4.0f);
  pb_points_clear (&p);

  /* A header without a label column. */
  parse_csv_ok ("x,y\n1,2\n3,4\n5,6\n", &p);
  g_assert_cmpint (p.n, ==, 3);
  g_assert_null (p.labels);
  pb_points_clear (&p);
}

static void
test_csv_no_header (void)
{
  PbPoints p;

  parse_csv_ok ("1,2,3\n4,5,6\n0.1,1e-3,-7\n", &p);
  g_assert_cmpint (p.n, ==, 3);
  g_assert_cmpint (p.dim, ==, 3);
  g_assert_null (p.labels);
  g_assert_cmpfloat (p.values[6], ==, 0.1f);
  g_assert_cmpfloat (p.values[7], ==, 1e-3f);
  g_assert_cmpfloat (p.values[8], ==, -7.0f);
  pb_points_clear (&p);

  parse_csv_ok ("42\n", &p);
  g_assert_cmpint (p.n, ==, 1);
  g_assert_cmpint (p.dim, ==, 1);
  pb_points_clear (&p);
}

static void
test_csv_errors (void)
{
  check_csv_error ("1,2,3\n4,5,6\n7,8\n", "t.csv:3: expected 3 numbers, found 2");
  check_csv_error ("1,2,3\n4,5,6,7\n", "t.csv:2: expected 3 numbers, found 4");
  check_csv_error ("x,label\n1,a\n2\n", "t.csv:3: expected 2 columns (1 number and a label), "
                   "found 1");
  check_csv_error ("1,2\n\n3,abc\n", "t.csv:3: column 2: expected a finite number, found 'abc'");
  check_csv_error ("1,2\n3,\n", "t.csv:2: column 2: expected a finite number, found ''");
  check_csv_error ("1,2\n3,nan\n", "t.csv:2: column 2: expected a finite number, found 'nan'");
  check_csv_error ("1,2\n3,inf\n", "t.csv:2: column 2: expected a finite number, found 'inf'");
  check_csv_error ("1,2\n3,0x10\n", "t.csv:2: column 2: expected a finite number, found '0x10'");
  check_csv_error ("1,2\n3,1,5\n", "t.csv:2: expected 2 numbers, found 3");
  check_csv_error ("1,2\n3,café\n", "t.csv:2: column 2: expected a finite number, found 'café'");
  check_csv_error ("1,2\n3,a12345678901234567890123456789012345678901234567890123456789"
                   "0123456789\n",
                   "t.csv:2: column 2: expected a finite number, found "
                   "'a12345678901234567890123456789012345678901234567890123456789...'");
  check_csv_error ("1,2\n3,1e39\n", "t.csv:2: column 2: expected a number within float32 "
                   "range, found '1e39'");
  check_csv_error ("x,y\n1,\"2\n", "t.csv:2: expected a closing '\"', found the end of the file");
  check_csv_error ("x,y\n1,\"2\"x\n", "t.csv:2: expected ',' or the end of the line after a "
                   "quoted field, found 'x'");
  check_csv_error ("", "t.csv: expected one point per row, found no rows");
  check_csv_error ("x,y\n\n", "t.csv: expected one point per row, found no rows");
  check_csv_error ("label\na\n", "t.csv:1: expected at least one numeric column, found only a "
                   "label");
  check_csv_error ("1,2\n3,\x01\x02\n",
                   "t.csv:2: column 2: expected a finite number, found '\\x01\\x02'");
}

/* Another locale's decimal comma must not leak into reading or writing. */
static void
test_csv_locale (void)
{
  const char *locales[] = { "de_DE.UTF-8", "fr_FR.UTF-8", "de_DE.utf8", "fr_FR.utf8", NULL };
  const char *set = NULL;

  for (int k = 0; locales[k] != NULL && set == NULL; k++)
    set = setlocale (LC_NUMERIC, locales[k]);
  if (set == NULL)
    {
      g_test_skip ("no locale with a decimal comma is installed");
      return;
    }

  PbPoints p;
  parse_csv_ok ("1.5,2.25\n", &p);
  g_assert_cmpfloat (p.values[0], ==, 1.5f);
  g_assert_cmpfloat (p.values[1], ==, 2.25f);
  pb_points_clear (&p);
  /* A decimal-comma file, as such a locale's spreadsheets write it, is refused, not misread. */
  check_csv_error ("x,y\n1,5;2\n", "t.csv:2: column 2: expected a finite number, found '5;2'");

  g_autofree char *dir = g_dir_make_tmp ("test-points-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "map.csv", NULL);
  g_autofree char *text = NULL;
  const float xy[2] = { 0.5f, -1.25f };
  PbError err = { { 0 } };
  g_assert_cmpint (pb_points_write_csv (path, xy, 1, NULL, &err), ==, PB_OK);
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  g_assert_cmpstr (text, ==, "x,y\n0.5,-1.25\n");
  g_unlink (path);
  g_rmdir (dir);
  setlocale (LC_NUMERIC, "C");
}

/* .npy */

static GByteArray *
npy_bytes (int version, const char *header, const void *data, size_t len)
{
  GByteArray *b = g_byte_array_new ();
  size_t prefix = version == 1 ? 10 : 12;
  size_t hlen = strlen (header);
  size_t total = (prefix + hlen + 1 + 63) / 64 * 64;
  size_t padded = total - prefix;
  uint8_t head[12] = { 0x93, 'N', 'U', 'M', 'P', 'Y', (uint8_t) version, 0 };

  if (version == 1)
    {
      head[8] = (uint8_t) (padded & 0xff);
      head[9] = (uint8_t) (padded >> 8);
    }
  else
    for (int k = 0; k < 4; k++)
      head[8 + k] = (uint8_t) (padded >> (8 * k));
  g_byte_array_append (b, head, (guint) prefix);
  g_byte_array_append (b, (const guint8 *) header, (guint) hlen);
  while (b->len < total - 1)
    g_byte_array_append (b, (const guint8 *) " ", 1);
  g_byte_array_append (b, (const guint8 *) "\n", 1);
  g_byte_array_append (b, data, (guint) len);
  return b;
}

static PbStatus
parse_npy (GByteArray *b, PbPoints *p, PbError *err)
{
  return pb_points_parse_npy ("t.npy", b->data, b->len, p, err);
}

static void
test_npy_good (void)
{
  const float f[6] = { 1.0f, -2.5f, 3.25f, 1e-20f, 5.0f, 6.0f };
  const double d[6] = { 1.0, -2.5, 3.25, 1e-20, 5.0, 6.0 };
  g_autoptr (GByteArray) f4 = npy_bytes (1, "{'descr': '<f4', 'fortran_order': False, "
                                         "'shape': (3, 2), }", f, sizeof f);
  g_autoptr (GByteArray) f8 = npy_bytes (2, "{\"shape\": (2,3), \"descr\": \"<f8\", "
                                         "\"fortran_order\": False}", d, sizeof d);
  PbPoints p;
  PbError err = { { 0 } };

  g_assert_cmpint (parse_npy (f4, &p, &err), ==, PB_OK);
  g_assert_cmpint (p.n, ==, 3);
  g_assert_cmpint (p.dim, ==, 2);
  g_assert_null (p.labels);
  g_assert_cmpmem (p.values, sizeof f, f, sizeof f);
  pb_points_clear (&p);

  g_assert_cmpint (parse_npy (f8, &p, &err), ==, PB_OK);
  g_assert_cmpint (p.n, ==, 2);
  g_assert_cmpint (p.dim, ==, 3);
  g_assert_cmpmem (p.values, sizeof f, f, sizeof f);
  pb_points_clear (&p);

  /* From a file: by extension, and by magic under another name. */
  g_autofree char *dir = g_dir_make_tmp ("test-points-XXXXXX", NULL);
  g_autofree char *npy = g_build_filename (dir, "x.npy", NULL);
  g_autofree char *other = g_build_filename (dir, "x.data", NULL);
  g_assert_true (g_file_set_contents (npy, (const char *) f4->data, f4->len, NULL));
  g_assert_true (g_file_set_contents (other, (const char *) f8->data, f8->len, NULL));
  g_assert_cmpint (pb_points_read (npy, &p, &err), ==, PB_OK);
  g_assert_cmpint (p.n, ==, 3);
  pb_points_clear (&p);
  g_assert_cmpint (pb_points_read (other, &p, &err), ==, PB_OK);
  g_assert_cmpint (p.n, ==, 2);
  pb_points_clear (&p);
  g_unlink (npy);
  g_unlink (other);
  g_rmdir (dir);
}

static void
check_npy_error (GByteArray *b, const char *message)
{
  PbPoints p;
  PbError err = { { 0 } };

  g_assert_cmpint (parse_npy (b, &p, &err), ==, PB_ERR_FORMAT);
  g_assert_cmpstr (err.message, ==, message);
  g_assert_null (p.values);
}

static void
test_npy_errors (void)
{
  const float f[6] = { 0 };
  g_autoptr (GByteArray) good = npy_bytes (1, "{'descr': '<f4', 'fortran_order': False, "
                                           "'shape': (3, 2), }", f, sizeof f);
  g_autoptr (GByteArray) b = NULL;

  b = g_byte_array_new ();
  g_byte_array_append (b, good->data, good->len);
  b->data[1] = 'X';
  check_npy_error (b, "t.npy: byte 0: expected the .npy magic '\\x93NUMPY', found "
                   "'\\x93XUMPY'");
  g_clear_pointer (&b, g_byte_array_unref);

  b = g_byte_array_new ();
  g_byte_array_append (b, good->data, good->len - 3);
  check_npy_error (b, "t.npy: byte 128: expected 6 values of 4 bytes for shape (3, 2), found 21 "
                   "bytes (truncated)");
  g_clear_pointer (&b, g_byte_array_unref);

  b = g_byte_array_new ();
  g_byte_array_append (b, good->data, 30);
  check_npy_error (b, "t.npy: byte 10: expected a header of 118 bytes, found 20 bytes before the "
                   "end of the file");
  g_clear_pointer (&b, g_byte_array_unref);

  b = g_byte_array_new ();
  g_byte_array_append (b, good->data, 8);
  check_npy_error (b, "t.npy: byte 8: expected the .npy version and header length, found the "
                   "end of the file");
  g_clear_pointer (&b, g_byte_array_unref);

  /* A header that claims far more than the file holds must not allocate it. */
  b = npy_bytes (1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2000000000, 2000000000), }",
                 f, sizeof f);
  check_npy_error (b, "t.npy: byte 128: expected 4000000000000000000 values of 8 bytes for shape "
                   "(2000000000, 2000000000), found 24 bytes (truncated)");
  g_clear_pointer (&b, g_byte_array_unref);

  b = npy_bytes (1, "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 2), }",
                 f, sizeof f);
  check_npy_error (b, "t.npy: byte 61: expected a dimension up to 2147483647 in the .npy shape, "
                   "found 99999999999");
  g_clear_pointer (&b, g_byte_array_unref);

  b = npy_bytes (1, "{'descr': '>f4', 'fortran_order': False, 'shape': (3, 2), }", f, sizeof f);
  check_npy_error (b, "t.npy: byte 21: expected dtype '<f4' or '<f8' (little-endian float32 or "
                   "float64), found '>f4'");
  g_clear_pointer (&b, g_byte_array_unref);

  b = npy_bytes (1, "{'descr': '<i4', 'fortran_order': False, 'shape': (3, 2), }", f, sizeof f);
  check_npy_error (b, "t.npy: byte 21: expected dtype '<f4' or '<f8' (little-endian float32 or "
                   "float64), found '<i4'");
  g_clear_pointer (&b, g_byte_array_unref);

  b = npy_bytes (1, "{'descr': '<f4', 'fortran_order': True, 'shape': (3, 2), }", f, sizeof f);
  check_npy_error (b, "t.npy: expected C order (fortran_order False), found Fortran order");
  g_clear_pointer (&b, g_byte_array_unref);

  b = npy_bytes (1, "{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }", f, sizeof f);
  check_npy_error (b, "t.npy: expected a 2-D array (points × dimensions), found 1 dimension");
  g_clear_pointer (&b, g_byte_array_unref);

  b = npy_bytes (1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 2), }", f,
                 sizeof f);
  check_npy_error (b, "t.npy: expected a 2-D array (points × dimensions), found 3 dimensions");
  g_clear_pointer (&b, g_byte_array_unref);

  b = npy_bytes (1, "{'descr': '<f4', 'shape': (3, 2), }", f, sizeof f);
  check_npy_error (b, "t.npy: expected 'descr', 'fortran_order' and 'shape' in the .npy header, "
                   "found no 'fortran_order'");
  g_clear_pointer (&b, g_byte_array_unref);

  b = npy_bytes (1, "{'descr': '<f4' 'fortran_order': False, 'shape': (3, 2), }", f, sizeof f);
  check_npy_error (b, "t.npy: byte 26: expected ',' or '}' in the .npy header, found '''");
  g_clear_pointer (&b, g_byte_array_unref);

  b = npy_bytes (7, "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }", f, sizeof f);
  check_npy_error (b, "t.npy: byte 6: expected .npy format version 1, 2 or 3, found 7");
  g_clear_pointer (&b, g_byte_array_unref);

  const float bad[2] = { 1.0f, NAN };
  b = npy_bytes (1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2), }", bad,
                 sizeof bad);
  check_npy_error (b, "t.npy: byte 132: row 1, column 2: expected a finite float32 number, "
                   "found nan");
  g_clear_pointer (&b, g_byte_array_unref);
}

/* Random damage to valid files: every outcome is either a point set or a clean error. */
static void
test_robustness (void)
{
  const float f[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
  g_autoptr (GByteArray) npy = npy_bytes (1, "{'descr': '<f4', 'fortran_order': False, "
                                          "'shape': (4, 3), }", f, sizeof f);
  const char *csv = "a,b,label\n1,2,\"x\"\n3.5,-4e2,y\n5,6,z\n";
  PbRng rng;

  pb_rng_seed (&rng, 99, 1);
  for (int trial = 0; trial < 4000; trial++)
    {
      bool is_npy = trial % 2 == 0;
      size_t len = is_npy ? npy->len : strlen (csv);
      g_autofree guint8 *buf = g_memdup2 (is_npy ? npy->data : (const guint8 *) csv, len);
      int edits = 1 + (int) pb_rng_below (&rng, 4);
      PbPoints p;
      PbError err = { { 0 } };
      PbStatus status;

      for (int e = 0; e < edits; e++)
        {
          size_t at = pb_rng_below (&rng, (uint32_t) len);
          switch (pb_rng_below (&rng, 3))
            {
            case 0:
              buf[at] = (guint8) pb_rng_below (&rng, 256);
              break;
            case 1:
              buf[at] = (guint8) ",\n\"'(){}:0123456789"[pb_rng_below (&rng, 19)];
              break;
            default:
              len = at;
              break;
            }
          if (len == 0)
            break;
        }

      status = is_npy ? pb_points_parse_npy ("t.npy", buf, len, &p, &err)
                      : pb_points_parse_csv ("t.csv", (const char *) buf, len, &p, &err);
      if (status == PB_OK)
        {
          g_assert_cmpint (p.n, >, 0);
          g_assert_cmpint (p.dim, >, 0);
          for (int c = 0; c < p.n * p.dim; c++)
            g_assert_true (isfinite (p.values[c]));
          pb_points_clear (&p);
        }
      else
        {
          g_assert_cmpint (status, ==, PB_ERR_FORMAT);
          g_assert_true (g_str_has_prefix (err.message, is_npy ? "t.npy" : "t.csv"));
          g_assert_null (strchr (err.message, '\n'));
        }
    }
}

static void
test_write_read_back (void)
{
  g_autofree char *dir = g_dir_make_tmp ("test-points-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "map.csv", NULL);
  const float xy[8] = { 0.1f, -2.0f, 1e-30f, 3.4e38f, 123456.789f, 0.0f, -0.5f, 1.0f / 3.0f };
  const char *labels[4] = { "7", "a, b", "say \"hi\"", " padded " };
  PbPoints p;
  PbError err = { { 0 } };

  g_assert_cmpint (pb_points_write_csv (path, xy, 4, labels, &err), ==, PB_OK);
  g_assert_cmpint (pb_points_read (path, &p, &err), ==, PB_OK);
  g_assert_cmpint (p.n, ==, 4);
  g_assert_cmpint (p.dim, ==, 2);
  g_assert_cmpmem (p.values, sizeof xy, xy, sizeof xy);
  for (int i = 0; i < 4; i++)
    g_assert_cmpstr (p.labels[i], ==, labels[i]);
  pb_points_clear (&p);

  /* Without labels: x,y only; and the new file replaced the old one. */
  g_assert_cmpint (pb_points_write_csv (path, xy, 1, NULL, &err), ==, PB_OK);
  g_autofree char *text = NULL;
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  g_assert_cmpstr (text, ==, "x,y\n0.1,-2\n");

  /* A failed rename (the target is a folder) leaves no temporary file behind. */
  g_autofree char *folder = g_build_filename (dir, "folder", NULL);
  g_autofree char *inside = g_build_filename (folder, "keep", NULL);
  g_assert_cmpint (g_mkdir (folder, 0755), ==, 0);
  g_assert_true (g_file_set_contents (inside, "old", -1, NULL));
  g_assert_cmpint (pb_points_write_csv (folder, xy, 4, NULL, &err), ==, PB_ERR_IO);
  g_assert_true (g_str_has_prefix (err.message, folder));
  g_autoptr (GDir) listing = g_dir_open (dir, 0, NULL);
  int entries = 0;
  for (const char *name = g_dir_read_name (listing); name != NULL;
       name = g_dir_read_name (listing))
    entries++;
  g_assert_cmpint (entries, ==, 2);

  /* A folder that does not exist. */
  g_autofree char *missing = g_build_filename (dir, "no", "such", "map.csv", NULL);
  g_assert_cmpint (pb_points_write_csv (missing, xy, 4, NULL, &err), ==, PB_ERR_IO);

  g_assert_cmpint (pb_points_read (missing, &p, &err), ==, PB_ERR_IO);
  g_assert_true (g_str_has_prefix (err.message, missing));

  g_unlink (inside);
  g_rmdir (folder);
  g_unlink (path);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/points/csv/header-label", test_csv_header_label);
  g_test_add_func ("/core/points/csv/no-header", test_csv_no_header);
  g_test_add_func ("/core/points/csv/errors", test_csv_errors);
  g_test_add_func ("/core/points/csv/locale", test_csv_locale);
  g_test_add_func ("/core/points/npy/good", test_npy_good);
  g_test_add_func ("/core/points/npy/errors", test_npy_errors);
  g_test_add_func ("/core/points/robustness", test_robustness);
  g_test_add_func ("/core/points/write", test_write_read_back);

  return g_test_run ();
}
