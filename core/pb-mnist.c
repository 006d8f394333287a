/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "pb-data.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MNIST_SIDE 28
#define MNIST_PIXELS (MNIST_SIDE * MNIST_SIDE)
/* A label file's header: magic, then one dimension. */
#define MNIST_LABEL_HEADER 8

void
pb_pool_28_to_14 (int n, const uint8_t *in, float *out)
{
  for (int i = 0; i < n; i++)
    {
      const uint8_t *src = in + (size_t) i * MNIST_PIXELS;
      float *dst = out + (size_t) i * PB_IMAGE_PIXELS;
      for (int r = 0; r < PB_IMAGE_SIDE; r++)
        for (int c = 0; c < PB_IMAGE_SIDE; c++)
          {
            const uint8_t *p = src + 2 * r * MNIST_SIDE + 2 * c;
            int sum = p[0] + p[1] + p[MNIST_SIDE] + p[MNIST_SIDE + 1];
            dst[r * PB_IMAGE_SIDE + c] = (float) sum * 0.25f;
          }
    }
}

static void
mnist_describe (const PbIdx *idx, char *buf, size_t size)
{
  int used = snprintf (buf, size, "type 0x%02x, shape ", idx->type);
  for (int i = 0; i < idx->ndim && used > 0 && (size_t) used < size; i++)
    used += snprintf (buf + used, size - (size_t) used, "%s%" PRIu32, i > 0 ? "×" : "",
                      idx->dims[i]);
}

/* Tries "<stem>-<kind>" and "<stem>.<kind>" (e.g. train-images + idx3-ubyte), plain and .gz. */
static PbStatus
mnist_find (const char *dir, const char *stem, const char *kind, char *path, size_t size,
            PbError *err)
{
  static const char *const seps[] = { "-", "." };
  static const char *const exts[] = { "", ".gz" };
  struct stat st;

  for (size_t s = 0; s < 2; s++)
    for (size_t e = 0; e < 2; e++)
      {
        int n = snprintf (path, size, "%s/%s%s%s%s", dir, stem, seps[s], kind, exts[e]);
        if (n < 0 || (size_t) n >= size)
          return pb_error_set (err, PB_ERR_INVALID, "%s: folder name too long", dir);
        if (stat (path, &st) == 0 && !S_ISDIR (st.st_mode))
          return PB_OK;
      }
  return pb_error_set (err, PB_ERR_IO,
                       "%s: no %s-%s file, expected it plain or as .gz (or named %s.%s)",
                       dir, stem, kind, stem, kind);
}

static PbStatus
mnist_load_split (const char *dir, const char *stem, int *n_out, float **images_out,
                  uint8_t **labels_out, PbError *err)
{
  char images_path[4096], labels_path[4096];
  PbIdx images = { 0 }, labels = { 0 };
  PbStatus status;

  char images_stem[32], labels_stem[32];
  snprintf (images_stem, sizeof images_stem, "%s-images", stem);
  snprintf (labels_stem, sizeof labels_stem, "%s-labels", stem);
  status = mnist_find (dir, images_stem, "idx3-ubyte", images_path, sizeof images_path, err);
  if (status != PB_OK)
    return status;
  status = mnist_find (dir, labels_stem, "idx1-ubyte", labels_path, sizeof labels_path, err);
  if (status != PB_OK)
    return status;

  status = pb_idx_read (images_path, &images, err);
  if (status != PB_OK)
    goto out;
  if (images.type != 0x08 || images.ndim != 3 || images.dims[1] != MNIST_SIDE
      || images.dims[2] != MNIST_SIDE)
    {
      char what[128];
      mnist_describe (&images, what, sizeof what);
      status = pb_error_set (err, PB_ERR_FORMAT,
                             "%s: header at byte offset 0 says %s, expected type 0x08, shape "
                             "N×28×28 (MNIST images)", images_path, what);
      goto out;
    }
  if (images.dims[0] > INT_MAX / 2)
    {
      status = pb_error_set (err, PB_ERR_FORMAT, "%s: %" PRIu32 " images at byte offset 4, "
                             "expected at most %d", images_path, images.dims[0], INT_MAX / 2);
      goto out;
    }

  status = pb_idx_read (labels_path, &labels, err);
  if (status != PB_OK)
    goto out;
  if (labels.type != 0x08 || labels.ndim != 1)
    {
      char what[128];
      mnist_describe (&labels, what, sizeof what);
      status = pb_error_set (err, PB_ERR_FORMAT,
                             "%s: header at byte offset 0 says %s, expected type 0x08, shape N "
                             "(MNIST labels)", labels_path, what);
      goto out;
    }
  if (labels.dims[0] != images.dims[0])
    {
      status = pb_error_set (err, PB_ERR_FORMAT,
                             "%s: %" PRIu32 " labels at byte offset 4, expected %" PRIu32
                             " to match %s", labels_path, labels.dims[0], images.dims[0],
                             images_path);
      goto out;
    }
  const uint8_t *lab = labels.data;
  for (size_t i = 0; i < labels.count; i++)
    if (lab[i] > 9)
      {
        status = pb_error_set (err, PB_ERR_FORMAT,
                               "%s: label %u at byte offset %zu is outside 0–9",
                               labels_path, lab[i], MNIST_LABEL_HEADER + i);
        goto out;
      }

  int n = (int) images.dims[0];
  float *pooled = malloc (sizeof (float) * PB_IMAGE_PIXELS * (size_t) (n > 0 ? n : 1));
  if (pooled == NULL)
    {
      status = pb_error_set (err, PB_ERR_NOMEM, "%s: cannot allocate %d pooled images",
                             images_path, n);
      goto out;
    }
  pb_pool_28_to_14 (n, images.data, pooled);

  *n_out = n;
  *images_out = pooled;
  *labels_out = labels.data;
  labels.data = NULL;

out:
  pb_idx_clear (&images);
  pb_idx_clear (&labels);
  return status;
}

PbStatus
pb_mnist_load (const char *dir, PbMnist *out, PbError *err)
{
  PbMnist m = { 0 };
  PbStatus status;

  memset (out, 0, sizeof *out);
  struct stat st;
  if (stat (dir, &st) != 0)
    return pb_error_set (err, PB_ERR_IO, "%s: cannot open the MNIST folder: %s", dir,
                         strerror (errno));
  if (!S_ISDIR (st.st_mode))
    return pb_error_set (err, PB_ERR_IO, "%s: not a folder, expected the folder of MNIST IDX files",
                         dir);
  status = mnist_load_split (dir, "train", &m.n_train, &m.train_images, &m.train_labels, err);
  if (status == PB_OK)
    status = mnist_load_split (dir, "t10k", &m.n_test, &m.test_images, &m.test_labels, err);
  if (status != PB_OK)
    {
      pb_mnist_clear (&m);
      return status;
    }
  *out = m;
  return PB_OK;
}

void
pb_mnist_clear (PbMnist *self)
{
  free (self->train_images);
  free (self->train_labels);
  free (self->test_images);
  free (self->test_labels);
  memset (self, 0, sizeof *self);
}
