/**
 * `assign-layout`: runs whole regions of layout-agnostic ops in a target layout so that
 * transposes remain only at region boundaries (function inputs and outputs, layout-bound ops).
 * @module
 */
import {
  type Attrs,
  type Dim,
  type Func,
  type Op,
  Program,
  type Tensor,
  type Value,
  WeightStore,
  cloneFunction,
  normAxis,
  runOp,
  shapeEq,
} from '@fastvlm/graph';
import { passError } from '../errors.js';
import { constInfo, constReader } from '../ir/consts.js';
import { deriveConst } from '../ir/derive.js';
import { FunctionEditor } from '../ir/editor.js';
import { RewriteBuilder } from '../rewrite/builder.js';
import { definePass } from '../pass.js';
import {
  type Layout,
  type LayoutTarget,
  dropLayout,
  identityLayout,
  isIdentity,
  layoutKey,
  physicalShape,
  position,
  squeezeLayout,
  targetLayout,
  transposeLayout,
} from './layout.js';
import { isDataMovement, layoutTrait } from '../ir/traits.js';

/** Slice end meaning "to the end of the axis". */
const TO_END = 2147483647;

/** The ops with the `axes` layout trait whose attributes this pass remaps (see axisOp). */
export const AXIS_RULE_KINDS: ReadonlySet<string> = new Set(['softmax', 'reduce_mean', 'reduce_sum', 'reduce_max', 'layer_norm', 'rms_norm', 'concat', 'split', 'slice']);

/** Options of `assign-layout`. */
export interface AssignLayoutOptions {
  readonly target: LayoutTarget;
  readonly opBonus: number;
}

const isConstValue = (v: Value): boolean => v.producer?.kind === 'const';

/** Non-size-1 dims of a shape, in order (symbols count as non-1). */
function nonUnit(shape: readonly Dim[]): Dim[] {
  return shape.filter((d) => d !== 1);
}

/** A reshape that only adds or removes size-1 axes. */
function isUnitReshape(op: Op): boolean {
  const a = nonUnit((op.inputs.x as Value).type.shape);
  const b = nonUnit(op.outputs[0]!.type.shape);
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** A transpose that keeps its non-size-1 axes in order: it only moves size-1 axes. */
function isUnitTranspose(op: Op): boolean {
  const shape = (op.inputs.x as Value).type.shape;
  const perm = (op.attrs.perm as readonly number[]).map((p) => normAxis(p, shape.length)!);
  const moved = perm.filter((p) => shape[p] !== 1);
  return moved.every((p, i) => i === 0 || p > moved[i - 1]!);
}

/**
 * The layout after a unit transpose taken as a unit reshape: its size-1 axes become unit slots,
 * then fill the free unit slots in order (the other axes keep their physical places).
 */
function regroupUnits(l: Layout, inShape: readonly Dim[], outShape: readonly Dim[]): Layout {
  let cur = squeezeLayout(l, inShape.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0));
  for (const a of outShape.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0)) {
    const shifted = cur.map((x0) => (x0 >= a ? x0 + 1 : x0));
    const slot = shifted.indexOf(-1);
    cur = shifted.map((x0, i) => (i === slot ? a : x0));
  }
  return cur;
}

/** How an op takes part in layout regions. */
function classify(op: Op): 'elementwise' | 'axis' | 'absorbed' | 'native' {
  const ins = op.inputValues();
  if (op.kind === 'const' || ins.length === 0 || ins.every(isConstValue)) return 'native';
  const layout = layoutTrait(op.kind);
  if (layout === 'elementwise') return 'elementwise';
  if (layout === 'axes' && AXIS_RULE_KINDS.has(op.kind)) return 'axis';
  if (isDataMovement(op.kind) && (op.kind !== 'reshape' || isUnitReshape(op))) return 'absorbed';
  return 'native';
}

/** Every value of a function in definition order (inputs, then op results). */
function valuesInOrder(fn: Func): Value[] {
  const out = [...fn.inputs];
  for (const op of fn.body.ops) out.push(...op.outputs);
  return out;
}

