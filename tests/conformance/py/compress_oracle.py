"""coremltools as the oracle of weight compression (the compression conformance suite and the
compression benchmark).

Modes (one JSON job file in, one JSON report out on stdout):

  decompress JOBS.json
      JOBS: {"packages": [path, ...]}. Each package is opened with
      `coremltools.models.MLModel(path, skip_model_load=True)` and rebuilt as a pymil program
      (every op through coremltools' builder and type inference). For every constexpr op the
      dense value is computed twice, by the op's own value inference
      (`materialized_val_inference`) and by `coremltools.optimize.coreml.decompress_weights` on
      the model; both must agree bit for bit. Reported per op: type, output name, dtype, shape,
      the dense value (base64 of its little-endian bytes).

  compress JOBS.json
      JOBS: {"jobs": [{"path", "out"?, "kind": "palettize" | "quantize", "config": {...}}]}.
      Runs `coremltools.optimize.coreml.palettize_weights` (OpPalettizerConfig(**config)) or
      `linear_quantize_weights` (OpLinearQuantizerConfig(**config)) on the package, saves the
      result to `out` when given, and reports every constexpr op of the result with its
      parameters (quantized data, scale, offset; or lut, indices) and dense value, plus the wall
      time of the call (`seconds`, with the model load and the save; `cpuSeconds` of the
      process). "skip": const names to leave dense (op_name_configs set to None).

  mse JOBS.json
      JOBS: {"jobs": [{"dense", "compressed"}]}. For every op of the compressed package whose
      input comes from a constexpr op, the dense weight it feeds (decompressed here in chunks,
      with coremltools' arithmetic) is compared with the const the same op reads in the dense
      package. Reports the mean squared error over all compressed elements, the element and
      weight counts, and the sizes of both weight files.

Values are base64 of little-endian bytes: fp16 as float16, fp32 as float32, integer types one
byte per element (sub-byte types unpacked). With "digest": true only SHA-256 digests are sent.
"""
import base64
import hashlib
import json
import sys
import time
import warnings

warnings.filterwarnings("ignore")

import logging  # noqa: E402

logging.disable(logging.CRITICAL)

import numpy as np  # noqa: E402

import coremltools as ct  # noqa: E402
from coremltools.converters.mil.frontend.milproto.load import load as milproto_load  # noqa: E402
from coremltools.converters.mil.mil import types  # noqa: E402

STORAGE = {"fp32": "<f4", "fp16": "<f2", "int8": "i1", "uint8": "u1", "int4": "i1", "uint4": "u1",
           "uint1": "u1", "uint2": "u1", "uint3": "u1", "uint6": "u1", "int32": "<i4", "uint32": "<u4"}

DIGEST = False


def encode(val, dtype):
    a = np.asarray(val)
    raw = np.ascontiguousarray(a.astype(STORAGE[dtype])).tobytes()
    out = {"dtype": dtype, "shape": [int(d) for d in a.shape]}
    if DIGEST:
        out["sha256"] = hashlib.sha256(raw).hexdigest()
    else:
        out["b64"] = base64.b64encode(raw).decode("ascii")
    return out


def var_dtype(v):
    return types.builtin_to_string(v.dtype)


def program_of(model):
    spec = model.get_spec()
    return milproto_load(model_spec=spec, specification_version=spec.specificationVersion, file_weights_dir=model.weights_dir)


def constexpr_ops(prog):
    for fname, f in prog.functions.items():
        for op in f.operations:
            if op.op_type.startswith("constexpr_"):
                yield fname, op


def param(op, name):
    v = getattr(op, name, None)
    if v is None:
        return None
    if v.val is None:
        return None
    return encode(v.val, var_dtype(v))


def describe_op(op, dense):
    out = {
        "type": op.op_type,
        "name": op.name,
        "output": op.outputs[0].name,
        "consumers": sorted({c.name for c in op.outputs[0].child_ops}),
        "inputs": {},
        "dense": encode(dense, var_dtype(op.outputs[0])),
    }
    for name in ("quantized_data", "zero_point", "scale", "axis", "data", "offset", "indices", "lut", "vector_axis", "shape"):
        if name in op.inputs:
            p = param(op, name)
            if p is not None:
                out["inputs"][name] = p
    return out


def decompress(jobs):
    reports = []
    for path in jobs["packages"]:
        try:
            model = ct.models.MLModel(path, skip_model_load=True)
            prog = program_of(model)
            ops = []
            by_consumer = {}
            for fname, op in constexpr_ops(prog):
                dense = op.materialized_val_inference()
                d = describe_op(op, dense)
                d["function"] = fname
                ops.append(d)
                for c in op.outputs[0].child_ops:
                    by_consumer[(fname, c.name, op.outputs[0].name)] = dense
            # The public API: decompress_weights turns every constexpr into a const; the consts
            # feeding the same consumers must hold the same values.
            plain = program_of(ct.optimize.coreml.decompress_weights(model))
            agree = 0
            for fname, f in plain.functions.items():
                for op in f.operations:
                    if op.op_type != "const":
                        continue
                    val = np.asarray(op.outputs[0].val)
                    for c in op.outputs[0].child_ops:
                        for (fn, cname, _), dense in by_consumer.items():
                            if fn == fname and cname == c.name and val.shape == np.asarray(dense).shape:
                                if val.dtype != np.asarray(dense).dtype or val.tobytes() != np.asarray(dense).tobytes():
                                    raise AssertionError(f"decompress_weights disagrees with value inference before {cname}")
                                agree += 1
            reports.append({"path": path, "ok": True, "ops": ops, "decompressAgreed": agree})
        except Exception as e:  # reported, not raised: the suite names the package
            import traceback

            reports.append({"path": path, "ok": False, "error": f"{type(e).__name__}: {e}", "trace": traceback.format_exc()})
    return {"packages": reports}


