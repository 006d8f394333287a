/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A run's data (pb-train-data.c) on the shipped MNIST: the augmented pool, every epoch's
 * training set (swap, re-pairing, translation, scale and shear) and the validation split. */

#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>

#include "pb-core.h"
#include "pb-session.h"
#include "train-check.h"

static void
test_augmentation_in_run (void)
{
  PbTrainSettings s;
  small_settings (&s, "siamese", 1);
  s.augment_deg = 0.0f;
  PbRun *plain = train (&s);
  g_assert_cmpint (pb_run_augmented_pairs (plain)->n, ==, 300);
  g_assert_null (pb_run_augment_angles (plain));

  s.augment_deg = 25.0f;
  PbRun *aug = train (&s);
  const PbPairs *a = pb_run_augmented_pairs (aug), *t = pb_run_train_pairs (aug);
  g_assert_cmpint (a->n, ==, 600);
  /* The originals come first and are the training pairs; then the rotated copies. */
  g_assert_cmpmem (a->images, 300 * PB_PAIR_FLOATS * sizeof (float), t->images,
                   300 * PB_PAIR_FLOATS * sizeof (float));
  g_assert_cmpmem (a->classes + 600, 600, t->classes, 600);
  for (int i = 0; i < 600; i++)
    {
      float angle = pb_run_augment_angles (aug)[i];
      g_assert_cmpfloat (fabsf (angle), <=, 25.0f);
    }
  /* Same pairs either way: augmentation draws from its own stream. */
  g_assert_cmpmem (t->images, 300 * PB_PAIR_FLOATS * sizeof (float),
                   pb_run_train_pairs (plain)->images, 300 * PB_PAIR_FLOATS * sizeof (float));
  pb_run_free (plain);
  pb_run_free (aug);
}

/* ---- per-epoch augmentation ------------------------------------------------------------ */

static void
class_counts (const PbPairs *p, int counts[10])
{
  memset (counts, 0, 10 * sizeof (int));
  for (int i = 0; i < 2 * p->n; i++)
    counts[p->classes[i]]++;
}

static void
test_swap (void)
{
  PbTrainSettings s;
  PbError err = { { 0 } };
  PbRun *run = NULL;
  PbPairs ep;

  small_settings (&s, "siamese", 2);
  s.swap = true;
  g_assert_cmpint (pb_run_new (&s, &mnist, &run, &err), ==, PB_OK);
  g_assert_true (pb_run_augments_per_epoch (run));
  const PbPairs *pool = pb_run_augmented_pairs (run);
  g_autofree PbAugmentInfo *info = g_new (PbAugmentInfo, pool->n);
  g_assert_cmpint (pb_run_epoch_pairs (run, 1, &ep, info, &err), ==, PB_OK);
  g_assert_cmpint (ep.n, ==, pool->n);

  int swapped = 0, flipped = 0, ties = 0;
  for (int p = 0; p < ep.n; p++)
    {
      int a = info[p].swapped ? 1 : 0;
      g_assert_cmpint (info[p].slot[0], ==, 2 * p + a);
      g_assert_cmpint (info[p].slot[1], ==, 2 * p + 1 - a);
      g_assert_cmpint (ep.classes[2 * p], ==, pool->classes[2 * p + a]);
      g_assert_cmpint (ep.classes[2 * p + 1], ==, pool->classes[2 * p + 1 - a]);
      g_assert_cmpmem (ep.images + (size_t) (2 * p) * PB_IMAGE_PIXELS,
                       PB_IMAGE_PIXELS * sizeof (float),
                       pool->images + (size_t) (2 * p + a) * PB_IMAGE_PIXELS,
                       PB_IMAGE_PIXELS * sizeof (float));
      bool tie = pool->classes[2 * p] == pool->classes[2 * p + 1];
      if (info[p].swapped && !tie)
        {
          /* A strict order reverses, so the label flips. */
          g_assert_cmpint (ep.labels[p], ==, 1 - pool->labels[p]);
          flipped++;
        }
      else if (info[p].swapped)
        {
          /* Equal digits: the first is not larger either way. */
          g_assert_cmpint (ep.labels[p], ==, 0);
          g_assert_cmpint (pool->labels[p], ==, 0);
          ties++;
        }
      else
        g_assert_cmpint (ep.labels[p], ==, pool->labels[p]);
      swapped += info[p].swapped;
    }
  g_test_message ("%d of %d pairs swapped, %d labels flipped, %d swapped ties", swapped, ep.n,
                  flipped, ties);
  g_assert_cmpint (swapped, >, ep.n / 3);
  g_assert_cmpint (swapped, <, 2 * ep.n / 3);
  g_assert_cmpint (ties, >, 0);
  pb_pairs_clear (&ep);
  pb_run_free (run);
}