/** Connected regions of non-constant values linked by layout-flexible ops (union-find). */
function computeRegions(fn: Func): number[] {
  const values = valuesInOrder(fn);
  const index = new Map(values.map((v, i) => [v, i]));
  const parent = values.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!;
    return i;
  };
  for (const op of fn.body.ops) {
    if (classify(op) === 'native') continue;
    const members = [...op.inputValues().filter((v) => !isConstValue(v)), ...op.outputs].map((v) => index.get(v)).filter((i): i is number => i !== undefined);
    for (const m of members.slice(1)) {
      const a = find(members[0]!);
      const b = find(m);
      if (a !== b) parent[Math.max(a, b)] = Math.min(a, b);
    }
  }
  return values.map((_, i) => find(i));
}

/**
 * How a region's sources are laid out: as they come (`plain`), in the target layout
 * (`target`), or in the layout its layout-bound consumers ask for, traced back (`demand`).
 */
type RegionMode = 'plain' | 'target' | 'demand';

/** Per-region counts gathered while emitting. */
interface RegionStats {
  conversions: Map<number, number>;
  targetOps: Map<number, number>;
}

/** A value's physical form: where its data lives and in which layout. */
interface Form {
  readonly layout: Layout;
  readonly value: Value;
}

/** Rewrites one function for given region modes. */
class LayoutEmitter {
  private readonly primary = new Map<Value, Form>();
  private readonly forms = new Map<Value, Map<string, Value>>();
  private readonly constForms = new Map<string, Value>();
  private readonly constIds = new Map<Value, number>();
  private readonly renames: [Value, Value][] = [];
  readonly stats: RegionStats = { conversions: new Map(), targetOps: new Map() };
  private readonly regionOf: Map<Value, number>;
  private anchor: Op | null = null;

  constructor(
    private readonly ed: FunctionEditor,
    private readonly opts: AssignLayoutOptions,
    regions: readonly number[],
    private readonly mode: (region: number) => RegionMode,
    demands: readonly (Layout | undefined)[] = [],
  ) {
    const values = valuesInOrder(ed.fn);
    this.regionOf = new Map(values.map((v, i) => [v, regions[i]!]));
    this.demandOf = new Map(values.map((v, i) => [v, demands[i]]));
  }

  private readonly demandOf: Map<Value, Layout | undefined>;

  private bump(m: Map<number, number>, v: Value, n = 1): void {
    const r = this.regionOf.get(v);
    if (r !== undefined) m.set(r, (m.get(r) ?? 0) + n);
  }

  private builder(hint?: Op | null): RewriteBuilder {
    return new RewriteBuilder(this.ed, hint === undefined ? this.anchor : hint, this.anchor?.loc);
  }

  private target(r: number): Layout {
    return targetLayout(this.opts.target, r);
  }

  private formOf(v: Value): Form {
    return this.primary.get(v) ?? { layout: identityLayout(v.type.shape.length), value: v };
  }

  /**
   * Physical ops turning `pv` (logical shape `shape`, in layout `from`) into layout `to`:
   * one transpose when the unit slots line up, else reshape / transpose / reshape. A transpose
   * that only moves size-1 axes is written as a reshape.
   */
  private convert(pv: Value, from: Layout, to: Layout, shape: readonly Dim[], owner: Value, anchor: Op | null): Value {
    if (layoutKey(from) === layoutKey(to)) return pv;
    const b = this.builder(anchor);
    const hint = `${owner.name}.layout`;
    // One conversion costs 1 however many ops it takes: the reshapes around a transpose only
    // move size-1 axes, and fold-layout-chains merges them with their neighbours.
    let counted = false;
    const count = (): void => {
      if (!counted) this.bump(this.stats.conversions, owner);
      counted = true;
    };
    const permute = (x: Value, perm: number[], outShape: Dim[]): Value => {
      if (perm.every((p, i) => p === i)) return x;
      count();
      const inShape = x.type.shape;
      const moved = perm.filter((p) => inShape[p] !== 1);
      if (moved.every((p, i) => i === 0 || p > moved[i - 1]!)) return b.op('reshape', { x }, { shape: outShape }, hint);
      return b.op('transpose', { x }, { perm }, hint);
    };
    const unitsFrom = from.filter((a) => a < 0).length;
    const unitsTo = to.filter((a) => a < 0).length;
    if (from.length === to.length && unitsFrom === unitsTo) {
      const fromUnits = from.map((a, i) => (a < 0 ? i : -1)).filter((i) => i >= 0);
      let k = 0;
      const perm = to.map((a) => (a >= 0 ? from.indexOf(a) : fromUnits[k++]!));
      return permute(pv, perm, physicalShape(to, shape));
    }
    const fromCore = from.filter((a) => a >= 0);
    const toCore = to.filter((a) => a >= 0);
    let v = pv;
    if (unitsFrom > 0) {
      count();
      v = b.op('reshape', { x: v }, { shape: physicalShape(fromCore, shape) }, hint);
    }
    v = permute(
      v,
      toCore.map((a) => fromCore.indexOf(a)),
      physicalShape(toCore, shape),
    );
    if (unitsTo > 0) {
      count();
      v = b.op('reshape', { x: v }, { shape: physicalShape(to, shape) }, hint);
    }
    return v;
  }

