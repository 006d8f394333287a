/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "pb-tsne.h"

#include <assert.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pb-gemm.h"
#include "pb-rng.h"

#define MAX_THREADS 16
#define LEAF_SIZE   4
/* Points that share one walk of the tree and one interaction list. */
#define GROUP_SIZE  16
/* Rows of the kNN distance block: bounds its memory to about 16 MB. */
#define KNN_BLOCK_FLOATS (4 << 20)

/* Quadtree over the embedding, rebuilt every iteration into preallocated arrays. Each node
 * owns a contiguous range of the points sorted by node, and its box is the tight bounding box
 * of those points, so every internal node has at least two children and 2N nodes suffice.
 *
 * The repulsion walks the tree once per group of nearby points (Barnes 1990): a node is
 * summarised when it is far enough from the group's whole box, so the test holds for every
 * point in the group, and the group then runs a branch-free loop over the interaction list. */
typedef struct
{
  double cx, cy;  /* centre of mass */
  double size2;   /* squared largest side of the bounding box */
  double count;
  int    start;   /* range in the sorted points */
  int    n_points;
  int    child;   /* first of the contiguous children, or -1 for a leaf */
  int    n_children;
} TreeNode;

typedef struct
{
  int       n;
  int       n_nodes;
  TreeNode *nodes;  /* [2n] */
  int      *perm;   /* [n] sorted position → point */
  int      *pos;    /* [n] point → sorted position */
  double   *sx, *sy;
  int      *tmp_perm;
  double   *tmp_x, *tmp_y;
  double   *boxes;  /* [2n, 4] min x, max x, min y, max y */
  int      *groups; /* [n] node indices */
  int       n_groups;
  int      *stacks; /* [threads, 2n + 4] */
  int       stack_size;
  double   *items;  /* [threads, 3n] interaction lists: x, y, count */
} Tree;

typedef struct
{
  const PbTsneAffinities *p;
  const double           *y;
  const Tree             *tree;
  double                  theta2;
  double                 *attr;  /* [n, 2] Σ p w (yi − yj) */
  double                 *rep;   /* [n, 2] Σ w² (yi − yj) */
  double                 *z;     /* [n] Σ w */
  double                 *kl;    /* [n] Σ p ln (1 + d²), or NULL */
  atomic_int              next;
} GradientJob;

typedef void (*PoolFunc) (void *ctx, int thread);

typedef struct
{
  int             n_threads;
  pthread_t       workers[MAX_THREADS];
  pthread_mutex_t lock;
  pthread_cond_t  start;
  pthread_cond_t  done;
  unsigned        generation;
  int             pending;
  bool            quit;
  PoolFunc        func;
  void           *ctx;
} Pool;

typedef struct
{
  Pool *pool;
  int   index;
} WorkerArg;

struct _PbTsne
{
  int              n;
  PbTsneSettings   settings;
  PbTsneCallbacks  cb;
  double           perplexity;
  bool             clamped;
  double           learning_rate;
  PbTsneAffinities p;
  double           p_log_p;

  double          *y;       /* [n, 2] */
  double          *update;  /* [n, 2] */
  double          *gains;   /* [n, 2] */
  double          *attr;    /* [n, 2] */
  double          *rep;     /* [n, 2] */
  double          *z;       /* [n] */
  double          *klterm;  /* [n] */
  float           *coords;  /* [n, 2] */
  Tree             tree;
  int              iteration;
  double           kl;
  int              kl_iteration;

  Pool             pool;
  bool             pool_started;
  WorkerArg        args[MAX_THREADS];
};

void
pb_tsne_settings_init (PbTsneSettings *settings)
{
  *settings = (PbTsneSettings) {
    .perplexity = 30.0,
    .theta = 0.5,
    .learning_rate = 0.0,
    .init = PB_TSNE_INIT_PCA,
    .seed = 0,
    .exaggeration = 12.0,
    .exaggeration_iterations = 250,
    .momentum = 0.5,
    .final_momentum = 0.8,
    .momentum_switch_iteration = 250,
    .threads = 0,
  };
}

static bool
is_cancelled (const PbTsneCallbacks *cb)
{
  return cb != NULL && cb->cancelled != NULL && cb->cancelled (cb->user_data);
}

static void
report (const PbTsneCallbacks *cb, PbTsneStage stage, double fraction)
{
  if (cb != NULL && cb->progress != NULL)
    cb->progress (stage, fraction, cb->user_data);
}

/* Thread pool: the caller's thread is worker 0, so one thread means no pthreads at all. */

static void *
pool_worker (void *data)
{
  WorkerArg *arg = data;
  Pool *pool = arg->pool;
  unsigned seen = 0;

  for (;;)
    {
      pthread_mutex_lock (&pool->lock);
      while (pool->generation == seen && !pool->quit)
        pthread_cond_wait (&pool->start, &pool->lock);
      if (pool->quit)
        {
          pthread_mutex_unlock (&pool->lock);
          return NULL;
        }
      seen = pool->generation;
      PoolFunc func = pool->func;
      void *ctx = pool->ctx;
      pthread_mutex_unlock (&pool->lock);

      func (ctx, arg->index);

      pthread_mutex_lock (&pool->lock);
      if (--pool->pending == 0)
        pthread_cond_signal (&pool->done);
      pthread_mutex_unlock (&pool->lock);
    }
}

static void
pool_run (Pool *pool, PoolFunc func, void *ctx)
{
  if (pool->n_threads <= 1)
    {
      func (ctx, 0);
      return;
    }

  pthread_mutex_lock (&pool->lock);
  pool->func = func;
  pool->ctx = ctx;
  pool->pending = pool->n_threads - 1;
  pool->generation++;
  pthread_cond_broadcast (&pool->start);
  pthread_mutex_unlock (&pool->lock);

  func (ctx, 0);

  pthread_mutex_lock (&pool->lock);
  while (pool->pending > 0)
    pthread_cond_wait (&pool->done, &pool->lock);
  pthread_mutex_unlock (&pool->lock);
}

static void
pool_stop (PbTsne *self)
{
  Pool *pool = &self->pool;

  if (!self->pool_started)
    return;
  pthread_mutex_lock (&pool->lock);
  pool->quit = true;
  pthread_cond_broadcast (&pool->start);
  pthread_mutex_unlock (&pool->lock);
  for (int t = 1; t < pool->n_threads; t++)
    pthread_join (pool->workers[t], NULL);
  pthread_cond_destroy (&pool->start);
  pthread_cond_destroy (&pool->done);
  pthread_mutex_destroy (&pool->lock);
  self->pool_started = false;
}

