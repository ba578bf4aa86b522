/**
 * `quantize-weights`: replaces weight constants by linear quantization
 * (`blockwise_dequantize`, or `affine_dequantize` for the iOS16 form) over integer data,
 * scales and zero points computed lazily, exactly as coremltools' linear_quantize_weights.
 * @module
 */
import { type Program, formatShape } from '@fastvlm/graph';
import { definePass } from '../pass.js';
import { type Candidate, DEFAULT_WEIGHT_CONSUMERS } from './candidates.js';
import { compressError } from './errors.js';
import { QuantJob, codesSource, floatSource, intSource } from './jobs.js';
import type { QuantParams } from './linear.js';
import type { NewConst } from './replace.js';
import { type CompressionPlan, type CompressionSummary, compressCandidates } from './select.js';
import { type CompressionRules, QUANTIZE_KEYS, type QuantizeSettings, checkQuantizeSettings, parseRules } from './settings.js';

/** Which compressed op the pass emits. */
export type QuantForm = 'blockwise' | 'affine';

/** Options of {@link quantizeProgram}. */
export interface QuantizeProgramOptions {
  /** Consumer kinds whose constants are considered; empty = any consumer. */
  readonly opTypes?: readonly string[];
  /** `blockwise` (default): blockwise_dequantize; `affine`: affine_dequantize (8-bit, per tensor or channel). */
  readonly form?: QuantForm;
  readonly note?: (message: string) => void;
}

/** The quantization grid (blocks per axis) of candidate `c` under `s`, or a reason to skip. */
export function quantGrid(c: Candidate, s: QuantizeSettings): readonly number[] | string {
  const grid = c.shape.map(() => 1);
  if (s.granularity === 'per_tensor') return grid;
  if (c.outAxis === undefined) return `its consumers (${c.kinds.join(', ')}) disagree on the output channel axis`;
  grid[c.outAxis] = c.shape[c.outAxis]!;
  if (s.granularity === 'per_channel') return grid;
  if (c.inAxis === undefined || c.inAxis === c.outAxis) return `its consumers (${c.kinds.join(', ')}) do not decide one input channel axis`;
  const dim = c.shape[c.inAxis]!;
  if (dim % s.blockSize !== 0) {
    const where = `'${c.sourceName}' ${formatShape(c.shape)}`;
    throw compressError('E_COMPRESS_GROUP', `block size ${s.blockSize} does not divide the ${dim} input channels on axis ${c.inAxis} of weight ${where}; choose a divisor of ${dim}`, {
      where: c.sourceName,
      details: { tensor: c.sourceName, axis: c.inAxis, channels: dim, blockSize: s.blockSize },
    });
  }
  grid[c.inAxis] = dim / s.blockSize;
  return grid;
}

/**
 * The compressed op of candidate `c` under `s` in `form`: integer data with scales and zero
 * points per block, or a reason to skip. E_COMPRESS_CONFIG when `affine` cannot express `s`.
 */
function quantPlan(c: Candidate, s: QuantizeSettings, form: QuantForm, where: string): CompressionPlan<QuantJob> | string {
  const grid = quantGrid(c, s);
  if (typeof grid === 'string') return grid;
  const nonUnit = grid.map((g, i) => (g > 1 ? i : -1)).filter((i) => i >= 0);
  if (form === 'affine' && (s.dtype.endsWith('4') || nonUnit.length > 1)) {
    throw compressError('E_COMPRESS_CONFIG', `form 'affine' (constexpr_affine_dequantize) takes 8-bit data with one scale per tensor or per channel; weight ${where} asks for ${s.dtype} ${s.granularity}`, {
      where: c.sourceName,
    });
  }
  const p: QuantParams = { dtype: s.dtype, symmetric: s.mode === 'linear_symmetric', grid };
  const label = `${s.dtype} ${s.mode} ${s.granularity} quantization of '${c.sourceName}'`;
  const hasOffset = !(p.symmetric && !s.dtype.startsWith('u'));
  const consts = (job: QuantJob): NewConst[] => {
    const data = codesSource(s.dtype, c.shape, () => job.data(), `data of ${label}`, (codes) => job.recycle(codes));
    if (form === 'blockwise') {
      const out: NewConst[] = [
        { input: 'data', suffix: 'data', source: data },
        { input: 'scale', suffix: 'scale', source: floatSource(c.dtype, grid, () => job.blockParams().scale, `scales of ${label}`) },
      ];
      if (hasOffset) out.push({ input: 'offset', suffix: 'offset', source: intSource(s.dtype, grid, () => job.blockParams().offset!, `zero points of ${label}`) });
      return out;
    }
    const axis = nonUnit[0] ?? 0;
    const pShape = nonUnit.length === 0 ? [] : [c.shape[axis]!];
    const blocks = pShape.length === 0 ? 1 : pShape[0]!;
    return [
      { input: 'quantized_data', suffix: 'data', source: data },
      { input: 'zero_point', suffix: 'zero_point', source: intSource(s.dtype, pShape, () => job.blockParams().offset ?? new Int32Array(blocks), `zero points of ${label}`) },
      { input: 'scale', suffix: 'scale', source: floatSource(c.dtype, pShape, () => job.blockParams().scale, `scales of ${label}`) },
    ];
  };
  return {
    key: `${form}:${JSON.stringify(p)}`,
    job: () => new QuantJob(c.source, c.sourceName, p),
    consts,
    kind: form === 'affine' ? 'affine_dequantize' : 'blockwise_dequantize',
    attrs: form === 'affine' ? { axis: nonUnit[0] ?? 0 } : {},
  };
}

