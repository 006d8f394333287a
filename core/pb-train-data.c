/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A run's data: the drawn pairs, the validation split, the augmented pool and every epoch's
 * training set from it, and the buffers that pb_run_new allocates and pb_run_free frees. */
#include "pb-train-private.h"

#include <stdlib.h>
#include <string.h>

/* Independent PCG streams of the run's seed, so that changing one use of randomness (say the
 * augmentation angle) leaves the others (pairs, init, order) as they were. */
enum
{
  STREAM_TRAIN_PAIRS = 1,
  STREAM_TEST_PAIRS,
  STREAM_INIT,
  STREAM_AUGMENT,
  STREAM_SHUFFLE,
  STREAM_DROPOUT,
};
/* Epoch e's per-epoch augmentation uses stream STREAM_EPOCH + e, far from the ones above. */
#define STREAM_EPOCH ((uint64_t) 1 << 32)

PbStatus
pb_run_draw_pairs (const PbTrainSettings *settings, const PbMnist *mnist, PbSplit split,
                   PbPairs *out, PbError *err)
{
  PbRng rng;
  bool train = split == PB_SPLIT_TRAIN;

  pb_rng_seed (&rng, settings->seed, train ? STREAM_TRAIN_PAIRS : STREAM_TEST_PAIRS);
  return pb_pairs_generate (mnist, split, train ? settings->train_pairs : settings->test_pairs,
                            &rng, out, err);
}

/* Epoch e's (0-based) training set from the augmented pairs (the pool), the same whenever it is
 * built: the image slots, re-paired when asked; each pair swapped or not; each image shifted.
 * out: [n_aug] pairs, allocated  perm: [2 n_aug] scratch  info: NULL or [n_aug]. Allocates
 * nothing, so the training loop can call it. */
void
pb_run_build_epoch (const PbRun *self, int epoch, PbPairs *out, int *perm, PbAugmentInfo *info)
{
  const PbPairs *pool = &self->augmented;
  const int n = pool->n, n_orig_images = 2 * self->train.n, k = self->s.translate;
  PbRng rng;

  pb_rng_seed (&rng, self->s.seed, STREAM_EPOCH + (uint64_t) epoch);
  for (int i = 0; i < 2 * n; i++)
    perm[i] = i;
  if (self->s.repair)
    pb_rng_shuffle (&rng, perm, 2 * n);

  for (int p = 0; p < n; p++)
    {
      int slot[2] = { perm[2 * p], perm[2 * p + 1] };
      bool swapped = self->s.swap && pb_rng_below (&rng, 2) == 1;

      if (swapped)
        {
          int t = slot[0];
          slot[0] = slot[1];
          slot[1] = t;
        }
      for (int h = 0; h < 2; h++)
        {
          int dx = 0, dy = 0, o = 2 * p + h;
          const float *src = pool->images + (size_t) slot[h] * PB_IMAGE_PIXELS;
          float *dst = out->images + (size_t) o * PB_IMAGE_PIXELS;

          float scale = 1.0f, shear = 0.0f, warped[PB_IMAGE_PIXELS];

          /* Each draw happens only when its augmentation is on, so turning one on leaves the
           * others' random sequences as they were. */
          if (self->s.scale > 0.0f)
            scale = 1.0f + self->s.scale * (2.0f * (float) pb_rng_uniform (&rng) - 1.0f);
          if (self->s.shear > 0.0f)
            shear = self->s.shear * (2.0f * (float) pb_rng_uniform (&rng) - 1.0f);
          if (self->s.scale > 0.0f || self->s.shear > 0.0f)
            {
              float m[4];
              pb_scale_shear_matrix (scale, shear, m);
              pb_affine_image (src, warped, m);
              src = warped;
            }
          if (k > 0)
            {
              dx = (int) pb_rng_below (&rng, (uint32_t) (2 * k + 1)) - k;
              dy = (int) pb_rng_below (&rng, (uint32_t) (2 * k + 1)) - k;
            }
          if (dx == 0 && dy == 0)
            memcpy (dst, src, PB_IMAGE_PIXELS * sizeof (float));
          else
            pb_translate_image (src, dst, dx, dy);
          out->classes[o] = pool->classes[slot[h]];
          out->source[o] = pool->source[slot[h]];
          if (info != NULL)
            {
              info[p].slot[h] = slot[h];
              info[p].source[h] = out->source[o];
              info[p].angle[h] = slot[h] >= n_orig_images && self->angles != NULL
                                   ? self->angles[slot[h] - n_orig_images] : 0.0f;
              info[p].scale[h] = scale;
              info[p].shear[h] = shear;
              info[p].dx[h] = dx;
              info[p].dy[h] = dy;
            }
        }
      out->labels[p] = pb_pair_label (out->classes[2 * p], out->classes[2 * p + 1]);
      if (info != NULL)
        info[p].swapped = swapped;
    }
  out->n = n;
}