static void
pool_start (PbTsne *self, int n_threads)
{
  Pool *pool = &self->pool;

  memset (pool, 0, sizeof *pool);
  pool->n_threads = 1;
  if (n_threads <= 1)
    return;

  pthread_mutex_init (&pool->lock, NULL);
  pthread_cond_init (&pool->start, NULL);
  pthread_cond_init (&pool->done, NULL);
  self->pool_started = true;
  for (int t = 1; t < n_threads; t++)
    {
      self->args[t] = (WorkerArg) { pool, t };
      if (pthread_create (&pool->workers[t], NULL, pool_worker, &self->args[t]) != 0)
        break;
      pool->n_threads = t + 1;
    }
}

/* Quadtree */

static void
tree_clear (Tree *tree)
{
  free (tree->nodes);
  free (tree->perm);
  free (tree->pos);
  free (tree->sx);
  free (tree->sy);
  free (tree->tmp_perm);
  free (tree->tmp_x);
  free (tree->tmp_y);
  free (tree->stacks);
  free (tree->boxes);
  free (tree->groups);
  free (tree->items);
  memset (tree, 0, sizeof *tree);
}

static bool
tree_init (Tree *tree, int n, int n_threads)
{
  memset (tree, 0, sizeof *tree);
  tree->n = n;
  tree->stack_size = 2 * n + 4;
  tree->nodes = malloc ((size_t) 2 * n * sizeof (TreeNode));
  tree->perm = malloc ((size_t) n * sizeof (int));
  tree->pos = malloc ((size_t) n * sizeof (int));
  tree->sx = malloc ((size_t) n * sizeof (double));
  tree->sy = malloc ((size_t) n * sizeof (double));
  tree->tmp_perm = malloc ((size_t) n * sizeof (int));
  tree->tmp_x = malloc ((size_t) n * sizeof (double));
  tree->tmp_y = malloc ((size_t) n * sizeof (double));
  tree->stacks = malloc ((size_t) n_threads * tree->stack_size * sizeof (int));
  tree->boxes = malloc ((size_t) 2 * n * 4 * sizeof (double));
  tree->groups = malloc ((size_t) n * sizeof (int));
  tree->items = malloc ((size_t) n_threads * 3 * n * sizeof (double));
  if (!tree->nodes || !tree->perm || !tree->pos || !tree->sx || !tree->sy || !tree->tmp_perm
      || !tree->tmp_x || !tree->tmp_y || !tree->stacks || !tree->boxes || !tree->groups
      || !tree->items)
    {
      tree_clear (tree);
      return false;
    }
  for (int i = 0; i < n; i++)
    tree->perm[i] = i;
  return true;
}

/* Starts from index order every time, so the tree, and the order of every sum over it, is a
 * function of y alone. */
static void
tree_build (Tree *tree, const double *y)
{
  int n = tree->n;

  for (int k = 0; k < n; k++)
    {
      tree->perm[k] = k;
      tree->sx[k] = y[2 * k];
      tree->sy[k] = y[2 * k + 1];
    }

  tree->nodes[0] = (TreeNode) { .start = 0, .n_points = n };
  tree->n_nodes = 1;

  for (int k = 0; k < tree->n_nodes; k++)
    {
      TreeNode *node = &tree->nodes[k];
      int start = node->start, count = node->n_points;
      double minx = INFINITY, maxx = -INFINITY, miny = INFINITY, maxy = -INFINITY;
      double sumx = 0.0, sumy = 0.0;

      for (int m = start; m < start + count; m++)
        {
          double px = tree->sx[m], py = tree->sy[m];
          sumx += px;
          sumy += py;
          minx = px < minx ? px : minx;
          maxx = px > maxx ? px : maxx;
          miny = py < miny ? py : miny;
          maxy = py > maxy ? py : maxy;
        }
      double *box = tree->boxes + 4 * (size_t) k;
      box[0] = minx;
      box[1] = maxx;
      box[2] = miny;
      box[3] = maxy;
      double side = fmax (maxx - minx, maxy - miny);
      node->cx = sumx / count;
      node->cy = sumy / count;
      node->size2 = side * side;
      node->count = count;
      node->child = -1;
      node->n_children = 0;
      if (count <= LEAF_SIZE || side == 0.0)
        continue;

      double midx = 0.5 * (minx + maxx), midy = 0.5 * (miny + maxy);
      int counts[4] = { 0 }, offsets[4];

      for (int m = start; m < start + count; m++)
        counts[(tree->sx[m] >= midx) | ((tree->sy[m] >= midy) << 1)]++;

      int non_empty = (counts[0] > 0) + (counts[1] > 0) + (counts[2] > 0) + (counts[3] > 0);
      if (non_empty < 2)
        continue; /* the points differ by less than rounding */

      offsets[0] = start;
      for (int q = 1; q < 4; q++)
        offsets[q] = offsets[q - 1] + counts[q - 1];
      for (int m = start; m < start + count; m++)
        {
          int q = (tree->sx[m] >= midx) | ((tree->sy[m] >= midy) << 1);
          int dst = offsets[q]++;
          tree->tmp_perm[dst] = tree->perm[m];
          tree->tmp_x[dst] = tree->sx[m];
          tree->tmp_y[dst] = tree->sy[m];
        }
      memcpy (tree->perm + start, tree->tmp_perm + start, (size_t) count * sizeof (int));
      memcpy (tree->sx + start, tree->tmp_x + start, (size_t) count * sizeof (double));
      memcpy (tree->sy + start, tree->tmp_y + start, (size_t) count * sizeof (double));

      assert (tree->n_nodes + non_empty <= 2 * n);
      node->child = tree->n_nodes;
      node->n_children = non_empty;
      int child_start = start;
      for (int q = 0; q < 4; q++)
        {
          if (counts[q] == 0)
            continue;
          tree->nodes[tree->n_nodes++] = (TreeNode) { .start = child_start,
                                                      .n_points = counts[q] };
          child_start += counts[q];
        }
    }

  for (int k = 0; k < n; k++)
    tree->pos[tree->perm[k]] = k;

  /* Groups: the largest nodes of at most GROUP_SIZE points, plus larger leaves. BFS order puts
   * parents first, so a node is a group exactly when it is small and its parent is not. */
  tree->n_groups = 0;
  if (n <= GROUP_SIZE || tree->nodes[0].child < 0)
    tree->groups[tree->n_groups++] = 0;
  for (int k = 0; k < tree->n_nodes; k++)
    {
      const TreeNode *node = &tree->nodes[k];
      if (node->n_points <= GROUP_SIZE)
        continue;
      for (int c = node->child; c >= 0 && c < node->child + node->n_children; c++)
        if (tree->nodes[c].n_points <= GROUP_SIZE || tree->nodes[c].child < 0)
          tree->groups[tree->n_groups++] = c;
    }
}

