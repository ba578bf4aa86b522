"""Test-only oracle for tests/conformance/safetensors.test.ts: reads and writes safetensors files
with the reference `safetensors` library (PyTorch flavour) and prints what it saw as JSON.

Usage:
  safetensors_oracle.py write DIR        writes DIR/single.safetensors, DIR/i64big.safetensors and
                                         a sharded checkpoint in DIR/sharded, prints their contents
  safetensors_oracle.py read PATH...     reads each file (or checkpoint directory with an index)
                                         and prints its metadata and tensors

Tensors are printed as {"dtype": "F32", "shape": [...], "values": [...]}, values flattened in
row-major order; floats exactly (float64 of the stored value), non-finite floats as the strings
"nan", "inf", "-inf"; bools as 0/1."""
import json
import math
import os
import sys

import torch
from safetensors import safe_open
from safetensors.torch import save_file

NAMES = {
    torch.float32: "F32",
    torch.float16: "F16",
    torch.bfloat16: "BF16",
    torch.int8: "I8",
    torch.uint8: "U8",
    torch.int32: "I32",
    torch.int64: "I64",
    torch.bool: "BOOL",
}


def number(v):
    if isinstance(v, float) and not math.isfinite(v):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
    return v


def describe(t):
    flat = t.reshape(-1)
    if t.dtype.is_floating_point:
        values = [number(v) for v in flat.to(torch.float64).tolist()]
    elif t.dtype == torch.bool:
        values = [int(v) for v in flat.tolist()]
    else:
        values = flat.tolist()
    return {"dtype": NAMES[t.dtype], "shape": list(t.shape), "values": values}


def read_file(path):
    with safe_open(path, framework="pt") as f:
        meta = f.metadata() or {}
        tensors = {k: describe(f.get_tensor(k)) for k in f.keys()}
    return meta, tensors


def read(paths):
    result = {}
    for p in paths:
        if os.path.isdir(p):
            with open(os.path.join(p, "model.safetensors.index.json"), encoding="utf-8") as fh:
                index = json.load(fh)
            tensors = {}
            for shard in sorted(set(index["weight_map"].values())):
                _, t = read_file(os.path.join(p, shard))
                tensors.update(t)
            result[p] = {"metadata": index.get("metadata", {}), "weight_map": index["weight_map"], "tensors": tensors}
        else:
            meta, tensors = read_file(p)
            result[p] = {"metadata": meta, "tensors": tensors}
    json.dump(result, sys.stdout)


def write(d):
    single = {
        "f32": torch.tensor([[0.0, -0.0, 1.5, -2.25], [1e30, 1e-40, 3.4028234663852886e38, -7.0]], dtype=torch.float32),
        "f16": (torch.arange(-8, 8, dtype=torch.float32) * 0.3).to(torch.float16).reshape(4, 4),
        "bf16": torch.tensor([1.0, -0.0, 3.14159, 1e38, -1e-39, 65504.0, 0.1], dtype=torch.float32).to(torch.bfloat16),
        "i8": torch.arange(-128, 128, 16, dtype=torch.int8),
        "u8": torch.arange(0, 256, 17, dtype=torch.uint8),
        "i32": torch.tensor([-(2**31), -1, 0, 2**31 - 1], dtype=torch.int32),
        "i64": torch.tensor([-(2**31), -5, 0, 2**31 - 1], dtype=torch.int64),
        "mask": torch.tensor([[True, False, True], [False, False, True]]),
        "empty": torch.zeros((0, 3), dtype=torch.float32),
        "scalar": torch.tensor(2.5, dtype=torch.float32),
        "model.layers.0.self_attn.q_proj.weight": torch.linspace(-1, 1, 24, dtype=torch.float32).reshape(4, 6).to(torch.bfloat16),
    }
    save_file(single, os.path.join(d, "single.safetensors"), metadata={"format": "pt", "note": "caf\u00e9"})
    save_file({"ids": torch.tensor([1, 2**40], dtype=torch.int64)}, os.path.join(d, "i64big.safetensors"))

    # A sharded checkpoint laid out as Hugging Face does: shards plus an index with a weight_map.
    shard_dir = os.path.join(d, "sharded")
    os.makedirs(shard_dir, exist_ok=True)
    shards = {
        "model-00001-of-00002.safetensors": {
            "a.weight": torch.linspace(-2, 2, 12, dtype=torch.float32).reshape(3, 4),
            "a.bias": torch.tensor([0.5, -0.5, 0.25], dtype=torch.float16),
        },
        "model-00002-of-00002.safetensors": {
            "b.weight": torch.linspace(0, 1, 6, dtype=torch.float32).to(torch.bfloat16).reshape(2, 3),
            "b.ids": torch.tensor([3, 1, 4, 1, 5], dtype=torch.int64),
        },
    }
    weight_map = {}
    total = 0
    for fname, ts in shards.items():
        save_file(ts, os.path.join(shard_dir, fname), metadata={"format": "pt"})
        for k, t in ts.items():
            weight_map[k] = fname
            total += t.numel() * t.element_size()
    with open(os.path.join(shard_dir, "model.safetensors.index.json"), "w", encoding="utf-8") as fh:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, fh, indent=2, sort_keys=True)

    sharded = {k: describe(t) for ts in shards.values() for k, t in ts.items()}
    json.dump({
        "single": {"metadata": {"format": "pt", "note": "caf\u00e9"}, "tensors": {k: describe(t) for k, t in single.items()}},
        "sharded": {"metadata": {"total_size": total}, "tensors": sharded},
    }, sys.stdout)


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "write":
        write(sys.argv[2])
    elif len(sys.argv) >= 3 and sys.argv[1] == "read":
        read(sys.argv[2:])
    else:
        sys.exit(__doc__)
