/**
 * The IR verifier: checks the invariants every pass must keep (unique valid names, SSA order,
 * no dangling uses, consistent producer links, registered ops, declared types equal to
 * re-inferred types, defined function outputs, weights present with the declared type).
 * @module
 */
import { type ErrorDetails, FastVlmError, graphError } from '../errors.js';
import { hasOp, getOp } from '../ops/registry.js';
import { checkOp, fmtType } from '../ops/validate.js';
import type { InferInputs } from '../ops/def.js';
import { formatShape, shapeEq } from '../shape.js';
import { VALUE_NAME_RE } from './build.js';
import { type Func, type Op, type Program, type TensorType, Value } from './types.js';

/** A valid function name: an identifier (what follows `func` in IR text). */
export const FUNC_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The checks of the verifier, named in each diagnostic's `details.check`. */
export type VerifyCheck =
  | 'function-name'
  | 'value-name'
  | 'ssa-order'
  | 'dangling-use'
  | 'producer-link'
  | 'op-unknown'
  | 'op-invalid'
  | 'output-count'
  | 'output-type'
  | 'function-output'
  | 'weight';

/** `main: conv2d -> %y` (or `main` for function-level problems). */
function opWhere(fn: Func, op: Op): string {
  return op.outputs.length ? `${fn.name}: ${op.kind} -> %${op.outputs.map((o) => o.name).join(', %')}` : `${fn.name}: ${op.kind}`;
}

function typesEq(a: TensorType, b: TensorType): boolean {
  return a.dtype === b.dtype && shapeEq(a.shape, b.shape);
}

/** Collects diagnostics of one program; each is an E_VERIFY error. */
class Collector {
  readonly errors: FastVlmError[] = [];

  fnError(fn: Func | string, check: VerifyCheck, message: string, details: ErrorDetails = {}): void {
    const name = typeof fn === 'string' ? fn : fn.name;
    this.errors.push(graphError('E_VERIFY', `function '${name}': ${message}`, { where: name, details: { check, function: name, ...details } }));
  }

  opError(fn: Func, op: Op, check: VerifyCheck, message: string, details: ErrorDetails = {}, cause?: unknown): void {
    const where = opWhere(fn, op);
    const opts = {
      where,
      details: { check, function: fn.name, op: op.kind, values: op.outputs.map((o) => o.name), ...details },
      ...(op.loc ? { loc: op.loc } : {}),
      ...(cause !== undefined ? { cause } : {}),
    };
    this.errors.push(graphError('E_VERIFY', `function '${fn.name}', op ${op.kind} (-> ${op.outputs.map((o) => `%${o.name}`).join(', ') || 'nothing'}): ${message}`, opts));
  }
}

function describe(x: unknown): string {
  return x === null ? 'null' : x === undefined ? 'undefined' : `a ${typeof x}`;
}

function verifyFunction(program: Program, fn: Func, c: Collector): void {
  // Names: valid and unique among inputs and op results.
  const names = new Map<string, string>();
  const claim = (v: Value, what: string, op?: Op): void => {
    const report = (msg: string): void => (op ? c.opError(fn, op, 'value-name', msg, { value: v.name }) : c.fnError(fn, 'value-name', msg, { value: v.name }));
    if (!VALUE_NAME_RE.test(v.name)) report(`value name '${v.name}' (${what}) is not valid; expected ${VALUE_NAME_RE.source}`);
    const prev = names.get(v.name);
    if (prev !== undefined) report(`value name %${v.name} (${what}) is already used by ${prev}`);
    else names.set(v.name, what);
  };

  // Every value defined so far (function inputs and results of earlier ops), by identity.
  const defined = new Set<Value>();
  const position = new Map<Op, number>();
  fn.body.ops.forEach((op, i) => {
    if (!position.has(op)) position.set(op, i);
  });

  for (const v of fn.inputs) {
    claim(v, 'function input');
    if (v.producer !== null) c.fnError(fn, 'producer-link', `input %${v.name} has a producer op (${v.producer.kind}); function inputs have none`, { value: v.name });
    if (defined.has(v)) c.fnError(fn, 'value-name', `input %${v.name} is listed twice`, { value: v.name });
    defined.add(v);
  }

  fn.body.ops.forEach((op, index) => {
    if (position.get(op) !== index) c.opError(fn, op, 'ssa-order', `the same op object appears twice in the body (positions ${position.get(op)} and ${index})`);
    // Uses: defined earlier in this function, else classify the failure.
    for (const [input, val] of Object.entries(op.inputs)) {
      const list: readonly unknown[] = Array.isArray(val) ? val : [val];
      for (const v of list) {
        if (!(v instanceof Value)) {
          c.opError(fn, op, 'dangling-use', `input '${input}' holds ${describe(v)}, not a value`, { input });
          continue;
        }
        if (defined.has(v)) continue;
        const p = v.producer;
        const pos = p ? position.get(p) : undefined;
        if (p && pos !== undefined && pos >= index && p.outputs.includes(v)) {
          c.opError(fn, op, 'ssa-order', `input '${input}' uses %${v.name} before its definition (by op #${pos} ${p.kind}; this is op #${index})`, { input, value: v.name });
        } else if (p === null) {
          c.opError(fn, op, 'dangling-use', `input '${input}' uses %${v.name}, which is neither an input of this function nor produced by an op`, { input, value: v.name });
        } else {
          c.opError(fn, op, 'dangling-use', `input '${input}' uses %${v.name}, whose producer (${p.kind}) is not an op of this function`, { input, value: v.name });
        }
      }
    }
    for (const o of op.outputs) {
      claim(o, `result of ${op.kind}`, op);
      if (o.producer !== op) c.opError(fn, op, 'producer-link', `result %${o.name} names ${o.producer ? `a different op (${o.producer.kind})` : 'no op'} as its producer`, { value: o.name });
      if (defined.has(o)) c.opError(fn, op, 'producer-link', `result %${o.name} is already defined before this op`, { value: o.name });
      defined.add(o);
    }
    verifyOpTypes(program, fn, op, c);
  });

  if (fn.outputs.length === 0) c.fnError(fn, 'function-output', 'has no outputs');
  fn.outputs.forEach((v: unknown, i) => {
    if (!(v instanceof Value)) c.fnError(fn, 'function-output', `output #${i} is ${describe(v)}, not a value`);
    else if (!defined.has(v)) c.fnError(fn, 'function-output', `output #${i} %${v.name} is not defined in this function`, { value: v.name });
  });
}

