#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Greedy coordinate search for the "best" preset, on a validation split of the training pairs.

Every trial trains with `pairbench-cli train --val-pairs V`: the last V of the 1,000 training
pairs are held out, never trained on or augmented, and the score is the error on them. The test
pairs are evaluated by the CLI as always, but this script drops those numbers before it stores
or compares anything, so the test set cannot steer the search.

The search starts from the report's siamese-aux and walks the axes in a fixed order; on each axis
it tries every value (the others held at the current best) and keeps the best by the mean
validation error over the seeds, the validation digit error breaking ties. Trials over the budget
(75,000 parameters, checked with `train --dry-run`) are skipped. Three seeds are few, so the
greedy pass ends by retraining its leading trials on eight more seeds; the best over all eleven
is the preset. Results are cached in the log
file, so an interrupted search resumes where it stopped.

  /usr/bin/python3 tools/search-best.py --cli build/src/pairbench-cli --log docs/search-best.json
"""

import argparse
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

MAX_PARAMS = 75000
MAX_EPOCHS = 25

# The starting point is not the report's model but a prior from a few runs on validation
# splits (a shared trunk, the digit posterior, a kernel that keeps the 14×14 size, small batches
# and fresh augmentation); the search then moves one setting at a time from it.
START = {
    "model": "siamese-aux",
    "rule": "posterior",
    "batch": "25",
    "lr": "0.002",
    "schedule": "cosine",
    "weight-decay": "0.0001",
    "arch": "k3-32-64-64",
    "hidden-act": "relu",
    "dropout": "0.2",
    "augment": "10",
    "translate": "1",
    "swap": "on",
    "repair": "on",
    "aux-weight": "1",
    "scale": "0",
    "shear": "0",
}

# Trunk shapes: kernel, paddings, channel widths and fc1 width, kept as one axis because they
# only make sense together (the spatial sizes must stay >= 1 and the count under the budget).
ARCHS = {
    "report": ["--kernel", "2", "--padding", "0,1,1", "--channels", "16,64,128", "--hidden", "64"],
    "k3-32-64-64": ["--kernel", "3", "--padding", "1,1,1", "--channels", "32,64,64",
                    "--hidden", "96"],
    "k3-32-48-96": ["--kernel", "3", "--padding", "1,1,1", "--channels", "32,48,96",
                    "--hidden", "64"],
    "k5-16-32-64": ["--kernel", "5", "--padding", "2,2,2", "--channels", "16,32,64",
                    "--hidden", "96"],
    "k3-24-48-64-h128": ["--kernel", "3", "--padding", "1,1,1", "--channels", "24,48,64",
                         "--hidden", "128"],
}

AXES = [
    ("rule", ["head", "posterior", "both"]),
    ("arch", list(ARCHS)),
    ("hidden-act", ["none", "relu"]),
    ("batch", ["100", "50", "25", "10"]),
    ("lr", ["0.001", "0.002", "0.004"]),
    ("schedule", ["constant", "cosine"]),
    ("translate", ["0", "1", "2"]),
    ("augment", ["0", "10", "20"]),
    ("repair", ["off", "on"]),
    ("swap", ["off", "on"]),
    ("dropout", ["0", "0.2", "0.4"]),
    ("weight-decay", ["0", "0.0001", "0.001"]),
    ("aux-weight", ["0.5", "1", "2"]),
    ("model", ["siamese-aux", "twin-aux"]),
    # Added after the first pass, with the scale and shear augmentations; the first pass's
    # trials are reused from the log.
    ("scale", ["0", "0.1", "0.2"]),
    ("shear", ["0", "0.15", "0.3"]),
    ("augment", ["0", "10", "20"]),
    ("translate", ["0", "1", "2"]),
    ("dropout", ["0", "0.2", "0.4"]),
]
# Settings added later are left out of a trial's key at their default, so the log's earlier
# trials keep their keys.
LATER_DEFAULTS = {"scale": "0", "shear": "0"}


def cli_args(config):
    args = ["--model", config["model"], "--epochs", str(MAX_EPOCHS)]
    for key in ("rule", "batch", "lr", "schedule", "weight-decay", "hidden-act", "dropout",
                "augment", "translate", "aux-weight"):
        args += ["--" + key, config[key]]
    for key, default in LATER_DEFAULTS.items():
        if config.get(key, default) != default:
            args += ["--" + key, config[key]]
    args += ARCHS[config["arch"]]
    if config["swap"] == "on":
        args.append("--swap")
    if config["repair"] == "on":
        args.append("--repair")
    return args


def key_of(config):
    return json.dumps({k: v for k, v in config.items() if LATER_DEFAULTS.get(k) != v},
                      sort_keys=True)


def param_count(cli, config):
    out = subprocess.run([cli, "train", "--dry-run", "--json"] + cli_args(config),
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)["params"]


def trial(cli, config, seed, val_pairs):
    cmd = [cli, "train", "--json", "--eval-every", "0", "--val-pairs", str(val_pairs),
           "--seed", str(seed)] + cli_args(config)
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    out = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if out.returncode != 0:
        return {"seed": seed, "failed": out.stderr.strip().splitlines()[-1:]}
    result = json.loads(out.stdout)
    last = result["epochs"][-1]
    # Only validation numbers are kept: nothing measured on the test pairs reaches the search.
    return {"seed": seed, "val_error": last["val_error"], "val_digit_error": last["val_digit_error"],
            "train_seconds": result["train_seconds"]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cli", default="build/src/pairbench-cli")
    ap.add_argument("--log", default="search-best.json")
    ap.add_argument("--seeds", default="101,102,103",
                    help="training seeds of every trial (disjoint from the 20 rounds' 1-20)")
    ap.add_argument("--val-pairs", type=int, default=250)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--confirm-top", type=int, default=8,
                    help="after the greedy pass, retrain this many of the best trials")
    ap.add_argument("--confirm-seeds", default="104,105,106,107,108,109,110,111",
                    help="on these extra seeds, and keep the best over all seeds")
    opts = ap.parse_args()
    seeds = [int(s) for s in opts.seeds.split(",")]

    log = {"trials": {}}
    if os.path.exists(opts.log):
        with open(opts.log) as f:
            log = json.load(f)
    log["seeds"] = seeds
    log["val_pairs"] = opts.val_pairs

    def save():
        tmp = opts.log + ".tmp"
        with open(tmp, "w") as f:
            json.dump(log, f, indent=1, sort_keys=True)
        os.replace(tmp, opts.log)

    def evaluate(config):
        k = key_of(config)
        entry = log["trials"].get(k)
        if entry is None:
            params = param_count(opts.cli, config)
            entry = {"config": config, "params": params, "runs": []}
            if params <= MAX_PARAMS:
                with ThreadPoolExecutor(opts.jobs) as pool:
                    entry["runs"] = list(pool.map(
                        lambda s: trial(opts.cli, config, s, opts.val_pairs), seeds))
            log["trials"][k] = entry
            save()
        runs = [r for r in entry["runs"] if "val_error" in r]
        if entry["params"] > MAX_PARAMS or len(runs) < len(seeds):
            return None
        err = sum(r["val_error"] for r in runs) / len(runs)
        dig = sum(r["val_digit_error"] for r in runs) / len(runs)
        return (err, dig)

    best = dict(START)
    best_score = evaluate(best)
    print(f"start: val error {best_score[0]:.4f}, digit {best_score[1]:.4f}", flush=True)
    path = []
    for axis, values in AXES:
        for v in values:
            if v == best[axis]:
                continue
            cand = dict(best, **{axis: v})
            score = evaluate(cand)
            shown = "over budget or failed" if score is None else \
                f"val error {score[0]:.4f}, digit {score[1]:.4f}"
            print(f"  {axis}={v}: {shown}", flush=True)
            if score is not None and score < best_score:
                best, best_score = cand, score
        path.append({"axis": axis, "chosen": best[axis], "val_error": best_score[0],
                     "val_digit_error": best_score[1]})
        print(f"{axis} -> {best[axis]} (val error {best_score[0]:.4f}, "
              f"digit {best_score[1]:.4f})", flush=True)
    log["path"] = path

    # Three seeds of 250 validation pairs tell apart differences of about a point at best, and
    # the greedy pass keeps whichever trial drew lucky seeds. The leading trials are retrained
    # on more seeds, and the best over all of them wins.
    extra = [int(x) for x in opts.confirm_seeds.split(",")] if opts.confirm_top > 0 else []
    scored = []
    for entry in log["trials"].values():
        runs = [r for r in entry["runs"] if "val_error" in r]
        if entry["params"] <= MAX_PARAMS and len(runs) == len(seeds):
            scored.append((sum(r["val_error"] for r in runs) / len(runs),
                           sum(r["val_digit_error"] for r in runs) / len(runs), entry))
    scored.sort(key=lambda t: (t[0], t[1]))
    confirmed = []
    for err3, dig3, entry in scored[:opts.confirm_top]:
        config = entry["config"]
        have = {r["seed"] for r in entry.get("confirm", [])}
        missing = [x for x in extra if x not in have]
        if missing:
            with ThreadPoolExecutor(opts.jobs) as pool:
                entry.setdefault("confirm", []).extend(pool.map(
                    lambda x: trial(opts.cli, config, x, opts.val_pairs), missing))
            save()
        runs = [r for r in entry["runs"] + entry.get("confirm", []) if "val_error" in r]
        err = sum(r["val_error"] for r in runs) / len(runs)
        dig = sum(r["val_digit_error"] for r in runs) / len(runs)
        confirmed.append({"config": config, "seeds": len(runs), "val_error": err,
                          "val_digit_error": dig, "first_val_error": err3})
        print(f"confirm: val error {err:.4f}, digit {dig:.4f} over {len(runs)} seeds "
              f"(first {err3:.4f}): {' '.join(cli_args(config))}", flush=True)
    if confirmed:
        confirmed.sort(key=lambda c: (c["val_error"], c["val_digit_error"]))
        log["confirmed"] = confirmed
        best = confirmed[0]["config"]
        best_score = (confirmed[0]["val_error"], confirmed[0]["val_digit_error"])
    log["best"] = {"config": best, "args": cli_args(best), "val_error": best_score[0],
                   "val_digit_error": best_score[1]}
    save()
    print("best:", " ".join(cli_args(best)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
