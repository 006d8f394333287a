#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks that weights written by `pairbench-cli train --weights` load into the PyTorch module
(strict) and predict what `pairbench-cli predict` predicts, on the run's own test pairs.

    /usr/bin/python3 tools/check-torch-predict.py [--cli build/src/pairbench-cli] [--epochs 3]
        [--train-args "<more train options, e.g. the architecture's>"]

The PyTorch model is built from the architecture in the file's settings (kernel, channels,
padding, hidden, hidden_act, batch_norm, rule), so any architecture the CLI can train is
checked the same way.
"""

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pairbench_torch as pt  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cli", default=os.environ.get("PAIRBENCH_CLI", "build/src/pairbench-cli"))
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--models", default="siamese,siamese-aux,twin,twin-aux,stacked,stacked-aux")
    ap.add_argument("--train-args", default="",
                    help="extra options for 'pairbench-cli train' (one shell-quoted string)")
    args = ap.parse_args()

    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        images = os.path.join(tmp, "test.idx")
        classes = os.path.join(tmp, "classes.idx")
        subprocess.run([args.cli, "pairs", "--seed", str(args.seed), "--split", "test",
                        "--out", images, "--labels", classes], check=True,
                       stderr=subprocess.DEVNULL)
        x = torch.from_numpy(pt.read_idx(images).astype(np.float32))
        for name in args.models.split(","):
            weights = os.path.join(tmp, name + ".safetensors")
            run = json.loads(subprocess.run(
                [args.cli, "train", "--model", name, "--epochs", str(args.epochs),
                 "--seed", str(args.seed), "--weights", weights, "--json"]
                + shlex.split(args.train_args),
                check=True, capture_output=True, text=True).stdout)
            pred = json.loads(subprocess.run(
                [args.cli, "predict", "--weights", weights, "--input", images,
                 "--labels", classes, "--json"],
                check=True, capture_output=True, text=True).stdout)
            model, meta = pt.load_pairbench(weights)  # strict: every state_dict name must match
            with torch.no_grad():
                out, d1, d2 = model(pt.standardise(x, meta))
            labels = (out[:, 1] > out[:, 0]).long().numpy()
            prob = torch.softmax(out.double(), 1)[:, 1].numpy()
            digits = np.stack([d1.argmax(1).numpy(), d2.argmax(1).numpy()], 1)
            same_labels = int((labels == np.array(pred["predictions"])).sum())
            same_digits = int((digits == np.array(pred["digits"])).all(1).sum())
            diff = float(np.abs(prob - np.array(pred["probabilities"])).max())
            worst = max(worst, diff)
            print(f"{name:12s} run test error {run['test_error']:.4f}  predict {pred['error']:.4f}"
                  f"  torch agrees on {same_labels}/{len(labels)} labels, {same_digits}/"
                  f"{len(labels)} digit pairs, max |ΔP| {diff:.2e}")
            if same_labels != len(labels) or run["test_error"] != pred["error"]:
                sys.exit(f"{name}: PyTorch and pairbench-cli disagree")
    print(f"all models agree; worst probability difference {worst:.2e}")


if __name__ == "__main__":
    main()
