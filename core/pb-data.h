/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* MNIST loading, digit pairs as the course's generate_pair_sets makes them, the report's
 * rotation augmentation and the per-image primitives of the other augmentations. */

#include <stdbool.h>
#include <stdint.h>

#include "pb-rng.h"
#include "pb-status.h"

#define PB_IMAGE_SIDE 14
#define PB_IMAGE_PIXELS (PB_IMAGE_SIDE * PB_IMAGE_SIDE)
#define PB_PAIR_FLOATS (2 * PB_IMAGE_PIXELS)

/* An IDX array as read from disk: unsigned bytes (type 0x08) or float32 (0x0D), host order. */
typedef struct
{
  uint8_t type;
  int ndim;
  uint32_t dims[4];
  size_t count;   /* product of dims */
  void *data;     /* uint8_t[count] or float[count] */
} PbIdx;

/* Reads plain or gzip-compressed IDX (zlib detects which). */
PbStatus pb_idx_read (const char *path, PbIdx *out, PbError *err);
void     pb_idx_clear (PbIdx *self);
/* Writes a temporary file beside path, then renames it over path. */
PbStatus pb_idx_write_u8 (const char *path, int ndim, const uint32_t *dims, const uint8_t *data,
                          PbError *err);
PbStatus pb_idx_write_f32 (const char *path, int ndim, const uint32_t *dims, const float *data,
                           PbError *err);

/* Both MNIST splits, already average-pooled to 14×14 on the 0–255 scale. */
typedef struct
{
  int n_train;
  int n_test;
  float *train_images;   /* [n_train, 14, 14] */
  uint8_t *train_labels; /* [n_train] */
  float *test_images;    /* [n_test, 14, 14] */
  uint8_t *test_labels;  /* [n_test] */
} PbMnist;

/* Looks in dir for train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and
 * t10k-labels-idx1-ubyte, each plain or with .gz (also the "train-images.idx3-ubyte" spelling). */
PbStatus pb_mnist_load (const char *dir, PbMnist *out, PbError *err);
void     pb_mnist_clear (PbMnist *self);
/* 28×28 bytes → 14×14 floats by 2×2 averaging. in: [n, 28, 28]  out: [n, 14, 14] */
void     pb_pool_28_to_14 (int n, const uint8_t *in, float *out);

typedef enum
{
  PB_SPLIT_TRAIN,
  PB_SPLIT_TEST,
} PbSplit;

typedef struct
{
  int n;
  float *images;    /* [n, 2, 14, 14], 0–255 scale */
  uint8_t *classes; /* [n, 2] */
  uint8_t *labels;  /* [n], 1 when the first digit is larger */
  int *source;      /* [n, 2], index of each image in its MNIST split */
} PbPairs;

/* Draws 2n distinct images of the split (a partial Fisher–Yates permutation), pairs them in
 * order. Fails if 2n exceeds the split. */
PbStatus pb_pairs_generate (const PbMnist *mnist, PbSplit split, int n, PbRng *rng,
                            PbPairs *out, PbError *err);
PbStatus pb_pairs_alloc (int n, PbPairs *out, PbError *err);
void     pb_pairs_clear (PbPairs *self);
uint8_t  pb_pair_label (uint8_t first, uint8_t second);

/* Pixel mean and sample std (n − 1, as torch.Tensor.std and the course's code) over every pixel
 * of every image in the set. */
void pb_pairs_pixel_stats (const PbPairs *pairs, double *mean, double *std);

/* Bilinear rotation about the image centre (6.5, 6.5), zero fill; positive degrees turn the
 * digit counter-clockwise as displayed (row 0 at the top). in, out: [14, 14], must not alias. */
void pb_rotate_image (const float *in, float *out, float degrees);

/* Bilinear affine warp about the image centre (6.5, 6.5), zero fill: output pixel (r, c) reads
 * the input at centre + m · (c − 6.5, r − 6.5), m = {m00, m01, m10, m11} mapping output offsets
 * (x right, y down) to input offsets. in, out: [14, 14], must not alias. */
void pb_affine_image (const float *in, float *out, const float m[4]);
/* The m for pb_affine_image that scales the digit by s about the centre and shears it
 * horizontally by h (a point (x, y) of the digit moves to (s·(x + h·y), s·y)). */
void pb_scale_shear_matrix (float s, float h, float m[4]);

/* Integer shift with zero fill: out[r, c] = in[r − dy, c − dx], so a positive dx moves the digit
 * right and a positive dy moves it down; what leaves the frame is lost.
 * in, out: [14, 14], must not alias. */
void pb_translate_image (const float *in, float *out, int dx, int dy);

/* out gets 2n pairs: the n originals, then each pair again with both images rotated on their
 * own by a uniform angle in ±max_degrees. Classes, labels and sources are copied.
 * angles (optional, [n, 2]) receives the angles drawn. */
PbStatus pb_pairs_augment_rotate (const PbPairs *in, float max_degrees, PbRng *rng,
                                  PbPairs *out, float *angles, PbError *err);