static bool
contains (const int *items, int n, int x)
{
  for (int i = 0; i < n; i++)
    if (items[i] == x)
      return true;
  return false;
}

/* Re-pairing draws only from the run's training images (never a validation or test image),
 * keeps the class counts, changes every epoch and is reproducible; the run trains on exactly
 * what pb_run_epoch_pairs reproduces. */
static void
test_repair (void)
{
  PbTrainSettings s;
  PbError err = { { 0 } };
  PbRun *run = NULL;
  PbPairs ep[3], again;

  small_settings (&s, "siamese-aux", 3);
  s.repair = true;
  s.translate = 2;
  s.swap = true;
  s.val_pairs = 40;
  g_assert_cmpint (pb_run_new (&s, &mnist, &run, &err), ==, PB_OK);
  const PbPairs *train_part = pb_run_train_pairs (run), *val = pb_run_val_pairs (run);
  const PbPairs *pool = pb_run_augmented_pairs (run);
  const PbPairs *test = pb_run_test_pairs (run);
  int pool_counts[10], counts[10];
  g_autofree PbAugmentInfo *info = g_new (PbAugmentInfo, pool->n);
  g_assert_cmpint (train_part->n, ==, 260);
  g_assert_cmpint (pool->n, ==, 520);
  class_counts (pool, pool_counts);

  for (int e = 0; e < 3; e++)
    {
      int original = 0, rotated = 0, moved = 0;
      g_assert_cmpint (pb_run_epoch_pairs (run, e + 1, &ep[e], info, &err), ==, PB_OK);
      class_counts (&ep[e], counts);
      g_assert_cmpmem (counts, sizeof counts, pool_counts, sizeof pool_counts);
      for (int p = 0; p < ep[e].n; p++)
        {
          for (int h = 0; h < 2; h++)
            {
              int slot = info[p].slot[h], src = ep[e].source[2 * p + h];
              float expect[PB_IMAGE_PIXELS];
              g_assert_cmpint (slot, >=, 0);
              g_assert_cmpint (slot, <, 2 * pool->n);
              g_assert_cmpint (src, ==, pool->source[slot]);
              g_assert_cmpint (info[p].source[h], ==, src);
              g_assert_true (contains (train_part->source, 2 * train_part->n, src));
              g_assert_false (contains (val->source, 2 * val->n, src));
              g_assert_cmpint (ep[e].classes[2 * p + h], ==, pool->classes[slot]);
              g_assert_cmpint (abs (info[p].dx[h]), <=, 2);
              g_assert_cmpint (abs (info[p].dy[h]), <=, 2);
              pb_translate_image (pool->images + (size_t) slot * PB_IMAGE_PIXELS, expect,
                                  info[p].dx[h], info[p].dy[h]);
              g_assert_cmpmem (ep[e].images + (size_t) (2 * p + h) * PB_IMAGE_PIXELS,
                               sizeof expect, expect, sizeof expect);
              if (slot < 2 * train_part->n)
                {
                  g_assert_cmpfloat (info[p].angle[h], ==, 0.0f);
                  original++;
                }
              else
                {
                  g_assert_cmpfloat (info[p].angle[h], ==,
                                     pb_run_augment_angles (run)[slot - 2 * train_part->n]);
                  rotated++;
                }
              moved += info[p].dx[h] != 0 || info[p].dy[h] != 0;
            }
          g_assert_cmpint (ep[e].labels[p], ==,
                           pb_pair_label (ep[e].classes[2 * p], ep[e].classes[2 * p + 1]));
        }
      /* Every image of the pool once: the originals and the rotated copies. */
      g_assert_cmpint (original, ==, 520);
      g_assert_cmpint (rotated, ==, 520);
      g_assert_cmpint (moved, >, 520);
      /* The test pairs come from the other MNIST split; the indices may coincide, the images
       * do not. */
      g_assert_cmpint (test->n, ==, 200);

      g_assert_cmpint (pb_run_epoch_pairs (run, e + 1, &again, NULL, &err), ==, PB_OK);
      g_assert_cmpmem (again.images, (size_t) again.n * PB_PAIR_FLOATS * sizeof (float),
                       ep[e].images, (size_t) ep[e].n * PB_PAIR_FLOATS * sizeof (float));
      g_assert_cmpmem (again.labels, (size_t) again.n, ep[e].labels, (size_t) ep[e].n);
      pb_pairs_clear (&again);
    }
  g_assert_true (memcmp (ep[0].source, ep[1].source, 2 * 520 * sizeof (int)) != 0);
  g_assert_true (memcmp (ep[1].source, ep[2].source, 2 * 520 * sizeof (int)) != 0);

  /* What the run trains on, epoch by epoch, is what pb_run_epoch_pairs gives. */
  for (int e = 0; e < 3; e++)
    {
      g_assert_cmpint (pb_run_step (run, &err), ==, PB_OK);
      const PbPairs *cur = pb_run_current_pairs (run);
      g_assert_cmpint (cur->n, ==, ep[e].n);
      g_assert_cmpmem (cur->images, (size_t) cur->n * PB_PAIR_FLOATS * sizeof (float),
                       ep[e].images, (size_t) ep[e].n * PB_PAIR_FLOATS * sizeof (float));
      g_assert_cmpmem (cur->classes, 2 * (size_t) cur->n, ep[e].classes, 2 * (size_t) ep[e].n);
      g_assert_cmpmem (cur->labels, (size_t) cur->n, ep[e].labels, (size_t) ep[e].n);
      while (pb_run_n_epochs_done (run) == e)
        g_assert_cmpint (pb_run_step (run, &err), ==, PB_OK);
    }
  g_assert_true (pb_run_finished (run));
  g_assert_cmpint (pb_run_epoch_pairs (run, 0, &again, NULL, &err), ==, PB_ERR_INVALID);
  g_assert_cmpint (pb_run_epoch_pairs (run, 4, &again, NULL, &err), ==, PB_ERR_INVALID);
  for (int e = 0; e < 3; e++)
    pb_pairs_clear (&ep[e]);
  pb_run_free (run);
}