  /** `v` in layout `l` (cached), converting from its primary form before the current op. */
  private get(v: Value, l: Layout): Value {
    if (isConstValue(v)) return this.constIn(v, l, v.type.shape.length);
    const f = this.formOf(v);
    if (layoutKey(f.layout) === layoutKey(l)) return f.value;
    let cache = this.forms.get(v);
    if (!cache) this.forms.set(v, (cache = new Map()));
    const k = layoutKey(l);
    let out = cache.get(k);
    if (!out) cache.set(k, (out = this.convert(f.value, f.layout, l, v.type.shape, v, this.anchor)));
    return out;
  }

  /** A non-constant operand of lower rank than the op, broadcast-extended and laid out. */
  private getExtended(v: Value, r: number, l: Layout): Value {
    const s = v.type.shape;
    if (s.every((d) => d === 1) && s.length <= l.length) return this.get(v, identityLayout(s.length));
    const k = `x${r}:${layoutKey(l)}`;
    let cache = this.forms.get(v);
    if (!cache) this.forms.set(v, (cache = new Map()));
    let out = cache.get(k);
    if (!out) {
      const ext = [...new Array<Dim>(r - s.length).fill(1), ...s];
      this.bump(this.stats.conversions, v);
      const e = this.builder().op('reshape', { x: this.get(v, identityLayout(s.length)) }, { shape: ext }, `${v.name}.layout`);
      out = this.convert(e, identityLayout(r), l, ext, v, this.anchor);
      cache.set(k, out);
    }
    return out;
  }

  /** A constant laid out for an op of logical rank r in layout l (computed at compile time). */
  private constIn(c: Value, l: Layout, r: number, broadcasts = true): Value {
    const s = c.type.shape as readonly number[];
    const n = s.reduce((a, b) => a * b, 1);
    if (isIdentity(l) && s.length === r) return c;
    // A one-element operand broadcasts against any layout (not for concat, which needs the rank).
    if (broadcasts && n === 1 && s.length <= l.length) return c;
    let id = this.constIds.get(c);
    if (id === undefined) this.constIds.set(c, (id = this.constIds.size));
    const k = `${id}:${r}:${layoutKey(l)}`;
    let out = this.constForms.get(k);
    if (!out) {
      const ext = [...new Array<number>(r - s.length).fill(1), ...s];
      const core = l.filter((a) => a >= 0);
      const shape = physicalShape(l, ext) as number[];
      const read = constReader(this.ed.program, c)!;
      const info = constInfo(c)!;
      // Placed before the first op so every later use is dominated.
      // The same transform as sink-transposes' constants: unit axes in front, then a transpose.
      out = deriveConst(this.builder(this.ed.first()), { transform: 'transpose', params: { perm: core }, inputs: [c] }, `${c.name}.layout`, info.dtype, shape, (): Tensor => {
        const t = runOp('reshape', { x: read() }, { shape: ext })[0]!;
        const p = runOp('transpose', { x: t }, { perm: core })[0]!;
        return { dtype: p.dtype, shape, data: p.data };
      });
      this.constForms.set(k, out);
    }
    return out;
  }

