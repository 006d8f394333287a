/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "pb-gemm.h"
#include "pb-rng.h"

static void
fill_random (PbRng *rng, float *x, size_t n)
{
  for (size_t i = 0; i < n; i++)
    x[i] = (float) (2.0 * pb_rng_uniform_double (rng) - 1.0);
}

/* Runs the reference and pb_sgemm through each backend (libxsmm falls back to OpenBLAS in a
 * build without it) on the same inputs and compares every element of C, including the padding
 * columns beyond n, which none may touch. */
static void
check_case_with (PbGemmBackend with, bool ta, bool tb, int m, int n, int k, int lda_pad,
                 int ldb_pad, int ldc_pad, float alpha, float beta)
{
  PbRng rng;
  pb_rng_seed (&rng, 42 + m * 7 + n * 13 + k, (uint64_t) ta * 2 + tb);

  int a_rows = ta ? k : m, a_cols = ta ? m : k;
  int b_rows = tb ? n : k, b_cols = tb ? k : n;
  int lda = a_cols + lda_pad, ldb = b_cols + ldb_pad, ldc = n + ldc_pad;

  g_autofree float *a = g_new (float, (size_t) a_rows * lda);
  g_autofree float *b = g_new (float, (size_t) b_rows * ldb);
  g_autofree float *c0 = g_new (float, (size_t) m * ldc);
  g_autofree float *c_blas = g_new (float, (size_t) m * ldc);
  g_autofree float *c_ref = g_new (float, (size_t) m * ldc);

  fill_random (&rng, a, (size_t) a_rows * lda);
  fill_random (&rng, b, (size_t) b_rows * ldb);
  fill_random (&rng, c0, (size_t) m * ldc);
  memcpy (c_blas, c0, sizeof (float) * (size_t) m * ldc);
  memcpy (c_ref, c0, sizeof (float) * (size_t) m * ldc);

  pb_sgemm_with (with, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c_blas, ldc);
  pb_sgemm_reference (ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c_ref, ldc);

  double worst = 0.0;
  for (int i = 0; i < m; i++)
    for (int j = 0; j < ldc; j++)
      {
        size_t idx = (size_t) i * ldc + j;
        if (j >= n)
          {
            g_assert_cmpfloat (c_blas[idx], ==, c0[idx]);
            g_assert_cmpfloat (c_ref[idx], ==, c0[idx]);
            continue;
          }
        /* |entries| ≤ 1, so the sum is bounded by k; float rounding is a few ulps of that. */
        double err = fabs ((double) c_blas[idx] - c_ref[idx]) / (1.0 + k);
        worst = MAX (worst, err);
      }
  g_test_message ("%s ta=%d tb=%d m=%d n=%d k=%d alpha=%g beta=%g worst=%.3g",
                  pb_gemm_backend_name (with), ta, tb, m, n, k, alpha, beta, worst);
  g_assert_cmpfloat (worst, <, 1e-5);
}

static void
check_case (bool ta, bool tb, int m, int n, int k, int lda_pad, int ldb_pad, int ldc_pad,
            float alpha, float beta)
{
  check_case_with (PB_GEMM_OPENBLAS, ta, tb, m, n, k, lda_pad, ldb_pad, ldc_pad, alpha, beta);
  check_case_with (PB_GEMM_LIBXSMM, ta, tb, m, n, k, lda_pad, ldb_pad, ldc_pad, alpha, beta);
}

static void
test_gemm_transposes (void)
{
  for (int ta = 0; ta < 2; ta++)
    for (int tb = 0; tb < 2; tb++)
      {
        check_case (ta, tb, 7, 5, 3, 0, 0, 0, 1.0f, 0.0f);
        check_case (ta, tb, 13, 29, 17, 0, 0, 0, 1.0f, 1.0f);
        check_case (ta, tb, 64, 33, 100, 0, 0, 0, 1.0f, 0.0f);
      }
}

static void
test_gemm_strides (void)
{
  for (int ta = 0; ta < 2; ta++)
    for (int tb = 0; tb < 2; tb++)
      {
        check_case (ta, tb, 9, 11, 6, 3, 5, 2, 1.0f, 0.0f);
        check_case (ta, tb, 31, 4, 57, 1, 7, 9, 1.0f, 1.0f);
      }
}

