/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The sweep's core: configs and their refusals, trials as a pure function of (config, t), the
 * distributions, the grid, the halving rungs and survivors, the summary, and runs that choose
 * without the test pairs. */

#include <glib.h>
#include <math.h>
#include <string.h>

#include "pb-core.h"
#include "pb-sweep.h"

static PbMnist mnist;

static void
parse_ok (const char *json, PbSweepConfig *c)
{
  PbError err = { { 0 } };
  if (pb_sweep_config_parse (json, strlen (json), "SWEEP.json", c, &err) != PB_OK)
    g_error ("%s", err.message);
}

static void
base_settings (PbTrainSettings *s)
{
  g_assert_cmpint (pb_train_settings_init (s, "siamese-aux", NULL), ==, PB_OK);
}

static void
trial_values (const PbSweepConfig *c, int t, char values[][PB_OPTION_VALUE_MAX])
{
  PbTrainSettings base, s;
  PbError err = { { 0 } };
  base_settings (&base);
  if (pb_sweep_trial (c, &base, t, &s, values, &err) != PB_OK)
    g_error ("%s", err.message);
}

#define RANDOM(trials, params) \
  "{\"method\":\"random\",\"trials\":" #trials ",\"rounds\":2,\"seed\":7,\"val-pairs\":100," \
  "\"parameters\":{" params "}}"

static void
test_determinism (void)
{
  PbSweepConfig a, b, c, d;
  char va[PB_SWEEP_MAX_PARAMS][PB_OPTION_VALUE_MAX], vb[PB_SWEEP_MAX_PARAMS][PB_OPTION_VALUE_MAX];
  bool differs = false;

  parse_ok (RANDOM (8, "\"lr\":{\"distribution\":\"log_uniform_values\",\"min\":0.0001,"
                       "\"max\":0.01},\"hidden\":{\"values\":[32,64,96]}"), &a);
  parse_ok (RANDOM (8, "\"lr\":{\"distribution\":\"log_uniform_values\",\"min\":0.0001,"
                       "\"max\":0.01},\"hidden\":{\"values\":[32,64,96]}"), &b);
  /* More trials, and one more parameter: the earlier trials' draws stay. */
  parse_ok (RANDOM (20, "\"lr\":{\"distribution\":\"log_uniform_values\",\"min\":0.0001,"
                        "\"max\":0.01},\"hidden\":{\"values\":[32,64,96]}"), &c);
  parse_ok (RANDOM (8, "\"lr\":{\"distribution\":\"log_uniform_values\",\"min\":0.0001,"
                       "\"max\":0.01},\"dropout\":{\"values\":[0,0.2]},"
                       "\"hidden\":{\"values\":[32,64,96]}"), &d);
  g_assert_cmpuint (a.hash, ==, b.hash);
  g_assert_cmpuint (a.hash, !=, c.hash);
  for (int t = 0; t < 8; t++)
    {
      trial_values (&a, t, va);
      trial_values (&b, t, vb);
      g_assert_cmpstr (va[0], ==, vb[0]);
      g_assert_cmpstr (va[1], ==, vb[1]);
      trial_values (&c, t, vb);
      g_assert_cmpstr (va[0], ==, vb[0]);
      g_assert_cmpstr (va[1], ==, vb[1]);
      trial_values (&d, t, vb);
      g_assert_cmpstr (va[0], ==, vb[0]);
      g_assert_cmpstr (va[1], ==, vb[2]);
      if (t > 0)
        {
          trial_values (&a, t - 1, vb);
          differs = differs || strcmp (va[0], vb[0]) != 0;
        }
    }
  g_assert_true (differs);
  /* Another seed, other draws. */
  parse_ok ("{\"method\":\"random\",\"trials\":8,\"seed\":8,\"val-pairs\":100,\"parameters\":"
            "{\"lr\":{\"distribution\":\"log_uniform_values\",\"min\":0.0001,\"max\":0.01},"
            "\"hidden\":{\"values\":[32,64,96]}}}", &b);
  trial_values (&a, 0, va);
  trial_values (&b, 0, vb);
  g_assert_cmpstr (va[0], !=, vb[0]);
}

