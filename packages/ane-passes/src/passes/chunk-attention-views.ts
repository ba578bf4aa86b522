/**
 * Operand views of `chunk-attention`: one attention unit's rows of q, k or v, found through the
 * reshapes, scalar scaling and head splits between the attention and the projections, so that
 * each head is sliced from the projection itself rather than from a transposed copy.
 * @module
 */
import type { Value } from '@fastvlm/graph';
import { constInfo } from '../ir/consts.js';
import type { RewriteBuilder } from '../rewrite/builder.js';
import { TO_END, flatten, prod, unflatten } from './chunk-attention-index.js';
import { producer } from './chunk-attention-match.js';

/** A view function: rows [r0, r0 + n) at leading index `lead` of `t`. */
type ViewFn = (t: Value, lead: readonly number[], r0: number, n: number, tag: string) => Value;

/** The usual head split `transpose(reshape(X[..., S, H*D], [..., S, H, D]))` seen from one head. */
interface HeadSplit {
  /** The projection X. */
  readonly x: Value;
  /** X's leading index holding the head's rows. */
  readonly xl: number[];
  /** Heads H and the head h read. */
  readonly heads: number;
  readonly h: number;
}

/** The head split producing `t` ([lead..., S, D]), read at `lead`. */
function headSplitOf(t: Value, lead: readonly number[]): HeadSplit | undefined {
  const shape = t.type.shape as readonly number[];
  const r = shape.length;
  const d = shape[r - 1]!;
  const tr = producer(t, 'transpose');
  const split = tr && producer(tr.inputs.x as Value, 'reshape');
  if (!tr || !split || r < 3) return undefined;
  const perm = tr.attrs.perm as readonly number[];
  const swapsSH = perm.every((p, i) => (i === r - 3 ? p === r - 2 : i === r - 2 ? p === r - 3 : p === i));
  const x = split.inputs.x as Value;
  const xs = x.type.shape as readonly number[];
  const rsh = split.outputs[0]!.type.shape as readonly number[];
  const heads = rsh[r - 2]!;
  if (!(swapsSH && xs.length >= 2 && xs[xs.length - 1] === heads * d && xs[xs.length - 2] === rsh[r - 3] && prod(xs.slice(0, -2)) === prod(rsh.slice(0, r - 3)))) return undefined;
  const xl = unflatten(flatten(lead.slice(0, -1), rsh.slice(0, r - 3)), xs.slice(0, -2));
  return { x, xl, heads, h: lead[lead.length - 1]! };
}

/**
 * The views of one attention's operands, memoised so that a KV head shared by several query
 * heads (grouped-query attention) is emitted once.
 */
export class OperandViews {
  private readonly cache = new Map<string, Value>();
  private readonly ids = new Map<Value, number>();

  /** `b` emits the views; `name` prefixes their names. */
  constructor(
    private readonly b: RewriteBuilder,
    private readonly name: string,
  ) {}

  private memo(key: string, f: () => Value): Value {
    let v = this.cache.get(key);
    if (!v) this.cache.set(key, (v = f()));
    return v;
  }

  private id(v: Value): number {
    let id = this.ids.get(v);
    if (id === undefined) this.ids.set(v, (id = this.ids.size));
    return id;
  }

  /**
   * The einsum form's operand: rows [r0, r0 + n) at leading index `lead` of `t`
   * ([lead..., rows, D]) as [1, n, D]. Looks through reshapes that keep the last axis, scalar
   * scaling, and the usual head split `transpose(reshape(X[..., S, H*D], [..., S, H, D]))`
   * (slicing X's channels directly, which keeps the (B, C, 1, S) layout end to end).
   */
  view(t: Value, lead: readonly number[], r0: number, n: number, tag: string): Value {
    return this.memo(`view${this.id(t)}:${lead.join(',')}:${r0}:${n}`, () => this.viewOf(t, lead, r0, n, tag));
  }

  /**
   * The matmul form's operand: rows [r0, r0 + n) at leading index `lead` of `t`
   * ([lead..., rows, D]) as [1, 1, D, n], the sequence last. Looks through the same ops as
   * {@link view}; at the end every head is a slice (on axis 1) of one per-tensor view
   * [1, heads, D, S], so the layout passes see a single layout change per tensor, not one per head.
   */
  headView(t: Value, lead: readonly number[], r0: number, n: number, tag: string): Value {
    return this.memo(`hview${this.id(t)}:${lead.join(',')}:${r0}:${n}`, () => this.headViewOf(t, lead, r0, n, tag));
  }

  /** [1, S, D] -> [1, D, 1, S] ("bchq"). */
  channelsFirst(x: Value, hint: string): Value {
    const t = this.b.op('transpose', { x }, { perm: [0, 2, 1] }, `${hint}.t`);
    return this.b.op('expand_dims', { x: t }, { axes: [2] }, hint);
  }