/* The held-out split: the drawn pairs' tail, never trained on, with its own errors; the
 * standardisation comes from the training part alone. */
static void
test_validation_split (void)
{
  PbTrainSettings s;
  PbError err = { { 0 } };
  PbPairs drawn, fit;
  double mean, std;

  small_settings (&s, "siamese-aux", 2);
  s.val_pairs = 50;
  s.repair = true;
  PbRun *run = train (&s);
  const PbPairs *t = pb_run_train_pairs (run), *v = pb_run_val_pairs (run);
  g_assert_cmpint (pb_run_draw_pairs (&s, &mnist, PB_SPLIT_TRAIN, &drawn, &err), ==, PB_OK);
  g_assert_cmpint (drawn.n, ==, 300);
  g_assert_cmpint (t->n, ==, 250);
  g_assert_cmpint (v->n, ==, 50);
  g_assert_cmpmem (v->images, 50 * PB_PAIR_FLOATS * sizeof (float),
                   drawn.images + (size_t) 250 * PB_PAIR_FLOATS, 50 * PB_PAIR_FLOATS * sizeof (float));
  g_assert_cmpmem (v->source, 100 * sizeof (int), drawn.source + 500, 100 * sizeof (int));
  g_assert_cmpmem (t->source, 500 * sizeof (int), drawn.source, 500 * sizeof (int));
  for (int i = 0; i < 100; i++)
    g_assert_false (contains (t->source, 500, v->source[i]));
  for (int e = 1; e <= 2; e++)
    {
      PbPairs ep;
      g_assert_cmpint (pb_run_epoch_pairs (run, e, &ep, NULL, &err), ==, PB_OK);
      for (int i = 0; i < 2 * ep.n; i++)
        g_assert_false (contains (v->source, 100, ep.source[i]));
      pb_pairs_clear (&ep);
    }

  fit = drawn;
  fit.n = 250;
  pb_pairs_pixel_stats (&fit, &mean, &std);
  g_assert_cmpfloat (pb_run_input_mean (run), ==, mean);
  g_assert_cmpfloat (pb_run_input_std (run), ==, std);

  PbEvaluation ev;
  g_assert_cmpint (pb_model_evaluate (pb_run_model (run), mean, std, v, &ev, &err), ==, PB_OK);
  for (int e = 0; e < 2; e++)
    {
      const PbEpochRecord *r = &pb_run_epochs (run)[e];
      g_assert_cmpfloat (r->val_error, >=, 0.0);
      g_assert_cmpfloat (r->val_error, <=, 1.0);
      g_assert_true (isfinite (r->val_digit_error));
    }
  g_assert_cmpfloat (pb_run_epochs (run)[1].val_error, ==, ev.error);
  g_assert_cmpfloat (pb_run_epochs (run)[1].val_digit_error, ==, ev.digit_error);

  /* Without a split, or on an epoch not evaluated, the validation errors are NaN. */
  s.val_pairs = 0;
  s.eval_every = 2;
  PbRun *none = train (&s);
  g_assert_true (isnan (pb_run_epochs (none)[0].val_error));
  g_assert_true (isnan (pb_run_epochs (none)[1].val_error));
  g_assert_true (isnan (pb_run_epochs (none)[1].val_digit_error));
  g_assert_true (isfinite (pb_run_epochs (none)[1].test_error));
  s.val_pairs = 50;
  PbRun *every2 = train (&s);
  g_assert_true (isnan (pb_run_epochs (every2)[0].val_error));
  g_assert_true (isfinite (pb_run_epochs (every2)[1].val_error));
  pb_pairs_clear (&drawn);
  pb_run_free (run);
  pb_run_free (none);
  pb_run_free (every2);
}

