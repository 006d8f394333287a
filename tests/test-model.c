/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The six models, and non-default architectures, against PyTorch (tools/gen-fixtures.py) and
 * against finite differences. */

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
fx_find (const Fixture *fx, const char *name)
{
  for (guint i = 0; i < fx->tensors->len; i++)
    {
      const FxTensor *t = g_ptr_array_index (fx->tensors, i);
      if (strcmp (t->name, name) == 0)
        return t;
    }
  return NULL;
}

static const FxTensor *
fx_get (const Fixture *fx, const char *name)
{
  const FxTensor *t = fx_find (fx, name);
  if (t == NULL)
    g_error ("fixture has no tensor '%s'", name);
  return t;
}

/* The fixtures of non-default architectures: the same settings as EXTRA in
 * tools/gen-fixtures.py. */
static const struct
{
  const char *file, *model;
  int kernel, channels[PB_N_CONV], padding[PB_N_CONV], hidden;
  PbHiddenAct hidden_act;
  gboolean batch_norm;
  PbRule rule;
} extra_fixtures[] = {
  { "siamese-k3-both", "siamese-aux", 3, { 32, 48, 64 }, { 1, 1, 1 }, 96, PB_HIDDEN_RELU, TRUE,
    PB_RULE_BOTH },
  { "stacked-nobn-posterior", "stacked", 2, { 16, 64, 128 }, { 0, 1, 1 }, 64, PB_HIDDEN_NONE,
    FALSE, PB_RULE_POSTERIOR },
  { "twin-k5-nobn-posterior", "twin-aux", 5, { 8, 16, 32 }, { 2, 2, 2 }, 32, PB_HIDDEN_RELU,
    FALSE, PB_RULE_POSTERIOR },
};

