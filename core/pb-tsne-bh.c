/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Barnes–Hut repulsion (van der Maaten 2014) over a quadtree. */
#include <assert.h>
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "pb-tsne-private.h"

#define LEAF_SIZE   4
/* Points that share one walk of the tree and one interaction list. */
#define GROUP_SIZE  16

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

struct _PbTsneTree
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
};

typedef struct
{
  const PbTsneAffinities *p;
  const double           *y;
  const PbTsneTree       *tree;
  double                  theta2;
  double                 *attr;  /* [n, 2] Σ p w (yi − yj) */
  double                 *rep;   /* [n, 2] Σ w² (yi − yj) */
  double                 *z;     /* [n] Σ w */
  double                 *kl;    /* [n] Σ p ln (1 + d²), or NULL */
  atomic_int              next;
} GradientJob;

static void
tree_clear (PbTsneTree *tree)
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
tree_init (PbTsneTree *tree, int n, int n_threads)
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

PbTsneTree *
pb_tsne_tree_new (int n, int n_threads)
{
  PbTsneTree *tree = malloc (sizeof *tree);

  if (tree != NULL && !tree_init (tree, n, n_threads))
    {
      free (tree);
      return NULL;
    }
  return tree;
}

void
pb_tsne_tree_free (PbTsneTree *tree)
{
  if (tree == NULL)
    return;
  tree_clear (tree);
  free (tree);
}

/* Starts from index order every time, so the tree, and the order of every sum over it, is a
 * function of y alone. */
static void
tree_build (PbTsneTree *tree, const double *y)
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
tree_interactions (const PbTsneTree *tree, int group, double theta2, int *stack, double *items)
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
  const PbTsneTree *tree = job->tree;
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
double
pb_tsne_bh_terms (PbTsnePool *pool, const PbTsneAffinities *p, const double *y,
                  PbTsneTree *tree, double theta, double *attr, double *rep, double *z,
                  double *kl)
{
  GradientJob job = {
    .p = p, .y = y, .tree = tree, .theta2 = theta * theta,
    .attr = attr, .rep = rep, .z = z, .kl = kl,
  };
  double total = 0.0;

  atomic_init (&job.next, 0);
  tree_build (tree, y);
  pb_tsne_pool_run (pool, gradient_job_run, &job);

  for (int i = 0; i < p->n; i++)
    total += z[i];
  return total;
}

PbStatus
pb_tsne_bh_gradient (const PbTsneAffinities *p, const double *y, double theta, double *grad,
                     double *kl, PbError *err)
{
  int n = p->n;
  PbTsneTree tree;
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

  double zsum = pb_tsne_bh_terms (NULL, p, y, &tree, theta, attr, rep, z, klterm);
  for (int c = 0; c < 2 * n; c++)
    grad[c] = 4.0 * (attr[c] - rep[c] / zsum);
  if (kl != NULL)
    {
      double s = 0.0;
      for (int i = 0; i < n; i++)
        s += klterm[i];
      *kl = pb_tsne_sum_p_log_p (p) + s + log (zsum);
    }
  tree_clear (&tree);

out:
  free (attr);
  free (rep);
  free (z);
  free (klterm);
  return status;
}
