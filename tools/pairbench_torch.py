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


class Trunk(nn.Module):
    """One image (or the stacked pair) to n_out logits.

    in: [B, in_ch, 14, 14]; 14 -> conv1 13 -> pool 6 -> conv2 7 -> pool 3 -> conv3 4 -> pool 2.
    Each stage is conv -> batch norm -> 2x2 max-pool -> ReLU. fc1 and fc2 have no activation
    between them, as in the authors' code.
    """

    def __init__(self, in_ch, n_out):
        super().__init__()
        self.conv1 = nn.Conv2d(in_ch, 16, kernel_size=2, padding=0)
        self.bn1 = nn.BatchNorm2d(16)
        self.conv2 = nn.Conv2d(16, 64, kernel_size=2, padding=1)
        self.bn2 = nn.BatchNorm2d(64)
        self.conv3 = nn.Conv2d(64, 128, kernel_size=2, padding=1)
        self.bn3 = nn.BatchNorm2d(128)
        self.fc1 = nn.Linear(128 * 2 * 2, 64)
        self.fc2 = nn.Linear(64, n_out)

    def forward(self, x):
        x = F.relu(F.max_pool2d(self.bn1(self.conv1(x)), 2))
        x = F.relu(F.max_pool2d(self.bn2(self.conv2(x)), 2))
        x = F.relu(F.max_pool2d(self.bn3(self.conv3(x)), 2))
        x = x.flatten(1)
        return self.fc2(self.fc1(x))


class PairNet(nn.Module):
    """A pair [B, 2, 14, 14] to (out [B, 2], digits1 [B, 10], digits2 [B, 10]).

    kind 'siamese': one trunk applied to each image separately (so batch norm sees each image
    batch on its own and its running statistics move twice per forward); 'twin': one trunk
    per image, no sharing; 'stacked': one trunk on the 2-channel pair with 20 outputs.
    """

    def __init__(self, kind, aux=False):
        super().__init__()
        if kind not in ("siamese", "twin", "stacked"):
            raise ValueError(f"unknown model kind {kind!r}")
        self.kind = kind
        self.aux = aux
        if kind == "siamese":
            self.trunk = Trunk(1, 10)
        elif kind == "twin":
            self.trunk_a = Trunk(1, 10)
            self.trunk_b = Trunk(1, 10)
        else:
            self.trunk = Trunk(2, 20)
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
        out = self.head(torch.cat([d1, d2], 1))
        return out, d1, d2


def parse_model_name(name):
    """'siamese-aux' -> ('siamese', True)."""
    if name not in MODEL_NAMES:
        raise ValueError(f"unknown model {name!r}; expected one of {', '.join(MODEL_NAMES)}")
    kind, _, suffix = name.partition("-")
    return kind, suffix == "aux"


def count_params(model):
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def make_model(name):
    """A freshly initialised (PyTorch default init) model from one of MODEL_NAMES."""
    kind, aux = parse_model_name(name)
    model = PairNet(kind, aux)
    n = count_params(model)
    assert n == PARAM_COUNTS[kind], f"{name}: {n} parameters, expected {PARAM_COUNTS[kind]}"
    return model


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

    The model kind comes from metadata["model"]; the state dict must match exactly.
    """
    tensors, metadata = load_safetensors(path)
    if metadata.get("format") not in (None, "pairbench-1"):
        raise ValueError(f"{path}: format {metadata.get('format')!r}, expected 'pairbench-1'")
    if "model" not in metadata:
        raise ValueError(f"{path}: no 'model' in the metadata")
    model = make_model(metadata["model"])
    model.load_state_dict(tensors, strict=True)
    model.eval()
    return model, metadata


def standardise(x, metadata):
    """x on the 0-255 pooled scale -> (x - input_mean) / input_std, from the file's metadata."""
    mean = float(metadata["input_mean"])
    std = float(metadata["input_std"])
    return (x - mean) / std