/* The architecture of a fixture: a model name, or one of extra_fixtures. */
static void
fixture_arch (const char *file, PbArch *arch)
{
  if (pb_arch_from_name (file, arch, NULL) == PB_OK)
    return;
  for (gsize i = 0; i < G_N_ELEMENTS (extra_fixtures); i++)
    if (strcmp (extra_fixtures[i].file, file) == 0)
      {
        g_assert_cmpint (pb_arch_from_name (extra_fixtures[i].model, arch, NULL), ==, PB_OK);
        arch->kernel = extra_fixtures[i].kernel;
        arch->hidden = extra_fixtures[i].hidden;
        for (int l = 0; l < PB_N_CONV; l++)
          {
            arch->channels[l] = extra_fixtures[i].channels[l];
            arch->padding[l] = extra_fixtures[i].padding[l];
          }
        arch->hidden_act = extra_fixtures[i].hidden_act;
        arch->batch_norm = extra_fixtures[i].batch_norm;
        arch->rule = extra_fixtures[i].rule;
        return;
      }
  g_error ("no architecture for fixture '%s'", file);
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
  const FxTensor *labels = fx_get (fx, "labels"), *count = fx_find (fx, "param_count");
  int n_params = 0;

  fixture_arch (name, &arch);
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
  /* and no PyTorch tensor that the model lacks (bn.* without batch norm, head.* without head) */
  for (guint i = 0; i < fx->tensors->len; i++)
    n_params += g_str_has_prefix (((const FxTensor *) g_ptr_array_index (fx->tensors, i))->name,
                                  "param.");
  g_assert_cmpint (n_params, ==, pb_model_n_tensors (s->model));
  if (count != NULL)
    {
      g_assert_cmpuint (pb_model_param_count (s->model), ==, (size_t) count->data[0]);
      g_assert_cmpuint (pb_arch_param_count (&arch), ==, (size_t) count->data[0]);
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

/* Counts from PyTorch: pairbench_torch.count_params (make_model (kind, **options)). */
static void
test_param_counts_options (void)
{
  static const struct
  {
    const char *name;
    int kernel, pad, c1, c2, c3, hidden; /* 0: the default */
    PbHiddenAct act;
    gboolean batch_norm;
    PbRule rule;
    size_t params;
  } expected[] = {
    { "siamese", 0, -1, 0, 0, 0, 0, PB_HIDDEN_NONE, TRUE, PB_RULE_POSTERIOR, 71034 },
    { "twin", 0, -1, 0, 0, 0, 0, PB_HIDDEN_NONE, TRUE, PB_RULE_BOTH, 142110 },
    { "stacked", 0, -1, 0, 0, 0, 0, PB_HIDDEN_NONE, TRUE, PB_RULE_POSTERIOR, 71748 },
    { "siamese", 0, -1, 0, 0, 0, 0, PB_HIDDEN_NONE, FALSE, PB_RULE_HEAD, 70660 },
    { "twin", 0, -1, 0, 0, 0, 0, PB_HIDDEN_NONE, FALSE, PB_RULE_POSTERIOR, 141236 },
    { "stacked", 0, -1, 0, 0, 0, 0, PB_HIDDEN_RELU, FALSE, PB_RULE_HEAD, 71374 },
    { "siamese", 3, 1, 32, 48, 64, 96, PB_HIDDEN_NONE, TRUE, PB_RULE_HEAD, 49444 },
    { "twin", 5, 2, 8, 16, 32, 32, PB_HIDDEN_NONE, FALSE, PB_RULE_POSTERIOR, 35284 },
    { "stacked", 1, 0, 0, 0, 0, 0, PB_HIDDEN_NONE, TRUE, PB_RULE_HEAD, 19470 },
    { "siamese", 7, 3, 0, 0, 0, 0, PB_HIDDEN_NONE, TRUE, PB_RULE_HEAD, 461940 },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      PbArch arch;
      PbModel *model;
      PbError err;
      g_assert_cmpint (pb_arch_from_name (expected[i].name, &arch, NULL), ==, PB_OK);
      if (expected[i].kernel > 0)
        arch.kernel = expected[i].kernel;
      for (int l = 0; l < PB_N_CONV && expected[i].pad >= 0; l++)
        arch.padding[l] = expected[i].pad;
      if (expected[i].c1 > 0)
        {
          arch.channels[0] = expected[i].c1;
          arch.channels[1] = expected[i].c2;
          arch.channels[2] = expected[i].c3;
        }
      if (expected[i].hidden > 0)
        arch.hidden = expected[i].hidden;
      arch.hidden_act = expected[i].act;
      arch.batch_norm = expected[i].batch_norm;
      arch.rule = expected[i].rule;
      g_assert_cmpint (pb_arch_validate (&arch, &err), ==, PB_OK);
      g_assert_cmpuint (pb_arch_param_count (&arch), ==, expected[i].params);
      g_assert_cmpint (pb_model_new (&arch, 2, &model, NULL), ==, PB_OK);
      g_assert_cmpuint (pb_model_param_count (model), ==, expected[i].params);
      /* state_dict names: no bn* tensors without batch norm, no head without one */
      g_assert_cmpint (pb_model_find_tensor (model, "head.weight") >= 0, ==,
                       expected[i].rule != PB_RULE_POSTERIOR);
      g_assert_cmpint (pb_model_find_tensor (model, arch.kind == PB_KIND_TWIN
                                                    ? "trunk_a.bn1.running_var"
                                                    : "trunk.bn1.running_var") >= 0, ==,
                       expected[i].batch_norm);
      g_assert_cmpuint (pb_model_buffer_count (model) > 0, ==, expected[i].batch_norm);
      pb_model_free (model);
    }
}

/* The defaults are the report's, and out-of-range settings get a message naming them. */
static void
test_arch_validate (void)
{
  static const struct { const char *what; int field, value; const char *message; } bad[] = {
    { "kernel 0", 0, 0, "kernel size: expected 1–7, got 0" },
    { "kernel 8", 0, 8, "kernel size: expected 1–7, got 8" },
    { "padding", 1, 3, "conv2 padding: expected 0–2, got 3" },
    { "hidden act", 2, 7, "hidden activation 7 is not none or relu" },
    { "rule", 3, 5, "decision rule 5 is not head, posterior or both" },
    /* kernel 7 without padding: 14 → 8 → pool 4 → conv2 (pad 1) 0 */
    { "geometry", 4, 7, "conv2 maps its 4×4 input to 0×0, too small for the 2×2 pooling" },
  };
  PbArch arch;
  PbError err;
  PbRule rule;
  PbHiddenAct act;

  g_assert_cmpint (pb_arch_from_name ("twin", &arch, NULL), ==, PB_OK);
  g_assert_cmpint (arch.hidden_act, ==, PB_HIDDEN_NONE);
  g_assert_true (arch.batch_norm);
  g_assert_cmpint (arch.rule, ==, PB_RULE_HEAD);
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_assert_cmpint (pb_arch_from_name ("siamese", &arch, NULL), ==, PB_OK);
      switch (bad[i].field)
        {
        case 0: arch.kernel = bad[i].value; break;
        case 1: arch.padding[1] = bad[i].value; break;
        case 2: arch.hidden_act = (PbHiddenAct) bad[i].value; break;
        case 3: arch.rule = (PbRule) bad[i].value; break;
        case 4: arch.kernel = bad[i].value; arch.padding[0] = 0; break;
        }
      g_assert_cmpint (pb_arch_validate (&arch, &err), ==, PB_ERR_INVALID);
      g_test_message ("%s: %s", bad[i].what, err.message);
      g_assert_nonnull (strstr (err.message, bad[i].message));
    }

  /* kernels 2, 3 and 5 with the paddings that keep each layer's side */
  for (int k = 1; k <= 7; k++)
    {
      g_assert_cmpint (pb_arch_from_name ("stacked", &arch, NULL), ==, PB_OK);
      arch.kernel = k;
      for (int l = 0; l < PB_N_CONV; l++)
        arch.padding[l] = k / 2;
      g_assert_cmpint (pb_arch_validate (&arch, &err), ==, PB_OK);
    }

  g_assert_cmpint (pb_rule_from_name ("posterior", &rule, NULL), ==, PB_OK);
  g_assert_cmpint (rule, ==, PB_RULE_POSTERIOR);
  g_assert_cmpstr (pb_rule_name (PB_RULE_BOTH), ==, "both");
  g_assert_cmpint (pb_rule_from_name ("vote", &rule, &err), ==, PB_ERR_INVALID);
  g_assert_nonnull (strstr (err.message, "'vote'"));
  g_assert_cmpint (pb_hidden_act_from_name ("relu", &act, NULL), ==, PB_OK);
  g_assert_cmpint (act, ==, PB_HIDDEN_RELU);
  g_assert_cmpstr (pb_hidden_act_name (PB_HIDDEN_NONE), ==, "none");
  g_assert_cmpint (pb_hidden_act_from_name ("tanh", &act, &err), ==, PB_ERR_INVALID);
}

/* P(first > second) by hand.
 * p1: digit 2 → 1/2, digit 5 → 1/4, digit 8 → 1/4;  p2: digit 4 → 1/2, digit 5 → 1/2.
 * first > second: (5, 4) 1/8, (8, 4) 1/8, (8, 5) 1/8 → 3/8. The tie (5, 5), 1/8, counts for
 * "not larger", so P(first ≤ second) = 5/8. Both uniform: 45 of the 100 pairs → 0.45. */
static void
test_digit_posterior (void)
{
  float z1[10], z2[10], pair[20], logp[2];

  for (int i = 0; i < 10; i++)
    z1[i] = z2[i] = -100.0f; /* e^−100 ≈ 4e−44: nothing at the 1e−12 scale */
  z1[2] = logf (0.5f);
  z1[5] = z1[8] = logf (0.25f);
  z2[4] = z2[5] = logf (0.5f);
  g_assert_cmpfloat_with_epsilon (pb_digit_posterior (z1, z2), 0.375, 1e-7);
  /* swapped: (4, 2), (5, 2) 1/4 each → 1/2 */
  g_assert_cmpfloat_with_epsilon (pb_digit_posterior (z2, z1), 0.5, 1e-7);
  memcpy (pair, z1, sizeof z1);
  memcpy (pair + 10, z2, sizeof z2);
  pb_posterior_forward (1, pair, logp);
  g_assert_cmpfloat_with_epsilon (logp[0], log (0.625), 1e-6);
  g_assert_cmpfloat_with_epsilon (logp[1], log (0.375), 1e-6);

  for (int i = 0; i < 10; i++)
    z1[i] = z2[i] = 3.0f;
  g_assert_cmpfloat_with_epsilon (pb_digit_posterior (z1, z2), 0.45, 1e-7);

  /* Near certainty: first is 9 and second is 0 up to e^−50 each. P(first ≤ second) ≈ 2·e^−50,
   * from (0, 0) and (9, 9), far below what 1 − P(first > second) can hold. */
  for (int i = 0; i < 10; i++)
    pair[i] = pair[10 + i] = 0.0f;
  pair[9] = 50.0f;
  pair[10] = 50.0f;
  pb_posterior_forward (1, pair, logp);
  g_assert_cmpfloat_with_epsilon (logp[0], log (2.0) - 50.0, 1e-5);
  g_assert_cmpfloat (logp[1], <=, 0.0f);
  g_assert_cmpfloat (logp[1], >, -1e-6f);
  g_assert_cmpfloat (pb_digit_posterior (pair, pair + 10), ==, 1.0);
}

/* Under every rule the main logits give the rule's probability through softmax, the label
 * through o[1] > o[0], and the loss is −log of that probability. */
static void
test_rule_logits (void)
{
  const PbRule rules[] = { PB_RULE_POSTERIOR, PB_RULE_BOTH };
  const int B = 4;
  float x[4 * 2 * 196];
  guint8 classes[8] = { 1, 2, 7, 3, 5, 5, 9, 0 }, labels[4];
  PbRng rng;

  pb_rng_seed (&rng, 5, 1);
  for (gsize i = 0; i < G_N_ELEMENTS (x); i++)
    x[i] = (float) pb_rng_normal (&rng);
  for (int b = 0; b < B; b++)
    labels[b] = pb_pair_label (classes[2 * b], classes[2 * b + 1]);
  for (gsize r = 0; r < G_N_ELEMENTS (rules); r++)
    {
      PbArch arch;
      PbModel *model;
      g_assert_cmpint (pb_arch_from_name ("siamese", &arch, NULL), ==, PB_OK);
      arch.rule = rules[r];
      g_assert_cmpint (pb_model_new (&arch, B, &model, NULL), ==, PB_OK);
      pb_model_init (model, &rng);
      pb_model_forward (model, x, B, FALSE, NULL);
      const float *o = pb_model_main_logits (model), *d = pb_model_digit_logits (model);
      double want_loss = 0.0;
      for (int b = 0; b < B; b++)
        {
          double post = pb_digit_posterior (d + 20 * b, d + 20 * b + 10);
          double p = post;
          if (rules[r] == PB_RULE_BOTH)
            {
              int hw = pb_model_find_tensor (model, "head.weight");
              int hb = pb_model_find_tensor (model, "head.bias");
              const float *w = pb_model_tensor_data (model, hw), *bias = pb_model_tensor_data (model, hb);
              double h[2];
              for (int c = 0; c < 2; c++)
                {
                  h[c] = bias[c];
                  for (int j = 0; j < 20; j++)
                    h[c] += (double) w[c * 20 + j] * d[20 * b + j];
                }
              p = (1.0 / (1.0 + exp (h[0] - h[1])) + post) / 2.0;
            }
          g_assert_cmpfloat_with_epsilon (exp (o[2 * b]) + exp (o[2 * b + 1]), 1.0, 1e-5);
          g_assert_cmpfloat_with_epsilon (1.0 / (1.0 + exp ((double) o[2 * b] - o[2 * b + 1])), p,
                                          1e-5);
          want_loss -= log (labels[b] ? p : 1.0 - p) / B;
        }
      PbLoss loss = pb_model_loss (model, classes, labels);
      g_assert_cmpfloat_with_epsilon (loss.main, want_loss, 1e-5);
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
  if (buffers != NULL) /* no batch norm, no buffers */
    memcpy (pb_model_buffers (model), buffers, pb_model_buffer_count (model) * sizeof (float));
  return l;
}

/* Which post-ReLU activations of the last forward are zero: the feature maps of every layer and
 * application, and the hidden layer when it has a ReLU. */
static GByteArray *
relu_pattern (PbModel *model, int B)
{
  const PbArch *arch = pb_model_arch (model);
  GByteArray *zeros = g_byte_array_new ();

  for (int a = 0; a < pb_model_n_applications (model); a++)
    {
      for (int l = 0; l < PB_N_CONV; l++)
        {
          int side = pb_model_feature_side (model, l);
          gsize size = (gsize) arch->channels[l] * side * side;
          g_autofree float *maps = g_new (float, size);

          for (int b = 0; b < B; b++)
            {
              pb_model_feature_maps (model, a, l, b, maps);
              for (gsize i = 0; i < size; i++)
                g_byte_array_append (zeros, (const guint8[]) { maps[i] == 0.0f }, 1);
            }
        }
      if (arch->hidden_act == PB_HIDDEN_RELU)
        {
          const float *h = pb_model_hidden (model, a);
          for (int i = 0; i < B * arch->hidden; i++)
            g_byte_array_append (zeros, (const guint8[]) { h[i] == 0.0f }, 1);
        }
    }
  return zeros;
}

static gboolean
same_pattern (const GByteArray *a, const GByteArray *b)
{
  return a->len == b->len && memcmp (a->data, b->data, a->len) == 0;
}

typedef struct
{
  int tensor;
  size_t index;    /* into the parameters */
  double numeric;  /* central difference */
  gboolean kink;   /* the loss is not smooth across the step: skipped */
} GradEntry;

static double
grad_tolerance (double numeric, double analytic, double gmax)
{
  return 2e-2 * MAX (fabs (numeric), fabs (analytic)) + 2e-3 * gmax;
}

/* The entries, kinks skipped, where grads disagrees with the central difference; with report,
 * each is named in the log. */
static int
gradient_mismatches (PbModel *model, const GradEntry *entries, int n, const float *grads,
                     gboolean report)
{
  double gmax = 0.0;
  int mismatches = 0;

  for (size_t i = 0; i < pb_model_param_count (model); i++)
    gmax = MAX (gmax, fabs (grads[i]));
  for (int k = 0; k < n; k++)
    {
      const GradEntry *e = &entries[k];
      double g = grads[e->index];

      if (e->kink || fabs (e->numeric - g) <= grad_tolerance (e->numeric, g, gmax))
        continue;
      mismatches++;
      if (report)
        g_test_message ("%s[%zu]: analytic %.6g, numeric %.6g", pb_model_tensor (model,
                        e->tensor)->name, e->index - pb_model_tensor (model, e->tensor)->offset,
                        g, e->numeric);
    }
  return mismatches;
}

/* Whole-model gradient against central differences of the loss, in double. An entry whose step
 * crosses a kink of the loss (a ReLU input through 0, a max-pool window whose maximum changes
 * hands) has no derivative that a central difference could measure: it is found by its two
 * one-sided differences disagreeing, and skipped. Every other entry must match. */
static void
test_model_gradient (gconstpointer data)
{
  const char *name = data;
  PbArch arch;
  PbModel *model;
  PbRng rng;
  const int B = 6;
  const float eps = 1e-3f;
  float x[6 * 2 * 196];
  guint8 classes[12], labels[6];
  int n = 0, kinks = 0, relu_kinks = 0, significant = 0, caught = 0, corrupted = 0;
  GradEntry entries[4 * 64];

  fixture_arch (name, &arch);
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
  if (buffers != NULL) /* no batch norm, no buffers */
    memcpy (pb_model_buffers (model), buffers, pb_model_buffer_count (model) * sizeof (float));
  g_autofree float *grads = g_memdup2 (pb_model_grads (model),
                                       pb_model_param_count (model) * sizeof (float));

  float *params = pb_model_params (model);
  double gmax = 0.0;
  for (size_t i = 0; i < pb_model_param_count (model); i++)
    gmax = MAX (gmax, fabs (grads[i]));
  double l0 = loss_at (model, x, B, classes, labels, buffers);
  g_autoptr(GByteArray) pattern0 = relu_pattern (model, B);

  /* A few entries of every tensor. */
  for (int t = 0; t < pb_model_n_tensors (model); t++)
    {
      const PbTensorInfo *info = pb_model_tensor (model, t);
      if (info->block != PB_BLOCK_PARAMS)
        continue;
      for (int k = 0; k < 4; k++)
        {
          GradEntry *e = &entries[n++];
          size_t i = info->offset + pb_rng_below (&rng, (guint32) info->size);
          float saved = params[i];

          g_assert_cmpint (n, <=, (int) G_N_ELEMENTS (entries));
          params[i] = saved + eps;
          double lp = loss_at (model, x, B, classes, labels, buffers);
          g_autoptr(GByteArray) pattern_p = relu_pattern (model, B);
          params[i] = saved - eps;
          double lm = loss_at (model, x, B, classes, labels, buffers);
          g_autoptr(GByteArray) pattern_m = relu_pattern (model, B);
          params[i] = saved;

          e->tensor = t;
          e->index = i;
          e->numeric = (lp - lm) / (2.0 * eps);
          /* A ReLU input that crosses 0 within the step shows as an activation that is zero
           * at one end and not at the other. A max-pool switch does not show outside the
           * model, but smooth, the one-sided slopes differ by eps·L'' only, while across a
           * kink the central difference is off by about half their difference. Both read the
           * numeric side only, so neither can hide a wrong gradient. */
          double right = (lp - l0) / eps, left = (l0 - lm) / eps;
          gboolean relu = !same_pattern (pattern0, pattern_p)
                          || !same_pattern (pattern0, pattern_m);
          gboolean slopes = fabs (right - left) > grad_tolerance (e->numeric, 0, gmax);
          e->kink = relu || slopes;
          if (e->kink)
            {
              kinks++;
              relu_kinks += relu;
              g_test_message ("%s[%zu] skipped: %s (one-sided slopes %.6g and %.6g)", info->name,
                              i - info->offset,
                              relu ? "a ReLU input crosses 0" : "a max-pool switch", left, right);
              continue;
            }
          /* On entries large enough to matter, the criterion must reject a gradient that is 10%
           * off. */
          if (fabs (grads[i]) > 0.05 * gmax)
            {
              significant++;
              caught += fabs (e->numeric - 1.1 * grads[i])
                        > grad_tolerance (e->numeric, 1.1 * grads[i], gmax);
            }
        }
    }

  int mismatches = gradient_mismatches (model, entries, n, grads, TRUE);
  g_test_message ("%d entries checked, %d skipped at kinks (%d with a ReLU crossing), "
                  "%d outside tolerance; a 10%% error caught on %d of %d large entries",
                  n - kinks, kinks, relu_kinks, mismatches, caught, significant);
  g_assert_cmpint (mismatches, ==, 0);
  g_assert_cmpint (kinks, <=, n / 4);
  g_assert_cmpint (significant, >=, 10);
  g_assert_cmpint (caught, >=, significant * 8 / 10);

  /* The same check, on the same entries and skips, fails a gradient that is 10% off everywhere,
   * and one that is 10% off on one large entry in ten. */
  g_autofree float *wrong = g_new (float, pb_model_param_count (model));
  for (size_t i = 0; i < pb_model_param_count (model); i++)
    wrong[i] = 1.1f * grads[i];
  g_assert_cmpint (gradient_mismatches (model, entries, n, wrong, FALSE), >, 0);
  memcpy (wrong, grads, pb_model_param_count (model) * sizeof (float));
  for (int k = 0, large = 0; k < n; k++)
    if (!entries[k].kink && fabs (grads[entries[k].index]) > 0.05 * gmax && large++ % 10 == 0
        && wrong[entries[k].index] == grads[entries[k].index])
      {
        wrong[entries[k].index] *= 1.1f;
        corrupted++;
      }
  g_assert_cmpint (corrupted, >=, 1);
  /* (An entry drawn twice is reported twice.) */
  g_assert_cmpint (gradient_mismatches (model, entries, n, wrong, FALSE), >=, corrupted);
  pb_model_free (model);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/core/model/param-counts", test_param_counts);
  g_test_add_func ("/core/model/param-counts-options", test_param_counts_options);
  g_test_add_func ("/core/model/arch-validate", test_arch_validate);
  g_test_add_func ("/core/model/digit-posterior", test_digit_posterior);
  g_test_add_func ("/core/model/rule-logits", test_rule_logits);
  g_test_add_func ("/core/model/unknown-name", test_unknown_model);
  for (gsize i = 0; i < G_N_ELEMENTS (extra_fixtures); i++)
    {
      const char *file = extra_fixtures[i].file;
      g_autofree char *p1 = g_strdup_printf ("/core/model/pytorch/%s", file);
      g_autofree char *p2 = g_strdup_printf ("/core/model/pytorch-adam/%s", file);
      g_autofree char *p3 = g_strdup_printf ("/core/model/finite-differences/%s", file);
      g_test_add_data_func (p1, file, test_fixture);
      g_test_add_data_func (p2, file, test_fixture_adam);
      g_test_add_data_func (p3, file, test_model_gradient);
    }
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
