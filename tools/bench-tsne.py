#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Runs `pairbench-cli tsne` with each --method beside scikit-learn's Barnes-Hut TSNE.

Data: the first N MNIST digits of the shipped data, the 10,000 test digits first and then the
60,000 training digits (so N = 70000 is all of MNIST), pixels / 255, reduced to 50 dimensions
by PCA. Every run gets perplexity 30, 1000 iterations, PCA init, learning rate "auto" and one
thread (OMP_NUM_THREADS=1, OPENBLAS_NUM_THREADS=1, pairbench-cli --threads 1); theta 0.5 for
Barnes-Hut.

Every map is scored the same way:
  - KL(P || Q) with the sparse P (the k = 3 * perplexity exact nearest neighbours, Gaussian
    conditionals calibrated to the perplexity, symmetrised) and Q exact over all pairs: for the
    pairbench maps by `pairbench-cli tsne --kl-exact` (after the timing), for scikit-learn's in
    numpy, in blocks; at N <= 5000 numpy also scores the pairbench maps, which checks that both
    evaluations agree. This is the headline KL.
  - At N <= 5000, the same with the exact P (every other point a neighbour), for reference.
  - Trustworthiness at k = 5 against the 50-d input: sklearn.manifold.trustworthiness up to
    N = 5000; above, the same formula in blocks, over a seeded sample of 10,000 query points
    (the ranks still over all N points).

Seconds are the wall time of the whole pairbench-cli process, file I/O included, and of
scikit-learn's fit_transform; "cpu" is the process's user + system time, which a loaded
machine inflates less.

Usage: tools/bench-tsne.py [--cli build/src/pairbench-cli] [--n 2000] [--methods bh,fft]
                           [--sklearn auto|yes|no] [--json]
"""

import os

# One thread for numpy's BLAS and scikit-learn's OpenMP; before numpy is imported.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import gzip
import inspect
import json
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np


def load_images(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    magic, count, rows, cols = np.frombuffer(raw, ">u4", count=4, offset=0)
    if magic != 2051:
        sys.exit(f"{path}: expected an idx3 image file, found magic {magic}")
    return np.frombuffer(raw, np.uint8, count=count * rows * cols, offset=16).reshape(
        count, rows * cols)


def load_digits(data_dir, n):
    parts = []
    for name in ("t10k-images-idx3-ubyte.gz", "train-images-idx3-ubyte.gz"):
        if sum(len(p) for p in parts) >= n:
            break
        parts.append(load_images(os.path.join(data_dir, name)))
    images = np.concatenate(parts)
    if n > len(images):
        sys.exit(f"{data_dir}: expected at least {n} MNIST digits, found {len(images)}")
    return images[:n].astype(np.float64) / 255.0


def pca(x, dims):
    centred = x - x.mean(axis=0)
    _, vectors = np.linalg.eigh(centred.T @ centred)
    return (centred @ vectors[:, ::-1][:, :dims]).astype(np.float32)


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


BLOCK = 1000


def knn_p_sparse(x, perplexity):
    """The kNN P as (rows, cols, values), in blocks of rows."""
    n = len(x)
    k = min(n - 1, int(3 * perplexity))
    x = x.astype(np.float64)
    sq = (x * x).sum(axis=1)
    idx = np.empty((n, k), np.int64)
    dist = np.empty((n, k))
    for start in range(0, n, BLOCK):
        stop = min(n, start + BLOCK)
        d = sq[start:stop, None] + sq[None, :] - 2.0 * x[start:stop] @ x.T
        np.maximum(d, 0.0, out=d)
        d[np.arange(stop - start), np.arange(start, stop)] = np.inf
        part = np.argpartition(d, k, axis=1)[:, :k]
        idx[start:stop] = part
        dist[start:stop] = np.take_along_axis(d, part, axis=1)
    cond = calibrate(dist, perplexity)
    rows = np.repeat(np.arange(n), k)
    cols = idx.ravel()
    from scipy.sparse import coo_matrix
    c = coo_matrix((cond.ravel(), (rows, cols)), shape=(n, n)).tocsr()
    p = ((c + c.T) / (2.0 * n)).tocoo()
    return p.row, p.col, p.data


def kl_sparse(p, y):
    """KL(P || Q) with the sparse P and Q's normaliser over all pairs, in blocks."""
    rows, cols, vals = p
    y = y.astype(np.float64)
    sq = (y * y).sum(axis=1)
    z = 0.0
    for start in range(0, len(y), BLOCK):
        stop = min(len(y), start + BLOCK)
        d = sq[start:stop, None] + sq[None, :] - 2.0 * y[start:stop] @ y.T
        np.maximum(d, 0.0, out=d)
        z += (1.0 / (1.0 + d)).sum() - (stop - start)  # the diagonal, d = 0
    d2 = ((y[rows] - y[cols]) ** 2).sum(axis=1)
    return float((vals * np.log(vals)).sum() + (vals * np.log1p(d2)).sum() + np.log(z))