  private setPrimary(v: Value, f: Form): void {
    this.primary.set(v, f);
    const t = this.target(v.type.shape.length);
    if (!isIdentity(t) && layoutKey(f.layout) === layoutKey(t) && v.producer && classify(v.producer) !== 'absorbed') this.bump(this.stats.targetOps, v);
  }

  /** Converts a region source to the target layout when its region runs in target mode. */
  private source(v: Value, anchor: Op | null): void {
    const r = this.regionOf.get(v);
    if (r === undefined) return;
    const mode = this.mode(r);
    const t = mode === 'target' ? this.target(v.type.shape.length) : mode === 'demand' ? this.demandOf.get(v) : undefined;
    if (!t || isIdentity(t)) return;
    const f = this.formOf(v);
    if (layoutKey(f.layout) === layoutKey(t)) return;
    const pv = this.convert(f.value, f.layout, t, v.type.shape, v, anchor);
    let cache = this.forms.get(v);
    if (!cache) this.forms.set(v, (cache = new Map()));
    cache.set(layoutKey(f.layout), f.value);
    this.primary.set(v, { layout: t, value: pv });
  }

  /** Emits the physical op for `op` with inputs and attributes for layout `l`. */
  private emitAs(op: Op, inputs: Readonly<Record<string, Value | readonly Value[]>>, attrs: Attrs, outLayouts: readonly Layout[], inLayout: Layout): void {
    // In the logical layout the op itself stays (with its own attributes); only inputs change.
    if (isIdentity(inLayout)) {
      this.ed.setInputs(op, inputs);
      op.outputs.forEach((o) => this.setPrimary(o, { layout: identityLayout(o.type.shape.length), value: o }));
      return;
    }
    const b = this.builder();
    const outs = b.add(op.kind, inputs, attrs, op.outputs[0]!.name);
    op.outputs.forEach((o, i) => {
      const want = physicalShape(outLayouts[i]!, o.type.shape);
      if (!shapeEq(want, outs[i]!.type.shape)) {
        throw passError('E_REWRITE_INVALID', `assign-layout: ${op.kind} -> %${o.name} yields [${outs[i]!.type.shape.join(',')}] in layout [${outLayouts[i]!.join(',')}], expected [${want.join(',')}]`, {
          where: `${this.ed.fn.name}: ${op.kind} -> %${o.name}`,
        });
      }
      this.setPrimary(o, { layout: outLayouts[i]!, value: outs[i]! });
      this.renames.push([o, outs[i]!]);
    });
  }

  private native(op: Op): void {
    const ins: Record<string, Value | readonly Value[]> = {};
    for (const [k, v] of Object.entries(op.inputs)) {
      ins[k] = Array.isArray(v) ? (v as readonly Value[]).map((x) => this.get(x, identityLayout(x.type.shape.length))) : this.get(v as Value, identityLayout((v as Value).type.shape.length));
    }
    this.ed.setInputs(op, ins);
  }

  /** The layout an op with these (single-value) inputs should run in. */
  private choose(values: readonly Value[], r: number): Layout {
    const cands = values.filter((v) => !isConstValue(v) && v.type.shape.length === r).map((v) => this.formOf(v).layout);
    const t = this.target(r);
    return cands.find((l) => layoutKey(l) === layoutKey(t)) ?? cands[0] ?? identityLayout(r);
  }

  private elementwise(op: Op): void {
    const out = op.outputs[0]!;
    const r = out.type.shape.length;
    const ins = Object.entries(op.inputs) as [string, Value][];
    const l = this.choose(ins.map(([, v]) => v), r);
    const next: Record<string, Value> = {};
    for (const [k, v] of ins) {
      if (isConstValue(v)) next[k] = this.constIn(v, l, r);
      else if (v.type.shape.length === r) next[k] = this.get(v, l);
      else next[k] = this.getExtended(v, r, l);
    }
    this.emitAs(op, next, op.attrs, [l], l);
  }

  /** Physical axis list for logical axes (normalized) in layout l. */
  private physAxes(l: Layout, axes: readonly number[]): number[] {
    return axes.map((a) => position(l, a));
  }

