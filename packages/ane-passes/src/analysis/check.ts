/**
 * The rule checker: evaluates the op rules of {@link ANE_RULES} on one op. Each check is a
 * small function from the op (and the function's facts) to zero or more violations; findings
 * name the function, the op, the offending value, the shapes and the rule.
 * @module
 */
import { type Op, type TensorType, type Value, fmtType } from '@fastvlm/graph';
import { type FunctionFacts, attrOf, dimsOf, hasCostClass, lastAxisBytes, paddedBytes } from './op-model.js';
import { type AneRuleId, aneRule } from './rules.js';
import type { Finding } from './types.js';

/** One broken rule, before it is dressed as a {@link Finding}. */
interface Violation {
  readonly rule: AneRuleId;
  readonly message: string;
  /** The offending value, when it is not the op's first output. */
  readonly value?: Value;
}

/** Op kinds with no ANE implementation. */
export const NO_ANE_KINDS: ReadonlySet<string> = new Set([
  'gather', 'gather_nd', 'gather_along_axis', 'scatter', 'scatter_nd', 'scatter_along_axis', 'reduce_prod',
  'lstm', 'gru', 'rnn', 'custom',
]);
/** Op kinds whose first input is a state. */
export const STATE_KINDS: ReadonlySet<string> = new Set(['read_state', 'write_state', 'coreml_update_state']);

/** Caps of the rank-5 (N, D, C, H, W) view, by view letter. */
const CAPS: Readonly<Record<string, number>> = { N: 65536, D: 16384, C: 65536, H: 16384, W: 16384 };
/** Letters of the view of a tensor of rank 1..5. */
const VIEW_LETTERS = ['', 'W', 'HW', 'CHW', 'NCHW', 'NDCHW'];
/** Operands above this many bytes are tiled and streamed from DRAM (third-party sweeps: about 2 MB). */
export const LIVE_OPERAND_BYTES = 2 * 1024 * 1024;
const MAX_KERNEL = 13;

/** The channel axis of a tensor of `rank` in the rank-5 view (C), or -1 when the view has none. */
export function channelAxis(rank: number): number {
  return rank >= 3 && rank <= 5 ? rank - 3 : -1;
}

function factorsInto2And3(n: number): boolean {
  let m = n;
  while (m % 2 === 0) m /= 2;
  while (m % 3 === 0) m /= 3;
  return m === 1;
}

const fmt = (t: TensorType): string => fmtType(t);

/** The op's tensors that live on the ANE: its non-constant inputs and its outputs. */
function activations(op: Op, facts: FunctionFacts): Value[] {
  return [...op.inputValues().filter((v) => !facts.constant.has(v)), ...op.outputs];
}

/** A cast of a function input out of fp32, or into function outputs only: Core ML's I/O conversion, not compute. */
function isBoundaryCast(op: Op, facts: FunctionFacts): boolean {
  if (op.kind !== 'cast') return false;
  const x = op.inputValues()[0];
  const out = op.outputs[0];
  if (!out) return false;
  if (x && facts.inputs.has(x) && out.type.dtype !== 'fp32') return true;
  const uses = facts.consumers.get(out) ?? [];
  return facts.outputs.has(out) && uses.length === 0;
}

/** The producer of `v` seen through constant layout ops (a weight reshaped for a conv). */
function constRoot(v: Value, facts: FunctionFacts): Op | null {
  let p = v.producer;
  for (let i = 0; p && i < 8 && ['reshape', 'transpose', 'expand_dims', 'squeeze', 'slice'].includes(p.kind); i++) {
    const x = p.inputValues()[0];
    if (!x || !facts.constant.has(x)) break;
    p = x.producer;
  }
  return p;
}

/** Letters of Core ML's native einsum forms, numbered by first appearance. */
function numbered(eq: { a: string; b: string; out: string }): string {
  const ids = new Map<string, number>();
  const id = (c: string): number => {
    if (!ids.has(c)) ids.set(c, ids.size);
    return ids.get(c)!;
  };
  return `${[...eq.a].map(id).join('')},${[...eq.b].map(id).join('')}->${[...eq.out].map(id).join('')}`;
}

/** True when `equation` is one of Core ML's native einsum forms, in either operand order. */
export function isNativeEinsum(equation: string): boolean {
  const [lhs = '', out = ''] = equation.replace(/\s+/g, '').split('->');
  const [a = '', b = ''] = lhs.split(',');
  const native = new Set(['0123,0324->0124', '012,213->013']);
  return native.has(numbered({ a, b, out })) || native.has(numbered({ a: b, b: a, out }));
}

/** True when `v` comes from a mean within a few elementwise steps (a decomposed norm's variance). */
function fromMean(v: Value, depth: number): boolean {
  const p = v.producer;
  if (!p || depth < 0) return false;
  if (p.kind === 'reduce_mean') return true;
  if (!['add', 'mul', 'sub', 'sqrt', 'pow'].includes(p.kind)) return false;
  return p.inputValues().some((i) => fromMean(i, depth - 1));
}

