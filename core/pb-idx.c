/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "pb-data.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define IDX_TYPE_U8 0x08
#define IDX_TYPE_F32 0x0D

/* Real data sets are far below this; the limit only stops a gzip bomb whose header is honest. */
#define IDX_MAX_BYTES ((uint64_t) 1 << 32)
#define IDX_READ_PIECE ((size_t) 1 << 16)
#define IDX_FIRST_CHUNK ((size_t) 1 << 20)

typedef struct
{
  const char *path;
  gzFile gz;
  uint64_t offset; /* in the decompressed stream */
  PbError *err;
} IdxReader;

static size_t
idx_elem_size (uint8_t type)
{
  return type == IDX_TYPE_F32 ? 4 : 1;
}

static void
idx_format_dims (char *buf, size_t size, int ndim, const uint32_t *dims)
{
  size_t used = 0;
  buf[0] = '\0';
  for (int i = 0; i < ndim && used < size; i++)
    {
      int n = snprintf (buf + used, size - used, "%s%" PRIu32, i > 0 ? "×" : "", dims[i]);
      if (n < 0)
        break;
      used += (size_t) n;
    }
}

/* Reads up to len bytes; *got < len only at the end of the data. Small pieces keep the
 * decompressed offset in an error message close to where the damage is. */
static PbStatus
idx_reader_read (IdxReader *r, void *buf, size_t len, size_t *got)
{
  uint8_t *p = buf;
  *got = 0;
  while (*got < len)
    {
      size_t want = len - *got < IDX_READ_PIECE ? len - *got : IDX_READ_PIECE;
      int n = gzread (r->gz, p + *got, (unsigned) want);
      int errnum = Z_OK;
      const char *msg = gzerror (r->gz, &errnum);
      if (n < 0 || (errnum != Z_OK && errnum != Z_BUF_ERROR))
        {
          if (errnum == Z_ERRNO)
            return pb_error_set (r->err, PB_ERR_IO, "%s: read failed at byte offset %" PRIu64
                                 ": %s", r->path, r->offset, strerror (errno));
          /* gzdopen names the stream "<fd:N>" and zlib puts that before its message. */
          const char *colon = strstr (msg, ">: ");
          if (strncmp (msg, "<fd:", 4) == 0 && colon != NULL)
            msg = colon + 3;
          return pb_error_set (r->err, PB_ERR_FORMAT,
                               "%s: corrupt gzip data at compressed byte offset %lld, expected a "
                               "valid deflate stream (zlib: %s)",
                               r->path, (long long) gzoffset (r->gz), msg);
        }
      *got += (size_t) n;
      r->offset += (uint64_t) n;
      /* zlib also flags a missing trailer early, while it still has data to hand out. */
      if ((size_t) n < want && errnum == Z_BUF_ERROR)
        return pb_error_set (r->err, PB_ERR_FORMAT,
                             "%s: the gzip stream is cut short after %" PRIu64 " decompressed "
                             "bytes (compressed byte offset %lld), expected more data or the gzip "
                             "trailer", r->path, r->offset, (long long) gzoffset (r->gz));
      if ((size_t) n < want)
        break;
    }
  return PB_OK;
}

static void
idx_be_to_host_f32 (uint8_t *bytes, size_t count)
{
  float *f = (float *) bytes;
  for (size_t i = 0; i < count; i++)
    {
      const uint8_t *b = bytes + 4 * i;
      uint32_t u = (uint32_t) b[0] << 24 | (uint32_t) b[1] << 16 | (uint32_t) b[2] << 8 | b[3];
      memcpy (&f[i], &u, 4);
    }
}

static PbStatus
idx_short_data (IdxReader *r, const PbIdx *idx, uint64_t want, uint64_t have, size_t header)
{
  char dims[128];
  idx_format_dims (dims, sizeof dims, idx->ndim, idx->dims);
  if (idx->type == IDX_TYPE_U8)
    return pb_error_set (r->err, PB_ERR_FORMAT,
                         "%s: header claims %s bytes of data, the file holds only %" PRIu64
                         " (data ends at byte offset %" PRIu64 ")",
                         r->path, dims, have, (uint64_t) header + have);
  return pb_error_set (r->err, PB_ERR_FORMAT,
                       "%s: header claims %s float32 values (%" PRIu64 " bytes) of data, the "
                       "file holds only %" PRIu64 " bytes (data ends at byte offset %" PRIu64 ")",
                       r->path, dims, want, have, (uint64_t) header + have);
}

