/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* `pairbench-cli embed`: argv[0] is "embed". Returns the exit status: 0, 1 (failure), 2 (usage). */
int pb_cli_embed (int argc, char **argv);
