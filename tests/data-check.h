/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the data tests share: where the shipped MNIST is. */
#pragma once

/* $PAIRBENCH_DATA_DIR, or data/mnist when it is not set. */
const char *data_dir (void);
