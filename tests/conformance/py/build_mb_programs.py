"""Builds ML programs from @fastvlm's op set with coremltools' own MIL builder (`mb`), saves
them as .mlpackage files, and computes each program's output for a fixed input with
numpy/torch reference implementations, for the lifting test of @fastvlm/emit-coreml (our reader
+ liftProgram + our interpreter must reproduce these outputs).

The default pass pipeline is disabled (ct.PassPipeline.EMPTY) so each program is saved as built.

Usage: build_mb_programs.py OUT_DIR
Prints: {"packages": [{"name", "path", "target", "opTypes", "inputs": {name: {shape, data}},
          "outputs": {name: {shape, data}}}]}
"""
import json
import os
import sys
import warnings

warnings.filterwarnings("ignore")

import logging  # noqa: E402

logging.disable(logging.CRITICAL)

import numpy as np  # noqa: E402
import torch  # noqa: E402

import coremltools as ct  # noqa: E402
from coremltools.converters.mil import Builder as mb  # noqa: E402
from coremltools.converters.mil.mil import types  # noqa: E402


def det(shape, scale=1.0, offset=0.0):
    """Deterministic values in about [-scale, scale]."""
    n = int(np.prod(shape))
    return ((np.arange(n, dtype=np.float64) * 0.7548776662 + offset) % 2.0 - 1.0).reshape(shape).astype(np.float32) * scale


def tensor_json(a):
    a = np.asarray(a, dtype=np.float64)
    return {"shape": list(a.shape), "data": a.flatten().tolist()}


def save(prog, target, path):
    model = ct.convert(
        prog,
        convert_to="mlprogram",
        minimum_deployment_target=target,
        pass_pipeline=ct.PassPipeline.EMPTY,
        skip_model_load=True,
    )
    model.save(path)
    spec = model.get_spec()
    f = spec.mlProgram.functions["main"]
    return [op.type for op in f.block_specializations[f.opset].operations]


def gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))


def mlp(out_dir):
    """linear -> gelu(tanh) -> layer_norm -> linear(no bias) -> softmax."""
    x = det((2, 8))
    w1, b1 = det((16, 8), 0.5, 0.1), det((16,), 0.2, 0.3)
    g, beta = det((16,), 1.0, 0.5) + 1.0, det((16,), 0.1, 0.7)
    w2 = det((4, 16), 0.5, 0.9)

    @mb.program(input_specs=[mb.TensorSpec(shape=(2, 8))], opset_version=ct.target.iOS17)
    def prog(x):
        h = mb.linear(x=x, weight=w1, bias=b1, name="fc1")
        h = mb.gelu(x=h, mode="TANH_APPROXIMATION", name="act")
        h = mb.layer_norm(x=h, axes=[-1], gamma=g, beta=beta, epsilon=1e-5, name="ln")
        h = mb.linear(x=h, weight=w2, name="fc2")
        return mb.softmax(x=h, axis=-1, name="probs")

    h = x @ w1.T + b1
    h = gelu_tanh(h)
    mu = h.mean(-1, keepdims=True)
    var = ((h - mu) ** 2).mean(-1, keepdims=True)
    h = (h - mu) / np.sqrt(var + 1e-5) * g + beta
    h = h @ w2.T
    e = np.exp(h - h.max(-1, keepdims=True))
    y = e / e.sum(-1, keepdims=True)
    return "mlp", prog, ct.target.iOS17, {"x": x}, {"probs": y}


