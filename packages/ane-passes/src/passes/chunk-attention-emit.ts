/**
 * The emitter of `chunk-attention`: one matched attention rewritten per unit (batch x head),
 * in the einsum form or the matmul form, with optional query chunks.
 * @module
 */
import { type Tensor, type Value, allocData } from '@fastvlm/graph';
import { constInfo, constReader } from '../ir/consts.js';
import { deriveConst } from '../ir/derive.js';
import type { RewriteBuilder } from '../rewrite/builder.js';
import type { ChunkAttentionOptions } from './chunk-attention.js';
import { TO_END, broadcastIndex, flatten, prod, unflatten } from './chunk-attention-index.js';
import type { AttentionMatch } from './chunk-attention-match.js';
import { OperandViews } from './chunk-attention-views.js';

/** What differs between the forms: each unit's operands, the two products, the merge. */
interface UnitForm {
  /** q_u (query rows [r0, r0 + sq) at `qIdx`), and the KV head at `kIdx` / `vIdx` (tags name them). */
  operands(u: number, qIdx: number[], r0: number, sq: number, kIdx: number[], kTag: string, vIdx: number[], vTag: string): { q: Value; k: Value; v: Value };
  scores(q: Value, k: Value, name: string): Value;
  /** The axis of the keys in the scores (the softmax axis). */
  readonly keyAxis: number;
  output(p: Value, v: Value, name: string): Value;
  /** All units' outputs, concatenated on axis 1, as [1, Sq, U*Dv]. */
  merge(all: Value): Value;
}

/** Emits the per-unit rewrite of one attention. */
export class AttentionEmitter {
  // Shared pieces (KV heads, mask slices, query chunks) are emitted once per attention.
  private readonly cache = new Map<string, Value>();
  private readonly views: OperandViews;

  /** `b` emits before `m.root`; `name` (the root's output name) prefixes every new value. */
  constructor(
    private readonly b: RewriteBuilder,
    private readonly m: AttentionMatch,
    private readonly opts: ChunkAttentionOptions,
    private readonly name: string,
  ) {
    this.views = new OperandViews(b, name);
  }

  /** The rewrite's result, of the root's shape, in the form `opts.scores` names. */
  emit(): Value {
    return this.opts.scores === 'matmul' ? this.emitMatmul() : this.emitEinsum();
  }

  private memo(key: string, f: () => Value): Value {
    let v = this.cache.get(key);
    if (!v) this.cache.set(key, (v = f()));
    return v;
  }

