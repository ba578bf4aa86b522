/**
 * A DSL function: declares inputs, parameters and constants, adds ops through the generated,
 * typed methods of {@link OpMethods}, and names its outputs. Every op goes through the IR's
 * {@link FunctionBuilder}, so it is validated and typed by the op's definition when added, and
 * errors carry the author's file:line.
 * @module
 */
import { type DType, DTYPES, isDType } from '../dtype.js';
import { type SourceLoc, FastVlmError, graphError } from '../errors.js';
import { FunctionBuilder, VALUE_NAME_RE } from '../ir/build.js';
import type { Attrs, AttrValue, Func, Value } from '../ir/types.js';
import { getOp } from '../ops/registry.js';
import { checkShape, formatShape, isStatic, shapeEq, type Dim, type StaticShape } from '../shape.js';
import { tensor } from '../tensor.js';
import type { WeightSource, WeightStore } from '../weights/store.js';
import { computedSource } from '../weights/store.js';
import { type SyntheticOptions, syntheticSource } from '../weights/synthetic.js';
import { captureCallSite } from './call-site.js';
import { show } from './show.js';
import { type AnyTensor, type HandleOwner, type OpArgs, TensorHandle } from './handle.js';
import { OpMethods } from './ops.generated.js';
import { checkOutputTyping } from './typing-check.js';

/** What a function needs from the program builder that owns it. */
export interface GraphContext {
  readonly weights: WeightStore;
  readonly seed: number;
  readonly missingWeights: 'synthesize' | 'error';
  readonly locations: boolean;
  readonly built: boolean;
}

/** Options of {@link GraphFunction.param}. */
export interface ParamOptions {
  /**
   * How to synthesize the weight when the store lacks it (passed to `syntheticSource`); by
   * default normal values with std 1/sqrt(fan_in).
   */
  readonly init?: Omit<SyntheticOptions, 'seed'>;
}

/** Re-raises `e` as a coded error carrying the author's location (when it has none yet). */
function withLoc(e: unknown, loc: SourceLoc | undefined, what: string): FastVlmError {
  if (e instanceof FastVlmError) {
    if (e.loc !== undefined || loc === undefined) return e;
    return new FastVlmError(e.code, e.detail, { ...(e.where !== undefined ? { where: e.where } : {}), loc, details: e.details, cause: e });
  }
  // A plain exception here is a bug in an op definition; still report it as coded data.
  const msg = e instanceof Error ? e.message : show(e);
  return graphError('E_VERIFY', `${what}: internal error: ${msg}`, { where: what, ...(loc ? { loc } : {}), cause: e });
}

function describe(x: unknown): string {
  if (Array.isArray(x)) return `an array ${show(x)}`;
  return typeof x === 'object' && x !== null ? `an object ${show(x)}` : `${typeof x} ${show(x)}`;
}

/** Throws E_NAME unless `name` is a non-empty string. */
function expectName(name: unknown, what: string, loc: SourceLoc | undefined): asserts name is string {
  if (typeof name !== 'string' || name === '') throw graphError('E_NAME', `${what} needs a non-empty string name, got ${show(name)}`, { where: what, ...(loc ? { loc } : {}) });
}

/** A name usable as a value name: invalid characters replaced by `_`. */
function sanitize(name: string): string {
  const s = name.replace(/[^A-Za-z0-9_.@]/g, '_');
  return VALUE_NAME_RE.test(s) ? s : `_${s}`;
}

/**
 * Builds one function of a program. Get one from {@link GraphBuilder.function}; the op methods
 * (`f.conv2d`, `f.softmax`, ...) are generated from the op registry.
 *
 * Parameter names are hierarchical: inside `f.scope('model.layers.0', (s) => ...)` a
 * `s.param('weight', ...)` names the weight `model.layers.0.weight`, as in Hugging Face
 * checkpoints. Scopes nest; `s` is the same function builder.
 */
export class GraphFunction extends OpMethods implements HandleOwner {
  readonly #ctx: GraphContext;
  readonly #fb: FunctionBuilder;
  readonly #scopes: string[] = [];
  readonly #params = new Map<string, AnyTensor>();
  readonly #scalars = new Map<string, AnyTensor>();
  readonly #outputs: Value[] = [];

  /** @internal Made by {@link GraphBuilder.function}. */
  constructor(ctx: GraphContext, name: string) {
    super();
    this.#ctx = ctx;
    this.#fb = new FunctionBuilder(name);
  }

  /** The function's name. */
  get name(): string {
    return this.#fb.fn.name;
  }

  /** The IR function being built (read it, do not edit it). */
  get func(): Func {
    return this.#fb.fn;
  }

  /** The values named as outputs so far. */
  get outputs(): readonly Value[] {
    return this.#outputs;
  }

