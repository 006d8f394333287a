/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the layer files share: the convolution's column sizes and shape check, and the generic
 * vectors of the hot loops. Not installed; core/ only. */
#pragma once

#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pb-layers.h"

static inline size_t
conv_cols_rows (const PbConvShape *s)
{
  return (size_t) s->in_c * s->kernel * s->kernel;
}

static inline size_t
conv_cols_width (const PbConvShape *s)
{
  return (size_t) s->batch * pb_conv2d_out_h (s) * pb_conv2d_out_w (s);
}

static inline void
conv_check_shape (const PbConvShape *s)
{
  assert (s->batch > 0 && s->in_c > 0 && s->out_c > 0 && s->kernel > 0 && s->pad >= 0);
  assert (pb_conv2d_out_h (s) > 0 && pb_conv2d_out_w (s) > 0);
}

/* Eight (or four) floats at a time through GCC's generic vectors (SSE registers on plain
 * x86-64, AVX in the AVX2 clone): the compiler does not vectorise these selects at -O2 by itself.
 * Helpers are macros so that no vector crosses a function boundary (no ABI question). */
typedef float PbV8 __attribute__ ((vector_size (32)));
typedef int32_t PbV8i __attribute__ ((vector_size (32)));
typedef float PbV4 __attribute__ ((vector_size (16)));
typedef int32_t PbV4i __attribute__ ((vector_size (16)));

#if defined(__GNUC__) && defined(__x86_64__) && defined(__GLIBC__)
#define PB_HOT __attribute__ ((target_clones ("avx2", "default")))
#else
#define PB_HOT
#endif

#define V_LOAD(v, p) memcpy (&(v), (p), sizeof (v))
#define V_STORE(p, v) memcpy ((p), &(v), sizeof (v))
/* mask ? a : b, mask lanes all ones or zeros */
#define V_SELECT(IT, FT, mask, a, b) ((FT) (((IT) (a) & (mask)) | ((IT) (b) & ~(mask))))
