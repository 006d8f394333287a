/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer target: the t-SNE CSV reader. */

#include <stdint.h>

#include "pb-points.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  PbPoints points;
  PbError err;

  if (pb_points_parse_csv ("fuzz.csv", (const char *) data, size, &points, &err) == PB_OK)
    {
      int v;
      for (int i = 0; i < points.n; i++)
        pb_points_label_int (&points, i, &v);
      pb_points_clear (&points);
    }
  return 0;
}
