/**
 * Random valid Programs for property tests of passes, the verifier and the text form, and seeded
 * inputs to run them. Programs are built through {@link FunctionBuilder} from a small recipe
 * (so fast-check shrinks them): each step proposes an op of a random kind with random operands
 * and attributes, and candidates that fail validation are skipped. Only kinds the registry has
 * (`hasOp`) are used, so the generator works while op families are still being written.
 * Test-only: not exported from the package entry (it needs fast-check).
 * @module
 */
import fc from 'fast-check';
import type { DType } from '../dtype.js';
import { FastVlmError, graphError } from '../errors.js';
import { FunctionBuilder } from '../ir/build.js';
import { type AttrValue, type Attrs, type OpInputs, Program, type Value } from '../ir/types.js';
import type { OpDef } from '../ops/def.js';
import { getOp, hasOp } from '../ops/registry.js';
import type { Dim } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { WeightStore, memorySource } from '../weights/store.js';
import { fillTensor } from './arb.js';
import { xorshift32 } from './rng.js';

/** The op kinds drawn by default (those not registered when a program is built are left out). */
export const DEFAULT_KINDS: readonly string[] = [
  'add', 'mul', 'sub', 'relu', 'sigmoid', 'tanh', 'exp', 'softmax', 'transpose', 'reshape',
  'concat', 'reduce_sum', 'matmul', 'split', 'const',
];

/** A small deterministic random source (xorshift32) for proposers. */
export class Rng {
  /** The xorshift32 stream; a zero seed starts from 0x9e3779b9 (recorded seeds replay as before). */
  readonly u32: () => number;

  constructor(seed: number) {
    this.u32 = xorshift32(seed >>> 0 || 0x9e3779b9);
  }

  /** Uniform integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number {
    return lo + (this.u32() % (hi - lo + 1));
  }

  /** True with probability `p`. */
  bool(p = 0.5): boolean {
    return this.u32() / 4294967296 < p;
  }

  /** A random element; undefined for an empty list. */
  pick<T>(xs: readonly T[]): T | undefined {
    return xs.length ? xs[this.int(0, xs.length - 1)] : undefined;
  }

  /** A random permutation of [0, n). */
  perm(n: number): number[] {
    const p = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(0, i);
      [p[i], p[j]] = [p[j]!, p[i]!];
    }
    return p;
  }
}

/** What a proposer sees. */
export interface ProposeContext {
  readonly def: OpDef;
  /** Values usable as operands, in definition order (function inputs first). */
  readonly values: readonly Value[];
  readonly rng: Rng;
  /** Float dtypes the program is drawn over. */
  readonly dtypes: readonly DType[];
  readonly maxRank: number;
  readonly maxDim: number;
  /** Adds an inline `const` (values in [-2, 2]) and returns it; rolled back if the op is skipped. */
  constant(dtype: DType, shape: readonly number[], values?: readonly number[]): Value;
  /** The program's weight store, when proposers may add weights to it (see `weightConsts`). */
  readonly weights?: WeightStore;
}

/** A candidate op application; validated by FunctionBuilder, skipped when invalid. */
export interface Proposal {
  readonly inputs: OpInputs;
  readonly attrs?: Attrs;
}

/** Proposes inputs and attributes for one op kind, or undefined when none fit. */
export type Proposer = (ctx: ProposeContext) => Proposal | undefined;

/** Options of {@link arbProgram}. */
export interface RandomProgramOptions {
  /** Op kinds to draw from (default {@link DEFAULT_KINDS}); unregistered kinds are ignored. */
  readonly kinds?: readonly string[];
  /** Extra or replacement proposers by kind (others use the built-in ones or a generic one). */
  readonly proposers?: Readonly<Record<string, Proposer>>;
  readonly minFunctions?: number;
  readonly maxFunctions?: number;
  readonly maxInputs?: number;
  /** Maximum number of op-adding steps per function (at least one op is always added). */
  readonly maxOps?: number;
  /** Dtypes of function inputs and constants (default fp32 and fp16). */
  readonly dtypes?: readonly DType[];
  readonly maxRank?: number;
  readonly maxDim?: number;
  /** Let input shapes use the symbolic dims `n` and `m`. */
  readonly symbolic?: boolean;
  /** Let `const` ops refer to seeded weights added to the program's store (default true). */
  readonly weightConsts?: boolean;
}