static void
test_trial_settings (void)
{
  PbSweepConfig c;
  PbTrainSettings base, s;
  PbError err = { { 0 } };
  char v[PB_SWEEP_MAX_PARAMS][PB_OPTION_VALUE_MAX];

  parse_ok (RANDOM (3, "\"channels\":{\"value\":\"8,16,32\"},\"rule\":{\"values\":[\"posterior\"]},"
                       "\"swap\":{\"value\":true}"), &c);
  base_settings (&base);
  base.epochs = 4;
  g_assert_cmpint (pb_sweep_trial (&c, &base, 2, &s, v, &err), ==, PB_OK);
  g_assert_cmpint (s.arch.channels[1], ==, 16);
  g_assert_cmpint (s.arch.rule, ==, PB_RULE_POSTERIOR);
  g_assert_true (s.swap);
  g_assert_cmpint (s.val_pairs, ==, 100);
  g_assert_cmpuint (s.seed, ==, 7);
  g_assert_cmpint (s.epochs, ==, 4);
  g_assert_cmpstr (v[0], ==, "8,16,32");
  g_assert_cmpint (pb_sweep_trial (&c, &base, 3, &s, v, &err), ==, PB_ERR_INVALID);

  /* A combination train refuses names the trial and its values. */
  parse_ok (RANDOM (1, "\"kernel\":{\"value\":5},\"padding\":{\"value\":\"0,0,0\"}"), &c);
  g_assert_cmpint (pb_sweep_trial (&c, &base, 0, &s, v, &err), ==, PB_ERR_INVALID);
  g_assert_nonnull (strstr (err.message, "trial 1 (kernel 5, padding 0,0,0)"));
}

static void
test_distributions (void)
{
  PbSweepConfig c;
  char v[PB_SWEEP_MAX_PARAMS][PB_OPTION_VALUE_MAX];
  bool seen_lo = false, seen_hi = false, seen_q[5] = { false };
  int seen_values[3] = { 0 };
  double log_sum = 0.0;
  const int n = 400;

  parse_ok (RANDOM (400, "\"lr\":{\"distribution\":\"uniform\",\"min\":0.001,\"max\":0.002},"
                         "\"aux-weight\":{\"distribution\":\"log_uniform_values\",\"min\":0.01,"
                         "\"max\":100},\"hidden\":{\"distribution\":\"int_uniform\",\"min\":10,"
                         "\"max\":14},\"dropout\":{\"distribution\":\"q_uniform\",\"min\":0.1,"
                         "\"max\":0.5,\"q\":0.1},\"rule\":{\"values\":[\"head\",\"posterior\","
                         "\"both\"]},\"schedule\":{\"value\":\"cosine\"}"), &c);
  g_assert_cmpint (c.params[0].dist, ==, PB_SWEEP_UNIFORM);
  g_assert_cmpint (c.params[3].dist, ==, PB_SWEEP_Q_UNIFORM);
  for (int t = 0; t < n; t++)
    {
      trial_values (&c, t, v);
      double lr = g_ascii_strtod (v[0], NULL), aux = g_ascii_strtod (v[1], NULL);
      double dropout = g_ascii_strtod (v[3], NULL);
      long hidden = strtol (v[2], NULL, 10);
      g_assert_cmpfloat (lr, >=, 0.001);
      g_assert_cmpfloat (lr, <=, 0.002);
      g_assert_cmpfloat (aux, >=, 0.01 * (1 - 1e-6));
      g_assert_cmpfloat (aux, <=, 100 * (1 + 1e-6));
      log_sum += log10 (aux);
      g_assert_cmpint (hidden, >=, 10);
      g_assert_cmpint (hidden, <=, 14);
      g_assert_null (strchr (v[2], '.'));
      seen_lo = seen_lo || hidden == 10;
      seen_hi = seen_hi || hidden == 14;
      /* q_uniform: a multiple of 0.1 in [0.1, 0.5] */
      int k = (int) lround (dropout / 0.1);
      g_assert_cmpfloat (fabs (dropout - k * 0.1), <, 1e-6);
      g_assert_cmpint (k, >=, 1);
      g_assert_cmpint (k, <=, 5);
      seen_q[k - 1] = true;
      for (int i = 0; i < 3; i++)
        seen_values[i] += strcmp (v[4], c.params[4].values[i]) == 0;
      g_assert_cmpstr (v[5], ==, "cosine");
    }
  g_assert_true (seen_lo && seen_hi);
  for (int k = 0; k < 5; k++)
    g_assert_true (seen_q[k]);
  for (int i = 0; i < 3; i++)
    g_assert_cmpint (seen_values[i], >, n / 6);
  g_assert_cmpint (seen_values[0] + seen_values[1] + seen_values[2], ==, n);
  /* log-uniform over 10^-2..10^2: the mean exponent is near 0, not near 2 (uniform's). */
  g_assert_cmpfloat (fabs (log_sum / n), <, 0.3);

  /* W&B's inference: integer bounds without a distribution are int_uniform. */
  parse_ok (RANDOM (2, "\"hidden\":{\"min\":8,\"max\":16},\"lr\":{\"min\":0.001,\"max\":0.01}"),
            &c);
  g_assert_cmpint (c.params[0].dist, ==, PB_SWEEP_INT_UNIFORM);
  g_assert_cmpint (c.params[1].dist, ==, PB_SWEEP_UNIFORM);
}

