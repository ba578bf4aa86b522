/**
 * `chunk-attention`: attention rewritten per head in the einsum form the ANE runs well, or in
 * a matmul form that needs no transpose per head.
 * @module
 */
import { type Dim, type Op, type Tensor, type Value, allocData, normAxis } from '@fastvlm/graph';
import { constInfo, constReader, splatOf } from '../ir/consts.js';
import { deriveConst } from '../ir/derive.js';
import type { FunctionEditor } from '../ir/editor.js';
import { RewriteBuilder } from '../rewrite/builder.js';
import { definePass } from '../pass.js';
import { editFunctions } from './util.js';

/** Slice end meaning "to the end of the axis". */
const TO_END = 2147483647;

/** Options of `chunk-attention`. */
export interface ChunkAttentionOptions {
  readonly maxScoreBytes: number;
  readonly budgetDtype: 'fp16' | 'fp32' | 'auto';
  readonly maskFloor: number;
  readonly scores: 'einsum' | 'matmul';
}

/** The attention found around a `matmul(probs, v)`. */
interface AttentionMatch {
  readonly root: Op;
  /** `q` and `k` of the scores product (`k` not transposed: [..., Sk, D]). */
  readonly q: Value;
  readonly k: Value;
  readonly v: Value;
  /** Static shapes: the scores product, the softmax input, the probabilities product input. */
  readonly qkShape: readonly number[];
  readonly scoresShape: readonly number[];
  readonly pShape: readonly number[];
  readonly scale?: number;
  readonly mask?: Value;
}

const producer = (v: Value | undefined, kind: string): Op | undefined => (v?.producer?.kind === kind ? v.producer : undefined);

const isStaticShape = (s: readonly Dim[]): s is readonly number[] => s.every((d) => typeof d === 'number');

const prod = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/** Row-major multi-index of flat index f over dims. */
function unflatten(f: number, dims: readonly number[]): number[] {
  const idx = new Array<number>(dims.length);
  for (let i = dims.length - 1; i >= 0; i--) {
    idx[i] = f % dims[i]!;
    f = Math.floor(f / dims[i]!);
  }
  return idx;
}

function flatten(idx: readonly number[], dims: readonly number[]): number {
  return idx.reduce((acc, i, k) => acc * dims[k]! + i, 0);
}

/** The index into `dims` that broadcasting (numpy, right-aligned) reads for `idx` of the result. */
function broadcastIndex(idx: readonly number[], dims: readonly number[]): number[] {
  const off = idx.length - dims.length;
  return dims.map((d, k) => (d === 1 ? 0 : idx[k + off]!));
}

/** A one-element float constant: its value. */
function scalarConst(ed: FunctionEditor, v: Value): number | undefined {
  const c = constInfo(v);
  if (!c || c.shape.reduce((a, b) => a * b, 1) !== 1) return undefined;
  return splatOf(ed.program, v);
}

/** `matmul(q, k^T)` (transpose_y, or an explicit transpose of the last two axes of k). */
function parseQK(v: Value): { q: Value; k: Value } | undefined {
  const mm = producer(v, 'matmul');
  if (!mm || mm.attrs.transpose_x === true) return undefined;
  const q = mm.inputs.x as Value;
  let k = mm.inputs.y as Value;
  if (mm.attrs.transpose_y !== true) {
    const t = producer(k, 'transpose');
    const perm = t?.attrs.perm as readonly number[] | undefined;
    const r = k.type.shape.length;
    if (!t || !perm || !perm.every((p, i) => (i < r - 2 ? p === i : p === (i === r - 2 ? r - 1 : r - 2)))) return undefined;
    k = t.inputs.x as Value;
  }
  return { q, k };
}

/**
 * Matches the attention ending at `root` = matmul(probs, v): softmax over the last axis of
 * `[add(., mask)] of [mul/div by a scalar] of [reshape] of matmul(q, k^T)`, with an optional
 * reshape between the softmax and `root`. The softmax input's leading axes (batch and heads)
 * are the attention units; through the reshapes each unit is a contiguous block of query rows
 * of the products (so grouped-query forms that fold the group into the query axis match too).
 */
