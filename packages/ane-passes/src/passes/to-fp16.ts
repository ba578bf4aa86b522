/**
 * `to-fp16`: converts every fp32 value, constant and weight of a program to fp16.
 * @module
 */
import {
  type Attrs,
  type AttrValue,
  FastVlmError,
  type InferInputs,
  type Op,
  type Tensor,
  type TensorType,
  type Value,
  allocData,
  checkOp,
  getOp,
  roundToFp16,
} from '@fastvlm/graph';
import { addDerivedSource, derivationKey } from '../ir/derive.js';
import { viewSource } from '../ir/views.js';
import type { FunctionEditor } from '../ir/editor.js';
import { definePass } from '../pass.js';
import { editFunctions } from './util.js';

const FP16_MAX = 65504;

function toHalf(v: number, clamp: boolean): number {
  if (clamp && Number.isFinite(v)) v = Math.max(-FP16_MAX, Math.min(FP16_MAX, v));
  return roundToFp16(v);
}

function halfTensor(t: Tensor, clamp: boolean): Tensor {
  const data = allocData('fp16', t.data.length);
  for (let i = 0; i < data.length; i++) data[i] = toHalf(t.data[i]!, clamp);
  return { dtype: 'fp16', shape: t.shape, data };
}

/** Attributes with every `dtype`-kind attribute equal to fp32 set to fp16. */
function halfAttrs(op: Op): Attrs {
  const def = getOp(op.kind);
  const out: Record<string, AttrValue> = { ...op.attrs };
  for (const spec of def.attrs) if (spec.kind === 'dtype' && out[spec.name] === 'fp32') out[spec.name] = 'fp16';
  return out;
}

function inferTypes(op: Op, attrs: Attrs): TensorType[] {
  const types: Record<string, TensorType | TensorType[]> = {};
  for (const [k, v] of Object.entries(op.inputs)) types[k] = Array.isArray(v) ? (v as readonly Value[]).map((x) => x.type) : (v as Value).type;
  return checkOp(getOp(op.kind), types as InferInputs, attrs, op.kind).outputs;
}

interface Fp16Options {
  readonly keepIO: boolean;
  readonly clampConstants: boolean;
}

function convertFunction(ed: FunctionEditor, opts: Fp16Options, weightCache: Map<string, string>): number {
  const fn = ed.fn;
  const first = ed.first();
  const origOutputs = fn.outputs.map((v) => v.type.dtype);
  let converted = 0;
  for (const v of fn.inputs) {
    if (v.type.dtype !== 'fp32') continue;
    if (opts.keepIO) {
      const users = ed.users(v);
      const cast = ed.add('cast', { x: v }, { dtype: 'fp16' }, first, { hint: `${v.name}_fp16` });
      // A function input returned as is keeps its fp32 type: only op uses move to the cast.
      for (const u of users) ed.replaceUsesIn(u, v, cast.outputs[0]!);
    } else {
      v.type = { dtype: 'fp16', shape: v.type.shape };
    }
  }
  for (const op of ed.ops()) {
    if (op.kind === 'const') {
      if (op.attrs.dtype !== 'fp32') continue;
      const out = op.outputs[0]!;
      const inline = op.attrs.value as readonly number[] | undefined;
      if (inline) {
        op.attrs = { ...op.attrs, dtype: 'fp16', value: inline.map((x) => toHalf(x, opts.clampConstants)) };
      } else {
        const name = op.attrs.weight as string;
        let half = weightCache.get(name);
        if (half === undefined) {
          const src = ed.program.weights.source(name);
          const shape = src.shape;
          const key = derivationKey(ed.program, { transform: 'to-fp16', params: { clamp: opts.clampConstants }, inputs: [out] }, 'fp16', shape);
          // An element-wise cast: the fp16 weight streams from its source chunk by chunk.
          half = addDerivedSource(ed.program, key, `${name}.fp16`, () => viewSource(src, 'fp16', shape, { convert: (t) => halfTensor(t, opts.clampConstants), describe: `fp16 of ${name}` }));
          weightCache.set(name, half);
        }
        op.attrs = { ...op.attrs, dtype: 'fp16', weight: half };
      }
      out.type = { dtype: 'fp16', shape: out.type.shape };
      converted++;
      continue;
    }
    const attrs = halfAttrs(op);
    let types: TensorType[];
    try {
      types = inferTypes(op, attrs);
    } catch (e) {
      if (!(e instanceof FastVlmError)) throw e;
      // The op does not accept fp16 here: run it in fp32 between casts.
      for (const v of [...new Set(op.inputValues())]) {
        if (v.type.dtype !== 'fp16') continue;
        const up = ed.add('cast', { x: v }, { dtype: 'fp32' }, op, { hint: `${v.name}_fp32` });
        ed.replaceUsesIn(op, v, up.outputs[0]!);
      }
      const after = ed.next(op);
      for (const o of op.outputs) {
        if (o.type.dtype !== 'fp32') continue;
        const users = ed.users(o);
        const down = ed.add('cast', { x: o }, { dtype: 'fp16' }, after, { hint: `${o.name}_fp16` });
        for (const u of users) ed.replaceUsesIn(u, o, down.outputs[0]!);
        // A function output becomes fp16 like the rest of the signature (the cast takes its
        // name); with keepIO it stays the op's fp32 value, exact.
        if (ed.isOutput(o) && !opts.keepIO) ed.replaceOutput(o, down.outputs[0]!);
      }
      continue;
    }
    op.attrs = attrs;
    op.outputs.forEach((o, i) => {
      if (o.type.dtype !== types[i]!.dtype) converted++;
      o.type = types[i]!;
    });
  }
  if (opts.keepIO) {
    fn.outputs.forEach((v, i) => {
      if (origOutputs[i] === 'fp32' && v.type.dtype === 'fp16') {
        const cast = ed.add('cast', { x: v }, { dtype: 'fp32' }, null, { hint: `${v.name}_fp32` });
        ed.replaceOutput(v, cast.outputs[0]!);
      }
    });
  }
  return converted;
}

