/**
 * The attention pattern `chunk-attention` rewrites: `matmul(softmax(scale * matmul(q, k^T) +
 * mask), v)`, with reshapes allowed around the products.
 * @module
 */
import { type Dim, type Op, type Value, normAxis } from '@fastvlm/graph';
import { constInfo, splatOf } from '../ir/consts.js';
import type { FunctionEditor } from '../ir/editor.js';
import { prod } from './chunk-attention-index.js';

/** The attention found around a `matmul(probs, v)`. */
export interface AttentionMatch {
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

/** The op of `kind` producing `v`, if that is what produces it. */
export const producer = (v: Value | undefined, kind: string): Op | undefined => (v?.producer?.kind === kind ? v.producer : undefined);

const isStaticShape = (s: readonly Dim[]): s is readonly number[] => s.every((d) => typeof d === 'number');

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

/** `[mul/div by a scalar] of [reshape] of matmul(q, k^T)`: the product, its output and the scale. */
function parseScaled(ed: FunctionEditor, x: Value): { qk: NonNullable<ReturnType<typeof parseQK>>; out: Value; scale?: number } | undefined {
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
}

/**
 * Matches the attention ending at `root` = matmul(probs, v): softmax over the last axis of
 * `[add(., mask)] of [mul/div by a scalar] of [reshape] of matmul(q, k^T)`, with an optional
 * reshape between the softmax and `root`. The softmax input's leading axes (batch and heads)
 * are the attention units; through the reshapes each unit is a contiguous block of query rows
 * of the products (so grouped-query forms that fold the group into the query axis match too).
 * Undefined when `root` is not such an attention or a shape is not static.
 */
export function matchAttention(ed: FunctionEditor, root: Op): AttentionMatch | undefined {
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
  let parsed = parseScaled(ed, sIn);
  let mask: Value | undefined;
  const add = producer(sIn, 'add');
  if (!parsed && add) {
    for (const [a, b] of [
      [add.inputs.x as Value, add.inputs.y as Value],
      [add.inputs.y as Value, add.inputs.x as Value],
    ] as const) {
      parsed = parseScaled(ed, a);
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
