/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "pb-data.h"

G_BEGIN_DECLS

/* Loads MNIST once per folder for the whole process; safe from any thread. The error is in
 * PB_CORE_ERROR. */
const PbMnist *pb_mnist_cache_get (const char *dir, GError **error);

G_END_DECLS