/* How far v lies outside [lo, hi]. */
static inline double
outside (double v, double lo, double hi)
{
  return v < lo ? lo - v : v > hi ? v - hi : 0.0;
}

/* Lists what acts on the points of node `group`: far nodes as (centre of mass, count), and
 * the points of near leaves, the group's own included, as (position, 1). Returns its length. */
static int
tree_interactions (const Tree *tree, int group, double theta2, int *stack, double *items)
{
  const TreeNode *nodes = tree->nodes;
  const double *box = tree->boxes + 4 * (size_t) group;
  int gstart = nodes[group].start, gend = gstart + nodes[group].n_points;
  int n = tree->n, len = 0, sp = 0;
  double *ix = items, *iy = items + n, *ic = items + 2 * (size_t) n;

  stack[sp++] = 0;
  while (sp > 0)
    {
      const TreeNode *node = &nodes[stack[--sp]];
      double dx = outside (node->cx, box[0], box[1]), dy = outside (node->cy, box[2], box[3]);
      bool overlaps = node->start < gend && gstart < node->start + node->n_points;

      if (!overlaps && node->size2 < theta2 * (dx * dx + dy * dy))
        {
          ix[len] = node->cx;
          iy[len] = node->cy;
          ic[len++] = node->count;
        }
      else if (node->child < 0)
        {
          for (int m = node->start; m < node->start + node->n_points; m++)
            {
              ix[len] = tree->sx[m];
              iy[len] = tree->sy[m];
              ic[len++] = 1.0;
            }
        }
      else
        {
          for (int c = node->n_children - 1; c >= 0; c--)
            stack[sp++] = node->child + c;
        }
    }
  return len;
}

/* Σ over the list of c·w and c·w² (yi − yj), with w = 1 / (1 + d²), for a few points at once:
 * each point's sums run in list order, so the result does not depend on the blocking. */
static void
apply_interactions (const double *items, int n, int len, const double *px, const double *py,
                    int count, double *z, double *fx, double *fy)
{
  const double *ix = items, *iy = items + n, *ic = items + 2 * (size_t) n;
  int a = 0;

  for (; a + 4 <= count; a += 4)
    {
      double z0 = 0, z1 = 0, z2 = 0, z3 = 0, x0 = 0, x1 = 0, x2 = 0, x3 = 0;
      double y0 = 0, y1 = 0, y2 = 0, y3 = 0;

      for (int k = 0; k < len; k++)
        {
          double cx = ix[k], cy = iy[k], c = ic[k];
          double dx0 = px[a] - cx, dy0 = py[a] - cy;
          double dx1 = px[a + 1] - cx, dy1 = py[a + 1] - cy;
          double dx2 = px[a + 2] - cx, dy2 = py[a + 2] - cy;
          double dx3 = px[a + 3] - cx, dy3 = py[a + 3] - cy;
          double w0 = 1.0 / (1.0 + dx0 * dx0 + dy0 * dy0);
          double w1 = 1.0 / (1.0 + dx1 * dx1 + dy1 * dy1);
          double w2 = 1.0 / (1.0 + dx2 * dx2 + dy2 * dy2);
          double w3 = 1.0 / (1.0 + dx3 * dx3 + dy3 * dy3);
          double c0 = c * w0, c1 = c * w1, c2 = c * w2, c3 = c * w3;
          z0 += c0;
          z1 += c1;
          z2 += c2;
          z3 += c3;
          c0 *= w0;
          c1 *= w1;
          c2 *= w2;
          c3 *= w3;
          x0 += c0 * dx0;
          x1 += c1 * dx1;
          x2 += c2 * dx2;
          x3 += c3 * dx3;
          y0 += c0 * dy0;
          y1 += c1 * dy1;
          y2 += c2 * dy2;
          y3 += c3 * dy3;
        }
      z[a] = z0, z[a + 1] = z1, z[a + 2] = z2, z[a + 3] = z3;
      fx[a] = x0, fx[a + 1] = x1, fx[a + 2] = x2, fx[a + 3] = x3;
      fy[a] = y0, fy[a + 1] = y1, fy[a + 2] = y2, fy[a + 3] = y3;
    }
  for (; a < count; a++)
    {
      double z0 = 0, x0 = 0, y0 = 0;

      for (int k = 0; k < len; k++)
        {
          double dx0 = px[a] - ix[k], dy0 = py[a] - iy[k];
          double w0 = 1.0 / (1.0 + dx0 * dx0 + dy0 * dy0);
          double c0 = ic[k] * w0;
          z0 += c0;
          c0 *= w0;
          x0 += c0 * dx0;
          y0 += c0 * dy0;
        }
      z[a] = z0, fx[a] = x0, fy[a] = y0;
    }
}