static PbStatus
idx_too_large (IdxReader *r, uint64_t want)
{
  return pb_error_set (r->err, PB_ERR_FORMAT,
                       "%s: header claims %" PRIu64 " bytes of data, expected at most %" PRIu64
                       " (4 GiB)", r->path, want, IDX_MAX_BYTES);
}

/* When the size of the data on disk is known (a plain regular file), the claim is checked before
 * allocating; otherwise the buffer grows with what the stream delivers, so a lying header never
 * costs more memory than the data it comes with. */
static PbStatus
idx_read_data (IdxReader *r, PbIdx *idx, uint64_t want, size_t header, int64_t plain_avail,
               uint8_t **out)
{
  uint8_t *buf = NULL;
  size_t have = 0, got;
  PbStatus status;

  if (plain_avail >= 0 && (uint64_t) plain_avail < want)
    return idx_short_data (r, idx, want, (uint64_t) plain_avail, header);
  if (plain_avail >= 0 && want > IDX_MAX_BYTES)
    return idx_too_large (r, want);

  const uint64_t limit = IDX_MAX_BYTES < SIZE_MAX ? IDX_MAX_BYTES : SIZE_MAX;
  size_t target = (size_t) (want < limit ? want : limit);
  size_t alloc = plain_avail >= 0 ? target : (target < IDX_FIRST_CHUNK ? target : IDX_FIRST_CHUNK);
  buf = malloc (alloc > 0 ? alloc : 1);
  if (buf == NULL)
    return pb_error_set (r->err, PB_ERR_NOMEM, "%s: cannot allocate %zu bytes for the data",
                         r->path, alloc);

  while (have < target)
    {
      if (have == alloc)
        {
          size_t grown = alloc > target / 2 ? target : alloc * 2;
          uint8_t *bigger = realloc (buf, grown);
          if (bigger == NULL)
            {
              free (buf);
              return pb_error_set (r->err, PB_ERR_NOMEM,
                                   "%s: cannot allocate %zu bytes for the data", r->path, grown);
            }
          buf = bigger;
          alloc = grown;
        }
      status = idx_reader_read (r, buf + have, alloc - have, &got);
      have += got;
      if (status != PB_OK)
        {
          free (buf);
          return status;
        }
      if (have < alloc)
        break;
    }

  if (have < target)
    {
      free (buf);
      return idx_short_data (r, idx, want, have, header);
    }
  if (want > limit)
    {
      free (buf);
      return idx_too_large (r, want);
    }
  *out = buf;
  return PB_OK;
}