/** The shrinkable description a program is built from. */
export interface FunctionRecipe {
  readonly inputs: readonly { readonly dtype: DType; readonly shape: readonly Dim[] }[];
  readonly steps: readonly number[];
  readonly outputs: readonly number[];
}

const isStaticDims = (s: readonly Dim[]): s is readonly number[] => s.every((d) => typeof d === 'number');

function pickOperand(ctx: ProposeContext, ok: (v: Value) => boolean): Value | undefined {
  const all = ctx.values.filter(ok);
  // Prefer recent values so chains get deep, but keep reaching back for DAG shapes.
  if (all.length > 3 && ctx.rng.bool(0.6)) return ctx.rng.pick(all.slice(-3));
  return ctx.rng.pick(all);
}

function floatOperand(ctx: ProposeContext, inputIndex = 0, minRank = 0): Value | undefined {
  const spec = ctx.def.inputs[inputIndex];
  return pickOperand(ctx, (v) => (spec ? spec.dtypes.includes(v.type.dtype) : true) && ctx.dtypes.includes(v.type.dtype) && v.type.shape.length >= minRank);
}

function hasAttr(def: OpDef, name: string): boolean {
  return def.attrs.some((a) => a.name === name);
}

function attrsOf(def: OpDef, entries: readonly (readonly [string, AttrValue])[]): Record<string, AttrValue> {
  const out: Record<string, AttrValue> = {};
  for (const [k, v] of entries) if (hasAttr(def, k)) out[k] = v;
  return out;
}

/** Fills required inputs with type-compatible values (same type as the first when possible). */
export const genericProposer: Proposer = (ctx) => {
  if (ctx.def.attrs.some((a) => a.default === undefined && !a.optional)) return undefined;
  const inputs: Record<string, Value | Value[]> = {};
  let first: Value | undefined;
  for (const [i, spec] of ctx.def.inputs.entries()) {
    if (spec.optional) continue;
    const same = first ? ctx.values.filter((v) => v.type === first!.type || (v.type.dtype === first!.type.dtype && v.type.shape.join() === first!.type.shape.join())) : [];
    const v = same.length && spec.dtypes.includes(first!.type.dtype) ? ctx.rng.pick(same) : floatOperand(ctx, i);
    if (!v) return undefined;
    first ??= v;
    inputs[spec.name] = spec.variadic ? [v] : v;
  }
  return { inputs };
};

/** Two inputs that broadcast: the same value, a value of equal type, or a broadcastable const. */
export const binaryProposer: Proposer = (ctx) => {
  const [sx, sy] = ctx.def.inputs;
  if (!sx || !sy) return undefined;
  const x = floatOperand(ctx, 0);
  if (!x) return undefined;
  const choice = ctx.rng.int(0, 2);
  let y: Value | undefined;
  if (choice === 0) y = x;
  else if (choice === 1) y = pickOperand(ctx, (v) => v.type.dtype === x.type.dtype && v.type.shape.join() === x.type.shape.join());
  if (!y) {
    const drop = ctx.rng.int(0, x.type.shape.length);
    const shape = x.type.shape.slice(drop).map((d) => (typeof d === 'string' || ctx.rng.bool(0.3) ? 1 : d));
    y = ctx.constant(x.type.dtype, shape);
  }
  return ctx.rng.bool() ? { inputs: { [sx.name]: x, [sy.name]: y } } : { inputs: { [sx.name]: y, [sy.name]: x } };
};

const softmaxProposer: Proposer = (ctx) => {
  const x = floatOperand(ctx, 0, 1);
  if (!x) return undefined;
  const r = x.type.shape.length;
  return { inputs: { [ctx.def.inputs[0]!.name]: x }, attrs: attrsOf(ctx.def, [['axis', ctx.rng.int(-r, r - 1)]]) };
};

const transposeProposer: Proposer = (ctx) => {
  const x = floatOperand(ctx, 0, 1);
  if (!x) return undefined;
  return { inputs: { [ctx.def.inputs[0]!.name]: x }, attrs: attrsOf(ctx.def, [['perm', ctx.rng.perm(x.type.shape.length)]]) };
};