/* libxsmm's tiles are 64 × 64 × 256 of the column-major view: shapes across every tile edge,
 * and the convolutions' own. */
static void
test_gemm_tiles (void)
{
  for (int ta = 0; ta < 2; ta++)
    for (int tb = 0; tb < 2; tb++)
      for (int beta = 0; beta < 2; beta++)
        {
          check_case (ta, tb, 130, 70, 300, 0, 0, 0, 1.0f, (float) beta);
          check_case (ta, tb, 65, 129, 257, 3, 1, 5, 1.0f, (float) beta);
          check_case (ta, tb, 64, 64, 256, 0, 0, 0, 1.0f, (float) beta);
        }
  check_case (false, false, 64, 4900, 64, 0, 0, 0, 1.0f, 0.0f);
  check_case (false, true, 64, 64, 4900, 0, 0, 0, 1.0f, 1.0f);
  check_case (true, false, 64, 900, 512, 0, 0, 0, 1.0f, 0.0f);
  check_case (false, false, 16, 3380, 4, 0, 0, 0, 1.0f, 0.0f);
}

static void
test_gemm_alpha_beta (void)
{
  for (int ta = 0; ta < 2; ta++)
    for (int tb = 0; tb < 2; tb++)
      {
        check_case (ta, tb, 10, 12, 8, 2, 3, 4, 0.75f, -0.5f);
        check_case (ta, tb, 3, 40, 21, 0, 1, 1, -1.5f, 2.0f);
        check_case (ta, tb, 1, 1, 1, 0, 0, 0, 2.5f, 0.25f);
      }
}

/* beta == 0 must overwrite C, whatever it held, as BLAS specifies. */
static void
test_gemm_beta_zero_ignores_c (void)
{
  float a[2 * 3] = { 1, 2, 3, 4, 5, 6 };
  float b[3 * 2] = { 1, 0, 0, 1, 1, 1 };
  float c_blas[4], c_ref[4];
  const float expect[4] = { 4, 5, 10, 11 };

  for (int i = 0; i < 4; i++)
    c_blas[i] = c_ref[i] = NAN;

  pb_sgemm (false, false, 2, 2, 3, 1.0f, a, 3, b, 2, 0.0f, c_blas, 2);
  pb_sgemm_reference (false, false, 2, 2, 3, 1.0f, a, 3, b, 2, 0.0f, c_ref, 2);
  for (int i = 0; i < 4; i++)
    {
      g_assert_cmpfloat (c_blas[i], ==, expect[i]);
      g_assert_cmpfloat (c_ref[i], ==, expect[i]);
    }
  for (int with = PB_GEMM_OPENBLAS; with <= PB_GEMM_LIBXSMM; with++)
    {
      for (int i = 0; i < 4; i++)
        c_blas[i] = NAN;
      pb_sgemm_with ((PbGemmBackend) with, false, false, 2, 2, 3, 1.0f, a, 3, b, 2, 0.0f,
                     c_blas, 2);
      for (int i = 0; i < 4; i++)
        g_assert_cmpfloat (c_blas[i], ==, expect[i]);
    }
}

/* The choice is made once and is one of the two; without libxsmm it is OpenBLAS. */
static void
test_gemm_backend (void)
{
  PbGemmBackend b = pb_gemm_backend ();
  g_assert_true (b == PB_GEMM_OPENBLAS || b == PB_GEMM_LIBXSMM);
  g_assert_cmpint (pb_gemm_backend (), ==, b);
  if (!pb_gemm_has_libxsmm ())
    g_assert_cmpint (b, ==, PB_GEMM_OPENBLAS);
  g_test_message ("backend %s, OpenBLAS core %s, CPU vectors %d bits",
                  pb_gemm_backend_name (b), pb_blas_core_name (), pb_cpu_vector_bits ());
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  pb_blas_set_single_thread ();

  g_test_add_func ("/core/gemm/transposes", test_gemm_transposes);
  g_test_add_func ("/core/gemm/strides", test_gemm_strides);
  g_test_add_func ("/core/gemm/alpha-beta", test_gemm_alpha_beta);
  g_test_add_func ("/core/gemm/tiles", test_gemm_tiles);
  g_test_add_func ("/core/gemm/backend", test_gemm_backend);
  g_test_add_func ("/core/gemm/beta-zero-ignores-c", test_gemm_beta_zero_ignores_c);

  return g_test_run ();
}