  private axisOp(op: Op): boolean {
    const x0 = (op.kind === 'concat' ? (op.inputs.values as readonly Value[])[0] : (op.inputs.x as Value))!;
    const r = x0.type.shape.length;
    const norm = (a: number): number => normAxis(a, r)!;
    switch (op.kind) {
      case 'softmax': {
        const l = this.formOf(x0).layout;
        this.emitAs(op, { x: this.get(x0, l) }, { ...op.attrs, axis: position(l, norm(op.attrs.axis as number)) }, [l], l);
        return true;
      }
      case 'reduce_mean':
      case 'reduce_sum':
      case 'reduce_max': {
        const l = this.formOf(x0).layout;
        const given = op.attrs.axes as readonly number[] | undefined;
        const axes = given === undefined ? [...Array(r).keys()] : given.map(norm);
        const keep = op.attrs.keep_dims === true;
        const attrs: Record<string, unknown> = { ...op.attrs, axes: given === undefined && !keep ? [...Array(l.length).keys()] : this.physAxes(l, axes) };
        const outL = keep ? l : given === undefined ? [] : dropLayout(l, axes);
        this.emitAs(op, { x: this.get(x0, l) }, attrs as Attrs, [outL], l);
        return true;
      }
      case 'layer_norm':
      case 'rms_norm': {
        const l = this.formOf(x0).layout;
        const given = op.attrs.axes as readonly number[] | undefined;
        const axes = (given === undefined ? [...Array(r).keys()] : given.map(norm)).sort((a, b) => a - b);
        const phys = this.physAxes(l, axes);
        // gamma/beta are shaped like x at the axes: fine while the axes keep their order.
        const ordered = phys.every((p, i) => i === 0 || p > phys[i - 1]!);
        const params = ['gamma', 'beta'].filter((k) => op.inputs[k] !== undefined);
        if (!ordered && params.length > 0) return false;
        const ins: Record<string, Value> = { x: this.get(x0, l) };
        for (const k of params) ins[k] = op.inputs[k] as Value;
        this.emitAs(op, ins, { ...op.attrs, axes: [...phys].sort((a, b) => a - b) }, [l], l);
        return true;
      }
      case 'concat': {
        const values = op.inputs.values as readonly Value[];
        const l = this.choose(values, r);
        const ins = values.map((v) => (isConstValue(v) ? this.constIn(v, l, r, false) : this.get(v, l)));
        this.emitAs(op, { values: ins }, { ...op.attrs, axis: position(l, norm(op.attrs.axis as number)) }, [l], l);
        return true;
      }
      case 'split': {
        const l = this.formOf(x0).layout;
        this.emitAs(op, { x: this.get(x0, l) }, { ...op.attrs, axis: position(l, norm(op.attrs.axis as number)) }, op.outputs.map(() => l), l);
        return true;
      }
      case 'slice': {
        const l = this.formOf(x0).layout;
        const begin = op.attrs.begin as readonly number[];
        const end = op.attrs.end as readonly number[];
        const strides = op.attrs.strides as readonly number[] | undefined;
        const pick = (vals: readonly number[], unit: number): number[] => l.map((a) => (a < 0 ? unit : vals[a]!));
        const attrs: Record<string, readonly number[]> = { begin: pick(begin, 0), end: pick(end, TO_END) };
        if (strides) attrs.strides = pick(strides, 1);
        this.emitAs(op, { x: this.get(x0, l) }, attrs, [l], l);
        return true;
      }
      default:
        return false;
    }
  }