static void
gradient_job_run (void *data, int thread)
{
  GradientJob *job = data;
  const Tree *tree = job->tree;
  const PbTsneAffinities *p = job->p;
  const double *y = job->y;
  int *stack = tree->stacks + (size_t) thread * tree->stack_size;
  double *items = tree->items + (size_t) thread * 3 * tree->n;

  for (;;)
    {
      int g = atomic_fetch_add (&job->next, 1);
      if (g >= tree->n_groups)
        break;

      const TreeNode *group = &tree->nodes[tree->groups[g]];
      int start = group->start, count = group->n_points;
      double z[GROUP_SIZE], fx[GROUP_SIZE], fy[GROUP_SIZE];
      int len = tree_interactions (tree, tree->groups[g], job->theta2, stack, items);

      for (int a = 0; a < count; a += GROUP_SIZE)
        {
          int block = count - a < GROUP_SIZE ? count - a : GROUP_SIZE;
          apply_interactions (items, tree->n, len, tree->sx + start + a, tree->sy + start + a,
                              block, z, fx, fy);
          for (int b = 0; b < block; b++)
            {
              int i = tree->perm[start + a + b];
              /* Each point met itself once in the list, at distance 0. */
              job->z[i] = z[b] - 1.0;
              job->rep[2 * i] = fx[b];
              job->rep[2 * i + 1] = fy[b];
            }
        }

      for (int m = start; m < start + count; m++)
        {
          int i = tree->perm[m];
          double xi = y[2 * i], yi = y[2 * i + 1];
          double ax = 0.0, ay = 0.0, kl = 0.0;

          for (int e = p->row[i]; e < p->row[i + 1]; e++)
            {
              int j = p->col[e];
              double dx = xi - y[2 * j], dy = yi - y[2 * j + 1];
              double pw = p->val[e] / (1.0 + dx * dx + dy * dy);
              ax += pw * dx;
              ay += pw * dy;
            }
          job->attr[2 * i] = ax;
          job->attr[2 * i + 1] = ay;

          if (job->kl != NULL)
            {
              for (int e = p->row[i]; e < p->row[i + 1]; e++)
                {
                  int j = p->col[e];
                  double dx = xi - y[2 * j], dy = yi - y[2 * j + 1];
                  kl += p->val[e] * log1p (dx * dx + dy * dy);
                }
              job->kl[i] = kl;
            }
        }
    }
}

/* Fills attr, rep, z (and kl) for every point; returns Z. Sums run in index order. */
static double
gradient_terms (Pool *pool, const PbTsneAffinities *p, const double *y, Tree *tree,
                double theta, double *attr, double *rep, double *z, double *kl)
{
  GradientJob job = {
    .p = p, .y = y, .tree = tree, .theta2 = theta * theta,
    .attr = attr, .rep = rep, .z = z, .kl = kl,
  };
  double total = 0.0;

  atomic_init (&job.next, 0);
  tree_build (tree, y);
  if (pool != NULL)
    pool_run (pool, gradient_job_run, &job);
  else
    gradient_job_run (&job, 0);

  for (int i = 0; i < p->n; i++)
    total += z[i];
  return total;
}

static double
sum_p_log_p (const PbTsneAffinities *p)
{
  double s = 0.0;

  for (int e = 0; e < p->row[p->n]; e++)
    if (p->val[e] > 0.0)
      s += p->val[e] * log (p->val[e]);
  return s;
}

PbStatus
pb_tsne_bh_gradient (const PbTsneAffinities *p, const double *y, double theta, double *grad,
                     double *kl, PbError *err)
{
  int n = p->n;
  Tree tree;
  double *attr = malloc ((size_t) 2 * n * sizeof (double));
  double *rep = malloc ((size_t) 2 * n * sizeof (double));
  double *z = malloc ((size_t) n * sizeof (double));
  double *klterm = malloc ((size_t) n * sizeof (double));
  PbStatus status = PB_OK;

  if (!attr || !rep || !z || !klterm || !tree_init (&tree, n, 1))
    {
      status = pb_error_set (err, PB_ERR_NOMEM, "t-SNE: out of memory for %d points", n);
      goto out;
    }

  double zsum = gradient_terms (NULL, p, y, &tree, theta, attr, rep, z, klterm);
  for (int c = 0; c < 2 * n; c++)
    grad[c] = 4.0 * (attr[c] - rep[c] / zsum);
  if (kl != NULL)
    {
      double s = 0.0;
      for (int i = 0; i < n; i++)
        s += klterm[i];
      *kl = sum_p_log_p (p) + s + log (zsum);
    }
  tree_clear (&tree);

out:
  free (attr);
  free (rep);
  free (z);
  free (klterm);
  return status;
}

double
pb_tsne_exact_kl (const PbTsneAffinities *p, const double *y)
{
  int n = p->n;
  double zsum = 0.0, s = 0.0;

  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++)
      if (j != i)
        {
          double dx = y[2 * i] - y[2 * j], dy = y[2 * i + 1] - y[2 * j + 1];
          zsum += 1.0 / (1.0 + dx * dx + dy * dy);
        }
  for (int i = 0; i < n; i++)
    for (int e = p->row[i]; e < p->row[i + 1]; e++)
      {
        int j = p->col[e];
        double dx = y[2 * i] - y[2 * j], dy = y[2 * i + 1] - y[2 * j + 1];
        s += p->val[e] * log1p (dx * dx + dy * dy);
      }
  return sum_p_log_p (p) + s + log (zsum);
}

void
pb_tsne_exact_gradient (const PbTsneAffinities *p, const double *y, double *grad)
{
  int n = p->n;
  double zsum = 0.0;

  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++)
      if (j != i)
        {
          double dx = y[2 * i] - y[2 * j], dy = y[2 * i + 1] - y[2 * j + 1];
          zsum += 1.0 / (1.0 + dx * dx + dy * dy);
        }

  for (int i = 0; i < n; i++)
    {
      double rx = 0.0, ry = 0.0, ax = 0.0, ay = 0.0;

      for (int j = 0; j < n; j++)
        if (j != i)
          {
            double dx = y[2 * i] - y[2 * j], dy = y[2 * i + 1] - y[2 * j + 1];
            double w = 1.0 / (1.0 + dx * dx + dy * dy);
            rx += w * w * dx;
            ry += w * w * dy;
          }
      for (int e = p->row[i]; e < p->row[i + 1]; e++)
        {
          int j = p->col[e];
          double dx = y[2 * i] - y[2 * j], dy = y[2 * i + 1] - y[2 * j + 1];
          double w = 1.0 / (1.0 + dx * dx + dy * dy);
          ax += p->val[e] * w * dx;
          ay += p->val[e] * w * dy;
        }
      grad[2 * i] = 4.0 * (ax - rx / zsum);
      grad[2 * i + 1] = 4.0 * (ay - ry / zsum);
    }
}

/* Affinities */

