"""Opens .mlpackage files with coremltools and prints what it sees as JSON, for the TypeScript
conformance tests of @fastvlm/emit-coreml.

Each package is opened with `coremltools.models.MLModel(path, skip_model_load=True)` (which
validates the manifest and items), and its spec is rebuilt as a pymil program with
`coremltools.converters.mil.frontend.milproto.load`: every op goes through coremltools' own
builder, so input names, dtype domains and const-ness are checked and type inference re-runs
against the declared output types. The blobs are read with coremltools' C++ blob reader.

With --schema, also prints the field numbers, labels and types of coremltools' own message
descriptors (Model.proto, FeatureTypes.proto, MIL.proto), to check our schema against.

Usage: coreml_inspect.py [--schema] [PACKAGE ...]
Prints: {"packages": [{"path", "specificationVersion", "description", "functions"}], "schema"?: {...}}
"""
import json
import sys
import warnings

warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402

import coremltools as ct  # noqa: E402
from coremltools.converters.mil.frontend.milproto.load import load as milproto_load  # noqa: E402
from coremltools.converters.mil.mil import types  # noqa: E402
from coremltools.proto import MIL_pb2, FeatureTypes_pb2, Model_pb2  # noqa: E402
from google.protobuf.descriptor import FieldDescriptor  # noqa: E402

MAX_VALUES = 4096


def dtype_name(t):
    return types.builtin_to_string(t)


def values_of(val):
    """Flattened values as floats (NaN/inf as strings) or strings, or None when too large."""
    a = np.asarray(val)
    if a.size > MAX_VALUES:
        return None
    if a.dtype.kind in ("U", "S", "O"):
        return [str(x) for x in a.flatten().tolist()]
    out = []
    for x in a.astype(np.float64).flatten().tolist():
        out.append(x if np.isfinite(x) else str(x))
    return out


def var_info(v):
    info = {"name": v.name, "dtype": dtype_name(v.dtype), "shape": [int(d) if not isinstance(d, str) and not hasattr(d, "name") else str(d) for d in v.shape]}
    return info


def feature(fd):
    t = fd.type
    kind = t.WhichOneof("Type")
    out = {"name": fd.name, "kind": kind}
    if kind == "multiArrayType":
        out["shape"] = list(t.multiArrayType.shape)
        out["dataType"] = FeatureTypes_pb2.ArrayFeatureType.ArrayDataType.Name(t.multiArrayType.dataType)
    elif kind == "stateType":
        out["shape"] = list(t.stateType.arrayType.shape)
        out["dataType"] = FeatureTypes_pb2.ArrayFeatureType.ArrayDataType.Name(t.stateType.arrayType.dataType)
    elif kind == "imageType":
        out["width"] = t.imageType.width
        out["height"] = t.imageType.height
    return out


def inspect(path):
    model = ct.models.MLModel(path, skip_model_load=True)
    spec = model.get_spec()
    prog = milproto_load(spec, spec.specificationVersion, model.weights_dir)
    functions = {}
    for fname, f in prog.functions.items():
        ops = []
        for op in f.operations:
            entry = {
                "type": op.op_type,
                "name": op.name,
                "inputs": {},
                "outputs": [var_info(o) for o in op.outputs],
            }
            for k, v in op.inputs.items():
                if isinstance(v, (list, tuple)):
                    entry["inputs"][k] = [x.name for x in v]
                else:
                    entry["inputs"][k] = v.name
            if op.op_type == "const":
                entry["value"] = values_of(op.outputs[0].val)
            elif op.op_type.startswith("constexpr_"):
                entry["value"] = values_of(op.materialized_val_inference())
            ops.append(entry)
        functions[fname] = {
            "opset": str(f.opset_version),
            "inputs": [var_info(v) for v in f.inputs.values()],
            "outputs": [var_info(v) for v in f.outputs],
            "ops": ops,
        }
    desc = spec.description
    return {
        "path": path,
        "specificationVersion": spec.specificationVersion,
        "description": {
            "input": [feature(x) for x in desc.input],
            "output": [feature(x) for x in desc.output],
            "state": [feature(x) for x in desc.state],
            "metadata": dict(desc.metadata.userDefined),
        },
        "functions": functions,
    }


SCALAR_NAMES = {
    getattr(FieldDescriptor, name): name[len("TYPE_"):].lower()
    for name in dir(FieldDescriptor)
    if name.startswith("TYPE_")
}


def field_type(f):
    if f.message_type is not None:
        return f.message_type.full_name
    if f.enum_type is not None:
        return f.enum_type.full_name
    return SCALAR_NAMES[f.type]


def describe_message(d, out):
    fields = {}
    for f in d.fields:
        entry = {"number": f.number, "repeated": f.is_repeated, "type": field_type(f)}
        mt = f.message_type
        if mt is not None and mt.GetOptions().map_entry:
            entry = {"number": f.number, "map": {"key": field_type(mt.fields_by_name["key"]), "value": field_type(mt.fields_by_name["value"])}}
        fields[f.name] = entry
    out[d.full_name] = {"fields": fields, "oneofs": {o.name: [f.name for f in o.fields] for o in d.oneofs}}
    for n in d.nested_types:
        if not n.GetOptions().map_entry:
            describe_message(n, out)
    for e in d.enum_types:
        out[e.full_name] = {"values": {v.name: v.number for v in e.values}}


def schema():
    out = {}
    for module in (Model_pb2, FeatureTypes_pb2, MIL_pb2):
        for d in module.DESCRIPTOR.message_types_by_name.values():
            describe_message(d, out)
        for e in module.DESCRIPTOR.enum_types_by_name.values():
            out[e.full_name] = {"values": {v.name: v.number for v in e.values}}
    return out


def main(argv):
    args = argv[1:]
    want_schema = "--schema" in args
    paths = [a for a in args if a != "--schema"]
    if not paths and not want_schema:
        print(__doc__, file=sys.stderr)
        return 2
    result = {"packages": [inspect(p) for p in paths]}
    if want_schema:
        result["schema"] = schema()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
