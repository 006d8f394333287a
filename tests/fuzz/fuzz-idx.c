/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer target: pb_idx_read on plain and gzip IDX. The input goes through a memfd so the
 * reader runs exactly as on a file, zlib's gzip detection and the size checks included. */

#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pb-data.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static int fd = -1;
  static char path[64];
  PbIdx idx;
  PbError err;

  if (fd < 0)
    {
      fd = memfd_create ("fuzz-idx", MFD_CLOEXEC);
      if (fd < 0)
        abort ();
      snprintf (path, sizeof path, "/proc/self/fd/%d", fd);
    }
  if (ftruncate (fd, 0) != 0 || pwrite (fd, data, size, 0) != (ssize_t) size)
    abort ();

  if (pb_idx_read (path, &idx, &err) == PB_OK)
    {
      /* Touch every element so a short buffer shows up under ASan. */
      const uint8_t *b = idx.data;
      size_t bytes = idx.count * (idx.type == 0x0D ? 4 : 1);
      volatile uint8_t sum = 0;
      for (size_t i = 0; i < bytes; i++)
        sum += b[i];
      (void) sum;
      if (idx.type == 0x08 && idx.ndim == 3 && idx.dims[1] == 28 && idx.dims[2] == 28
          && idx.dims[0] <= 64)
        {
          float pooled[64 * PB_IMAGE_PIXELS];
          pb_pool_28_to_14 ((int) idx.dims[0], idx.data, pooled);
        }
      pb_idx_clear (&idx);
    }
  return 0;
}
