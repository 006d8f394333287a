/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer target: pb_json_parse, and the run-settings reader on what it parsed. */

#include <stdint.h>

#include "pb-json.h"
#include "pb-safetensors.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  PbJson *json = NULL;
  PbError err;

  if (pb_json_parse ((const char *) data, size, "fuzz.json", &json, &err) == PB_OK)
    {
      PbTrainSettings s;
      PbStr out;
      if (pb_train_settings_init (&s, "siamese", NULL) == PB_OK
          && pb_train_settings_from_json (json, &s, "fuzz.json", &err) == PB_OK)
        {
          pb_str_init (&out);
          pb_train_settings_append_json (&s, &out);
          pb_str_clear (&out);
        }
      pb_json_free (json);
    }
  return 0;
}
