/**
 * The emitter of `assign-layout`: rewrites one function for given region modes, op by op, each
 * through its layout rule (assign-layout-rules.ts), converting values between layouts where a
 * rule or a layout-bound op needs it, and counting conversions per region.
 * @module
 */
import { type Attrs, type Dim, type Op, type Tensor, type Value, runOp, shapeEq } from '@fastvlm/graph';
import { passError } from '../errors.js';
import { constInfo, constReader } from '../ir/consts.js';
import { deriveConst } from '../ir/derive.js';
import type { FunctionEditor } from '../ir/editor.js';
import { RewriteBuilder } from '../rewrite/builder.js';
import { type Layout, type LayoutTarget, identityLayout, isIdentity, layoutKey, physicalShape, targetLayout } from './layout.js';
import { type Form, type RuleContext, classify, isConstValue, ruleFor } from './assign-layout-rules.js';
import { valuesInOrder } from './assign-layout-regions.js';

/** Options of `assign-layout`. */
export interface AssignLayoutOptions {
  readonly target: LayoutTarget;
  readonly opBonus: number;
}

/**
 * How a region's sources are laid out: as they come (`plain`), in the target layout
 * (`target`), or in the layout its layout-bound consumers ask for, traced back (`demand`).
 */
export type RegionMode = 'plain' | 'target' | 'demand';

/** Per-region counts gathered while emitting. */
export interface RegionStats {
  conversions: Map<number, number>;
  targetOps: Map<number, number>;
}

/** Rewrites one function for given region modes. */
export class LayoutEmitter implements RuleContext {
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

  builder(hint?: Op | null): RewriteBuilder {
    return new RewriteBuilder(this.ed, hint === undefined ? this.anchor : hint, this.anchor?.loc);
  }

  target(r: number): Layout {
    return targetLayout(this.opts.target, r);
  }

  formOf(v: Value): Form {
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
  get(v: Value, l: Layout): Value {
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
  getExtended(v: Value, r: number, l: Layout): Value {
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
  constIn(c: Value, l: Layout, r: number, broadcasts = true): Value {
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

  setForm(v: Value, f: Form): void {
    this.primary.set(v, f);
  }

  countConversion(v: Value): void {
    this.bump(this.stats.conversions, v);
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
  emitAs(op: Op, inputs: Readonly<Record<string, Value | readonly Value[]>>, attrs: Attrs, outLayouts: readonly Layout[], inLayout: Layout): void {
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
  choose(values: readonly Value[], r: number): Layout {
    const cands = values.filter((v) => !isConstValue(v) && v.type.shape.length === r).map((v) => this.formOf(v).layout);
    const t = this.target(r);
    return cands.find((l) => layoutKey(l) === layoutKey(t)) ?? cands[0] ?? identityLayout(r);
  }

  /** Rewrites the whole function. */
  run(): void {
    const ed = this.ed;
    const first = ed.first();
    for (const v of ed.fn.inputs) this.source(v, first);
    const ops = ed.ops();
    ops.forEach((op, i) => {
      this.anchor = op;
      const done = ruleFor(op)?.emit(this, op) ?? false;
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