static void
test_grid (void)
{
  PbSweepConfig c;
  char v[PB_SWEEP_MAX_PARAMS][PB_OPTION_VALUE_MAX];
  GHashTable *seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  parse_ok ("{\"method\":\"grid\",\"val-pairs\":100,\"parameters\":{\"kernel\":{\"values\":[2,3]},"
            "\"model\":{\"value\":\"siamese\"},\"hidden\":{\"values\":[16,32,64]}}}", &c);
  g_assert_cmpint (c.trials, ==, 6);
  g_assert_cmpint (c.rounds, ==, 1);
  for (int t = 0; t < 6; t++)
    {
      trial_values (&c, t, v);
      /* The first parameter varies slowest. */
      g_assert_cmpstr (v[0], ==, t < 3 ? "2" : "3");
      g_assert_cmpstr (v[2], ==, c.params[2].values[t % 3]);
      g_assert_cmpstr (v[1], ==, "siamese");
      g_hash_table_add (seen, g_strdup_printf ("%s/%s", v[0], v[2]));
    }
  g_assert_cmpuint (g_hash_table_size (seen), ==, 6);
  g_hash_table_unref (seen);
}

static void
test_canonical (void)
{
  PbSweepConfig a, b;
  PbStr s, t;

  parse_ok ("{\"method\":\"halving\",\"metric\":{\"name\":\"val_error\",\"goal\":\"minimize\"},"
            "\"trials\":9,\"rounds\":2,\"seed\":18446744073709551615,\"val-pairs\":200,"
            "\"eta\":2,\"min-epochs\":2,\"parameters\":{\"lr\":{\"distribution\":"
            "\"log_uniform_values\",\"min\":5e-4,\"max\":0.005},\"channels\":{\"values\":"
            "[\"16,64,128\",\"8,32,64\"]},\"dropout\":{\"distribution\":\"q_uniform\",\"min\":0,"
            "\"max\":0.5,\"q\":0.25},\"swap\":{\"values\":[true,false]}}}",
            &a);
  pb_str_init (&s);
  pb_str_init (&t);
  pb_sweep_config_to_json (&a, &s);
  parse_ok (s.data, &b);
  pb_sweep_config_to_json (&b, &t);
  g_assert_cmpstr (s.data, ==, t.data);
  g_assert_cmpuint (a.hash, ==, b.hash);
  g_assert_cmpuint (b.seed, ==, UINT64_MAX);
  g_assert_nonnull (strstr (s.data, "\"min\":0.0005"));
  pb_str_clear (&s);
  pb_str_clear (&t);
}