  private absorbed(op: Op): void {
    const x = op.inputs.x as Value;
    const out = op.outputs[0]!;
    const f = this.formOf(x);
    const r = x.type.shape.length;
    let l: Layout;
    let pv = f.value;
    if (op.kind === 'transpose') {
      l = transposeLayout(f.layout, (op.attrs.perm as readonly number[]).map((p) => normAxis(p, r)!));
      // A transpose that only moves size-1 axes may instead put them in free unit slots (as a
      // unit reshape does): taken when that is the target layout and the permutation is not,
      // else an op that later grows such an axis (a concat) needs a conversion in the region.
      const t = this.target(out.type.shape.length);
      if (layoutKey(l) !== layoutKey(t) && isUnitTranspose(op) && layoutKey(regroupUnits(f.layout, x.type.shape, out.type.shape)) === layoutKey(t)) l = t;
    } else {
      // squeeze / expand_dims / unit reshape: drop size-1 axes to unit slots, then add new ones.
      const inShape = x.type.shape;
      const outShape = out.type.shape;
      let dropped: number[];
      let added: number[];
      if (op.kind === 'squeeze') {
        const given = op.attrs.axes as readonly number[] | undefined;
        dropped = given === undefined ? inShape.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0) : given.map((a) => normAxis(a, r)!);
        added = [];
      } else if (op.kind === 'expand_dims') {
        dropped = [];
        added = (op.attrs.axes as readonly number[]).map((a) => normAxis(a, outShape.length)!).sort((a, b) => a - b);
      } else {
        dropped = inShape.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0);
        added = outShape.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0);
      }
      let cur = squeezeLayout(f.layout, [...dropped].sort((a, b) => a - b));
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
        this.bump(this.stats.conversions, out);
        pv = this.builder().op('expand_dims', { x: pv }, { axes: [at] }, `${out.name}.layout`);
        cur = [...shifted.slice(0, at), a, ...shifted.slice(at)];
      }
      l = cur;
    }
    this.primary.set(out, { layout: l, value: pv });
  }

  /** Rewrites the whole function. */
  run(): void {
    const ed = this.ed;
    const first = ed.first();
    for (const v of ed.fn.inputs) this.source(v, first);
    const ops = ed.ops();
    ops.forEach((op, i) => {
      this.anchor = op;
      const kind = classify(op);
      let done = false;
      if (kind === 'elementwise') {
        this.elementwise(op);
        done = true;
      } else if (kind === 'axis') done = this.axisOp(op);
      else if (kind === 'absorbed') {
        this.absorbed(op);
        done = true;
      }
      if (!done) {
        if (op.kind !== 'const') this.native(op);
        const next = ops[i + 1] ?? null;
        for (const o of op.outputs) if (op.kind !== 'const') this.source(o, next);
      }
    });
    this.anchor = null;
    const outs = ed.fn.outputs;
    for (let i = 0; i < outs.length; i++) {
      const v = outs[i]!;
      const form = this.get(v, identityLayout(v.type.shape.length));
      if (form === v) continue;
      // A function input (or a value returned twice) cannot take over the name: copy it.
      const named = ed.isFunctionInput(form) || ed.isOutput(form) ? this.builder(null).op('reshape', { x: form }, { shape: [...v.type.shape] }, v.name) : form;
      ed.replaceAllUses(v, named);
    }
    ed.eraseDead(ops.slice().reverse());
    for (const [o, n] of this.renames) {
      if (!ed.contains(o.producer!) && !ed.isOutput(n) && !ed.isFunctionInput(n)) {
        const t = o.name;
        o.name = n.name;
        n.name = t;
      }
    }
  }
}

function isolated(program: Program, fn: Func): { program: Program; fn: Func } {
  const store = new WeightStore();
  store.merge(program.weights);
  const p = new Program(store);
  const f = cloneFunction(fn);
  p.addFunction(f);
  return { program: p, fn: f };
}

/**
 * The layout of an op's input that makes the op yield `out` on its output (the inverse of the
 * emitter's forward rules), or undefined when there is none or it is ambiguous.
 */
