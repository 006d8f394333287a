#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Runs `pairbench-cli tsne` beside scikit-learn's Barnes-Hut TSNE on the same data.

Data: the first N (2000) MNIST test digits, pixels / 255, reduced to 50 dimensions by PCA.
Both get perplexity 30, 1000 iterations, PCA init, learning rate "auto", theta 0.5.

Both maps are scored the same way, here in numpy:
  - KL(P || Q) with the exact P: Gaussian conditionals over all N - 1 other points, each
    calibrated to the perplexity (binary search, entropy tolerance 1e-5), symmetrised
    (P + P^T) / 2N; and Q exact over all pairs. This is the headline KL.
  - The same with the sparse P of both implementations (k = 3 * perplexity nearest neighbours),
    for reference.
  - sklearn.manifold.trustworthiness at k = 5, against the 50-d input.

Targets (issue 3): KL <= 1.03 x scikit-learn's, trustworthiness >= scikit-learn's - 0.01,
and at least 5x faster (wall time of the whole pairbench-cli process, file I/O included,
against scikit-learn's fit_transform).

Usage: tools/bench-tsne.py [--cli build/src/pairbench-cli] [--n 2000] [--json]
"""

import argparse
import gzip
import inspect
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np


def load_digits(data_dir, n):
    path = os.path.join(data_dir, "t10k-images-idx3-ubyte.gz")
    with gzip.open(path, "rb") as f:
        raw = f.read()
    magic, count, rows, cols = np.frombuffer(raw, ">u4", count=4, offset=0)
    if magic != 2051 or n > count:
        sys.exit(f"{path}: expected an idx3 image file with at least {n} images")
    images = np.frombuffer(raw, np.uint8, count=n * rows * cols, offset=16)
    return images.reshape(n, rows * cols).astype(np.float64) / 255.0


def pca(x, dims):
    centred = x - x.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    return (centred @ vt[:dims].T).astype(np.float32)


def squared_distances(x):
    x = x.astype(np.float64)
    sq = (x * x).sum(axis=1)
    d = sq[:, None] + sq[None, :] - 2.0 * x @ x.T
    np.maximum(d, 0.0, out=d)
    return d


def calibrate(d, perplexity, tol=1e-5, steps=200):
    """Rows of d: squared distances to the candidate neighbours. Returns the conditionals."""
    target = np.log(perplexity)
    d = d - d.min(axis=1, keepdims=True)
    mean = d.mean(axis=1)
    beta = np.where(mean > 0, 1.0 / np.where(mean > 0, mean, 1.0), 1.0)
    lo = np.zeros_like(beta)
    hi = np.full_like(beta, np.inf)
    done = np.zeros(len(beta), bool)
    p = None
    for _ in range(steps):
        e = np.exp(-beta[:, None] * d)
        s = e.sum(axis=1)
        entropy = np.log(s) + beta * (e * d).sum(axis=1) / s
        p = e / s[:, None] if p is None else np.where(done[:, None], p, e / s[:, None])
        done |= np.abs(entropy - target) < tol
        if done.all():
            break
        up = (entropy > target) & ~done
        down = (entropy <= target) & ~done
        lo = np.where(up, beta, lo)
        hi = np.where(down, beta, hi)
        beta = np.where(up, np.where(np.isinf(hi), beta * 2.0, 0.5 * (beta + hi)), beta)
        beta = np.where(down, 0.5 * (lo + beta), beta)
    return p


def exact_p(x, perplexity):
    n = len(x)
    d = squared_distances(x)
    others = ~np.eye(n, dtype=bool)
    cond = np.zeros((n, n))
    cond[others] = calibrate(d[others].reshape(n, n - 1), perplexity).ravel()
    return (cond + cond.T) / (2.0 * n)


def knn_p(x, perplexity):
    n = len(x)
    k = min(n - 1, int(3 * perplexity))
    d = squared_distances(x)
    np.fill_diagonal(d, np.inf)
    idx = np.argpartition(d, k, axis=1)[:, :k]
    rows = np.arange(n)[:, None]
    cond = np.zeros((n, n))
    cond[rows, idx] = calibrate(d[rows, idx], perplexity)
    return (cond + cond.T) / (2.0 * n)


def kl_divergence(p, y):
    w = 1.0 / (1.0 + squared_distances(y))
    np.fill_diagonal(w, 0.0)
    q = w / w.sum()
    mask = p > 0
    return float((p[mask] * np.log(p[mask] / q[mask])).sum())


def run_pairbench(cli, npy, out_csv, args):
    cmd = [cli, "tsne", "--input", npy, "--out", out_csv, "--perplexity", str(args.perplexity),
           "--iterations", str(args.iterations), "--seed", str(args.seed), "--json"]
    started = time.perf_counter()
    done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr}")
    result = json.loads(done.stdout)
    y = np.loadtxt(out_csv, delimiter=",", skiprows=1, dtype=np.float64)
    return y, wall, result


def run_sklearn(x, args):
    from sklearn.manifold import TSNE

    iters = "max_iter" if "max_iter" in inspect.signature(TSNE).parameters else "n_iter"
    tsne = TSNE(n_components=2, perplexity=args.perplexity, init="pca", learning_rate="auto",
                method="barnes_hut", angle=0.5, random_state=args.seed,
                **{iters: args.iterations})
    started = time.perf_counter()
    y = tsne.fit_transform(x)
    return y.astype(np.float64), time.perf_counter() - started, tsne


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    default_cli = os.path.join(root, "build", "src", "pairbench-cli")
    parser.add_argument("--cli", default=os.environ.get("PAIRBENCH_CLI", default_cli))
    parser.add_argument("--data", default=os.environ.get("PAIRBENCH_DATA_DIR",
                                                         os.path.join(root, "data", "mnist")))
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--perplexity", type=float, default=30.0)
    parser.add_argument("--iterations", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", metavar="DIR", help="keep the input and both maps in DIR")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()

    import sklearn
    from sklearn.manifold import trustworthiness

    x = pca(load_digits(args.data, args.n), 50)
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or tmp
        os.makedirs(folder, exist_ok=True)
        npy = os.path.join(folder, "digits-pca50.npy")
        np.save(npy, x)
        y_pb, wall_pb, result = run_pairbench(args.cli, npy, os.path.join(folder, "pairbench.csv"),
                                              args)
        y_sk, wall_sk, tsne = run_sklearn(x, args)
        if args.keep:
            np.savetxt(os.path.join(folder, "sklearn.csv"), y_sk, delimiter=",", header="x,y",
                       comments="")

    p_exact = exact_p(x, args.perplexity)
    p_knn = knn_p(x, args.perplexity)
    rows = {}
    for name, y, wall in (("pairbench", y_pb, wall_pb), ("sklearn", y_sk, wall_sk)):
        rows[name] = {
            "seconds": wall,
            "kl_exact_p": kl_divergence(p_exact, y),
            "kl_knn_p": kl_divergence(p_knn, y),
            "trustworthiness": float(trustworthiness(x, y, n_neighbors=5)),
        }
    rows["pairbench"]["seconds_inside"] = result["seconds"]
    rows["pairbench"]["kl_reported"] = result["kl"]
    rows["sklearn"]["kl_reported"] = float(tsne.kl_divergence_)

    pb, sk = rows["pairbench"], rows["sklearn"]
    targets = {
        "kl": pb["kl_exact_p"] <= 1.03 * sk["kl_exact_p"],
        "trustworthiness": pb["trustworthiness"] >= sk["trustworthiness"] - 0.01,
        "speed": sk["seconds"] >= 5.0 * pb["seconds"],
    }

    if args.json:
        print(json.dumps({"n": args.n, "perplexity": args.perplexity,
                          "iterations": args.iterations, "sklearn_version": sklearn.__version__,
                          "results": rows, "targets_met": targets}, indent=2))
        return 0 if all(targets.values()) else 1

    print(f"t-SNE of {args.n} MNIST test digits (PCA to 50-d), perplexity {args.perplexity:g}, "
          f"{args.iterations} iterations, theta 0.5, {os.cpu_count()} CPUs")
    print(f"scikit-learn {sklearn.__version__}; pairbench-cli: {args.cli}\n")
    print(f"{'':24}{'pairbench':>12}{'sklearn':>12}")
    print(f"{'seconds (wall)':24}{pb['seconds']:12.2f}{sk['seconds']:12.2f}"
          f"   ({pb['seconds_inside']:.2f} s inside pairbench-cli)")
    print(f"{'KL, exact P':24}{pb['kl_exact_p']:12.4f}{sk['kl_exact_p']:12.4f}")
    print(f"{'KL, kNN P (k=3·perp.)':24}{pb['kl_knn_p']:12.4f}{sk['kl_knn_p']:12.4f}")
    print(f"{'KL, as reported':24}{pb['kl_reported']:12.4f}{sk['kl_reported']:12.4f}")
    print(f"{'trustworthiness (k=5)':24}{pb['trustworthiness']:12.4f}"
          f"{sk['trustworthiness']:12.4f}")
    print()
    print(f"KL (exact P) <= 1.03 x sklearn:      {'met' if targets['kl'] else 'NOT met'} "
          f"({pb['kl_exact_p'] / sk['kl_exact_p']:.3f} x)")
    met = "met" if targets["trustworthiness"] else "NOT met"
    print(f"trustworthiness >= sklearn - 0.01:   {met} "
          f"({pb['trustworthiness'] - sk['trustworthiness']:+.4f})")
    print(f"at least 5x faster:                  {'met' if targets['speed'] else 'NOT met'} "
          f"({sk['seconds'] / pb['seconds']:.1f}x)")
    return 0 if all(targets.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