static void
test_rungs (void)
{
  PbSweepConfig c;
  PbSweepUnit units[64], next[64];
  PbSweepResult results[18];
  int n;

  parse_ok ("{\"method\":\"halving\",\"trials\":9,\"rounds\":2,\"val-pairs\":10,\"parameters\":"
            "{\"lr\":{\"distribution\":\"uniform\",\"min\":0.001,\"max\":0.002}}}", &c);
  g_assert_cmpint (c.eta, ==, 3);
  g_assert_cmpint (c.min_epochs, ==, 1);
  g_assert_cmpint (pb_sweep_n_rungs (&c, 9), ==, 3);
  g_assert_cmpint (pb_sweep_rung_epochs (&c, 9, 0), ==, 1);
  g_assert_cmpint (pb_sweep_rung_epochs (&c, 9, 1), ==, 3);
  g_assert_cmpint (pb_sweep_rung_epochs (&c, 9, 2), ==, 9);
  g_assert_cmpint (pb_sweep_n_rungs (&c, 10), ==, 4);
  g_assert_cmpint (pb_sweep_rung_epochs (&c, 10, 3), ==, 10);
  g_assert_cmpint (pb_sweep_n_rungs (&c, 1), ==, 1);

  n = pb_sweep_first_units (&c, 9, units);
  g_assert_cmpint (n, ==, 18);
  g_assert_cmpint (units[5].trial, ==, 2);
  g_assert_cmpint (units[5].round, ==, 1);
  g_assert_cmpint (units[5].epochs, ==, 1);

  /* Synthetic rung 0: trial t's mean is |t − 4| / 10 (4 best; 3 and 5 tie, then 2 and 6), trial
   * 8's rounds diverged. The best ceil(9 / 3) = 3 go on, in trial order. */
  for (int i = 0; i < 18; i++)
    {
      memset (&results[i], 0, sizeof results[i]);
      results[i].trial = units[i].trial;
      results[i].round = units[i].round;
      results[i].val_error = fabs (units[i].trial - 4.0) / 10 + (units[i].round ? 0.01 : -0.01);
      if (units[i].trial == 8)
        {
          results[i].status = PB_ERR_DIVERGED;
          results[i].val_error = NAN;
        }
    }
  results[4].val_error = 0.0;  /* trial 3 (0-based 2): round 1 happens to be perfect */
  n = pb_sweep_next_rung_units (&c, 9, results, 18, next);
  g_assert_cmpint (n, ==, 6);
  /* means: trial 2 → (0 + 0.21)/2 = 0.105, trial 3 → 0.1, trial 4 → 0, trial 5 → 0.1 */
  g_assert_cmpint (next[0].trial, ==, 3);
  g_assert_cmpint (next[2].trial, ==, 4);
  g_assert_cmpint (next[4].trial, ==, 5);
  g_assert_cmpint (next[1].round, ==, 1);
  g_assert_cmpint (next[0].rung, ==, 1);
  g_assert_cmpint (next[0].epochs, ==, 3);
  /* After the last rung there is none. */
  for (int i = 0; i < 18; i++)
    results[i].rung = 2;
  g_assert_cmpint (pb_sweep_next_rung_units (&c, 9, results, 18, next), ==, 0);
}

/* Results of 10 trials whose mean val_error rises with log lr and does not depend on the
 * choice; shuffled, they summarise the same. */
