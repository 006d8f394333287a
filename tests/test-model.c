/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The six models against PyTorch (tools/gen-fixtures.py) and against finite differences. */

#include <glib.h>
#include <math.h>
#include <string.h>

#include "pb-core.h"

typedef struct
{
  char *name;
  int ndim;
  int dims[8];
  gsize count;
  float *data;
} FxTensor;

typedef struct
{
  GPtrArray *tensors;
} Fixture;

static void
fx_tensor_free (gpointer p)
{
  FxTensor *t = p;
  g_free (t->name);
  g_free (t->data);
  g_free (t);
}

static guint32
read_u32 (const guint8 **p, const guint8 *end)
{
  guint32 v;
  g_assert_cmpint (end - *p, >=, 4);
  memcpy (&v, *p, 4);
  *p += 4;
  return GUINT32_FROM_LE (v);
}

static Fixture *
fixture_load (const char *model)
{
  const char *dir = g_getenv ("PAIRBENCH_FIXTURES");
  g_autofree char *path = g_strdup_printf ("%s/%s.pbfx", dir, model);
  g_autofree guint8 *contents = NULL;
  gsize len;
  g_autoptr (GError) error = NULL;
  Fixture *fx = g_new0 (Fixture, 1);

  g_assert_nonnull (dir);
  g_file_get_contents (path, (char **) &contents, &len, &error);
  g_assert_no_error (error);
  const guint8 *p = contents, *end = contents + len;
  g_assert_cmpmem (p, 4, "PBFX", 4);
  p += 4;
  g_assert_cmpuint (read_u32 (&p, end), ==, 1);
  guint32 n = read_u32 (&p, end);
  fx->tensors = g_ptr_array_new_with_free_func (fx_tensor_free);
  for (guint32 i = 0; i < n; i++)
    {
      FxTensor *t = g_new0 (FxTensor, 1);
      guint32 name_len = read_u32 (&p, end);
      g_assert_cmpint (end - p, >=, name_len);
      t->name = g_strndup ((const char *) p, name_len);
      p += name_len;
      t->ndim = (int) read_u32 (&p, end);
      g_assert_cmpint (t->ndim, <=, 8);
      t->count = 1;
      for (int d = 0; d < t->ndim; d++)
        {
          t->dims[d] = (int) read_u32 (&p, end);
          t->count *= (gsize) t->dims[d];
        }
      g_assert_cmpint (end - p, >=, (gssize) (t->count * 4));
      t->data = g_new (float, t->count > 0 ? t->count : 1);
      memcpy (t->data, p, t->count * 4);
      p += t->count * 4;
      g_ptr_array_add (fx->tensors, t);
    }
  g_assert_true (p == end);
  return fx;
}

static void
fixture_free (Fixture *fx)
{
  g_ptr_array_unref (fx->tensors);
  g_free (fx);
}

static const FxTensor *
fx_get (const Fixture *fx, const char *name)
{
  for (guint i = 0; i < fx->tensors->len; i++)
    {
      const FxTensor *t = g_ptr_array_index (fx->tensors, i);
      if (strcmp (t->name, name) == 0)
        return t;
    }
  g_error ("fixture has no tensor '%s'", name);
  return NULL;
}

/* Asserts |a − b| ≤ rel · max|b| over the tensor, and reports the worst difference. The small
 * absolute floor is for tensors that are zero in exact arithmetic, such as the gradient of a conv
 * bias that batch norm cancels, where both sides hold only rounding noise. */
static void
assert_close (const char *what, const float *got, const FxTensor *want, double rel)
{
  double worst = 0.0, scale = 0.0;
  for (gsize i = 0; i < want->count; i++)
    scale = MAX (scale, fabs (want->data[i]));
  for (gsize i = 0; i < want->count; i++)
    worst = MAX (worst, fabs ((double) got[i] - want->data[i]));
  g_test_message ("%-32s worst |diff| %.3g of max |ref| %.3g", what, worst, scale);
  if (!(worst <= rel * scale + 1e-6))
    g_error ("%s: worst difference %.6g exceeds %.3g × %.6g", what, worst, rel, scale);
}

typedef struct
{
  PbModel *model;
  float *x;
  guint8 *classes;
  guint8 *labels;
  int batch;
} Setup;

