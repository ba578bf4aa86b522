/**
 * `palettize-weights`: replaces weight constants by look-up-table palettization
 * (`lut_dequantize` over a table and n-bit indices computed lazily).
 * @module
 */
import { type Program, formatShape } from '@fastvlm/graph';
import { definePass } from '../pass.js';
import { type Candidate, DEFAULT_WEIGHT_CONSUMERS } from './candidates.js';
import { compressError } from './errors.js';
import { PaletteJob, type PaletteSolver, codesSource, floatSource } from './jobs.js';
import type { PaletteParams } from './palettize.js';
import type { NewConst } from './replace.js';
import { type CompressionPlan, type CompressionSummary, compressCandidates } from './select.js';
import { type CompressionRules, type PalettizeSettings, PALETTIZE_KEYS, checkPalettizeSettings, parseRules } from './settings.js';

/** Options of {@link palettizeProgram}. */
export interface PalettizeProgramOptions {
  /** Consumer kinds whose constants are considered; empty = any consumer. */
  readonly opTypes?: readonly string[];
  /** Records a remark (the pass context's `note`). */
  readonly note?: (message: string) => void;
  /** Computes palettizations (default: on this thread). */
  readonly solver?: PaletteSolver;
}

/** The palettization of candidate `c` under `s`, or a reason to leave it dense. */
export function paletteParams(c: Candidate, s: PalettizeSettings): PaletteParams | string {
  const where = `'${c.sourceName}' ${formatShape(c.shape)}`;
  if (s.granularity === 'per_tensor') return { nbits: s.nbits, mode: s.mode, axis: undefined, groupSize: 0 };
  let axis = s.channelAxis;
  if (axis < 0) {
    if (c.outAxis === undefined) return `its consumers (${c.kinds.join(', ')}) disagree on the output channel axis`;
    axis = c.outAxis;
  }
  if (axis >= c.shape.length) throw compressError('E_COMPRESS_CONFIG', `channelAxis ${axis} is out of range for weight ${where}`, { where: c.sourceName });
  const dim = c.shape[axis]!;
  if (dim % s.groupSize !== 0) {
    throw compressError('E_COMPRESS_GROUP', `group size ${s.groupSize} does not divide the ${dim} channels on axis ${axis} of weight ${where}; choose a divisor of ${dim}`, {
      where: c.sourceName,
      details: { tensor: c.sourceName, axis, channels: dim, groupSize: s.groupSize },
    });
  }
  return { nbits: s.nbits, mode: s.mode, axis, groupSize: s.groupSize };
}

/** The `lut_dequantize` of candidate `c` under `s`: a table and indices per weight, or a reason to skip. */
function palettePlan(c: Candidate, s: PalettizeSettings, solver: PaletteSolver | undefined): CompressionPlan<PaletteJob> | string {
  const p = paletteParams(c, s);
  if (typeof p === 'string') return p;
  const grid = c.shape.map((_, i) => (i === p.axis ? c.shape[i]! / p.groupSize : 1));
  const lutShape = [...grid, 2 ** p.nbits, 1];
  const label = `${p.mode} ${p.nbits}-bit palette (${p.axis === undefined ? 'per tensor' : `groups of ${p.groupSize} on axis ${p.axis}`}) of '${c.sourceName}'`;
  return {
    key: JSON.stringify(p),
    job: () => new PaletteJob(c.source, c.sourceName, p, solver),
    consts: (job): NewConst[] => [
      { input: 'lut', suffix: 'lut', source: floatSource(c.dtype, lutShape, () => job.tables(), `tables of ${label}`) },
      { input: 'indices', suffix: 'indices', source: codesSource(`uint${p.nbits}` as 'uint4', c.shape, () => job.indices(), `indices of ${label}`) },
    ],
    kind: 'lut_dequantize',
  };
}

/**
 * Palettizes the weights of `program` in place following `rules`. Values are computed lazily
 * when the new store entries are read (interpreting, emitting); tables of several consts of
 * one weight are shared.
 */
export function palettizeProgram(program: Program, rules: CompressionRules<PalettizeSettings>, opts: PalettizeProgramOptions = {}): CompressionSummary {
  return compressCandidates(program, rules, opts, (c, s) => palettePlan(c, s, opts.solver));
}

