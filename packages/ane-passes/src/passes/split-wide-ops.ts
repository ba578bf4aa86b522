/**
 * `split-wide-ops`: splits linears and convs with too many output channels into chunks.
 * @module
 */
import { type Value, numel } from '@fastvlm/graph';
import { constInfo } from '../ir/consts.js';
import { deriveView } from '../ir/derive.js';
import { type Match, type RewritePattern, capture, op, pattern } from '../rewrite/index.js';
import type { RewriteBuilder } from '../rewrite/builder.js';
import { patternPass } from '../rewrite/pattern-pass.js';

/** Options of `split-wide-ops`. */
export interface SplitWideOptions {
  readonly maxChannels: number;
  readonly parts: number;
  readonly align: number;
  readonly kinds: readonly string[];
}

/**
 * Chunk sizes for `total` output channels: at least `parts` chunks (or one per `align`
 * channels when that is fewer) and as many as needed to keep each chunk <= maxChannels; chunk
 * sizes are multiples of `align` (the last may be smaller).
 * Every chunk is <= maxChannels, so split ops are never split again.
 */
export function chunkSizes(total: number, opts: Pick<SplitWideOptions, 'maxChannels' | 'parts' | 'align'>): number[] {
  const align = opts.align <= opts.maxChannels ? opts.align : 1;
  // Alignment can merge chunks; never ask for more than ceil(total / align) of them.
  const want = Math.min(opts.parts, Math.ceil(total / align));
  for (let k = Math.max(opts.parts, Math.ceil(total / opts.maxChannels), 1); ; k++) {
    const chunk = Math.ceil(Math.ceil(total / k) / align) * align;
    if (chunk <= opts.maxChannels && Math.ceil(total / chunk) >= want) {
      const sizes: number[] = [];
      for (let start = 0; start < total; start += chunk) sizes.push(Math.min(chunk, total - start));
      return sizes;
    }
  }
}

/** Rows [start, start + size) along axis 0 of a weight (a computed constant or a slice op). */
function rows(m: Match, b: RewriteBuilder, v: Value, start: number, size: number, part: number): Value {
  const info = constInfo(v);
  const rank = v.type.shape.length;
  if (info) {
    const shape = [size, ...info.shape.slice(1)];
    const per = numel(info.shape.slice(1));
    // Rows along axis 0 are one contiguous element range: a view reading just that range.
    return deriveView(b, { transform: 'slice-rows', params: { start }, inputs: [v] }, `${v.name}.part${part}`, info.dtype, shape, v, { offset: start * per });
  }
  const begin = new Array<number>(rank).fill(0);
  const end = new Array<number>(rank).fill(2147483647);
  begin[0] = start;
  end[0] = start + size;
  return b.op('slice', { x: v }, { begin, end }, `${v.name}_part${part}`);
}

function splitRewrite(opts: SplitWideOptions, axisOf: (rank: number) => number) {
  return (m: Match, b: RewriteBuilder): Value => {
    const o = m.root;
    const w = o.inputs.weight as Value;
    const bias = o.inputs.bias as Value | undefined;
    const total = w.type.shape[0] as number;
    const pieces: Value[] = [];
    let start = 0;
    chunkSizes(total, opts).forEach((size, part) => {
      const ins: Record<string, Value> = { ...(o.inputs as Record<string, Value>), weight: rows(m, b, w, start, size, part) };
      if (bias) ins.bias = rows(m, b, bias, start, size, part);
      pieces.push(b.op(o.kind, ins, o.attrs, `${o.outputs[0]!.name}_part${part}`));
      start += size;
    });
    return b.op('concat', { values: pieces }, { axis: axisOf(o.outputs[0]!.type.shape.length) }, 'concat');
  };
}

/** The patterns of `split-wide-ops` for the given options. */
export function splitWidePatterns(opts: SplitWideOptions): RewritePattern[] {
  const wide = (m: Match): boolean => {
    const out = m.value('w').type.shape[0];
    return typeof out === 'number' && out > opts.maxChannels && opts.kinds.includes(m.root.kind);
  };
  return [
    pattern({ name: 'split-linear', root: op('linear', { weight: capture('w') }), where: wide, rewrite: splitRewrite(opts, (r) => r - 1) }),
    pattern({
      name: 'split-conv2d',
      // Grouped convs tie output chunks to input channel groups: only groups=1 is split.
      root: op('conv2d', { weight: capture('w') }, { attrs: { groups: 1 } }),
      where: wide,
      rewrite: splitRewrite(opts, () => 1),
    }),
  ];
}

/** Splits wide linear/conv2d ops (e.g. the 151936-way LM head) into chunks joined by concat. */
export const splitWideOps = patternPass({
  name: 'split-wide-ops',
  summary: 'Splits linear and conv2d ops with too many output channels into chunks joined by concat.',
  doc: `The ANE handles a limited number of output channels per op and large weights per op (the
LM head of Qwen2 has 151936 outputs). A \`linear\` or \`conv2d\` (groups = 1) whose output-channel
count exceeds \`maxChannels\` is split along its weight's first axis into at least \`parts\`
chunks of at most \`maxChannels\` (each a multiple of \`align\`, the last one smaller), each a
separate op with its slice of the weight and bias (lazy computed weights \`<weight>.partN\`),
joined by \`concat\` on the channel axis (the last axis for linear, axis 1 for conv2d).

Before:
\`\`\`
// options: {"maxChannels": 2}
func main(%x: fp32[1,2]) -> (%y) {
  %w = const() {dtype="fp32", shape=[4,2], value=[1,2,3,4,5,6,7,8]} : fp32[4,2]
  %y = linear(x=%x, weight=%w) : fp32[1,4]
  return %y
}
\`\`\`
After:
\`\`\`
func main(%x: fp32[1,2]) -> (%y) {
  %w.part0 = const() {dtype="fp32", shape=[2,2], value=[1,2,3,4]} : fp32[2,2]
  %y_part0 = linear(x=%x, weight=%w.part0) : fp32[1,2]
  %w.part1 = const() {dtype="fp32", shape=[2,2], value=[5,6,7,8]} : fp32[2,2]
  %y_part1 = linear(x=%x, weight=%w.part1) : fp32[1,2]
  %y = concat(values=(%y_part0, %y_part1)) {axis=1} : fp32[1,4]
  return %y
}
\`\`\``,
  options: {
    maxChannels: { kind: 'int', default: 16384, min: 1, max: 2 ** 31 - 1, doc: 'Largest output-channel count left whole.' },
    parts: { kind: 'int', default: 0, min: 0, max: 4096, doc: 'Minimum number of parts for a wide op (ANEMLL uses 2 or 16 for the LM head); 0: as few as maxChannels allows.' },
    align: { kind: 'int', default: 1, min: 1, max: 4096, doc: 'Chunk sizes are multiples of this (e.g. 64 for the ANE).' },
    kinds: { kind: 'strings', default: ['linear', 'conv2d'], doc: 'Op kinds to split.' },
  },
  patterns: (o) => splitWidePatterns(o),
});
