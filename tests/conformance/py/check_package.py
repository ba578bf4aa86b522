"""Opens many .mlpackage files with coremltools and reports, as JSON, what it sees, for the
lowering conformance suite of @fastvlm/emit-coreml (one process checks a whole batch).

For each package:
  * `coremltools.models.MLModel(path, skip_model_load=True)` validates the manifest and items;
  * `coremltools.converters.mil.frontend.milproto.load` rebuilds every function as a pymil
    program: each op goes through coremltools' own builder (input names, required inputs, dtype
    domains, const-ness), type inference runs again and every declared output type is checked;
  * every const is read back (inline or through the C++ weight.bin reader) and reported as the
    SHA-256 of its little-endian storage bytes, with its dtype and shape.

Usage: check_package.py LIST.json      (LIST.json: a JSON list of package paths)
Prints: {"packages": [{"path", "ok", "error"?, "specificationVersion", "description", "functions",
          "text" (the program as coremltools prints it)}]}
"""
import hashlib
import json
import sys
import traceback
import warnings

warnings.filterwarnings("ignore")

import logging  # noqa: E402

logging.disable(logging.CRITICAL)

import numpy as np  # noqa: E402

import coremltools as ct  # noqa: E402
from coremltools.converters.mil.frontend.milproto.load import load as milproto_load  # noqa: E402
from coremltools.converters.mil.mil import types  # noqa: E402
from coremltools.converters.mil.mil.types.symbolic import is_symbolic  # noqa: E402
from coremltools.proto import FeatureTypes_pb2  # noqa: E402

ARRAY_TYPES = {v: k for k, v in FeatureTypes_pb2.ArrayFeatureType.ArrayDataType.items()}
COLOR_SPACES = {v: k for k, v in FeatureTypes_pb2.ImageFeatureType.ColorSpace.items()}

# Canonical bytes of a value for its digest: little-endian storage, one byte per element for
# bool and the sub-byte types (unpacked).
STORAGE = {
    "fp32": "<f4", "fp16": "<f2", "fp64": "<f8", "int32": "<i4", "int16": "<i2", "int8": "i1",
    "uint8": "u1", "uint16": "<u2", "uint32": "<u4", "int64": "<i8", "bool": "u1",
    "int4": "i1", "uint1": "u1", "uint2": "u1", "uint3": "u1", "uint4": "u1", "uint6": "u1",
}
MAX_MATERIALIZED = 4096


def dtype_name(t):
    return types.builtin_to_string(t)


def dims(shape):
    return [str(d) if is_symbolic(d) else int(d) for d in shape]


def var_info(v):
    t = v.sym_type
    if types.is_tensor(t):
        return {"name": v.name, "dtype": dtype_name(t.get_primitive()), "shape": dims(t.get_shape())}
    return {"name": v.name, "dtype": dtype_name(t), "shape": []}


def value_digest(val, dtype):
    if isinstance(val, str):
        return {"dtype": "string", "shape": [], "string": val}
    a = np.asarray(val)
    code = STORAGE.get(dtype)
    if code is None:
        return {"dtype": dtype, "shape": list(a.shape), "sha256": None}
    raw = np.ascontiguousarray(a.astype(code)).tobytes()
    return {"dtype": dtype, "shape": list(a.shape), "sha256": hashlib.sha256(raw).hexdigest()}


def feature(f):
    which = f.type.WhichOneof("Type")
    out = {"name": f.name, "kind": which, "shortDescription": f.shortDescription}
    if which == "multiArrayType":
        a = f.type.multiArrayType
        out["shape"] = list(a.shape)
        out["dataType"] = ARRAY_TYPES.get(a.dataType, str(a.dataType))
        flex = a.WhichOneof("ShapeFlexibility")
        if flex == "enumeratedShapes":
            out["enumeratedShapes"] = [list(s.shape) for s in a.enumeratedShapes.shapes]
        elif flex == "shapeRange":
            out["shapeRange"] = [[r.lowerBound, r.upperBound] for r in a.shapeRange.sizeRanges]
    elif which == "imageType":
        i = f.type.imageType
        out.update({"width": i.width, "height": i.height, "colorSpace": COLOR_SPACES.get(i.colorSpace, str(i.colorSpace))})
    return out


def describe(spec):
    d = spec.description
    md = d.metadata
    return {
        "input": [feature(f) for f in d.input],
        "output": [feature(f) for f in d.output],
        "functions": [
            {"name": fd.name, "input": [feature(f) for f in fd.input], "output": [feature(f) for f in fd.output]}
            for fd in d.functions
        ],
        "defaultFunctionName": d.defaultFunctionName,
        "metadata": {
            "author": md.author,
            "license": md.license,
            "versionString": md.versionString,
            "shortDescription": md.shortDescription,
            "userDefined": dict(md.userDefined),
        },
    }


def op_info(op):
    info = {"type": op.op_type, "name": op.name, "outputs": [var_info(o) for o in op.outputs]}
    if op.op_type == "const":
        o = op.outputs[0]
        dt = var_info(o)["dtype"]
        info["value"] = value_digest(o.val, dt)
    elif op.op_type.startswith("constexpr_"):
        # Parameters (inline values or blobs) and the dense value coremltools computes.
        info["params"] = {k: value_digest(v.val, var_info(v)["dtype"]) for k, v in op.inputs.items() if v is not None and v.val is not None}
        dense = np.asarray(op.materialized_val_inference())
        info["materialized"] = dense.astype(np.float64).flatten().tolist() if dense.size <= MAX_MATERIALIZED else None
    else:
        ins = {}
        for k, v in op.inputs.items():
            ins[k] = [x.name for x in v] if isinstance(v, (list, tuple)) else v.name
        info["inputs"] = ins
    return info


def check(path):
    model = ct.models.MLModel(path, skip_model_load=True)
    spec = model.get_spec()
    prog = milproto_load(spec, spec.specificationVersion, file_weights_dir=model.weights_dir)
    functions = {}
    for name, f in prog.functions.items():
        functions[name] = {
            "opset": f.opset_version.name if f.opset_version is not None else None,
            "inputs": [var_info(v) for v in f.inputs.values()],
            "outputs": [var_info(v) for v in f.outputs],
            "ops": [op_info(op) for op in f.operations],
        }
    return {
        "path": path,
        "ok": True,
        "specificationVersion": spec.specificationVersion,
        "description": describe(spec),
        "functions": functions,
        "text": str(prog),
    }


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1]) as fh:
        paths = json.load(fh)
    out = []
    for p in paths:
        try:
            out.append(check(p))
        except Exception as e:  # one broken package must not hide the others
            out.append({"path": p, "ok": False, "error": f"{type(e).__name__}: {e}", "trace": traceback.format_exc(limit=6)})
    print(json.dumps({"coremltools": ct.__version__, "packages": out}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