/**
 * Quantizes the weights of `program` in place following `rules`; values are computed when the
 * new store entries are read.
 */
export function quantizeProgram(program: Program, rules: CompressionRules<QuantizeSettings>, opts: QuantizeProgramOptions = {}): CompressionSummary<QuantJob> {
  const form = opts.form ?? 'blockwise';
  return compressCandidates(program, rules, opts, (c, s, where) => quantPlan(c, s, form, where));
}

/** Builds the rules of the pass from its options. */
export function quantizeRulesFromOptions(o: {
  readonly dtype: QuantizeSettings['dtype'];
  readonly mode: QuantizeSettings['mode'];
  readonly granularity: QuantizeSettings['granularity'];
  readonly blockSize: number;
  readonly weightThreshold: number;
  readonly rules: readonly string[];
}): CompressionRules<QuantizeSettings> {
  const base = checkQuantizeSettings({ dtype: o.dtype, mode: o.mode, granularity: o.granularity, blockSize: o.blockSize, weightThreshold: o.weightThreshold }, 'quantize-weights');
  return parseRules(o.rules, base, QUANTIZE_KEYS, checkQuantizeSettings);
}

/** Linearly quantizes weight constants (coremltools' linear_quantize_weights). */
export const quantizeWeights = definePass({
  name: 'quantize-weights',
  summary: 'Replaces weight constants by int8/uint8/int4/uint4 linear quantization (blockwise_dequantize), computed lazily.',
  doc: `Every float \`const\` of rank >= 2 with more than \`weightThreshold\` elements that feeds one
of \`opTypes\` becomes \`blockwise_dequantize(data, scale, offset)\`: integer data shaped like the
weight, one scale (in the weight's dtype) and zero point per block. Blocks are the whole tensor
(\`per_tensor\`), each output channel (\`per_channel\`, the default) or \`blockSize\` input channels
of each output channel (\`per_block\`; a block size that does not divide the input channels is
E_COMPRESS_GROUP). Scales, zero points, rounding and clipping reproduce coremltools'
linear_quantize_weights exactly (numpy arithmetic in the weight's dtype): \`linear_symmetric\`
(default) uses [-127, 127] for int8 and no zero point; \`linear\` takes [min(0, min w), max(0, max w)]
with a rounded zero point. With \`form=affine\` (8-bit, per tensor or per channel) the op is
\`affine_dequantize\` with a scalar or vector scale and zero point, Core ML's iOS16 form.
Rules (\`op:KIND ...\`, \`name:GLOB ...\`, \`skip\`) set other settings per weight. Values are
computed when read; NaN or infinite weights raise E_COMPRESS_NONFINITE naming the tensor.
Constants already feeding a compressed op are left alone, so quantizing twice changes nothing.

Before (each row's largest magnitude is 127, so the scales are 1 and the example is exact):
\`\`\`
// options: {"weightThreshold": 0}
func main(%x: fp16[1,4]) -> (%y) {
  %w = const() {dtype="fp16", shape=[2,4], value=[127,-3,64,0,-127,5,1,2]} : fp16[2,4]
  %y = linear(x=%x, weight=%w) : fp16[1,2]
  return %y
}
\`\`\`
After:
\`\`\`
func main(%x: fp16[1,4]) -> (%y) {
  %w.data = const() {dtype="int8", shape=[2,4], weight="w.data"} : int8[2,4]
  %w.scale = const() {dtype="fp16", shape=[2,1], weight="w.scale"} : fp16[2,1]
  %w = blockwise_dequantize(data=%w.data, scale=%w.scale) : fp16[2,4]
  %y = linear(x=%x, weight=%w) : fp16[1,2]
  return %y
}
\`\`\``,
  options: {
    dtype: { kind: 'enum', values: ['int8', 'uint8', 'int4', 'uint4'], default: 'int8', doc: 'Quantized integer type.' },
    mode: { kind: 'enum', values: ['linear_symmetric', 'linear'], default: 'linear_symmetric', doc: 'Symmetric (no zero point for signed types) or affine.' },
    granularity: { kind: 'enum', values: ['per_tensor', 'per_channel', 'per_block'], default: 'per_channel', doc: 'One scale per tensor, per output channel, or per block of input channels.' },
    blockSize: { kind: 'int', default: 32, min: 1, doc: 'Input channels per block (per_block).' },
    weightThreshold: { kind: 'int', default: 2048, min: 0, doc: 'Weights with at most this many elements stay dense.' },
    form: { kind: 'enum', values: ['blockwise', 'affine'], default: 'blockwise', doc: 'blockwise_dequantize (any grid, 4 or 8 bits) or affine_dequantize (8 bits, per tensor or channel).' },
    opTypes: { kind: 'strings', default: [...DEFAULT_WEIGHT_CONSUMERS], doc: 'Consumer op kinds whose constants are quantized; empty = any.' },
    rules: { kind: 'strings', default: [], doc: 'Per-weight rules: `op:KIND ...`, `name:GLOB ...` with KEY=VALUE settings or `skip`.' },
  },
  run(program, ctx) {
    const o = ctx.options;
    const summary = quantizeProgram(program, quantizeRulesFromOptions(o), { opTypes: o.opTypes, form: o.form, note: (m) => ctx.note(m) });
    ctx.note(`quantized ${summary.compressed} constant(s), ${summary.elements} elements; ${summary.skipped.length} left dense`);
  },
});
