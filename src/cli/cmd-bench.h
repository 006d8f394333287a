/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* pairbench-cli bench train | study: throughput of the training core. argv[0] is "bench". */
int pb_cli_bench (int argc, char **argv);