const reshapeProposer: Proposer = (ctx) => {
  const x = pickOperand(ctx, (v) => ctx.dtypes.includes(v.type.dtype) && isStaticDims(v.type.shape) && (ctx.def.inputs[0]?.dtypes.includes(v.type.dtype) ?? true));
  if (!x) return undefined;
  // Factor the element count into 1-3 dims.
  let n = (x.type.shape as readonly number[]).reduce((a, b) => a * b, 1);
  const dims: number[] = [];
  const rank = ctx.rng.int(1, 3);
  for (let i = 0; i < rank - 1; i++) {
    const divisors = Array.from({ length: n }, (_, k) => k + 1).filter((d) => n % d === 0);
    const d = ctx.rng.pick(divisors) ?? 1;
    dims.push(d);
    n /= d;
  }
  dims.push(n);
  const name = ctx.def.inputs[0]!.name;
  if (hasAttr(ctx.def, 'shape')) return { inputs: { [name]: x }, attrs: { shape: dims } };
  if (ctx.def.inputs.some((s) => s.name === 'shape')) return { inputs: { [name]: x, shape: ctx.constant('int32', [dims.length], dims) } };
  return undefined;
};

const concatProposer: Proposer = (ctx) => {
  const spec = ctx.def.inputs[0];
  if (!spec) return undefined;
  const x = floatOperand(ctx, 0, 1);
  if (!x) return undefined;
  const r = x.type.shape.length;
  const axis = ctx.rng.int(-r, r - 1);
  const ax = axis < 0 ? axis + r : axis;
  const values: Value[] = [x];
  const more = ctx.rng.int(0, 2);
  for (let i = 0; i < more; i++) {
    const c = ctx.rng.int(0, 2);
    if (c === 0) values.push(x);
    else if (c === 1) values.push(pickOperand(ctx, (v) => v.type.dtype === x.type.dtype && v.type.shape.join() === x.type.shape.join()) ?? x);
    else if (isStaticDims(x.type.shape)) values.push(ctx.constant(x.type.dtype, x.type.shape.map((d, k) => (k === ax ? ctx.rng.int(1, 3) : d))));
    else values.push(x);
  }
  return { inputs: { [spec.name]: values }, attrs: attrsOf(ctx.def, [['axis', axis]]) };
};

const reduceProposer: Proposer = (ctx) => {
  const x = floatOperand(ctx, 0, 1);
  if (!x) return undefined;
  const r = x.type.shape.length;
  const axes = ctx.rng.perm(r).slice(0, ctx.rng.int(1, r)).sort((a, b) => a - b).map((a) => (ctx.rng.bool(0.3) ? a - r : a));
  return { inputs: { [ctx.def.inputs[0]!.name]: x }, attrs: attrsOf(ctx.def, [['axes', axes], ['keep_dims', ctx.rng.bool()]]) };
};

const matmulProposer: Proposer = (ctx) => {
  const [sx, sy] = ctx.def.inputs;
  if (!sx || !sy) return undefined;
  const x = pickOperand(ctx, (v) => sx.dtypes.includes(v.type.dtype) && ctx.dtypes.includes(v.type.dtype) && v.type.shape.length >= 1 && typeof v.type.shape[v.type.shape.length - 1] === 'number');
  if (!x) return undefined;
  const k = x.type.shape[x.type.shape.length - 1] as number;
  const n = ctx.rng.int(1, ctx.maxDim);
  const ty = ctx.rng.bool(0.3) && hasAttr(ctx.def, 'transpose_y');
  const y = ctx.constant(x.type.dtype, ty ? [n, k] : [k, n]);
  const attrs: Attrs = ty ? { transpose_y: true } : {};
  return { inputs: { [sx.name]: x, [sy.name]: y }, attrs };
};

