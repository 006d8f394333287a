/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Repulsion by FFT-accelerated interpolation (Linderman, Rachh, Hoskins, Steinerberger and
 * Kluger 2019, "FIt-SNE"), with the kernels split into a smooth far part and a short near part:
 *
 * The map's square bounding box is cut into B × B equal boxes, each with NODES × NODES
 * equispaced nodes, so that all the nodes form one equispaced grid. Every point spreads the
 * charges 1, x and y onto its box's nodes with Lagrange weights; the potentials of a kernel at
 * the nodes are a discrete convolution, which one FFT of twice the grid's side computes; each
 * point then reads them back with the same weights:
 *
 *   Σ_j w_ij² (y_i − y_j) = y_i φ_1 (i) − φ_y (i)      Z = Σ_nodes q_1 (K ∗ q_1) − self terms
 *
 * (Z through Parseval, from the charges' transform, without a transform back).
 *
 * Interpolation with 3 nodes a box is coarse where the kernels peak: at boxes one unit wide,
 * FIt-SNE's default, the forces of a converged MNIST map are 4 % off and its KL ends 2 % above
 * the exact method's. So each kernel K (s = d²) is split at s_c = (NEAR · h)² into a smooth part,
 * K itself beyond s_c and its cubic Taylor polynomial in s inside, which the grid interpolates
 * well, and the rest K − K_smooth, zero beyond s_c, which is summed exactly over the pairs
 * closer than NEAR · h, found with a cell list. A t-SNE map holds a few points within a unit
 * of each, so the near sums are cheap, and the boxes can be wider than FIt-SNE's.
 *
 * The boxes are BOX_WIDTH wide (with the near part within 2 boxes), narrower while the near
 * sums would visit more than NEAR_PAIRS pairs a point, and PLAIN_WIDTH wide without the split
 * while the map is small and dense (early exaggeration), where plain interpolation is accurate;
 * at least MIN_BOXES a side, B rounded up to a product of 2, 3 and 5 (fast FFT sizes, and fewer
 * grid changes while the map grows). The grid, its plans and the kernels' transforms are made
 * again only when B or the box width changes, both functions of y alone, so a run does not
 * depend on how it is stepped. The transforms are single precision; the spreading runs in
 * index order on one thread, the gathering and the near sums on all, each point's sums in an
 * order fixed by y, so the result does not depend on the number of threads. */
#include <fftw3.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "pb-tsne-private.h"

#ifndef NODES
#define NODES     3
#endif
#ifndef BOX_WIDTH
#define BOX_WIDTH 2.0
#endif
#ifndef NEAR
#define NEAR      2.0
#endif
#define MIN_BOXES 50
#define NEAR_PAIRS 200.0
#define SPLIT_MIN   0.7
#define PLAIN_WIDTH 0.25
#define MAX_COUNT_CELLS 512
#define MAX_BOXES 400
#define CHUNK     1024


/* FFTW's planner is not thread-safe; two maps may be planned at once in an app. */
static pthread_mutex_t planner_lock = PTHREAD_MUTEX_INITIALIZER;

struct _PbTsneFft
{
  int            n;
  int            boxes;         /* B, a side */
  int            side;          /* nodes a side: B · NODES */
  int            m;             /* the transform's side: 2 · side */
  double         h;             /* the box width the kernels' transforms are for */
  bool           split;         /* and whether they are the smooth parts */
  int           *counts;        /* [MAX_COUNT_CELLS²] for near_candidates */
  float         *kernel;        /* [m, m] circulant kernel */
  float         *charge[3];     /* [m, m]: 1, x, y; only [side, side] is ever non-zero */
  float         *potential[3];  /* [m, m]: w²·1, w²·x, w²·y (smooth parts) */
  fftwf_complex *kspec[2];      /* [m, m / 2 + 1] transforms of the smooth w and w² */
  fftwf_complex *cspec[3];
  fftwf_plan     forward, inverse;

  int            cells;         /* the cell list's side */
  int           *cell_start;    /* [cells² + 1] */
  int           *cell_fill;     /* [cells²] */
  int           *cell_of;       /* [n] */
  int           *by_cell;       /* [n] points sorted by cell, in index order within one */
  double        *sx, *sy;       /* [n + 4] their coordinates, then 4 far away */

  int           *node;          /* [n] the point's first node, an offset in the grids */
  float         *wx, *wy;       /* [n, NODES] Lagrange weights */
  float         *cx, *cy;       /* [n] coordinates from the grid's centre */
};

/* A kernel of s = d², split at s_c: K_smooth is K for s >= s_c and K's cubic Taylor polynomial
 * at s_c below it; the near part is K − K_smooth. */
typedef struct
{
  double sc;
  double c1[4];  /* the Taylor coefficients of 1 / (1 + s) */
  double c2[4];  /* and of 1 / (1 + s)² */
} Split;

typedef struct
{
  const PbTsneFft *fft;
  const Split     *split;
  double          *rep;
  double          *z;
  atomic_int       next;
} GatherJob;

static void
split_init (Split *sp, double rc)
{
  double sc = rc * rc, a = 1.0 / (1.0 + sc);

  sp->sc = sc;
  sp->c1[0] = a;
  sp->c1[1] = -a * a;
  sp->c1[2] = a * a * a;
  sp->c1[3] = -a * a * a * a;
  sp->c2[0] = a * a;
  sp->c2[1] = -2.0 * a * a * a;
  sp->c2[2] = 3.0 * a * a * a * a;
  sp->c2[3] = -4.0 * a * a * a * a * a;
}

static inline double
taylor (const double *c, double t)
{
  return c[0] + t * (c[1] + t * (c[2] + t * c[3]));
}

static inline double
smooth1 (const Split *sp, double s)
{
  return s >= sp->sc ? 1.0 / (1.0 + s) : taylor (sp->c1, s - sp->sc);
}

static inline double
smooth2 (const Split *sp, double s)
{
  double w = 1.0 / (1.0 + s);
  return s >= sp->sc ? w * w : taylor (sp->c2, s - sp->sc);
}

static void
grid_clear (PbTsneFft *fft)
{
  pthread_mutex_lock (&planner_lock);
  if (fft->forward != NULL)
    fftwf_destroy_plan (fft->forward);
  if (fft->inverse != NULL)
    fftwf_destroy_plan (fft->inverse);
  pthread_mutex_unlock (&planner_lock);
  fft->forward = fft->inverse = NULL;
  fftwf_free (fft->kernel);
  fft->kernel = NULL;
  for (int k = 0; k < 3; k++)
    {
      fftwf_free (fft->potential[k]);
      fftwf_free (fft->charge[k]);
      fftwf_free (fft->cspec[k]);
      fft->potential[k] = NULL;
      fft->charge[k] = NULL;
      fft->cspec[k] = NULL;
    }
  for (int k = 0; k < 2; k++)
    {
      fftwf_free (fft->kspec[k]);
      fft->kspec[k] = NULL;
    }
  free (fft->cell_start);
  free (fft->cell_fill);
  fft->cell_start = fft->cell_fill = NULL;
  fft->boxes = fft->side = fft->m = fft->cells = 0;
  fft->h = 0.0;
}

static bool
grid_make (PbTsneFft *fft, int boxes)
{
  int side = boxes * NODES, m = 2 * side;
  /* Cells at least NEAR · h / 2 wide over the grid's B · h: the pairs closer than NEAR · h lie
   * within 5 × 5 cells. */
  int cells = (int) floor (2.0 * boxes / NEAR);
  size_t reals = (size_t) m * m, complexes = (size_t) m * (m / 2 + 1);
  bool ok;

  grid_clear (fft);
  cells = cells < 1 ? 1 : cells;
  fft->kernel = fftwf_malloc (reals * sizeof (float));
  fft->cell_start = malloc (((size_t) cells * cells + 1) * sizeof (int));
  fft->cell_fill = malloc ((size_t) cells * cells * sizeof (int));
  ok = fft->kernel != NULL && fft->cell_start != NULL && fft->cell_fill != NULL;
  for (int k = 0; k < 3; k++)
    {
      ok = (fft->potential[k] = fftwf_malloc (reals * sizeof (float))) != NULL && ok;
      ok = (fft->charge[k] = fftwf_malloc (reals * sizeof (float))) != NULL && ok;
      ok = (fft->cspec[k] = fftwf_malloc (complexes * sizeof (fftwf_complex))) != NULL && ok;
      if (fft->charge[k] != NULL)
        memset (fft->charge[k], 0, reals * sizeof (float));
    }
  for (int k = 0; k < 2; k++)
    ok = (fft->kspec[k] = fftwf_malloc (complexes * sizeof (fftwf_complex))) != NULL && ok;
  if (ok)
    {
      /* FFTW_ESTIMATE plans without timing, so the same plan, and the same sums, every run.
       * The inverse overwrites its input, the product, which is made again each time. */
      pthread_mutex_lock (&planner_lock);
      fft->forward = fftwf_plan_dft_r2c_2d (m, m, fft->kernel, fft->kspec[0], FFTW_ESTIMATE);
      fft->inverse = fftwf_plan_dft_c2r_2d (m, m, fft->cspec[0], fft->potential[0],
                                            FFTW_ESTIMATE);
      pthread_mutex_unlock (&planner_lock);
      ok = fft->forward != NULL && fft->inverse != NULL;
    }
  if (!ok)
    {
      grid_clear (fft);
      return false;
    }
  fft->boxes = boxes;
  fft->side = side;
  fft->m = m;
  fft->cells = cells;
  return true;
}

PbTsneFft *
pb_tsne_fft_new (int n)
{
  PbTsneFft *fft = calloc (1, sizeof *fft);

  if (fft == NULL)
    return NULL;
  fft->n = n;
  fft->node = malloc ((size_t) n * sizeof (int));
  fft->wx = malloc ((size_t) n * NODES * sizeof (float));
  fft->wy = malloc ((size_t) n * NODES * sizeof (float));
  fft->cx = malloc ((size_t) n * sizeof (float));
  fft->cy = malloc ((size_t) n * sizeof (float));
  fft->cell_of = malloc ((size_t) n * sizeof (int));
  fft->counts = malloc ((size_t) MAX_COUNT_CELLS * MAX_COUNT_CELLS * sizeof (int));
  fft->by_cell = malloc ((size_t) n * sizeof (int));
  fft->sx = malloc (((size_t) n + 4) * sizeof (double));
  fft->sy = malloc (((size_t) n + 4) * sizeof (double));
  if (!fft->node || !fft->wx || !fft->wy || !fft->cx || !fft->cy || !fft->cell_of
      || !fft->by_cell || !fft->sx || !fft->sy || !fft->counts)
    {
      pb_tsne_fft_free (fft);
      return NULL;
    }
  return fft;
}

void
pb_tsne_fft_free (PbTsneFft *fft)
{
  if (fft == NULL)
    return;
  grid_clear (fft);
  free (fft->node);
  free (fft->wx);
  free (fft->wy);
  free (fft->cx);
  free (fft->cy);
  free (fft->cell_of);
  free (fft->counts);
  free (fft->by_cell);
  free (fft->sx);
  free (fft->sy);
  free (fft);
}

int
pb_tsne_fft_boxes (const PbTsneFft *fft)
{
  return fft->boxes;
}

static int
smooth_at_least (int v)
{
  for (;; v++)
    {
      int r = v;
      while (r % 2 == 0)
        r /= 2;
      while (r % 3 == 0)
        r /= 3;
      while (r % 5 == 0)
        r /= 5;
      if (r == 1)
        return v;
    }
}

/* The Lagrange basis on the nodes (j + 1/2) / NODES of a box, at u in [0, 1]. */
static inline void
lagrange (double u, float *w)
{
  for (int j = 0; j < NODES; j++)
    {
      double tj = (j + 0.5) / NODES, v = 1.0;
      for (int k = 0; k < NODES; k++)
        if (k != j)
          v *= (u - (k + 0.5) / NODES) / (tj - (k + 0.5) / NODES);
      w[j] = (float) v;
    }
}

/* The circulant embedding of the smooth kernel at δ² (a² + b²) for |a|, |b| < side, scaled by
 * 1 / m² for FFTW's unnormalised inverse, then its transform into spec. */
static void
kernel_transform (PbTsneFft *fft, const Split *sp, double delta, bool squared,
                  fftwf_complex *spec)
{
  int side = fft->side, m = fft->m;
  float *k = fft->kernel;
  double scale = 1.0 / ((double) m * m), d2 = delta * delta;

  memset (k, 0, (size_t) m * m * sizeof (float));
  for (int a = 0; a < side; a++)
    for (int b = 0; b < side; b++)
      {
        double s = d2 * ((double) a * a + (double) b * b);
        float v = (float) (scale * (squared ? smooth2 (sp, s) : smooth1 (sp, s)));
        int ra = a == 0 ? 0 : m - a, rb = b == 0 ? 0 : m - b;
        k[(size_t) a * m + b] = v;
        k[(size_t) ra * m + b] = v;
        k[(size_t) a * m + rb] = v;
        k[(size_t) ra * m + rb] = v;
      }
  fftwf_execute_dft_r2c (fft->forward, k, spec);
}

/* The kernel is even, so its transform is real. The product overwrites spec. */
static void
convolve (PbTsneFft *fft, const fftwf_complex *kspec, fftwf_complex *spec, float *out)
{
  size_t complexes = (size_t) fft->m * (fft->m / 2 + 1);

  for (size_t c = 0; c < complexes; c++)
    {
      float k = kspec[c][0];
      spec[c][0] *= k;
      spec[c][1] *= k;
    }
  fftwf_execute_dft_c2r (fft->inverse, spec, out);
}

/* Σ_nodes q (K ∗ q) = Σ_k K̂ (k) |Q (k)|² / m², over the half spectrum of a real transform. */
static double
parseval (const PbTsneFft *fft, const fftwf_complex *kspec, const fftwf_complex *spec)
{
  int m = fft->m, half = m / 2 + 1;
  double total = 0.0;

  for (int r = 0; r < m; r++)
    {
      double row = 0.0;
      for (int c = 0; c < half; c++)
        {
          size_t at = (size_t) r * half + c;
          double q2 = (double) spec[at][0] * spec[at][0] + (double) spec[at][1] * spec[at][1];
          row += (c == 0 || c == m / 2 ? 1.0 : 2.0) * kspec[at][0] * q2;
        }
      total += row;
    }
  return total;
}

/* Four lanes of doubles: GCC's and Clang's vector extension, as SSE2 pairs or AVX. */
typedef double V4 __attribute__ ((vector_size (32)));

static void
gather_run (void *data, int thread)
{
  const V4 lane = { 0.0, 1.0, 2.0, 3.0 };
  GatherJob *job = data;
  const PbTsneFft *fft = job->fft;
  const Split *sp = job->split;
  const float *p1 = fft->potential[0], *p2 = fft->potential[1], *p3 = fft->potential[2];
  int m = fft->m, n = fft->n, cells = fft->cells;
  const int *start = fft->cell_start;
  const double *sx = fft->sx, *sy = fft->sy;

  (void) thread;
  for (;;)
    {
      int from = atomic_fetch_add (&job->next, CHUNK);
      if (from >= n)
        return;
      int to = from + CHUNK < n ? from + CHUNK : n;
      for (int k = from; k < to; k++)
        {
          int i = fft->by_cell[k];
          const float *wx = fft->wx + (size_t) NODES * i, *wy = fft->wy + (size_t) NODES * i;
          double f1 = 0.0, f2 = 0.0, f3 = 0.0;

          for (int a = 0; a < NODES; a++)
            {
              size_t at = (size_t) fft->node[i] + (size_t) a * m;
              float s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
              for (int b = 0; b < NODES; b++)
                {
                  s1 += wy[b] * p1[at + b];
                  s2 += wy[b] * p2[at + b];
                  s3 += wy[b] * p3[at + b];
                }
              f1 += (double) wx[a] * s1;
              f2 += (double) wx[a] * s2;
              f3 += (double) wx[a] * s3;
            }

          if (sp == NULL)
            {
              job->z[i] = 0.0;
              job->rep[2 * i] = fft->cx[i] * f1 - f2;
              job->rep[2 * i + 1] = fft->cy[i] * f1 - f3;
              continue;
            }

          /* The near parts, exact, over the 5 × 5 cells around i's; i itself adds nothing to
           * the forces, and 1 − K_smooth (0) to z, which the caller takes off. */
          double xi = sx[k], yi = sy[k], zn, rx, ry;
          int c = fft->cell_of[i], ca = c / cells, cb = c % cells;
          int b0 = cb >= 2 ? cb - 2 : 0, b1 = cb + 2 < cells ? cb + 2 : cells - 1;
          V4 vz = { 0 }, vx = { 0 }, vy = { 0 };
          for (int a = ca >= 2 ? ca - 2 : 0; a <= ca + 2 && a < cells; a++)
            {
              int e1 = start[a * cells + b1 + 1];
              for (int e = start[a * cells + b0]; e < e1; e += 4)
                {
                  V4 px, py;
                  memcpy (&px, sx + e, sizeof px);
                  memcpy (&py, sy + e, sizeof py);
                  V4 dx = xi - px, dy = yi - py;
                  V4 s = dx * dx + dy * dy, t = s - sp->sc;
                  V4 at = (double) e + lane;
                  /* 1 for the lanes inside the cutoff and the range, else 0. */
                  V4 in = -__builtin_convertvector ((t < 0.0) & (at < (double) e1), V4);
                  V4 w = 1.0 / (1.0 + s);
                  V4 t1 = sp->c1[0] + t * (sp->c1[1] + t * (sp->c1[2] + t * sp->c1[3]));
                  V4 t2 = sp->c2[0] + t * (sp->c2[1] + t * (sp->c2[2] + t * sp->c2[3]));
                  V4 near2 = in * (w * w - t2);
                  vz += in * (w - t1);
                  vx += near2 * dx;
                  vy += near2 * dy;
                }
            }
          zn = (vz[0] + vz[1]) + (vz[2] + vz[3]);
          rx = (vx[0] + vx[1]) + (vx[2] + vx[3]);
          ry = (vy[0] + vy[1]) + (vy[2] + vy[3]);
          job->z[i] = zn;
          job->rep[2 * i] = fft->cx[i] * f1 - f2 + rx;
          job->rep[2 * i + 1] = fft->cy[i] * f1 - f3 + ry;
        }
    }
}

/* How many pairs the near sums would visit with cells `width` wide: Σ over the cells of their
 * count times the count of the 5 × 5 cells around them. */
static double
near_candidates (const double *y, int n, double lo, double span, double width, int *counts)
{
  int cells = (int) floor (span / width);
  double total = 0.0;

  cells = cells < 1 ? 1 : cells > MAX_COUNT_CELLS ? MAX_COUNT_CELLS : cells;
  width = span / cells;
  memset (counts, 0, (size_t) cells * cells * sizeof (int));
  for (int i = 0; i < n; i++)
    {
      int a = (int) ((y[2 * i] - lo) / width), b = (int) ((y[2 * i + 1] - lo) / width);
      a = a < 0 ? 0 : a >= cells ? cells - 1 : a;
      b = b < 0 ? 0 : b >= cells ? cells - 1 : b;
      counts[a * cells + b]++;
    }
  for (int a = 0; a < cells; a++)
    for (int b = 0; b < cells; b++)
      {
        int c = counts[a * cells + b];
        if (c == 0)
          continue;
        double around = 0.0;
        for (int da = a - 2; da <= a + 2; da++)
          for (int db = b - 2; db <= b + 2; db++)
            if (da >= 0 && da < cells && db >= 0 && db < cells)
              around += counts[da * cells + db];
        total += c * around;
      }
  return total;
}

/* rep and Z by interpolation plus the near parts; z [n] is scratch. */
static PbStatus
repulsion (PbTsnePool *pool, const double *y, PbTsneFft *fft, double *rep, double *z,
           double *zsum, PbError *err)
{
  int n = fft->n;
  double lo = INFINITY, hi = -INFINITY;

  for (int c = 0; c < 2 * n; c++)
    {
      lo = y[c] < lo ? y[c] : lo;
      hi = y[c] > hi ? y[c] : hi;
    }
  double extent = hi - lo;
  if (!(extent > 1e-12))
    extent = 1e-12;

  /* The widest box on the ladder BOX_WIDTH · 2^(−k/2) whose near sums, counted on a cell list,
   * stay under NEAR_PAIRS candidates a point; if none down to SPLIT_MIN, plain interpolation on
   * boxes PLAIN_WIDTH wide, accurate without the split (while the map is small and dense). B · h
   * covers the extent with a little slack. */
  double span = extent * (1.0 + 1e-9), h = BOX_WIDTH;
  bool split = false;
  for (; h >= SPLIT_MIN; h *= M_SQRT1_2)
    if (near_candidates (y, n, lo, span, fmax (NEAR * h / 2.0, span / MAX_COUNT_CELLS),
                         fft->counts) <= NEAR_PAIRS * n)
      {
        split = true;
        break;
      }
  if (!split)
    h = PLAIN_WIDTH;
  int boxes;
  if (span <= MIN_BOXES * h)
    {
      boxes = MIN_BOXES;
      h = span / MIN_BOXES;
    }
  else
    {
      double need = ceil (span / h);
      boxes = need >= MAX_BOXES ? MAX_BOXES : smooth_at_least ((int) need);
      boxes = boxes > MAX_BOXES ? MAX_BOXES : boxes;
      h = boxes == MAX_BOXES ? fmax (h, span / boxes) : h;
    }
  if (boxes != fft->boxes && !grid_make (fft, boxes))
    return pb_error_set (err, PB_ERR_NOMEM, "t-SNE: out of memory for an FFT grid of %d × %d "
                         "boxes", boxes, boxes);

  int side = fft->side, m = fft->m, cells = fft->cells;
  double mid = lo + 0.5 * boxes * h, rc = split ? NEAR * h : 0.0;
  Split sp;
  split_init (&sp, rc);
  if (h != fft->h || split != fft->split)
    {
      kernel_transform (fft, &sp, h / NODES, false, fft->kspec[0]);
      kernel_transform (fft, &sp, h / NODES, true, fft->kspec[1]);
      fft->h = h;
      fft->split = split;
    }

  for (int k = 0; k < 3; k++)
    for (int r = 0; r < side; r++)
      memset (fft->charge[k] + (size_t) r * m, 0, (size_t) side * sizeof (float));
  memset (fft->cell_start, 0, ((size_t) cells * cells + 1) * sizeof (int));

  float *q0 = fft->charge[0], *q1 = fft->charge[1], *q2 = fft->charge[2];
  double cell_w = (double) boxes * h / cells;
  for (int i = 0; i < n; i++)
    {
      double ux = (y[2 * i] - lo) / h, uy = (y[2 * i + 1] - lo) / h;
      int bx = (int) ux, by = (int) uy;
      bx = bx < 0 ? 0 : bx >= boxes ? boxes - 1 : bx;
      by = by < 0 ? 0 : by >= boxes ? boxes - 1 : by;
      float *wx = fft->wx + (size_t) NODES * i, *wy = fft->wy + (size_t) NODES * i;
      lagrange (ux - bx, wx);
      lagrange (uy - by, wy);

      int node = bx * NODES * m + by * NODES;
      float cx = (float) (y[2 * i] - mid), cy = (float) (y[2 * i + 1] - mid);
      fft->node[i] = node;
      fft->cx[i] = cx;
      fft->cy[i] = cy;
      for (int a = 0; a < NODES; a++)
        for (int b = 0; b < NODES; b++)
          {
            size_t at = (size_t) node + (size_t) a * m + b;
            float w = wx[a] * wy[b];
            q0[at] += w;
            q1[at] += w * cx;
            q2[at] += w * cy;
          }

      int ca = (int) ((y[2 * i] - lo) / cell_w), cb = (int) ((y[2 * i + 1] - lo) / cell_w);
      ca = ca < 0 ? 0 : ca >= cells ? cells - 1 : ca;
      cb = cb < 0 ? 0 : cb >= cells ? cells - 1 : cb;
      fft->cell_of[i] = ca * cells + cb;
      fft->cell_start[ca * cells + cb + 1]++;
    }

  /* The cell list: a counting sort, stable, so each cell holds its points in index order. */
  for (int c = 0; c < cells * cells; c++)
    fft->cell_start[c + 1] += fft->cell_start[c];
  memcpy (fft->cell_fill, fft->cell_start, (size_t) cells * cells * sizeof (int));
  for (int i = 0; i < n; i++)
    {
      int at = fft->cell_fill[fft->cell_of[i]]++;
      fft->by_cell[at] = i;
      fft->sx[at] = y[2 * i];
      fft->sy[at] = y[2 * i + 1];
    }
  for (int k = n; k < n + 4; k++)
    fft->sx[k] = fft->sy[k] = 1e30;

  for (int k = 0; k < 3; k++)
    fftwf_execute_dft_r2c (fft->forward, fft->charge[k], fft->cspec[k]);
  /* Each point met itself on the grid, at K_smooth (0), and in its near sum. */
  double zgrid = parseval (fft, fft->kspec[0], fft->cspec[0]) - n;
  for (int k = 0; k < 3; k++)
    convolve (fft, fft->kspec[1], fft->cspec[k], fft->potential[k]);

  GatherJob job = { .fft = fft, .split = split ? &sp : NULL, .rep = rep, .z = z };
  atomic_init (&job.next, 0);
  pb_tsne_pool_run (pool, gather_run, &job);

  double total = 0.0;
  for (int i = 0; i < n; i++)
    total += z[i];
  *zsum = zgrid + total;
  return PB_OK;
}

PbStatus
pb_tsne_fft_terms (PbTsnePool *pool, const PbTsneAffinities *p, const double *y, PbTsneFft *fft,
                   double *attr, double *rep, double *kl, double *zsum, PbError *err)
{
  /* Z's terms go where the attraction will be written next. */
  PbStatus status = repulsion (pool, y, fft, rep, attr, zsum, err);

  if (status != PB_OK)
    return status;
  /* In the cell list's order: P's neighbours are mostly near in the map too. */
  pb_tsne_attraction (pool, p, y, fft->by_cell, attr, kl);
  return PB_OK;
}

PbStatus
pb_tsne_fft_gradient (const PbTsneAffinities *p, const double *y, double *grad, double *kl,
                      PbError *err)
{
  int n = p->n;
  PbTsneFft *fft = pb_tsne_fft_new (n);
  double *attr = malloc ((size_t) 2 * n * sizeof (double));
  double *rep = malloc ((size_t) 2 * n * sizeof (double));
  double *klterm = malloc ((size_t) n * sizeof (double));
  PbStatus status;
  double zsum;

  if (fft == NULL || !attr || !rep || !klterm)
    {
      status = pb_error_set (err, PB_ERR_NOMEM, "t-SNE: out of memory for %d points", n);
      goto out;
    }
  status = pb_tsne_fft_terms (NULL, p, y, fft, attr, rep, klterm, &zsum, err);
  if (status != PB_OK)
    goto out;
  for (int c = 0; c < 2 * n; c++)
    grad[c] = 4.0 * (attr[c] - rep[c] / zsum);
  if (kl != NULL)
    {
      double s = 0.0;
      for (int i = 0; i < n; i++)
        s += klterm[i];
      *kl = pb_tsne_sum_p_log_p (p) + s + log (zsum);
    }

out:
  pb_tsne_fft_free (fft);
  free (attr);
  free (rep);
  free (klterm);
  return status;
}