def compress(jobs):
    reports = []
    cfg_mod = ct.optimize.coreml
    for job in jobs["jobs"]:
        try:
            t_load = time.perf_counter()
            model = ct.models.MLModel(job["path"], skip_model_load=True)
            load_seconds = time.perf_counter() - t_load
            if job["kind"] == "palettize":
                op_config = cfg_mod.OpPalettizerConfig(**job["config"])
                fn = cfg_mod.palettize_weights
            else:
                op_config = cfg_mod.OpLinearQuantizerConfig(**job["config"])
                fn = cfg_mod.linear_quantize_weights
            # Constants to leave dense (those our passes do not consider: not weights of linear,
            # conv, matmul...), so both sides compress the same tensors.
            skip = {name: None for name in job.get("skip", [])}
            config = cfg_mod.OptimizationConfig(global_config=op_config, op_name_configs=skip or None)
            t0 = time.perf_counter()
            c0 = time.process_time()
            out_model = fn(model, config)
            if job.get("out"):
                out_model.save(job["out"])
            seconds = time.perf_counter() - t0
            report = {"path": job["path"], "ok": True, "seconds": seconds + load_seconds, "cpuSeconds": time.process_time() - c0, "loadSeconds": load_seconds}
            if not job.get("timeOnly"):
                prog = program_of(out_model)
                report["ops"] = [describe_op(op, op.materialized_val_inference()) for _, op in constexpr_ops(prog)]
            reports.append(report)
        except Exception as e:
            import traceback

            reports.append({"path": job["path"], "ok": False, "error": f"{type(e).__name__}: {e}", "trace": traceback.format_exc()})
    return {"jobs": reports}


def _lut_dense(indices, lut):
    """constexpr_lut_to_dense (scalar entries) without materializing a repeated table."""
    grid = lut.shape[:-2]
    table = lut.reshape(grid + (lut.shape[-2],))
    out = np.empty(indices.shape, dtype=lut.dtype)
    blocks = [d // g for d, g in zip(indices.shape, grid)]
    for cell in np.ndindex(*grid):
        sl = tuple(slice(c * b, (c + 1) * b) for c, b in zip(cell, blocks))
        out[sl] = table[cell][indices[sl].astype(np.int64)]
    return out


def _dense_of(op):
    """The dense value of a compressed op, computed with the arithmetic of coremltools."""
    t = op.op_type
    if t == "constexpr_lut_to_dense" and "shape" not in op.inputs:
        return _lut_dense(op.indices.val, op.lut.val)
    if t == "constexpr_blockwise_shift_scale":
        data, scale = op.data.val, op.scale.val
        offset = None if op.offset is None else op.offset.val
        for axis, (d, s) in enumerate(zip(data.shape, scale.shape)):
            if d // s > 1:
                scale = np.repeat(scale, d // s, axis)
                if offset is not None:
                    offset = np.repeat(offset, d // s, axis)
        x = data.astype(scale.dtype)
        if offset is not None:
            x = x - offset
        return scale * x
    return op.materialized_val_inference()


def _consumer_inputs(prog):
    """(function, op name, input name) -> producing op, for every op input."""
    out = {}
    for fname, f in prog.functions.items():
        for op in f.operations:
            for k, v in op.inputs.items():
                if hasattr(v, "op") and v.op is not None:
                    out[(fname, op.name, k)] = v.op
    return out


def weight_bytes(path):
    import os

    w = os.path.join(path, "Data", "com.apple.CoreML", "weights", "weight.bin")
    return os.path.getsize(w) if os.path.exists(w) else 0


def mse(jobs):
    reports = []
    for job in jobs["jobs"]:
        try:
            dense = _consumer_inputs(program_of(ct.models.MLModel(job["dense"], skip_model_load=True)))
            comp = _consumer_inputs(program_of(ct.models.MLModel(job["compressed"], skip_model_load=True)))
            sse, count, weights, seen = 0.0, 0, 0, set()
            for key, producer in comp.items():
                if not producer.op_type.startswith("constexpr_") or key not in dense:
                    continue
                if (key[0], producer.name) in seen:
                    continue
                seen.add((key[0], producer.name))
                orig = np.asarray(dense[key].outputs[0].val)
                got = np.asarray(_dense_of(producer))
                if got.shape != orig.shape:
                    raise AssertionError(f"{producer.name}: dense {got.shape} vs original {orig.shape}")
                rows = max(1, (1 << 22) // max(1, orig[0].size if orig.ndim > 1 else 1))
                for r in range(0, orig.shape[0], rows):
                    d = got[r:r + rows].astype(np.float64) - orig[r:r + rows].astype(np.float64)
                    sse += float(np.sum(d * d))
                count += orig.size
                weights += 1
            reports.append({"dense": job["dense"], "compressed": job["compressed"], "ok": True, "mse": sse / max(1, count), "elements": count,
                            "weights": weights, "weightBytes": weight_bytes(job["compressed"]), "denseWeightBytes": weight_bytes(job["dense"])})
        except Exception as e:
            import traceback

            reports.append({"dense": job["dense"], "compressed": job["compressed"], "ok": False, "error": f"{type(e).__name__}: {e}", "trace": traceback.format_exc()})
    return {"jobs": reports}


def main():
    global DIGEST
    mode, path = sys.argv[1], sys.argv[2]
    with open(path) as f:
        jobs = json.load(f)
    DIGEST = bool(jobs.get("digest"))
    result = {"decompress": decompress, "compress": compress, "mse": mse}[mode](jobs)
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
