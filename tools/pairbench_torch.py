# SPDX-License-Identifier: GPL-3.0-or-later
"""The Pairbench models in PyTorch, and readers for the files Pairbench writes.

This module is the reference the C core is tested against (tools/gen-fixtures.py) and
compared with (tools/torch-study.py). It also lets a user load a model that the app or the
CLI saved:

    from pairbench_torch import load_pairbench, standardise
    model, meta = load_pairbench("run.safetensors")
    out, d1, d2 = model(standardise(x, meta))   # x: [N, 2, 14, 14] on the 0-255 scale

It needs only numpy and torch (Debian's python3-torch is enough; the `safetensors` package is
optional and not used here).
"""

import collections
import gzip
import json
import math
import struct

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

MODEL_NAMES = (
    "siamese", "siamese-aux", "twin", "twin-aux", "stacked", "stacked-aux",
)

# Trainable parameters of each kind; make_model() checks them.
PARAM_COUNTS = {"siamese": 71076, "twin": 142110, "stacked": 71790}


# The report's trunk; PairNet's keyword options override these (the C core's PbArch).
DEFAULT_ARCH = {
    "kernel": 2,
    "channels": (16, 64, 128),
    "padding": (0, 1, 1),
    "hidden": 64,
    "hidden_act": "none",   # or "relu": fc1 -> ReLU -> fc2
    "batch_norm": True,     # False: conv -> max-pool -> ReLU, no bn* modules
    "dropout": 0.0,         # before fc2
    "rule": "head",         # or "posterior", "both" (see PairNet)
}


def trunk_side(kernel, padding):
    """Side of the last pooled map: each stage maps s to (s + 2p - k + 1) // 2."""
    side = 14
    for p in padding:
        conv = side + 2 * p - kernel + 1
        if conv < 2:
            raise ValueError(f"kernel {kernel} with padding {list(padding)} leaves a {conv}x{conv} "
                             "map, too small for the 2x2 pooling")
        side = conv // 2
    return side


class Trunk(nn.Module):
    """One image (or the stacked pair) to n_out logits.

    in: [B, in_ch, 14, 14]. With the report's defaults: 14 -> conv1 13 -> pool 6 -> conv2 7 ->
    pool 3 -> conv3 4 -> pool 2. Each stage is conv -> batch norm -> 2x2 max-pool -> ReLU (no
    batch norm when batch_norm is False). fc1 and fc2 have no activation between them, as in the
    authors' code, unless hidden_act is "relu".
    """

    def __init__(self, in_ch, n_out, kernel=2, channels=(16, 64, 128), padding=(0, 1, 1),
                 hidden=64, hidden_act="none", batch_norm=True, dropout=0.0):
        super().__init__()
        if hidden_act not in ("none", "relu"):
            raise ValueError(f"unknown hidden activation {hidden_act!r}")
        self.batch_norm = batch_norm
        self.hidden_act = hidden_act
        widths = (in_ch,) + tuple(channels)
        for i in range(3):
            setattr(self, f"conv{i + 1}", nn.Conv2d(widths[i], widths[i + 1],
                                                    kernel_size=kernel, padding=padding[i]))
            if batch_norm:
                setattr(self, f"bn{i + 1}", nn.BatchNorm2d(widths[i + 1]))
        side = trunk_side(kernel, padding)
        self.fc1 = nn.Linear(channels[2] * side * side, hidden)
        self.drop = nn.Dropout(dropout)
        self.fc2 = nn.Linear(hidden, n_out)

    def forward(self, x):
        for i in range(1, 4):
            x = getattr(self, f"conv{i}")(x)
            if self.batch_norm:
                x = getattr(self, f"bn{i}")(x)
            x = F.relu(F.max_pool2d(x, 2))
        x = self.fc1(x.flatten(1))
        if self.hidden_act == "relu":
            x = F.relu(x)
        return self.fc2(self.drop(x))


