/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The Pairbench training core: C11, no GLib, usable from the app, the CLI and the tests. */

#include "pb-adam.h"
#include "pb-data.h"
#include "pb-gemm.h"
#include "pb-json.h"
#include "pb-knn.h"
#include "pb-layers.h"
#include "pb-model.h"
#include "pb-options.h"
#include "pb-preset.h"
#include "pb-profile.h"
#include "pb-rng.h"
#include "pb-run-name.h"
#include "pb-safetensors.h"
#include "pb-stats.h"
#include "pb-status.h"
#include "pb-train.h"
