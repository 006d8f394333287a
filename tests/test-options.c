/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The run options as data (pb-options) and the user's presets (pb-preset): every option's text
 * reads and writes back to the same setting, bad values are refused with train's wording, and
 * presets save, load, list and refuse bad names and files. */

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "pb-core.h"

/* A valid value other than the default for every option. */
static const struct
{
  const char *name, *value;
} samples[] = {
  { "model", "twin-aux" }, { "epochs", "7" }, { "batch", "25" }, { "lr", "0.0021" },
  { "pairs", "800" }, { "test-pairs", "300" }, { "augment", "12.5" }, { "eval-every", "0" },
  { "aux-weight", "0.5" }, { "dropout", "0.2" }, { "kernel", "3" }, { "padding", "1,1,1" },
  { "channels", "32,64,64" }, { "hidden", "96" }, { "hidden-act", "relu" },
  { "batch-norm", "off" }, { "rule", "posterior" }, { "schedule", "cosine" },
  { "weight-decay", "0.0001" }, { "translate", "2" }, { "scale", "0.1" }, { "shear", "0.3" },
  { "swap", "true" }, { "repair", "true" }, { "val-pairs", "100" },
  { "seed", "18446744073709551615" },
};

static void
test_every_option (void)
{
  int n;
  const PbOptionInfo *o = pb_options (&n);
  PbTrainSettings s, back, defaults;
  PbError err = { { 0 } };
  char buf[PB_OPTION_VALUE_MAX];

  g_assert_cmpint (n, ==, (int) G_N_ELEMENTS (samples));
  g_assert_null (pb_option_lookup ("data"));
  g_assert_null (pb_option_lookup ("preset"));
  g_assert_null (pb_option_lookup (NULL));
  pb_train_settings_init (&defaults, "siamese-aux", NULL);
  for (int i = 0; i < n; i++)
    {
      g_assert_cmpstr (o[i].name, ==, samples[i].name);
      g_assert_true (pb_option_lookup (o[i].name) == &o[i]);
      pb_train_settings_init (&s, "siamese-aux", NULL);
      g_assert_cmpint (pb_train_settings_set_option (&s, o[i].name, samples[i].value, &err), ==,
                       PB_OK);
      pb_train_settings_get_option (&s, o[i].name, buf, sizeof buf);
      g_assert_cmpstr (buf, ==, samples[i].value);
      g_assert_false (pb_train_settings_option_equal (&s, &defaults, o[i].name));
      /* Only that option changed. */
      for (int j = 0; j < n; j++)
        if (j != i && strcmp (o[i].name, "model") != 0)
          g_assert_true (pb_train_settings_option_equal (&s, &defaults, o[j].name));
      /* The written text reads back to the same setting. */
      pb_train_settings_init (&back, "siamese-aux", NULL);
      g_assert_cmpint (pb_train_settings_set_option (&back, o[i].name, buf, &err), ==, PB_OK);
      g_assert_true (pb_train_settings_option_equal (&s, &back, o[i].name));
    }
  /* The defaults written out and read back are the defaults. */
  pb_train_settings_init (&back, "stacked", NULL);
  for (int i = 0; i < n; i++)
    {
      pb_train_settings_get_option (&defaults, o[i].name, buf, sizeof buf);
      g_assert_cmpint (pb_train_settings_set_option (&back, o[i].name, buf, &err), ==, PB_OK);
    }
  g_assert_cmpint (memcmp (&back.arch, &defaults.arch, sizeof back.arch), ==, 0);
  g_assert_cmpfloat (back.lr, ==, defaults.lr);
  pb_train_settings_get_option (&defaults, "nonexistent", buf, sizeof buf);
  g_assert_cmpstr (buf, ==, "");
}

static void
test_model_keeps_arch (void)
{
  PbTrainSettings s;
  PbError err = { { 0 } };

  pb_train_settings_init (&s, "siamese-aux", NULL);
  g_assert_cmpint (pb_train_settings_set_option (&s, "hidden", "96", &err), ==, PB_OK);
  g_assert_cmpint (pb_train_settings_set_option (&s, "model", "stacked", &err), ==, PB_OK);
  g_assert_cmpint (s.arch.hidden, ==, 96);
  g_assert_cmpint (s.arch.kind, ==, PB_KIND_STACKED);
  g_assert_false (s.arch.aux);
}

