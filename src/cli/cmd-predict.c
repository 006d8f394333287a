/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pairbench-cli predict: labels, digits and probabilities of IDX pairs from trained weights. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pb-cli.h"
#include "pb-cli-commands.h"
#include "pb-core.h"

static PbStatus
pairs_from_idx (const char *path, const PbIdx *idx, PbPairs *pairs, PbError *err)
{
  PbStatus st;

  if (idx->ndim != 4 || idx->dims[1] != 2 || idx->dims[2] != PB_IMAGE_SIDE
      || idx->dims[3] != PB_IMAGE_SIDE)
    return pb_error_set (err, PB_ERR_FORMAT, "%s: expected an N×2×14×14 array, found %d "
                         "dimensions (%u×%u×…)", path, idx->ndim, idx->dims[0],
                         idx->ndim > 1 ? idx->dims[1] : 0);
  if (idx->dims[0] < 1 || idx->dims[0] > 1000000)
    return pb_error_set (err, PB_ERR_FORMAT, "%s: expected 1–1000000 pairs, found %u", path,
                         idx->dims[0]);
  if ((st = pb_pairs_alloc ((int) idx->dims[0], pairs, err)) != PB_OK)
    return st;
  for (size_t i = 0; i < idx->count; i++)
    pairs->images[i] = idx->type == 0x08 ? (float) ((const uint8_t *) idx->data)[i]
                                         : ((const float *) idx->data)[i];
  return PB_OK;
}

int
pb_cli_predict (int argc, char **argv)
{
  const char *cmd = "predict";
  const char *weights = NULL, *input = NULL, *labels = NULL, *v;
  bool json = false;
  PbError err = { { 0 } };
  PbIdx idx = { 0 }, lidx = { 0 };
  PbPairs pairs = { 0 };
  PbModel *model = NULL;
  PbWeightsInfo info;
  int rc = 1;

  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0)
        {
          printf ("Usage: %s predict --weights FILE --input FILE.idx [--labels FILE.idx] "
                  "[--json]\n"
                  "Predicts each pair of an N×2×14×14 IDX file (unsigned byte or float32, on the\n"
                  "0–255 pooled scale): the label (1 when the first digit is larger), the two\n"
                  "digits and P(label = 1). With --labels (N×2 digit classes) it prints the "
                  "error.\n", PB_CLI_NAME);
          return 0;
        }
      const char *opt = argv[i];
      v = NULL;
      if (strcmp (argv[i], "--json") == 0)
        {
          json = true;
          continue;
        }
      if (pb_cli_match (argc, argv, &i, "--weights", &v))
        weights = v;
      else if (pb_cli_match (argc, argv, &i, "--input", &v))
        input = v;
      else if (pb_cli_match (argc, argv, &i, "--labels", &v))
        labels = v;
      else
        return pb_cli_usage_error (cmd, "unknown option '%s' (see --help)", argv[i]);
      if (v == NULL || *v == '\0')
        return pb_cli_usage_error (cmd, "%.*s: expected a file name", (int) strcspn (opt, "="),
                                   opt);
    }
  if (weights == NULL || input == NULL)
    return pb_cli_usage_error (cmd, "--weights and --input are required (see --help)");

  if (pb_safetensors_load (weights, 100, &model, &info, &err) != PB_OK
      || pb_idx_read (input, &idx, &err) != PB_OK
      || pairs_from_idx (input, &idx, &pairs, &err) != PB_OK)
    goto fail;
  if (labels != NULL)
    {
      if (pb_idx_read (labels, &lidx, &err) != PB_OK)
        goto fail;
      if (lidx.type != 0x08 || lidx.ndim != 2 || lidx.dims[0] != (uint32_t) pairs.n
          || lidx.dims[1] != 2)
        {
          pb_error_set (&err, PB_ERR_FORMAT, "%s: expected unsigned-byte digit classes %d×2, "
                        "found type 0x%02x with %d dimensions (%u…)", labels, pairs.n, lidx.type,
                        lidx.ndim, lidx.dims[0]);
          goto fail;
        }
      for (int i = 0; i < pairs.n; i++)
        {
          const uint8_t *c = (const uint8_t *) lidx.data + 2 * i;
          if (c[0] > 9 || c[1] > 9)
            {
              pb_error_set (&err, PB_ERR_FORMAT, "%s: pair %d: expected digits 0–9, found %u "
                            "and %u", labels, i, c[0], c[1]);
              goto fail;
            }
          pairs.classes[2 * i] = c[0];
          pairs.classes[2 * i + 1] = c[1];
          pairs.labels[i] = pb_pair_label (c[0], c[1]);
        }
    }

  uint8_t *pred = malloc ((size_t) pairs.n * 3);
  float *prob = malloc ((size_t) pairs.n * sizeof (float));
  if (pred == NULL || prob == NULL
      || pb_model_predict (model, info.input_mean, info.input_std, &pairs, pred, prob,
                           pred + pairs.n, &err) != PB_OK)
    {
      free (pred);
      free (prob);
      if (err.message[0] == '\0')
        pb_error_set (&err, PB_ERR_NOMEM, "out of memory");
      goto fail;
    }
  uint8_t *digits = pred + pairs.n;
  int wrong = 0;
  for (int i = 0; i < pairs.n && labels != NULL; i++)
    wrong += pred[i] != pairs.labels[i];

  PbStr out;
  pb_str_init (&out);
  if (json)
    {
      pb_str_append (&out, "{\"predictions\":[");
      for (int i = 0; i < pairs.n; i++)
        pb_str_printf (&out, "%s%d", i > 0 ? "," : "", pred[i]);
      pb_str_append (&out, "],\"digits\":[");
      for (int i = 0; i < pairs.n; i++)
        pb_str_printf (&out, "%s[%d,%d]", i > 0 ? "," : "", digits[2 * i], digits[2 * i + 1]);
      pb_str_append (&out, "],\"probabilities\":[");
      for (int i = 0; i < pairs.n; i++)
        {
          if (i > 0)
            pb_str_append (&out, ",");
          pb_str_append_float (&out, prob[i]);
        }
      pb_str_append (&out, "]");
      if (labels != NULL)
        {
          pb_str_append (&out, ",\"error\":");
          pb_str_append_double (&out, (double) wrong / pairs.n);
        }
      pb_str_append (&out, "}\n");
    }
  else
    {
      pb_str_append (&out, "pair,label,digit1,digit2,p1\n");
      for (int i = 0; i < pairs.n; i++)
        pb_str_printf (&out, "%d,%d,%d,%d,%.6f\n", i, pred[i], digits[2 * i], digits[2 * i + 1],
                       (double) prob[i]);
      if (labels != NULL)
        pb_str_printf (&out, "error %.6g (%d of %d wrong)\n", (double) wrong / pairs.n, wrong,
                       pairs.n);
    }
  fputs (out.data, stdout);
  pb_str_clear (&out);
  free (pred);
  free (prob);
  rc = 0;
  goto done;

fail:
  rc = pb_cli_failure (cmd, &err);
done:
  pb_model_free (model);
  pb_idx_clear (&idx);
  pb_idx_clear (&lidx);
  pb_pairs_clear (&pairs);
  return rc;
}
