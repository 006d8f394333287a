/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* `pairbench-cli tsne`: argv[0] is "tsne". Returns the exit status: 0, 1 (failure), 2 (usage). */
int pb_cli_tsne (int argc, char **argv);