double
pb_tsne_calibrate_row (const double *dist2, int k, double perplexity, double *p)
{
  double target = log (perplexity);
  double dmin = INFINITY, mean = 0.0;

  for (int m = 0; m < k; m++)
    dmin = fmin (dmin, dist2[m]);
  for (int m = 0; m < k; m++)
    mean += dist2[m] - dmin;
  mean /= k;

  /* Distances are shifted by their minimum, so the sum is at least 1 and duplicates are fine. */
  double beta = mean > 0.0 ? 1.0 / mean : 1.0;
  double lo = 0.0, hi = INFINITY, used = beta, sum = 1.0;

  for (int step = 0; step < 200; step++)
    {
      double weighted = 0.0;

      sum = 0.0;
      for (int m = 0; m < k; m++)
        {
          double e = exp (-beta * (dist2[m] - dmin));
          p[m] = e;
          sum += e;
          weighted += e * (dist2[m] - dmin);
        }
      used = beta;
      double entropy = log (sum) + beta * weighted / sum;
      if (fabs (entropy - target) < 1e-5)
        break;
      if (entropy > target)
        {
          lo = beta;
          beta = isinf (hi) ? beta * 2.0 : 0.5 * (beta + hi);
        }
      else
        {
          hi = beta;
          beta = 0.5 * (lo + beta);
        }
    }
  for (int m = 0; m < k; m++)
    p[m] /= sum;
  return used;
}

void
pb_tsne_affinities_clear (PbTsneAffinities *p)
{
  free (p->row);
  free (p->col);
  free (p->val);
  memset (p, 0, sizeof *p);
}

static inline bool
pair_less (float da, int ja, float db, int jb)
{
  return da < db || (da == db && ja < jb);
}

/* Max-heap of the k best (distance, index) pairs so far. */
static void
heap_sift_down (float *hd, int *hj, int k, int at)
{
  for (;;)
    {
      int l = 2 * at + 1, r = l + 1, big = at;
      if (l < k && pair_less (hd[big], hj[big], hd[l], hj[l]))
        big = l;
      if (r < k && pair_less (hd[big], hj[big], hd[r], hj[r]))
        big = r;
      if (big == at)
        return;
      float td = hd[at];
      int tj = hj[at];
      hd[at] = hd[big];
      hj[at] = hj[big];
      hd[big] = td;
      hj[big] = tj;
      at = big;
    }
}

static void
heap_sift_up (float *hd, int *hj, int at)
{
  while (at > 0)
    {
      int parent = (at - 1) / 2;
      if (!pair_less (hd[parent], hj[parent], hd[at], hj[at]))
        return;
      float td = hd[at];
      int tj = hj[at];
      hd[at] = hd[parent];
      hj[at] = hj[parent];
      hd[parent] = td;
      hj[parent] = tj;
      at = parent;
    }
}

static int
compare_int (const void *a, const void *b)
{
  int x = *(const int *) a, y = *(const int *) b;
  return (x > y) - (x < y);
}

/* nbr: [n, k] neighbour indices, sorted by index within each row. */
static PbStatus
knn (const float *points, int n, int dim, int k, const PbTsneCallbacks *cb, int *nbr,
     double *dist2, PbError *err)
{
  float *centred = malloc ((size_t) n * dim * sizeof (float));
  double *mean = calloc ((size_t) dim, sizeof (double));
  float *norms = malloc ((size_t) n * sizeof (float));
  int block = KNN_BLOCK_FLOATS / n;
  float *dist = NULL, *hd = malloc ((size_t) k * sizeof (float));
  int *hj = malloc ((size_t) k * sizeof (int));
  PbStatus status = PB_OK;

  block = block < 16 ? 16 : block > n ? n : block;
  dist = malloc ((size_t) block * n * sizeof (float));
  if (!centred || !mean || !norms || !dist || !hd || !hj)
    {
      status = pb_error_set (err, PB_ERR_NOMEM, "t-SNE: out of memory for the neighbours of %d "
                             "points", n);
      goto out;
    }

  /* Centring keeps ‖a‖² + ‖b‖² − 2a·b from cancelling catastrophically. */
  for (int i = 0; i < n; i++)
    for (int d = 0; d < dim; d++)
      mean[d] += points[(size_t) i * dim + d];
  for (int d = 0; d < dim; d++)
    mean[d] /= n;
  for (int i = 0; i < n; i++)
    {
      double s = 0.0;
      for (int d = 0; d < dim; d++)
        {
          float v = (float) (points[(size_t) i * dim + d] - mean[d]);
          centred[(size_t) i * dim + d] = v;
          s += (double) v * v;
        }
      norms[i] = (float) s;
    }

  for (int i0 = 0; i0 < n; i0 += block)
    {
      int rows = i0 + block <= n ? block : n - i0;

      if (is_cancelled (cb))
        {
          status = pb_error_set (err, PB_ERR_CANCELLED, "t-SNE: cancelled");
          goto out;
        }
      report (cb, PB_TSNE_STAGE_NEIGHBOURS, (double) i0 / n);
      pb_sgemm (false, true, rows, n, dim, -2.0f, centred + (size_t) i0 * dim, dim, centred, dim,
                0.0f, dist, n);

      for (int r = 0; r < rows; r++)
        {
          int i = i0 + r, size = 0;
          const float *row = dist + (size_t) r * n;

          for (int j = 0; j < n; j++)
            {
              if (j == i)
                continue;
              float d = row[j] + norms[i] + norms[j];
              if (size < k)
                {
                  hd[size] = d;
                  hj[size] = j;
                  heap_sift_up (hd, hj, size++);
                }
              else if (pair_less (d, j, hd[0], hj[0]))
                {
                  hd[0] = d;
                  hj[0] = j;
                  heap_sift_down (hd, hj, k, 0);
                }
            }

          int *out_j = nbr + (size_t) i * k;
          memcpy (out_j, hj, (size_t) k * sizeof (int));
          qsort (out_j, (size_t) k, sizeof (int), compare_int);
          /* The selection used float dot products; the affinities get exact distances. */
          for (int m = 0; m < k; m++)
            {
              const float *a = points + (size_t) i * dim, *b = points + (size_t) out_j[m] * dim;
              double s = 0.0;
              for (int d = 0; d < dim; d++)
                {
                  double t = (double) a[d] - b[d];
                  s += t * t;
                }
              dist2[(size_t) i * k + m] = s;
            }
        }
    }
  report (cb, PB_TSNE_STAGE_NEIGHBOURS, 1.0);

out:
  free (centred);
  free (mean);
  free (norms);
  free (dist);
  free (hd);
  free (hj);
  return status;
}

static int
neighbour_count (int n, double perplexity)
{
  int k = (int) floor (3.0 * perplexity + 1e-9);
  return k < 1 ? 1 : k > n - 1 ? n - 1 : k;
}