function inputDemand(op: Op, input: Value, out: Layout): Layout | undefined {
  const r = input.type.shape.length;
  const outRank = op.outputs[0]!.type.shape.length;
  switch (op.kind) {
    case 'transpose': {
      const perm = (op.attrs.perm as readonly number[]).map((p) => normAxis(p, r)!);
      return out.map((a) => (a < 0 ? a : perm[a]!));
    }
    case 'squeeze':
    case 'expand_dims':
    case 'reshape': {
      const inShape = input.type.shape;
      const outShape = op.outputs[0]!.type.shape;
      let dropped: number[];
      let added: number[];
      if (op.kind === 'squeeze') {
        const given = op.attrs.axes as readonly number[] | undefined;
        dropped = given === undefined ? inShape.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0) : given.map((a) => normAxis(a, r)!);
        added = [];
      } else if (op.kind === 'expand_dims') {
        dropped = [];
        added = (op.attrs.axes as readonly number[]).map((a) => normAxis(a, outShape.length)!);
      } else {
        dropped = inShape.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0);
        added = outShape.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0);
      }
      // Undo the additions (they become unit slots), then put the dropped axes into unit slots.
      let mid: number[] = [...squeezeLayout(out, [...added].sort((a, b) => a - b))];
      for (const a of [...dropped].sort((x, y) => x - y)) {
        const slot = mid.indexOf(-1);
        if (slot < 0) return undefined;
        mid = mid.map((x) => (x >= a ? x + 1 : x));
        mid[slot] = a;
      }
      return mid;
    }
    default:
      // Elementwise and axis ops keep the layout (same-rank inputs only).
      return r === outRank && op.kind !== 'reduce_mean' && op.kind !== 'reduce_sum' && op.kind !== 'reduce_max' ? out : op.attrs.keep_dims === true ? out : undefined;
  }
}

/**
 * For every value (by definition order), the layout its layout-bound consumers want, traced
 * back through layout-flexible ops: each sink (an input of a layout-bound op, a function
 * output) votes for the logical layout, and votes flow to inputs through the inverse rules.
 */
function computeDemands(fn: Func): (Layout | undefined)[] {
  const values = valuesInOrder(fn);
  const votes = new Map<Value, Map<string, { layout: Layout; count: number }>>();
  const vote = (v: Value, l: Layout, n: number): void => {
    if (isConstValue(v)) return;
    let m = votes.get(v);
    if (!m) votes.set(v, (m = new Map()));
    const k = layoutKey(l);
    const e = m.get(k);
    if (e) e.count += n;
    else m.set(k, { layout: l, count: n });
  };
  const best = (v: Value): { layout: Layout; count: number } | undefined => {
    let top: { layout: Layout; count: number } | undefined;
    for (const e of votes.get(v)?.values() ?? []) if (!top || e.count > top.count) top = e;
    return top;
  };
  for (const v of fn.outputs) vote(v, identityLayout(v.type.shape.length), 1);
  for (const op of fn.body.ops) if (classify(op) === 'native') for (const v of op.inputValues()) vote(v, identityLayout(v.type.shape.length), 1);
  for (let i = fn.body.ops.length - 1; i >= 0; i--) {
    const op = fn.body.ops[i]!;
    if (classify(op) === 'native') continue;
    let top: { layout: Layout; count: number } | undefined;
    for (const o of op.outputs) {
      const b = best(o);
      if (b && (!top || b.count > top.count)) top = b;
    }
    if (!top) continue;
    for (const v of new Set(op.inputValues())) {
      const l = inputDemand(op, v, top.layout);
      if (l) vote(v, l, top.count);
    }
  }
  return values.map((v) => best(v)?.layout);
}

function assignFunction(program: Program, fn: Func, opts: AssignLayoutOptions): { target: number; demand: number; regions: number } {
  const regions = computeRegions(fn);
  const demands = computeDemands(fn);
  const ids = [...new Set(regions)];
  const trial = (mode: RegionMode): RegionStats => {
    const s = isolated(program, fn);
    const em = new LayoutEmitter(new FunctionEditor(s.program, s.fn), opts, regions, () => mode, demands);
    em.run();
    return em.stats;
  };
  const modes: RegionMode[] = ['plain', 'target', 'demand'];
  const stats = modes.map(trial);
  const cost = (st: RegionStats, r: number): number => (st.conversions.get(r) ?? 0) - opts.opBonus * (st.targetOps.get(r) ?? 0);
  // Per region the cheapest mode; ties keep the earlier (simpler) one.
  const chosen = new Map<number, RegionMode>();
  for (const r of ids) {
    let m = 0;
    for (let k = 1; k < modes.length; k++) if (cost(stats[k]!, r) < cost(stats[m]!, r)) m = k;
    chosen.set(r, modes[m]!);
  }
  const ed = new FunctionEditor(program, fn);
  try {
    new LayoutEmitter(ed, opts, regions, (r) => chosen.get(r) ?? 'plain', demands).run();
  } finally {
    ed.commit();
  }
  const count = (m: RegionMode): number => [...chosen.values()].filter((x) => x === m).length;
  return { target: count('target'), demand: count('demand'), regions: ids.length };
}

