#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Runs the report's protocol (Table II) in PyTorch, to compare with the C core.

For round r = 0 .. R-1 with seed S = --seed + r, the pairs come from the C CLI

    $PAIRBENCH_CLI pairs --seed S --pairs N --test-pairs M --split train|test \\
        --out F.idx --labels L.idx

(images: float32 IDX [N, 2, 14, 14] on the 0-255 pooled scale; labels: ubyte IDX [N, 2], the
two digit classes), or, with --self-pairs, are drawn here from data/mnist/*.gz. Each model is
then trained the way the report says: inputs standardised with the training pairs' pixel mean
and std, one rotated copy of every training pair appended (each image turned by its own
uniform angle in +-A degrees, bilinear, about the centre, zero fill), Adam with lr 1e-3,
batches of 100, 25 epochs, reshuffled every epoch. The test error (eval mode) after the last
epoch and the digit error of the two 10-way outputs are reported as mean +- sample std over
the rounds.

Within a round every model gets the same pairs, rotations and batch order (torch seeded with
S); rounds run in parallel processes (--jobs), each on one thread.
"""

import argparse
import concurrent.futures
import json
import math
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import pairbench_torch as pbt  # noqa: E402

DEFAULT_MODELS = "stacked,stacked-aux,siamese,siamese-aux"
BATCH = 100
LR = 1e-3


# ---------------------------------------------------------------------------------------------
# Pairs

def mnist_pooled(data_dir, split):
    """(images [n, 14, 14] float32 on the 0-255 scale, labels [n] uint8): 2x2 average pool."""
    prefix = "train" if split == "train" else "t10k"
    images = pbt.read_idx(os.path.join(data_dir, f"{prefix}-images-idx3-ubyte.gz"))
    labels = pbt.read_idx(os.path.join(data_dir, f"{prefix}-labels-idx1-ubyte.gz"))
    x = images.astype(np.float32).reshape(-1, 14, 2, 14, 2).mean(axis=(2, 4))
    return x.astype(np.float32), labels.astype(np.uint8)


def self_pairs(mnist, seed, n, split):
    """Stand-in for the CLI: n pairs of distinct random images from one MNIST split."""
    images, labels = mnist[split]
    gen = torch.Generator().manual_seed(seed * 2 + (split == "test"))
    idx = torch.randperm(len(labels), generator=gen)[:2 * n].view(n, 2).numpy()
    return images[idx], labels[idx]


def make_round_files(args, r, workdir, mnist):
    """Writes round r's pair files; returns {'train': (x, labels), 'test': (x, labels)} paths."""
    seed = args.seed + r
    files = {}
    for split in ("train", "test"):
        out = os.path.join(workdir, f"r{r}-{split}-images.idx")
        lab = os.path.join(workdir, f"r{r}-{split}-labels.idx")
        if mnist is not None:
            n = args.pairs if split == "train" else args.test_pairs
            x, c = self_pairs(mnist, seed, n, split)
            pbt.write_idx(out, x)
            pbt.write_idx(lab, c)
        else:
            cmd = [args.cli, "pairs", "--seed", str(seed), "--pairs", str(args.pairs),
                   "--test-pairs", str(args.test_pairs), "--split", split,
                   "--out", out, "--labels", lab]
            res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            if res.returncode != 0:
                sys.exit(f"{' '.join(cmd)} failed ({res.returncode}):\n{res.stderr.strip()}")
        files[split] = (out, lab)
    return files


def load_pairs(files):
    x = torch.from_numpy(pbt.read_idx(files[0]).astype(np.float32))
    c = torch.from_numpy(pbt.read_idx(files[1]).astype(np.int64))
    if x.dim() != 4 or tuple(x.shape[1:]) != (2, 14, 14):
        raise ValueError(f"{files[0]}: shape {list(x.shape)}, expected [N, 2, 14, 14]")
    if tuple(c.shape) != (x.shape[0], 2):
        raise ValueError(f"{files[1]}: shape {list(c.shape)}, expected [{x.shape[0]}, 2]")
    return x, c


# ---------------------------------------------------------------------------------------------
# Augmentation

def rotate(images, degrees):
    """images [N, 1, H, W], degrees [N] -> each image turned about its centre.

    Positive angles turn counter-clockwise as displayed (row 0 at the top). Bilinear, zero
    fill. With align_corners=False the normalised origin is the pixel-grid centre, which for
    14x14 is pixel coordinate (6.5, 6.5). affine_grid maps output to input coordinates, so the
    matrix is the inverse rotation: in = (x cos - y sin, x sin + y cos), y pointing down.
    """
    rad = degrees * (math.pi / 180.0)
    cos, sin = torch.cos(rad), torch.sin(rad)
    zero = torch.zeros_like(rad)
    theta = torch.stack([torch.stack([cos, -sin, zero], 1),
                         torch.stack([sin, cos, zero], 1)], 1)
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros",
                         align_corners=False)


def augment(x, classes, max_degrees, gen):
    """Appends one rotated copy of every pair, each image with its own angle in +-max_degrees."""
    if max_degrees <= 0:
        return x, classes
    n = x.shape[0]
    angles = (torch.rand(n * 2, generator=gen) * 2 - 1) * max_degrees
    turned = rotate(x.reshape(n * 2, 1, 14, 14), angles).reshape(n, 2, 14, 14)
    return torch.cat([x, turned]), torch.cat([classes, classes])


# ---------------------------------------------------------------------------------------------
# One run

def run_one(task):
    """Trains one model on one round's pairs; returns a result dict."""
    torch.set_num_threads(1)
    name, r, seed, files, settings = task
    start = time.monotonic()
    train_x, train_c = load_pairs(files["train"])
    test_x, test_c = load_pairs(files["test"])

    # Statistics of the original training pairs, before augmentation (torch's std is the
    # sample std; over ~400k pixels the difference from the population std is negligible).
    mean = train_x.mean().item()
    std = train_x.std().item()

    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    # Rotate on the 0-255 scale so the zero fill is background, then standardise.
    train_x, train_c = augment(train_x, train_c, settings["augment"], gen)
    train_x = (train_x - mean) / std
    test_x = (test_x - mean) / std
    train_y = pbt.pair_labels(train_c)
    test_y = pbt.pair_labels(test_c)

    model = pbt.make_model(name)
    aux_weight = settings["aux_weight"] if model.aux else 0.0
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    n = train_x.shape[0]
    last_loss = float("nan")
    for _epoch in range(settings["epochs"]):
        model.train()
        perm = torch.randperm(n, generator=gen)
        for b in range(0, n, BATCH):
            idx = perm[b:b + BATCH]
            opt.zero_grad()
            total, _, _ = pbt.loss_fn(model(train_x[idx]), train_y[idx], train_c[idx],
                                      aux_weight)
            total.backward()
            opt.step()
            last_loss = total.item()

    model.eval()
    with torch.no_grad():
        out, d1, d2 = model(test_x)
        test_error = (out.argmax(1) != test_y).float().mean().item()
        digit_wrong = (d1.argmax(1) != test_c[:, 0]).sum() + (d2.argmax(1) != test_c[:, 1]).sum()
        digit_error = digit_wrong.item() / (2 * test_x.shape[0])
    return {
        "model": name,
        "round": r,
        "seed": seed,
        "params": pbt.count_params(model),
        "test_error": test_error,
        "digit_error": digit_error,
        "final_loss": last_loss,
        "input_mean": mean,
        "input_std": std,
        "seconds": time.monotonic() - start,
    }


# ---------------------------------------------------------------------------------------------

def summarise(models, runs):
    rows = []
    for name in models:
        mine = sorted((x for x in runs if x["model"] == name), key=lambda x: x["round"])
        errs = [x["test_error"] for x in mine]
        rows.append({
            "model": name,
            "params": mine[0]["params"],
            "rounds": len(mine),
            "test_error_mean": statistics.fmean(errs),
            "test_error_std": statistics.stdev(errs) if len(errs) > 1 else None,
            "digit_error_mean": statistics.fmean(x["digit_error"] for x in mine),
            "seconds_per_run": statistics.fmean(x["seconds"] for x in mine),
        })
    return rows


def print_table(rows, settings):
    print(f"PyTorch {torch.__version__}: {settings['rounds']} rounds, {settings['epochs']} epochs, "
          f"{settings['pairs']} train / {settings['test_pairs']} test pairs, "
          f"augment +-{settings['augment']} deg, aux weight {settings['aux_weight']}, "
          f"pairs from {settings['pairs_source']}")
    print(f"{'model':14s} {'params':>8s} {'test error':>16s} {'digit error':>12s} {'s/run':>8s}")
    for row in rows:
        std = row["test_error_std"]
        err = f"{row['test_error_mean']:.3f} ± " + ("-" if std is None else f"{std:.3f}")
        print(f"{row['model']:14s} {row['params']:8d} {err:>16s} "
              f"{row['digit_error_mean']:12.3f} {row['seconds_per_run']:8.1f}")
    print("(digit error of a model without the auxiliary loss measures outputs never trained "
          "on digits)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=DEFAULT_MODELS,
                        help=f"comma-separated, from {', '.join(pbt.MODEL_NAMES)}")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1, help="round r uses seed + r")
    parser.add_argument("--epochs", type=int, default=25)
    parser.add_argument("--augment", type=float, default=10.0,
                        help="rotation range in degrees (0: no augmentation)")
    parser.add_argument("--aux-weight", type=float, default=1.0)
    parser.add_argument("--pairs", type=int, default=1000)
    parser.add_argument("--test-pairs", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=2, help="parallel processes")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--cli", default=os.environ.get("PAIRBENCH_CLI"),
                        help="the Pairbench CLI (default: $PAIRBENCH_CLI, then pairbench-cli "
                             "on PATH)")
    parser.add_argument("--self-pairs", action="store_true",
                        help="draw the pairs here from MNIST instead of asking the CLI")
    parser.add_argument("--data-dir",
                        default=os.environ.get("PAIRBENCH_DATA_DIR",
                                               os.path.join(HERE, "..", "data", "mnist")))
    args = parser.parse_args()

    models = [m.strip() for m in args.models.split(",") if m.strip()]
    for m in models:
        pbt.parse_model_name(m)
    if args.rounds < 1 or args.epochs < 1 or args.jobs < 1:
        parser.error("--rounds, --epochs and --jobs must be positive")

    mnist = None
    if args.self_pairs:
        mnist = {s: mnist_pooled(args.data_dir, s) for s in ("train", "test")}
        source = "torch-study (--self-pairs)"
    else:
        args.cli = args.cli or shutil.which("pairbench-cli")
        if not args.cli or not os.path.exists(args.cli):
            parser.error("no Pairbench CLI: set PAIRBENCH_CLI or --cli, or use --self-pairs")
        source = args.cli

    settings = {
        "models": models, "rounds": args.rounds, "seed": args.seed, "epochs": args.epochs,
        "augment": args.augment, "aux_weight": args.aux_weight, "pairs": args.pairs,
        "test_pairs": args.test_pairs, "batch": BATCH, "lr": LR, "pairs_source": source,
        "torch": torch.__version__,
    }
    with tempfile.TemporaryDirectory(prefix="torch-study-") as workdir:
        tasks = []
        for r in range(args.rounds):
            files = make_round_files(args, r, workdir, mnist)
            tasks += [(m, r, args.seed + r, files, settings) for m in models]
        runs = []
        ctx = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(args.jobs, mp_context=ctx) as pool:
            for res in pool.map(run_one, tasks):
                runs.append(res)
                print(f"round {res['round']:2d} {res['model']:12s} "
                      f"test error {res['test_error']:.3f}  digit error "
                      f"{res['digit_error']:.3f}  {res['seconds']:.1f} s", file=sys.stderr)

    rows = summarise(models, runs)
    if args.json:
        json.dump({"settings": settings, "summary": rows, "runs": runs}, sys.stdout, indent=2)
        print()
    else:
        print_table(rows, settings)


if __name__ == "__main__":
    main()
