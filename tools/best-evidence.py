#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""What limits the Best preset: learning curves and the digits it confuses.

Run after the preset was fixed (it looks at test pairs, so it must never feed back into the
search). It prints Markdown for docs/results.md:

1. a learning curve in the number of training pairs (250 ... 4,000; the budget is 1,000), three
   rounds each on seeds 201-203, with the test and digit errors;
2. the same preset trained for 50 epochs instead of 25 (the budget);
3. over the 20 measured rounds' first five seeds: the digit confusions on the test images, and
   how each wrong pair went wrong (a misread digit that flips the comparison, or a rule error
   with both digits right).

  /usr/bin/python3 tools/best-evidence.py --cli build/src/pairbench-cli > evidence.md
"""

import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile


def run(cmd):
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"{' '.join(cmd)}: {out.stderr.strip().splitlines()[-1]}")
    return out.stdout


def study(cli, extra, rounds, seed):
    out = run([cli, "study", "--models", "best", "--rounds", str(rounds), "--seed", str(seed),
               "--eval-every", "0", "--json"] + extra)
    m = json.loads(out)["models"][0]
    return m["test_error_mean"], m["test_error_std"], m["digit_error_mean"]


def read_idx_u8(path):
    with open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return dims, data[4 + 4 * ndim:]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cli", default="build/src/pairbench-cli")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--confusion-seeds", default="1,2,3,4,5")
    opts = ap.parse_args()
    cli = opts.cli

    print("### Learning curve in training pairs (Best preset, 25 epochs)\n")
    print(f"{opts.rounds} rounds each, seeds 201–{200 + opts.rounds}; 1,000 test pairs.\n")
    print("| training pairs | training digits | test error | digit error |")
    print("| ---: | ---: | ---: | ---: |")
    for pairs in (250, 500, 1000, 2000, 4000):
        te, sd, de = study(cli, ["--pairs", str(pairs)], opts.rounds, 201)
        print(f"| {pairs:,} | {2 * pairs:,} | {te:.4f} ± {sd:.4f} | {de:.4f} |", flush=True)

    print("\n### Longer training (1,000 pairs)\n")
    print("| epochs | test error | digit error |")
    print("| ---: | ---: | ---: |")
    for epochs in (25, 50):
        te, sd, de = study(cli, ["--epochs", str(epochs)], opts.rounds, 201)
        print(f"| {epochs} | {te:.4f} ± {sd:.4f} | {de:.4f} |", flush=True)

    seeds = [int(s) for s in opts.confusion_seeds.split(",")]
    confusion = [[0] * 10 for _ in range(10)]
    n_pairs = wrong_pairs = misread_flip = rule_only = 0
    with tempfile.TemporaryDirectory() as tmp:
        for seed in seeds:
            w = os.path.join(tmp, f"best-{seed}.safetensors")
            x = os.path.join(tmp, f"test-{seed}.idx")
            y = os.path.join(tmp, f"classes-{seed}.idx")
            run([cli, "train", "--preset", "best", "--seed", str(seed), "--eval-every", "0",
                 "--weights", w])
            run([cli, "pairs", "--seed", str(seed), "--split", "test", "--out", x, "--labels", y])
            pred = json.loads(run([cli, "predict", "--weights", w, "--input", x, "--json"]))
            dims, classes = read_idx_u8(y)
            for i in range(dims[0]):
                c1, c2 = classes[2 * i], classes[2 * i + 1]
                d1, d2 = pred["digits"][i]
                confusion[c1][d1] += 1
                confusion[c2][d2] += 1
                n_pairs += 1
                label = 1 if c1 > c2 else 0
                if pred["predictions"][i] != label:
                    wrong_pairs += 1
                    if (d1, d2) == (c1, c2):
                        rule_only += 1
                    else:
                        misread_flip += 1

    n_digits = 2 * n_pairs
    digit_wrong = n_digits - sum(confusion[i][i] for i in range(10))
    print(f"\n### Where the errors come from (seeds {opts.confusion_seeds}, "
          f"{n_pairs:,} test pairs)\n")
    print(f"- digit error {digit_wrong / n_digits:.4f} ({digit_wrong} of {n_digits:,} test "
          f"images); pair error {wrong_pairs / n_pairs:.4f} ({wrong_pairs} pairs)")
    print(f"- of the wrong pairs, {misread_flip} have a misread digit (the argmax digits are not "
          f"the true ones) and {rule_only} read both digits right")
    off = sorted(((confusion[i][j], i, j) for i in range(10) for j in range(10) if i != j),
                 reverse=True)
    top = ", ".join(f"{i}→{j} ({n})" for n, i, j in off[:8] if n > 0)
    print(f"- the most frequent confusions (true→read): {top}\n")
    print("| true \\ read | " + " | ".join(str(j) for j in range(10)) + " | error |")
    print("| ---: |" + " ---: |" * 11)
    for i in range(10):
        row = sum(confusion[i])
        err = 1 - confusion[i][i] / row if row else 0.0
        print(f"| {i} | " + " | ".join(str(v) if v else "·" for v in confusion[i])
              + f" | {err:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
