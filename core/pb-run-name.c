/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <inttypes.h>
#include <stdbool.h>
#include <string.h>

#include "pb-json.h"
#include "pb-run-name.h"

typedef struct
{
  char *buf;
  size_t size;
  size_t len;  /* untruncated */
  int n;
} Tokens;

static void
append (Tokens *t, const char *text)
{
  size_t n = strlen (text);

  if (t->size > 0 && t->len < t->size - 1)
    {
      size_t room = t->size - 1 - t->len;
      size_t k = n < room ? n : room;

      memcpy (t->buf + t->len, text, k);
      t->buf[t->len + k] = '\0';
    }
  t->len += n;
}

static void
add (Tokens *t, const char *token)
{
  if (t->n++ > 0)
    append (t, " · ");
  append (t, token);
}

static bool
same_triple (const int a[PB_N_CONV], const int b[PB_N_CONV])
{
  return memcmp (a, b, PB_N_CONV * sizeof *a) == 0;
}

/* Numbers in the C locale: "%g" of a float reads as typed ("0.002", not "0.0020000001"). */
#define ADD(...) (pb_snprintf_c (tok, sizeof tok, __VA_ARGS__), add (t, tok))

/* Every setting of s that differs from base, in the order of PbTrainSettings and PbArch, the
 * model first; the seed is not one of them. Returns the number of tokens. */
static int
differences (const PbTrainSettings *s, const PbTrainSettings *base, Tokens *t)
{
  const PbArch *a = &s->arch, *b = &base->arch;
  char tok[64];

  if (a->kind != b->kind || a->aux != b->aux)
    add (t, pb_arch_name (a));
  if (a->aux && a->aux_weight != b->aux_weight)
    ADD ("aux %g", (double) a->aux_weight);
  if (a->kernel != b->kernel)
    ADD ("k%d", a->kernel);
  if (!same_triple (a->channels, b->channels))
    ADD ("ch %d-%d-%d", a->channels[0], a->channels[1], a->channels[2]);
  if (!same_triple (a->padding, b->padding))
    ADD ("pad %d-%d-%d", a->padding[0], a->padding[1], a->padding[2]);
  if (a->hidden != b->hidden)
    ADD ("fc %d", a->hidden);
  if (a->dropout != b->dropout)
    ADD ("dropout %g", (double) a->dropout);
  if (a->hidden_act != b->hidden_act)
    add (t, pb_hidden_act_name (a->hidden_act));
  if (a->batch_norm != b->batch_norm)
    add (t, a->batch_norm ? "bn" : "no bn");
  if (a->rule != b->rule)
    add (t, pb_rule_name (a->rule));
  if (s->epochs != base->epochs)
    ADD (s->epochs == 1 ? "%d epoch" : "%d epochs", s->epochs);
  if (s->batch != base->batch)
    ADD ("batch %d", s->batch);
  if (s->lr != base->lr)
    ADD ("lr %g", (double) s->lr);
  if (s->beta1 != base->beta1)
    ADD ("beta1 %g", (double) s->beta1);
  if (s->beta2 != base->beta2)
    ADD ("beta2 %g", (double) s->beta2);
  if (s->adam_eps != base->adam_eps)
    ADD ("eps %g", (double) s->adam_eps);
  if (s->schedule != base->schedule)
    add (t, pb_schedule_name (s->schedule));
  if (s->weight_decay != base->weight_decay)
    ADD ("wd %g", (double) s->weight_decay);
  if (s->train_pairs != base->train_pairs)
    ADD (s->train_pairs == 1 ? "%d pair" : "%d pairs", s->train_pairs);
  if (s->val_pairs != base->val_pairs)
    ADD ("val %d", s->val_pairs);
  if (s->test_pairs != base->test_pairs)
    ADD ("test %d", s->test_pairs);
  if (s->augment_deg != base->augment_deg)
    ADD ("rot %g", (double) s->augment_deg);
  if (s->translate != base->translate)
    ADD ("shift %d", s->translate);
  if (s->scale != base->scale)
    ADD ("scale %g", (double) s->scale);
  if (s->shear != base->shear)
    ADD ("shear %g", (double) s->shear);
  if (s->swap != base->swap)
    add (t, s->swap ? "swap" : "no swap");
  if (s->repair != base->repair)
    add (t, s->repair ? "repair" : "no repair");
  if (s->eval_every != base->eval_every)
    {
      if (s->eval_every == 0)
        add (t, "eval last");
      else
        ADD ("eval %d", s->eval_every);
    }
  return t->n;
}

#undef ADD

static int
count_differences (const PbTrainSettings *s, const PbTrainSettings *base)
{
  char scratch[1];
  Tokens t = { scratch, 0, 0, 0 };

  return differences (s, base, &t);
}

void
pb_run_name_describe (const PbTrainSettings *settings, PbRunName *out)
{
  const char *const *presets = pb_train_preset_names ();
  PbTrainSettings base, best_base;
  Tokens t = { out->differences, sizeof out->differences, 0, 0 };
  int best;

  out->seed = settings->seed;
  out->differences[0] = '\0';
  out->base = pb_arch_name (&settings->arch);
  /* The report's settings for the run's own model are always a valid base. */
  if (pb_train_settings_init (&best_base, out->base, NULL) != PB_OK)
    best_base = *settings;
  best = count_differences (settings, &best_base);
  /* A preset names the run when fewer settings differ from it; a preset that is only the
   * report's settings for its model ("report") adds nothing to the model's name. Ties go to the
   * model. */
  for (int i = 0; presets[i] != NULL && best > 0; i++)
    {
      PbTrainSettings own;
      int n;

      if (pb_train_settings_preset (&base, presets[i], NULL) != PB_OK ||
          pb_train_settings_init (&own, pb_arch_name (&base.arch), NULL) != PB_OK)
        continue;
      own.seed = base.seed;
      if (count_differences (&base, &own) == 0)
        continue;
      n = count_differences (settings, &base);
      if (n < best)
        {
          best = n;
          best_base = base;
          out->base = presets[i];
        }
    }
  out->n_differences = differences (settings, &best_base, &t);
}

int
pb_run_name_format (const PbTrainSettings *settings, char *buf, size_t size)
{
  PbRunName name;
  char seed[32];
  Tokens t = { buf, size, 0, 0 };

  pb_run_name_describe (settings, &name);
  if (size > 0)
    buf[0] = '\0';
  add (&t, name.base);
  if (name.n_differences > 0)
    add (&t, name.differences);
  pb_snprintf_c (seed, sizeof seed, "seed %" PRIu64, name.seed);
  add (&t, seed);
  return (int) t.len;
}