PbStatus
pb_tsne_affinities_compute (const float *points, int n, int dim, double perplexity,
                            const PbTsneCallbacks *cb, PbTsneAffinities *out, PbError *err)
{
  int k = neighbour_count (n, perplexity);
  size_t nk = (size_t) n * k;

  memset (out, 0, sizeof *out);
  /* P's row offsets are ints and it has at most 2nk entries. */
  if (nk > INT_MAX / 2)
    return pb_error_set (err, PB_ERR_INVALID, "t-SNE: %d points with %d neighbours each is too "
                         "many; lower the perplexity", n, k);

  int *nbr = malloc (nk * sizeof (int));
  double *dist2 = malloc (nk * sizeof (double));
  double *cond = malloc (nk * sizeof (double));
  int *trow = calloc ((size_t) n + 1, sizeof (int));
  int *tcol = malloc (nk * sizeof (int));
  double *tval = malloc (nk * sizeof (double));
  int *fill = malloc ((size_t) n * sizeof (int));
  PbStatus status;

  out->n = n;
  out->row = malloc (((size_t) n + 1) * sizeof (int));
  out->col = malloc (2 * nk * sizeof (int));
  out->val = malloc (2 * nk * sizeof (double));
  if (!nbr || !dist2 || !cond || !trow || !tcol || !tval || !fill || !out->row || !out->col
      || !out->val)
    {
      status = pb_error_set (err, PB_ERR_NOMEM, "t-SNE: out of memory for the affinities of %d "
                             "points", n);
      goto out;
    }

  status = knn (points, n, dim, k, cb, nbr, dist2, err);
  if (status != PB_OK)
    goto out;

  for (int i = 0; i < n; i++)
    {
      if (i % 256 == 0)
        {
          if (is_cancelled (cb))
            {
              status = pb_error_set (err, PB_ERR_CANCELLED, "t-SNE: cancelled");
              goto out;
            }
          report (cb, PB_TSNE_STAGE_CALIBRATION, (double) i / n);
        }
      pb_tsne_calibrate_row (dist2 + (size_t) i * k, k, perplexity, cond + (size_t) i * k);
    }
  report (cb, PB_TSNE_STAGE_CALIBRATION, 1.0);

  /* Transpose of the conditional matrix; rows come out sorted by column. */
  for (size_t e = 0; e < nk; e++)
    trow[nbr[e] + 1]++;
  for (int i = 0; i < n; i++)
    trow[i + 1] += trow[i];
  memcpy (fill, trow, (size_t) n * sizeof (int));
  for (int i = 0; i < n; i++)
    for (int m = 0; m < k; m++)
      {
        int j = nbr[(size_t) i * k + m], at = fill[j]++;
        tcol[at] = i;
        tval[at] = cond[(size_t) i * k + m];
      }

  /* P = (C + Cᵀ) / 2N, merging two sorted rows. */
  double scale = 0.5 / n;
  int nnz = 0;
  for (int i = 0; i < n; i++)
    {
      const int *ac = nbr + (size_t) i * k;
      const double *av = cond + (size_t) i * k;
      int a = 0, b = trow[i], b_end = trow[i + 1];

      out->row[i] = nnz;
      while (a < k || b < b_end)
        {
          int col;
          double v = 0.0;
          if (b >= b_end || (a < k && ac[a] < tcol[b]))
            {
              col = ac[a];
              v = av[a++];
            }
          else if (a >= k || tcol[b] < ac[a])
            {
              col = tcol[b];
              v = tval[b++];
            }
          else
            {
              col = ac[a];
              v = av[a++] + tval[b++];
            }
          out->col[nnz] = col;
          out->val[nnz++] = v * scale;
        }
    }
  out->row[n] = nnz;

  /* Shrinking cannot fail in practice, but keep the larger block if it does. */
  int *col = realloc (out->col, (size_t) (nnz > 0 ? nnz : 1) * sizeof (int));
  if (col != NULL)
    out->col = col;
  double *val = realloc (out->val, (size_t) (nnz > 0 ? nnz : 1) * sizeof (double));
  if (val != NULL)
    out->val = val;

out:
  if (status != PB_OK)
    pb_tsne_affinities_clear (out);
  free (nbr);
  free (dist2);
  free (cond);
  free (trow);
  free (tcol);
  free (tval);
  free (fill);
  return status;
}

/* Initialisation */

static void
init_random (PbTsne *self)
{
  PbRng rng;

  pb_rng_seed (&rng, self->settings.seed, 0x75e1);
  for (int c = 0; c < 2 * self->n; c++)
    self->y[c] = 1e-4 * pb_rng_normal (&rng);
}

static void
orthonormalise (double *v, int dim)
{
  for (int c = 0; c < 2; c++)
    {
      for (int prev = 0; prev < c; prev++)
        {
          double dot = 0.0;
          for (int d = 0; d < dim; d++)
            dot += v[2 * d + c] * v[2 * d + prev];
          for (int d = 0; d < dim; d++)
            v[2 * d + c] -= dot * v[2 * d + prev];
        }
      double norm = 0.0;
      for (int d = 0; d < dim; d++)
        norm += v[2 * d + c] * v[2 * d + c];
      norm = sqrt (norm);
      for (int d = 0; d < dim; d++)
        v[2 * d + c] = norm > 0.0 ? v[2 * d + c] / norm : 0.0;
    }
}