static void
test_summary (void)
{
  PbSweepConfig c;
  PbSweepResult r[20];
  PbSweepSummary a, b;
  PbError err = { { 0 } };
  GRand *rand = g_rand_new_with_seed (3);

  parse_ok (RANDOM (10, "\"lr\":{\"distribution\":\"log_uniform_values\",\"min\":0.0001,"
                        "\"max\":0.1},\"rule\":{\"values\":[\"head\",\"both\"]},"
                        "\"model\":{\"value\":\"siamese\"}"), &c);
  for (int t = 0; t < 10; t++)
    for (int k = 0; k < 2; k++)
      {
        PbSweepResult *x = &r[t * 2 + k];
        memset (x, 0, sizeof *x);
        x->trial = t;
        x->round = k;
        x->n_values = 3;
        trial_values (&c, t, x->values);
        x->val_error = 0.5 + 0.05 * log10 (g_ascii_strtod (x->values[0], NULL))
                       + (k == 0 ? 0.002 : -0.002) * ((t % 3) + 1);
        x->train_seconds = 1.0 + k;
      }
  g_assert_cmpint (pb_sweep_summarise (&c, r, 20, &a, &err), ==, PB_OK);
  g_assert_cmpint (a.n_trials, ==, 10);
  for (int i = 1; i < 10; i++)
    g_assert_cmpfloat (a.trials[i - 1].val_mean, <=, a.trials[i].val_mean);
  g_assert_cmpint (a.trials[0].rounds, ==, 2);
  g_assert_cmpfloat (a.trials[0].train_seconds_mean, ==, 1.5);
  g_assert_cmpfloat (a.trials[0].val_std, >, 0.0);
  g_assert_cmpstr (a.importance[0].name, ==, "lr");
  g_assert_cmpfloat (a.importance[0].correlation, >, 0.99);
  g_assert_cmpfloat (a.importance[0].importance, ==, a.importance[0].correlation);
  g_assert_cmpfloat (a.importance[1].importance, <, 0.99);
  g_assert_cmpstr (a.importance[2].name, ==, "model");
  g_assert_true (isnan (a.importance[2].correlation));
  g_assert_cmpfloat (a.importance[2].importance, ==, 0.0);

  for (int i = 19; i > 0; i--)
    {
      int j = g_rand_int_range (rand, 0, i + 1);
      PbSweepResult tmp = r[i];
      r[i] = r[j];
      r[j] = tmp;
    }
  g_assert_cmpint (pb_sweep_summarise (&c, r, 20, &b, &err), ==, PB_OK);
  for (int i = 0; i < 10; i++)
    {
      g_assert_cmpint (a.trials[i].trial, ==, b.trials[i].trial);
      g_assert_cmpfloat (a.trials[i].val_mean, ==, b.trials[i].val_mean);
    }
  for (int p = 0; p < 3; p++)
    g_assert_cmpstr (a.importance[p].name, ==, b.importance[p].name);
  pb_sweep_summary_clear (&a);
  pb_sweep_summary_clear (&b);
  g_rand_free (rand);
}

static void
test_result_json (void)
{
  PbSweepConfig c;
  PbSweepResult r = { 0 }, back;
  PbError err = { { 0 } };
  PbJson *json = NULL;
  PbStr s;

  parse_ok (RANDOM (3, "\"lr\":{\"values\":[0.002]},\"channels\":{\"values\":[\"8,16,32\"]},"
                       "\"swap\":{\"values\":[true]},\"rule\":{\"values\":[\"both\"]}"), &c);
  r.trial = 2;
  r.round = 1;
  r.seed = 8;
  r.params = 1234;
  r.epochs = 5;
  r.val_error = 0.125;
  r.train_seconds = 3.5;
  trial_values (&c, 2, r.values);
  r.n_values = 4;
  pb_str_init (&s);
  pb_sweep_result_to_json (&c, &r, &s);
  g_assert_cmpstr (s.data, ==, "{\"trial\":3,\"round\":2,\"rung\":0,\"seed\":8,\"settings\":"
                   "{\"lr\":0.002,\"channels\":\"8,16,32\",\"swap\":true,\"rule\":\"both\"},"
                   "\"params\":1234,\"epochs\":5,\"val_error\":0.125,\"train_seconds\":3.5}\n");
  g_assert_cmpint (pb_json_parse (s.data, s.len, "line", &json, &err), ==, PB_OK);
  g_assert_cmpint (pb_sweep_result_from_json (&c, json, "line", &back, &err), ==, PB_OK);
  g_assert_cmpint (back.trial, ==, 2);
  g_assert_cmpint (back.round, ==, 1);
  g_assert_cmpuint (back.seed, ==, 8);
  g_assert_cmpstr (back.values[0], ==, "0.002");
  g_assert_cmpstr (back.values[1], ==, "8,16,32");
  g_assert_cmpfloat (back.val_error, ==, 0.125);
  pb_json_free (json);

  /* Diverged: val_error null. */
  r.status = PB_ERR_DIVERGED;
  pb_str_clear (&s);
  pb_str_init (&s);
  pb_sweep_result_to_json (&c, &r, &s);
  g_assert_nonnull (strstr (s.data, "\"val_error\":null"));
  g_assert_cmpint (pb_json_parse (s.data, s.len, "line", &json, &err), ==, PB_OK);
  g_assert_cmpint (pb_sweep_result_from_json (&c, json, "line", &back, &err), ==, PB_OK);
  g_assert_cmpint (back.status, ==, PB_ERR_DIVERGED);
  g_assert_true (isnan (back.val_error));
  pb_json_free (json);
  pb_str_clear (&s);

  /* A line of another config: refused, naming the member. */
  const char *bad = "{\"trial\":9,\"round\":1,\"rung\":0,\"seed\":7,\"settings\":{},\"params\":1,"
                    "\"epochs\":1,\"val_error\":0.1,\"train_seconds\":1}";
  g_assert_cmpint (pb_json_parse (bad, strlen (bad), "line", &json, &err), ==, PB_OK);
  g_assert_cmpint (pb_sweep_result_from_json (&c, json, "line", &back, &err), ==,
                   PB_ERR_FORMAT);
  g_assert_nonnull (strstr (err.message, "line: trial: expected an integer 1–3"));
  pb_json_free (json);
}

