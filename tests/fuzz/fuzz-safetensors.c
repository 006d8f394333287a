/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer target: pb_safetensors_load_bytes (header JSON, metadata, offsets, dtypes, shapes,
 * names), then one forward pass of whatever model it accepted. */

#include <stdint.h>
#include <stdlib.h>

#include "pb-safetensors.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  PbModel *model = NULL;
  PbWeightsInfo info;
  PbError err;

  if (pb_safetensors_load_bytes (data, size, "fuzz.safetensors", 1, &model, &info, &err) == PB_OK)
    {
      float x[PB_PAIR_FLOATS] = { 0 };
      pb_model_forward (model, x, 1, false, NULL);
      pb_model_free (model);
    }
  return 0;
}