PbStatus
pb_idx_read (const char *path, PbIdx *out, PbError *err)
{
  IdxReader r = { .path = path, .err = err };
  PbIdx idx = { 0 };
  uint8_t head[4 + 4 * 4];
  size_t got;
  struct stat st;
  PbStatus status;

  memset (out, 0, sizeof *out);

  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return pb_error_set (err, PB_ERR_IO, "%s: cannot open: %s", path, strerror (errno));
  if (fstat (fd, &st) != 0)
    {
      int e = errno;
      close (fd);
      return pb_error_set (err, PB_ERR_IO, "%s: cannot stat: %s", path, strerror (e));
    }
  if (S_ISDIR (st.st_mode))
    {
      close (fd);
      return pb_error_set (err, PB_ERR_IO, "%s: is a folder, expected an IDX file", path);
    }
  r.gz = gzdopen (fd, "rb");
  if (r.gz == NULL)
    {
      close (fd);
      return pb_error_set (err, PB_ERR_NOMEM, "%s: cannot set up zlib to read it", path);
    }
  gzbuffer (r.gz, 1 << 17);

  status = idx_reader_read (&r, head, 4, &got);
  if (status != PB_OK)
    goto out;
  if (got < 4)
    {
      status = pb_error_set (err, PB_ERR_FORMAT,
                             "%s: the file ends at byte offset %zu, expected a 4-byte IDX magic "
                             "(00 00 type ndim)", path, got);
      goto out;
    }
  if (head[0] != 0 || head[1] != 0)
    {
      status = pb_error_set (err, PB_ERR_FORMAT,
                             "%s: bytes 0-1 are 0x%02x 0x%02x, expected 0x00 0x00 (IDX magic)",
                             path, head[0], head[1]);
      goto out;
    }
  if (head[2] != IDX_TYPE_U8 && head[2] != IDX_TYPE_F32)
    {
      status = pb_error_set (err, PB_ERR_FORMAT,
                             "%s: type code 0x%02x at byte offset 2 is unsupported, expected 0x08 "
                             "(unsigned byte) or 0x0d (float32)", path, head[2]);
      goto out;
    }
  if (head[3] < 1 || head[3] > 4)
    {
      status = pb_error_set (err, PB_ERR_FORMAT,
                             "%s: %u dimensions at byte offset 3, expected 1 to 4",
                             path, head[3]);
      goto out;
    }
  idx.type = head[2];
  idx.ndim = head[3];
  size_t header = 4 + 4 * (size_t) idx.ndim;

  status = idx_reader_read (&r, head + 4, header - 4, &got);
  if (status != PB_OK)
    goto out;
  if (got < header - 4)
    {
      status = pb_error_set (err, PB_ERR_FORMAT,
                             "%s: the file ends at byte offset %zu inside the header, expected %d "
                             "dimensions of 4 bytes each (header of %zu bytes)",
                             path, 4 + got, idx.ndim, header);
      goto out;
    }

  uint64_t count = 1;
  bool overflow = false;
  for (int i = 0; i < idx.ndim; i++)
    {
      const uint8_t *b = head + 4 + 4 * i;
      idx.dims[i] = (uint32_t) b[0] << 24 | (uint32_t) b[1] << 16 | (uint32_t) b[2] << 8 | b[3];
      if (idx.dims[i] != 0 && count > UINT64_MAX / 4 / idx.dims[i])
        overflow = true;
      else
        count *= idx.dims[i];
    }
  if (overflow || count > SIZE_MAX / 4)
    {
      char dims[128];
      idx_format_dims (dims, sizeof dims, idx.ndim, idx.dims);
      status = pb_error_set (err, PB_ERR_FORMAT,
                             "%s: header dimensions %s overflow 64 bits, expected a size that "
                             "fits in memory", path, dims);
      goto out;
    }
  idx.count = (size_t) count;
  uint64_t want = count * idx_elem_size (idx.type);

  int64_t plain_avail = -1;
  if (gzdirect (r.gz) && S_ISREG (st.st_mode))
    plain_avail = st.st_size > (off_t) header ? (int64_t) (st.st_size - (off_t) header) : 0;

  uint8_t *data = NULL;
  status = idx_read_data (&r, &idx, want, header, plain_avail, &data);
  if (status != PB_OK)
    goto out;
  idx.data = data;

  /* One more byte: catches trailing garbage and, for gzip, makes zlib verify the trailer. */
  uint8_t extra;
  status = idx_reader_read (&r, &extra, 1, &got);
  if (status != PB_OK)
    goto out;
  if (got > 0)
    {
      status = pb_error_set (err, PB_ERR_FORMAT,
                             "%s: unexpected data at byte offset %" PRIu64 ", expected the end of "
                             "the file after the %zu-byte header and %" PRIu64 " bytes of data",
                             path, r.offset - 1, header, want);
      goto out;
    }

  if (idx.type == IDX_TYPE_F32)
    idx_be_to_host_f32 (idx.data, idx.count);

out:
  {
    int zret = gzclose (r.gz);
    if (status == PB_OK && zret != Z_OK)
      status = pb_error_set (err, PB_ERR_FORMAT,
                             "%s: zlib reports an error (%d) at the end of the data, expected a "
                             "complete gzip stream", path, zret);
  }
  if (status != PB_OK)
    {
      pb_idx_clear (&idx);
      return status;
    }
  *out = idx;
  return PB_OK;
}

void
pb_idx_clear (PbIdx *self)
{
  free (self->data);
  memset (self, 0, sizeof *self);
}