/* The top two principal axes by subspace iteration on XᵀX, which never forms the D × D matrix. */
static PbStatus
init_pca (PbTsne *self, const float *points, int dim, PbError *err)
{
  int n = self->n;
  float *centred = malloc ((size_t) n * dim * sizeof (float));
  double *mean = calloc ((size_t) dim, sizeof (double));
  double *v = malloc ((size_t) dim * 2 * sizeof (double));
  double *prev = malloc ((size_t) dim * 2 * sizeof (double));
  float *vf = malloc ((size_t) dim * 2 * sizeof (float));
  float *xv = malloc ((size_t) n * 2 * sizeof (float));
  float *w = malloc ((size_t) dim * 2 * sizeof (float));
  PbStatus status = PB_OK;
  PbRng rng;

  if (!centred || !mean || !v || !prev || !vf || !xv || !w)
    {
      status = pb_error_set (err, PB_ERR_NOMEM, "t-SNE: out of memory for the PCA of %d points",
                             n);
      goto out;
    }

  for (int i = 0; i < n; i++)
    for (int d = 0; d < dim; d++)
      mean[d] += points[(size_t) i * dim + d];
  for (int d = 0; d < dim; d++)
    mean[d] /= n;
  for (int i = 0; i < n; i++)
    for (int d = 0; d < dim; d++)
      centred[(size_t) i * dim + d] = (float) (points[(size_t) i * dim + d] - mean[d]);

  pb_rng_seed (&rng, self->settings.seed, 0x9ca);
  for (int c = 0; c < 2 * dim; c++)
    v[c] = pb_rng_normal (&rng);
  orthonormalise (v, dim);

  for (int it = 0; it < 300; it++)
    {
      for (int c = 0; c < 2 * dim; c++)
        vf[c] = (float) v[c];
      pb_sgemm (false, false, n, 2, dim, 1.0f, centred, dim, vf, 2, 0.0f, xv, 2);
      pb_sgemm (true, false, dim, 2, n, 1.0f, centred, dim, xv, 2, 0.0f, w, 2);
      memcpy (prev, v, (size_t) dim * 2 * sizeof (double));
      for (int c = 0; c < 2 * dim; c++)
        v[c] = w[c];
      orthonormalise (v, dim);
      double change = 0.0;
      for (int c = 0; c < 2 * dim; c++)
        change = fmax (change, fabs (v[c] - prev[c]));
      if (change < 1e-6)
        break;
    }

  /* Fix each axis' sign: its largest component is positive. */
  for (int c = 0; c < 2; c++)
    {
      int best = 0;
      for (int d = 1; d < dim; d++)
        if (fabs (v[2 * d + c]) > fabs (v[2 * best + c]))
          best = d;
      if (v[2 * best + c] < 0.0)
        for (int d = 0; d < dim; d++)
          v[2 * d + c] = -v[2 * d + c];
    }

  double s0 = 0.0, s1 = 0.0;
  for (int i = 0; i < n; i++)
    {
      double a = 0.0, b = 0.0;
      for (int d = 0; d < dim; d++)
        {
          a += centred[(size_t) i * dim + d] * v[2 * d];
          b += centred[(size_t) i * dim + d] * v[2 * d + 1];
        }
      self->y[2 * i] = a;
      self->y[2 * i + 1] = b;
      s0 += a;
      s1 += a * a;
    }
  double var = s1 / n - (s0 / n) * (s0 / n);
  if (!(var > 0.0) || !isfinite (var))
    init_random (self);
  else
    {
      double scale = 1e-4 / sqrt (var), t0 = 0.0, t1 = 0.0;
      for (int c = 0; c < 2 * n; c++)
        self->y[c] *= scale;
      for (int i = 0; i < n; i++)
        {
          t0 += self->y[2 * i + 1];
          t1 += self->y[2 * i + 1] * self->y[2 * i + 1];
        }
      /* Data on a line: without spread on the second axis the map would stay on a line. The
       * first axis' variance is now 1e-8. */
      if (!(t1 / n - (t0 / n) * (t0 / n) > 1e-20))
        {
          pb_rng_seed (&rng, self->settings.seed, 0x75e1);
          for (int i = 0; i < n; i++)
            self->y[2 * i + 1] = 1e-4 * pb_rng_normal (&rng);
        }
    }

out:
  free (centred);
  free (mean);
  free (v);
  free (prev);
  free (vf);
  free (xv);
  free (w);
  return status;
}

/* The optimiser */

static void
recentre (double *y, int n)
{
  double mx = 0.0, my = 0.0;

  for (int i = 0; i < n; i++)
    {
      mx += y[2 * i];
      my += y[2 * i + 1];
    }
  mx /= n;
  my /= n;
  for (int i = 0; i < n; i++)
    {
      y[2 * i] -= mx;
      y[2 * i + 1] -= my;
    }
}

static void
sync_coords (PbTsne *self)
{
  for (int c = 0; c < 2 * self->n; c++)
    self->coords[c] = (float) self->y[c];
}

static int
default_threads (void)
{
  long cores = sysconf (_SC_NPROCESSORS_ONLN);
  return cores >= 2 ? 2 : 1;
}

static PbStatus
check_settings (const PbTsneSettings *s, PbError *err)
{
  if (!(s->perplexity > 0.0) || !isfinite (s->perplexity))
    return pb_error_set (err, PB_ERR_INVALID, "t-SNE: perplexity must be a number > 0, got %g",
                         s->perplexity);
  if (!(s->theta >= 0.0) || !isfinite (s->theta))
    return pb_error_set (err, PB_ERR_INVALID, "t-SNE: theta must be a number >= 0, got %g",
                         s->theta);
  if (isnan (s->learning_rate) || isinf (s->learning_rate))
    return pb_error_set (err, PB_ERR_INVALID, "t-SNE: learning rate must be finite, got %g",
                         s->learning_rate);
  if (!(s->exaggeration > 0.0) || !isfinite (s->exaggeration))
    return pb_error_set (err, PB_ERR_INVALID, "t-SNE: exaggeration must be a number > 0, got %g",
                         s->exaggeration);
  if (s->exaggeration_iterations < 0 || s->momentum_switch_iteration < 0)
    return pb_error_set (err, PB_ERR_INVALID, "t-SNE: iteration counts must be >= 0");
  if (!(s->momentum >= 0.0 && s->momentum < 1.0)
      || !(s->final_momentum >= 0.0 && s->final_momentum < 1.0))
    return pb_error_set (err, PB_ERR_INVALID, "t-SNE: momentum must be in [0, 1)");
  if (s->threads < 0 || s->threads > MAX_THREADS)
    return pb_error_set (err, PB_ERR_INVALID, "t-SNE: threads must be in 0..%d, got %d",
                         MAX_THREADS, s->threads);
  if (s->init != PB_TSNE_INIT_PCA && s->init != PB_TSNE_INIT_RANDOM)
    return pb_error_set (err, PB_ERR_INVALID, "t-SNE: unknown init %d", (int) s->init);
  return PB_OK;
}

