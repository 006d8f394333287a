/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer target: pb_session_from_json (a saved comparison), then what the Compare page does
 * with one (summaries, paired tests), and a save and reopen that must give the same file. */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pb-session.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  PbSession session, again;
  PbPairedTests tests[PB_SESSION_MAX_MODELS * PB_SESSION_MAX_MODELS];
  PbStr first, second;
  PbError err;
  int n_rounds;

  if (pb_session_from_json ((const char *) data, size, "fuzz.json", &session, &err) != PB_OK)
    return 0;
  for (int m = 0; m < session.n_models; m++)
    {
      PbSessionSummary summary;
      pb_session_summary (&session, m, &summary);
    }
  pb_session_max_epochs (&session);
  pb_session_paired_tests (&session, tests, &n_rounds, &err);

  pb_str_init (&first);
  pb_session_to_json (&session, &first);
  if (pb_session_from_json (first.data, first.len, "saved.json", &again, &err) != PB_OK)
    {
      fprintf (stderr, "a saved comparison does not open: %s\n%s\n", err.message, first.data);
      abort ();
    }
  pb_str_init (&second);
  pb_session_to_json (&again, &second);
  if (first.len != second.len || memcmp (first.data, second.data, first.len) != 0)
    {
      fprintf (stderr, "saving a reopened comparison changed it:\n%s\n%s\n", first.data,
               second.data);
      abort ();
    }
  pb_str_clear (&second);
  pb_str_clear (&first);
  pb_session_clear (&again);
  pb_session_clear (&session);
  return 0;
}