static PbStatus
idx_write_all (int fd, const char *path, const void *buf, size_t len, uint64_t *offset,
               PbError *err)
{
  const uint8_t *p = buf;
  while (len > 0)
    {
      ssize_t n = write (fd, p, len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return pb_error_set (err, PB_ERR_IO, "%s: write failed at byte offset %" PRIu64 ": %s",
                             path, *offset, n < 0 ? strerror (errno) : "no progress");
      p += n;
      len -= (size_t) n;
      *offset += (uint64_t) n;
    }
  return PB_OK;
}

static PbStatus
idx_write (const char *path, uint8_t type, int ndim, const uint32_t *dims, const void *data,
           PbError *err)
{
  uint8_t head[4 + 4 * 4] = { 0, 0, type, (uint8_t) ndim };
  uint64_t offset = 0;
  size_t count = 1;
  PbStatus status;

  if (ndim < 1 || ndim > 4)
    return pb_error_set (err, PB_ERR_INVALID, "%s: %d dimensions requested, expected 1 to 4",
                         path, ndim);
  for (int i = 0; i < ndim; i++)
    {
      if (dims[i] != 0 && count > SIZE_MAX / 4 / dims[i])
        return pb_error_set (err, PB_ERR_INVALID, "%s: dimensions overflow the address space",
                             path);
      count *= dims[i];
      head[4 + 4 * i] = (uint8_t) (dims[i] >> 24);
      head[5 + 4 * i] = (uint8_t) (dims[i] >> 16);
      head[6 + 4 * i] = (uint8_t) (dims[i] >> 8);
      head[7 + 4 * i] = (uint8_t) dims[i];
    }

  size_t tmp_len = strlen (path) + sizeof ".XXXXXX";
  char *tmp = malloc (tmp_len);
  if (tmp == NULL)
    return pb_error_set (err, PB_ERR_NOMEM, "%s: out of memory", path);
  snprintf (tmp, tmp_len, "%s.XXXXXX", path);

  int fd = mkstemp (tmp);
  if (fd < 0)
    {
      status = pb_error_set (err, PB_ERR_IO, "%s: cannot create a temporary file beside it: %s",
                             path, strerror (errno));
      free (tmp);
      return status;
    }
  /* mkstemp makes the file 0600; a data file is meant to be shared like any other. */
  fchmod (fd, 0644);

  status = idx_write_all (fd, path, head, 4 + 4 * (size_t) ndim, &offset, err);
  if (status == PB_OK && type == IDX_TYPE_U8)
    status = idx_write_all (fd, path, data, count, &offset, err);
  else if (status == PB_OK)
    {
      const float *f = data;
      uint8_t chunk[4096];
      for (size_t i = 0; i < count && status == PB_OK;)
        {
          size_t n = 0;
          for (; i < count && n + 4 <= sizeof chunk; i++, n += 4)
            {
              uint32_t u;
              memcpy (&u, &f[i], 4);
              chunk[n] = (uint8_t) (u >> 24);
              chunk[n + 1] = (uint8_t) (u >> 16);
              chunk[n + 2] = (uint8_t) (u >> 8);
              chunk[n + 3] = (uint8_t) u;
            }
          status = idx_write_all (fd, path, chunk, n, &offset, err);
        }
    }
  if (status == PB_OK && fsync (fd) != 0)
    status = pb_error_set (err, PB_ERR_IO, "%s: fsync failed after %" PRIu64 " bytes: %s",
                           path, offset, strerror (errno));
  if (close (fd) != 0 && status == PB_OK)
    status = pb_error_set (err, PB_ERR_IO, "%s: close failed after %" PRIu64 " bytes: %s",
                           path, offset, strerror (errno));
  if (status == PB_OK && rename (tmp, path) != 0)
    status = pb_error_set (err, PB_ERR_IO, "%s: cannot replace it with %s: %s",
                           path, tmp, strerror (errno));
  if (status != PB_OK)
    unlink (tmp);
  free (tmp);
  return status;
}

PbStatus
pb_idx_write_u8 (const char *path, int ndim, const uint32_t *dims, const uint8_t *data,
                 PbError *err)
{
  return idx_write (path, IDX_TYPE_U8, ndim, dims, data, err);
}

PbStatus
pb_idx_write_f32 (const char *path, int ndim, const uint32_t *dims, const float *data,
                  PbError *err)
{
  return idx_write (path, IDX_TYPE_F32, ndim, dims, data, err);
}