/* A refusal is train's message, and leaves the setting as it was. */
static const struct
{
  const char *name, *value, *message;
} refusals[] = {
  { "epochs", "0", "--epochs: expected an integer 1–10000, got '0'" },
  { "epochs", "2.5", "--epochs: expected an integer 1–10000, got '2.5'" },
  { "epochs", "", "--epochs: expected an integer 1–10000, got ''" },
  { "epochs", NULL, "--epochs: expected an integer 1–10000, got ''" },
  { "lr", "0", "--lr: expected a finite number > 0, got '0'" },
  { "lr", "nan", "--lr: expected a finite number > 0, got 'nan'" },
  { "lr", "1e39", "--lr: expected a finite number > 0, got '1e39'" },
  { "lr", "0.1x", "--lr: expected a finite number > 0, got '0.1x'" },
  { "augment", "181", "--augment: expected degrees in 0–180, got '181'" },
  { "dropout", "1", "--dropout: expected a rate in 0–0.99, got '1'" },
  { "aux-weight", "-1", "--aux-weight: expected a finite number ≥ 0, got '-1'" },
  { "padding", "1,2", "--padding: expected three integers 0–7 like 0,1,1, got '1,2'" },
  { "padding", "1,2,3,4", "--padding: expected three integers 0–7 like 0,1,1, got '1,2,3,4'" },
  { "channels", "16,0,128", "--channels: expected three integers 1–1024 like 16,64,128, got "
    "'16,0,128'" },
  { "hidden-act", "tanh", "--hidden-act: expected none or relu, got 'tanh'" },
  { "batch-norm", "maybe", "--batch-norm: expected on or off, got 'maybe'" },
  { "rule", "vote", "--rule: expected head, posterior or both, got 'vote'" },
  { "model", "lenet", "--model: expected siamese, siamese-aux, twin, twin-aux, stacked or "
    "stacked-aux, got 'lenet'" },
  { "swap", "yes", "--swap: expected true or false, got 'yes'" },
  { "translate", "8", "--translate: expected pixels 0–7, got '8'" },
  { "weight-decay", "2", "--weight-decay: expected a number in 0–1, got '2'" },
  { "seed", "-1", "--seed: expected an integer 0–18446744073709551615, got '-1'" },
  { "seed", "18446744073709551616", "--seed: expected an integer 0–18446744073709551615, got "
    "'18446744073709551616'" },
  { "val-pairs", "-1", "--val-pairs: expected an integer 0–1000000, got '-1'" },
  { "frobnicate", "1", "unknown option 'frobnicate'" },
};

static void
test_refusals (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (refusals); i++)
    {
      PbTrainSettings s, before;
      PbError err = { { 0 } };

      pb_train_settings_init (&s, "siamese-aux", NULL);
      before = s;
      g_assert_cmpint (pb_train_settings_set_option (&s, refusals[i].name, refusals[i].value,
                                                     &err), ==, PB_ERR_INVALID);
      g_assert_cmpstr (err.message, ==, refusals[i].message);
      g_assert_cmpint (memcmp (&s, &before, sizeof s), ==, 0);
    }
}

static void
test_float_text (void)
{
  PbTrainSettings s;
  PbError err = { { 0 } };
  char buf[PB_OPTION_VALUE_MAX];

  /* The shortest text that reads back to the float. */
  pb_train_settings_init (&s, "siamese-aux", NULL);
  g_assert_cmpint (pb_train_settings_set_option (&s, "lr", "1e-5", &err), ==, PB_OK);
  pb_train_settings_get_option (&s, "lr", buf, sizeof buf);
  g_assert_cmpstr (buf, ==, "1e-05");
  g_assert_cmpint (pb_train_settings_set_option (&s, "lr", "0.00210000001", &err), ==, PB_OK);
  pb_train_settings_get_option (&s, "lr", buf, sizeof buf);
  g_assert_cmpstr (buf, ==, "0.0021");
}

/* Presets */

static char *
temp_dir (void)
{
  char *dir = g_dir_make_tmp ("pb-options-XXXXXX", NULL);
  g_assert_nonnull (dir);
  return dir;
}

static void
remove_tree (const char *path)
{
  GDir *d = g_dir_open (path, 0, NULL);
  const char *name;
  if (d != NULL)
    {
      while ((name = g_dir_read_name (d)) != NULL)
        {
          char *child = g_build_filename (path, name, NULL);
          remove_tree (child);
          g_free (child);
        }
      g_dir_close (d);
    }
  g_remove (path);
}

