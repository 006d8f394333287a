/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Interrupted writes of pairbench-cli (the output rows of docs/errors.md are in test-errors.c):
 * a full disk (RLIMIT_FSIZE) while writing IDX, CSV and safetensors keeps the old file and
 * leaves no temporary file, and so does a folder the user may not write to. */

#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "errors-check.h"

static char *tmpdir;
static char *mnist_dir;   /* a small valid MNIST folder */

/* Interrupted writes: a write that fails halfway (the disk is full: RLIMIT_FSIZE makes write()
 * fail with EFBIG past 1 KiB) keeps the old file and leaves no temporary file beside it. */

static void
check_full_disk (const char *name, char **args)
{
  g_autofree char *dir = g_build_filename (tmpdir, "full", NULL);
  g_autofree char *path = g_build_filename (dir, name, NULL);
  const char old[] = "the previous file";

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  write_bytes (path, old, sizeof old);
  for (char **a = args; *a != NULL; a++)
    if (strcmp (*a, "{out}") == 0)
      *a = path;

  Result r = run_cli_argv (args, 1024);
  g_test_message ("%s → %d: %s", args[0], r.status, r.err);
  g_assert_cmpint (r.status, ==, 1);
  g_assert_nonnull (strstr (r.err, path));
  g_assert_nonnull (strstr (r.err, "write failed"));
  g_assert_nonnull (strstr (r.err, strerror (EFBIG)));

  g_autoptr (GBytes) now = read_bytes (path);
  g_assert_cmpmem (g_bytes_get_data (now, NULL), g_bytes_get_size (now), old, sizeof old);
  g_assert_cmpint (count_prefixed (dir, ""), ==, 1);
  g_assert_cmpint (g_unlink (path), ==, 0);
  result_clear (&r);
}

static void
test_full_disk_idx (void)
{
  char *args[] = { "pairs", "--data", mnist_dir, "--split", "test", "--test-pairs", "5", "--out",
                   "{out}", NULL };
  check_full_disk ("pairs.idx", args);
}

static void
test_full_disk_csv (void)
{
  g_autofree char *points = g_build_filename (tmpdir, "points-good.csv", NULL);
  fx_points_good (points);
  char *args[] = { "tsne", "--input", points, "--iterations", "10", "--perplexity", "5", "--out",
                   "{out}", NULL };
  check_full_disk ("map.csv", args);
}

static void
test_full_disk_safetensors (void)
{
  char *args[] = { "train", "--data", mnist_dir, "--epochs", "1", "--pairs", "20",
                   "--test-pairs", "20", "--batch", "10", "--weights", "{out}", NULL };
  check_full_disk ("w.safetensors", args);
}

/* Permissions do not stop root, so this one needs an ordinary user. */
static void
test_read_only_folder (void)
{
  if (geteuid () == 0)
    {
      g_test_skip ("running as root");
      return;
    }
  g_autofree char *dir = g_build_filename (tmpdir, "read-only", NULL);
  g_autofree char *path = g_build_filename (dir, "map.csv", NULL);
  g_autofree char *points = g_build_filename (tmpdir, "points-good.csv", NULL);
  fx_points_good (points);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  write_bytes (path, "old", 3);
  g_assert_cmpint (g_chmod (dir, 0555), ==, 0);
  Result r = run_cli ("tsne", "--input", points, "--iterations", "10", "--perplexity", "5",
                      "--out", path, NULL);
  g_assert_cmpint (g_chmod (dir, 0755), ==, 0);
  g_assert_cmpint (r.status, ==, 1);
  g_assert_nonnull (strstr (r.err, strerror (EACCES)));
  g_autoptr (GBytes) now = read_bytes (path);
  g_assert_cmpmem (g_bytes_get_data (now, NULL), g_bytes_get_size (now), "old", 3);
  g_assert_cmpint (count_prefixed (dir, ""), ==, 1);
  result_clear (&r);
}

int
main (int argc, char **argv)
{
  int rc;

  g_test_init (&argc, &argv, NULL);
  tmpdir = g_dir_make_tmp ("pb-errors-writes-XXXXXX", NULL);
  g_assert_nonnull (tmpdir);
  mnist_dir = g_build_filename (tmpdir, "mnist", NULL);
  make_mnist (mnist_dir);

  g_test_add_func ("/errors-writes/full-disk/idx", test_full_disk_idx);
  g_test_add_func ("/errors-writes/full-disk/csv", test_full_disk_csv);
  g_test_add_func ("/errors-writes/full-disk/safetensors", test_full_disk_safetensors);
  g_test_add_func ("/errors-writes/read-only-folder", test_read_only_folder);
  rc = g_test_run ();

  remove_tree (tmpdir);
  g_free (tmpdir);
  g_free (mnist_dir);
  return rc;
}
