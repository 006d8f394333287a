/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Where a training step's time goes: seconds per (layer, direction, part) and per GEMM shape.
 * The caller owns a PbProfile (zeroed, or pb_profile_reset) and hands it to a run with
 * pb_run_set_profile; every hook is a null-pointer check when no profile is attached, and a
 * profile allocates nothing. Evaluation is not profiled. */

#include <stdbool.h>
#include <stddef.h>

typedef enum
{
  PB_PROF_CONV1,
  PB_PROF_CONV2,
  PB_PROF_CONV3,
  PB_PROF_FC1,
  PB_PROF_FC2,
  PB_PROF_HEAD,   /* the rule over the digit logits, and the concatenation */
  PB_PROF_N_LAYERS
} PbProfLayer;

typedef enum
{
  PB_PROF_FWD,
  PB_PROF_BWD,
} PbProfDir;

typedef enum
{
  PB_PROF_GEMM,     /* the BLAS calls */
  PB_PROF_COPY,     /* im2col / col2im, the kn2row gathers and spreads, weight packing */
  PB_PROF_BNPOOL,   /* batch norm + max-pool + ReLU (one fused pass), or pool + ReLU */
  PB_PROF_ELTWISE,  /* biases, hidden ReLU, dropout, reshapes, the input transpose */
  PB_PROF_N_PARTS
} PbProfPart;

enum
{
  PB_PROF_N_LAYER_SLOTS = PB_PROF_N_LAYERS * 2 * PB_PROF_N_PARTS,
  PB_PROF_LOSS = PB_PROF_N_LAYER_SLOTS, /* the cross-entropies, forward and backward */
  PB_PROF_ZERO_GRAD,
  PB_PROF_ADAM,
  PB_PROF_AUGMENT, /* building an epoch's augmented pairs and standardising them */
  PB_PROF_BATCH,   /* the shuffle and gathering a batch */
  PB_PROF_N_SLOTS
};

#define PB_PROF_MAX_GEMMS 48

typedef struct
{
  bool trans_a, trans_b;
  int m, n, k;
  int slot;            /* the (layer, direction) slot of its first call */
  long calls;
  double seconds;
  /* the same shape alone, hot in cache (pb_profile_measure_gemms): OpenBLAS's sgemm, and
   * pb_sgemm's backend (the same unless that is libxsmm) */
  double sgemm_gflops, backend_gflops;
} PbProfGemm;

typedef struct PbProfile
{
  double seconds[PB_PROF_N_SLOTS];
  double step_seconds; /* the whole of every training step, the denominator of the shares */
  long steps;
  PbProfGemm gemm[PB_PROF_MAX_GEMMS];
  int n_gemm;
  long gemm_untracked; /* calls of shapes past PB_PROF_MAX_GEMMS (timed, not listed) */
  /* where the next hooks account to, set by the model */
  int layer, dir;
} PbProfile;

void pb_profile_reset (PbProfile *p);
double pb_profile_now (void);

static inline int
pb_profile_slot (int layer, int dir, int part)
{
  return (layer * 2 + dir) * PB_PROF_N_PARTS + part;
}

static inline double
pb_profile_start (const PbProfile *p)
{
  return p != NULL ? pb_profile_now () : 0.0;
}

/* Adds the time since t0 to slot (when p is not NULL). */
static inline void
pb_profile_add (PbProfile *p, int slot, double t0)
{
  if (p != NULL)
    p->seconds[slot] += pb_profile_now () - t0;
}

/* The current layer and direction: part of slot pb_profile_slot (layer, dir, part). */
static inline void
pb_profile_enter (PbProfile *p, int layer, int dir)
{
  if (p != NULL)
    {
      p->layer = layer;
      p->dir = dir;
    }
}

static inline void
pb_profile_part (PbProfile *p, int part, double t0)
{
  if (p != NULL)
    p->seconds[pb_profile_slot (p->layer, p->dir, part)] += pb_profile_now () - t0;
}

/* pb_sgemm, timed into the current layer's GEMM part and its shape's row when p is not NULL. */
void pb_profile_sgemm (PbProfile *p, bool trans_a, bool trans_b, int m, int n, int k,
                       float alpha, const float *a, int lda, const float *b, int ldb,
                       float beta, float *c, int ldc);

/* The name of a slot: "conv2 bwd gemm", "adam", … */
const char *pb_profile_layer_name (int layer);
const char *pb_profile_part_name (int part);
const char *pb_profile_slot_name (int slot, char *buf, size_t size);

/* Times every listed shape alone (the best of repeated calls for at least min_seconds each, on
 * buffers it allocates and frees) and fills sgemm_gflops. Returns false when out of memory. */
bool pb_profile_measure_gemms (PbProfile *p, double min_seconds);