def digit_posterior_logp(d1, d2):
    """[log P(first <= second), log P(first > second)] as [B, 2] from two [B, 10] digit logits.

    P(first > second) = sum_{i>j} p1(i) p2(j), p = softmax; each event is its own logsumexp.
    """
    t = F.log_softmax(d1, 1)[:, :, None] + F.log_softmax(d2, 1)[:, None, :]  # [B, i, j]
    greater = torch.ones(10, 10, dtype=torch.bool, device=d1.device).tril(-1)  # i > j
    lp1 = torch.logsumexp(t.masked_fill(~greater, float("-inf")).flatten(1), 1)
    lp0 = torch.logsumexp(t.masked_fill(greater, float("-inf")).flatten(1), 1)
    return torch.stack([lp0, lp1], 1)


def digit_posterior(d1, d2):
    """P(first digit > second digit) [B] from two [B, 10] digit logits."""
    return digit_posterior_logp(d1, d2)[:, 1].exp()


class PairNet(nn.Module):
    """A pair [B, 2, 14, 14] to (out [B, 2], digits1 [B, 10], digits2 [B, 10]).

    kind 'siamese': one trunk applied to each image separately (so batch norm sees each image
    batch on its own and its running statistics move twice per forward); 'twin': one trunk
    per image, no sharing; 'stacked': one trunk on the 2-channel pair with 20 outputs.

    rule 'head': out = head(cat(digits1, digits2)), the report's learned Linear(20, 2);
    'posterior': out = [log P(first <= second), log P(first > second)] from the two digit
    softmaxes (no head module); 'both': out = log of the average of softmax(head(...)) and the
    posterior. In every case softmax(out) is the rule's probabilities, so CE(out, label) is the
    negative log-likelihood. The other keywords are Trunk's (see DEFAULT_ARCH).
    """

    def __init__(self, kind, aux=False, rule="head", **trunk_options):
        super().__init__()
        if kind not in ("siamese", "twin", "stacked"):
            raise ValueError(f"unknown model kind {kind!r}")
        if rule not in ("head", "posterior", "both"):
            raise ValueError(f"unknown decision rule {rule!r}")
        self.kind = kind
        self.aux = aux
        self.rule = rule
        if kind == "siamese":
            self.trunk = Trunk(1, 10, **trunk_options)
        elif kind == "twin":
            self.trunk_a = Trunk(1, 10, **trunk_options)
            self.trunk_b = Trunk(1, 10, **trunk_options)
        else:
            self.trunk = Trunk(2, 20, **trunk_options)
        if rule != "posterior":
            self.head = nn.Linear(20, 2)

    def forward(self, x):
        if self.kind == "siamese":
            d1 = self.trunk(x[:, 0:1])
            d2 = self.trunk(x[:, 1:2])
        elif self.kind == "twin":
            d1 = self.trunk_a(x[:, 0:1])
            d2 = self.trunk_b(x[:, 1:2])
        else:
            o = self.trunk(x)
            d1 = o[:, :10]
            d2 = o[:, 10:]
        if self.rule == "head":
            out = self.head(torch.cat([d1, d2], 1))
        elif self.rule == "posterior":
            out = digit_posterior_logp(d1, d2)
        else:
            lh = F.log_softmax(self.head(torch.cat([d1, d2], 1)), 1)
            out = torch.logaddexp(lh, digit_posterior_logp(d1, d2)) - math.log(2.0)
        return out, d1, d2


def parse_model_name(name):
    """'siamese-aux' -> ('siamese', True)."""
    if name not in MODEL_NAMES:
        raise ValueError(f"unknown model {name!r}; expected one of {', '.join(MODEL_NAMES)}")
    kind, _, suffix = name.partition("-")
    return kind, suffix == "aux"


def count_params(model):
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def _is_default(key, value):
    default = DEFAULT_ARCH[key]
    return tuple(value) == default if isinstance(default, tuple) else value == default