static void
setup_from_fixture (const Fixture *fx, const char *name, Setup *s)
{
  PbArch arch;
  PbError err;
  const FxTensor *input = fx_get (fx, "input"), *classes = fx_get (fx, "classes");
  const FxTensor *labels = fx_get (fx, "labels");

  g_assert_cmpint (pb_arch_from_name (name, &arch, &err), ==, PB_OK);
  if (arch.aux)
    arch.aux_weight = fx_get (fx, "aux_weight")->data[0];
  s->batch = input->dims[0];
  g_assert_cmpint (pb_model_new (&arch, s->batch, &s->model, &err), ==, PB_OK);
  s->x = g_memdup2 (input->data, input->count * sizeof (float));
  s->classes = g_new (guint8, classes->count);
  s->labels = g_new (guint8, labels->count);
  for (gsize i = 0; i < classes->count; i++)
    s->classes[i] = (guint8) classes->data[i];
  for (gsize i = 0; i < labels->count; i++)
    {
      s->labels[i] = (guint8) labels->data[i];
      g_assert_cmpint (s->labels[i], ==, pb_pair_label (s->classes[2 * i], s->classes[2 * i + 1]));
    }

  for (int i = 0; i < pb_model_n_tensors (s->model); i++)
    {
      const PbTensorInfo *info = pb_model_tensor (s->model, i);
      g_autofree char *key = g_strdup_printf ("param.%s", info->name);
      const FxTensor *t = fx_get (fx, key);
      g_assert_cmpuint (t->count, ==, info->size);
      g_assert_cmpint (t->ndim, ==, info->ndim);
      for (int d = 0; d < info->ndim; d++)
        g_assert_cmpint (t->dims[d], ==, info->shape[d]);
      memcpy (pb_model_tensor_data (s->model, i), t->data, info->size * sizeof (float));
    }
}

static void
setup_clear (Setup *s)
{
  pb_model_free (s->model);
  g_free (s->x);
  g_free (s->classes);
  g_free (s->labels);
}

static void
test_fixture (gconstpointer data)
{
  const char *name = data;
  Fixture *fx = fixture_load (name);
  Setup s;
  const int B = fx_get (fx, "input")->dims[0];

  setup_from_fixture (fx, name, &s);

  pb_model_forward (s.model, s.x, B, TRUE, NULL);
  PbLoss loss = pb_model_loss (s.model, s.classes, s.labels);
  pb_model_zero_grad (s.model);
  pb_model_backward (s.model, s.classes, s.labels);

  const float *main = pb_model_main_logits (s.model), *dig = pb_model_digit_logits (s.model);
  g_autofree float *d1 = g_new (float, B * 10);
  g_autofree float *d2 = g_new (float, B * 10);
  for (int b = 0; b < B; b++)
    {
      memcpy (d1 + b * 10, dig + b * 20, 10 * sizeof (float));
      memcpy (d2 + b * 10, dig + b * 20 + 10, 10 * sizeof (float));
    }
  assert_close ("out.main", main, fx_get (fx, "out.main"), 1e-4);
  assert_close ("out.digits1", d1, fx_get (fx, "out.digits1"), 1e-4);
  assert_close ("out.digits2", d2, fx_get (fx, "out.digits2"), 1e-4);

  float lm = (float) loss.main, la = (float) loss.aux, lt = (float) loss.total;
  assert_close ("loss.main", &lm, fx_get (fx, "loss.main"), 1e-4);
  assert_close ("loss.aux", &la, fx_get (fx, "loss.aux"), 1e-4);
  assert_close ("loss.total", &lt, fx_get (fx, "loss.total"), 1e-4);

  for (int i = 0; i < pb_model_n_tensors (s.model); i++)
    {
      const PbTensorInfo *info = pb_model_tensor (s.model, i);
      g_autofree char *key = NULL;
      if (info->block == PB_BLOCK_PARAMS)
        {
          key = g_strdup_printf ("grad.%s", info->name);
          assert_close (key, pb_model_grads (s.model) + info->offset, fx_get (fx, key), 1e-4);
        }
      else
        {
          key = g_strdup_printf ("after.%s", info->name);
          assert_close (key, pb_model_tensor_data (s.model, i), fx_get (fx, key), 1e-4);
        }
    }

  pb_model_forward (s.model, s.x, B, FALSE, NULL);
  main = pb_model_main_logits (s.model);
  for (int b = 0; b < B; b++)
    {
      memcpy (d1 + b * 10, dig + b * 20, 10 * sizeof (float));
      memcpy (d2 + b * 10, dig + b * 20 + 10, 10 * sizeof (float));
    }
  assert_close ("eval.main", main, fx_get (fx, "eval.main"), 1e-4);
  assert_close ("eval.digits1", d1, fx_get (fx, "eval.digits1"), 1e-4);
  assert_close ("eval.digits2", d2, fx_get (fx, "eval.digits2"), 1e-4);

  setup_clear (&s);
  fixture_free (fx);
}