def trustworthiness_blocks(x, y, k=5, queries=10000, seed=0):
    """sklearn's trustworthiness formula, over a sample of query points when N > queries."""
    n = len(x)
    rng = np.random.default_rng(seed)
    sample = np.arange(n) if n <= queries else np.sort(rng.choice(n, queries, replace=False))
    x = x.astype(np.float64)
    y = y.astype(np.float64)
    sqx, sqy = (x * x).sum(axis=1), (y * y).sum(axis=1)
    penalty = 0.0
    for start in range(0, len(sample), BLOCK):
        q = sample[start:start + BLOCK]
        dx = sqx[q, None] + sqx[None, :] - 2.0 * x[q] @ x.T
        dy = sqy[q, None] + sqy[None, :] - 2.0 * y[q] @ y.T
        dx[np.arange(len(q)), q] = -np.inf  # each point is its own rank 0
        dy[np.arange(len(q)), q] = np.inf
        ny = np.argpartition(dy, k, axis=1)[:, :k]
        dxn = np.take_along_axis(dx, ny, axis=1)
        # The 1-based rank in the input of each embedding neighbour: the points closer than it,
        # the query itself (at -inf) standing for the 1.
        ranks = (dx[:, :, None] < dxn[:, None, :]).sum(axis=1)
        penalty += np.maximum(ranks - k, 0).sum()
    m = len(sample)
    return float(1.0 - penalty * 2.0 / (m * k * (2.0 * n - 3.0 * k - 1.0)))


def cpu_children():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_pairbench(cli, npy, out_csv, method, args):
    cmd = [cli, "tsne", "--input", npy, "--out", out_csv, "--perplexity", str(args.perplexity),
           "--iterations", str(args.iterations), "--seed", str(args.seed), "--method", method,
           "--threads", "1", "--kl-exact", "--json"]
    cpu = cpu_children()
    started = time.perf_counter()
    done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - started
    cpu = cpu_children() - cpu
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr}")
    result = json.loads(done.stdout)
    y = np.loadtxt(out_csv, delimiter=",", skiprows=1, dtype=np.float64)
    return y, wall, cpu, result