PbStatus
pb_run_epoch_pairs (const PbRun *run, int epoch, PbPairs *out, PbAugmentInfo *info,
                    PbError *err)
{
  PbStatus st;
  int *perm;

  memset (out, 0, sizeof *out);
  if (epoch < 1 || epoch > run->s.epochs)
    return pb_error_set (err, PB_ERR_INVALID, "epoch: expected 1–%d, got %d", run->s.epochs,
                         epoch);
  if ((st = pb_pairs_alloc (run->augmented.n, out, err)) != PB_OK)
    return st;
  perm = malloc ((size_t) run->augmented.n * 2 * sizeof (int) + 1);
  if (perm == NULL)
    {
      pb_pairs_clear (out);
      return pb_error_set (err, PB_ERR_NOMEM, "out of memory for epoch %d's pairs", epoch);
    }
  pb_run_build_epoch (run, epoch - 1, out, perm, info);
  free (perm);
  return PB_OK;
}

void
pb_run_free (PbRun *self)
{
  if (self == NULL)
    return;
  pb_pairs_clear (&self->train);
  pb_pairs_clear (&self->val);
  pb_pairs_clear (&self->test);
  pb_pairs_clear (&self->augmented);
  pb_pairs_clear (&self->current);
  pb_model_free (self->model);
  free (self->angles);
  if (self->orig_x != self->train_x)
    free (self->orig_x);
  free (self->train_x);
  free (self->val_x);
  free (self->test_x);
  free (self->order);
  free (self->pool_perm);
  free (self->batch_x);
  free (self->batch_classes);
  free (self->eval_pred);
  free (self->eval_digits);
  free (self->epochs);
  free (self->batches);
  free (self);
}

