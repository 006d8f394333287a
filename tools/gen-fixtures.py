#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Writes the PyTorch reference fixtures the C core's tests compare against.

For each of the six models, and for the non-default architectures in EXTRA, this writes
tests/fixtures/<name>.pbfx: a batch of 8 pairs, the
initial parameters, the training-mode forward outputs, losses, gradients and updated batch-norm
running statistics, the eval-mode outputs after that forward, and the losses of 5 Adam steps.
The format is described in tests/fixtures/README.md. Regenerate with

    python3 tools/gen-fixtures.py [--out-dir tests/fixtures]

The output is deterministic (float32, one thread, fixed seeds); the script builds every file
twice and fails if the two builds differ.
"""

import argparse
import copy
import os
import struct
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pairbench_torch as pbt  # noqa: E402

BATCH = 8
SEED_BASE = 1234
AUX_WEIGHT = 0.7   # not 1, so that a missing multiply shows
ADAM_STEPS = 5

# Fixtures of non-default architectures: (file name, model name, PairNet options). The C test
# (tests/test-model.c) builds the same PbArch for each file name.
EXTRA = (
    ("siamese-k3-both", "siamese-aux",
     {"kernel": 3, "padding": (1, 1, 1), "channels": (32, 48, 64), "hidden": 96,
      "hidden_act": "relu", "rule": "both"}),
    ("stacked-nobn-posterior", "stacked",
     {"batch_norm": False, "rule": "posterior"}),
    ("twin-k5-nobn-posterior", "twin-aux",
     {"kernel": 5, "padding": (2, 2, 2), "channels": (8, 16, 32), "hidden": 32,
      "hidden_act": "relu", "batch_norm": False, "rule": "posterior"}),
)


def encode_pbfx(tensors):
    """tensors: list of (name, float32 tensor) -> the bytes of a PBFX file."""
    parts = [b"PBFX", struct.pack("<II", 1, len(tensors))]
    for name, t in tensors:
        t = t.detach().to(torch.float32).contiguous()
        raw_name = name.encode("utf-8")
        parts.append(struct.pack("<I", len(raw_name)))
        parts.append(raw_name)
        parts.append(struct.pack("<I", t.dim()))
        parts.append(struct.pack(f"<{t.dim()}I", *t.shape))
        parts.append(t.numpy().astype("<f4").tobytes())
    return b"".join(parts)


def decode_pbfx(data):
    """The inverse of encode_pbfx, for the self-check: list of (name, tensor)."""
    assert data[:4] == b"PBFX"
    version, count = struct.unpack_from("<II", data, 4)
    assert version == 1
    pos = 12
    out = []
    for _ in range(count):
        (n,) = struct.unpack_from("<I", data, pos)
        pos += 4
        name = data[pos:pos + n].decode("utf-8")
        pos += n
        (ndim,) = struct.unpack_from("<I", data, pos)
        pos += 4
        dims = struct.unpack_from(f"<{ndim}I", data, pos)
        pos += 4 * ndim
        count_f = 1
        for d in dims:
            count_f *= d
        t = torch.frombuffer(bytearray(data[pos:pos + 4 * count_f]), dtype=torch.float32)
        pos += 4 * count_f
        out.append((name, t.reshape(dims)))
    assert pos == len(data), "trailing bytes"
    return out


def make_batch(gen):
    x = torch.randn(BATCH, 2, 14, 14, generator=gen)
    classes = torch.randint(0, 10, (BATCH, 2), generator=gen)
    # Both labels and a tie (label 0 by the rule "1 when the first digit is larger").
    classes[0] = torch.tensor([4, 4])
    classes[1] = torch.tensor([7, 3])
    classes[2] = torch.tensor([2, 5])
    return x, classes


def randomise_bn(model, gen):
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            with torch.no_grad():
                m.weight.copy_(torch.rand(m.weight.shape, generator=gen) + 0.5)
                m.bias.copy_(torch.randn(m.bias.shape, generator=gen) * 0.1)


def count_pool_ties(model, x):
    """Max-pool windows whose maximum is not unique in a training forward (diagnostic)."""
    ties = []

    def hook(_module, _inp, out):
        h, w = out.shape[2] // 2 * 2, out.shape[3] // 2 * 2
        win = out[:, :, :h, :w].unfold(2, 2, 2).unfold(3, 2, 2).reshape(*out.shape[:2], -1, 4)
        mx = win.max(-1, keepdim=True).values
        ties.append(int(((win == mx).sum(-1) > 1).sum()))

    model = copy.deepcopy(model)
    # the pooling's input: the batch norm's output, or the convolution's without batch norm
    pool_input = (torch.nn.BatchNorm2d if any(isinstance(m, torch.nn.BatchNorm2d)
                                              for m in model.modules()) else torch.nn.Conv2d)
    handles = [m.register_forward_hook(hook) for m in model.modules()
               if isinstance(m, pool_input)]
    with torch.no_grad():
        model.train()
        model(x)
    for h in handles:
        h.remove()
    return sum(ties)


def build(index, name, options):
    """(list of (name, tensor), diagnostics dict) for one model."""
    torch.manual_seed(SEED_BASE + index)
    gen = torch.Generator().manual_seed(SEED_BASE + index)
    model = pbt.make_model(name, **options)  # default init draws from the global generator
    randomise_bn(model, gen)
    x, classes = make_batch(gen)
    labels = pbt.pair_labels(classes)
    aux_weight = AUX_WEIGHT if model.aux else 0.0
    initial = copy.deepcopy(model)

    tensors = [
        ("input", x),
        ("classes", classes.float()),
        ("labels", labels.float()),
        ("aux_weight", torch.tensor([aux_weight])),
    ]
    if options:
        # Only in the newer files, so that the six default ones keep their bytes.
        tensors.append(("param_count", torch.tensor([float(pbt.count_params(model))])))
    state = model.state_dict()
    for key, value in state.items():
        if not key.endswith("num_batches_tracked"):
            tensors.append(("param." + key, value.clone()))

    model.train()
    model.zero_grad()
    outputs = model(x)
    total, main, aux = pbt.loss_fn(outputs, labels, classes, aux_weight)
    total.backward()
    tensors += [
        ("out.main", outputs[0]),
        ("out.digits1", outputs[1]),
        ("out.digits2", outputs[2]),
        ("loss.main", main.reshape(1)),
        ("loss.aux", aux.reshape(1)),
        ("loss.total", total.reshape(1)),
    ]
    for key, p in model.named_parameters():
        tensors.append(("grad." + key, p.grad))
    for key, value in model.state_dict().items():
        if key.endswith("running_mean") or key.endswith("running_var"):
            tensors.append(("after." + key, value.clone()))

    model.eval()
    with torch.no_grad():
        ev = model(x)
    tensors += [("eval.main", ev[0]), ("eval.digits1", ev[1]), ("eval.digits2", ev[2])]

    fresh = copy.deepcopy(initial)
    fresh.train()
    opt = torch.optim.Adam(fresh.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
    losses = []
    for _ in range(ADAM_STEPS):
        opt.zero_grad()
        step_total, _, _ = pbt.loss_fn(fresh(x), labels, classes, aux_weight)
        losses.append(step_total.item())
        step_total.backward()
        opt.step()
    tensors.append(("adam.losses", torch.tensor(losses, dtype=torch.float32)))

    diag = {
        "loss": total.item(),
        "adam": losses,
        "pool_ties": count_pool_ties(initial, x),
        "labels": labels.tolist(),
    }
    return tensors, diag


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    here = os.path.dirname(os.path.abspath(__file__))
    parser.add_argument("--out-dir", default=os.path.join(here, "..", "tests", "fixtures"))
    args = parser.parse_args()

    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    torch.set_default_dtype(torch.float32)
    os.makedirs(args.out_dir, exist_ok=True)

    total_bytes = 0
    jobs = [(name, name, {}) for name in pbt.MODEL_NAMES] + list(EXTRA)
    for index, (file_name, name, options) in enumerate(jobs):
        tensors, diag = build(index, name, options)
        data = encode_pbfx(tensors)
        again, _ = build(index, name, options)
        if encode_pbfx(again) != data:
            sys.exit(f"{file_name}: two builds differ; the fixture would not be reproducible")
        decoded = decode_pbfx(data)
        assert [n for n, _ in decoded] == [n for n, _ in tensors]
        assert all(torch.equal(a, b.detach().float()) for (_, a), (_, b) in zip(decoded, tensors))
        path = os.path.join(args.out_dir, file_name + ".pbfx")
        with open(path, "wb") as f:
            f.write(data)
        total_bytes += len(data)
        adam = " ".join(f"{v:.5f}" for v in diag["adam"])
        print(f"{file_name:22s} {len(data):8d} bytes  {len(tensors):3d} tensors  "
              f"loss {diag['loss']:.5f}  adam {adam}  pool ties {diag['pool_ties']}")
    print(f"total {total_bytes} bytes")


if __name__ == "__main__":
    main()