def run_sklearn(x, args):
    from sklearn.manifold import TSNE

    iters = "max_iter" if "max_iter" in inspect.signature(TSNE).parameters else "n_iter"
    tsne = TSNE(n_components=2, perplexity=args.perplexity, init="pca", learning_rate="auto",
                method="barnes_hut", angle=0.5, random_state=args.seed, n_jobs=1,
                **{iters: args.iterations})
    started = time.perf_counter()
    cpu = time.process_time()
    y = tsne.fit_transform(x)
    return y.astype(np.float64), time.perf_counter() - started, time.process_time() - cpu, tsne


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    default_cli = os.path.join(root, "build", "src", "pairbench-cli")
    parser.add_argument("--cli", default=os.environ.get("PAIRBENCH_CLI", default_cli))
    parser.add_argument("--data", default=os.environ.get("PAIRBENCH_DATA_DIR",
                                                         os.path.join(root, "data", "mnist")))
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--methods", default="bh,fft",
                        help="pairbench-cli --method values, comma-separated (default bh,fft)")
    parser.add_argument("--sklearn", choices=("auto", "yes", "no"), default="auto",
                        help="run scikit-learn too; auto: up to N = 20000 (default)")
    parser.add_argument("--perplexity", type=float, default=30.0)
    parser.add_argument("--iterations", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", metavar="DIR", help="keep the input and the maps in DIR")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()

    import sklearn
    from sklearn.manifold import trustworthiness

    methods = [m for m in args.methods.split(",") if m]
    with_sklearn = args.sklearn == "yes" or (args.sklearn == "auto" and args.n <= 20000)
    x = pca(load_digits(args.data, args.n), 50)
    small = args.n <= 5000
    maps, rows = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or tmp
        os.makedirs(folder, exist_ok=True)
        npy = os.path.join(folder, f"digits{args.n}-pca50.npy")
        np.save(npy, x)
        for method in methods:
            y, wall, cpu, result = run_pairbench(
                args.cli, npy, os.path.join(folder, f"pairbench-{method}-{args.n}.csv"), method,
                args)
            maps[method] = y
            rows[method] = {"seconds": wall, "cpu_seconds": cpu,
                            "seconds_inside": result["seconds"], "kl": result["kl_exact"],
                            "kl_reported": result["kl"], "method_used": result["method"]}
        if with_sklearn:
            y, wall, cpu, tsne = run_sklearn(x, args)
            maps["sklearn"] = y
            rows["sklearn"] = {"seconds": wall, "cpu_seconds": cpu,
                               "kl_reported": float(tsne.kl_divergence_)}
            if args.keep:
                np.savetxt(os.path.join(folder, f"sklearn-{args.n}.csv"), y, delimiter=",",
                           header="x,y", comments="")

    p_knn = knn_p_sparse(x, args.perplexity) if (with_sklearn or small) else None
    p_exact = exact_p(x, args.perplexity) if small else None
    for name, y in maps.items():
        row = rows[name]
        if p_knn is not None and (name == "sklearn" or small):
            row["kl_numpy"] = kl_sparse(p_knn, y)
        if name == "sklearn":
            row["kl"] = row["kl_numpy"]
        if p_exact is not None:
            row["kl_exact_p"] = kl_divergence(p_exact, y)
        row["trustworthiness"] = (float(trustworthiness(x, y, n_neighbors=5)) if small
                                  else trustworthiness_blocks(x, y, 5))

    if args.json:
        print(json.dumps({"n": args.n, "perplexity": args.perplexity,
                          "iterations": args.iterations, "sklearn_version": sklearn.__version__,
                          "cpus": os.cpu_count(), "load_average": os.getloadavg(),
                          "results": rows}, indent=2))
        return 0

    names = list(maps)
    print(f"t-SNE of {args.n} MNIST digits (PCA to 50-d), perplexity {args.perplexity:g}, "
          f"{args.iterations} iterations, one thread; {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.1f} at the end")
    print(f"scikit-learn {sklearn.__version__}; pairbench-cli: {args.cli}\n")
    print(f"{'':28}" + "".join(f"{n:>12}" for n in names))

    def line(label, key, fmt):
        cells = "".join(f"{format(rows[n][key], fmt):>12}" if key in rows[n] else f"{'':>12}"
                        for n in names)
        print(f"{label:28}{cells}")

    line("seconds (wall)", "seconds", ".2f")
    line("cpu seconds", "cpu_seconds", ".2f")
    line("KL, kNN P, exact Q", "kl", ".4f")
    line("  (the same, numpy)", "kl_numpy", ".4f")
    line("KL, exact P", "kl_exact_p", ".4f")
    line("KL, as reported", "kl_reported", ".4f")
    line("trustworthiness (k=5)", "trustworthiness", ".4f")
    if "sklearn" in rows:
        sk = rows["sklearn"]
        print()
        for n in names:
            if n != "sklearn":
                print(f"{n}: {sk['seconds'] / rows[n]['seconds']:.1f}x scikit-learn's speed "
                      f"(wall), KL {rows[n]['kl'] / sk['kl']:.3f}x, trustworthiness "
                      f"{rows[n]['trustworthiness'] - sk['trustworthiness']:+.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
