/**
 * Applies a compression setting with the weight-compression passes of @fastvlm/ane-passes:
 * `lut4` / `lut6` palettize (exact k-means, groups of 8 output channels from ios18, one table
 * per tensor before), `int8` quantizes per output channel (symmetric), `int4-block` per block
 * of 32 input channels (ios18). Weights of at most 2048 elements stay dense, as in
 * coremltools. The scheme of each weight is decided here, by name, and handed to the passes
 * as one explicit rule per weight.
 * @module
 */
import { type Program, type Value, isFastVlmError } from '@fastvlm/graph';
import type { Target } from '@fastvlm/emit-coreml';
import { type CompressionRules, type PaletteJob, type PalettizeSettings, type QuantizeSettings, palettizeProgram, precomputePalettes, quantizeProgram } from '@fastvlm/ane-passes';
import { type CompressMode, type CompressSpec, modeFor } from './compress-spec.js';
import { optionError } from './errors.js';

/** Weights with at most this many elements stay dense (coremltools' default threshold). */
export const COMPRESS_WEIGHT_THRESHOLD = 2048;
/** Output channels per look-up table (ANEMLL's choice for the Neural Engine). */
export const LUT_GROUP_SIZE = 8;
/** Input channels per block of `int4-block` (coremltools' default block size). */
export const INT4_BLOCK_SIZE = 32;

/**
 * Consumers whose constant inputs are compressed: the matrix ops, and `gather` so that the
 * embedding table (the largest weight of the LLM) follows the spec too.
 */
export const COMPRESS_CONSUMERS: readonly string[] = ['linear', 'conv2d', 'matmul', 'einsum', 'gather'];

/** The oldest target each scheme can be emitted for. */
const MIN_TARGET: Readonly<Record<Exclude<CompressMode, 'none'>, Target>> = { lut4: 'ios16', lut6: 'ios16', int8: 'ios16', 'int4-block': 'ios18' };
const ORDER: readonly Target[] = ['ios15', 'ios16', 'ios17', 'ios18'];

/** The modes a spec uses (default and rules), `none` left out. */
function modesOf(spec: CompressSpec): Exclude<CompressMode, 'none'>[] {
  const all = [spec.default, ...spec.rules.map((r) => r.mode)].filter((m): m is Exclude<CompressMode, 'none'> => m !== undefined && m !== 'none');
  return [...new Set(all)];
}

/** Throws an `E_COMPILE_OPTION` error (option `compress`) when `target` cannot hold a scheme of `spec`. */
export function checkCompressTarget(spec: CompressSpec, target: Target): void {
  for (const m of modesOf(spec)) {
    const min = MIN_TARGET[m];
    if (ORDER.indexOf(target) < ORDER.indexOf(min)) {
      throw optionError('compress', `${m} needs target ${min} or newer (compressed weights are constexpr ops of ${min === 'ios18' ? 'iOS18' : 'iOS16'}); the target is ${target}`, { found: m, target });
    }
  }
}

function paletteSettings(mode: CompressMode, target: Target): PalettizeSettings | null {
  if (mode !== 'lut4' && mode !== 'lut6') return null;
  // Grouped tables are the iOS18 form of constexpr_lut_to_dense; iOS16/17 take one table.
  const grouped = target === 'ios18';
  return {
    nbits: mode === 'lut4' ? 4 : 6,
    mode: 'kmeans',
    granularity: grouped ? 'per_grouped_channel' : 'per_tensor',
    groupSize: LUT_GROUP_SIZE,
    channelAxis: -1,
    weightThreshold: COMPRESS_WEIGHT_THRESHOLD,
  };
}

function quantSettings(mode: CompressMode): QuantizeSettings | null {
  if (mode === 'int8') return { dtype: 'int8', mode: 'linear_symmetric', granularity: 'per_channel', blockSize: INT4_BLOCK_SIZE, weightThreshold: COMPRESS_WEIGHT_THRESHOLD };
  if (mode === 'int4-block') return { dtype: 'int4', mode: 'linear_symmetric', granularity: 'per_block', blockSize: INT4_BLOCK_SIZE, weightThreshold: COMPRESS_WEIGHT_THRESHOLD };
  return null;
}

/**
 * The channel axes a compression may split in a weight consumed by `kind`: output and input
 * channels are axes 0 and 1 for linear, conv2d, gather and others, the last two for matmul.
 */
function splitAxes(kind: string, rank: number): number[] {
  return kind === 'matmul' ? [rank - 2, rank - 1] : [0, 1];
}

/** One scheme decided per store weight (explicit rules, so no glob is ever ambiguous). */
interface WeightPlan {
  readonly palette: CompressionRules<PalettizeSettings>;
  readonly quant: CompressionRules<QuantizeSettings>;
  /** Weights whose scheme had to change, with why. */
  readonly adjusted: readonly string[];
}

function escapeGlob(name: string): string {
  // Store names are identifiers with dots; `*` and `?` would be wildcards.
  return name.replace(/[*?]/g, '?');
}

