/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Exact k nearest neighbours of one point by brute force: the maps hold a few thousand points
 * at most, and a click asks for one point's neighbours. */

#include "pb-status.h"

typedef enum
{
  PB_DISTANCE_EUCLIDEAN, /* ‖a − b‖ */
  PB_DISTANCE_COSINE,    /* 1 − a·b / (‖a‖ ‖b‖), in [0, 2]; a zero vector is at distance 1
                          * from every point (scikit-learn's convention), itself included */
} PbDistance;

/* points: [n, dim]. The k points nearest to points[query], the query itself excluded, nearest
 * first, equal (float) distances in index order: out_idx [k], out_dist [k] (may be NULL).
 * Errors (PB_ERR_INVALID): n < 2, dim < 1, query not in [0, n), k not in [1, n − 1], an unknown
 * metric, a non-finite coordinate. PB_ERR_NOMEM. */
PbStatus pb_knn (const float *points, int n, int dim, int query, int k, PbDistance metric,
                 int *out_idx, float *out_dist, PbError *err);