/** Builds the rules of the pass from its options. */
export function palettizeRulesFromOptions(o: {
  readonly nbits: number;
  readonly mode: 'kmeans' | 'uniform';
  readonly granularity: 'per_tensor' | 'per_grouped_channel';
  readonly groupSize: number;
  readonly channelAxis: number;
  readonly weightThreshold: number;
  readonly rules: readonly string[];
}): CompressionRules<PalettizeSettings> {
  const base = checkPalettizeSettings(
    { nbits: o.nbits as PalettizeSettings['nbits'], mode: o.mode, granularity: o.granularity, groupSize: o.groupSize, channelAxis: o.channelAxis, weightThreshold: o.weightThreshold },
    'palettize-weights',
  );
  return parseRules(o.rules, base, PALETTIZE_KEYS, checkPalettizeSettings);
}

/** Palettizes weight constants with look-up tables (coremltools' palettize_weights). */
export const palettizeWeights = definePass({
  name: 'palettize-weights',
  summary: 'Replaces weight constants by n-bit look-up-table palettization (lut_dequantize), computed lazily.',
  doc: `Every float \`const\` of rank >= 2 with more than \`weightThreshold\` elements that feeds one
of \`opTypes\` (default: linear, conv2d, matmul, einsum; empty = any op: embeddings read by
\`gather\` or RoPE tables too) becomes a
\`lut_dequantize\` of two new constants: a table of 2^nbits entries per group (in the weight's
dtype) and nbits-bit indices shaped like the weight. \`kmeans\` tables are the exact 1-D k-means
optimum of each group's values (each element then takes its nearest entry); \`uniform\` tables
are evenly spaced between the group's minimum and maximum. \`per_grouped_channel\` gives each
\`groupSize\` output channels their own table (the channel axis follows the consumers, or
\`channelAxis\`); a group size that does not divide the channel count is an error
(E_COMPRESS_GROUP). Per-weight settings come from \`rules\` such as \`op:linear nbits=4\`,
\`name:lm_head* nbits=6 granularity=per_grouped_channel groupSize=8\` or \`name:*embed* skip\`.

The new store entries \`<weight>.lut\` and \`<weight>.indices\` are computed only when read
(interpreting or emitting), one weight at a time; NaN or infinite weights then raise
E_COMPRESS_NONFINITE naming the tensor. Constants already feeding a compressed op are left
alone, so palettizing twice changes nothing.

Before (the example's four distinct values need no more than four entries, so it is exact):
\`\`\`
// options: {"weightThreshold": 0}
func main(%x: fp16[1,4]) -> (%y) {
  %w = const() {dtype="fp16", shape=[4,4], value=[0,1,2,3,3,2,1,0,0,0,1,1,2,2,3,3]} : fp16[4,4]
  %y = linear(x=%x, weight=%w) : fp16[1,4]
  return %y
}
\`\`\`
After:
\`\`\`
func main(%x: fp16[1,4]) -> (%y) {
  %w.lut = const() {dtype="fp16", shape=[1,1,16,1], weight="w.lut"} : fp16[1,1,16,1]
  %w.indices = const() {dtype="uint4", shape=[4,4], weight="w.indices"} : uint4[4,4]
  %w = lut_dequantize(lut=%w.lut, indices=%w.indices) : fp16[4,4]
  %y = linear(x=%x, weight=%w) : fp16[1,4]
  return %y
}
\`\`\``,
  options: {
    nbits: { kind: 'int', default: 4, min: 1, max: 8, doc: 'Index bits: 1, 2, 3, 4, 6 or 8.' },
    mode: { kind: 'enum', values: ['kmeans', 'uniform'], default: 'kmeans', doc: 'How table entries are chosen.' },
    granularity: { kind: 'enum', values: ['per_tensor', 'per_grouped_channel'], default: 'per_tensor', doc: 'One table per weight, or per group of output channels.' },
    groupSize: { kind: 'int', default: 32, min: 1, doc: 'Output channels per table (per_grouped_channel).' },
    channelAxis: { kind: 'int', default: -1, min: -1, doc: 'Axis of the channel groups; -1 follows the consumers.' },
    weightThreshold: { kind: 'int', default: 2048, min: 0, doc: 'Weights with at most this many elements stay dense.' },
    opTypes: { kind: 'strings', default: [...DEFAULT_WEIGHT_CONSUMERS], doc: 'Consumer op kinds whose constants are palettized; empty = any.' },
    rules: { kind: 'strings', default: [], doc: 'Per-weight rules: `op:KIND ...`, `name:GLOB ...` with KEY=VALUE settings or `skip`.' },
  },
  run(program, ctx) {
    const o = ctx.options;
    const summary = palettizeProgram(program, palettizeRulesFromOptions(o), { opTypes: o.opTypes, note: (m) => ctx.note(m) });
    ctx.note(`palettized ${summary.compressed} constant(s), ${summary.elements} elements; ${summary.skipped.length} left dense`);
  },
});
