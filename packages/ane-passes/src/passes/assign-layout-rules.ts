/**
 * The layout rules of `assign-layout`, one per op kind (or per trait), each holding both
 * directions: `emit` runs the op in the layout of its inputs (remapping axis attributes), and
 * `demand` answers the inverse question, which input layout makes the op yield a given output
 * layout. Elementwise ops share one rule (their `layout` trait); so do the reshape-trait ops
 * (squeeze, expand_dims, reshape) when they only add or drop size-1 axes.
 * @module
 */
import { type Attrs, type Op, type Value, normAxis } from '@fastvlm/graph';
import type { RewriteBuilder } from '../rewrite/builder.js';
import { layoutTrait } from '../ir/traits.js';
import { type Layout, dropLayout, layoutKey, position, squeezeLayout, transposeLayout } from './layout.js';
import { isUnitReshape, isUnitTranspose, regroupUnits, unitAxes } from './assign-layout-units.js';

/** Slice end meaning "to the end of the axis". */
const TO_END = 2147483647;

/** A value's physical form: where its data lives and in which layout. */
export interface Form {
  readonly layout: Layout;
  readonly value: Value;
}

/** True for the result of a `const`. */
export const isConstValue = (v: Value): boolean => v.producer?.kind === 'const';

/** What the emitter offers a rule while it rewrites one op (see `LayoutEmitter`). */
export interface RuleContext {
  /** The current physical form of a value (its logical self until it is laid out). */
  formOf(v: Value): Form;
  /** `v` in layout `l`, converting (once per value and layout) before the current op. */
  get(v: Value, l: Layout): Value;
  /** A non-constant operand of lower rank than the op, broadcast-extended to rank r and laid out. */
  getExtended(v: Value, r: number, l: Layout): Value;
  /** A constant laid out for an op of logical rank r in layout l (computed at compile time). */
  constIn(c: Value, l: Layout, r: number, broadcasts?: boolean): Value;
  /** The layout an op with these (single-value) inputs should run in. */
  choose(values: readonly Value[], r: number): Layout;
  /** Emits the physical op for `op` with inputs and attributes for its input layout. */
  emitAs(op: Op, inputs: Readonly<Record<string, Value | readonly Value[]>>, attrs: Attrs, outLayouts: readonly Layout[], inLayout: Layout): void;
  /** The target layout of rank r. */
  target(r: number): Layout;
  /** Gives `v` a form without emitting an op (the result of an absorbed op). */
  setForm(v: Value, f: Form): void;
  /** A builder placing ops before the current op. */
  builder(): RewriteBuilder;
  /** Counts one layout conversion against the region of `v`. */
  countConversion(v: Value): void;
}

/** How an op takes part in layout regions (`native`: it needs the logical layout). */
export type LayoutRole = 'elementwise' | 'axis' | 'absorbed' | 'native';

/** The layout rule of an op kind. */
export interface LayoutRule {
  readonly role: Exclude<LayoutRole, 'native'>;
  /** When present, the rule covers only the ops it accepts (others are native). */
  readonly applies?: (op: Op) => boolean;
  /** Runs `op` in the layout of its inputs; false when it cannot (it then stays native). */
  emit(cx: RuleContext, op: Op): boolean;
  /** The layout of `input` that makes `op` yield `out` on its output, or undefined. */
  demand(op: Op, input: Value, out: Layout): Layout | undefined;
}

/** Elementwise and most axis ops keep the layout for inputs of the output's rank. */
const sameRankDemand = (op: Op, input: Value, out: Layout): Layout | undefined => (input.type.shape.length === op.outputs[0]!.type.shape.length ? out : undefined);

/** The input `x` (the first of concat's values), its rank and an axis normalizer. */
function mainInput(op: Op): { x0: Value; r: number; norm: (a: number) => number } {
  const x0 = (op.kind === 'concat' ? (op.inputs.values as readonly Value[])[0] : (op.inputs.x as Value))!;
  const r = x0.type.shape.length;
  return { x0, r, norm: (a) => normAxis(a, r)! };
}

/** Physical axis list for logical axes (normalized) in layout l. */
const physAxes = (l: Layout, axes: readonly number[]): number[] => axes.map((a) => position(l, a));

