/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "pb-gemm.h"

#include <assert.h>
#include <cblas.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#ifdef PB_HAVE_LIBXSMM
#include <libxsmm.h>
#endif

/* Which library runs the products, decided once per process from the two libraries' kernels
 * (so a given build and kernel always computes the same sums): libxsmm's JIT kernels when
 * OpenBLAS runs narrower vectors than libxsmm would (they are level where both are as wide). OpenBLAS 0.3.21 does not know some newer
 * CPUs (Emerald Rapids, family 6 model 207) and falls back to its SSE3 "Prescott" kernel there,
 * at a fifth of the machine's speed; libxsmm picks its code from the CPU's features instead. */
static PbGemmBackend backend = PB_GEMM_OPENBLAS;
static pthread_once_t backend_once = PTHREAD_ONCE_INIT;

#ifdef PB_HAVE_LIBXSMM
/* The vector width of an OpenBLAS kernel by its name; 0 if unknown. */
static int
core_vector_bits (const char *core)
{
  static const struct { const char *name; int bits; } cores[] = {
    { "SkylakeX", 512 }, { "Cooperlake", 512 }, { "SapphireRapids", 512 },
    { "Haswell", 256 }, { "Zen", 256 }, { "Sandybridge", 256 }, { "Excavator", 256 },
    { "Steamroller", 256 }, { "Piledriver", 256 }, { "Bulldozer", 256 },
    { "Prescott", 128 }, { "Core2", 128 }, { "Penryn", 128 }, { "Dunnington", 128 },
    { "Nehalem", 128 }, { "Atom", 128 }, { "Barcelona", 128 }, { "Opteron", 128 },
    { "Opteron_SSE3", 128 }, { "Nano", 128 }, { "Katmai", 128 }, { "Coppermine", 128 },
    { "Northwood", 128 }, { "Banias", 128 }, { "Bobcat", 128 },
  };
  for (size_t i = 0; i < sizeof cores / sizeof cores[0]; i++)
    if (strcmp (core, cores[i].name) == 0)
      return cores[i].bits;
  return 0;
}
#endif

static void
choose_backend (void)
{
  const char *force = getenv ("PAIRBENCH_GEMM");

#ifdef PB_HAVE_LIBXSMM
  if (force != NULL && strcmp (force, "libxsmm") == 0)
    backend = PB_GEMM_LIBXSMM;
  else if (force != NULL && strcmp (force, "openblas") == 0)
    backend = PB_GEMM_OPENBLAS;
  else
    {
      /* libxsmm's own target (LIBXSMM_TARGET=hsw, say, narrows it, as OPENBLAS_CORETYPE does
       * OpenBLAS's) */
      libxsmm_init ();
      int arch = libxsmm_get_target_archid ();
      int xsmm = arch >= LIBXSMM_X86_AVX512 ? 512 : arch >= LIBXSMM_X86_AVX ? 256 : 128;
      int blas = core_vector_bits (openblas_get_corename ());
      backend = blas > 0 && xsmm > blas ? PB_GEMM_LIBXSMM : PB_GEMM_OPENBLAS;
    }
#else
  (void) force;
  backend = PB_GEMM_OPENBLAS;
#endif
}

PbGemmBackend
pb_gemm_backend (void)
{
  pthread_once (&backend_once, choose_backend);
  return backend;
}

const char *
pb_gemm_backend_name (PbGemmBackend b)
{
  return b == PB_GEMM_LIBXSMM ? "libxsmm" : "openblas";
}

bool
pb_gemm_has_libxsmm (void)
{
#ifdef PB_HAVE_LIBXSMM
  return true;
#else
  return false;
#endif
}

#ifdef PB_HAVE_LIBXSMM
/* Tiles of the column-major view: the JIT kernels are generated for up to XS_M × XS_N × XS_K
 * and run on the operands in place (no packing). */
enum { XS_M = 64, XS_N = 64, XS_K = 256 };

/* Row-major C = op(A)·op(B) + beta·C with alpha 1 and beta 0 or 1, as the column-major
 * C' [n, m] = op(B') · op(A'). libxsmm 1.17 transposes only its second operand, so a row-major
 * trans_b (column-major trans_a) copies each [XS_M, XS_K] block of B transposed first. */
