/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Run names: what differs from the report's defaults for the run's model, or from a preset when
 * the run is closer to it, then the seed. */

#include <glib.h>
#include <locale.h>
#include <string.h>

#include "pb-core.h"
#include "pb-run-name.h"

static PbTrainSettings
report (const char *model)
{
  PbTrainSettings s;
  PbError err = { { 0 } };

  g_assert_cmpint (pb_train_settings_init (&s, model, &err), ==, PB_OK);
  return s;
}

static PbTrainSettings
preset (const char *name)
{
  PbTrainSettings s;
  PbError err = { { 0 } };

  g_assert_cmpint (pb_train_settings_preset (&s, name, &err), ==, PB_OK);
  return s;
}

static void
assert_name (const PbTrainSettings *s,
             const char            *expected)
{
  char buf[PB_RUN_NAME_MAX];
  int n = pb_run_name_format (s, buf, sizeof buf);

  g_assert_cmpstr (buf, ==, expected);
  g_assert_cmpint (n, ==, (int) strlen (expected));
}

static void
test_defaults (void)
{
  for (int i = 0; i < PB_N_MODEL_NAMES; i++)
    {
      PbTrainSettings s = report (pb_model_names[i]);
      g_autofree char *expected = g_strdup_printf ("%s · seed 1", pb_model_names[i]);
      PbRunName name;

      assert_name (&s, expected);
      pb_run_name_describe (&s, &name);
      g_assert_cmpstr (name.base, ==, pb_model_names[i]);
      g_assert_cmpstr (name.differences, ==, "");
      g_assert_cmpint (name.n_differences, ==, 0);
      g_assert_cmpuint (name.seed, ==, 1);
    }
  /* The "report" preset is the report's siamese-aux: no name of its own. */
  {
    PbTrainSettings s = preset ("report");
    s.seed = 12;
    assert_name (&s, "siamese-aux · seed 12");
  }
}

static void
test_differences (void)
{
  PbTrainSettings s = report ("siamese-aux");
  PbRunName name;

  s.arch.kernel = 3;
  s.lr = 0.002f;
  s.seed = 3;
  assert_name (&s, "siamese-aux · k3 · lr 0.002 · seed 3");
  pb_run_name_describe (&s, &name);
  g_assert_cmpstr (name.base, ==, "siamese-aux");
  g_assert_cmpstr (name.differences, ==, "k3 · lr 0.002");
  g_assert_cmpint (name.n_differences, ==, 2);
  g_assert_cmpuint (name.seed, ==, 3);

  /* Two runs that differ in anything but the seed get different names. */
  s = report ("twin");
  s.epochs = 2;
  s.train_pairs = 200;
  s.test_pairs = 200;
  s.arch.channels[0] = 32;
  s.arch.padding[0] = 1;
  s.arch.batch_norm = false;
  s.arch.aux_weight = 0.5f;  /* twin has no auxiliary loss: no effect, not named */
  s.schedule = PB_SCHEDULE_COSINE;
  s.weight_decay = 1e-4f;
  s.augment_deg = 0;
  s.swap = true;
  s.eval_every = 0;
  s.seed = 7;
  assert_name (&s, "twin · ch 32-64-128 · pad 1-1-1 · no bn · 2 epochs · cosine · "
                   "wd 0.0001 · 200 pairs · test 200 · rot 0 · swap · eval last · seed 7");

  s = report ("siamese");
  s.epochs = 1;
  s.train_pairs = 1;
  assert_name (&s, "siamese · 1 epoch · 1 pair · seed 1");

  s = report ("stacked-aux");
  s.arch.aux_weight = 0.5f;
  s.arch.hidden = 96;
  s.arch.hidden_act = PB_HIDDEN_RELU;
  s.arch.dropout = 0.25f;
  s.arch.rule = PB_RULE_BOTH;
  s.batch = 25;
  s.translate = 2;
  s.scale = 0.1f;
  s.shear = 0.2f;
  s.val_pairs = 100;
  s.eval_every = 5;
  assert_name (&s, "stacked-aux · aux 0.5 · fc 96 · dropout 0.25 · relu · both · batch 25 · "
                   "val 100 · shift 2 · scale 0.1 · shear 0.2 · eval 5 · seed 1");
}

static void
test_presets (void)
{
  PbTrainSettings s = preset ("best");
  PbRunName name;

  assert_name (&s, "best · seed 1");
  s.seed = 42;
  assert_name (&s, "best · seed 42");

  /* Closer to the preset than to the report: named from the preset. */
  s.lr = 0.001f;
  s.arch.batch_norm = false;
  assert_name (&s, "best · no bn · lr 0.001 · seed 42");
  s = preset ("best");
  s.arch.kind = PB_KIND_TWIN;
  assert_name (&s, "best · twin-aux · seed 1");
  pb_run_name_describe (&s, &name);
  g_assert_cmpstr (name.base, ==, "best");
  g_assert_cmpint (name.n_differences, ==, 1);

  /* Closer to the report: named from the model even though a setting matches the preset. */
  s = report ("siamese-aux");
  s.schedule = PB_SCHEDULE_COSINE;
  s.repair = true;
  assert_name (&s, "siamese-aux · cosine · repair · seed 1");

  /* The preset with two of its settings undone is still named from it. */
  s = preset ("best");
  s.repair = false;
  s.swap = false;
  assert_name (&s, "best · no swap · no repair · seed 1");
}

static void
test_truncated (void)
{
  PbTrainSettings s = report ("siamese-aux");
  char small[12];
  char none[1] = { 'x' };

  s.arch.kernel = 3;
  g_assert_cmpint (pb_run_name_format (&s, small, sizeof small), ==,
                   (int) strlen ("siamese-aux · k3 · seed 1"));
  g_assert_cmpstr (small, ==, "siamese-aux");
  g_assert_cmpint (pb_run_name_format (&s, none, 0), ==,
                   (int) strlen ("siamese-aux · k3 · seed 1"));
  g_assert_cmpint (none[0], ==, 'x');
}

static void
test_locale (void)
{
  const char *locales[] = { "de_DE.UTF-8", "fr_FR.UTF-8", "de_DE.utf8", "fr_FR.utf8", NULL };
  const char *set = NULL;
  PbTrainSettings s = report ("siamese-aux");

  /* A French desktop still names the run "lr 0.002", never "lr 0,002". */
  for (int k = 0; locales[k] != NULL && set == NULL; k++)
    set = setlocale (LC_NUMERIC, locales[k]);
  if (set == NULL)
    {
      g_test_skip ("no locale with a decimal comma is installed");
      return;
    }
  s.lr = 0.002f;
  assert_name (&s, "siamese-aux · lr 0.002 · seed 1");
  setlocale (LC_NUMERIC, "C");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/core/run-name/defaults", test_defaults);
  g_test_add_func ("/core/run-name/differences", test_differences);
  g_test_add_func ("/core/run-name/presets", test_presets);
  g_test_add_func ("/core/run-name/truncated", test_truncated);
  g_test_add_func ("/core/run-name/locale", test_locale);
  return g_test_run ();
}
