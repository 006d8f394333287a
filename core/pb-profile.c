/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "pb-profile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pb-gemm.h"

void
pb_profile_reset (PbProfile *p)
{
  memset (p, 0, sizeof *p);
}

double
pb_profile_now (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec * 1e-9;
}

static PbProfGemm *
find_gemm (PbProfile *p, bool trans_a, bool trans_b, int m, int n, int k)
{
  for (int i = 0; i < p->n_gemm; i++)
    {
      PbProfGemm *g = &p->gemm[i];
      if (g->m == m && g->n == n && g->k == k && g->trans_a == trans_a && g->trans_b == trans_b
          && g->slot == pb_profile_slot (p->layer, p->dir, PB_PROF_GEMM))
        return g;
    }
  if (p->n_gemm == PB_PROF_MAX_GEMMS)
    return NULL;
  PbProfGemm *g = &p->gemm[p->n_gemm++];
  *g = (PbProfGemm) {
    .trans_a = trans_a, .trans_b = trans_b, .m = m, .n = n, .k = k,
    .slot = pb_profile_slot (p->layer, p->dir, PB_PROF_GEMM),
  };
  return g;
}

void
pb_profile_sgemm (PbProfile *p, bool trans_a, bool trans_b, int m, int n, int k,
                  float alpha, const float *a, int lda, const float *b, int ldb,
                  float beta, float *c, int ldc)
{
  if (p == NULL)
    {
      pb_sgemm (trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
      return;
    }
  double t0 = pb_profile_now ();
  pb_sgemm (trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  double dt = pb_profile_now () - t0;

  p->seconds[pb_profile_slot (p->layer, p->dir, PB_PROF_GEMM)] += dt;
  PbProfGemm *g = find_gemm (p, trans_a, trans_b, m, n, k);
  if (g == NULL)
    {
      p->gemm_untracked++;
      return;
    }
  g->calls++;
  g->seconds += dt;
}

const char *
pb_profile_layer_name (int layer)
{
  static const char *const names[PB_PROF_N_LAYERS] = {
    "conv1", "conv2", "conv3", "fc1", "fc2", "head",
  };
  return layer >= 0 && layer < PB_PROF_N_LAYERS ? names[layer] : "?";
}

const char *
pb_profile_part_name (int part)
{
  static const char *const names[PB_PROF_N_PARTS] = {
    "gemm", "im2col", "bn+pool+relu", "other",
  };
  return part >= 0 && part < PB_PROF_N_PARTS ? names[part] : "?";
}

const char *
pb_profile_slot_name (int slot, char *buf, size_t size)
{
  static const char *const globals[] = { "loss", "zero grad", "adam", "augment", "batching" };

  if (slot >= PB_PROF_N_LAYER_SLOTS && slot < PB_PROF_N_SLOTS)
    snprintf (buf, size, "%s", globals[slot - PB_PROF_N_LAYER_SLOTS]);
  else if (slot >= 0 && slot < PB_PROF_N_LAYER_SLOTS)
    {
      int part = slot % PB_PROF_N_PARTS, ld = slot / PB_PROF_N_PARTS;
      snprintf (buf, size, "%s %s %s", pb_profile_layer_name (ld / 2), ld % 2 ? "bwd" : "fwd",
                pb_profile_part_name (part));
    }
  else
    snprintf (buf, size, "?");
  return buf;
}

/* The best rate of repeated calls through one backend. */
static double
time_shape (const PbProfGemm *g, PbGemmBackend with, float *a, float *b, float *c,
            double min_seconds)
{
  const int lda = g->trans_a ? g->m : g->k, ldb = g->trans_b ? g->k : g->n;
  double best = 0.0, spent = 0.0;

  pb_sgemm_with (with, g->trans_a, g->trans_b, g->m, g->n, g->k, 1.0f, a, lda, b, ldb, 0.0f, c,
                 g->n);
  for (int rep = 0; (rep < 3 || spent < min_seconds) && rep < 10000; rep++)
    {
      double t0 = pb_profile_now ();
      pb_sgemm_with (with, g->trans_a, g->trans_b, g->m, g->n, g->k, 1.0f, a, lda, b, ldb, 0.0f,
                     c, g->n);
      double dt = pb_profile_now () - t0;
      spent += dt;
      double gf = 2.0 * g->m * (double) g->n * g->k / (dt > 0.0 ? dt : 1e-9) * 1e-9;
      if (gf > best)
        best = gf;
    }
  return best;
}

bool
pb_profile_measure_gemms (PbProfile *p, double min_seconds)
{
  for (int i = 0; i < p->n_gemm; i++)
    {
      PbProfGemm *g = &p->gemm[i];
      size_t na = (size_t) g->m * g->k, nb = (size_t) g->k * g->n, nc = (size_t) g->m * g->n;
      float *a = malloc ((na + nb + nc + 1) * sizeof (float));

      if (a == NULL)
        return false;
      float *b = a + na, *c = b + nb;
      for (size_t j = 0; j < na + nb + nc; j++)
        a[j] = (float) ((j * 2654435761u) % 1000) * 1e-3f - 0.5f;
      g->sgemm_gflops = time_shape (g, PB_GEMM_OPENBLAS, a, b, c, min_seconds);
      g->backend_gflops = pb_gemm_backend () == PB_GEMM_OPENBLAS
                          ? g->sgemm_gflops
                          : time_shape (g, pb_gemm_backend (), a, b, c, min_seconds);
      free (a);
    }
  return true;
}
