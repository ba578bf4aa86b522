/**
 * Derived weights addressed by their derivation: the same transform of the same source
 * constants with the same parameters is one WeightStore entry, whichever function (or pass)
 * asks for it. A multifunction program (prefill and decode of one LLM) thus shares every derived
 * weight instead of computing and storing one copy per function.
 * @module
 */
import {
  type DType,
  type Program,
  type StaticShape,
  type Tensor,
  type Value,
  type WeightSource,
  type WeightStore,
  computedSource,
  graphError,
  numel,
} from '@fastvlm/graph';
import { DEFAULT_INLINE_LIMIT, type RewriteBuilder } from '../rewrite/builder.js';
import { constInfo, constSource, freshWeightName } from './consts.js';
import { type ViewSpec, viewSource } from './views.js';

/** A parameter of a derivation (attribute-like values). */
export type DerivationParam = number | string | boolean | readonly (number | string | boolean)[];

/**
 * How a derived constant is computed. Two derivations with equal fields must give equal tensors:
 * `transform` names one compute function, `params` hold everything it depends on besides its
 * inputs (the result's dtype and shape are part of the key anyway).
 */
export interface Derivation {
  /** The computation, e.g. `reshape` or `fuse-conv-bias.bias`. */
  readonly transform: string;
  readonly params?: Readonly<Record<string, DerivationParam>>;
  /** The constants read, in order; undefined for an absent optional input. */
  readonly inputs: readonly (Value | undefined)[];
}

/** Identity of store sources: the same source object is the same tensor. */
const sourceIds = new WeakMap<WeightSource, number>();
let nextSourceId = 0;

/** The derivation key of every derived source created here. */
const derivationOf = new WeakMap<WeightSource, string>();

/** Per store: derivation key -> weight name. */
const storeIndex = new WeakMap<WeightStore, Map<string, string>>();

function sourceId(src: WeightSource): number {
  let id = sourceIds.get(src);
  if (id === undefined) sourceIds.set(src, (id = nextSourceId++));
  return id;
}

/** A number as text that tells -0, NaN and infinities apart and round-trips floats. */
function numText(x: number): string {
  return Object.is(x, -0) ? '-0' : String(x);
}

function paramText(v: DerivationParam): string {
  if (Array.isArray(v)) return `[${(v as readonly (number | string | boolean)[]).map((x) => (typeof x === 'number' ? numText(x) : JSON.stringify(x))).join(',')}]`;
  return typeof v === 'number' ? numText(v) : JSON.stringify(v);
}

/**
 * The key of a derivation producing `dtype[shape]`, or undefined when an input is not a
 * readable constant (such a result is never shared). Inline inputs are keyed by their values,
 * weight inputs by the identity of their store source (not their name, which a store may reuse).
 */
export function derivationKey(program: Program, d: Derivation, dtype: DType, shape: StaticShape): string | undefined {
  const ins: string[] = [];
  for (const v of d.inputs) {
    if (v === undefined) {
      ins.push('-');
      continue;
    }
    const c = constInfo(v);
    if (!c) return undefined;
    if (c.inline) ins.push(`${c.dtype}[${c.shape.join(',')}](${c.inline.map(numText).join(',')})`);
    else if (c.weight !== undefined && program.weights.has(c.weight)) ins.push(`@${sourceId(program.weights.source(c.weight))}`);
    else return undefined;
  }
  const params = Object.keys(d.params ?? {})
    .sort()
    .map((k) => `${k}=${paramText(d.params![k]!)}`)
    .join(';');
  return `${d.transform}{${params}}(${ins.join(',')})->${dtype}[${shape.join(',')}]`;
}

/** The index of a store, built from its sources on first use (so earlier runs' entries count). */
function indexOf(store: WeightStore): Map<string, string> {
  let idx = storeIndex.get(store);
  if (!idx) {
    idx = new Map();
    for (const name of store.names()) {
      const key = derivationOf.get(store.source(name));
      if (key !== undefined && !idx.has(key)) idx.set(key, name);
    }
    storeIndex.set(store, idx);
  }
  return idx;
}