const ELEMENTWISE: LayoutRule = {
  role: 'elementwise',
  emit(cx, op) {
    const out = op.outputs[0]!;
    const r = out.type.shape.length;
    const ins = Object.entries(op.inputs) as [string, Value][];
    const l = cx.choose(ins.map(([, v]) => v), r);
    const next: Record<string, Value> = {};
    for (const [k, v] of ins) {
      if (isConstValue(v)) next[k] = cx.constIn(v, l, r);
      else if (v.type.shape.length === r) next[k] = cx.get(v, l);
      else next[k] = cx.getExtended(v, r, l);
    }
    cx.emitAs(op, next, op.attrs, [l], l);
    return true;
  },
  demand: sameRankDemand,
};

/** An axis op whose one `axis` attribute moves to its physical position. */
const singleAxis = (outputs: 'one' | 'each'): LayoutRule => ({
  role: 'axis',
  emit(cx, op) {
    const { x0, norm } = mainInput(op);
    const l = cx.formOf(x0).layout;
    cx.emitAs(op, { x: cx.get(x0, l) }, { ...op.attrs, axis: position(l, norm(op.attrs.axis as number)) }, outputs === 'one' ? [l] : op.outputs.map(() => l), l);
    return true;
  },
  demand: sameRankDemand,
});

const REDUCE: LayoutRule = {
  role: 'axis',
  emit(cx, op) {
    const { x0, r, norm } = mainInput(op);
    const l = cx.formOf(x0).layout;
    const given = op.attrs.axes as readonly number[] | undefined;
    const axes = given === undefined ? [...Array(r).keys()] : given.map(norm);
    const keep = op.attrs.keep_dims === true;
    const attrs: Record<string, unknown> = { ...op.attrs, axes: given === undefined && !keep ? [...Array(l.length).keys()] : physAxes(l, axes) };
    const outL = keep ? l : given === undefined ? [] : dropLayout(l, axes);
    cx.emitAs(op, { x: cx.get(x0, l) }, attrs as Attrs, [outL], l);
    return true;
  },
  // Without keep_dims the reduced axes are gone: no input layout is implied.
  demand: (op, _input, out) => (op.attrs.keep_dims === true ? out : undefined),
};

const NORM: LayoutRule = {
  role: 'axis',
  emit(cx, op) {
    const { x0, r, norm } = mainInput(op);
    const l = cx.formOf(x0).layout;
    const given = op.attrs.axes as readonly number[] | undefined;
    const axes = (given === undefined ? [...Array(r).keys()] : given.map(norm)).sort((a, b) => a - b);
    const phys = physAxes(l, axes);
    // gamma/beta are shaped like x at the axes: fine while the axes keep their order.
    const ordered = phys.every((p, i) => i === 0 || p > phys[i - 1]!);
    const params = ['gamma', 'beta'].filter((k) => op.inputs[k] !== undefined);
    if (!ordered && params.length > 0) return false;
    const ins: Record<string, Value> = { x: cx.get(x0, l) };
    for (const k of params) ins[k] = op.inputs[k] as Value;
    cx.emitAs(op, ins, { ...op.attrs, axes: [...phys].sort((a, b) => a - b) }, [l], l);
    return true;
  },
  demand: sameRankDemand,
};

const CONCAT: LayoutRule = {
  role: 'axis',
  emit(cx, op) {
    const { r, norm } = mainInput(op);
    const values = op.inputs.values as readonly Value[];
    const l = cx.choose(values, r);
    const ins = values.map((v) => (isConstValue(v) ? cx.constIn(v, l, r, false) : cx.get(v, l)));
    cx.emitAs(op, { values: ins }, { ...op.attrs, axis: position(l, norm(op.attrs.axis as number)) }, [l], l);
    return true;
  },
  demand: sameRankDemand,
};

const SLICE: LayoutRule = {
  role: 'axis',
  emit(cx, op) {
    const { x0 } = mainInput(op);
    const l = cx.formOf(x0).layout;
    const begin = op.attrs.begin as readonly number[];
    const end = op.attrs.end as readonly number[];
    const strides = op.attrs.strides as readonly number[] | undefined;
    const pick = (vals: readonly number[], unit: number): number[] => l.map((a) => (a < 0 ? unit : vals[a]!));
    const attrs: Record<string, readonly number[]> = { begin: pick(begin, 0), end: pick(end, TO_END) };
    if (strides) attrs.strides = pick(strides, 1);
    cx.emitAs(op, { x: cx.get(x0, l) }, attrs, [l], l);
    return true;
  },
  demand: sameRankDemand,
};

