/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <stdbool.h>

/* Row-major C = alpha * op(A) * op(B) + beta * C, with op(A) [M, K] and op(B) [K, N].
 * Every matrix product in the core goes through here, so BLAS can be swapped or checked. */
void pb_sgemm (bool trans_a, bool trans_b, int m, int n, int k,
               float alpha, const float *a, int lda, const float *b, int ldb,
               float beta, float *c, int ldc);

/* The same through OpenBLAS always (the ceiling the benchmark measures). */
void pb_sgemm_blas (bool trans_a, bool trans_b, int m, int n, int k,
                    float alpha, const float *a, int lda, const float *b, int ldb,
                    float beta, float *c, int ldc);

/* Who runs pb_sgemm, chosen once per process: libxsmm (when built with it) if OpenBLAS's kernel
 * has narrower vectors than libxsmm's target (the CPU's, unless LIBXSMM_TARGET narrows it),
 * else OpenBLAS. PAIRBENCH_GEMM=openblas|libxsmm in the
 * environment overrides the choice (benchmarks and tests). */
typedef enum
{
  PB_GEMM_OPENBLAS,
  PB_GEMM_LIBXSMM,
} PbGemmBackend;

PbGemmBackend pb_gemm_backend (void);
const char   *pb_gemm_backend_name (PbGemmBackend backend);
bool          pb_gemm_has_libxsmm (void);
/* pb_sgemm through the given backend (libxsmm falls back to OpenBLAS where it has no kernel:
 * alpha ≠ 1, beta ∉ {0, 1}, k = 0, or a build without it). */
void pb_sgemm_with (PbGemmBackend with, bool trans_a, bool trans_b, int m, int n, int k,
                    float alpha, const float *a, int lda, const float *b, int ldb,
                    float beta, float *c, int ldc);

/* The same contract in plain C, for the tests. */
void pb_sgemm_reference (bool trans_a, bool trans_b, int m, int n, int k,
                         float alpha, const float *a, int lda, const float *b, int ldb,
                         float beta, float *c, int ldc);

/* OpenBLAS threads are process-wide; runs get parallelism from their own threads instead. */
void pb_blas_set_single_thread (void);

/* The kernel OpenBLAS chose for this CPU ("Haswell", "SkylakeX", "Prescott", …). */
const char *pb_blas_core_name (void);
/* The widest float vectors this CPU runs: 512 (AVX-512F), 256 (AVX2 + FMA), 128; 0 unknown. */
int pb_cpu_vector_bits (void);