def conv_block(out_dir):
    """conv (same, stride 2, bias) -> silu -> avg_pool -> reduce_mean over H, W."""
    x = det((1, 3, 8, 8))
    w = det((4, 3, 3, 3), 0.4, 0.2)
    b = det((4,), 0.1, 0.4)

    @mb.program(input_specs=[mb.TensorSpec(shape=(1, 3, 8, 8))], opset_version=ct.target.iOS16)
    def prog(x):
        h = mb.conv(x=x, weight=w, bias=b, strides=[2, 2], pad_type="same", name="conv")
        h = mb.silu(x=h, name="act")
        h = mb.avg_pool(x=h, kernel_sizes=[2, 2], strides=[1, 1], pad_type="valid", name="pool")
        return mb.reduce_mean(x=h, axes=[2, 3], keep_dims=False, name="pooled")

    t = torch.from_numpy(x)
    h = torch.nn.functional.conv2d(t, torch.from_numpy(w), torch.from_numpy(b), stride=2, padding=(0, 0))
    # "same" with stride 2 on 8x8 and a 3x3 kernel: output 4x4, total padding 1, extra at the end.
    h = torch.nn.functional.conv2d(torch.nn.functional.pad(t, (0, 1, 0, 1)), torch.from_numpy(w), torch.from_numpy(b), stride=2)
    h = torch.nn.functional.silu(h)
    h = torch.nn.functional.avg_pool2d(h, 2, stride=1)
    y = h.mean(dim=(2, 3)).numpy()
    return "conv_block", prog, ct.target.iOS16, {"x": x}, {"pooled": y}


def attention(out_dir):
    """The ANE attention einsum, a mask from band_part, softmax, and the value product."""
    q = det((1, 4, 2, 3))  # [B, C, H, Q]
    k = det((1, 5, 2, 4), 1.0, 0.3)  # [B, K, H, C]
    v = det((1, 4, 2, 5), 1.0, 0.6)  # [B, C, H, K]
    ones = np.ones((5, 3), dtype=np.float32)

    @mb.program(
        input_specs=[mb.TensorSpec(shape=(1, 4, 2, 3)), mb.TensorSpec(shape=(1, 5, 2, 4)), mb.TensorSpec(shape=(1, 4, 2, 5))],
        opset_version=ct.target.iOS18,
    )
    def prog(q, k, v):
        s = mb.einsum(values=(k, q), equation="bkhc,bchq->bkhq", name="scores")
        m = mb.band_part(x=ones, lower=0, upper=-1, name="mask")
        m = mb.reshape(x=m, shape=[1, 5, 1, 3], name="mask4")
        s = mb.mul(x=s, y=m, name="masked")
        w = mb.softmax(x=s, axis=1, name="weights")
        vt = mb.transpose(x=v, perm=[0, 2, 1, 3], name="vt")  # [B, H, C, K]
        wt = mb.transpose(x=w, perm=[0, 2, 1, 3], name="wt")  # [B, H, K, Q]
        o = mb.matmul(x=vt, y=wt, name="ctx")  # [B, H, C, Q]
        return mb.reshape(x=o, shape=[1, 2 * 4 * 3], name="out")

    s = np.einsum("bkhc,bchq->bkhq", k, q)
    s = s * np.triu(ones).reshape(1, 5, 1, 3)
    e = np.exp(s - s.max(1, keepdims=True))
    w = e / e.sum(1, keepdims=True)
    o = np.matmul(v.transpose(0, 2, 1, 3), w.transpose(0, 2, 1, 3))
    return "attention", prog, ct.target.iOS18, {"q": q, "k": k, "v": v}, {"out": o.reshape(1, 24)}