  /** The current scope prefix, e.g. `model.layers.0.self_attn`, or `''` at the top. */
  get scopeName(): string {
    return this.#scopes.join('.');
  }

  /** The full (scoped) name of a parameter called `name` here. */
  paramName(name: string): string {
    return this.#scopes.length ? `${this.scopeName}.${name}` : name;
  }

  /**
   * Runs `body` with `name` appended to the parameter scope and returns its result. `name` may
   * itself be dotted (`'model.layers.0'`).
   */
  scope<T>(name: string, body: (s: this) => T): T {
    const loc = this.#loc();
    if (typeof name !== 'string' || name === '' || /\s/.test(name) || name.startsWith('.') || name.endsWith('.')) {
      throw graphError('E_NAME', `scope name must be a non-empty string without spaces or leading/trailing dots, got ${show(name)}`, { where: this.name, ...(loc ? { loc } : {}) });
    }
    this.#scopes.push(name);
    try {
      return body(this);
    } finally {
      this.#scopes.pop();
    }
  }

  /**
   * Declares a function input. Shapes may hold symbolic dims (`'seq'`); a tuple literal shape
   * gives the handle its rank type.
   */
  input<D extends DType, const S extends readonly Dim[]>(name: string, dtype: D, shape: S): TensorHandle<D, S['length']> {
    const loc = this.#loc();
    this.#assertOpen(loc);
    expectName(name, 'input', loc);
    try {
      const d = this.#dtype(dtype, `input ${name}`);
      if (!Array.isArray(shape)) throw graphError('E_SHAPE_INVALID', `input ${name}: shape must be an array of dims, got ${show(shape)}`, { where: `input ${name}` });
      const v = this.#fb.input(name, { dtype: d, shape: [...(shape as readonly Dim[])] });
      return new TensorHandle(this, v);
    } catch (e) {
      throw withLoc(e, loc, `input ${name}`);
    }
  }

  /**
   * A named parameter: a `const` op referring to the program's WeightStore by its full scoped
   * name. When the store lacks the name a deterministic synthetic weight is registered (unless
   * the program was made with `missingWeights: 'error'`); when it has it, dtype and shape must
   * match (E_WEIGHT_MISMATCH naming the parameter). Parameters of the same name share one
   * weight across functions, and one value within a function.
   */
  param<D extends DType, const S extends readonly number[]>(name: string, dtype: D, shape: S, opts: ParamOptions = {}): TensorHandle<D, S['length']> {
    const loc = this.#loc();
    expectName(name, 'param', loc);
    return this.#weightConst(this.paramName(name), dtype, shape, loc, (full) => syntheticSource(full, dtype, [...shape], { ...opts.init, seed: this.#ctx.seed })) as TensorHandle<D, S['length']>;
  }