function matchAttention(ed: FunctionEditor, root: Op): AttentionMatch | undefined {
  if (root.attrs.transpose_x === true || root.attrs.transpose_y === true) return undefined;
  const p = root.inputs.x as Value;
  const v = root.inputs.y as Value;
  let probs = p;
  const rs = producer(probs, 'reshape');
  if (rs) probs = rs.inputs.x as Value;
  const sm = producer(probs, 'softmax');
  if (!sm) return undefined;
  const sIn = sm.inputs.x as Value;
  const ss = sIn.type.shape;
  if (ss.length < 2 || normAxis(sm.attrs.axis as number, ss.length) !== ss.length - 1) return undefined;
  const parseScaled = (x: Value): { qk: NonNullable<ReturnType<typeof parseQK>>; out: Value; scale?: number } | undefined => {
    let scale: number | undefined;
    let cur = x;
    const mul = producer(cur, 'mul') ?? producer(cur, 'div');
    if (mul) {
      const a = mul.inputs.x as Value;
      const b = mul.inputs.y as Value;
      const sb = scalarConst(ed, b);
      const sa = mul.kind === 'mul' ? scalarConst(ed, a) : undefined;
      if (sb !== undefined) {
        scale = mul.kind === 'mul' ? sb : 1 / sb;
        cur = a;
      } else if (sa !== undefined) {
        scale = sa;
        cur = b;
      }
    }
    const re = producer(cur, 'reshape');
    const out = re ? (re.inputs.x as Value) : cur;
    const qk = parseQK(out);
    return qk ? { qk, out, ...(scale !== undefined ? { scale } : {}) } : undefined;
  };
  let parsed = parseScaled(sIn);
  let mask: Value | undefined;
  const add = producer(sIn, 'add');
  if (!parsed && add) {
    for (const [a, b] of [
      [add.inputs.x as Value, add.inputs.y as Value],
      [add.inputs.y as Value, add.inputs.x as Value],
    ] as const) {
      parsed = parseScaled(a);
      if (parsed) {
        mask = b;
        break;
      }
    }
  }
  if (!parsed) return undefined;
  const { q, k } = parsed.qk;
  const qkShape = parsed.out.type.shape;
  const pShape = p.type.shape;
  const shapes = [ss, qkShape, pShape, q.type.shape, k.type.shape, v.type.shape, root.outputs[0]!.type.shape];
  if (!shapes.every(isStaticShape)) return undefined;
  const [sq, sk] = [ss[ss.length - 2] as number, ss[ss.length - 1] as number];
  const last = (s: readonly Dim[]): Dim => s[s.length - 1]!;
  const rows = (s: readonly Dim[]): number => s[s.length - 2] as number;
  // The products hold the same rows as the softmax input, each unit's rows contiguous.
  if (last(qkShape) !== sk || last(pShape) !== sk || prod(qkShape as number[]) !== prod(ss as number[]) || prod(pShape as number[]) !== prod(ss as number[])) return undefined;
  if (qkShape.length < 2 || pShape.length < 2 || rows(qkShape) % sq !== 0 || rows(pShape) % sq !== 0) return undefined;
  if (q.type.shape.length < 2 || k.type.shape.length < 2 || v.type.shape.length < 2 || rows(k.type.shape) !== sk || rows(v.type.shape) !== sk) return undefined;
  if (mask && mask.type.shape.length > ss.length) return undefined;
  if (q.type.dtype !== 'fp16' && q.type.dtype !== 'fp32') return undefined;
  return {
    root,
    q,
    k,
    v,
    qkShape: qkShape as number[],
    scoresShape: ss as number[],
    pShape: pShape as number[],
    ...(parsed.scale !== undefined ? { scale: parsed.scale } : {}),
    ...(mask ? { mask } : {}),
  };
}

/** Emits the per-unit rewrite. */
class AttentionEmitter {
  private readonly cache = new Map<string, Value>();
  private readonly ids = new Map<Value, number>();