def make_model(name, **options):
    """A freshly initialised (PyTorch default init) model from one of MODEL_NAMES, with
    optional architecture options (the keys of DEFAULT_ARCH)."""
    kind, aux = parse_model_name(name)
    unknown = set(options) - set(DEFAULT_ARCH)
    if unknown:
        raise ValueError(f"unknown architecture options {sorted(unknown)}")
    arch = dict(DEFAULT_ARCH, **options)
    rule = arch.pop("rule")
    arch["channels"] = tuple(arch["channels"])
    arch["padding"] = tuple(arch["padding"])
    model = PairNet(kind, aux, rule=rule, **arch)
    if all(_is_default(k, v) for k, v in options.items()):
        n = count_params(model)
        assert n == PARAM_COUNTS[kind], f"{name}: {n} parameters, expected {PARAM_COUNTS[kind]}"
    return model


def arch_from_settings(settings):
    """The DEFAULT_ARCH keys found in a Pairbench settings dict (absent keys: the defaults)."""
    return {k: (tuple(settings[k]) if isinstance(DEFAULT_ARCH[k], tuple) else settings[k])
            for k in DEFAULT_ARCH if k in settings}


def pair_labels(classes):
    """classes: [N, 2] integer digits -> labels [N] (1 when the first digit is larger)."""
    return (classes[:, 0] > classes[:, 1]).long()


def loss_fn(outputs, labels, classes, aux_weight=0.0):
    """Returns (total, main, aux).

    outputs: (out, d1, d2) from PairNet.forward; labels: [B] long; classes: [B, 2] long.
    main = CE(out, labels); aux = CE(d1, classes[:,0]) + CE(d2, classes[:,1]) (unweighted, always
    computed); total = main + aux_weight * aux, or main alone when aux_weight is 0 (the non-aux
    models: pass aux_weight = 0 for them).
    """
    out, d1, d2 = outputs
    main = F.cross_entropy(out, labels)
    aux = F.cross_entropy(d1, classes[:, 0]) + F.cross_entropy(d2, classes[:, 1])
    total = main + aux_weight * aux if aux_weight != 0 else main
    return total, main, aux


# ---------------------------------------------------------------------------------------------
# IDX files: big-endian, magic 0x00 0x00 <type> <ndim>, ndim big-endian u32 dims, then data.

