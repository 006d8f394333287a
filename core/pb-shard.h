/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Work split over machines. A command's work units are numbered from 1 (a study: one model's
 * round, model-major, u = m·rounds + r + 1; a sweep: one trial's round, u = t·rounds + r + 1;
 * halving: the same within a rung's trial list). Unit u belongs to shard ((u − 1) mod N) + 1.
 * A shard's --json output begins with a header, which merge checks before it reads anything
 * else:
 *   "format": "pairbench-shard", "version": 1, "kind": "study" | "sweep", "build": "0.9.0 abc123",
 *   "hash": "16 hex digits of the command's settings or config", "shard": K, "shards": N,
 *   "units": [the units done, ascending]
 * then the kind's own members (the settings or config themselves, and the results). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pb-json.h"
#include "pb-status.h"

#define PB_SHARD_FORMAT "pairbench-shard"
#define PB_SHARD_VERSION 1
#define PB_SHARD_MAX 100000

typedef struct
{
  int k, n;   /* 1 ≤ k ≤ n; {1, 1} is the whole command */
} PbShard;

/* "K/N": PB_ERR_INVALID "--shard: expected K/N with 1 ≤ K ≤ N ≤ 100000, got 'TEXT'". */
PbStatus pb_shard_parse (const char *text, PbShard *out, PbError *err);
bool     pb_shard_owns (const PbShard *self, long unit);
/* FNV-1a, 64 bits: the same on every machine. */
uint64_t pb_hash64 (const void *data, size_t len);

/* Appends the header's members (no braces): `"format":…,"units":[…]`. */
void     pb_shard_header_append (PbStr *out, const char *kind, const char *build, uint64_t hash,
                                 const PbShard *shard, const long *units, int n_units);

typedef struct
{
  const char *path;
  char *text;           /* the file, NUL-terminated */
  size_t len;
  PbJson *root;         /* its tree: the kind's members are read from here */
  char kind[16];
  char build[64];
  uint64_t hash;
  PbShard shard;
  long *units;
  int n_units;
} PbShardFile;

/* Reads and checks the header. PB_ERR_FORMAT "PATH: expected a pairbench shard (…), found …"
 * for a file that is no shard. path must outlive the PbShardFile. */
PbStatus pb_shard_file_load (const char *path, PbShardFile *out, PbError *err);
void     pb_shard_file_clear (PbShardFile *self);
/* Checks that the files are one complete set: the same kind, build, hash and N; each K from 1 to
 * N exactly once; and each file's units exactly the ones its shard owns of 1..total_units.
 * PB_ERR_INVALID naming the first file at fault (or the missing shard's number). */
PbStatus pb_shard_files_check (const PbShardFile *files, int n_files, long total_units,
                               PbError *err);