const splitProposer: Proposer = (ctx) => {
  const x = floatOperand(ctx, 0, 1);
  if (!x) return undefined;
  const axes = x.type.shape.map((d, i) => (typeof d === 'number' && d > 1 ? i : -1)).filter((i) => i >= 0);
  const axis = ctx.rng.pick(axes);
  if (axis === undefined) return undefined;
  const d = x.type.shape[axis] as number;
  const divisors = Array.from({ length: d - 1 }, (_, i) => i + 2).filter((k) => d % k === 0);
  const parts = ctx.rng.pick(divisors) ?? d;
  const name = ctx.def.inputs[0]!.name;
  let attrs: Attrs;
  if (hasAttr(ctx.def, 'num_splits')) attrs = { axis, num_splits: parts };
  else if (hasAttr(ctx.def, 'split_sizes')) attrs = { axis, split_sizes: Array.from({ length: parts }, () => d / parts) };
  else return undefined;
  return { inputs: { [name]: x }, attrs };
};

const constProposer: Proposer = (ctx) => {
  const dtype = ctx.rng.pick(ctx.dtypes) ?? 'fp32';
  const shape = Array.from({ length: ctx.rng.int(0, ctx.maxRank) }, () => ctx.rng.int(1, ctx.maxDim));
  const n = shape.reduce((a, b) => a * b, 1);
  if (ctx.weights && ctx.rng.bool(0.3)) {
    // Names with dots and slashes, like checkpoint keys; unique within the store.
    const name = `layers.${ctx.weights.size}/w`;
    ctx.weights.add(name, memorySource(fillTensor(dtype, shape, ctx.rng.u32())));
    const attrs: Attrs = { dtype, shape, weight: name };
    return { inputs: {}, attrs };
  }
  return { inputs: {}, attrs: { dtype, shape, value: Array.from({ length: n }, () => ctx.rng.int(-8, 8) / 4) } };
};

/** The built-in proposers, by op kind. */
export const BUILTIN_PROPOSERS: Readonly<Record<string, Proposer>> = {
  add: binaryProposer,
  mul: binaryProposer,
  sub: binaryProposer,
  softmax: softmaxProposer,
  transpose: transposeProposer,
  reshape: reshapeProposer,
  concat: concatProposer,
  reduce_sum: reduceProposer,
  matmul: matmulProposer,
  split: splitProposer,
  const: constProposer,
};

/** The kinds of `opts` that are registered now; throws E_OP_UNKNOWN when none is. */
export function availableKinds(opts: RandomProgramOptions = {}): string[] {
  const kinds = (opts.kinds ?? DEFAULT_KINDS).filter((k) => hasOp(k));
  if (kinds.length === 0) throw graphError('E_OP_UNKNOWN', `none of the op kinds ${(opts.kinds ?? DEFAULT_KINDS).join(', ')} is registered`);
  return kinds;
}

const NAME_HINTS = [(k: string): string => k, (k: string): string => `${k}.out`, (k: string, i: number): string => `b${i}@${k}`, (_k: string, i: number): string => `${i}`];

/** Builds one function from a recipe (deterministic). */
export function buildRandomFunction(name: string, recipe: FunctionRecipe, opts: RandomProgramOptions = {}, weights?: WeightStore): FunctionBuilder {
  const kinds = availableKinds(opts);
  const dtypes = opts.dtypes ?? ['fp32', 'fp16'];
  const b = new FunctionBuilder(name);
  recipe.inputs.forEach((t, i) => b.input(`x${i}`, { dtype: t.dtype, shape: t.shape }));
  recipe.steps.forEach((seed, stepIndex) => {
    const rng = new Rng(seed);
    const start = rng.int(0, kinds.length - 1);
    for (let attempt = 0; attempt < kinds.length; attempt++) {
      const kind = kinds[(start + attempt) % kinds.length]!;
      const mark = b.fn.body.ops.length;
      const ctx: ProposeContext = {
        def: getOp(kind),
        values: [...b.fn.inputs, ...b.fn.body.ops.flatMap((o) => o.outputs)],
        rng,
        dtypes,
        maxRank: opts.maxRank ?? 3,
        maxDim: opts.maxDim ?? 4,
        ...(weights && opts.weightConsts !== false ? { weights } : {}),
        constant: (dtype, shape, values) => {
          const n = shape.reduce((a, c) => a * c, 1);
          const value = values ?? Array.from({ length: n }, () => rng.int(-8, 8) / 4);
          return b.add('const', {}, { dtype, shape: [...shape], value: [...value] }, { hint: 'c' })[0]!;
        },
      };
      try {
        const proposer = opts.proposers?.[kind] ?? BUILTIN_PROPOSERS[kind] ?? genericProposer;
        const p = proposer(ctx);
        if (!p) continue;
        const hint = NAME_HINTS[rng.int(0, NAME_HINTS.length - 1)]!(kind, stepIndex);
        b.add(kind, p.inputs, p.attrs ?? {}, { hint });
        return;
      } catch (e) {
        // An invalid candidate: drop it and any helper constants, try the next kind.
        if (!(e instanceof FastVlmError)) throw e;
        b.fn.body.ops.length = mark;
      }
    }
  });
  // Kinds without a fitting candidate can leave a function empty; a const always fits.
  if (b.fn.body.ops.length === 0) b.add('const', {}, { dtype: dtypes[0] ?? 'fp32', shape: [], value: [1] }, { hint: 'c' });
  const results = b.fn.body.ops.flatMap((o) => o.outputs);
  const outs: Value[] = [];
  const last = results[results.length - 1];
  if (last) outs.push(last);
  for (const k of recipe.outputs) {
    const v = results[k % Math.max(1, results.length)];
    if (v && !outs.includes(v)) outs.push(v);
  }
  if (outs.length === 0 && b.fn.inputs[0]) outs.push(b.fn.inputs[0]);
  b.output(...outs);
  return b;
}

