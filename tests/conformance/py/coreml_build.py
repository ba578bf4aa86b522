"""Builds small ML programs with coremltools' own MIL builder and saves them as .mlpackage
files, for the TypeScript reader's conformance test. Prints, as JSON, the values each const (by
output name) and each inline constexpr input (as "<op>.<input>") holds, computed here with
numpy, so the TypeScript side can compare what it decodes from model.mlmodel and weight.bin.

The default pass pipeline is disabled (ct.PassPipeline.EMPTY) so the program is saved as built:
no folding, no dtype casts, no renaming.

Usage: coreml_build.py OUT_DIR
Prints: {"packages": [{"path", "specificationVersion", "opTypes", "values": {name: {dtype, shape, data}}}]}
"""
import json
import os
import sys
import warnings

warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402

import coremltools as ct  # noqa: E402
from coremltools.converters.mil import Builder as mb  # noqa: E402
from coremltools.converters.mil.mil import types  # noqa: E402


def desc(dtype, a):
    a = np.asarray(a)
    return {"dtype": dtype, "shape": list(a.shape), "data": a.astype(np.float64).flatten().tolist()}


def save(prog, target, path):
    model = ct.convert(
        prog,
        convert_to="mlprogram",
        minimum_deployment_target=target,
        pass_pipeline=ct.PassPipeline.EMPTY,
        skip_model_load=True,
    )
    model.save(path)
    return model.get_spec()


def op_types(spec):
    f = spec.mlProgram.functions["main"]
    return [op.type for op in f.block_specializations[f.opset].operations]


def build_ios17(out_dir):
    """fp32 and fp16 weights in weight.bin, int8 quantized weights, inline consts of several dtypes."""
    w = (np.arange(16, dtype=np.float32).reshape(4, 4) - 7.5) / 4
    bias = np.array([0.5, -1.25, 2.0, 0.0], dtype=np.float32)
    h = (np.arange(12, dtype=np.float16).reshape(3, 4) - 6) / 8
    q = (np.arange(16).reshape(4, 4) * 17 % 256 - 128).astype(np.int8)
    shape = np.array([1, 4], dtype=np.int32)

    @mb.program(input_specs=[mb.TensorSpec(shape=(1, 4), dtype=types.fp32)], opset_version=ct.target.iOS17)
    def prog(x):
        cw = mb.const(val=w, name="w")
        cb = mb.const(val=bias, name="bias")
        y = mb.linear(x=x, weight=cw, bias=cb, name="lin")
        ch = mb.const(val=h, name="h16")
        hc = mb.cast(x=ch, dtype="fp32", name="h32")
        dq = mb.constexpr_affine_dequantize(quantized_data=q, zero_point=np.int8(3), scale=np.float32(0.125), axis=0, name="dq")
        z = mb.matmul(x=y, y=dq, name="mm")
        s = mb.const(val=shape, name="shape")
        r = mb.reshape(x=z, shape=s, name="out")
        return r, hc

    path = os.path.join(out_dir, "ios17.mlpackage")
    spec = save(prog, ct.target.iOS17, path)
    values = {
        "w": desc("fp32", w),
        "bias": desc("fp32", bias),
        "h16": desc("fp16", h),
        "shape": desc("int32", shape),
        "dq.quantized_data": desc("int8", q),
        "dq.materialized": desc("fp32", (q.astype(np.float32) - 3) * 0.125),
    }
    return {"path": path, "specificationVersion": spec.specificationVersion, "opTypes": op_types(spec), "values": values}


def build_ios18(out_dir):
    """Sub-byte blobs: uint3 palettization indices and int4 quantized data."""
    idx = (np.arange(12) * 5 % 8).reshape(4, 3)
    lut = ((np.arange(8, dtype=np.float16) - 4) / 2).reshape(1, 1, 8, 1)
    d4 = (np.arange(15) % 16 - 8).reshape(3, 5)
    scale = np.array([[0.5], [1.0], [-2.0]], dtype=np.float16)

    @mb.program(input_specs=[mb.TensorSpec(shape=(4, 3), dtype=types.fp16)], opset_version=ct.target.iOS18)
    def prog(x):
        w = mb.constexpr_lut_to_dense(indices=idx.astype(types.np_uint3_dtype), lut=lut, name="pal")
        a = mb.add(x=x, y=w, name="out")
        q = mb.constexpr_blockwise_shift_scale(data=d4.astype(types.np_int4_dtype), scale=scale, name="q4")
        return a, q

    path = os.path.join(out_dir, "ios18.mlpackage")
    spec = save(prog, ct.target.iOS18, path)
    values = {
        "pal.indices": desc("uint3", idx),
        "pal.lut": desc("fp16", lut),
        "pal.materialized": desc("fp16", lut.reshape(8)[idx]),
        "q4.data": desc("int4", d4),
        "q4.scale": desc("fp16", scale),
        "q4.materialized": desc("fp16", d4.astype(np.float32) * scale.astype(np.float32)),
    }
    return {"path": path, "specificationVersion": spec.specificationVersion, "opTypes": op_types(spec), "values": values}


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    out_dir = argv[1]
    os.makedirs(out_dir, exist_ok=True)
    print(json.dumps({"packages": [build_ios17(out_dir), build_ios18(out_dir)]}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
