/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "pb-gemm.h"

#include <assert.h>
#include <cblas.h>

void
pb_sgemm (bool trans_a, bool trans_b, int m, int n, int k,
          float alpha, const float *a, int lda, const float *b, int ldb,
          float beta, float *c, int ldc)
{
  assert (m >= 0 && n >= 0 && k >= 0);
  if (m == 0 || n == 0)
    return;

  cblas_sgemm (CblasRowMajor,
               trans_a ? CblasTrans : CblasNoTrans,
               trans_b ? CblasTrans : CblasNoTrans,
               m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void
pb_sgemm_reference (bool trans_a, bool trans_b, int m, int n, int k,
                    float alpha, const float *a, int lda, const float *b, int ldb,
                    float beta, float *c, int ldc)
{
  assert (m >= 0 && n >= 0 && k >= 0);

  for (int i = 0; i < m; i++)
    for (int j = 0; j < n; j++)
      {
        double acc = 0.0;

        for (int p = 0; p < k; p++)
          {
            float av = trans_a ? a[(size_t) p * lda + i] : a[(size_t) i * lda + p];
            float bv = trans_b ? b[(size_t) j * ldb + p] : b[(size_t) p * ldb + j];
            acc += (double) av * bv;
          }

        /* BLAS semantics: beta == 0 overwrites C, so NaN or garbage in C does not leak through. */
        float *cij = &c[(size_t) i * ldc + j];
        if (beta == 0.0f)
          *cij = (float) (alpha * acc);
        else
          *cij = (float) (alpha * acc + (double) beta * *cij);
      }
}

void
pb_blas_set_single_thread (void)
{
  openblas_set_num_threads (1);
}

const char *
pb_blas_core_name (void)
{
  return openblas_get_corename ();
}

int
pb_cpu_vector_bits (void)
{
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
  __builtin_cpu_init ();
  if (__builtin_cpu_supports ("avx512f"))
    return 512;
  if (__builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma"))
    return 256;
  return 128;
#else
  return 0;
#endif
}