static void
test_deterministic_augmented (void)
{
  PbTrainSettings s;
  small_settings (&s, "siamese-aux", 3);
  s.schedule = PB_SCHEDULE_COSINE;
  s.weight_decay = 0.05f;
  s.translate = 1;
  s.swap = true;
  s.repair = true;
  s.val_pairs = 30;
  PbRun *a = train (&s), *b = train (&s);
  PbModel *ma = pb_run_model (a), *mb = pb_run_model (b);

  g_assert_cmpint (pb_run_n_batches_done (a), ==, pb_run_n_batches_done (b));
  for (int i = 0; i < pb_run_n_batches_done (a); i++)
    {
      const PbBatchRecord *x = &pb_run_batches (a)[i], *y = &pb_run_batches (b)[i];
      g_assert_cmpfloat (x->loss, ==, y->loss);
      g_assert_cmpfloat (x->main_loss, ==, y->main_loss);
      g_assert_cmpfloat (x->aux_loss, ==, y->aux_loss);
      g_assert_cmpfloat (x->lr, ==, y->lr);
    }
  for (int e = 0; e < 3; e++)
    {
      const PbEpochRecord *x = &pb_run_epochs (a)[e], *y = &pb_run_epochs (b)[e];
      g_assert_cmpfloat (x->train_loss, ==, y->train_loss);
      g_assert_cmpfloat (x->train_error, ==, y->train_error);
      g_assert_cmpfloat (x->test_error, ==, y->test_error);
      g_assert_cmpfloat (x->val_error, ==, y->val_error);
      g_assert_cmpfloat (x->val_digit_error, ==, y->val_digit_error);
    }
  g_assert_cmpmem (pb_model_params (ma), pb_model_param_count (ma) * sizeof (float),
                   pb_model_params (mb), pb_model_param_count (mb) * sizeof (float));

  /* The augmentations change the run, and leave the pairs drawn and the init alone. */
  s.translate = 0;
  s.swap = s.repair = false;
  PbRun *c = train (&s);
  g_assert_true (pb_run_batches (c)[0].loss != pb_run_batches (a)[0].loss);
  g_assert_cmpmem (pb_run_train_pairs (c)->source, 540 * sizeof (int),
                   pb_run_train_pairs (a)->source, 540 * sizeof (int));
  pb_run_free (a);
  pb_run_free (b);
  pb_run_free (c);
}

/* Scale and shear: drawn per image within their ranges, fresh each epoch, and every trained image
 * is its pool image warped by the recorded factors, then shifted. */