/** Checks on constant ops (weights and what is computed from them): only the -inf mask rule applies. */
export function checkConstantOp(op: Op): Violation[] {
  if (op.kind === 'fill') {
    const value = Number(attrOf(op, 'value') ?? 0);
    if (value === Number.NEGATIVE_INFINITY) return [{ rule: 'neg-inf-mask', message: `fill with -inf ${fmt(op.outputs[0]!.type)}` }];
  }
  if (op.kind === 'const') {
    const value = op.attrs['value'];
    if (Array.isArray(value) && value.some((x) => x === Number.NEGATIVE_INFINITY)) return [{ rule: 'neg-inf-mask', message: `inline constant ${fmt(op.outputs[0]!.type)} holds -inf` }];
  }
  return [];
}

/** The rule violations of a non-constant op. */
export function checkOp(op: Op, facts: FunctionFacts): Violation[] {
  const out: Violation[] = [];
  const acts = activations(op, facts);
  const all = [...op.inputValues(), ...op.outputs];
  const first = op.outputs[0];

  const symbolic = all.find((t) => t.type.shape.some((d) => typeof d !== 'number'));
  if (symbolic) out.push({ rule: 'dynamic-shape', message: `${symbolic.name} has a symbolic shape ${fmt(symbolic.type)}`, value: symbolic });

  if (!isBoundaryCast(op, facts)) {
    const f32 = all.find((t) => t.type.dtype === 'fp32');
    if (f32) out.push({ rule: 'fp32-compute', message: `computes in fp32 (${f32.name}: ${fmt(f32.type)})`, value: f32 });
  }
  if (NO_ANE_KINDS.has(op.kind)) out.push({ rule: 'no-ane-path', message: `${op.kind} has no ANE implementation` });
  else {
    const i32 = acts.find((t) => t.type.dtype === 'int32');
    if (i32) out.push({ rule: 'int32-compute', message: `computes on int32 (${i32.name}: ${fmt(i32.type)})`, value: i32 });
  }

  const maxRank = Math.max(...acts.map((t) => t.type.shape.length));
  const ranked = acts.find((t) => t.type.shape.length === maxRank);
  if (ranked && maxRank > 5) out.push({ rule: 'rank-above-5', message: `rank ${maxRank} tensor ${fmt(ranked.type)}`, value: ranked });
  else if (ranked && maxRank === 5) out.push({ rule: 'rank-5', message: `rank-5 tensor ${fmt(ranked.type)}`, value: ranked });

  for (const t of acts) {
    const dims = dimsOf(t.type.shape);
    const letters = VIEW_LETTERS[dims.length];
    if (letters === undefined) continue;
    const bad = dims.findIndex((d, i) => d > CAPS[letters[i]!]!);
    if (bad >= 0) {
      const l = letters[bad]!;
      out.push({ rule: 'axis-cap', message: `${t.name} ${fmt(t.type)}: axis ${bad} (${l} of the rank-5 view) is ${dims[bad]}, above the cap ${CAPS[l]}`, value: t });
      break;
    }
  }

  if (op.kind === 'conv2d') {
    const w = op.inputs['weight'] as Value;
    const [, , kh = 1, kw = 1] = dimsOf(w.type.shape);
    const strides = (attrOf(op, 'strides') as readonly number[] | undefined) ?? [1, 1];
    const dil = (attrOf(op, 'dilations') as readonly number[] | undefined) ?? [1, 1];
    if (kh > MAX_KERNEL || kw > MAX_KERNEL) out.push({ rule: 'conv-kernel-wide', message: `kernel ${kh}x${kw} exceeds ${MAX_KERNEL}` });
    if (dil.some((d) => d !== 1)) out.push({ rule: 'conv-dilated', message: `dilations [${dil.join(',')}]` });
    if (strides.some((s) => !factorsInto2And3(s))) out.push({ rule: 'conv-stride-factor', message: `strides [${strides.join(',')}] do not factor into 2s and 3s` });
    if (strides.some((s) => s > 2) && constRoot(w, facts)?.kind === 'lut_dequantize') out.push({ rule: 'palettized-conv-stride', message: `palettized kernel with strides [${strides.join(',')}]`, value: w });
  }
  if (op.kind === 'avg_pool' || op.kind === 'max_pool') {
    const k = (attrOf(op, 'kernel_sizes') as readonly number[] | undefined) ?? [1, 1];
    const strides = (attrOf(op, 'strides') as readonly number[] | undefined) ?? [1, 1];
    if (k.some((x) => x > MAX_KERNEL)) out.push({ rule: 'pool-kernel-wide', message: `window [${k.join(',')}] exceeds ${MAX_KERNEL}` });
    if (strides.some((s) => s > 2 && s !== 4)) out.push({ rule: 'pool-stride', message: `strides [${strides.join(',')}] exceed 2` });
  }
  if (STATE_KINDS.has(op.kind)) {
    const st = op.inputValues()[0];
    if (st) {
      const dims = dimsOf(st.type.shape);
      const last = dims[dims.length - 1] ?? 1;
      if (last % 32 !== 0) out.push({ rule: 'state-last-axis', message: `state ${st.name} ${fmt(st.type)}: last axis ${last} is not a multiple of 32`, value: st });
    }
  }

  if (first) {
    const bytes = lastAxisBytes(first.type.dtype, first.type.shape);
    if (bytes < 64) out.push({ rule: 'last-axis-short', message: `last axis of ${fmt(first.type)} is ${bytes} bytes, padded to 64 (x${(64 / bytes).toFixed(1)})`, value: first });
    else if (bytes % 64 !== 0) {
      const padded = Math.ceil(bytes / 64) * 64;
      out.push({ rule: 'last-axis-unaligned', message: `last axis of ${fmt(first.type)} is ${bytes} bytes, padded to ${padded} (x${(padded / bytes).toFixed(2)})`, value: first });
    }
  }

  if (op.kind === 'transpose') {
    const x = op.inputValues()[0]!;
    const perm = (attrOf(op, 'perm') as readonly number[] | undefined) ?? [];
    const r = perm.length;
    const xs = dimsOf(x.type.shape);
    if (r > 0 && perm[r - 1] !== r - 1 && !(xs[r - 1] === 1 && xs[perm[r - 1]!] === 1)) {
      out.push({ rule: 'transpose-last-axis', message: `perm [${perm.join(',')}] moves the last axis of ${fmt(x.type)}` });
    }
  }
  if (op.kind === 'einsum') {
    const eq = String(attrOf(op, 'equation') ?? '');
    if (!isNativeEinsum(eq)) out.push({ rule: 'einsum-not-native', message: `equation '${eq}' is not a native Core ML einsum` });
  }
  if (op.kind === 'softmax' && first) {
    const rank = first.type.shape.length;
    const raw = Number(attrOf(op, 'axis') ?? -1);
    const axis = raw < 0 ? raw + rank : raw;
    if (axis !== channelAxis(rank)) out.push({ rule: 'softmax-off-channel', message: `softmax over axis ${axis} of ${fmt(first.type)}; the channel axis is ${channelAxis(rank) < 0 ? 'absent below rank 3' : channelAxis(rank)}` });
  }
  if ((op.kind === 'layer_norm' || op.kind === 'rms_norm') && first) {
    const rank = first.type.shape.length;
    const given = attrOf(op, 'axes') as readonly number[] | undefined;
    const axes = (given ?? (op.kind === 'rms_norm' ? [-1] : [...Array(rank).keys()])).map((a) => (a < 0 ? a + rank : a));
    if (!(axes.length === 1 && axes[0] === channelAxis(rank))) out.push({ rule: 'norm-off-channel', message: `${op.kind} over axes [${axes.join(',')}] of ${fmt(first.type)}` });
  }
  if (op.kind === 'rms_norm') out.push({ rule: 'decomposed-norm', message: 'rms_norm has no Core ML op: lowered to square, mean, rsqrt and multiplies' });
  if (op.kind === 'rsqrt' && op.inputValues().some((i) => fromMean(i, 3))) out.push({ rule: 'decomposed-norm', message: 'rsqrt of a mean: a normalization written as reductions' });
  if (!hasCostClass(op.kind)) out.push({ rule: 'unknown-op', message: `op kind '${op.kind}' has no cost class; modeled as elementwise, on the ANE` });

  const big = acts.find((t) => paddedBytes(t.type.dtype, t.type.shape) > LIVE_OPERAND_BYTES);
  if (big) out.push({ rule: 'live-operand-large', message: `${fmt(big.type)} is ${(paddedBytes(big.type.dtype, big.type.shape) / 1048576).toFixed(1)} MiB (> 2 MiB): tiled and streamed from DRAM`, value: big });
  return out;
}

/** A {@link Finding} for a violation of `op` in function `fn`. */
export function toFinding(fn: string, op: Op, v: Violation): Finding {
  const rule = aneRule(v.rule);
  const ins = op.inputValues().map((i) => fmt(i.type));
  const outs = op.outputs.map((o) => fmt(o.type));
  return {
    rule: rule.id,
    severity: rule.severity,
    function: fn,
    op: op.outputs[0]?.name ?? op.kind,
    kind: op.kind,
    value: (v.value ?? op.outputs[0])?.name ?? null,
    shapes: `${ins.join(', ')} -> ${outs.join(', ')}`,
    message: v.message,
    fix: rule.fix ?? null,
  };
}