  /**
   * The look-through both views share, continuing with `again` (the view itself): a reshape
   * (or squeeze/expand_dims) keeping the last axis holds the same rows, regrouped; a scalar
   * factor (1/sqrt(d) on q) is applied to the view instead. `scaleRank` is the highest rank of
   * a factor that leaves the view's rank unchanged. Undefined when neither applies.
   */
  private lookThrough(t: Value, lead: readonly number[], r0: number, n: number, tag: string, scaleRank: number, again: ViewFn): Value | undefined {
    const shape = t.type.shape as readonly number[];
    const r = shape.length;
    const rowsT = shape[r - 2]!;
    const d = shape[r - 1]!;
    const re = producer(t, 'reshape') ?? producer(t, 'expand_dims') ?? producer(t, 'squeeze');
    if (re) {
      const u = re.inputs.x as Value;
      const us = u.type.shape as readonly number[];
      if (us.length >= 2 && us[us.length - 1] === d) {
        const f = flatten(lead, shape.slice(0, r - 2)) * rowsT + r0;
        const ur = us[us.length - 2]!;
        if ((f % ur) + n <= ur) return again(u, unflatten(Math.floor(f / ur), us.slice(0, -2)), f % ur, n, tag);
      }
    }
    const scaled = producer(t, 'mul');
    if (scaled) {
      for (const [x, c] of [
        [scaled.inputs.x as Value, scaled.inputs.y as Value],
        [scaled.inputs.y as Value, scaled.inputs.x as Value],
      ] as const) {
        if (constInfo(c) && c.type.shape.every((s) => s === 1) && c.type.shape.length <= scaleRank && x.type.shape.join() === t.type.shape.join()) {
          return this.b.op('mul', { x: again(x, lead, r0, n, `${tag}in`), y: c }, {}, `${this.name}.${tag}`);
        }
      }
    }
    return undefined;
  }

  private viewOf(t: Value, lead: readonly number[], r0: number, n: number, tag: string): Value {
    const through = this.lookThrough(t, lead, r0, n, tag, 3, (...a) => this.view(...a));
    if (through) return through;
    const b = this.b;
    const shape = t.type.shape as readonly number[];
    const r = shape.length;
    const leadDims = shape.slice(0, r - 2);
    const rowsT = shape[r - 2]!;
    const d = shape[r - 1]!;
    const hint = `${this.name}.${tag}`;
    // The head split of a [..., S, H*D] projection: the head's channels of X.
    const split = headSplitOf(t, lead);
    if (split) {
      const { x, xl, h } = split;
      const begin = [...xl, r0, h * d];
      const end = [...xl.map((i) => i + 1), r0 + n, (h + 1) * d];
      const sl = b.op('slice', { x }, { begin, end }, hint);
      return x.type.shape.length === 3 ? sl : b.op('reshape', { x: sl }, { shape: [1, n, d] }, hint);
    }
    // Generic: slice the leading indices and the rows, then drop the leading axes.
    const begin = [...lead, r0, 0];
    const end = [...lead.map((i) => i + 1), r0 + n, TO_END];
    const whole = leadDims.every((s) => s === 1) && r0 === 0 && n === rowsT;
    const sl = whole ? t : b.op('slice', { x: t }, { begin, end }, `${hint}.slice`);
    return r === 3 ? sl : b.op('reshape', { x: sl }, { shape: [1, n, d] }, hint);
  }

  private headViewOf(t: Value, lead: readonly number[], r0: number, n: number, tag: string): Value {
    const through = this.lookThrough(t, lead, r0, n, tag, 4, (...a) => this.headView(...a));
    if (through) return through;
    const b = this.b;
    const shape = t.type.shape as readonly number[];
    const d = shape[shape.length - 1]!;
    const hint = `${this.name}.${tag}`;
    const role = tag.replace(/\d.*$/, '');
    // One head out of [1, units, D, S]: a slice on axis 1 (and on the sequence for a row range).
    const pick = (all: Value, unit: number, seq: number): Value => {
      const as = all.type.shape as readonly number[];
      if (as[1] === 1 && r0 === 0 && n === seq) return all;
      return b.op('slice', { x: all }, { begin: [0, unit, 0, r0], end: [1, unit + 1, TO_END, r0 + n] }, hint);
    };
    // The head split of a [..., S, H*D] projection: a head of the projection's own view.
    const split = headSplitOf(t, lead);
    if (split) {
      const { x, xl, heads, h } = split;
      const xs = x.type.shape as readonly number[];
      return pick(this.perTensor(x, d, `${this.name}.${role}heads`), flatten(xl, xs.slice(0, -2)) * heads + h, xs[xs.length - 2]!);
    }
    return pick(this.perTensor(t, d, `${this.name}.${role}heads`), flatten(lead, shape.slice(0, -2)), shape[shape.length - 2]!);
  }

  /** [lead..., S, C] -> [1, prod(lead) * C / c, c, S]: the channels-first view of every head. */
  private perTensor(x: Value, c: number, name: string): Value {
    return this.memo(`heads${this.id(x)}:${c}`, () => {
      const b = this.b;
      const xs = x.type.shape as readonly number[];
      const xr = xs.length;
      const perm = [...Array(xr).keys()].map((i) => (i === xr - 2 ? xr - 1 : i === xr - 1 ? xr - 2 : i));
      const heads = [1, prod(xs) / (c * xs[xr - 2]!), c, xs[xr - 2]!];
      const direct = xr === 4 && xs[0] === 1 && xs[3] === c;
      const xt = b.op('transpose', { x }, { perm }, direct ? name : `${name}.t`);
      return direct ? xt : b.op('reshape', { x: xt }, { shape: heads }, name);
    });
  }
}