static void
test_scale_shear (void)
{
  PbTrainSettings s;
  PbError err = { { 0 } };
  PbRun *run = NULL;
  PbPairs e1 = { 0 }, e2 = { 0 };

  small_settings (&s, "siamese-aux", 2);
  s.scale = 0.1f;
  s.shear = 0.15f;
  s.translate = 1;
  g_assert_cmpint (pb_run_new (&s, &mnist, &run, &err), ==, PB_OK);
  g_assert_true (pb_run_augments_per_epoch (run));
  const PbPairs *pool = pb_run_augmented_pairs (run);
  PbAugmentInfo *i1 = g_new0 (PbAugmentInfo, pool->n), *i2 = g_new0 (PbAugmentInfo, pool->n);
  g_assert_cmpint (pb_run_epoch_pairs (run, 1, &e1, i1, &err), ==, PB_OK);
  g_assert_cmpint (pb_run_epoch_pairs (run, 2, &e2, i2, &err), ==, PB_OK);

  int scaled = 0, sheared = 0, differ = 0;
  for (int p = 0; p < e1.n; p++)
    for (int h = 0; h < 2; h++)
      {
        float warped[PB_IMAGE_PIXELS], want[PB_IMAGE_PIXELS], m[4];
        g_assert_cmpfloat (fabs (i1[p].scale[h] - 1.0f), <=, 0.1f);
        g_assert_cmpfloat (fabs (i1[p].shear[h]), <=, 0.15f);
        scaled += i1[p].scale[h] != 1.0f;
        sheared += i1[p].shear[h] != 0.0f;
        differ += i1[p].scale[h] != i2[p].scale[h];
        pb_scale_shear_matrix (i1[p].scale[h], i1[p].shear[h], m);
        pb_affine_image (pool->images + (size_t) i1[p].slot[h] * PB_IMAGE_PIXELS, warped, m);
        pb_translate_image (warped, want, i1[p].dx[h], i1[p].dy[h]);
        g_assert_cmpmem (want, sizeof want, e1.images + (size_t) (2 * p + h) * PB_IMAGE_PIXELS,
                         sizeof want);
      }
  g_assert_cmpint (scaled, ==, 2 * e1.n);
  g_assert_cmpint (sheared, ==, 2 * e1.n);
  g_assert_cmpint (differ, >, e1.n);

  /* Turned off, nothing is warped: the first epoch's images are the pool's, only shifted. */
  PbRun *plain = NULL;
  PbPairs e0 = { 0 };
  s.scale = s.shear = 0.0f;
  g_assert_cmpint (pb_run_new (&s, &mnist, &plain, &err), ==, PB_OK);
  g_assert_cmpint (pb_run_epoch_pairs (plain, 1, &e0, i2, &err), ==, PB_OK);
  for (int p = 0; p < e0.n; p++)
    g_assert_true (i2[p].scale[0] == 1.0f && i2[p].shear[1] == 0.0f);

  /* The settings survive the weights' metadata. */
  s.scale = 0.1f;
  s.shear = 0.15f;
  g_autofree char *dir = g_dir_make_tmp ("pb-scale-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "w.safetensors", NULL);
  PbModel *loaded = NULL;
  PbWeightsInfo info;
  g_assert_cmpint (pb_safetensors_save (path, pb_run_model (run), &s, 1.0, 2.0, &err), ==, PB_OK);
  g_assert_cmpint (pb_safetensors_load (path, 10, &loaded, &info, &err), ==, PB_OK);
  g_assert_cmpfloat (info.settings.scale, ==, 0.1f);
  g_assert_cmpfloat (info.settings.shear, ==, 0.15f);
  pb_model_free (loaded);
  g_unlink (path);
  g_rmdir (dir);

  s.scale = 0.6f;
  g_assert_cmpint (pb_train_settings_validate (&s, &err), ==, PB_ERR_INVALID);
  g_assert_nonnull (strstr (err.message, "--scale"));
  pb_pairs_clear (&e0);
  pb_pairs_clear (&e1);
  pb_pairs_clear (&e2);
  g_free (i1);
  g_free (i2);
  pb_run_free (plain);
  pb_run_free (run);
}

int
main (int argc, char **argv)
{
  train_check_init (&argc, &argv);
  g_test_add_func ("/core/train-data/augmentation", test_augmentation_in_run);
  g_test_add_func ("/core/train-data/swap", test_swap);
  g_test_add_func ("/core/train-data/repair", test_repair);
  g_test_add_func ("/core/train-data/validation-split", test_validation_split);
  g_test_add_func ("/core/train-data/deterministic-augmented", test_deterministic_augmented);
  g_test_add_func ("/core/train-data/scale-shear", test_scale_shear);
  return train_check_run ();
}
