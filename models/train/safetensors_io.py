# SPDX-License-Identifier: Apache-2.0
"""Minimal safetensors writer/reader (format: github.com/huggingface/safetensors, README "Format").

Debian 12 packages no Python safetensors module, so the trainer writes the format itself:
8-byte little-endian header length N, N bytes of JSON header
{"__metadata__": {...}, name: {"dtype", "shape", "data_offsets": [begin, end]}, ...},
then the data section, tensors stored contiguously in header order, little-endian, row-major.
"""

import json
import os
import struct

import numpy as np
import torch

_DTYPES = {
    torch.float32: ("F32", np.float32),
    torch.int32: ("I32", np.int32),
    torch.int8: ("I8", np.int8),
    torch.float16: ("F16", np.float16),
}
_NP = {"F32": np.float32, "I32": np.int32, "I8": np.int8, "F16": np.float16, "I64": np.int64}


def save(tensors, path, metadata=None):
    """Write {name: tensor} to `path` atomically (temporary file, then rename)."""
    header = {"__metadata__": dict(metadata or {"format": "pt"})}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous().cpu()
        if t.dtype not in _DTYPES:
            raise ValueError(f"{name}: dtype {t.dtype} not supported by this writer")
        tag, npt = _DTYPES[t.dtype]
        raw = t.numpy().astype(npt, copy=False).tobytes(order="C")
        header[name] = {"dtype": tag, "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        blobs.append(raw)
    hjson = json.dumps(header, separators=(",", ":")).encode()
    hjson += b" " * ((-len(hjson)) % 8)          # pad so the data section is 8-aligned
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(hjson)))
        f.write(hjson)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def load(path):
    """Read a safetensors file written by `save` (or by HF) into {name: torch tensor}."""
    with open(path, "rb") as f:
        buf = f.read()
    (n,) = struct.unpack("<Q", buf[:8])
    header = json.loads(buf[8:8 + n])
    data = buf[8 + n:]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        arr = np.frombuffer(data[b:e], dtype=_NP[info["dtype"]]).reshape(info["shape"])
        out[name] = torch.from_numpy(arr.copy())
    return out