static bool
xsmm_sgemm (bool trans_a, bool trans_b, int m, int n, int k, const float *a, int lda,
            const float *b, int ldb, float beta, float *c, int ldc)
{
  float tile[XS_M * XS_K];
  const float one = 1.0f;
  int flags = trans_a ? LIBXSMM_GEMM_FLAG_TRANS_B : 0;
  libxsmm_smmfunction kern = NULL;
  int last_m = -1, last_n = -1, last_k = -1;
  float last_beta = -1.0f;

  if (k == 0)
    return false;
  /* Every kernel the tiles need, before any tile is written, so that a shape libxsmm cannot do
   * falls back to BLAS whole. */
  for (int e = 0; e < 16; e++)
    {
      const int tm = e & 1 ? n % XS_M : (n < XS_M ? n : XS_M);
      const int tn = e & 2 ? m % XS_N : (m < XS_N ? m : XS_N);
      const int tk = e & 4 ? k % XS_K : (k < XS_K ? k : XS_K);
      const float bt = e & 8 ? 1.0f : beta;
      const libxsmm_blasint la = trans_b ? tm : ldb, lb = lda, lc = ldc;
      if (tm == 0 || tn == 0 || tk == 0 || (e & 8 && k <= XS_K))
        continue;
      if (libxsmm_smmdispatch (tm, tn, tk, &la, &lb, &lc, &one, &bt, &flags, NULL) == NULL)
        return false;
    }
  for (int i0 = 0; i0 < n; i0 += XS_M)
    {
      const int tm = n - i0 < XS_M ? n - i0 : XS_M;
      for (int k0 = 0; k0 < k; k0 += XS_K)
        {
          const int tk = k - k0 < XS_K ? k - k0 : XS_K;
          const float *ap;
          libxsmm_blasint la;

          if (trans_b)
            {
              /* tile [tk][tm] column-major [tm, tk]: element (i, p) = B[i0 + i, k0 + p] */
              for (int i = 0; i < tm; i++)
                for (int p = 0; p < tk; p++)
                  tile[(size_t) p * tm + i] = b[(size_t) (i0 + i) * ldb + k0 + p];
              ap = tile;
              la = tm;
            }
          else
            {
              ap = b + (size_t) k0 * ldb + i0;
              la = ldb;
            }
          const float bt = k0 > 0 ? 1.0f : beta;
          for (int j0 = 0; j0 < m; j0 += XS_N)
            {
              const int tn = m - j0 < XS_N ? m - j0 : XS_N;
              const libxsmm_blasint lb = lda, lc = ldc;
              if (tm != last_m || tn != last_n || tk != last_k || bt != last_beta)
                {
                  kern = libxsmm_smmdispatch (tm, tn, tk, &la, &lb, &lc, &one, &bt, &flags,
                                              NULL);
                  last_m = tm, last_n = tn, last_k = tk, last_beta = bt;
                  if (kern == NULL)
                    return false;
                }
              const float *bp = trans_a ? a + (size_t) k0 * lda + j0 : a + (size_t) j0 * lda + k0;
              kern (ap, bp, c + (size_t) j0 * ldc + i0);
            }
        }
    }
  return true;
}
#endif

void
pb_sgemm_with (PbGemmBackend with, bool trans_a, bool trans_b, int m, int n, int k,
               float alpha, const float *a, int lda, const float *b, int ldb,
               float beta, float *c, int ldc)
{
  assert (m >= 0 && n >= 0 && k >= 0);
  if (m == 0 || n == 0)
    return;

#ifdef PB_HAVE_LIBXSMM
  if (with == PB_GEMM_LIBXSMM && alpha == 1.0f && (beta == 0.0f || beta == 1.0f))
    {
      pthread_once (&backend_once, choose_backend);
      libxsmm_init (); /* idempotent; the tests call this path without it chosen */
      if (xsmm_sgemm (trans_a, trans_b, m, n, k, a, lda, b, ldb, beta, c, ldc))
        return;
    }
#else
  (void) with;
#endif
  pb_sgemm_blas (trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void
pb_sgemm (bool trans_a, bool trans_b, int m, int n, int k,
          float alpha, const float *a, int lda, const float *b, int ldb,
          float beta, float *c, int ldc)
{
  pb_sgemm_with (pb_gemm_backend (), trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c,
                 ldc);
}

void
pb_sgemm_blas (bool trans_a, bool trans_b, int m, int n, int k,
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