  /**
   * The mask for the unit at `lead` of the scores as [1, Sk', 1, Sq'] (einsum form) or
   * [1, 1, Sk', Sq'] (matmul form), clamped at maskFloor.
   */
  private maskHead(lead: readonly number[], unit: number): Value {
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
  private queryChunks(sq: number, sk: number): [number, number][] {
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

  /**
   * The einsum form (Apple's): per unit, `s[1, Sk, 1, Sq] = einsum('bchq,bkhc->bkhq', q_u, k_u)`,
   * softmax over axis 1, `o_u[1, Dv, 1, Sq] = einsum('bkhq,bchk->bchq', p, v_u)`; units
   * concatenated on axis 1.
   */
  private emitEinsum(): Value {
    const b = this.b;
    const views = this.views;
    return this.emitUnits({
      operands: (u, qIdx, r0, sq, kIdx, kTag, vIdx, vTag) => {
        const { k, v } = this.m;
        const qv = views.view(this.m.q, qIdx, r0, sq, `q${u}`);
        const sk = this.m.scoresShape[this.m.scoresShape.length - 1]!;
        return {
          q: views.channelsFirst(qv, `${this.name}.q${u}.bchq`),
          k: this.memo(`k4:${kIdx.join(',')}`, () => b.op('expand_dims', { x: views.view(k, kIdx, 0, sk, kTag) }, { axes: [2] }, `${this.name}.${kTag}.bkhc`)),
          v: this.memo(`v4:${vIdx.join(',')}`, () => views.channelsFirst(views.view(v, vIdx, 0, sk, vTag), `${this.name}.${vTag}.bchk`)),
        };
      },
      scores: (q, k, name) => b.op('einsum', { values: [q, k] }, { equation: 'bchq,bkhc->bkhq' }, name),
      keyAxis: 1,
      output: (p, v, name) => b.op('einsum', { values: [p, v] }, { equation: 'bkhq,bchk->bchq' }, name),
      // [1, U*Dv, 1, Sq] -> [1, Sq, U*Dv] (the merged-heads form of a (B, S, C) tensor).
      merge: (all) => b.op('transpose', { x: b.op('squeeze', { x: all }, { axes: [2] }, `${this.name}.heads3`) }, { perm: [0, 2, 1] }, `${this.name}.merged`),
    });
  }

  /**
   * The matmul form: per unit, `s[1, 1, Sk, Sq] = matmul(k_u[1, 1, D, Sk], q_u[1, 1, D, Sq],
   * transpose_x)`, softmax over axis 2, `o_u[1, 1, Dv, Sq] = matmul(v_u[1, 1, Dv, Sk], p)`; units
   * concatenated on axis 1. Every operand keeps the sequence last, so no transpose is needed.
   */
  private emitMatmul(): Value {
    const b = this.b;
    const views = this.views;
    return this.emitUnits({
      operands: (u, qIdx, r0, sq, kIdx, kTag, vIdx, vTag) => {
        const sk = this.m.scoresShape[this.m.scoresShape.length - 1]!;
        return {
          q: views.headView(this.m.q, qIdx, r0, sq, `q${u}`),
          k: views.headView(this.m.k, kIdx, 0, sk, kTag),
          v: views.headView(this.m.v, vIdx, 0, sk, vTag),
        };
      },
      scores: (q, k, name) => b.op('matmul', { x: k, y: q }, { transpose_x: true }, name),
      keyAxis: 2,
      output: (p, v, name) => b.op('matmul', { x: v, y: p }, {}, name),
      // [1, U, Dv, Sq] -> [1, U*Dv, Sq] -> [1, Sq, U*Dv].
      merge: (all) => {
        const [, units, dv, sq] = all.type.shape as number[];
        const flat = b.op('reshape', { x: all }, { shape: [1, units! * dv!, sq!] }, `${this.name}.heads3`);
        return b.op('transpose', { x: flat }, { perm: [0, 2, 1] }, `${this.name}.merged`);
      },
    });
  }

  /**
   * The loop both forms share: for each unit, its operands (query rows, the KV head it reads,
   * shared between the units of a group), mask and query chunks; scaled, masked scores, softmax
   * over the keys, the output; chunks concatenated on the last axis, units on axis 1, then
   * merged and given back the root's shape.
   */
  private emitUnits(form: UnitForm): Value {
    const b = this.b;
    const { q, k, v, qkShape, scoresShape, pShape } = this.m;
    const lead = scoresShape.slice(0, -2);
    const [sq, sk] = scoresShape.slice(-2) as [number, number];
    const units = prod(lead);
    const qkRows = qkShape[qkShape.length - 2]!;
    const pRows = pShape[pShape.length - 2]!;
    const chunks = this.queryChunks(sq, sk);
    const scale = this.m.scale !== undefined ? b.scalar(this.m.scale, q.type.dtype, `${this.name}.scale`) : undefined;
    const lastDims = (t: Value): number[] => (t.type.shape as number[]).slice(0, -2);
    const outs: Value[] = [];
    for (let u = 0; u < units; u++) {
      const f0 = u * sq;
      const qkLead = unflatten(Math.floor(f0 / qkRows), qkShape.slice(0, -2));
      const pLead = unflatten(Math.floor(f0 / pRows), pShape.slice(0, -2));
      const kIdx = broadcastIndex(qkLead, lastDims(k));
      const vIdx = broadcastIndex(pLead, lastDims(v));
      const ops = form.operands(u, broadcastIndex(qkLead, lastDims(q)), f0 % qkRows, sq, kIdx, `k${flatten(kIdx, lastDims(k))}`, vIdx, `v${flatten(vIdx, lastDims(v))}`);
      const mask = this.m.mask ? this.maskHead(unflatten(u, lead), u) : undefined;
      const pieces: Value[] = [];
      for (const [s0, s1] of chunks) {
        const whole = chunks.length === 1;
        const c = whole ? '' : `.c${s0}`;
        const cut = (x: Value): Value =>
          whole ? x : this.memo(`cut:${x.name}:${s0}`, () => b.op('slice', { x }, { begin: [0, 0, 0, s0], end: [TO_END, TO_END, TO_END, s1] }, `${x.name}${c}`));
        let s = form.scores(cut(ops.q), ops.k, `${this.name}.s${u}${c}`);
        if (scale) s = b.op('mul', { x: s, y: scale }, {}, `${this.name}.s${u}${c}.scaled`);
        if (mask) s = b.op('add', { x: s, y: mask.type.shape[3] === 1 ? mask : cut(mask) }, {}, `${this.name}.s${u}${c}.masked`);
        const pr = b.op('softmax', { x: s }, { axis: form.keyAxis }, `${this.name}.p${u}${c}`);
        pieces.push(form.output(pr, ops.v, `${this.name}.o${u}${c}`));
      }
      outs.push(pieces.length === 1 ? pieces[0]! : b.op('concat', { values: pieces }, { axis: 3 }, `${this.name}.o${u}`));
    }
    const all = outs.length === 1 ? outs[0]! : b.op('concat', { values: outs }, { axis: 1 }, `${this.name}.heads`);
    return this.restore(form.merge(all));
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
