/**
 * Which constants the compression passes consider, and the channel axes of each: float
 * `const`s of rank >= 2 consumed by ops (not only returned), not already feeding a compressed
 * op (so compressing twice changes nothing), optionally only those feeding given op kinds.
 * Output and input channel axes come from the consumers as coremltools picks them: `linear`
 * and `conv2d` weights [out, in, ...]; matmul's `y` [.., in, out] ([.., out, in] with
 * transpose_y) and `x` [.., out, in] ([.., in, out] with transpose_x); other ops axis 0 and 1.
 * Consumers that disagree leave the axis undecided.
 * @module
 */
import { type Op, type Value, type WeightSource, memorySource, tensor } from '@fastvlm/graph';
import type { FunctionEditor } from '../ir/editor.js';

/** Kinds of the compressed-constant ops. */
export const COMPRESSED_OPS: readonly string[] = ['lut_dequantize', 'affine_dequantize', 'blockwise_dequantize'];

/** Default consumer kinds whose constant inputs are compressed. */
export const DEFAULT_WEIGHT_CONSUMERS: readonly string[] = ['linear', 'conv2d', 'matmul', 'einsum'];

/** A constant the passes may compress. */
export interface Candidate {
  readonly op: Op;
  readonly value: Value;
  readonly dtype: 'fp16' | 'fp32';
  readonly shape: readonly number[];
  /** Where its values come from (a store entry, or the inline values). */
  readonly source: WeightSource;
  /** The store name (or the value name of an inline constant): names compressed weights. */
  readonly sourceName: string;
  /** Names rules match against: the store name and the value name. */
  readonly names: readonly string[];
  /** Kinds of the consuming ops, sorted, distinct. */
  readonly kinds: readonly string[];
  /** Output channel axis, undefined when consumers disagree. */
  readonly outAxis: number | undefined;
  /** Input channel axis, undefined when consumers disagree. */
  readonly inAxis: number | undefined;
}

function axesFor(user: Op, slot: string, rank: number): [number, number] {
  let out = 0;
  let inp = 1;
  if (user.kind === 'matmul') {
    if (slot === 'y') [out, inp] = user.attrs.transpose_y === true ? [-2, -1] : [-1, -2];
    else [out, inp] = user.attrs.transpose_x === true ? [-1, -2] : [-2, -1];
  }
  return [out < 0 ? out + rank : out, inp < 0 ? inp + rank : inp];
}

/** The compressible constants of one function, in op order. */
export function findCandidates(ed: FunctionEditor, consumerKinds: readonly string[]): Candidate[] {
  const out: Candidate[] = [];
  for (const op of ed.ops()) {
    if (op.kind !== 'const') continue;
    const value = op.outputs[0]!;
    const dtype = value.type.dtype;
    if (dtype !== 'fp16' && dtype !== 'fp32') continue;
    const shape = value.type.shape as readonly number[];
    if (shape.length < 2) continue;
    const users = ed.users(value);
    if (users.length === 0) continue;
    if (users.some((u) => COMPRESSED_OPS.includes(u.kind))) continue;
    const kinds = [...new Set(users.map((u) => u.kind))].sort();
    if (consumerKinds.length > 0 && !kinds.some((k) => consumerKinds.includes(k))) continue;
    let source: WeightSource;
    let sourceName: string;
    const weight = op.attrs.weight as string | undefined;
    if (weight !== undefined) {
      if (!ed.program.weights.has(weight)) continue;
      source = ed.program.weights.source(weight);
      sourceName = weight;
    } else {
      const inline = op.attrs.value as readonly number[];
      source = memorySource(tensor(dtype, shape, inline), `inline ${value.name}`);
      sourceName = value.name;
    }
    const outs = new Set<number>();
    const ins = new Set<number>();
    for (const u of users) {
      for (const [slot, v] of Object.entries(u.inputs)) {
        const hit = Array.isArray(v) ? (v as readonly Value[]).includes(value) : v === value;
        if (!hit) continue;
        const [o, i] = axesFor(u, slot, shape.length);
        outs.add(o);
        ins.add(i);
      }
    }
    out.push({
      op,
      value,
      dtype,
      shape,
      source,
      sourceName,
      names: weight !== undefined && weight !== value.name ? [weight, value.name] : [value.name],
      kinds,
      outAxis: outs.size === 1 ? [...outs][0] : undefined,
      inAxis: ins.size === 1 ? [...ins][0] : undefined,
    });
  }
  return out;
}