function verifyOpTypes(program: Program, fn: Func, op: Op, c: Collector): void {
  if (!hasOp(op.kind)) {
    c.opError(fn, op, 'op-unknown', `no op named '${op.kind}' is registered`);
    return;
  }
  const def = getOp(op.kind);
  const types: Record<string, TensorType | TensorType[]> = {};
  for (const [k, v] of Object.entries(op.inputs)) {
    const list: readonly unknown[] = Array.isArray(v) ? v : [v];
    // Non-values were reported as dangling uses; their types cannot be re-inferred.
    if (!list.every((x) => x instanceof Value)) return;
    types[k] = Array.isArray(v) ? (v as readonly Value[]).map((x) => x.type) : (v as Value).type;
  }
  let inferred: TensorType[];
  try {
    inferred = checkOp(def, types as InferInputs, op.attrs, opWhere(fn, op), op.loc).outputs;
  } catch (e) {
    if (e instanceof FastVlmError) {
      c.opError(fn, op, 'op-invalid', `fails validation: ${e.code}: ${e.detail}`, { cause: e.code }, e);
      return;
    }
    throw e;
  }
  if (inferred.length !== op.outputs.length) {
    c.opError(fn, op, 'output-count', `declares ${op.outputs.length} results but inference yields ${inferred.length}`);
  }
  op.outputs.forEach((o, i) => {
    const want = inferred[i];
    if (want && !typesEq(o.type, want)) {
      c.opError(fn, op, 'output-type', `result %${o.name} is declared ${fmtType(o.type)} but inference gives ${fmtType(want)}`, { value: o.name, declared: fmtType(o.type), inferred: fmtType(want) });
    }
  });
  if (op.kind === 'const' && typeof op.attrs['weight'] === 'string') {
    const name = op.attrs['weight'];
    const out = op.outputs[0];
    if (!program.weights.has(name)) {
      c.opError(fn, op, 'weight', `weight '${name}' is not in the program's weight store`, { weight: name });
    } else if (out) {
      const info = program.weights.info(name);
      if (info.dtype !== out.type.dtype || !shapeEq(info.shape, out.type.shape)) {
        c.opError(fn, op, 'weight', `declares ${fmtType(out.type)} but weight '${name}' is ${info.dtype}${formatShape(info.shape)}`, { weight: name });
      }
    }
  }
}

/**
 * Every invariant violation of `program`, in a deterministic order (functions in insertion
 * order, then ops in body order). Each is a FastVlmError with code `E_VERIFY` whose
 * `details.check` names the violated {@link VerifyCheck}.
 */
export function collectDiagnostics(program: Program): FastVlmError[] {
  const c = new Collector();
  const seen = new Set<string>();
  for (const [key, fn] of program.functions) {
    if (key !== fn.name) c.fnError(fn, 'function-name', `is registered under the name '${key}'`, { key });
    if (!FUNC_NAME_RE.test(fn.name)) c.fnError(fn, 'function-name', `'${fn.name}' is not a valid function name; expected ${FUNC_NAME_RE.source}`);
    if (seen.has(fn.name)) c.fnError(fn, 'function-name', 'is defined twice');
    seen.add(fn.name);
    verifyFunction(program, fn, c);
  }
  return c.errors;
}

/** Throws the first diagnostic of {@link collectDiagnostics} (code `E_VERIFY`), if any. */
export function verifyProgram(program: Program): void {
  const first = collectDiagnostics(program)[0];
  if (first) throw first;
}