_IDX_TYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def read_idx(path):
    """An IDX file (plain or .gz) as a numpy array in native byte order."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise ValueError(f"{path}: not an IDX file (bad magic)")
    code, ndim = data[2], data[3]
    if code not in _IDX_TYPES:
        raise ValueError(f"{path}: unknown IDX type 0x{code:02x}")
    dims = struct.unpack(f">{ndim}I", data[4:4 + 4 * ndim])
    dtype = _IDX_TYPES[code]
    start = 4 + 4 * ndim
    count = int(np.prod(dims, dtype=np.int64))
    if len(data) - start != count * dtype.itemsize:
        raise ValueError(f"{path}: {len(data) - start} data bytes, expected "
                         f"{count * dtype.itemsize} for dims {list(dims)}")
    arr = np.frombuffer(data, dtype=dtype, count=count, offset=start).reshape(dims)
    return arr.astype(dtype.newbyteorder("="))


def write_idx(path, array):
    """Writes a numpy array (uint8 -> type 0x08, float32 -> 0x0D, ...) as IDX."""
    array = np.asarray(array)
    for code, dtype in _IDX_TYPES.items():
        if array.dtype.kind == dtype.kind and array.dtype.itemsize == dtype.itemsize:
            break
    else:
        raise ValueError(f"no IDX type for {array.dtype}")
    with open(path, "wb") as f:
        f.write(bytes([0, 0, code, array.ndim]))
        f.write(struct.pack(f">{array.ndim}I", *array.shape))
        f.write(np.ascontiguousarray(array, dtype=dtype).tobytes())


# ---------------------------------------------------------------------------------------------
# safetensors: u64 little-endian header length N, N bytes of JSON header
# {name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {str: str}},
# then the data buffer (offsets are relative to its start, little-endian data).

_ST_DTYPES = {
    "F64": (np.dtype("<f8"), torch.float64),
    "F32": (np.dtype("<f4"), torch.float32),
    "F16": (np.dtype("<f2"), torch.float16),
    "BF16": (np.dtype("<i2"), torch.bfloat16),  # read as raw 16-bit, then reinterpreted
    "I64": (np.dtype("<i8"), torch.int64),
    "I32": (np.dtype("<i4"), torch.int32),
    "I16": (np.dtype("<i2"), torch.int16),
    "I8": (np.dtype("i1"), torch.int8),
    "U8": (np.dtype("u1"), torch.uint8),
    "BOOL": (np.dtype("u1"), torch.bool),
}


def load_safetensors(path):
    """Returns (OrderedDict name -> torch.Tensor, metadata dict) from a .safetensors file.

    Tensors keep the header's order. Only numpy and torch are needed.
    """
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError(f"{path}: too short for a safetensors file")
    (n,) = struct.unpack("<Q", data[:8])
    if n > len(data) - 8:
        raise ValueError(f"{path}: header length {n} runs past the end of the file")
    header = json.loads(data[8:8 + n].decode("utf-8"),
                        object_pairs_hook=collections.OrderedDict)
    buffer = memoryview(data)[8 + n:]
    metadata = dict(header.pop("__metadata__", None) or {})
    tensors = collections.OrderedDict()
    for name, info in header.items():
        dtype_name = info["dtype"]
        if dtype_name not in _ST_DTYPES:
            raise ValueError(f"{path}: tensor {name!r} has unsupported dtype {dtype_name}")
        np_dtype, torch_dtype = _ST_DTYPES[dtype_name]
        shape = [int(d) for d in info["shape"]]
        begin, end = (int(o) for o in info["data_offsets"])
        count = int(np.prod(shape, dtype=np.int64))
        if end - begin != count * np_dtype.itemsize or end > len(buffer) or begin > end:
            raise ValueError(f"{path}: tensor {name!r} offsets [{begin}, {end}] do not fit "
                             f"dtype {dtype_name} shape {shape} in a {len(buffer)}-byte buffer")
        arr = np.frombuffer(buffer[begin:end], dtype=np_dtype, count=count).astype(
            np_dtype.newbyteorder("="))
        t = torch.from_numpy(arr.reshape(shape))
        if torch_dtype == torch.bfloat16:
            t = t.view(torch.bfloat16)
        elif torch_dtype == torch.bool:
            t = t.to(torch.bool)
        tensors[name] = t
    return tensors, metadata


def save_safetensors(path, tensors, metadata=None):
    """Writes a dict of tensors as .safetensors (the layout the C core writes), for tests."""
    header = collections.OrderedDict()
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    blobs = []
    offset = 0
    for name, t in tensors.items():
        t = t.detach().cpu().contiguous()
        dtype_name = next((k for k, (_, td) in _ST_DTYPES.items()
                           if td == t.dtype and k not in ("BF16", "BOOL")), None)
        if dtype_name is None:
            raise ValueError(f"tensor {name!r}: dtype {t.dtype} is not supported here")
        blob = t.numpy().astype(_ST_DTYPES[dtype_name][0]).tobytes()
        header[name] = {"dtype": dtype_name, "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    raw += b" " * (-len(raw) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for blob in blobs:
            f.write(blob)


def load_pairbench(path):
    """(model in eval mode, metadata) from a Pairbench .safetensors file.

    The model kind comes from metadata["model"] and the architecture options from
    metadata["settings"] (files without them get the report's trunk); the state dict must
    match exactly.
    """
    tensors, metadata = load_safetensors(path)
    if metadata.get("format") not in (None, "pairbench-1"):
        raise ValueError(f"{path}: format {metadata.get('format')!r}, expected 'pairbench-1'")
    if "model" not in metadata:
        raise ValueError(f"{path}: no 'model' in the metadata")
    settings = json.loads(metadata.get("settings", "{}"))
    model = make_model(metadata["model"], **arch_from_settings(settings))
    model.load_state_dict(tensors, strict=True)
    model.eval()
    return model, metadata


def standardise(x, metadata):
    """x on the 0-255 pooled scale -> (x - input_mean) / input_std, from the file's metadata."""
    mean = float(metadata["input_mean"])
    std = float(metadata["input_std"])
    return (x - mean) / std
