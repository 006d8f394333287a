/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <glib.h>
#include <locale.h>
#include <math.h>
#include <string.h>

#include "pb-data.h"
#include "data-check.h"

/* ---- pairs ------------------------------------------------------------------------------- */

/* 1000 training images whose pixels encode their index, classes i*7 mod 10. */
static void
fake_mnist (PbMnist *m, int n_train)
{
  memset (m, 0, sizeof *m);
  m->n_train = n_train;
  m->n_test = 10;
  m->train_images = g_new (float, (size_t) n_train * PB_IMAGE_PIXELS);
  m->train_labels = g_new (uint8_t, n_train);
  m->test_images = g_new0 (float, 10 * PB_IMAGE_PIXELS);
  m->test_labels = g_new0 (uint8_t, 10);
  for (int i = 0; i < n_train; i++)
    {
      m->train_labels[i] = (uint8_t) ((i * 7) % 10);
      for (int p = 0; p < PB_IMAGE_PIXELS; p++)
        m->train_images[(size_t) i * PB_IMAGE_PIXELS + p] = (float) (i + p);
    }
}

static void
fake_mnist_free (PbMnist *m)
{
  g_free (m->train_images);
  g_free (m->train_labels);
  g_free (m->test_images);
  g_free (m->test_labels);
}

static void
test_pairs_label_rule (void)
{
  for (int a = 0; a < 10; a++)
    for (int b = 0; b < 10; b++)
      g_assert_cmpint (pb_pair_label ((uint8_t) a, (uint8_t) b), ==, a > b ? 1 : 0);
  g_assert_cmpint (pb_pair_label (4, 4), ==, 0);
  g_assert_cmpint (pb_pair_label (9, 0), ==, 1);
  g_assert_cmpint (pb_pair_label (0, 9), ==, 0);
}

static void
test_pairs_generate (void)
{
  PbMnist m;
  PbPairs a, b, c;
  PbRng rng;
  PbError err = { { 0 } };
  const int n = 400;
  fake_mnist (&m, 1000);

  pb_rng_seed (&rng, 42, 1);
  g_assert_cmpint (pb_pairs_generate (&m, PB_SPLIT_TRAIN, n, &rng, &a, &err), ==, PB_OK);
  g_assert_cmpint (a.n, ==, n);
  g_autofree gboolean *used = g_new0 (gboolean, 1000);
  int ties = 0, ones = 0;
  for (int i = 0; i < n; i++)
    {
      for (int k = 0; k < 2; k++)
        {
          int src = a.source[2 * i + k];
          g_assert_cmpint (src, >=, 0);
          g_assert_cmpint (src, <, 1000);
          g_assert_false (used[src]);
          used[src] = TRUE;
          g_assert_cmpint (a.classes[2 * i + k], ==, m.train_labels[src]);
          g_assert_cmpmem (a.images + (size_t) (2 * i + k) * PB_IMAGE_PIXELS,
                           sizeof (float) * PB_IMAGE_PIXELS,
                           m.train_images + (size_t) src * PB_IMAGE_PIXELS,
                           sizeof (float) * PB_IMAGE_PIXELS);
        }
      uint8_t c0 = a.classes[2 * i], c1 = a.classes[2 * i + 1];
      g_assert_cmpint (a.labels[i], ==, c0 > c1 ? 1 : 0);
      ties += c0 == c1;
      ones += a.labels[i];
      if (c0 == c1)
        g_assert_cmpint (a.labels[i], ==, 0);
    }
  g_test_message ("%d pairs: %d labelled 1, %d ties", n, ones, ties);
  g_assert_cmpint (ties, >, 0);
  g_assert_cmpint (ones, >, n / 4);

  pb_rng_seed (&rng, 42, 1);
  g_assert_cmpint (pb_pairs_generate (&m, PB_SPLIT_TRAIN, n, &rng, &b, &err), ==, PB_OK);
  g_assert_cmpmem (a.source, sizeof (int) * 2 * n, b.source, sizeof (int) * 2 * n);
  g_assert_cmpmem (a.images, sizeof (float) * PB_PAIR_FLOATS * n,
                   b.images, sizeof (float) * PB_PAIR_FLOATS * n);
  g_assert_cmpmem (a.labels, n, b.labels, n);

  pb_rng_seed (&rng, 43, 1);
  g_assert_cmpint (pb_pairs_generate (&m, PB_SPLIT_TRAIN, n, &rng, &c, &err), ==, PB_OK);
  int same = 0;
  for (int i = 0; i < 2 * n; i++)
    same += a.source[i] == c.source[i];
  g_assert_cmpint (same, <, n / 10);
  pb_pairs_clear (&a);
  pb_pairs_clear (&b);
  pb_pairs_clear (&c);

  /* Every image used exactly once when 2n is the whole split. */
  g_assert_cmpint (pb_pairs_generate (&m, PB_SPLIT_TRAIN, 500, &rng, &a, &err), ==, PB_OK);
  memset (used, 0, sizeof (gboolean) * 1000);
  for (int i = 0; i < 1000; i++)
    {
      g_assert_false (used[a.source[i]]);
      used[a.source[i]] = TRUE;
    }
  pb_pairs_clear (&a);

  g_assert_cmpint (pb_pairs_generate (&m, PB_SPLIT_TRAIN, 501, &rng, &a, &err), ==,
                   PB_ERR_INVALID);
  g_test_message ("%s", err.message);
  g_assert_null (a.images);
  g_assert_cmpint (pb_pairs_generate (&m, PB_SPLIT_TEST, 6, &rng, &a, &err), ==,
                   PB_ERR_INVALID);
  g_assert_cmpint (pb_pairs_generate (&m, PB_SPLIT_TEST, 5, &rng, &a, &err), ==, PB_OK);
  for (int i = 0; i < 10; i++)
    g_assert_cmpint (a.source[i], <, 10);
  pb_pairs_clear (&a);
  fake_mnist_free (&m);
}