/**
 * Decides each weight's settings: the spec's scheme for its name ({@link modeFor}), with one
 * table per tensor where groups of 8 do not divide its channels and left dense for
 * `int4-block` where blocks of 32 do not divide them (depthwise convs have one input channel).
 */
function planWeights(program: Program, spec: CompressSpec, target: Target): WeightPlan {
  const shapes = new Map<string, readonly number[]>();
  const axes = new Map<string, Set<number>>();
  for (const fn of program.functions.values()) {
    const weightOf = new Map<Value, string>();
    for (const op of fn.body.ops) {
      const w = op.kind === 'const' ? op.attrs['weight'] : undefined;
      if (typeof w !== 'string') {
        for (const v of op.inputValues()) {
          const name = weightOf.get(v);
          if (name === undefined) continue;
          const set = axes.get(name) ?? new Set<number>();
          for (const a of splitAxes(op.kind, v.type.shape.length)) set.add(a);
          axes.set(name, set);
        }
        continue;
      }
      weightOf.set(op.outputs[0]!, w);
      if (!shapes.has(w)) shapes.set(w, op.outputs[0]!.type.shape as readonly number[]);
    }
  }
  const divides = (name: string, shape: readonly number[], k: number): boolean => [...(axes.get(name) ?? [])].every((a) => (shape[a] ?? k) % k === 0);
  const palette: { pattern: string; settings: PalettizeSettings | null }[] = [];
  const quant: { pattern: string; settings: QuantizeSettings | null }[] = [];
  const adjusted: string[] = [];
  for (const [name, shape] of [...shapes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const mode = modeFor(spec, name) ?? 'none';
    let ps = paletteSettings(mode, target);
    let qs = quantSettings(mode);
    // Small weights stay dense anyway: only larger ones are worth a remark.
    const large = shape.reduce((a, b) => a * b, 1) > COMPRESS_WEIGHT_THRESHOLD;
    if (ps && ps.granularity === 'per_grouped_channel' && !divides(name, shape, LUT_GROUP_SIZE)) {
      ps = { ...ps, granularity: 'per_tensor' };
      if (large) adjusted.push(`${name} [${shape.join(',')}]: one table (groups of ${LUT_GROUP_SIZE} do not divide its channels)`);
    }
    if (qs && qs.granularity === 'per_block' && !divides(name, shape, INT4_BLOCK_SIZE)) {
      qs = null;
      if (large) adjusted.push(`${name} [${shape.join(',')}]: dense (blocks of ${INT4_BLOCK_SIZE} do not divide its channels)`);
    }
    palette.push({ pattern: escapeGlob(name), settings: ps });
    quant.push({ pattern: escapeGlob(name), settings: qs });
  }
  return { palette: { global: null, opTypes: {}, names: palette }, quant: { global: null, opTypes: {}, names: quant }, adjusted };
}

/** What {@link applyCompression} did. */
export interface CompressionReport {
  /** Constants replaced by compressed ones. */
  readonly compressed: number;
  /** Their elements. */
  readonly elements: number;
  /** Candidates left dense other than by rule or size, with the reason. */
  readonly skipped: readonly { readonly name: string; readonly reason: string }[];
  /** Weights whose scheme was adapted to their shape. */
  readonly adjusted: readonly string[];
  /** The palettizations to compute (see {@link precomputeCompression}). */
  readonly paletteJobs: readonly PaletteJob[];
}

/**
 * Compresses the weights of `program` in place as `spec` says: palettization first, then
 * linear quantization of the weights the spec gives an integer scheme. Values are computed
 * lazily, while the package is written.
 */
export function applyCompression(program: Program, spec: CompressSpec, target: Target, note: (message: string) => void = () => {}): CompressionReport {
  checkCompressTarget(spec, target);
  const plan = planWeights(program, spec, target);
  const p = palettizeProgram(program, plan.palette, { note, opTypes: COMPRESS_CONSUMERS });
  const q = quantizeProgram(program, plan.quant, { form: target === 'ios18' ? 'blockwise' : 'affine', note, opTypes: COMPRESS_CONSUMERS });
  // Skips by rule (the weight belongs to the other pass or to `none`) and by size are expected.
  const expected = (reason: string): boolean => reason === 'a rule says skip' || /<= weightThreshold/.test(reason);
  const skipped = [...p.skipped, ...q.skipped].filter((s) => !expected(s.reason));
  return { compressed: p.compressed + q.compressed, elements: p.elements + q.elements, skipped, adjusted: plan.adjusted, paletteJobs: p.jobs };
}

/**
 * Computes the look-up tables of a compression on worker threads (the k-means is the costly
 * part), so that writing the package only derives indices. When no worker can start, the
 * tables are computed while the package is written instead; other errors (a NaN weight) pass
 * through. Returns false in the fallback case.
 */
export async function precomputeCompression(report: CompressionReport): Promise<boolean> {
  if (report.paletteJobs.length === 0) return true;
  try {
    await precomputePalettes(report.paletteJobs);
    return true;
  } catch (e) {
    if (isFastVlmError(e, 'E_COMPRESS_WORKER')) return false;
    throw e;
  }
}