static const struct
{
  const char *json;
  const char *message;
} bad_configs[] = {
  { "{\"method\":\"bayes\",\"val-pairs\":1,\"parameters\":{}}",
    "SWEEP.json: method: expected grid, random or halving, got 'bayes'" },
  { "{\"method\":\"grid\",\"val-pairs\":10,\"program\":\"x.py\",\"parameters\":{}}",
    "SWEEP.json: program: unknown key, expected one of method, metric" },
  { "{\"method\":\"grid\",\"parameters\":{\"lr\":{\"value\":0.1}}}",
    "SWEEP.json: val-pairs: expected the number of validation pairs to choose on (required)" },
  { "{\"method\":\"random\",\"val-pairs\":10,\"parameters\":{\"lr\":{\"value\":0.1}}}",
    "SWEEP.json: trials: expected the number of trials (required for random)" },
  { "{\"method\":\"random\",\"trials\":0,\"val-pairs\":10,\"parameters\":{\"lr\":{\"value\":1}}}",
    "SWEEP.json: trials: expected an integer 1–10000, got '0'" },
  { "{\"method\":\"grid\",\"trials\":3,\"val-pairs\":10,\"parameters\":{\"lr\":{\"value\":1}}}",
    "SWEEP.json: trials: a grid runs every combination" },
  { "{\"method\":\"grid\",\"metric\":{\"name\":\"test_error\"},\"val-pairs\":10,"
    "\"parameters\":{\"lr\":{\"value\":1}}}",
    "SWEEP.json: metric.name: expected \"val_error\"" },
  { "{\"method\":\"grid\",\"eta\":3,\"val-pairs\":10,\"parameters\":{\"lr\":{\"value\":1}}}",
    "SWEEP.json: eta: only for the halving method, got method grid" },
  { RANDOM (2, "\"lr\":{\"distribution\":\"normal\",\"min\":0,\"max\":1}"),
    "SWEEP.json: parameters.lr.distribution: expected values, value, uniform, "
    "log_uniform_values, int_uniform or q_uniform, got 'normal'" },
  { RANDOM (2, "\"lr\":{\"distribution\":\"log_uniform_values\",\"min\":-1,\"max\":0.01}"),
    "SWEEP.json: parameters.lr.min: expected a finite number > 0, got '-1'" },
  { RANDOM (2, "\"hidden\":{\"values\":[64,0]}"),
    "SWEEP.json: parameters.hidden.values[1]: expected an integer 1–4096, got '0'" },
  { RANDOM (2, "\"rule\":{\"values\":[\"head\",\"vote\"]}"),
    "SWEEP.json: parameters.rule.values[1]: expected head, posterior or both, got 'vote'" },
  { RANDOM (2, "\"lernrate\":{\"value\":0.1}"),
    "SWEEP.json: parameters.lernrate: expected a train option" },
  { RANDOM (2, "\"seed\":{\"value\":3}"), "SWEEP.json: parameters.seed: set by the sweep" },
  { RANDOM (2, "\"lr\":{\"value\":0.1,\"mu\":0}"),
    "SWEEP.json: parameters.lr.mu: unknown key" },
  { RANDOM (2, "\"lr\":{\"values\":[0.1],\"min\":0}"),
    "SWEEP.json: parameters.lr.min: not a member of the values distribution" },
  { RANDOM (2, "\"hidden\":{\"distribution\":\"uniform\",\"min\":8,\"max\":64}"),
    "SWEEP.json: parameters.hidden.distribution: uniform draws reals and --hidden takes an "
    "integer" },
  { RANDOM (2, "\"rule\":{\"distribution\":\"int_uniform\",\"min\":0,\"max\":2}"),
    "SWEEP.json: parameters.rule.distribution: int_uniform draws numbers and --rule takes a "
    "choice" },
  { RANDOM (2, "\"lr\":{\"distribution\":\"uniform\",\"min\":0.01,\"max\":0.001}"),
    "SWEEP.json: parameters.lr.max: expected at least min" },
  { RANDOM (2, "\"dropout\":{\"distribution\":\"q_uniform\",\"min\":0.11,\"max\":0.19,"
               "\"q\":0.1}"),
    "SWEEP.json: parameters.dropout.q: expected a multiple of 0.1 between min and max" },
  { RANDOM (2, "\"hidden\":{\"values\":[64,64]}"),
    "SWEEP.json: parameters.hidden.values[1]: 64 is also values[0]" },
  { RANDOM (2, "\"hidden\":{\"values\":[]}"),
    "SWEEP.json: parameters.hidden.values: expected an array of 1–64 values, got an empty array" },
  { "{\"method\":\"grid\",\"val-pairs\":10,\"parameters\":{\"lr\":{\"distribution\":\"uniform\","
    "\"min\":0.001,\"max\":0.01}}}",
    "SWEEP.json: parameters.lr: a grid needs \"values\" or \"value\"" },
  { "{\"method\":\"halving\",\"trials\":3,\"val-pairs\":10,\"parameters\":{\"epochs\":"
    "{\"values\":[1,2]}}}", "SWEEP.json: parameters.epochs: halving sets each rung's epochs" },
  { RANDOM (2, "\"lr\":{\"values\":[0.1]},\"lr\":{\"value\":0.2}"),
    "SWEEP.json: parameters.lr: expected each parameter once" },
};