/** Converts a program to fp16 (weights as computed fp16 weights), optionally keeping fp32 I/O. */
export const toFp16 = definePass({
  name: 'to-fp16',
  summary: 'Casts the whole program to fp16: values, constants and weights (computed fp16 weights).',
  doc: `The ANE computes in fp16; any fp32 op falls back to the GPU or CPU. Every fp32 value
becomes fp16: inline fp32 constants are rounded (finite values beyond +-65504 clamped to
+-65504 when \`clampConstants\`, so a -1e9 mask stays finite), weight constants point to a computed
fp16 weight \`<name>.fp16\` (converted lazily while streaming, shared by every const of the same
weight), \`dtype\` attributes equal to fp32 (cast, fill, range) become fp16, and every op's output
type is re-inferred. Integer and bool values are unchanged. With \`keepIO\`, fp32 function inputs
stay fp32 and are cast to fp16 on entry, and fp32 outputs are cast back (keeping their names);
without it the function signature becomes fp16. An op that rejects fp16 runs in fp32 between
casts.

Before:
\`\`\`
// options: {"keepIO": true}
func main(%x: fp32[2]) -> (%y) {
  %c = const() {dtype="fp32", shape=[2], value=[0.1,1000]} : fp32[2]
  %y = mul(x=%x, y=%c) : fp32[2]
  return %y
}
\`\`\`
After:
\`\`\`
func main(%x: fp32[2]) -> (%y) {
  %x_fp16 = cast(x=%x) {dtype="fp16"} : fp16[2]
  %c = const() {dtype="fp16", shape=[2], value=[0.0999755859375,1000]} : fp16[2]
  %y_fp32 = mul(x=%x_fp16, y=%c) : fp16[2]
  %y = cast(x=%y_fp32) {dtype="fp32"} : fp32[2]
  return %y
}
\`\`\``,
  options: {
    keepIO: { kind: 'bool', default: false, doc: 'Keep fp32 function inputs and outputs, with casts at the boundary.' },
    clampConstants: { kind: 'bool', default: true, doc: 'Clamp finite constants beyond the fp16 range to +-65504 instead of overflowing to infinity.' },
  },
  run(program, ctx) {
    const cache = new Map<string, string>();
    let converted = 0;
    editFunctions(program, (ed) => {
      converted += convertFunction(ed, ctx.options, cache);
    });
    ctx.note(`converted ${converted} values; ${cache.size} weights`);
  },
});
