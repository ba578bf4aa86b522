/**
 * Low-level, checked construction of IR: every op added through here is validated against its
 * definition and gets its output types from inference. The DSL, the text parser and passes use
 * it, so they all report the same coded errors.
 * @module
 */
import { graphError, type SourceLoc } from '../errors.js';
import { getOp } from '../ops/registry.js';
import { checkOp } from '../ops/validate.js';
import type { InferInputs } from '../ops/def.js';
import { checkShape } from '../shape.js';
import { type Attrs, Block, Func, Op, type OpInputs, type TensorType, Value } from './types.js';

/** A valid value name: what follows `%` in IR text. */
export const VALUE_NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9_.@]*$/;

/** Hands out unique value names within one function. */
export class NameScope {
  private readonly used = new Set<string>();
  private counter = 0;

  /** Registers an exact name; throws E_NAME when taken or malformed. */
  claim(name: string, where?: string): string {
    if (!VALUE_NAME_RE.test(name)) throw graphError('E_NAME', `'${name}' is not a valid value name (${VALUE_NAME_RE.source})`, where !== undefined ? { where } : {});
    if (this.used.has(name)) throw graphError('E_NAME', `value name '${name}' is used twice`, { where: where ?? name });
    this.used.add(name);
    return name;
  }

  /** A fresh name from a hint: `hint`, else `hint_1`, `hint_2`, ... */
  fresh(hint = 'v'): string {
    const base = VALUE_NAME_RE.test(hint) ? hint : 'v';
    if (!this.used.has(base)) return this.claim(base);
    for (;;) {
      const n = `${base}_${++this.counter}`;
      if (!this.used.has(n)) return this.claim(n);
    }
  }

  has(name: string): boolean {
    return this.used.has(name);
  }

  /** Seeds the scope with every name already used in a function. */
  static of(fn: Func): NameScope {
    const s = new NameScope();
    for (const v of fn.inputs) s.used.add(v.name);
    for (const op of fn.body.ops) for (const o of op.outputs) s.used.add(o.name);
    return s;
  }
}

/** Builds one function op by op with validation. */
export class FunctionBuilder {
  readonly fn: Func;
  readonly names: NameScope;

  constructor(name: string, fn?: Func) {
    this.fn = fn ?? new Func(name, [], new Block());
    this.names = fn ? NameScope.of(fn) : new NameScope();
  }

  /** Declares a function input. */
  input(name: string, type: TensorType): Value {
    checkShape(type.shape, `input ${name}`);
    const v = new Value(this.names.claim(name, `input ${name}`), { dtype: type.dtype, shape: [...type.shape] });
    this.fn.inputs.push(v);
    return v;
  }

  /**
   * Validates and appends an op. Output names come from `names` (exact) or fresh names from
   * `hint`. Returns the outputs.
   */
  add(kind: string, inputs: OpInputs, attrs: Attrs = {}, opts: { names?: readonly string[]; hint?: string; loc?: SourceLoc } = {}): Value[] {
    const def = getOp(kind);
    const types: Record<string, TensorType | TensorType[]> = {};
    for (const [k, v] of Object.entries(inputs)) {
      types[k] = Array.isArray(v) ? (v as readonly Value[]).map((x) => x.type) : (v as Value).type;
    }
    const where = opts.names?.length ? `${kind} -> %${opts.names.join(', %')}` : kind;
    const { attrs: resolved, outputs } = checkOp(def, types as InferInputs, attrs, where, opts.loc);
    if (opts.names && opts.names.length !== outputs.length) {
      throw graphError('E_VERIFY', `${kind} yields ${outputs.length} values but ${opts.names.length} names were given`, opts.loc ? { where, loc: opts.loc } : { where });
    }
    const outs = outputs.map((t, i) => new Value(opts.names ? this.names.claim(opts.names[i]!, where) : this.names.fresh(opts.hint ?? kind), t));
    const op = new Op(kind, { ...inputs }, resolved, outs, opts.loc);
    this.fn.body.ops.push(op);
    return outs;
  }

  /** Sets the function outputs. */
  output(...values: Value[]): void {
    this.fn.body.outputs = values;
  }
}