PbStatus
pb_run_new (const PbTrainSettings *settings, const PbMnist *mnist, PbRun **out, PbError *err)
{
  PbRun *self;
  PbStatus st;
  PbRng rng;

  *out = NULL;
  if ((st = pb_train_settings_validate (settings, err)) != PB_OK)
    return st;
  if (2 * settings->train_pairs > mnist->n_train)
    return pb_error_set (err, PB_ERR_INVALID,
                         "--pairs: %d training pairs need %d images, the training set has %d",
                         settings->train_pairs, 2 * settings->train_pairs, mnist->n_train);
  if (2 * settings->test_pairs > mnist->n_test)
    return pb_error_set (err, PB_ERR_INVALID,
                         "--test-pairs: %d test pairs need %d images, the test set has %d",
                         settings->test_pairs, 2 * settings->test_pairs, mnist->n_test);

  self = calloc (1, sizeof *self);
  if (self == NULL)
    return pb_error_set (err, PB_ERR_NOMEM, "out of memory creating a run");
  self->s = *settings;

  if ((st = pb_run_draw_pairs (settings, mnist, PB_SPLIT_TRAIN, &self->train, err)) != PB_OK
      || (st = pb_run_draw_pairs (settings, mnist, PB_SPLIT_TEST, &self->test, err)) != PB_OK)
    goto fail;
  /* The validation split is the tail of the drawn pairs; train keeps its (larger) buffers. */
  int n_val = settings->val_pairs, n_fit = settings->train_pairs - n_val;
  if ((st = pb_pairs_alloc (n_val, &self->val, err)) != PB_OK)
    goto fail;
  memcpy (self->val.images, self->train.images + (size_t) n_fit * PB_PAIR_FLOATS,
          (size_t) n_val * PB_PAIR_FLOATS * sizeof (float));
  memcpy (self->val.classes, self->train.classes + 2 * (size_t) n_fit, 2 * (size_t) n_val);
  memcpy (self->val.labels, self->train.labels + n_fit, (size_t) n_val);
  memcpy (self->val.source, self->train.source + 2 * (size_t) n_fit,
          2 * (size_t) n_val * sizeof (int));
  self->train.n = n_fit;
  pb_pairs_pixel_stats (&self->train, &self->mean, &self->std);
  if (!(self->std > 0.0))
    self->std = 1.0;

  if (settings->augment_deg > 0.0f)
    {
      self->angles = malloc ((size_t) self->train.n * 2 * sizeof (float));
      if (self->angles == NULL)
        {
          st = pb_error_set (err, PB_ERR_NOMEM, "out of memory for augmentation angles");
          goto fail;
        }
      pb_rng_seed (&rng, settings->seed, STREAM_AUGMENT);
      if ((st = pb_pairs_augment_rotate (&self->train, settings->augment_deg, &rng,
                                         &self->augmented, self->angles, err)) != PB_OK)
        goto fail;
    }
  else
    {
      if ((st = pb_pairs_alloc (self->train.n, &self->augmented, err)) != PB_OK)
        goto fail;
      memcpy (self->augmented.images, self->train.images,
              (size_t) self->train.n * PB_PAIR_FLOATS * sizeof (float));
      memcpy (self->augmented.classes, self->train.classes, (size_t) self->train.n * 2);
      memcpy (self->augmented.labels, self->train.labels, (size_t) self->train.n);
      memcpy (self->augmented.source, self->train.source, (size_t) self->train.n * 2 * sizeof (int));
    }

  int n_aug = self->augmented.n;
  int n_eval = n_fit > settings->test_pairs ? n_fit : settings->test_pairs;
  self->per_epoch = settings->translate > 0 || settings->scale > 0.0f || settings->shear > 0.0f
                    || settings->swap || settings->repair;
  self->batches_per_epoch = (n_aug + settings->batch - 1) / settings->batch;
  self->total_steps = (long) settings->epochs * self->batches_per_epoch;
  self->train_x = malloc ((size_t) n_aug * PB_PAIR_FLOATS * sizeof (float));
  self->test_x = malloc ((size_t) self->test.n * PB_PAIR_FLOATS * sizeof (float));
  self->order = malloc ((size_t) n_aug * sizeof (int));
  self->pool_perm = malloc ((size_t) n_aug * 2 * sizeof (int));
  if (n_val > 0 && (self->val_x = malloc ((size_t) n_val * PB_PAIR_FLOATS * sizeof (float))) == NULL)
    {
      st = pb_error_set (err, PB_ERR_NOMEM, "out of memory for the validation pairs");
      goto fail;
    }
  if (self->per_epoch)
    {
      if ((st = pb_pairs_alloc (n_aug, &self->current, err)) != PB_OK)
        goto fail;
      if ((self->orig_x = malloc ((size_t) n_fit * PB_PAIR_FLOATS * sizeof (float))) == NULL)
        {
          st = pb_error_set (err, PB_ERR_NOMEM, "out of memory for the training pairs");
          goto fail;
        }
    }
  self->batch_x = malloc ((size_t) settings->batch * PB_PAIR_FLOATS * sizeof (float));
  self->batch_classes = malloc ((size_t) settings->batch * 3);
  self->eval_pred = malloc ((size_t) n_eval);
  self->eval_digits = malloc ((size_t) n_eval * 2);
  self->epochs = calloc ((size_t) settings->epochs, sizeof (PbEpochRecord));
  self->batches = calloc ((size_t) settings->epochs * (size_t) self->batches_per_epoch,
                          sizeof (PbBatchRecord));
  if (self->train_x == NULL || self->test_x == NULL || self->order == NULL
      || self->pool_perm == NULL || self->batch_x == NULL || self->batch_classes == NULL || self->eval_pred == NULL
      || self->eval_digits == NULL || self->epochs == NULL || self->batches == NULL)
    {
      st = pb_error_set (err, PB_ERR_NOMEM, "out of memory allocating the run's buffers");
      goto fail;
    }
  self->batch_labels = self->batch_classes + 2 * settings->batch;
  standardise (&self->test, self->mean, self->std, self->test_x);
  if (n_val > 0)
    standardise (&self->val, self->mean, self->std, self->val_x);
  if (self->per_epoch)
    {
      standardise (&self->train, self->mean, self->std, self->orig_x);
      pb_run_build_epoch (self, 0, &self->current, self->pool_perm, NULL);
      standardise (&self->current, self->mean, self->std, self->train_x);
    }
  else
    {
      standardise (&self->augmented, self->mean, self->std, self->train_x);
      self->orig_x = self->train_x;
    }
  for (int i = 0; i < n_aug; i++)
    self->order[i] = i;

  if ((st = pb_model_new (&settings->arch, settings->batch, &self->model, err)) != PB_OK)
    goto fail;
  pb_rng_seed (&rng, settings->seed, STREAM_INIT);
  pb_model_init (self->model, &rng);
  pb_rng_seed (&self->shuffle_rng, settings->seed, STREAM_SHUFFLE);
  pb_rng_seed (&self->dropout_rng, settings->seed, STREAM_DROPOUT);

  self->base_lr = settings->lr;
  self->adam.lr = settings->lr;
  self->adam.beta1 = settings->beta1;
  self->adam.beta2 = settings->beta2;
  self->adam.eps = settings->adam_eps;
  self->adam.weight_decay = settings->weight_decay;
  self->started = -1.0;
  *out = self;
  return PB_OK;

fail:
  pb_run_free (self);
  return st;
}
