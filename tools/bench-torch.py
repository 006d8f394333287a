#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pairbench against PyTorch, side by side, on one thread each.

For every model the script alternates (A B A B ...) a Pairbench run,

    pairbench-cli bench train --models M --epochs E --pairs N --seed S --json

and the same training in PyTorch (tools/pairbench_torch.py, torch.set_num_threads(1)): the same
pairs (exported with `pairbench-cli pairs`), standardised with the training pairs' mean and std,
no augmentation, Adam lr 1e-3, batches of 100, reshuffled every epoch. PyTorch's time is its
training loop alone (forward, loss, backward, optimiser step), as Pairbench's train_seconds
excludes evaluation. It prints medians and the ratio PyTorch / Pairbench per model, and both in
GFLOP/s by the count `bench train` prints, against the sgemm ceiling `bench train` measures.

With --study it also times `pairbench-cli bench study` (4 models x R rounds on all cores) and
compares it with PyTorch's single-thread time for the same study, taken as R x the sum over the
four models of the median PyTorch run (training plus one final test evaluation, as
tools/torch-study.py does), measured above. Like PyTorch's, each Pairbench run of the study
evaluates once, after its last epoch (it evaluates the training pairs too);
--study-eval-every 1 times it with the app's evaluation after every epoch instead.