static void
test_preset_round_trip (void)
{
  char *tmp = temp_dir ();
  char *dir = g_build_filename (tmp, "a", "b", "presets", NULL);
  PbTrainSettings s, back;
  PbError err = { { 0 } };
  char **names = NULL;
  int n = -1;

  pb_train_settings_init (&s, "twin", NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (samples); i++)
    if (strcmp (samples[i].name, "seed") != 0)
      g_assert_cmpint (pb_train_settings_set_option (&s, samples[i].name, samples[i].value, &err),
                       ==, PB_OK);
  s.val_pairs = 0;
  g_assert_cmpint (pb_preset_save (dir, "my-best_2", &s, &err), ==, PB_OK);
  g_assert_cmpint (pb_preset_save (dir, "another", &s, &err), ==, PB_OK);
  g_assert_cmpint (pb_preset_load (dir, "my-best_2", &back, &err), ==, PB_OK);
  for (gsize i = 0; i < G_N_ELEMENTS (samples); i++)
    if (strcmp (samples[i].name, "seed") != 0)
      g_assert_true (pb_train_settings_option_equal (&s, &back, samples[i].name));
  /* The seed is not a preset's. */
  g_assert_cmpuint (back.seed, ==, 1);

  /* A file that is not a preset's name is not listed. */
  char *junk = g_build_filename (dir, "Not A Name.json", NULL);
  char *other = g_build_filename (dir, "notes.txt", NULL);
  g_assert_true (g_file_set_contents (junk, "{}", 2, NULL));
  g_assert_true (g_file_set_contents (other, "x", 1, NULL));
  g_assert_cmpint (pb_preset_list (dir, &names, &n, &err), ==, PB_OK);
  g_assert_cmpint (n, ==, 2);
  g_assert_cmpstr (names[0], ==, "another");
  g_assert_cmpstr (names[1], ==, "my-best_2");
  g_assert_null (names[2]);
  pb_preset_names_free (names);

  /* A missing folder has none; a missing preset is named. */
  char *missing = g_build_filename (tmp, "none", NULL);
  g_assert_cmpint (pb_preset_list (missing, &names, &n, &err), ==, PB_OK);
  g_assert_cmpint (n, ==, 0);
  g_assert_null (names[0]);
  pb_preset_names_free (names);
  g_assert_cmpint (pb_preset_load (dir, "nothing", &back, &err), ==, PB_ERR_INVALID);
  g_assert_nonnull (strstr (err.message, "--preset: expected report, best or a saved preset, got "
                            "'nothing'"));

  remove_tree (tmp);
  g_free (junk);
  g_free (other);
  g_free (missing);
  g_free (dir);
  g_free (tmp);
}

static void
test_preset_names (void)
{
  static const struct
  {
    const char *name, *message;
  } bad[] = {
    { "", "preset name: expected 1–32 characters, got ''" },
    { "abcdefghijabcdefghijabcdefghijabc", "preset name: expected 1–32 characters" },
    { "Best", "preset name: expected lower-case letters, digits, '-' and '_'" },
    { "-x", "preset name: expected lower-case letters" },
    { "a/b", "preset name: expected lower-case letters" },
    { "best", "preset name: 'best' is a built-in preset" },
    { "report", "preset name: 'report' is a built-in preset" },
  };
  PbError err = { { 0 } };
  PbTrainSettings s;

  pb_train_settings_init (&s, "siamese-aux", NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_assert_cmpint (pb_preset_check_name (bad[i].name, &err), ==, PB_ERR_INVALID);
      g_assert_nonnull (strstr (err.message, bad[i].message));
      g_assert_cmpint (pb_preset_save ("/nonexistent", bad[i].name, &s, &err), ==,
                       PB_ERR_INVALID);
    }
  g_assert_cmpint (pb_preset_check_name ("a", &err), ==, PB_OK);
  g_assert_cmpint (pb_preset_check_name ("9lives_x-1", &err), ==, PB_OK);
}

