/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "pb-tsne.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pb-gemm.h"
#include "pb-rng.h"
#include "pb-tsne-private.h"

/* Below this many points auto takes the exact repulsion, from here to FFT_FROM Barnes–Hut,
 * then the FFT method: measured in docs/tsne-performance.md. */
#define BH_FROM  200
#define FFT_FROM 20000

typedef struct
{
  PbTsnePool *pool;
  int         index;
} WorkerArg;

struct _PbTsne
{
  int              n;
  PbTsneSettings   settings;
  PbTsneCallbacks  cb;
  PbTsneMethod     method;
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
  PbTsneTree      *tree;    /* bh */
  PbTsneFft       *fft;     /* fft */
  int              iteration;
  double           kl;
  int              kl_iteration;

  PbTsnePool       pool;
  bool             pool_started;
  WorkerArg        args[PB_TSNE_MAX_THREADS];
};

void
pb_tsne_settings_init (PbTsneSettings *settings)
{
  *settings = (PbTsneSettings) {
    .perplexity = 30.0,
    .method = PB_TSNE_METHOD_AUTO,
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

static const char *const method_names[] = { "auto", "bh", "fft", "exact" };

const char *
pb_tsne_method_name (PbTsneMethod method)
{
  if ((int) method < 0 || (int) method >= (int) (sizeof method_names / sizeof *method_names))
    return NULL;
  return method_names[method];
}

bool
pb_tsne_method_parse (const char *name, PbTsneMethod *out)
{
  for (int m = 0; name != NULL && m < (int) (sizeof method_names / sizeof *method_names); m++)
    if (strcmp (name, method_names[m]) == 0)
      {
        *out = (PbTsneMethod) m;
        return true;
      }
  return false;
}

PbTsneMethod
pb_tsne_method_for (PbTsneMethod method, int n)
{
  if (method != PB_TSNE_METHOD_AUTO)
    return method;
  return n < BH_FROM ? PB_TSNE_METHOD_EXACT : n < FFT_FROM ? PB_TSNE_METHOD_BH
                                                           : PB_TSNE_METHOD_FFT;
}

/* Thread pool */

static void *
pool_worker (void *data)
{
  WorkerArg *arg = data;
  PbTsnePool *pool = arg->pool;
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
      PbTsnePoolFunc func = pool->func;
      void *ctx = pool->ctx;
      pthread_mutex_unlock (&pool->lock);

      func (ctx, arg->index);

      pthread_mutex_lock (&pool->lock);
      if (--pool->pending == 0)
        pthread_cond_signal (&pool->done);
      pthread_mutex_unlock (&pool->lock);
    }
}

int
pb_tsne_pool_threads (const PbTsnePool *pool)
{
  return pool != NULL ? pool->n_threads : 1;
}

void
pb_tsne_pool_run (PbTsnePool *pool, PbTsnePoolFunc func, void *ctx)
{
  if (pool == NULL || pool->n_threads <= 1)
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
  PbTsnePool *pool = &self->pool;

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
  PbTsnePool *pool = &self->pool;

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


double
pb_tsne_exact_kl (const PbTsneAffinities *p, const double *y)
{
  int n = p->n;
  double zsum = 0.0, s = 0.0;

  /* Each pair once: the benchmark scores maps of 70,000 points with this. */
  for (int i = 0; i < n; i++)
    {
      double row = 0.0;
      for (int j = i + 1; j < n; j++)
        {
          double dx = y[2 * i] - y[2 * j], dy = y[2 * i + 1] - y[2 * j + 1];
          row += 1.0 / (1.0 + dx * dx + dy * dy);
        }
      zsum += 2.0 * row;
    }
  for (int i = 0; i < n; i++)
    for (int e = p->row[i]; e < p->row[i + 1]; e++)
      {
        int j = p->col[e];
        double dx = y[2 * i] - y[2 * j], dy = y[2 * i + 1] - y[2 * j + 1];
        s += p->val[e] * log1p (dx * dx + dy * dy);
      }
  return pb_tsne_sum_p_log_p (p) + s + log (zsum);
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

/* Row-parallel terms: attraction (every method but bh) and the exact repulsion. */

#define ROW_CHUNK 256

typedef struct
{
  const PbTsneAffinities *p;
  const double           *y;
  const int              *order;
  int                     n;
  double                 *attr, *rep, *z, *kl;
  atomic_int              next;
} RowJob;

static void
attraction_rows (const RowJob *job, int from, int to)
{
  const PbTsneAffinities *p = job->p;
  const double *y = job->y;

  for (int k = from; k < to; k++)
    {
      int i = job->order != NULL ? job->order[k] : k;
      double xi = y[2 * i], yi = y[2 * i + 1], ax = 0.0, ay = 0.0, kl = 0.0;

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

static void
attraction_run (void *data, int thread)
{
  RowJob *job = data;

  (void) thread;
  for (;;)
    {
      int from = atomic_fetch_add (&job->next, ROW_CHUNK);
      if (from >= job->n)
        return;
      attraction_rows (job, from, from + ROW_CHUNK < job->n ? from + ROW_CHUNK : job->n);
    }
}

void
pb_tsne_attraction (PbTsnePool *pool, const PbTsneAffinities *p, const double *y,
                    const int *order, double *attr, double *kl)
{
  RowJob job = { .p = p, .y = y, .order = order, .n = p->n, .attr = attr, .kl = kl };

  atomic_init (&job.next, 0);
  pb_tsne_pool_run (pool, attraction_run, &job);
}

static void
exact_run (void *data, int thread)
{
  RowJob *job = data;
  const double *y = job->y;
  int n = job->n;

  (void) thread;
  for (;;)
    {
      int from = atomic_fetch_add (&job->next, ROW_CHUNK / 8);
      if (from >= n)
        break;
      int to = from + ROW_CHUNK / 8 < n ? from + ROW_CHUNK / 8 : n;
      for (int i = from; i < to; i++)
        {
          double xi = y[2 * i], yi = y[2 * i + 1], zi = 0.0, rx = 0.0, ry = 0.0;

          for (int j = 0; j < n; j++)
            {
              double dx = xi - y[2 * j], dy = yi - y[2 * j + 1];
              double w = 1.0 / (1.0 + dx * dx + dy * dy);
              zi += w;
              w *= w;
              rx += w * dx;
              ry += w * dy;
            }
          /* j = i added w = 1 and nothing to the forces. */
          job->z[i] = zi - 1.0;
          job->rep[2 * i] = rx;
          job->rep[2 * i + 1] = ry;
        }
      attraction_rows (job, from, to);
    }
}

static double
exact_terms (PbTsnePool *pool, const PbTsneAffinities *p, const double *y, double *attr,
             double *rep, double *z, double *kl)
{
  RowJob job = { .p = p, .y = y, .n = p->n, .attr = attr, .rep = rep, .z = z, .kl = kl };
  double total = 0.0;

  atomic_init (&job.next, 0);
  pb_tsne_pool_run (pool, exact_run, &job);
  for (int i = 0; i < p->n; i++)
    total += z[i];
  return total;
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
  if (s->threads < 0 || s->threads > PB_TSNE_MAX_THREADS)
    return pb_error_set (err, PB_ERR_INVALID, "t-SNE: threads must be in 0..%d, got %d",
                         PB_TSNE_MAX_THREADS, s->threads);
  if (s->init != PB_TSNE_INIT_PCA && s->init != PB_TSNE_INIT_RANDOM)
    return pb_error_set (err, PB_ERR_INVALID, "t-SNE: unknown init %d", (int) s->init);
  if (pb_tsne_method_name (s->method) == NULL)
    return pb_error_set (err, PB_ERR_INVALID, "t-SNE: unknown method %d; expected auto, bh, "
                         "fft or exact", (int) s->method);
  return PB_OK;
}

/* attr, rep (and klterm) at self->y by the run's method; *zsum gets Z. */
static PbStatus
gradient_terms (PbTsne *self, bool kl, double *zsum, PbError *err)
{
  double *klterm = kl ? self->klterm : NULL;

  switch (self->method)
    {
    case PB_TSNE_METHOD_FFT:
      return pb_tsne_fft_terms (&self->pool, &self->p, self->y, self->fft, self->attr, self->rep,
                                klterm, zsum, err);
    case PB_TSNE_METHOD_EXACT:
      *zsum = exact_terms (&self->pool, &self->p, self->y, self->attr, self->rep, self->z,
                           klterm);
      return PB_OK;
    case PB_TSNE_METHOD_BH:
    case PB_TSNE_METHOD_AUTO:
    default:
      *zsum = pb_tsne_bh_terms (&self->pool, &self->p, self->y, self->tree, self->settings.theta,
                                self->attr, self->rep, self->z, klterm);
      return PB_OK;
    }
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
  self->method = pb_tsne_method_for (settings->method, n);
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
      || !self->z || !self->klterm || !self->coords
      || (self->method == PB_TSNE_METHOD_BH
          && (self->tree = pb_tsne_tree_new (n, threads)) == NULL)
      || (self->method == PB_TSNE_METHOD_FFT && (self->fft = pb_tsne_fft_new (n)) == NULL))
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
  self->p_log_p = pb_tsne_sum_p_log_p (&self->p);

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
  pb_tsne_tree_free (self->tree);
  pb_tsne_fft_free (self->fft);
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
      if (pb_tsne_is_cancelled (&self->cb))
        {
          status = pb_error_set (err, PB_ERR_CANCELLED, "t-SNE: cancelled at iteration %d",
                                 self->iteration);
          break;
        }

      double alpha = self->iteration < s->exaggeration_iterations ? s->exaggeration : 1.0;
      double momentum = self->iteration < s->momentum_switch_iteration ? s->momentum
                                                                        : s->final_momentum;
      double zsum;
      status = gradient_terms (self, false, &zsum, err);
      if (status != PB_OK)
        break;
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

PbTsneMethod
pb_tsne_method_used (const PbTsne *self)
{
  return self->method;
}

double
pb_tsne_kl (PbTsne *self)
{
  double zsum;

  if (self->kl_iteration == self->iteration)
    return self->kl;
  if (gradient_terms (self, true, &zsum, NULL) != PB_OK)
    return NAN;

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
