/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "errors-check.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>

void
result_clear (Result *r)
{
  g_free (r->out);
  g_free (r->err);
}

static void
limit_file_size (gpointer data)
{
  struct rlimit lim;
  getrlimit (RLIMIT_FSIZE, &lim);
  lim.rlim_cur = GPOINTER_TO_UINT (data);
  signal (SIGXFSZ, SIG_IGN);
  setrlimit (RLIMIT_FSIZE, &lim);
}

Result
run_cli_argv (char **args, guint fsize)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  Result r = { 0 };
  int wait_status;

  g_ptr_array_add (argv, (gpointer) g_getenv ("PAIRBENCH_CLI"));
  for (char **a = args; *a != NULL; a++)
    g_ptr_array_add (argv, *a);
  g_ptr_array_add (argv, NULL);
  g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT,
                fsize > 0 ? limit_file_size : NULL, GUINT_TO_POINTER (fsize), &r.out, &r.err,
                &wait_status, &error);
  g_assert_no_error (error);
  r.status = WIFEXITED (wait_status) ? WEXITSTATUS (wait_status) : -1;
  return r;
}

Result
run_cli (const char *first, ...)
{
  g_autoptr (GPtrArray) args = g_ptr_array_new ();
  va_list ap;

  va_start (ap, first);
  for (const char *a = first; a != NULL; a = va_arg (ap, const char *))
    g_ptr_array_add (args, (gpointer) a);
  va_end (ap);
  g_ptr_array_add (args, NULL);
  return run_cli_argv ((char **) args->pdata, 0);
}

void
write_bytes (const char *path, const void *data, gsize len)
{
  g_autoptr (GError) error = NULL;
  g_file_set_contents (path, data, (gssize) len, &error);
  g_assert_no_error (error);
}

GBytes *
read_bytes (const char *path)
{
  g_autoptr (GError) error = NULL;
  char *data;
  gsize len;
  g_file_get_contents (path, &data, &len, &error);
  g_assert_no_error (error);
  return g_bytes_new_take (data, len);
}

GByteArray *
idx_bytes (guint8 type, int ndim, const guint32 *dims, const void *data, gsize len)
{
  GByteArray *b = g_byte_array_new ();
  guint8 head[4] = { 0, 0, type, (guint8) ndim };
  g_byte_array_append (b, head, 4);
  for (int i = 0; i < ndim; i++)
    {
      guint32 be = GUINT32_TO_BE (dims[i]);
      g_byte_array_append (b, (const guint8 *) &be, 4);
    }
  g_byte_array_append (b, data, (guint) len);
  return b;
}

void
write_idx (const char *path, guint8 type, int ndim, const guint32 *dims, const void *data,
           gsize len)
{
  g_autoptr (GByteArray) b = idx_bytes (type, ndim, dims, data, len);
  write_bytes (path, b->data, b->len);
}

void
make_mnist (const char *dir)
{
  static const char *const stems[] = { "train", "t10k" };
  g_autofree guint8 *pixels = g_malloc ((gsize) MNIST_N * 784);
  guint8 labels[MNIST_N];
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  for (int s = 0; s < 2; s++)
    {
      for (gsize i = 0; i < (gsize) MNIST_N * 784; i++)
        pixels[i] = (guint8) g_rand_int_range (rand, 0, 256);
      for (int i = 0; i < MNIST_N; i++)
        labels[i] = (guint8) (i % 10);
      g_autofree char *images = g_strdup_printf ("%s/%s-images-idx3-ubyte", dir, stems[s]);
      g_autofree char *lab = g_strdup_printf ("%s/%s-labels-idx1-ubyte", dir, stems[s]);
      write_idx (images, 0x08, 3, (const guint32[]) { MNIST_N, 28, 28 }, pixels,
                 (gsize) MNIST_N * 784);
      write_idx (lab, 0x08, 1, (const guint32[]) { MNIST_N }, labels, MNIST_N);
    }
}

void
fx_points_good (const char *path)
{
  g_autoptr (GString) s = g_string_new ("a,b,c,label\n");
  for (int i = 0; i < 100; i++)
    g_string_append_printf (s, "%d,%d,%d,%d\n", i % 7, i % 11, i % 13, i % 10);
  write_bytes (path, s->str, s->len);
}

int
count_prefixed (const char *dir, const char *stem)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  size_t n = strlen (stem);
  int count = 0;
  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL)
    count += strncmp (name, stem, n) == 0 && (name[n] == '\0' || name[n] == '.' || n == 0);
  return count;
}

void
remove_tree (const char *path)
{
  g_autoptr (GDir) d = g_dir_open (path, 0, NULL);
  const char *name;
  if (d != NULL)
    while ((name = g_dir_read_name (d)) != NULL)
      {
        g_autofree char *child = g_build_filename (path, name, NULL);
        remove_tree (child);
      }
  g_remove (path);
}