/** Builds a program from per-function recipes (functions `main`, `f1`, `f2`, ...). */
export function buildRandomProgram(recipes: readonly FunctionRecipe[], opts: RandomProgramOptions = {}, weights: WeightStore = new WeightStore()): Program {
  const p = new Program(weights);
  recipes.forEach((r, i) => p.addFunction(buildRandomFunction(i === 0 ? 'main' : `f${i}`, r, opts, weights).fn));
  return p;
}

/** An arbitrary function recipe under `opts`. */
export function arbFunctionRecipe(opts: RandomProgramOptions = {}): fc.Arbitrary<FunctionRecipe> {
  const dtypes = opts.dtypes ?? ['fp32', 'fp16'];
  const maxDim = opts.maxDim ?? 4;
  const dim: fc.Arbitrary<Dim> = opts.symbolic ? fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 1, max: maxDim }) }, { weight: 1, arbitrary: fc.constantFrom('n', 'm') }) : fc.integer({ min: 1, max: maxDim });
  return fc.record({
    inputs: fc.array(fc.record({ dtype: fc.constantFrom(...dtypes), shape: fc.array(dim, { maxLength: opts.maxRank ?? 3 }) }), { maxLength: opts.maxInputs ?? 3 }),
    steps: fc.array(fc.integer({ min: 1, max: 0x7fffffff }), { minLength: 1, maxLength: opts.maxOps ?? 8 }),
    outputs: fc.array(fc.nat({ max: 64 }), { maxLength: 2 }),
  });
}

/**
 * An arbitrary valid Program: 1-3 functions (by default), random inputs, chains and DAGs of ops
 * drawn from `opts.kinds`. Every function has at least one op (a `const` always fits).
 */
export function arbProgram(opts: RandomProgramOptions = {}): fc.Arbitrary<Program> {
  return fc
    .array(arbFunctionRecipe(opts), { minLength: opts.minFunctions ?? 1, maxLength: opts.maxFunctions ?? 3 })
    .map((recipes) => buildRandomProgram(recipes, opts));
}

/**
 * Seeded input tensors for `fn` (values in [-2, 2]; symbolic dims bound to sizes in [1, 4],
 * the same size for the same symbol). Same seed, same tensors.
 */
export function randomInputs(fn: { readonly inputs: readonly Value[] }, seed: number, symbols: ReadonlyMap<string, number> = new Map()): Record<string, Tensor> {
  const rng = new Rng(seed);
  const bound = new Map(symbols);
  const out: Record<string, Tensor> = {};
  fn.inputs.forEach((v, i) => {
    const shape = v.type.shape.map((d) => {
      if (typeof d === 'number') return d;
      let s = bound.get(d);
      if (s === undefined) bound.set(d, (s = rng.int(1, 4)));
      return s;
    });
    out[v.name] = fillTensor(v.type.dtype, shape, (seed * 31 + i * 7919 + 1) >>> 0);
  });
  return out;
}