Run it with Debian's python3-torch:  /usr/bin/python3 tools/bench-torch.py --cli build/src/pairbench-cli
To measure another OpenBLAS kernel, set it for this command alone; both programs then use it
(PyTorch's linear layers call OpenBLAS; its convolutions run in oneDNN, which picks its own ISA):
    OPENBLAS_CORETYPE=Haswell /usr/bin/python3 tools/bench-torch.py --cli build/src/pairbench-cli
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import pairbench_torch as pbt  # noqa: E402

ALL_MODELS = "siamese,siamese-aux,twin,twin-aux,stacked,stacked-aux"
STUDY_MODELS = ("stacked", "stacked-aux", "siamese", "siamese-aux")
BATCH = 100
LR = 1e-3


def run(cmd):
    res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if res.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({res.returncode}):\n{res.stderr.strip()}")
    return res.stdout


def export_pairs(cli, workdir, seed, pairs, test_pairs):
    files = {}
    for split in ("train", "test"):
        out = os.path.join(workdir, f"{split}-images.idx")
        lab = os.path.join(workdir, f"{split}-labels.idx")
        run([cli, "pairs", "--seed", str(seed), "--pairs", str(pairs), "--test-pairs",
             str(test_pairs), "--split", split, "--out", out, "--labels", lab])
        x = torch.from_numpy(pbt.read_idx(out).astype(np.float32))
        c = torch.from_numpy(pbt.read_idx(lab).astype(np.int64))
        files[split] = (x, c)
    return files


def torch_run(name, data, epochs, seed):
    """(training-loop seconds, final test evaluation seconds, CPU seconds of both) of one
    PyTorch run."""
    train_x, train_c = data["train"]
    test_x, test_c = data["test"]
    mean, std = train_x.mean().item(), train_x.std().item()
    train_x = (train_x - mean) / std
    test_x = (test_x - mean) / std
    train_y, test_y = pbt.pair_labels(train_c), pbt.pair_labels(test_c)

    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    model = pbt.make_model(name)
    aux_weight = 1.0 if model.aux else 0.0
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    n = train_x.shape[0]

    model.train()
    cpu_start = time.process_time()
    start = time.perf_counter()
    for _epoch in range(epochs):
        perm = torch.randperm(n, generator=gen)
        for b in range(0, n, BATCH):
            idx = perm[b:b + BATCH]
            opt.zero_grad()
            total, _, _ = pbt.loss_fn(model(train_x[idx]), train_y[idx], train_c[idx], aux_weight)
            total.backward()
            opt.step()
    train_seconds = time.perf_counter() - start

    model.eval()
    start = time.perf_counter()
    with torch.no_grad():
        out, _, _ = model(test_x)
        (out.argmax(1) != test_y).float().mean().item()
    return train_seconds, time.perf_counter() - start, time.process_time() - cpu_start


def pairbench_run(cli, name, epochs, pairs, seed):
    out = run([cli, "bench", "train", "--models", name, "--epochs", str(epochs), "--pairs",
               str(pairs), "--seed", str(seed), "--json"])
    j = json.loads(out)
    m = j["models"][0]
    return (m["train_seconds"], m["gflop"], j["ceiling_gflops"], j["peak_rss_mb"],
            j.get("blas_core", "?"), m["inference_pairs_per_second"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cli", default=os.environ.get("PAIRBENCH_CLI"),
                        help="pairbench-cli (default: $PAIRBENCH_CLI, then PATH)")
    parser.add_argument("--models", default=ALL_MODELS)
    parser.add_argument("--repeat", type=int, default=3, help="A/B pairs per model")
    parser.add_argument("--epochs", type=int, default=25)
    parser.add_argument("--pairs", type=int, default=1000)
    parser.add_argument("--test-pairs", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--study", action="store_true",
                        help="also time `bench study` against PyTorch's single-thread study")
    parser.add_argument("--rounds", type=int, default=20, help="study rounds (default 20)")
    parser.add_argument("--study-eval-every", type=int, default=0,
                        help="Pairbench study: evaluate after every Nth epoch (default 0: the "
                        "last only, as PyTorch's study)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    args.cli = args.cli or shutil.which("pairbench-cli")
    if not args.cli or not os.path.exists(args.cli):
        parser.error("no pairbench-cli: pass --cli or set PAIRBENCH_CLI")
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    if args.study:
        models += [m for m in STUDY_MODELS if m not in models]
    torch.set_num_threads(1)

    with tempfile.TemporaryDirectory(prefix="bench-torch-") as workdir:
        data = export_pairs(args.cli, workdir, args.seed, args.pairs, args.test_pairs)
    torch_run("siamese", {k: (v[0][:200], v[1][:200]) for k, v in data.items()}, 1, args.seed)

    rows = []
    ceilings, rss, cores = [], [], set()
    for name in models:
        pb_times, torch_times, torch_evals, torch_cpus, infer = [], [], [], [], []
        gflop = None
        for rep in range(args.repeat):
            t, gflop, ceiling, peak, core, inf = pairbench_run(args.cli, name, args.epochs,
                                                               args.pairs, args.seed)
            pb_times.append(t)
            cores.add(core)
            infer.append(inf)
            ceilings.append(ceiling)
            rss.append(peak)
            tt, te, tc = torch_run(name, data, args.epochs, args.seed)
            torch_times.append(tt)
            torch_evals.append(te)
            torch_cpus.append(tc)
            print(f"{name:12s} #{rep + 1}: pairbench {t:6.3f} s   pytorch {tt:6.3f} s",
                  file=sys.stderr)
        rows.append({"model": name, "gflop": gflop,
                     "pairbench_seconds": statistics.median(pb_times),
                     "pytorch_seconds": statistics.median(torch_times),
                     "pytorch_eval_seconds": statistics.median(torch_evals),
                     "pytorch_cpu_seconds": statistics.median(torch_cpus),
                     "pairbench_inference_pairs_per_second": statistics.median(infer),
                     "pairbench_runs": pb_times, "pytorch_runs": torch_times})

    ceiling = statistics.median(ceilings)
    for r in rows:
        r["ratio"] = r["pytorch_seconds"] / r["pairbench_seconds"]
        r["pairbench_gflops"] = r["gflop"] / r["pairbench_seconds"]
        r["pytorch_gflops"] = r["gflop"] / r["pytorch_seconds"]

    study = None
    if args.study:
        out = run([args.cli, "bench", "study", "--rounds", str(args.rounds), "--epochs",
                   str(args.epochs), "--pairs", str(args.pairs), "--seed", str(args.seed),
                   "--eval-every", str(args.study_eval_every), "--json"])
        s = json.loads(out)
        by_name = {r["model"]: r for r in rows}
        torch_study = args.rounds * sum(by_name[m]["pytorch_seconds"]
                                        + by_name[m]["pytorch_eval_seconds"]
                                        for m in STUDY_MODELS)
        torch_cpu = args.rounds * sum(by_name[m]["pytorch_cpu_seconds"] for m in STUDY_MODELS)
        study = {"pairbench_wall_seconds": s["wall_seconds"], "jobs": s["jobs"],
                 "pairbench_cpu_seconds": s["cpu_seconds"],
                 "pytorch_single_thread_cpu_seconds": torch_cpu,
                 "cpu_fraction": s["cpu_seconds"] / s["jobs"] / torch_cpu,
                 "pairbench_eval_every": s["eval_every"],
                 "pairbench_peak_rss_mb": s["peak_rss_mb"],
                 "rounds": args.rounds, "pytorch_single_thread_seconds": torch_study,
                 "fraction": s["wall_seconds"] / torch_study}

    load = os.getloadavg()
    if args.json:
        json.dump({"torch": torch.__version__, "ceiling_gflops": ceiling,
                   "blas_core": ",".join(sorted(cores)),
                   "peak_rss_mb": max(rss), "loadavg": load, "models": rows, "study": study},
                  sys.stdout, indent=2)
        print()
        return

    print(f"PyTorch {torch.__version__} (1 thread) vs Pairbench (1 thread): {args.epochs} epochs, "
          f"{args.pairs} pairs, batch {BATCH}, no augmentation; medians of {args.repeat} "
          f"interleaved runs")
    print(f"OpenBLAS core {','.join(sorted(cores))}; "
          f"sgemm ceiling {ceiling:.1f} GFLOP/s (single thread, 2048^3); load average "
          f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"{'model':12s} {'GFLOP':>6s} {'Pairbench s':>11s} {'PyTorch s':>10s} {'ratio':>6s} "
          f"{'PB GFLOP/s':>10s} {'PB ceil':>7s} {'PT GFLOP/s':>10s} {'PT ceil':>7s} "
          f"{'PB inf pairs/s':>14s}")
    for r in rows:
        print(f"{r['model']:12s} {r['gflop']:6.1f} {r['pairbench_seconds']:11.3f} "
              f"{r['pytorch_seconds']:10.3f} {r['ratio']:5.2f}x {r['pairbench_gflops']:10.1f} "
              f"{100 * r['pairbench_gflops'] / ceiling:6.0f}% {r['pytorch_gflops']:10.1f} "
              f"{100 * r['pytorch_gflops'] / ceiling:6.0f}% "
              f"{r['pairbench_inference_pairs_per_second']:14.0f}")
    print(f"Pairbench peak RSS {max(rss):.1f} MB")
    if study:
        print(f"study ({len(STUDY_MODELS)} models x {study['rounds']} rounds): Pairbench "
              f"{study['pairbench_wall_seconds']:.1f} s on {study['jobs']} threads; PyTorch "
              f"single-thread {study['pytorch_single_thread_seconds']:.1f} s (rounds x median "
              f"runs above) -> {study['fraction']:.3f} of PyTorch's time")
        print(f"  by CPU time, as on {study['jobs']} free cores: Pairbench "
              f"{study['pairbench_cpu_seconds']:.1f} s / {study['jobs']} against PyTorch "
              f"{study['pytorch_single_thread_cpu_seconds']:.1f} s -> {study['cpu_fraction']:.3f}")
        every = study["pairbench_eval_every"]
        print("  Pairbench evaluates " + ("after every epoch" if every == 1 else
              "after the last epoch only" if every == 0 or every >= args.epochs else
              f"after every {every} epochs and the last") +
              f"; study peak RSS {study['pairbench_peak_rss_mb']:.1f} MB; load average now "
              + " ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
