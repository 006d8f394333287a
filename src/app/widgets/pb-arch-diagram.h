/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "pb-model.h"

G_BEGIN_DECLS

#define PB_TYPE_ARCH_DIAGRAM (pb_arch_diagram_get_type ())
G_DECLARE_FINAL_TYPE (PbArchDiagram, pb_arch_diagram, PB, ARCH_DIAGRAM, GtkWidget)

/* The report's Figure 1 for the selected architecture: inputs, trunk(s), digit logits with the
 * auxiliary losses, the head, and the parameter count. */
GtkWidget *pb_arch_diagram_new (void);
void       pb_arch_diagram_set_arch (PbArchDiagram *self, const PbArch *arch);
const PbArch *pb_arch_diagram_get_arch (PbArchDiagram *self);

G_END_DECLS
