/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "pb-data.h"

#include <assert.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define IMAGE_CENTRE 6.5

uint8_t
pb_pair_label (uint8_t first, uint8_t second)
{
  return first > second ? 1 : 0;
}

PbStatus
pb_pairs_alloc (int n, PbPairs *out, PbError *err)
{
  memset (out, 0, sizeof *out);
  if (n < 0 || n > INT_MAX / 2)
    return pb_error_set (err, PB_ERR_INVALID, "pair count %d is out of range, expected 0 to %d",
                         n, INT_MAX / 2);

  /* At least one element each, so that NULL always means failure. */
  size_t pairs = n > 0 ? (size_t) n : 1;
  out->images = malloc (sizeof (float) * PB_PAIR_FLOATS * pairs);
  out->classes = malloc (2 * pairs);
  out->labels = malloc (pairs);
  out->source = malloc (sizeof (int) * 2 * pairs);
  if (out->images == NULL || out->classes == NULL || out->labels == NULL || out->source == NULL)
    {
      pb_pairs_clear (out);
      return pb_error_set (err, PB_ERR_NOMEM, "cannot allocate %d pairs (%zu MiB)", n,
                           (sizeof (float) * PB_PAIR_FLOATS * pairs) >> 20);
    }
  out->n = n;
  return PB_OK;
}

void
pb_pairs_clear (PbPairs *self)
{
  free (self->images);
  free (self->classes);
  free (self->labels);
  free (self->source);
  memset (self, 0, sizeof *self);
}

PbStatus
pb_pairs_generate (const PbMnist *mnist, PbSplit split, int n, PbRng *rng, PbPairs *out,
                   PbError *err)
{
  const bool train = split == PB_SPLIT_TRAIN;
  const int total = train ? mnist->n_train : mnist->n_test;
  const float *images = train ? mnist->train_images : mnist->test_images;
  const uint8_t *labels = train ? mnist->train_labels : mnist->test_labels;
  PbStatus status;

  memset (out, 0, sizeof *out);
  if (n < 0 || n > total / 2)
    return pb_error_set (err, PB_ERR_INVALID,
                         "%d pairs need %lld distinct images, the %s split has %d",
                         n, 2LL * n, train ? "train" : "test", total);

  status = pb_pairs_alloc (n, out, err);
  if (status != PB_OK)
    return status;
  int *perm = malloc (sizeof (int) * (size_t) (total > 0 ? total : 1));
  if (perm == NULL)
    {
      pb_pairs_clear (out);
      return pb_error_set (err, PB_ERR_NOMEM, "cannot allocate a permutation of %d images",
                           total);
    }
  for (int i = 0; i < total; i++)
    perm[i] = i;
  for (int i = 0; i < 2 * n; i++)
    {
      int j = i + (int) pb_rng_below (rng, (uint32_t) (total - i));
      int t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
    }

  for (int i = 0; i < n; i++)
    {
      for (int k = 0; k < 2; k++)
        {
          int src = perm[2 * i + k];
          out->source[2 * i + k] = src;
          out->classes[2 * i + k] = labels[src];
          memcpy (out->images + (size_t) (2 * i + k) * PB_IMAGE_PIXELS,
                  images + (size_t) src * PB_IMAGE_PIXELS, sizeof (float) * PB_IMAGE_PIXELS);
        }
      out->labels[i] = pb_pair_label (out->classes[2 * i], out->classes[2 * i + 1]);
    }
  free (perm);
  return PB_OK;
}

void
pb_pairs_pixel_stats (const PbPairs *pairs, double *mean, double *std)
{
  const size_t count = (size_t) pairs->n * PB_PAIR_FLOATS;
  double sum = 0.0, sq = 0.0;

  if (count == 0)
    {
      *mean = 0.0;
      *std = 0.0;
      return;
    }
  for (size_t i = 0; i < count; i++)
    sum += pairs->images[i];
  double m = sum / (double) count;
  /* Two passes: E[x²] − m² loses digits to cancellation when the std is small against the mean. */
  for (size_t i = 0; i < count; i++)
    {
      double d = pairs->images[i] - m;
      sq += d * d;
    }
  *mean = m;
  *std = count > 1 ? sqrt (sq / (double) (count - 1)) : 0.0;
}

static float
image_at (const float *img, int r, int c)
{
  if (r < 0 || r >= PB_IMAGE_SIDE || c < 0 || c >= PB_IMAGE_SIDE)
    return 0.0f;
  return img[r * PB_IMAGE_SIDE + c];
}

/* With row 0 at the top, the screen's y axis points down, so a counter-clockwise turn on screen
 * is a clockwise one in (column, row) coordinates. Each output pixel samples the input at the
 * inverse turn: c' = cx + cosθ·dx − sinθ·dy, r' = cy + sinθ·dx + cosθ·dy. */
