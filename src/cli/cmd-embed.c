/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pairbench-cli embed: the report's Figures 2–5. Runs trained weights on their own run's test
 * pairs and maps the last layer's features to 2-D with t-SNE. */

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pb-cli-commands.h"
#include "pb-cli.h"
#include "pb-core.h"
#include "pb-tsne.h"

static const char *usage =
  "Usage: pairbench-cli embed --weights FILE.safetensors --out OUT.csv [OPTIONS]\n"
  "\n"
  "Runs the model on the test pairs of the run that made the weights and maps a layer's\n"
  "features to 2-D with t-SNE. siamese and twin give one point per image (2N), stacked one\n"
  "per pair, coloured by its first digit. Writes x,y,digit,pair,position rows, pair-major;\n"
  "position is 1 or 2, or 0 for stacked's per-pair rows.\n"
  "\n"
  "Options:\n"
  "  --layer logits|fc1   the digit logits (default) or the hidden layer\n"
  "  --pairs N            test pairs (default 1000)\n"
  "  --seed S             the run's seed (default: from the weights' metadata)\n"
  "  --perplexity P       t-SNE perplexity (default 30)\n"
  "  --iterations N       t-SNE iterations (default 1000)\n"
  "  --method M           t-SNE repulsion: auto, bh, fft or exact (default auto: by N)\n"
  "  --data DIR           MNIST IDX folder (default: the shipped copy)\n"
  "  -h, --help           show this help\n";