  /**
   * A named constant kept in the WeightStore (not scoped), computed on demand by `values` when
   * the store lacks it: for tables derived from hyperparameters (rotary embeddings) that are too
   * big to inline in the IR.
   */
  storedConstant<D extends DType, const S extends readonly number[]>(name: string, dtype: D, shape: S, values: () => ArrayLike<number>): TensorHandle<D, S['length']> {
    const loc = this.#loc();
    expectName(name, 'storedConstant', loc);
    return this.#weightConst(name, dtype, shape, loc, () =>
      computedSource(dtype, [...shape], () => tensor(dtype, [...shape], values()), { describe: `computed constant '${name}'`, cache: true }),
    ) as TensorHandle<D, S['length']>;
  }

  /** An inline constant of a static shape (for small tensors: scalars, masks, shape vectors). */
  constant<D extends DType, const S extends readonly number[]>(dtype: D, shape: S, values: ArrayLike<number>): TensorHandle<D, S['length']> {
    const loc = this.#loc();
    this.#assertOpen(loc);
    try {
      const d = this.#dtype(dtype, 'constant');
      this.#staticShape(shape, 'constant');
      if (values === null || typeof values !== 'object' || typeof (values as ArrayLike<number>).length !== 'number') {
        throw graphError('E_ATTR', `constant values must be an array of numbers, got ${show(values)}`, { where: 'constant' });
      }
      for (let i = 0; i < values.length; i++) {
        if (typeof values[i] !== 'number') throw graphError('E_ATTR', `constant value ${i} must be a number, got ${show(values[i])}`, { where: 'constant' });
      }
      const t = tensor(d, [...shape], values);
      const [v] = this.#fb.add('const', {}, { dtype: d, shape: [...shape], value: Array.from(t.data) }, { hint: this.#hint('const'), ...(loc ? { loc } : {}) });
      return new TensorHandle(this, v!) as TensorHandle<D, S['length']>;
    } catch (e) {
      throw withLoc(e, loc, 'constant');
    }
  }

  /** A rank-0 constant (default dtype fp32); equal scalars share one value. */
  scalar<D extends DType = 'fp32'>(value: number, dtype?: D): TensorHandle<D, 0> {
    const d = (dtype ?? 'fp32') as D;
    if (typeof value !== 'number') {
      const loc = this.#loc();
      throw graphError('E_ATTR', `scalar value must be a number, got ${show(value)}`, { where: 'scalar', ...(loc ? { loc } : {}) });
    }
    // Check the dtype before it goes into the cache key: a non-string dtype could throw on
    // string conversion or, via its toString, alias a cached scalar of a real dtype.
    if (typeof d !== 'string' || !isDType(d)) {
      const loc = this.#loc();
      throw graphError('E_DTYPE_UNKNOWN', `scalar: unknown dtype ${show(d)}; expected one of ${DTYPES.join(', ')}`, { where: 'scalar', ...(loc ? { loc } : {}) });
    }
    const key = `${d}:${Object.is(value, -0) ? '-0' : String(value)}`;
    const hit = this.#scalars.get(key);
    if (hit) return hit as TensorHandle<D, 0>;
    const h = this.constant(d, [], [value]);
    this.#scalars.set(key, h);
    return h;
  }

  /**
   * Names function outputs: `f.output(a, b)` keeps the values' names, `f.output({ logits: y })`
   * renames each value to its key. May be called several times; outputs keep their order.
   */
  output(...values: AnyTensor[]): void;
  output(named: Readonly<Record<string, AnyTensor>>): void;
  output(...args: unknown[]): void {
    const loc = this.#loc();
    this.#assertOpen(loc);
    const one = args[0];
    if (args.length === 1 && one !== null && typeof one === 'object' && !(one instanceof TensorHandle) && !Array.isArray(one)) {
      for (const [k, h] of Object.entries(one as Record<string, unknown>)) {
        const v = this.#valueOf(h, 'output', k, loc);
        this.#rename(v, k, loc);
        this.#addOutput(v, loc);
      }
      return;
    }
    if (args.length === 0) throw graphError('E_INPUT', `output() of function '${this.name}' needs at least one tensor`, { where: this.name, ...(loc ? { loc } : {}) });
    args.forEach((h, i) => this.#addOutput(this.#valueOf(h, 'output', String(i), loc), loc));
  }

  /** @internal Renames a value of this function (used by {@link TensorHandle.named}). */
  renameValue(value: Value, name: string): void {
    const loc = this.#loc();
    this.#assertOpen(loc);
    this.#rename(value, name, loc);
  }

  /** @internal Validates and appends one op; the generated methods call this. */
  protected addOp(kind: string, inputs: OpArgs, attrs: object | undefined): TensorHandle[] {
    const loc = this.#loc();
    this.#assertOpen(loc);
    const where = kind;
    const ir: Record<string, Value | Value[]> = {};
    for (const [k, h] of Object.entries(inputs)) {
      if (h === undefined) continue;
      ir[k] = Array.isArray(h) ? (h as readonly unknown[]).map((x, i) => this.#valueOf(x, kind, `${k}[${i}]`, loc)) : this.#valueOf(h, kind, k, loc);
    }
    const a = this.#attrs(kind, attrs, loc);
    const ops = this.#fb.fn.body.ops;
    const before = ops.length;
    let outs: Value[];
    try {
      outs = this.#fb.add(kind, ir, a, { hint: this.#hint(kind), ...(loc ? { loc } : {}) });
      checkOutputTyping(getOp(kind), ir, ops[ops.length - 1]!.attrs, outs, loc);
    } catch (e) {
      // Leave the function as it was when the op is rejected after being appended.
      ops.length = before;
      throw withLoc(e, loc, where);
    }
    return outs.map((v) => new TensorHandle(this, v));
  }

  #loc(): SourceLoc | undefined {
    return this.#ctx.locations ? captureCallSite() : undefined;
  }

  #assertOpen(loc: SourceLoc | undefined): void {
    if (this.#ctx.built) {
      throw graphError('E_VERIFY', `function '${this.name}' cannot change: its program was already built; start a new graph()`, { where: this.name, ...(loc ? { loc } : {}) });
    }
  }

  #hint(kind: string): string {
    const s = this.scopeName;
    return s && VALUE_NAME_RE.test(`${s}.${kind}`) ? `${s}.${kind}` : kind;
  }

  #dtype<D extends DType>(d: D, where: string): D {
    // Untyped (JavaScript) callers can pass anything.
    if (typeof d !== 'string' || !isDType(d)) throw graphError('E_DTYPE_UNKNOWN', `${where}: unknown dtype ${show(d)}; expected one of ${DTYPES.join(', ')}`, { where });
    return d;
  }

  #staticShape(shape: readonly unknown[], where: string): asserts shape is StaticShape {
    if (!Array.isArray(shape)) throw graphError('E_SHAPE_INVALID', `${where}: shape must be an array of sizes, got ${describe(shape)}`, { where });
    checkShape(shape as Dim[], where);
    if (!isStatic(shape as Dim[])) throw graphError('E_SHAPE_INVALID', `${where}: shape ${formatShape(shape as Dim[])} must be static (numbers only)`, { where });
  }

  #valueOf(h: unknown, kind: string, input: string, loc: SourceLoc | undefined): Value {
    const opt = { where: kind, ...(loc ? { loc } : {}) };
    if (!(h instanceof TensorHandle)) throw graphError('E_INPUT', `${kind} input '${input}' must be a tensor handle, got ${describe(h)}`, opt);
    if (h.owner !== this) {
      throw graphError('E_INPUT', `${kind} input '${input}' is %${h.name} of function '${h.owner.name}', not of function '${this.name}'`, opt);
    }
    return h.value;
  }

  #attrs(kind: string, attrs: object | undefined, loc: SourceLoc | undefined): Attrs {
    if (attrs === undefined) return {};
    if (attrs === null || typeof attrs !== 'object' || Array.isArray(attrs)) {
      throw graphError('E_ATTR', `${kind} options must be an object of attributes, got ${describe(attrs)}`, { where: kind, ...(loc ? { loc } : {}) });
    }
    const out: Record<string, AttrValue> = {};
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined) continue;
      // Copy lists so later edits of the caller's arrays cannot change the IR.
      out[k] = Array.isArray(v) ? [...(v as readonly (number | string)[])] : (v as AttrValue);
    }
    return out;
  }

  #rename(value: Value, name: string, loc: SourceLoc | undefined): void {
    expectName(name, 'named', loc);
    if (value.name === name) return;
    if (!this.#fb.fn.inputs.includes(value) && !this.#fb.fn.body.ops.some((op) => op.outputs.includes(value))) {
      throw graphError('E_NAME', `value %${value.name} does not belong to function '${this.name}'`, { where: this.name, ...(loc ? { loc } : {}) });
    }
    try {
      this.#fb.names.claim(name, `${this.name}.${name}`);
    } catch (e) {
      throw withLoc(e, loc, `${this.name}.${name}`);
    }
    value.name = name;
  }

  #addOutput(v: Value, loc: SourceLoc | undefined): void {
    if (this.#outputs.includes(v)) {
      throw graphError('E_NAME', `value %${v.name} is already an output of function '${this.name}'`, { where: this.name, ...(loc ? { loc } : {}) });
    }
    this.#outputs.push(v);
  }

  #weightConst(full: string, dtype: DType, shape: readonly number[], loc: SourceLoc | undefined, make: (full: string) => WeightSource): AnyTensor {
    this.#assertOpen(loc);
    const where = `param ${full}`;
    try {
      this.#dtype(dtype, where);
      this.#staticShape(shape, where);
      const have = this.#params.get(full);
      if (have) {
        if (have.dtype !== dtype || !shapeEq(have.shape, shape)) {
          throw graphError('E_WEIGHT_MISMATCH', `parameter '${full}' is used as ${dtype}${formatShape(shape)} but was declared ${have.dtype}${formatShape(have.shape)} earlier in function '${this.name}'`, { where: full });
        }
        return have;
      }
      const store = this.#ctx.weights;
      if (store.has(full)) {
        const info = store.info(full);
        if (info.dtype !== dtype || !shapeEq(info.shape, shape)) {
          throw graphError('E_WEIGHT_MISMATCH', `parameter '${full}' is declared ${dtype}${formatShape(shape)} but the weight store has ${info.dtype}${formatShape(info.shape)} (${info.source})`, { where: full });
        }
      } else if (this.#ctx.missingWeights === 'error') {
        throw graphError('E_WEIGHT_MISSING', `parameter '${full}' (${dtype}${formatShape(shape)}) is not in the weight store`, { where: full });
      } else {
        store.add(full, make(full));
      }
      const exact = VALUE_NAME_RE.test(full) && !this.#fb.names.has(full);
      const [v] = this.#fb.add('const', {}, { dtype, shape: [...shape], weight: full }, { ...(exact ? { names: [full] } : { hint: sanitize(full) }), ...(loc ? { loc } : {}) });
      const h = new TensorHandle(this, v!);
      this.#params.set(full, h);
      return h;
    } catch (e) {
      throw withLoc(e, loc, where);
    }
  }
}