void
pb_rotate_image (const float *in, float *out, float degrees)
{
  assert (in != out);
  const double theta = (double) degrees * (M_PI / 180.0);
  const double cs = cos (theta), sn = sin (theta);

  for (int r = 0; r < PB_IMAGE_SIDE; r++)
    for (int c = 0; c < PB_IMAGE_SIDE; c++)
      {
        double dx = c - IMAGE_CENTRE, dy = r - IMAGE_CENTRE;
        double sc = IMAGE_CENTRE + cs * dx - sn * dy;
        double sr = IMAGE_CENTRE + sn * dx + cs * dy;
        double fr0 = floor (sr), fc0 = floor (sc);
        double fr = sr - fr0, fc = sc - fc0;
        int r0 = (int) fr0, c0 = (int) fc0;
        double top = (1.0 - fc) * image_at (in, r0, c0) + fc * image_at (in, r0, c0 + 1);
        double bottom = (1.0 - fc) * image_at (in, r0 + 1, c0) + fc * image_at (in, r0 + 1, c0 + 1);
        out[r * PB_IMAGE_SIDE + c] = (float) ((1.0 - fr) * top + fr * bottom);
      }
}

void
pb_affine_image (const float *in, float *out, const float m[4])
{
  assert (in != out);
  for (int r = 0; r < PB_IMAGE_SIDE; r++)
    for (int c = 0; c < PB_IMAGE_SIDE; c++)
      {
        double dx = c - IMAGE_CENTRE, dy = r - IMAGE_CENTRE;
        double sc = IMAGE_CENTRE + m[0] * dx + m[1] * dy;
        double sr = IMAGE_CENTRE + m[2] * dx + m[3] * dy;
        double fr0 = floor (sr), fc0 = floor (sc);
        double fr = sr - fr0, fc = sc - fc0;
        int r0 = (int) fr0, c0 = (int) fc0;
        double top = (1.0 - fc) * image_at (in, r0, c0) + fc * image_at (in, r0, c0 + 1);
        double bottom = (1.0 - fc) * image_at (in, r0 + 1, c0) + fc * image_at (in, r0 + 1, c0 + 1);
        out[r * PB_IMAGE_SIDE + c] = (float) ((1.0 - fr) * top + fr * bottom);
      }
}

void
pb_scale_shear_matrix (float s, float h, float m[4])
{
  /* the inverse of s·[1 h; 0 1]: where each output pixel reads the input */
  m[0] = 1.0f / s;
  m[1] = -h / s;
  m[2] = 0.0f;
  m[3] = 1.0f / s;
}

void
pb_translate_image (const float *in, float *out, int dx, int dy)
{
  assert (in != out);
  for (int r = 0; r < PB_IMAGE_SIDE; r++)
    for (int c = 0; c < PB_IMAGE_SIDE; c++)
      out[r * PB_IMAGE_SIDE + c] = image_at (in, r - dy, c - dx);
}

PbStatus
pb_pairs_augment_rotate (const PbPairs *in, float max_degrees, PbRng *rng, PbPairs *out,
                         float *angles, PbError *err)
{
  PbStatus status;
  const int n = in->n;

  assert (in != out);
  memset (out, 0, sizeof *out);
  if (!(max_degrees >= 0.0f && max_degrees <= 180.0f))
    return pb_error_set (err, PB_ERR_INVALID,
                         "rotation range ±%g degrees is out of range, expected 0 to 180",
                         (double) max_degrees);
  if (n > INT_MAX / 4)
    return pb_error_set (err, PB_ERR_INVALID, "%d pairs are too many to double", n);

  status = pb_pairs_alloc (2 * n, out, err);
  if (status != PB_OK)
    return status;

  const size_t floats = (size_t) n * PB_PAIR_FLOATS;
  for (int copy = 0; copy < 2; copy++)
    {
      memcpy (out->classes + 2 * (size_t) n * copy, in->classes, 2 * (size_t) n);
      memcpy (out->labels + (size_t) n * copy, in->labels, (size_t) n);
      memcpy (out->source + 2 * (size_t) n * copy, in->source, sizeof (int) * 2 * (size_t) n);
    }
  memcpy (out->images, in->images, sizeof (float) * floats);

  /* The angles are drawn even when the range is 0, so the stream after this call does not
   * depend on the setting. */
  for (size_t i = 0; i < 2 * (size_t) n; i++)
    {
      float angle = (2.0f * pb_rng_uniform (rng) - 1.0f) * max_degrees;
      if (max_degrees == 0.0f)
        angle = 0.0f;
      const float *src = in->images + i * PB_IMAGE_PIXELS;
      float *dst = out->images + floats + i * PB_IMAGE_PIXELS;
      pb_rotate_image (src, dst, angle);
      if (angles != NULL)
        angles[i] = angle;
    }
  return PB_OK;
}