static void
test_fixture_adam (gconstpointer data)
{
  const char *name = data;
  Fixture *fx = fixture_load (name);
  const FxTensor *want = fx_get (fx, "adam.losses");
  PbAdam adam = { .lr = 1e-3f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f };
  Setup s;
  float got[16];

  setup_from_fixture (fx, name, &s);
  g_assert_cmpuint (want->count, <=, G_N_ELEMENTS (got));
  for (gsize t = 0; t < want->count; t++)
    {
      pb_model_forward (s.model, s.x, s.batch, TRUE, NULL);
      got[t] = (float) pb_model_loss (s.model, s.classes, s.labels).total;
      pb_model_zero_grad (s.model);
      pb_model_backward (s.model, s.classes, s.labels);
      pb_adam_step (&adam, pb_model_param_count (s.model), pb_model_params (s.model),
                    pb_model_grads (s.model), pb_model_adam_m (s.model), pb_model_adam_v (s.model),
                    (long) t + 1);
    }
  for (gsize t = 0; t < want->count; t++)
    {
      g_test_message ("step %zu: loss %.6f, PyTorch %.6f", t + 1, got[t], want->data[t]);
      g_assert_cmpfloat_with_epsilon (got[t], want->data[t], 1e-3 * MAX (1.0, fabs (want->data[t])));
    }
  /* The losses must move, or the comparison above proves nothing about the optimiser. */
  g_assert_cmpfloat (fabs (got[want->count - 1] - got[0]), >, 1e-3);
  setup_clear (&s);
  fixture_free (fx);
}

static void
test_param_counts (void)
{
  static const struct { const char *name; size_t params; } expected[] = {
    { "siamese", 71076 }, { "siamese-aux", 71076 }, { "twin", 142110 }, { "twin-aux", 142110 },
    { "stacked", 71790 }, { "stacked-aux", 71790 },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      PbArch arch;
      PbModel *model;
      g_assert_cmpint (pb_arch_from_name (expected[i].name, &arch, NULL), ==, PB_OK);
      g_assert_cmpstr (pb_arch_name (&arch), ==, expected[i].name);
      g_assert_cmpuint (pb_arch_param_count (&arch), ==, expected[i].params);
      g_assert_cmpint (pb_model_new (&arch, 4, &model, NULL), ==, PB_OK);
      g_assert_cmpuint (pb_model_param_count (model), ==, expected[i].params);
      pb_model_free (model);
    }
}

static void
test_unknown_model (void)
{
  PbArch arch;
  PbError err = { { 0 } };
  g_assert_cmpint (pb_arch_from_name ("resnet", &arch, &err), ==, PB_ERR_INVALID);
  g_assert_nonnull (strstr (err.message, "resnet"));
  g_assert_nonnull (strstr (err.message, "siamese-aux"));
}

/* Whole-model gradient against central differences of the loss, in double. The loss uses
 * batch statistics, so the running statistics are restored after every evaluation. */
static double
loss_at (PbModel *model, const float *x, int B, const guint8 *classes, const guint8 *labels,
         const float *buffers)
{
  pb_model_forward (model, x, B, TRUE, NULL);
  double l = pb_model_loss (model, classes, labels).total;
  memcpy (pb_model_buffers (model), buffers, pb_model_buffer_count (model) * sizeof (float));
  return l;
}