static void
test_config_errors (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (bad_configs); i++)
    {
      PbSweepConfig c;
      PbError err = { { 0 } };
      PbStatus st = pb_sweep_config_parse (bad_configs[i].json, strlen (bad_configs[i].json),
                                           "SWEEP.json", &c, &err);
      g_test_message ("%s → %s", bad_configs[i].json, err.message);
      g_assert_cmpint (st, ==, PB_ERR_INVALID);
      if (strstr (err.message, bad_configs[i].message) == NULL)
        g_error ("expected '%s', got '%s'", bad_configs[i].message, err.message);
      g_assert_null (strchr (err.message, '\n'));
    }
  PbSweepConfig c;
  PbError err = { { 0 } };
  g_assert_cmpint (pb_sweep_config_parse ("{\"method\":", 10, "SWEEP.json", &c, &err), ==,
                   PB_ERR_FORMAT);
  g_assert_true (g_str_has_prefix (err.message, "SWEEP.json"));
  g_assert_cmpint (pb_sweep_config_parse ("[1]", 3, "SWEEP.json", &c, &err), ==, PB_ERR_FORMAT);
  g_assert_cmpstr (err.message, ==, "SWEEP.json: expected a sweep config (a JSON object), found "
                   "an array");
}

/* A run that skips the test pairs learns and validates exactly as one that does not. */
static void
test_skip_test (void)
{
  PbTrainSettings s;
  PbRun *a = NULL, *b = NULL;
  PbError err = { { 0 } };

  base_settings (&s);
  s.epochs = 2;
  s.train_pairs = 200;
  s.test_pairs = 100;
  s.val_pairs = 50;
  g_assert_cmpint (pb_run_new (&s, &mnist, &a, &err), ==, PB_OK);
  g_assert_cmpint (pb_run_new (&s, &mnist, &b, &err), ==, PB_OK);
  pb_run_skip_test (b, true);
  g_assert_cmpint (pb_run_train (a, NULL, &err), ==, PB_OK);
  g_assert_cmpint (pb_run_train (b, NULL, &err), ==, PB_OK);
  for (int e = 0; e < 2; e++)
    {
      const PbEpochRecord *ra = &pb_run_epochs (a)[e], *rb = &pb_run_epochs (b)[e];
      g_assert_true (isfinite (ra->test_error));
      g_assert_true (isnan (rb->test_error));
      g_assert_true (isnan (rb->digit_error));
      g_assert_cmpfloat (ra->val_error, ==, rb->val_error);
      g_assert_cmpfloat (ra->train_loss, ==, rb->train_loss);
      g_assert_cmpfloat (ra->train_error, ==, rb->train_error);
    }
  pb_run_free (a);
  pb_run_free (b);
}