static void
test_preset_bad_files (void)
{
  static const struct
  {
    const char *text, *message;
  } bad[] = {
    { "not json", "byte 0" },
    { "{\"format\":\"pairbench-session\",\"version\":1,\"options\":{}}",
      "expected \"format\": \"pairbench-preset\", found pairbench-session" },
    { "{\"format\":\"pairbench-preset\",\"version\":2,\"options\":{}}",
      "expected \"version\": 1, found another" },
    { "{\"format\":\"pairbench-preset\",\"version\":1}", "expected an \"options\" object" },
    { "{\"format\":\"pairbench-preset\",\"version\":1,\"options\":{\"lernrate\":1}}",
      "\"lernrate\": expected a run option, found an unknown key" },
    { "{\"format\":\"pairbench-preset\",\"version\":1,\"options\":{\"seed\":3}}",
      "\"seed\": expected a run option, found an unknown key" },
    { "{\"format\":\"pairbench-preset\",\"version\":1,\"options\":{\"lr\":-1}}",
      "--lr: expected a finite number > 0, got '-1'" },
    { "{\"format\":\"pairbench-preset\",\"version\":1,\"options\":{\"kernel\":5}}",
      "kernel 5 with padding 0/1/1" },
  };
  char *tmp = temp_dir ();
  char *path = g_build_filename (tmp, "bad.json", NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      PbTrainSettings s;
      PbError err = { { 0 } };

      g_assert_true (g_file_set_contents (path, bad[i].text, -1, NULL));
      g_assert_cmpint (pb_preset_load (tmp, "bad", &s, &err), ==, PB_ERR_FORMAT);
      g_test_message ("%s → %s", bad[i].text, err.message);
      g_assert_true (g_str_has_prefix (err.message, path));
      g_assert_nonnull (strstr (err.message, bad[i].message));
    }
  /* Missing options keep the report's values. */
  {
    PbTrainSettings s, report;
    PbError err = { { 0 } };
    g_assert_true (g_file_set_contents (path, "{\"format\":\"pairbench-preset\",\"version\":1,"
                                        "\"options\":{\"hidden\":32}}", -1, NULL));
    g_assert_cmpint (pb_preset_load_file (path, &s, &err), ==, PB_OK);
    pb_train_settings_preset (&report, "report", &err);
    g_assert_cmpint (s.arch.hidden, ==, 32);
    g_assert_cmpint (s.epochs, ==, report.epochs);
    g_assert_cmpfloat (s.lr, ==, report.lr);
  }
  remove_tree (tmp);
  g_free (path);
  g_free (tmp);
}

static void
test_user_dir (void)
{
  char buf[4096];
  PbError err = { { 0 } };
  char *xdg = g_strdup (g_getenv ("XDG_DATA_HOME")), *home = g_strdup (g_getenv ("HOME"));

  g_setenv ("XDG_DATA_HOME", "/data/x", TRUE);
  g_assert_cmpint (pb_preset_user_dir (buf, sizeof buf, &err), ==, PB_OK);
  g_assert_cmpstr (buf, ==, "/data/x/pairbench/presets");
  /* A relative XDG_DATA_HOME is ignored, as the spec and GLib say. */
  g_setenv ("XDG_DATA_HOME", "rel", TRUE);
  g_setenv ("HOME", "/home/u", TRUE);
  g_assert_cmpint (pb_preset_user_dir (buf, sizeof buf, &err), ==, PB_OK);
  g_assert_cmpstr (buf, ==, "/home/u/.local/share/pairbench/presets");
  g_unsetenv ("XDG_DATA_HOME");
  g_unsetenv ("HOME");
  g_assert_cmpint (pb_preset_user_dir (buf, sizeof buf, &err), ==, PB_ERR_IO);
  g_assert_nonnull (strstr (err.message, "expected $XDG_DATA_HOME or $HOME"));
  if (xdg != NULL)
    g_setenv ("XDG_DATA_HOME", xdg, TRUE);
  if (home != NULL)
    g_setenv ("HOME", home, TRUE);
  g_free (xdg);
  g_free (home);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/core/options/every-option", test_every_option);
  g_test_add_func ("/core/options/model-keeps-arch", test_model_keeps_arch);
  g_test_add_func ("/core/options/refusals", test_refusals);
  g_test_add_func ("/core/options/float-text", test_float_text);
  g_test_add_func ("/core/preset/round-trip", test_preset_round_trip);
  g_test_add_func ("/core/preset/names", test_preset_names);
  g_test_add_func ("/core/preset/bad-files", test_preset_bad_files);
  g_test_add_func ("/core/preset/user-dir", test_user_dir);
  return g_test_run ();
}
