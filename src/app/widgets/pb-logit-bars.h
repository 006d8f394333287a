/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define PB_TYPE_LOGIT_BARS (pb_logit_bars_get_type ())
G_DECLARE_FINAL_TYPE (PbLogitBars, pb_logit_bars, PB, LOGIT_BARS, GtkWidget)

/* A trunk's digit logits (fc2) as signed bars over their softmax, one group of ten per image;
 * the predicted digit is emphasised and the true one marked. */
GtkWidget   *pb_logit_bars_new (void);
/* logits: [n_groups, 10], truth: [n_groups]; copied. scale > 0: the |logit| of a full bar, so
 * that two charts side by side share it. */
void         pb_logit_bars_set (PbLogitBars *self, const float *logits, int n_groups,
                                const guint8 *truth, double scale);
void         pb_logit_bars_clear (PbLogitBars *self);
/* As drawn (tests): the softmax of each group, [n_groups, 10]; NULL when empty. */
const float *pb_logit_bars_get_probabilities (PbLogitBars *self, int *n_groups);
const float *pb_logit_bars_get_logits (PbLogitBars *self, int *n_groups);

G_END_DECLS