int
pb_cli_embed (int argc, char **argv)
{
  const char *cmd = "embed";
  const char *weights = NULL, *out = NULL, *data_dir = NULL, *v;
  PbLayer layer = PB_LAYER_LOGITS;
  long pairs_n = 1000, iterations = 1000;
  double perplexity = 30.0;
  PbTsneMethod method = PB_TSNE_METHOD_AUTO;
  bool seed_given = false;
  unsigned long long seed = 0;
  PbError err = { { 0 } };
  PbMnist mnist = { 0 };
  PbModel *model = NULL;
  PbWeightsInfo info;
  PbPairs pairs = { 0 };
  PbTsne *tsne = NULL;
  float *features = NULL;
  PbStr csv;
  int rc;

  pb_str_init (&csv);
  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0)
        {
          fputs (usage, stdout);
          return 0;
        }
      const char *opt = argv[i];
      if (pb_cli_match (argc, argv, &i, "--weights", &v))
        weights = v;
      else if (pb_cli_match (argc, argv, &i, "--out", &v))
        out = v;
      else if (pb_cli_match (argc, argv, &i, "--data", &v))
        data_dir = v;
      else if (pb_cli_match (argc, argv, &i, "--layer", &v))
        {
          if (v != NULL && strcmp (v, "logits") == 0)
            layer = PB_LAYER_LOGITS;
          else if (v != NULL && strcmp (v, "fc1") == 0)
            layer = PB_LAYER_FC1;
          else
            return pb_cli_usage_error (cmd, "--layer: expected logits or fc1, got '%s'",
                                       v ? v : "");
        }
      else if (pb_cli_match (argc, argv, &i, "--pairs", &v))
        {
          if (!pb_cli_parse_int (v, 1, PB_MAX_PAIRS, &pairs_n))
            return pb_cli_usage_error (cmd, "--pairs: expected an integer 1–%d, got '%s'",
                                       PB_MAX_PAIRS,
                                       v ? v : "");
        }
      else if (pb_cli_match (argc, argv, &i, "--iterations", &v))
        {
          if (!pb_cli_parse_int (v, 1, 1000000, &iterations))
            return pb_cli_usage_error (cmd, "--iterations: expected an integer 1–1000000, "
                                       "got '%s'",
                                       v ? v : "");
        }
      else if (pb_cli_match (argc, argv, &i, "--method", &v))
        {
          if (!pb_tsne_method_parse (v, &method))
            return pb_cli_usage_error (cmd, "--method: expected auto, bh, fft or exact, "
                                       "got '%s'", v ? v : "");
        }
      else if (pb_cli_match (argc, argv, &i, "--perplexity", &v))
        {
          if (!pb_cli_parse_double (v, 0.0, 1e6, false, &perplexity))
            return pb_cli_usage_error (cmd, "--perplexity: expected a number > 0, got '%s'",
                                       v ? v : "");
        }
      else if (pb_cli_match (argc, argv, &i, "--seed", &v))
        {
          uint64_t s;
          if (!pb_cli_parse_seed (v, &s))
            return pb_cli_usage_error (cmd, "--seed: expected an integer 0–%llu, got '%s'",
                                       (unsigned long long) UINT64_MAX, v ? v : "");
          seed = (unsigned long long) s;
          seed_given = true;
        }
      else
        return pb_cli_usage_error (cmd, "unknown option '%s' (see --help)", argv[i]);
      if (v == NULL || *v == '\0')
        return pb_cli_usage_error (cmd, "%.*s: expected a value", (int) strcspn (opt, "="), opt);
    }
  if (weights == NULL || out == NULL)
    return pb_cli_usage_error (cmd, "--weights and --out are required (see --help)");
  if ((rc = pb_cli_check_output (cmd, out)) != 0)
    return rc;

  if (pb_safetensors_load (weights, 100, &model, &info, &err) != PB_OK)
    return pb_cli_failure (cmd, &err);
  if ((rc = pb_cli_load_mnist (cmd, data_dir, &mnist)) != 0)
    {
      pb_model_free (model);
      return rc;
    }
  pb_blas_set_single_thread ();

  PbTrainSettings s = info.settings;
  s.test_pairs = (int) pairs_n;
  if (seed_given)
    s.seed = seed;
  if (pb_run_draw_pairs (&s, &mnist, PB_SPLIT_TEST, &pairs, &err) != PB_OK)
    goto fail;

  int rows = pb_model_feature_rows (model, pairs.n), dim = pb_model_feature_dim (model, layer);
  bool per_image = rows == 2 * pairs.n;
  features = malloc ((size_t) rows * (size_t) dim * sizeof (float));
  if (features == NULL)
    {
      pb_error_set (&err, PB_ERR_NOMEM, "out of memory for %d×%d features", rows, dim);
      goto fail;
    }
  if (pb_model_features (model, info.input_mean, info.input_std, &pairs, layer, features, &err)
      != PB_OK)
    goto fail;

  PbTsneSettings ts;
  pb_tsne_settings_init (&ts);
  ts.perplexity = perplexity;
  ts.method = method;
  double t0 = pb_now_seconds ();
  if (pb_tsne_new (features, rows, dim, &ts, NULL, &tsne, &err) != PB_OK
      || pb_tsne_step (tsne, (int) iterations, &err) != PB_OK)
    goto fail;
  double seconds = pb_now_seconds () - t0;

  const float *xy = pb_tsne_coords (tsne);
  pb_str_append (&csv, "x,y,digit,pair,position\n");
  for (int r = 0; r < rows; r++)
    {
      int pair = per_image ? r / 2 : r, position = per_image ? r % 2 + 1 : 0;
      int digit = pairs.classes[2 * pair + (per_image ? r % 2 : 0)];
      pb_str_append_float (&csv, xy[2 * r]);
      pb_str_append (&csv, ",");
      pb_str_append_float (&csv, xy[2 * r + 1]);
      pb_str_printf (&csv, ",%d,%d,%d\n", digit, pair, position);
    }
  if (csv.failed)
    {
      pb_error_set (&err, PB_ERR_NOMEM, "out of memory writing %s", out);
      goto fail;
    }
  if (pb_write_file_atomic (out, csv.data, csv.len, &err) != PB_OK)
    goto fail;
  fprintf (stdout, "model %s  layer %s  points %d×%d  kl %.4f  perplexity %g  seconds %.2f\n",
           pb_arch_name (pb_model_arch (model)), layer == PB_LAYER_FC1 ? "fc1" : "logits", rows,
           dim, pb_tsne_kl (tsne), pb_tsne_perplexity_used (tsne), seconds);
  rc = 0;
  goto done;

fail:
  rc = pb_cli_failure (cmd, &err);
done:
  pb_str_clear (&csv);
  pb_tsne_free (tsne);
  free (features);
  pb_pairs_clear (&pairs);
  pb_model_free (model);
  pb_mnist_clear (&mnist);
  return rc;
}