/** Layout assignment: regions run in the target layout, transposes only at their boundaries. */
export const assignLayout = definePass({
  name: 'assign-layout',
  summary: 'Runs whole regions of layout-agnostic ops in a target layout (ANE: (B, C, 1, S); or NHWC), with transposes only at region boundaries.',
  doc: `A layout says where each logical axis of a value lives physically (plus extra size-1
axes): the \`ane\` target stores (B, S, C) tensors as (B, C, 1, S) (channels on axis 1, the
sequence last, 4-D) and keeps 4-D NCHW; the \`nhwc\` target stores 4-D (N, C, H, W) as
(N, H, W, C). Values form regions through layout-agnostic ops: elementwise ops (which take the
layout of their inputs; constants are re-laid out at compile time), ops with axes that are
remapped (softmax, reductions, layer_norm/rms_norm, concat, split, slice), and transposes,
squeezes, expand_dims and reshapes that only add or drop size-1 axes, which cost nothing: their
result is the same physical data in another layout. Everything else (conv2d, matmul, general
reshapes...) needs the logical layout of its inputs and yields it.

For each region the pass tries three ways of laying out its sources (function inputs and
results of layout-bound ops): as they are, in the target layout, and in the layout its
layout-bound consumers ask for (their demand for the logical layout, traced back through the
region; this puts, for instance, RoPE'd attention heads in the layout the per-head attention
products read, so one transpose replaces one per head). A conversion costs 1 however many ops
it takes (a transpose with reshapes around it is one data movement), an op computing in a
non-trivial target layout earns \`opBonus\`; the cheapest wins per region (ties keep the
simpler choice). Conversions are emitted once per value and layout, where needed: at function
outputs (which keep their logical type and names) and in front of layout-bound ops. So
\`linear-to-conv\`'s boundary transposes between two convs disappear, and chains of transposes
through elementwise ops collapse. Follow with \`cancel-transposes\`,
\`cancel-reshapes\`, \`fold-constants\` and \`eliminate-dead-code\`.

Before:
\`\`\`
// options: {"target": "nhwc"}
func main(%x: fp32[1,3,4,4]) -> (%y) {
  %a = relu(x=%x) : fp32[1,3,4,4]
  %b = softmax(x=%a) {axis=1} : fp32[1,3,4,4]
  %c = exp(x=%b) : fp32[1,3,4,4]
  %y = reduce_sum(x=%c) {axes=[1], keep_dims=true} : fp32[1,1,4,4]
  return %y
}
\`\`\`
After:
\`\`\`
func main(%x: fp32[1,3,4,4]) -> (%y) {
  %x.layout = transpose(x=%x) {perm=[0,2,3,1]} : fp32[1,4,4,3]
  %a = relu(x=%x.layout) : fp32[1,4,4,3]
  %b = softmax(x=%a) {axis=3} : fp32[1,4,4,3]
  %c = exp(x=%b) : fp32[1,4,4,3]
  %y.layout = reduce_sum(x=%c) {axes=[3], keep_dims=true} : fp32[1,4,4,1]
  %y = reshape(x=%y.layout) {shape=[1,1,4,4]} : fp32[1,1,4,4]
  return %y
}
\`\`\``,
  options: {
    target: { kind: 'enum', values: ['ane', 'nhwc'], default: 'ane', doc: "Target layout: 'ane' (B, C, 1, S) or 'nhwc' (channels last)." },
    opBonus: { kind: 'number', default: 1, min: 0, max: 1000, doc: 'How many conversions one op running in the target layout is worth.' },
  },
  run(program, ctx) {
    for (const fn of program.functions.values()) {
      const r = assignFunction(program, fn, ctx.options);
      ctx.note(`${fn.name}: ${r.regions} regions, ${r.target} in the target layout, ${r.demand} in the layout their consumers ask for`);
    }
  },
});