static void
test_pairs_stats (void)
{
  PbPairs p;
  PbError err = { { 0 } };
  double mean, std;
  g_assert_cmpint (pb_pairs_alloc (2, &p, &err), ==, PB_OK);
  /* Half the pixels 0, half 200 → mean 100, sample std 100·sqrt(n / (n − 1)). */
  for (int i = 0; i < 2 * PB_PAIR_FLOATS; i++)
    p.images[i] = i % 2 ? 200.0f : 0.0f;
  pb_pairs_pixel_stats (&p, &mean, &std);
  g_assert_cmpfloat_with_epsilon (mean, 100.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (std, 100.0 * sqrt (4.0 * PB_IMAGE_PIXELS
                                                     / (4.0 * PB_IMAGE_PIXELS - 1.0)), 1e-12);
  pb_pairs_clear (&p);
}

/* ---- augmentation ------------------------------------------------------------------------ */

static void
asymmetric_image (float *img)
{
  for (int i = 0; i < PB_IMAGE_PIXELS; i++)
    img[i] = (float) (i * 13 % 97) + 1.0f;
}

static void
test_rotate_identity (void)
{
  float in[PB_IMAGE_PIXELS], out[PB_IMAGE_PIXELS];
  asymmetric_image (in);
  pb_rotate_image (in, out, 0.0f);
  g_assert_cmpmem (in, sizeof in, out, sizeof out);
  pb_rotate_image (in, out, -0.0f);
  g_assert_cmpmem (in, sizeof in, out, sizeof out);
  pb_rotate_image (in, out, 360.0f);
  for (int i = 0; i < PB_IMAGE_PIXELS; i++)
    g_assert_cmpfloat_with_epsilon (out[i], in[i], 1e-3);
}

static void
test_rotate_quarter (void)
{
  float in[PB_IMAGE_PIXELS], out[PB_IMAGE_PIXELS];
  asymmetric_image (in);

  /* Counter-clockwise on screen: what was in the top-right corner ends up in the top-left,
   * i.e. out[r][c] = in[c][13 − r]. */
  pb_rotate_image (in, out, 90.0f);
  for (int r = 0; r < 14; r++)
    for (int c = 0; c < 14; c++)
      g_assert_cmpfloat_with_epsilon (out[r * 14 + c], in[c * 14 + (13 - r)], 1e-3);

  pb_rotate_image (in, out, -90.0f);
  for (int r = 0; r < 14; r++)
    for (int c = 0; c < 14; c++)
      g_assert_cmpfloat_with_epsilon (out[r * 14 + c], in[(13 - c) * 14 + r], 1e-3);

  /* A single bright pixel near the top-right: +90° must bring it to the top-left. */
  float dot[PB_IMAGE_PIXELS] = { 0 };
  dot[1 * 14 + 12] = 1.0f;
  pb_rotate_image (dot, out, 90.0f);
  g_assert_cmpfloat_with_epsilon (out[1 * 14 + 1], 1.0, 1e-5);
  pb_rotate_image (dot, out, 180.0f);
  g_assert_cmpfloat_with_epsilon (out[12 * 14 + 1], 1.0, 1e-5);
}

static double
image_mass (const float *img)
{
  double s = 0.0;
  for (int i = 0; i < PB_IMAGE_PIXELS; i++)
    s += img[i];
  return s;
}

static void
test_rotate_mass (void)
{
  PbMnist m;
  PbError err = { { 0 } };
  float out[PB_IMAGE_PIXELS];
  double worst = 0.0;

  if (pb_mnist_load (data_dir (), &m, &err) != PB_OK)
    g_error ("%s", err.message);
  for (int i = 0; i < 200; i++)
    for (int sign = -1; sign <= 1; sign += 2)
      {
        const float *img = m.test_images + (size_t) i * PB_IMAGE_PIXELS;
        pb_rotate_image (img, out, sign * 10.0f);
        double rel = fabs (image_mass (out) / image_mass (img) - 1.0);
        worst = MAX (worst, rel);
      }
  g_test_message ("worst relative change of mass over 200 digits at ±10°: %.4f", worst);
  g_assert_cmpfloat (worst, <, 0.03);
  pb_mnist_clear (&m);
}

/* Every pixel moves by (dx, dy) exactly; the digit keeps its mass except what leaves the frame,
 * and what comes in is zero. */
static void
test_translate (void)
{
  PbMnist m;
  PbError err = { { 0 } };
  float out[PB_IMAGE_PIXELS];
  int clipped = 0;

  if (pb_mnist_load (data_dir (), &m, &err) != PB_OK)
    g_error ("%s", err.message);
  for (int i = 0; i < 40; i++)
    for (int dy = -3; dy <= 3; dy++)
      for (int dx = -3; dx <= 3; dx++)
        {
          const float *img = m.train_images + (size_t) i * PB_IMAGE_PIXELS;
          double kept = 0.0;

          /* The input pixels whose destination stays inside, in row-major order: the same
           * order as the output's, so the two sums agree to the last bit. */
          for (int r = 0; r < 14; r++)
            for (int c = 0; c < 14; c++)
              if (r + dy >= 0 && r + dy < 14 && c + dx >= 0 && c + dx < 14)
                kept += img[r * 14 + c];
          pb_translate_image (img, out, dx, dy);
          g_assert_cmpfloat (image_mass (out), ==, kept);
          clipped += kept < image_mass (img);
          for (int r = 0; r < 14; r++)
            for (int c = 0; c < 14; c++)
              {
                int sr = r - dy, sc = c - dx;
                float want = sr >= 0 && sr < 14 && sc >= 0 && sc < 14 ? img[sr * 14 + sc] : 0.0f;
                g_assert_cmpfloat (out[r * 14 + c], ==, want);
              }
        }
  /* Some shifts push ink out of the frame, so the check above is not only the identity's. */
  g_assert_cmpint (clipped, >, 0);

  /* Positive dx moves right, positive dy moves down; (0, 0) copies. */
  float dot[PB_IMAGE_PIXELS] = { 0 };
  dot[5 * 14 + 7] = 3.0f;
  pb_translate_image (dot, out, 2, -1);
  g_assert_cmpfloat (out[4 * 14 + 9], ==, 3.0f);
  g_assert_cmpfloat (image_mass (out), ==, 3.0);
  pb_translate_image (dot, out, 7, 0);
  g_assert_cmpfloat (image_mass (out), ==, 0.0);
  pb_translate_image (dot, out, 0, 0);
  g_assert_cmpmem (dot, sizeof dot, out, sizeof out);
  pb_mnist_clear (&m);
}

static void
test_augment_pairs (void)
{
  PbMnist m;
  PbPairs base, aug, aug2, flat;
  PbRng rng;
  PbError err = { { 0 } };
  const int n = 50;
  const float max_deg = 15.0f;
  g_autofree float *angles = g_new (float, 2 * n);
  fake_mnist (&m, 200);

  pb_rng_seed (&rng, 5, 0);
  g_assert_cmpint (pb_pairs_generate (&m, PB_SPLIT_TRAIN, n, &rng, &base, &err), ==, PB_OK);
  PbRng saved = rng;
  g_assert_cmpint (pb_pairs_augment_rotate (&base, max_deg, &rng, &aug, angles, &err), ==, PB_OK);
  g_assert_cmpint (aug.n, ==, 2 * n);
  const size_t floats = (size_t) n * PB_PAIR_FLOATS;
  g_assert_cmpmem (aug.images, sizeof (float) * floats, base.images, sizeof (float) * floats);
  for (int i = 0; i < n; i++)
    for (int copy = 0; copy < 2; copy++)
      {
        int j = copy * n + i;
        g_assert_cmpint (aug.labels[j], ==, base.labels[i]);
        g_assert_cmpint (aug.classes[2 * j], ==, base.classes[2 * i]);
        g_assert_cmpint (aug.classes[2 * j + 1], ==, base.classes[2 * i + 1]);
        g_assert_cmpint (aug.source[2 * j], ==, base.source[2 * i]);
        g_assert_cmpint (aug.source[2 * j + 1], ==, base.source[2 * i + 1]);
      }

  /* Each rotated image is its original turned by its own angle. */
  int distinct = 0;
  for (int i = 0; i < 2 * n; i++)
    {
      float expect[PB_IMAGE_PIXELS];
      g_assert_cmpfloat (fabsf (angles[i]), <=, max_deg);
      pb_rotate_image (base.images + (size_t) i * PB_IMAGE_PIXELS, expect, angles[i]);
      g_assert_cmpmem (aug.images + floats + (size_t) i * PB_IMAGE_PIXELS, sizeof expect,
                       expect, sizeof expect);
      distinct += i > 0 && angles[i] != angles[i - 1];
    }
  g_assert_cmpint (distinct, ==, 2 * n - 1);

  rng = saved;
  g_assert_cmpint (pb_pairs_augment_rotate (&base, max_deg, &rng, &aug2, NULL, &err), ==, PB_OK);
  g_assert_cmpmem (aug.images, sizeof (float) * 2 * floats, aug2.images,
                   sizeof (float) * 2 * floats);

  g_assert_cmpint (pb_pairs_augment_rotate (&base, 0.0f, &rng, &flat, angles, &err), ==, PB_OK);
  g_assert_cmpmem (flat.images, sizeof (float) * floats, flat.images + floats,
                   sizeof (float) * floats);
  for (int i = 0; i < 2 * n; i++)
    g_assert_cmpfloat (angles[i], ==, 0.0f);

  pb_pairs_clear (&aug2);
  g_assert_cmpint (pb_pairs_augment_rotate (&base, -1.0f, &rng, &aug2, NULL, &err), ==,
                   PB_ERR_INVALID);
  g_assert_cmpint (pb_pairs_augment_rotate (&base, NAN, &rng, &aug2, NULL, &err), ==,
                   PB_ERR_INVALID);

  pb_pairs_clear (&base);
  pb_pairs_clear (&aug);
  pb_pairs_clear (&aug2);
  pb_pairs_clear (&flat);
  fake_mnist_free (&m);
}

/* The affine warp: the identity copies, a rotation matrix agrees with pb_rotate_image, a shear
 * moves a pixel where the matrix says, and a scale grows the ink's area by s². */
static void
test_affine (void)
{
  PbMnist m;
  PbError err = { { 0 } };
  float out[PB_IMAGE_PIXELS], rot[PB_IMAGE_PIXELS], mat[4];
  const float identity[4] = { 1.0f, 0.0f, 0.0f, 1.0f };

  if (pb_mnist_load (data_dir (), &m, &err) != PB_OK)
    g_error ("%s", err.message);
  for (int i = 0; i < 20; i++)
    {
      const float *img = m.train_images + (size_t) i * PB_IMAGE_PIXELS;
      double peak = 0.0, worst = 0.0;

      pb_affine_image (img, out, identity);
      for (int p = 0; p < PB_IMAGE_PIXELS; p++)
        g_assert_cmpfloat (out[p], ==, img[p]);

      const double theta = 17.0 * M_PI / 180.0;
      const float rm[4] = { (float) cos (theta), (float) -sin (theta), (float) sin (theta),
                            (float) cos (theta) };
      pb_affine_image (img, out, rm);
      pb_rotate_image (img, rot, 17.0f);
      for (int p = 0; p < PB_IMAGE_PIXELS; p++)
        {
          peak = fmax (peak, fabs (rot[p]));
          worst = fmax (worst, fabs (out[p] - rot[p]));
        }
      g_assert_cmpfloat (worst, <=, 1e-5 * peak);

      /* The digits fill the middle of the frame, so a 10% zoom keeps them inside. */
      pb_scale_shear_matrix (1.1f, 0.0f, mat);
      pb_affine_image (img, out, mat);
      double ratio = image_mass (out) / image_mass (img);
      g_assert_cmpfloat (fabs (ratio - 1.21), <, 0.05);
    }

  pb_scale_shear_matrix (2.0f, 0.5f, mat);
  g_assert_cmpfloat (mat[0], ==, 0.5f);
  g_assert_cmpfloat (mat[1], ==, -0.25f);
  g_assert_cmpfloat (mat[2], ==, 0.0f);
  g_assert_cmpfloat (mat[3], ==, 0.5f);

  /* A shear by 0.4 moves the digit point at offset (0.5, 2.5) from the centre, pixel (9, 7),
   * to (0.5 + 0.4 · 2.5, 2.5) = (1.5, 2.5), pixel (9, 8). */
  float dot[PB_IMAGE_PIXELS] = { 0 };
  dot[9 * 14 + 7] = 5.0f;
  pb_scale_shear_matrix (1.0f, 0.4f, mat);
  pb_affine_image (dot, out, mat);
  g_assert_cmpfloat (fabs (out[9 * 14 + 8] - 5.0f), <, 1e-5);
  g_assert_cmpfloat (fabs (out[9 * 14 + 7]), <, 1e-5);
  pb_mnist_clear (&m);
}

int
main (int argc, char *argv[])
{
  /* The messages contain × and –; without a UTF-8 locale GLib prints them as '?'. */
  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/pairs/label-rule", test_pairs_label_rule);
  g_test_add_func ("/core/pairs/generate", test_pairs_generate);
  g_test_add_func ("/core/pairs/stats", test_pairs_stats);
  g_test_add_func ("/core/pairs/augment/identity", test_rotate_identity);
  g_test_add_func ("/core/pairs/augment/quarter-turn", test_rotate_quarter);
  g_test_add_func ("/core/pairs/augment/mass", test_rotate_mass);
  g_test_add_func ("/core/pairs/augment/pairs", test_augment_pairs);
  g_test_add_func ("/core/pairs/augment/translate", test_translate);
  g_test_add_func ("/core/pairs/augment/affine", test_affine);

  return g_test_run ();
}