static void
test_model_gradient (gconstpointer data)
{
  const char *name = data;
  PbArch arch;
  PbModel *model;
  PbRng rng;
  const int B = 6;
  float x[6 * 2 * 196];
  guint8 classes[12], labels[6];
  int checked = 0, failed = 0, significant = 0, caught = 0;

  g_assert_cmpint (pb_arch_from_name (name, &arch, NULL), ==, PB_OK);
  arch.aux_weight = 0.6f;
  g_assert_cmpint (pb_model_new (&arch, B, &model, NULL), ==, PB_OK);
  pb_rng_seed (&rng, 42, 7);
  pb_model_init (model, &rng);
  for (gsize i = 0; i < G_N_ELEMENTS (x); i++)
    x[i] = (float) pb_rng_normal (&rng);
  for (int b = 0; b < B; b++)
    {
      classes[2 * b] = (guint8) pb_rng_below (&rng, 10);
      classes[2 * b + 1] = (guint8) pb_rng_below (&rng, 10);
      labels[b] = pb_pair_label (classes[2 * b], classes[2 * b + 1]);
    }
  g_autofree float *buffers = g_memdup2 (pb_model_buffers (model),
                                         pb_model_buffer_count (model) * sizeof (float));

  pb_model_forward (model, x, B, TRUE, NULL);
  pb_model_loss (model, classes, labels);
  pb_model_zero_grad (model);
  pb_model_backward (model, classes, labels);
  memcpy (pb_model_buffers (model), buffers, pb_model_buffer_count (model) * sizeof (float));
  g_autofree float *grads = g_memdup2 (pb_model_grads (model),
                                       pb_model_param_count (model) * sizeof (float));

  float *params = pb_model_params (model);
  double gmax = 0.0;
  for (size_t i = 0; i < pb_model_param_count (model); i++)
    gmax = MAX (gmax, fabs (grads[i]));

  /* A few entries of every tensor. */
  for (int t = 0; t < pb_model_n_tensors (model); t++)
    {
      const PbTensorInfo *info = pb_model_tensor (model, t);
      if (info->block != PB_BLOCK_PARAMS)
        continue;
      for (int k = 0; k < 4; k++)
        {
          size_t i = info->offset + pb_rng_below (&rng, (guint32) info->size);
          float saved = params[i];
          const float eps = 1e-3f;
          params[i] = saved + eps;
          double lp = loss_at (model, x, B, classes, labels, buffers);
          params[i] = saved - eps;
          double lm = loss_at (model, x, B, classes, labels, buffers);
          params[i] = saved;
          double numeric = (lp - lm) / (2.0 * eps);
          double err = fabs (numeric - grads[i]);
          double tol = 2e-2 * MAX (fabs (numeric), fabs (grads[i])) + 2e-3 * gmax;
          checked++;
          /* On entries large enough to matter, the same criterion must reject a gradient that
           * is 10% off. */
          if (fabs (grads[i]) > 0.05 * gmax)
            {
              significant++;
              caught += fabs (numeric - 1.1 * grads[i])
                        > 2e-2 * MAX (fabs (numeric), 1.1 * fabs (grads[i])) + 2e-3 * gmax;
            }
          /* Max-pool switches and ReLU kinks make a few entries legitimately noisy. */
          if (err > tol)
            {
              failed++;
              g_test_message ("%s[%zu]: analytic %.6g, numeric %.6g", info->name,
                              i - info->offset, grads[i], numeric);
            }
        }
    }
  g_test_message ("%d of %d entries outside tolerance; a 10%% error caught on %d of %d large "
                  "entries", failed, checked, caught, significant);
  g_assert_cmpint (failed, <=, checked / 10);
  g_assert_cmpint (significant, >=, 10);
  g_assert_cmpint (caught, >=, significant * 8 / 10);
  pb_model_free (model);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/core/model/param-counts", test_param_counts);
  g_test_add_func ("/core/model/unknown-name", test_unknown_model);
  for (int i = 0; i < PB_N_MODEL_NAMES; i++)
    {
      g_autofree char *p1 = g_strdup_printf ("/core/model/pytorch/%s", pb_model_names[i]);
      g_autofree char *p2 = g_strdup_printf ("/core/model/pytorch-adam/%s", pb_model_names[i]);
      g_autofree char *p3 = g_strdup_printf ("/core/model/finite-differences/%s",
                                             pb_model_names[i]);
      g_test_add_data_func (p1, pb_model_names[i], test_fixture);
      g_test_add_data_func (p2, pb_model_names[i], test_fixture_adam);
      g_test_add_data_func (p3, pb_model_names[i], test_model_gradient);
    }
  return g_test_run ();
}