typedef struct
{
  int done;
} Count;

static void
count_unit (void *user_data, const PbSweepResult *r)
{
  (void) r;
  ((Count *) user_data)->done++;
}

/* A unit's val_error is what `train` with the trial's settings, the round's seed and the rung's
 * epochs gets at its last epoch. */
static void
test_run_units (void)
{
  PbSweepConfig c;
  PbTrainSettings base, s;
  PbSweepUnit units[4];
  PbSweepResult results[4];
  PbError err = { { 0 } };
  Count count = { 0 };
  PbSweepCallbacks cb = { .unit_done = count_unit, .user_data = &count };
  PbRun *run = NULL;

  parse_ok ("{\"method\":\"halving\",\"trials\":2,\"rounds\":2,\"seed\":5,\"val-pairs\":40,"
            "\"parameters\":{\"hidden\":{\"values\":[16,32]},\"lr\":{\"distribution\":"
            "\"uniform\",\"min\":0.001,\"max\":0.003}}}", &c);
  base_settings (&base);
  base.epochs = 3;
  base.train_pairs = 160;
  base.test_pairs = 50;
  base.batch = 40;
  g_assert_cmpint (pb_sweep_first_units (&c, base.epochs, units), ==, 4);
  pb_blas_set_single_thread ();
  g_assert_cmpint (pb_sweep_run_units (&c, &base, units, 4, 2, &mnist, &cb, results, &err), ==,
                   PB_OK);
  g_assert_cmpint (count.done, ==, 4);
  g_assert_cmpint (results[3].trial, ==, 1);
  g_assert_cmpint (results[3].round, ==, 1);
  g_assert_cmpuint (results[3].seed, ==, 6);
  g_assert_cmpint (results[3].epochs, ==, 1);

  g_assert_cmpint (pb_sweep_trial (&c, &base, 1, &s, NULL, &err), ==, PB_OK);
  s.seed = 6;
  s.epochs = 1;
  g_assert_cmpint (pb_run_new (&s, &mnist, &run, &err), ==, PB_OK);
  g_assert_cmpint (pb_run_train (run, NULL, &err), ==, PB_OK);
  g_assert_cmpfloat (pb_run_epochs (run)[0].val_error, ==, results[3].val_error);
  g_assert_cmpuint (pb_model_param_count (pb_run_model (run)), ==, results[3].params);
  pb_run_free (run);
  g_assert_cmpstr (results[3].values[0], ==, s.arch.hidden == 16 ? "16" : "32");
}

int
main (int argc, char **argv)
{
  PbError err = { { 0 } };
  int rc;

  g_test_init (&argc, &argv, NULL);
  if (pb_mnist_load (g_getenv ("PAIRBENCH_DATA_DIR"), &mnist, &err) != PB_OK)
    g_error ("%s", err.message);
  g_test_add_func ("/core/sweep/determinism", test_determinism);
  g_test_add_func ("/core/sweep/trial-settings", test_trial_settings);
  g_test_add_func ("/core/sweep/distributions", test_distributions);
  g_test_add_func ("/core/sweep/grid", test_grid);
  g_test_add_func ("/core/sweep/canonical", test_canonical);
  g_test_add_func ("/core/sweep/rungs", test_rungs);
  g_test_add_func ("/core/sweep/summary", test_summary);
  g_test_add_func ("/core/sweep/result-json", test_result_json);
  g_test_add_func ("/core/sweep/config-errors", test_config_errors);
  g_test_add_func ("/core/sweep/skip-test", test_skip_test);
  g_test_add_func ("/core/sweep/run-units", test_run_units);
  rc = g_test_run ();
  pb_mnist_clear (&mnist);
  return rc;
}