def data_movement(out_dir):
    """slice_by_index with masks, gather, concat, split, pad, expand_dims, squeeze, tile-free ops."""
    x = det((4, 6))
    table = det((5, 3), 2.0, 0.1)
    idx = np.array([4, 0, 2], dtype=np.int32)

    @mb.program(input_specs=[mb.TensorSpec(shape=(4, 6))], opset_version=ct.target.iOS15)
    def prog(x):
        s = mb.slice_by_index(x=x, begin=[1, 0], end=[3, 5], stride=[1, 2], begin_mask=[False, True], end_mask=[False, True], name="sl")
        g = mb.gather(x=table, indices=idx, axis=0, name="g")
        g = mb.transpose(x=g, perm=[1, 0], name="gt")
        c = mb.concat(values=(s, g), axis=0, interleave=False, name="cat")
        a, b = mb.split(x=c, split_sizes=[1, 2], axis=1, name="parts")
        p = mb.pad(x=a, pad=[1, 0, 0, 2], mode="constant", constant_val=0.5, name="padded")
        e = mb.expand_dims(x=b, axes=[0], name="ex")
        e = mb.squeeze(x=e, axes=[0], name="sq")
        r = mb.reduce_sum(x=e, axes=[1], keep_dims=True, name="rs")
        return p, mb.sub(x=e, y=r, name="centered")

    s = x[1:3, ::2]
    g = table[idx].T
    c = np.concatenate([s, g], axis=0)
    a, b = np.split(c, [1], axis=1)
    p = np.pad(a, ((1, 0), (0, 2)), constant_values=0.5)
    r = b.sum(1, keepdims=True)
    return "data_movement", prog, ct.target.iOS15, {"x": x}, {"padded": p, "centered": b - r}


def arithmetic(out_dir):
    """Elementwise ops, comparisons, select, cast, rsqrt/log epsilons, batch_norm, range_1d, fill."""
    x = det((1, 2, 3)) * 2
    mean = np.array([0.1, -0.2], dtype=np.float32)
    var = np.array([0.5, 2.0], dtype=np.float32)

    @mb.program(input_specs=[mb.TensorSpec(shape=(1, 2, 3))], opset_version=ct.target.iOS18)
    def prog(x):
        a = mb.real_div(x=mb.add(x=x, y=3.0), y=2.0, name="a")
        b = mb.maximum(x=mb.abs(x=x), y=0.25, name="b")
        c = mb.rsqrt(x=b, epsilon=1e-3, name="c")
        d = mb.log(x=b, epsilon=1e-2, name="d")
        m = mb.greater(x=x, y=0.0, name="m")
        s = mb.select(cond=m, a=c, b=d, name="s")
        n = mb.batch_norm(x=s, mean=mean, variance=var, epsilon=1e-3, name="bn")
        r = mb.range_1d(end=3.0, start=0.0, step=1.0, name="r")
        f = mb.fill(shape=[1, 2, 3], value=0.5, name="f")
        i = mb.cast(x=mb.mul(x=a, y=4.0), dtype="int32", name="i")
        return mb.add(x=mb.mul(x=n, y=r), y=mb.sub(x=f, y=mb.tanh(x=a)), name="out"), i

    a = (x + 3) / 2
    b = np.maximum(np.abs(x), 0.25)
    c = 1 / np.sqrt(b + 1e-3)
    d = np.log(b + 1e-2)
    s = np.where(x > 0, c, d)
    n = (s - mean.reshape(1, 2, 1)) / np.sqrt(var.reshape(1, 2, 1) + 1e-3)
    r = np.arange(3, dtype=np.float32)
    out = n * r + (0.5 - np.tanh(a))
    i = np.trunc(a * 4).astype(np.int32)
    return "arithmetic", prog, ct.target.iOS18, {"x": x}, {"out": out, "i": i}


BUILDERS = [mlp, conv_block, attention, data_movement, arithmetic]


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    out_dir = argv[1]
    os.makedirs(out_dir, exist_ok=True)
    packages = []
    for build in BUILDERS:
        name, prog, target, inputs, outputs = build(out_dir)
        path = os.path.join(out_dir, f"{name}.mlpackage")
        op_types = save(prog, target, path)
        packages.append({
            "name": name,
            "path": path,
            "target": str(target),
            "opTypes": op_types,
            "inputs": {k: tensor_json(v) for k, v in inputs.items()},
            "outputs": {k: tensor_json(v) for k, v in outputs.items()},
        })
    print(json.dumps({"packages": packages}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