const TRANSPOSE: LayoutRule = {
  role: 'absorbed',
  emit(cx, op) {
    const x = op.inputs.x as Value;
    const out = op.outputs[0]!;
    const f = cx.formOf(x);
    const r = x.type.shape.length;
    let l = transposeLayout(f.layout, (op.attrs.perm as readonly number[]).map((p) => normAxis(p, r)!));
    // A transpose that only moves size-1 axes may instead put them in free unit slots (as a
    // unit reshape does): taken when that is the target layout and the permutation is not,
    // else an op that later grows such an axis (a concat) needs a conversion in the region.
    const t = cx.target(out.type.shape.length);
    if (layoutKey(l) !== layoutKey(t) && isUnitTranspose(op) && layoutKey(regroupUnits(f.layout, x.type.shape, out.type.shape)) === layoutKey(t)) l = t;
    cx.setForm(out, { layout: l, value: f.value });
    return true;
  },
  demand(op, input, out) {
    const perm = (op.attrs.perm as readonly number[]).map((p) => normAxis(p, input.type.shape.length)!);
    return out.map((a) => (a < 0 ? a : perm[a]!));
  },
};

/** squeeze, expand_dims and reshapes that only drop or add size-1 axes: a re-labelling of unit slots. */
const UNIT_RESHAPE: LayoutRule = {
  role: 'absorbed',
  applies: isUnitReshape,
  emit(cx, op) {
    const x = op.inputs.x as Value;
    const out = op.outputs[0]!;
    const f = cx.formOf(x);
    const { dropped, added } = unitAxes(op);
    let pv = f.value;
    let cur = squeezeLayout(f.layout, dropped);
    // Insert the new axes in ascending order: a free unit slot when there is one, else a
    // physical size-1 axis right after the new axis's logical predecessor.
    for (const a of added) {
      const shifted = cur.map((x0) => (x0 >= a ? x0 + 1 : x0));
      const slot = shifted.indexOf(-1);
      if (slot >= 0) {
        cur = shifted.map((x0, i) => (i === slot ? a : x0));
        continue;
      }
      const at = a === 0 ? 0 : position(shifted, a - 1) + 1;
      cx.countConversion(out);
      pv = cx.builder().op('expand_dims', { x: pv }, { axes: [at] }, `${out.name}.layout`);
      cur = [...shifted.slice(0, at), a, ...shifted.slice(at)];
    }
    cx.setForm(out, { layout: cur, value: pv });
    return true;
  },
  demand(op, _input, out) {
    const { dropped, added } = unitAxes(op);
    // Undo the additions (they become unit slots), then put the dropped axes into unit slots.
    let mid: number[] = [...squeezeLayout(out, added)];
    for (const a of dropped) {
      const slot = mid.indexOf(-1);
      if (slot < 0) return undefined;
      mid = mid.map((x) => (x >= a ? x + 1 : x));
      mid[slot] = a;
    }
    return mid;
  },
};

/** The rules of the `axes`- and `permute`-trait ops this pass handles, by kind. */
const RULES: Readonly<Record<string, LayoutRule>> = {
  softmax: singleAxis('one'),
  split: singleAxis('each'),
  reduce_mean: REDUCE,
  reduce_sum: REDUCE,
  reduce_max: REDUCE,
  layer_norm: NORM,
  rms_norm: NORM,
  concat: CONCAT,
  slice: SLICE,
  transpose: TRANSPOSE,
};

/** The `axes`-trait kinds with a rule; the other `axes` ops (einsum, pad) bound regions. */
export const AXIS_RULE_KINDS: ReadonlySet<string> = new Set(Object.keys(RULES).filter((k) => RULES[k]!.role === 'axis'));

/** The rule `op` follows, or undefined when it needs the logical layout of its inputs. */
export function ruleFor(op: Op): LayoutRule | undefined {
  const ins = op.inputValues();
  if (op.kind === 'const' || ins.length === 0 || ins.every(isConstValue)) return undefined;
  const trait = layoutTrait(op.kind);
  const rule = trait === 'elementwise' ? ELEMENTWISE : trait === 'reshape' ? UNIT_RESHAPE : trait === 'axes' || trait === 'permute' ? RULES[op.kind] : undefined;
  return rule && (!rule.applies || rule.applies(op)) ? rule : undefined;
}

/** How an op takes part in layout regions. */
export function classify(op: Op): LayoutRole {
  return ruleFor(op)?.role ?? 'native';
}

