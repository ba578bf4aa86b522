"""Evaluates the MIL ops of .mlpackage files with coremltools' own value inference, for inputs
fixed as constants: the numeric oracle of lowerings that need no device (integer compositions).

Each package is opened with `coremltools.models.MLModel(path, skip_model_load=True)` and loaded
as a pymil program by the milproto loader. Its function's ops are then replayed, in order,
through `mb.<op type>` inside a new function of the same opset whose inputs are `mb.const`s
holding the given values; every op's output value comes from the op's `value_inference` (numpy).
An op left without a value (no value inference) is an error.

Usage: mil_value_eval.py JOBS.json
  JOBS: {"jobs": [{"path", "function"?: "main", "inputs": {name: {"dtype", "shape", "data"}}}]}
Prints: {"coremltools", "results": [{"path", "ok", "opset", "opTypes",
          "outputs": {name: {"dtype", "numpyDtype", "shape", "data"}}, "error"?}]}
"""
import json
import sys
import traceback
import warnings

warnings.filterwarnings("ignore")

import logging  # noqa: E402

logging.disable(logging.CRITICAL)

import numpy as np  # noqa: E402

import coremltools as ct  # noqa: E402
from coremltools.converters.mil import Builder as mb  # noqa: E402
from coremltools.converters.mil.frontend.milproto.load import load as milproto_load  # noqa: E402
from coremltools.converters.mil.mil import Function, types  # noqa: E402

NUMPY = {"int32": np.int32, "fp32": np.float32, "fp16": np.float16, "bool": np.bool_}


def replay(f, inputs):
    """Rebuilds f's ops over constant inputs; returns {output name: Var}."""
    env = {}
    with Function({}, opset_version=f.opset_version):
        for name in f.inputs:
            spec = inputs[name]
            env[name] = mb.const(val=np.array(spec["data"], dtype=NUMPY[spec["dtype"]]).reshape(spec["shape"]), name=name)
        for op in f.operations:
            if op.op_type == "const":
                env[op.outputs[0].name] = mb.const(val=op.outputs[0].val, name=op.name)
                continue
            kwargs = {}
            for k, v in op.inputs.items():
                if isinstance(v, (list, tuple)):
                    kwargs[k] = [env.get(x.name, x.val) for x in v]
                else:
                    kwargs[k] = env[v.name] if v.name in env else v.val
            outs = getattr(mb, op.op_type)(name=op.name, **kwargs)
            outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
            for o, new in zip(op.outputs, outs):
                if new.val is None:
                    raise ValueError(f"{op.op_type} '{op.name}': coremltools inferred no value")
                env[o.name] = new
        return {o.name: env[o.name] for o in f.outputs}


def evaluate(job):
    model = ct.models.MLModel(job["path"], skip_model_load=True)
    spec = model.get_spec()
    prog = milproto_load(spec, spec.specificationVersion, file_weights_dir=model.weights_dir)
    f = prog.functions[job.get("function", "main")]
    outs = replay(f, job["inputs"])
    return {
        "path": job["path"],
        "ok": True,
        "opset": f.opset_version.name if f.opset_version is not None else None,
        "opTypes": [op.op_type for op in f.operations],
        "outputs": {
            n: {
                "dtype": types.builtin_to_string(v.dtype),
                "numpyDtype": str(np.asarray(v.val).dtype),
                "shape": list(np.asarray(v.val).shape),
                "data": np.asarray(v.val).flatten().tolist(),
            }
            for n, v in outs.items()
        },
    }


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1]) as fh:
        jobs = json.load(fh)["jobs"]
    results = []
    for job in jobs:
        try:
            results.append(evaluate(job))
        except Exception as e:  # one failure must not hide the others
            results.append({"path": job["path"], "ok": False, "error": f"{type(e).__name__}: {e}", "trace": traceback.format_exc(limit=6)})
    print(json.dumps({"coremltools": ct.__version__, "results": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
