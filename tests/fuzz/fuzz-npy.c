/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer target: the t-SNE .npy reader. */

#include <stdint.h>

#include "pb-points.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  PbPoints points;
  PbError err;

  if (pb_points_parse_npy ("fuzz.npy", data, size, &points, &err) == PB_OK)
    pb_points_clear (&points);
  return 0;
}