/** The name of the store entry holding derivation `key`, if there is one. */
export function findDerivedWeight(store: WeightStore, key: string): string | undefined {
  const idx = indexOf(store);
  const name = idx.get(key);
  // The entry may have been deleted (weight pruning) or replaced since.
  if (name !== undefined && store.has(name) && derivationOf.get(store.source(name)) === key) return name;
  if (name !== undefined) idx.delete(key);
  return undefined;
}

/**
 * Adds a computed (lazy) weight for a derivation, or returns the name of the entry that already
 * holds it. A new entry is named after `hint` (`hint`, `hint.1`, ...), so names stay
 * deterministic: the first request names it. Without a key (`undefined`) the weight is never
 * shared. `compute` must be deterministic and return a fresh tensor.
 */
export function addDerivedWeight(program: Program, key: string | undefined, hint: string, dtype: DType, shape: StaticShape, compute: () => Tensor, describe = `computed:${hint}`): string {
  return addDerivedSource(program, key, hint, () => computedSource(dtype, [...shape], compute, { describe }));
}

/**
 * {@link addDerivedWeight} for a ready-made source (e.g. a streaming {@link viewSource}):
 * `make` is called only when no entry holds derivation `key` yet.
 */
export function addDerivedSource(program: Program, key: string | undefined, hint: string, make: () => WeightSource): string {
  const store = program.weights;
  if (key !== undefined) {
    const hit = findDerivedWeight(store, key);
    if (hit !== undefined) return hit;
  }
  const name = freshWeightName(program, hint);
  const src = make();
  store.add(name, src);
  if (key !== undefined) {
    derivationOf.set(src, key);
    indexOf(store).set(key, name);
  }
  return name;
}

/**
 * A constant derived from other constants, for rewrites: written inline when it has at most
 * `inlineLimit` elements (evaluated now), else a const referring to the shared store entry of
 * its derivation (see {@link addDerivedWeight}).
 */
export function deriveConst(b: RewriteBuilder, d: Derivation, hint: string, dtype: DType, shape: StaticShape, compute: () => Tensor, inlineLimit = DEFAULT_INLINE_LIMIT): Value {
  if (numel(shape) <= inlineLimit) return b.constant(dtype, shape, Array.from(compute().data), hint);
  const program = b.editor.program;
  const name = addDerivedWeight(program, derivationKey(program, d, dtype, shape), hint, dtype, shape, compute);
  return b.weightRef(name, dtype, shape, hint);
}

/**
 * A derived constant that is a view of constant `of` (see {@link viewSource}: a reshape or row
 * slice of its elements, optionally cast element-wise), for rewrites. Like {@link deriveConst}
 * it is inline up to `inlineLimit` elements, else a shared store entry; that entry streams from
 * the parent's source chunk by chunk instead of materializing it. `of` must be a readable
 * constant.
 */
export function deriveView(b: RewriteBuilder, d: Derivation, hint: string, dtype: DType, shape: StaticShape, of: Value, spec: Omit<ViewSpec, 'describe'> & { readonly describe?: string } = {}, inlineLimit = DEFAULT_INLINE_LIMIT): Value {
  const program = b.editor.program;
  const parent = constSource(program, of);
  if (!parent) throw graphError('E_WEIGHT_MISSING', `cannot derive '${hint}': '${of.name}' is not a readable constant`, { where: hint });
  const make = (): WeightSource => viewSource(parent, dtype, shape, { ...spec, describe: spec.describe ?? `computed:${hint}` });
  if (numel(shape) <= inlineLimit) return b.constant(dtype, shape, Array.from(make().read().data), hint);
  const name = addDerivedSource(program, derivationKey(program, d, dtype, shape), hint, make);
  return b.weightRef(name, dtype, shape, hint);
}
