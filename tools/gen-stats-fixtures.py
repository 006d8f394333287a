#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Writes tests/fixtures/stats.json: paired t-tests and Wilcoxon signed-rank tests computed with
Debian's scipy (python3-scipy), for tests/test-stats.c to compare the core's pb-stats against.

    /usr/bin/python3 tools/gen-stats-fixtures.py [--out tests/fixtures/stats.json]

Each case holds the inputs a and b, the differences d = round(a - b, 9) the core also uses (so
float noise never splits a tie or hides a zero), and scipy's results:
  - ttest_rel(a, b) on d, two-sided;
  - wilcoxon(d without zeros, zero_method="wilcox", correction=False) with method="exact" when
    there are no ties in |d| and at most 25 non-zero differences, method="approx" otherwise.
    scipy's own "auto" would take the exact path with ties (and rank sums that are not whole),
    which is why the method is chosen here.
NaN is written as null and infinities as the strings "inf" / "-inf", as JSON has neither.
scipy >= 1.9 names the keyword `method`; older releases called it `mode`.
"""

import argparse
import json
import math
import os
import warnings

import numpy as np
import scipy
import scipy.stats

EXACT_MAX = 25


def number(v):
    v = float(v)
    if math.isnan(v):
        return None
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def wilcoxon_kwargs(method):
    major, minor = (int(x) for x in scipy.__version__.split(".")[:2])
    key = "method" if (major, minor) >= (1, 9) else "mode"
    return {key: method}


def make_case(name, a, b):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    d = np.round(a - b, 9)
    nz = d[d != 0]
    ties = len(np.unique(np.abs(nz))) < len(nz)
    method = "exact" if not ties and len(nz) <= EXACT_MAX else "approx"

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = scipy.stats.ttest_rel(d, np.zeros_like(d))
        if len(nz) == 0:
            w_stat, w_p = math.nan, math.nan
        else:
            w = scipy.stats.wilcoxon(nz, zero_method="wilcox", correction=False,
                                     alternative="two-sided", **wilcoxon_kwargs(method))
            w_stat, w_p = w.statistic, w.pvalue

    return {
        "name": name,
        "a": [float(x) for x in a],
        "b": [float(x) for x in b],
        "d": [float(x) for x in d],
        "ttest": {"statistic": number(t.statistic), "pvalue": number(t.pvalue),
                  "df": len(d) - 1},
        "wilcoxon": {"n": int(len(nz)), "method": method, "ties": bool(ties),
                     "statistic": number(w_stat), "pvalue": number(w_p)},
    }


def errors(rng, n, mean, sd):
    """Test errors of n rounds: multiples of 1/1000, as a 1000-pair test set gives."""
    return np.clip(np.round(rng.normal(mean, sd, n), 3), 0.0, 1.0)


def distinct_diffs(rng, n, scale, positive_frac):
    """Differences of distinct sizes (no ties) in thousandths, about positive_frac of them > 0."""
    sizes = rng.choice(np.arange(1, 10 * n + 1), size=n, replace=False)
    signs = np.where(rng.random(n) < positive_frac, 1, -1)
    return signs * sizes * scale


def cases():
    rng = np.random.RandomState(20240605)
    out = []

    # scipy's documentation example (exact; statistic 24, p 0.041259765625).
    d = [6, 8, 14, 16, 23, 24, 28, 29, 41, -48, 49, 56, 60, -67, 75]
    out.append(make_case("scipy-doc", d, [0] * len(d)))
    out.append(make_case("n1", [0.213], [0.200]))
    out.append(make_case("n2", [0.213, 0.190], [0.200, 0.195]))
    out.append(make_case("n3", [0.25, 0.20, 0.30], [0.20, 0.21, 0.27]))
    out.append(make_case("all-zero", [0.2, 0.19, 0.21, 0.22, 0.18], [0.2, 0.19, 0.21, 0.22, 0.18]))
    base = errors(rng, 5, 0.2, 0.02)
    out.append(make_case("all-equal-5", base + 0.002, base))
    base = errors(rng, 20, 0.2, 0.02)
    out.append(make_case("all-equal-20", base, base + 0.003))
    out.append(make_case("one-nonzero", [0.2, 0.19, 0.21, 0.22], [0.2, 0.19, 0.205, 0.22]))
    out.append(make_case("two-equal-nonzero", [0.2, 0.19, 0.21], [0.2, 0.18, 0.20]))
    # W+ at the centre of its distribution: p = 1.
    out.append(make_case("centre", [1, 2, 3, 4, -5, -5.0], [0, 0, 0, 0, 0, 0.0]))
    out.append(make_case("centre-odd-total", [1, -2, 3, -4, 5.0], [0] * 5))
    out.append(make_case("all-negative-10", distinct_diffs(rng, 10, 0.001, 0.0), [0.0] * 10))
    out.append(make_case("all-positive-25", distinct_diffs(rng, 25, 0.001, 1.0), [0.0] * 25))
    out.append(make_case("small-t", [0.2, 0.21, 0.19, 0.2, 0.205, 0.195],
                         [0.201, 0.209, 0.19, 0.2005, 0.204, 0.1954]))
    out.append(make_case("huge-t", np.linspace(0.5, 0.52, 12), np.linspace(0.1, 0.1011, 12)))

    # No ties, at most 25 after dropping zeros: exact.
    for n in (4, 5, 7, 10, 13, 16, 20, 24, 25):
        d = distinct_diffs(rng, n, 0.001, 0.4)
        b = errors(rng, n, 0.2, 0.02) + 0.1
        out.append(make_case("exact-%d" % n, b + d, b))
    # Zeros dropped, then exact.
    for n, zeros in ((12, 3), (30, 6), (28, 5)):
        d = distinct_diffs(rng, n - zeros, 0.001, 0.35)
        d = np.concatenate([d, np.zeros(zeros)])
        rng.shuffle(d)
        b = errors(rng, n, 0.2, 0.02) + 0.1
        out.append(make_case("zeros-exact-%d-%d" % (n, zeros), b + d, b))
    # No ties but more than 25: the approximation without tie correction.
    for n in (26, 30, 40):
        d = distinct_diffs(rng, n, 0.001, 0.4)
        b = errors(rng, n, 0.2, 0.02) + 0.1
        out.append(make_case("approx-noties-%d" % n, b + d, b))
    # Realistic rounds: two models' test errors on shared seeds, with ties and zeros.
    for n, delta, sd in ((2, 0.0, 0.01), (3, 0.01, 0.01), (5, 0.005, 0.004), (6, 0.0, 0.003),
                         (8, 0.01, 0.02), (10, 0.003, 0.003), (12, 0.0, 0.002),
                         (15, 0.004, 0.004), (20, 0.02, 0.01), (20, 0.001, 0.002),
                         (25, 0.0, 0.003), (30, 0.005, 0.01), (40, 0.002, 0.003),
                         (40, 0.03, 0.02)):
        a = errors(rng, n, 0.2, 0.02)
        b = np.clip(np.round(a - delta + rng.normal(0, sd, n), 3), 0, 1)
        out.append(make_case("rounds-%d-%g-%g" % (n, delta, sd), a, b))
    # Heavy ties: differences of one or two thousandths.
    for n in (9, 21, 33):
        d = rng.choice([-0.002, -0.001, 0.0, 0.001, 0.002], size=n)
        b = errors(rng, n, 0.15, 0.01)
        out.append(make_case("heavy-ties-%d" % n, b + d, b))
    return out


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(root, "tests", "fixtures", "stats.json"))
    args = parser.parse_args()

    doc = {
        "generator": "tools/gen-stats-fixtures.py",
        "scipy": scipy.__version__,
        "numpy": np.__version__,
        "wilcoxon_exact_max": EXACT_MAX,
        "cases": cases(),
    }
    # One line per case keeps the file short and its diffs readable.
    head = json.dumps({k: v for k, v in doc.items() if k != "cases"}, indent=1)
    lines = [json.dumps(c, allow_nan=False) for c in doc["cases"]]
    text = head[:-2] + ',\n "cases": [\n  ' + ",\n  ".join(lines) + "\n ]\n}\n"
    json.loads(text)
    with open(args.out + ".tmp", "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(args.out + ".tmp", args.out)
    print("%s: %d cases, scipy %s" % (args.out, len(doc["cases"]), scipy.__version__))


if __name__ == "__main__":
    main()