  constructor(
    private readonly b: RewriteBuilder,
    private readonly m: AttentionMatch,
    private readonly opts: ChunkAttentionOptions,
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
   * Rows [r0, r0 + n) at leading index `lead` of `t` ([lead..., rows, D]) as [1, n, D]. Looks
   * through reshapes that keep the last axis, scalar scaling, and the usual head split
   * `transpose(reshape(X[..., S, H*D], [..., S, H, D]))` (slicing X's channels directly, which
   * keeps the (B, C, 1, S) layout end to end).
   */
  view(t: Value, lead: readonly number[], r0: number, n: number, tag: string): Value {
    return this.memo(`view${this.id(t)}:${lead.join(',')}:${r0}:${n}`, () => this.viewOf(t, lead, r0, n, tag));
  }

  private viewOf(t: Value, lead: readonly number[], r0: number, n: number, tag: string): Value {
    const b = this.b;
    const shape = t.type.shape as readonly number[];
    const r = shape.length;
    const leadDims = shape.slice(0, r - 2);
    const rowsT = shape[r - 2]!;
    const d = shape[r - 1]!;
    const hint = `${this.name}.${tag}`;
    // A reshape (or squeeze/expand_dims) keeping the last axis: the same rows, regrouped.
    const re = producer(t, 'reshape') ?? producer(t, 'expand_dims') ?? producer(t, 'squeeze');
    if (re) {
      const u = re.inputs.x as Value;
      const us = u.type.shape as readonly number[];
      if (us.length >= 2 && us[us.length - 1] === d) {
        const f = flatten(lead, leadDims) * rowsT + r0;
        const ur = us[us.length - 2]!;
        if ((f % ur) + n <= ur) return this.view(u, unflatten(Math.floor(f / ur), us.slice(0, -2)), f % ur, n, tag);
      }
    }
    // A scalar factor (1/sqrt(d) on q) is applied to the slice instead.
    const scaled = producer(t, 'mul');
    if (scaled) {
      for (const [x, c] of [
        [scaled.inputs.x as Value, scaled.inputs.y as Value],
        [scaled.inputs.y as Value, scaled.inputs.x as Value],
      ] as const) {
        if (constInfo(c) && c.type.shape.every((s) => s === 1) && c.type.shape.length <= 3 && x.type.shape.join() === t.type.shape.join()) {
          return b.op('mul', { x: this.view(x, lead, r0, n, `${tag}in`), y: c }, {}, hint);
        }
      }
    }
    // The head split of a [..., S, H*D] projection.
    const tr = producer(t, 'transpose');
    const split = tr && producer(tr.inputs.x as Value, 'reshape');
    if (tr && split && r >= 3) {
      const perm = tr.attrs.perm as readonly number[];
      const swapsSH = perm.every((p, i) => (i === r - 3 ? p === r - 2 : i === r - 2 ? p === r - 3 : p === i));
      const x = split.inputs.x as Value;
      const xs = x.type.shape as readonly number[];
      const rsh = split.outputs[0]!.type.shape as readonly number[];
      const heads = rsh[r - 2]!;
      if (swapsSH && xs.length >= 2 && xs[xs.length - 1] === heads * d && xs[xs.length - 2] === rsh[r - 3] && prod(xs.slice(0, -2)) === prod(rsh.slice(0, r - 3))) {
        const h = lead[lead.length - 1]!;
        const xl = unflatten(flatten(lead.slice(0, -1), rsh.slice(0, r - 3)), xs.slice(0, -2));
        const begin = [...xl, r0, h * d];
        const end = [...xl.map((i) => i + 1), r0 + n, (h + 1) * d];
        const sl = b.op('slice', { x }, { begin, end }, hint);
        return xs.length === 3 ? sl : b.op('reshape', { x: sl }, { shape: [1, n, d] }, hint);
      }
    }
    // Generic: slice the leading indices and the rows, then drop the leading axes.
    const begin = [...lead, r0, 0];
    const end = [...lead.map((i) => i + 1), r0 + n, TO_END];
    const whole = leadDims.every((s) => s === 1) && r0 === 0 && n === rowsT;
    const sl = whole ? t : b.op('slice', { x: t }, { begin, end }, `${hint}.slice`);
    return r === 3 ? sl : b.op('reshape', { x: sl }, { shape: [1, n, d] }, hint);
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

  private headViewOf(t: Value, lead: readonly number[], r0: number, n: number, tag: string): Value {
    const b = this.b;
    const shape = t.type.shape as readonly number[];
    const r = shape.length;
    const leadDims = shape.slice(0, r - 2);
    const rowsT = shape[r - 2]!;
    const d = shape[r - 1]!;
    const hint = `${this.name}.${tag}`;
    const role = tag.replace(/\d.*$/, '');
    const re = producer(t, 'reshape') ?? producer(t, 'expand_dims') ?? producer(t, 'squeeze');
    if (re) {
      const u = re.inputs.x as Value;
      const us = u.type.shape as readonly number[];
      if (us.length >= 2 && us[us.length - 1] === d) {
        const f = flatten(lead, leadDims) * rowsT + r0;
        const ur = us[us.length - 2]!;
        if ((f % ur) + n <= ur) return this.headView(u, unflatten(Math.floor(f / ur), us.slice(0, -2)), f % ur, n, tag);
      }
    }
    const scaled = producer(t, 'mul');
    if (scaled) {
      for (const [x, c] of [
        [scaled.inputs.x as Value, scaled.inputs.y as Value],
        [scaled.inputs.y as Value, scaled.inputs.x as Value],
      ] as const) {
        if (constInfo(c) && c.type.shape.every((s) => s === 1) && c.type.shape.length <= 4 && x.type.shape.join() === t.type.shape.join()) {
          return b.op('mul', { x: this.headView(x, lead, r0, n, `${tag}in`), y: c }, {}, hint);
        }
      }
    }
    // One head out of [1, units, D, S]: a slice on axis 1 (and on the sequence for a row range).
    const pick = (all: Value, unit: number, seq: number): Value => {
      const as = all.type.shape as readonly number[];
      if (as[1] === 1 && r0 === 0 && n === seq) return all;
      return b.op('slice', { x: all }, { begin: [0, unit, 0, r0], end: [1, unit + 1, TO_END, r0 + n] }, hint);
    };
    // [lead..., S, C] -> [1, prod(lead) * C / c, c, S]: the channels-first view of every head.
    const perTensor = (x: Value, c: number, name: string): Value =>
      this.memo(`heads${this.id(x)}:${c}`, () => {
        const xs = x.type.shape as readonly number[];
        const xr = xs.length;
        const perm = [...Array(xr).keys()].map((i) => (i === xr - 2 ? xr - 1 : i === xr - 1 ? xr - 2 : i));
        const heads = [1, prod(xs) / (c * xs[xr - 2]!), c, xs[xr - 2]!];
        const direct = xr === 4 && xs[0] === 1 && xs[3] === c;
        const xt = b.op('transpose', { x }, { perm }, direct ? name : `${name}.t`);
        return direct ? xt : b.op('reshape', { x: xt }, { shape: heads }, name);
      });
    const tr = producer(t, 'transpose');
    const split = tr && producer(tr.inputs.x as Value, 'reshape');
    if (tr && split && r >= 3) {
      const perm = tr.attrs.perm as readonly number[];
      const swapsSH = perm.every((p, i) => (i === r - 3 ? p === r - 2 : i === r - 2 ? p === r - 3 : p === i));
      const x = split.inputs.x as Value;
      const xs = x.type.shape as readonly number[];
      const rsh = split.outputs[0]!.type.shape as readonly number[];
      const heads = rsh[r - 2]!;
      if (swapsSH && xs.length >= 2 && xs[xs.length - 1] === heads * d && xs[xs.length - 2] === rsh[r - 3] && prod(xs.slice(0, -2)) === prod(rsh.slice(0, r - 3))) {
        const h = lead[lead.length - 1]!;
        const xl = unflatten(flatten(lead.slice(0, -1), rsh.slice(0, r - 3)), xs.slice(0, -2));
        const all = perTensor(x, d, `${this.name}.${role}heads`);
        return pick(all, flatten(xl, xs.slice(0, -2)) * heads + h, xs[xs.length - 2]!);
      }
    }
    return pick(perTensor(t, d, `${this.name}.${role}heads`), flatten(lead, leadDims), rowsT);
  }

  /** [1, S, D] -> [1, D, 1, S] ("bchq"). */
  channelsFirst(x: Value, hint: string): Value {
    const t = this.b.op('transpose', { x }, { perm: [0, 2, 1] }, `${hint}.t`);
    return this.b.op('expand_dims', { x: t }, { axes: [2] }, hint);
  }

  /**
   * The mask for the unit at `lead` of the scores as [1, Sk', 1, Sq'] (einsum form) or
   * [1, 1, Sk', Sq'] (matmul form), clamped at maskFloor.
   */
  maskHead(lead: readonly number[], unit: number): Value {
    const mask = this.clampedMask();
    const rs = this.m.scoresShape.length;
    const ms = mask.type.shape as readonly number[];
    const ext = [...new Array<number>(rs - ms.length).fill(1), ...ms];
    const idx = broadcastIndex(lead, ext.slice(0, rs - 2));
    return this.memo(`mask:${idx.join(',')}`, () => {
      const b = this.b;
      const hint = `${this.name}.mask${unit}`;
      let v = mask;
      if (idx.some((i, k) => i !== 0 || ext[k] !== 1)) {
        v = b.op('slice', { x: v }, { begin: [...idx, 0, 0].slice(-ms.length), end: [...idx.map((i) => i + 1), TO_END, TO_END].slice(-ms.length) }, `${hint}.slice`);
      }
      // [..., Sq, Sk] -> [1, Sq, Sk] -> [1, Sk, Sq] -> [1, Sk, 1, Sq] or [1, 1, Sk, Sq]
      const sqk = ext.slice(-2);
      v = b.op('reshape', { x: v }, { shape: [1, ...sqk] }, `${hint}.r`);
      v = b.op('transpose', { x: v }, { perm: [0, 2, 1] }, `${hint}.t`);
      return b.op('expand_dims', { x: v }, { axes: [this.opts.scores === 'matmul' ? 1 : 2] }, hint);
    });
  }

  private clampedMask(): Value {
    const mask = this.m.mask!;
    const floor = this.opts.maskFloor;
    return this.memo('mask', () => {
      const info = constInfo(mask);
      if (info) {
        const read = constReader(this.b.editor.program, mask)!;
        return deriveConst(this.b, { transform: 'clamp-below', params: { floor }, inputs: [mask] }, `${mask.name}.floor`, info.dtype, info.shape, (): Tensor => {
          const t = read();
          const data = allocData(t.dtype, t.data.length);
          for (let i = 0; i < data.length; i++) data[i] = Math.max(t.data[i]!, floor);
          return { dtype: t.dtype, shape: t.shape, data };
        });
      }
      const f = this.b.scalar(floor, mask.type.dtype, `${this.name}.floor`);
      return this.b.op('maximum', { x: mask, y: f }, {}, `${this.name}.mask`);
    });
  }

  /** Query chunks [start, end) so one unit's scores stay within the byte budget. */
  queryChunks(sq: number, sk: number): [number, number][] {
    const budget = this.opts.maxScoreBytes;
    if (budget <= 0) return [[0, sq]];
    const bytes = this.opts.budgetDtype === 'fp32' || (this.opts.budgetDtype === 'auto' && this.m.q.type.dtype === 'fp32') ? 4 : 2;
    // The ANE pads the last axis to 64 bytes.
    const cost = (qc: number): number => sk * Math.ceil((qc * bytes) / 64) * 64;
    let n = 1;
    while (n < sq && cost(Math.ceil(sq / n)) > budget) n++;
    const size = Math.ceil(sq / n);
    const out: [number, number][] = [];
    for (let s = 0; s < sq; s += size) out.push([s, Math.min(sq, s + size)]);
    return out;
  }

  emit(): Value {
    if (this.opts.scores === 'matmul') return this.emitMatmul();
    const b = this.b;
    const { q, k, v, qkShape, scoresShape, pShape } = this.m;
    const dtype = q.type.dtype;
    const lead = scoresShape.slice(0, -2);
    const [sq, sk] = scoresShape.slice(-2) as [number, number];
    const units = prod(lead);
    const qkRows = qkShape[qkShape.length - 2]!;
    const pRows = pShape[pShape.length - 2]!;
    const chunks = this.queryChunks(sq, sk);
    const scale = this.m.scale !== undefined ? b.scalar(this.m.scale, dtype, `${this.name}.scale`) : undefined;
    const lastDims = (t: Value): number[] => (t.type.shape as number[]).slice(0, -2);
    const outs: Value[] = [];
    for (let u = 0; u < units; u++) {
      const f0 = u * sq;
      const qkLead = unflatten(Math.floor(f0 / qkRows), qkShape.slice(0, -2));
      const pLead = unflatten(Math.floor(f0 / pRows), pShape.slice(0, -2));
      const qv = this.view(q, broadcastIndex(qkLead, lastDims(q)), f0 % qkRows, sq, `q${u}`);
      const kIdx = broadcastIndex(qkLead, lastDims(k));
      const vIdx = broadcastIndex(pLead, lastDims(v));
      const kTag = `k${flatten(kIdx, lastDims(k))}`;
      const vTag = `v${flatten(vIdx, lastDims(v))}`;
      const qh = this.channelsFirst(qv, `${this.name}.q${u}.bchq`);
      const kh = this.memo(`k4:${kIdx.join(',')}`, () => b.op('expand_dims', { x: this.view(k, kIdx, 0, sk, kTag) }, { axes: [2] }, `${this.name}.${kTag}.bkhc`));
      const vh = this.memo(`v4:${vIdx.join(',')}`, () => this.channelsFirst(this.view(v, vIdx, 0, sk, vTag), `${this.name}.${vTag}.bchk`));
      const mask = this.m.mask ? this.maskHead(unflatten(u, lead), u) : undefined;
      const pieces: Value[] = [];
      for (const [s0, s1] of chunks) {
        const whole = chunks.length === 1;
        const c = whole ? '' : `.c${s0}`;
        const cut = (x: Value): Value =>
          whole ? x : this.memo(`cut:${x.name}:${s0}`, () => b.op('slice', { x }, { begin: [0, 0, 0, s0], end: [TO_END, TO_END, TO_END, s1] }, `${x.name}${c}`));
        let s = b.op('einsum', { values: [cut(qh), kh] }, { equation: 'bchq,bkhc->bkhq' }, `${this.name}.s${u}${c}`);
        if (scale) s = b.op('mul', { x: s, y: scale }, {}, `${this.name}.s${u}${c}.scaled`);
        if (mask) s = b.op('add', { x: s, y: mask.type.shape[3] === 1 ? mask : cut(mask) }, {}, `${this.name}.s${u}${c}.masked`);
        const pr = b.op('softmax', { x: s }, { axis: 1 }, `${this.name}.p${u}${c}`);
        pieces.push(b.op('einsum', { values: [pr, vh] }, { equation: 'bkhq,bchk->bchq' }, `${this.name}.o${u}${c}`));
      }
      outs.push(pieces.length === 1 ? pieces[0]! : b.op('concat', { values: pieces }, { axis: 3 }, `${this.name}.o${u}`));
    }
    // [1, U*Dv, 1, Sq] -> [1, Sq, U*Dv] (the merged-heads form of a (B, S, C) tensor), then
    // back to the root's shape.
    const all = outs.length === 1 ? outs[0]! : b.op('concat', { values: outs }, { axis: 1 }, `${this.name}.heads`);
    return this.restore(b.op('transpose', { x: b.op('squeeze', { x: all }, { axes: [2] }, `${this.name}.heads3`) }, { perm: [0, 2, 1] }, `${this.name}.merged`));
  }

  /**
   * The matmul form: per unit, `s[1, 1, Sk, Sq] = matmul(k_u[1, 1, D, Sk], q_u[1, 1, D, Sq],
   * transpose_x)`, softmax over axis 2, `o_u[1, 1, Dv, Sq] = matmul(v_u[1, 1, Dv, Sk], p)`; units
   * concatenated on axis 1. Every operand keeps the sequence last, so no transpose is needed.
   */
  private emitMatmul(): Value {
    const b = this.b;
    const { q, k, v, qkShape, scoresShape, pShape } = this.m;
    const dtype = q.type.dtype;
    const lead = scoresShape.slice(0, -2);
    const [sq, sk] = scoresShape.slice(-2) as [number, number];
    const units = prod(lead);
    const qkRows = qkShape[qkShape.length - 2]!;
    const pRows = pShape[pShape.length - 2]!;
    const chunks = this.queryChunks(sq, sk);
    const scale = this.m.scale !== undefined ? b.scalar(this.m.scale, dtype, `${this.name}.scale`) : undefined;
    const lastDims = (t: Value): number[] => (t.type.shape as number[]).slice(0, -2);
    const outs: Value[] = [];
    for (let u = 0; u < units; u++) {
      const f0 = u * sq;
      const qkLead = unflatten(Math.floor(f0 / qkRows), qkShape.slice(0, -2));
      const pLead = unflatten(Math.floor(f0 / pRows), pShape.slice(0, -2));
      const qh = this.headView(q, broadcastIndex(qkLead, lastDims(q)), f0 % qkRows, sq, `q${u}`);
      const kIdx = broadcastIndex(qkLead, lastDims(k));
      const vIdx = broadcastIndex(pLead, lastDims(v));
      const kh = this.headView(k, kIdx, 0, sk, `k${flatten(kIdx, lastDims(k))}`);
      const vh = this.headView(v, vIdx, 0, sk, `v${flatten(vIdx, lastDims(v))}`);
      const mask = this.m.mask ? this.maskHead(unflatten(u, lead), u) : undefined;
      const pieces: Value[] = [];
      for (const [s0, s1] of chunks) {
        const whole = chunks.length === 1;
        const c = whole ? '' : `.c${s0}`;
        const cut = (x: Value): Value =>
          whole ? x : this.memo(`cut:${x.name}:${s0}`, () => b.op('slice', { x }, { begin: [0, 0, 0, s0], end: [TO_END, TO_END, TO_END, s1] }, `${x.name}${c}`));
        let s = b.op('matmul', { x: kh, y: cut(qh) }, { transpose_x: true }, `${this.name}.s${u}${c}`);
        if (scale) s = b.op('mul', { x: s, y: scale }, {}, `${this.name}.s${u}${c}.scaled`);
        if (mask) s = b.op('add', { x: s, y: mask.type.shape[3] === 1 ? mask : cut(mask) }, {}, `${this.name}.s${u}${c}.masked`);
        const pr = b.op('softmax', { x: s }, { axis: 2 }, `${this.name}.p${u}${c}`);
        pieces.push(b.op('matmul', { x: vh, y: pr }, {}, `${this.name}.o${u}${c}`));
      }
      outs.push(pieces.length === 1 ? pieces[0]! : b.op('concat', { values: pieces }, { axis: 3 }, `${this.name}.o${u}`));
    }
    // [1, U, Dv, Sq] -> [1, U*Dv, Sq] -> [1, Sq, U*Dv], then back to the root's shape.
    const all = outs.length === 1 ? outs[0]! : b.op('concat', { values: outs }, { axis: 1 }, `${this.name}.heads`);
    const dv = all.type.shape[2] as number;
    const flat = b.op('reshape', { x: all }, { shape: [1, units * dv, sq] }, `${this.name}.heads3`);
    return this.restore(b.op('transpose', { x: flat }, { perm: [0, 2, 1] }, `${this.name}.merged`));
  }

  /**
   * [1, Sq, U*Dv] back to the root's shape through the usual head split, so that the model's own
   * head merge after attention cancels against it.
   */
  private restore(merged: Value): Value {
    const b = this.b;
    const { root, scoresShape } = this.m;
    const sq = scoresShape[scoresShape.length - 2]!;
    const units = prod(scoresShape.slice(0, -2));
    const os = root.outputs[0]!.type.shape as number[];
    const dv = os[os.length - 1]!;
    const back =
      os.length >= 4 && os[0] === 1
        ? b.op('transpose', { x: b.op('reshape', { x: merged }, { shape: [1, sq, units, dv] }, `${this.name}.split`) }, { perm: [0, 2, 1, 3] }, `${this.name}.units`)
        : b.op('transpose', { x: b.op('reshape', { x: merged }, { shape: [sq, units, dv] }, `${this.name}.split`) }, { perm: [1, 0, 2] }, `${this.name}.units`);
    return back.type.shape.join() === os.join() ? back : b.op('reshape', { x: back }, { shape: os }, `${this.name}.out`);
  }
}

/** Rewrites attention per head in the ANE einsum form, or the transpose-free matmul form (grouped-query aware, optional query chunks). */
export const chunkAttention = definePass({
  name: 'chunk-attention',
  summary: 'Rewrites attention per head as einsums on (B, C, 1, S) tensors, or as transpose-free matmuls, GQA aware, with optional query chunking.',
  doc: `Finds \`matmul(softmax(scale * matmul(q, k^T) + mask, axis=-1), v)\` (scale and mask optional;
\`k^T\` as \`transpose_y\` or an explicit transpose; reshapes allowed between the products and the
softmax) and rewrites it per attention unit (batch x head: the leading axes of the softmax
input) in the form of Apple's ANE transformers: for unit u,
\`s = einsum('bchq,bkhc->bkhq', q_u[1, D, 1, Sq], k_u[1, Sk, 1, D])\`, scaled, plus the mask as
\`[1, Sk, 1, Sq]\`, \`softmax(s, axis=1)\`, \`o_u = einsum('bkhq,bchk->bchq', p, v_u[1, D, 1, Sk])\`, and the
units concatenated on the channel axis: \`[1, U*D, 1, Sq]\`. Each unit's query rows are followed
through the reshapes, so the usual forms all match: heads on one axis \`[B, H, S, D]\` or
\`[H, S, D]\`, grouped-query attention with queries \`[B, Hkv, group, S, D]\` against keys
\`[B, Hkv, 1, S, D]\`, or with the group folded into the query axis (\`[Hkv, group*S, D]\` against
\`[Hkv, K, D]\`); query head h reads KV head \`h // group\` in each. When q, k or v is the usual head
split of a \`[.., S, H*D]\` projection (possibly scaled), the head is sliced from its channels
directly. KV heads and mask slices are shared between units. Boundary reshapes/transposes give
back the original shape through \`[1, S, U*D]\`, so \`cancel-reshapes\`/\`cancel-transposes\` merge
them with the model's own head merge. Mask values below \`maskFloor\` (e.g. -inf) are raised to
it (a constant mask at compile time, else a \`maximum\` op). With \`maxScoreBytes\` > 0 the query
axis is cut into chunks so that one unit's scores \`[1, Sk, 1, chunk]\` (last axis padded to 64
bytes, in \`budgetDtype\`) fit the budget. Shapes must be static.

With \`scores: 'matmul'\` each unit is written with matmuls instead, every operand keeping the
sequence on its last axis: \`s[1, 1, Sk, Sq] = matmul(k_u[1, 1, D, Sk], q_u[1, 1, D, Sq],
transpose_x)\`, scaled, plus the mask as \`[1, 1, Sk, Sq]\`, \`softmax(s, axis=2)\`,
\`o_u[1, 1, Dv, Sq] = matmul(v_u[1, 1, Dv, Sk], p)\`, the units concatenated on axis 1
(\`[1, U, Dv, Sq]\`, a reshape away from \`[1, U*Dv, 1, Sq]\`). Each of q, k and v is viewed once
as \`[1, heads, D, S]\` (one transpose of the whole tensor, or of the \`[.., S, H*D]\` projection
it splits) and unit u's operand is a slice of axis 1 of it; the query chunks are slices of the
last axis. Why: MIL's einsum contracts the first operand's last axis with the second's axis 1,
so the einsum form needs the keys as \`[1, Sk, 1, D]\` while every other tensor is channels
first \`(B, C, 1, S)\`: one key transpose per head (or per layer) survives \`assign-layout\`. In
the matmul form all three operands share the channels-first layout, so after \`assign-layout\`
and \`fold-layout-chains\` the heads are slices of one reshape of the projection and no
transpose is left (ANEMLL runs matmul-with-transpose attention on the ANE).

Before:
\`\`\`
func main(%q: fp32[1,2,3,4], %k: fp32[1,2,3,4], %v: fp32[1,2,3,4]) -> (%o) {
  %s = matmul(x=%q, y=%k) {transpose_y=true} : fp32[1,2,3,3]
  %p = softmax(x=%s) : fp32[1,2,3,3]
  %o = matmul(x=%p, y=%v) : fp32[1,2,3,4]
  return %o
}
\`\`\`
After:
\`\`\`
func main(%q: fp32[1,2,3,4], %k: fp32[1,2,3,4], %v: fp32[1,2,3,4]) -> (%o) {
  %o.q0.slice = slice(x=%q) {begin=[0,0,0,0], end=[1,1,3,2147483647]} : fp32[1,1,3,4]
  %o.q0 = reshape(x=%o.q0.slice) {shape=[1,3,4]} : fp32[1,3,4]
  %o.q0.bchq.t = transpose(x=%o.q0) {perm=[0,2,1]} : fp32[1,4,3]
  %o.q0.bchq = expand_dims(x=%o.q0.bchq.t) {axes=[2]} : fp32[1,4,1,3]
  %o.k0.slice = slice(x=%k) {begin=[0,0,0,0], end=[1,1,3,2147483647]} : fp32[1,1,3,4]
  %o.k0 = reshape(x=%o.k0.slice) {shape=[1,3,4]} : fp32[1,3,4]
  %o.k0.bkhc = expand_dims(x=%o.k0) {axes=[2]} : fp32[1,3,1,4]
  %o.v0.slice = slice(x=%v) {begin=[0,0,0,0], end=[1,1,3,2147483647]} : fp32[1,1,3,4]
  %o.v0 = reshape(x=%o.v0.slice) {shape=[1,3,4]} : fp32[1,3,4]
  %o.v0.bchk.t = transpose(x=%o.v0) {perm=[0,2,1]} : fp32[1,4,3]
  %o.v0.bchk = expand_dims(x=%o.v0.bchk.t) {axes=[2]} : fp32[1,4,1,3]
  %o.s0 = einsum(values=(%o.q0.bchq, %o.k0.bkhc)) {equation="bchq,bkhc->bkhq"} : fp32[1,3,1,3]
  %o.p0 = softmax(x=%o.s0) {axis=1} : fp32[1,3,1,3]
  %o.o0 = einsum(values=(%o.p0, %o.v0.bchk)) {equation="bkhq,bchk->bchq"} : fp32[1,4,1,3]
  ...the same for head 1...
  %o.heads = concat(values=(%o.o0, %o.o1)) {axis=1} : fp32[1,8,1,3]
  %o.heads3 = squeeze(x=%o.heads) {axes=[2]} : fp32[1,8,3]
  %o.merged = transpose(x=%o.heads3) {perm=[0,2,1]} : fp32[1,3,8]
  %o.split = reshape(x=%o.merged) {shape=[1,3,2,4]} : fp32[1,3,2,4]
  %o = transpose(x=%o.split) {perm=[0,2,1,3]} : fp32[1,2,3,4]
  return %o
}
\`\`\`

The same with \`scores: 'matmul'\`:
\`\`\`
// options: {"scores": "matmul"}
func main(%q: fp32[1,2,3,4], %k: fp32[1,2,3,4], %v: fp32[1,2,3,4]) -> (%o) {
  %s = matmul(x=%q, y=%k) {transpose_y=true} : fp32[1,2,3,3]
  %p = softmax(x=%s) : fp32[1,2,3,3]
  %o = matmul(x=%p, y=%v) : fp32[1,2,3,4]
  return %o
}
\`\`\`
After:
\`\`\`
func main(%q: fp32[1,2,3,4], %k: fp32[1,2,3,4], %v: fp32[1,2,3,4]) -> (%o) {
  %o.qheads = transpose(x=%q) {perm=[0,1,3,2]} : fp32[1,2,4,3]
  %o.q0 = slice(x=%o.qheads) {begin=[0,0,0,0], end=[1,1,2147483647,3]} : fp32[1,1,4,3]
  %o.kheads = transpose(x=%k) {perm=[0,1,3,2]} : fp32[1,2,4,3]
  %o.k0 = slice(x=%o.kheads) {begin=[0,0,0,0], end=[1,1,2147483647,3]} : fp32[1,1,4,3]
  %o.vheads = transpose(x=%v) {perm=[0,1,3,2]} : fp32[1,2,4,3]
  %o.v0 = slice(x=%o.vheads) {begin=[0,0,0,0], end=[1,1,2147483647,3]} : fp32[1,1,4,3]
  %o.s0 = matmul(x=%o.k0, y=%o.q0) {transpose_x=true} : fp32[1,1,3,3]
  %o.p0 = softmax(x=%o.s0) {axis=2} : fp32[1,1,3,3]
  %o.o0 = matmul(x=%o.v0, y=%o.p0) : fp32[1,1,4,3]
  ...the same for head 1 (%o.q1 = slice(x=%o.qheads) {begin=[0,1,0,0], ...})...
  %o.heads = concat(values=(%o.o0, %o.o1)) {axis=1} : fp32[1,2,4,3]
  %o.heads3 = reshape(x=%o.heads) {shape=[1,8,3]} : fp32[1,8,3]
  %o.merged = transpose(x=%o.heads3) {perm=[0,2,1]} : fp32[1,3,8]
  %o.split = reshape(x=%o.merged) {shape=[1,3,2,4]} : fp32[1,3,2,4]
  %o = transpose(x=%o.split) {perm=[0,2,1,3]} : fp32[1,2,3,4]
  return %o
}
\`\`\``,
  options: {
    maxScoreBytes: { kind: 'int', default: 0, min: 0, max: 2 ** 31 - 1, doc: 'Byte budget of one unit\'s scores; the query axis is chunked to fit (0: no chunking).' },
    budgetDtype: { kind: 'enum', values: ['fp16', 'fp32', 'auto'], default: 'fp16', doc: 'Element size used for the budget (fp16: what the ANE runs; auto: the program\'s dtype).' },
    maskFloor: { kind: 'number', default: -1e4, min: -65504, max: 0, doc: 'Mask values below this (e.g. -inf) are raised to it.' },
    scores: {
      kind: 'enum',
      values: ['einsum', 'matmul'],
      default: 'einsum',
      doc: "Per-head form: 'einsum' (Apple's: keys as [1, Sk, 1, D]) or 'matmul' (every operand [1, 1, D, S], transpose-free).",
    },
  },
  run(program, ctx) {
    let rewritten = 0;
    editFunctions(program, (ed) => {
      for (const op of ed.ops()) {
        if (op.kind !== 'matmul' || !ed.contains(op)) continue;
        const m = matchAttention(ed, op);
        if (!m) continue;
        const b = new RewriteBuilder(ed, op, op.loc);
        const out = new AttentionEmitter(b, m, ctx.options, op.outputs[0]!.name).emit();
        const producers = op.inputValues().map((v) => v.producer).filter((p): p is Op => p !== null);
        ed.replaceAllUses(op.outputs[0]!, out, { adoptName: true });
        ed.eraseDead([op, ...producers]);
        rewritten++;
      }
    });
    ctx.note(`rewrote ${rewritten} attentions`);
  },
});