PbStatus
pb_tsne_new (const float *points, int n, int dim, const PbTsneSettings *settings,
             const PbTsneCallbacks *cb, PbTsne **out, PbError *err)
{
  PbTsneSettings defaults;
  PbTsne *self;
  PbStatus status;

  *out = NULL;
  if (settings == NULL)
    {
      pb_tsne_settings_init (&defaults);
      settings = &defaults;
    }
  status = check_settings (settings, err);
  if (status != PB_OK)
    return status;
  if (n < 5)
    return pb_error_set (err, PB_ERR_INVALID, "t-SNE needs at least 5 points, got %d", n);
  if (dim < 1)
    return pb_error_set (err, PB_ERR_INVALID, "t-SNE needs points of at least 1 dimension, "
                         "got %d", dim);
  if ((size_t) dim > SIZE_MAX / sizeof (float) / (size_t) n)
    return pb_error_set (err, PB_ERR_INVALID, "t-SNE: %d points of %d dimensions is too many",
                         n, dim);
  for (size_t c = 0; c < (size_t) n * dim; c++)
    if (!isfinite (points[c]))
      return pb_error_set (err, PB_ERR_INVALID, "t-SNE: point %zu, coordinate %zu is %s; "
                           "expected a finite number", c / dim, c % dim,
                           isnan (points[c]) ? "NaN" : "infinite");

  self = calloc (1, sizeof *self);
  if (self == NULL)
    return pb_error_set (err, PB_ERR_NOMEM, "t-SNE: out of memory");
  self->n = n;
  self->settings = *settings;
  if (cb != NULL)
    self->cb = *cb;
  self->perplexity = settings->perplexity;
  if (3.0 * self->perplexity > n - 1)
    {
      self->perplexity = (n - 1) / 3.0;
      self->clamped = true;
    }
  self->learning_rate = settings->learning_rate > 0.0 ? settings->learning_rate
                                                      : fmax (n / 12.0, 200.0);
  self->kl_iteration = -1;

  int threads = settings->threads > 0 ? settings->threads : default_threads ();
  /* Threads only pay for themselves when there is work to split. */
  if (n < 256)
    threads = 1;

  self->y = malloc ((size_t) 2 * n * sizeof (double));
  self->update = calloc ((size_t) 2 * n, sizeof (double));
  self->gains = malloc ((size_t) 2 * n * sizeof (double));
  self->attr = malloc ((size_t) 2 * n * sizeof (double));
  self->rep = malloc ((size_t) 2 * n * sizeof (double));
  self->z = malloc ((size_t) n * sizeof (double));
  self->klterm = malloc ((size_t) n * sizeof (double));
  self->coords = malloc ((size_t) 2 * n * sizeof (float));
  if (!self->y || !self->update || !self->gains || !self->attr || !self->rep
      || !self->z || !self->klterm || !self->coords || !tree_init (&self->tree, n, threads))
    {
      pb_tsne_free (self);
      return pb_error_set (err, PB_ERR_NOMEM, "t-SNE: out of memory for %d points", n);
    }
  for (int c = 0; c < 2 * n; c++)
    self->gains[c] = 1.0;

  status = pb_tsne_affinities_compute (points, n, dim, self->perplexity, &self->cb, &self->p,
                                       err);
  if (status != PB_OK)
    {
      pb_tsne_free (self);
      return status;
    }
  self->p_log_p = sum_p_log_p (&self->p);

  if (settings->init == PB_TSNE_INIT_PCA)
    {
      status = init_pca (self, points, dim, err);
      if (status != PB_OK)
        {
          pb_tsne_free (self);
          return status;
        }
    }
  else
    init_random (self);
  recentre (self->y, n);
  sync_coords (self);

  pool_start (self, threads);
  *out = self;
  return PB_OK;
}

void
pb_tsne_free (PbTsne *self)
{
  if (self == NULL)
    return;
  pool_stop (self);
  pb_tsne_affinities_clear (&self->p);
  tree_clear (&self->tree);
  free (self->y);
  free (self->update);
  free (self->gains);
  free (self->attr);
  free (self->rep);
  free (self->z);
  free (self->klterm);
  free (self->coords);
  free (self);
}

PbStatus
pb_tsne_step (PbTsne *self, int iterations, PbError *err)
{
  int n = self->n;
  const PbTsneSettings *s = &self->settings;
  PbStatus status = PB_OK;

  for (int t = 0; t < iterations; t++)
    {
      if (is_cancelled (&self->cb))
        {
          status = pb_error_set (err, PB_ERR_CANCELLED, "t-SNE: cancelled at iteration %d",
                                 self->iteration);
          break;
        }

      double alpha = self->iteration < s->exaggeration_iterations ? s->exaggeration : 1.0;
      double momentum = self->iteration < s->momentum_switch_iteration ? s->momentum
                                                                        : s->final_momentum;
      double zsum = gradient_terms (&self->pool, &self->p, self->y, &self->tree, s->theta,
                                    self->attr, self->rep, self->z, NULL);
      bool finite = isfinite (zsum);

      for (int c = 0; c < 2 * n; c++)
        {
          double g = alpha * self->attr[c] - self->rep[c] / zsum;
          double gain = self->gains[c];

          /* scikit-learn's rule: grow the gain when the gradient opposes the last step. */
          gain = self->update[c] * g < 0.0 ? gain + 0.2 : gain * 0.8;
          if (gain < 0.01)
            gain = 0.01;
          self->gains[c] = gain;
          self->update[c] = momentum * self->update[c] - self->learning_rate * gain * g;
          self->y[c] += self->update[c];
          finite = finite && isfinite (self->y[c]);
        }
      recentre (self->y, n);
      self->iteration++;

      if (!finite)
        {
          status = pb_error_set (err, PB_ERR_DIVERGED, "t-SNE diverged at iteration %d; try a "
                                 "smaller learning rate", self->iteration);
          break;
        }
    }
  sync_coords (self);
  return status;
}

const float *
pb_tsne_coords (const PbTsne *self)
{
  return self->coords;
}

int
pb_tsne_n (const PbTsne *self)
{
  return self->n;
}

int
pb_tsne_iteration (const PbTsne *self)
{
  return self->iteration;
}

double
pb_tsne_kl (PbTsne *self)
{
  if (self->kl_iteration == self->iteration)
    return self->kl;

  double zsum = gradient_terms (&self->pool, &self->p, self->y, &self->tree,
                                self->settings.theta, self->attr, self->rep, self->z,
                                self->klterm);
  double s = 0.0;
  for (int i = 0; i < self->n; i++)
    s += self->klterm[i];
  self->kl = self->p_log_p + s + log (zsum);
  self->kl_iteration = self->iteration;
  return self->kl;
}

double
pb_tsne_perplexity_used (const PbTsne *self)
{
  return self->perplexity;
}

bool
pb_tsne_perplexity_clamped (const PbTsne *self)
{
  return self->clamped;
}

double
pb_tsne_learning_rate_used (const PbTsne *self)
{
  return self->learning_rate;
}

const PbTsneAffinities *
pb_tsne_affinities (const PbTsne *self)
{
  return &self->p;
}
