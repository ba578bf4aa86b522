/**
 * Preset pipelines.
 * @module
 */

/** A preset: pass names with their options, in order. */
export interface PresetDefinition {
  readonly summary: string;
  readonly steps: readonly (readonly [name: string, options: Readonly<Record<string, unknown>>])[];
}

// Reshape and transpose cancellation enable each other (a reshape pair that vanishes makes
// two transposes adjacent, and the other way round), so reshapes are cancelled on both sides.
const CLEANUP: PresetDefinition['steps'] = [
  ['fold-constants', {}],
  ['remove-noops', {}],
  ['cancel-reshapes', {}],
  ['cancel-transposes', {}],
  ['cancel-reshapes', {}],
  ['eliminate-common-subexpressions', {}],
  ['eliminate-dead-code', {}],
];

/**
 * The preset pipelines.
 *
 * `ane` runs, in order:
 * 1. cleanups (fold, no-ops, CSE, DCE) so the fusion patterns see canonical IR;
 * 2. fusions (batch norm and bias into convs, GELU, SiLU, layer norm) while the graph still has
 *    its author's shape, before layout changes reorder it;
 * 3. `chunk-attention` (per-head attention in the transpose-free matmul form: q, k and v per head
 *    as [1, 1, D, S], scores k^T q; -1e4 masks, query chunks above 2 MiB of scores per head),
 *    then `linear-to-conv` and
 *    `split-wide-ops` (the LM head becomes several convs), then `rms-norm-for-ane`;
 * 4. transpose/reshape cancellation and `assign-layout` (target 'ane'), which converts whole
 *    regions to (B, C, 1, S) so only boundary transposes stay, then `fold-layout-chains` (an
 *    attention head split, transpose/reshape/transpose/reshape, becomes one reshape or one
 *    transpose), `sink-transposes` (the KV-cache transposes end at the cache outputs) and the
 *    cleanups again;
 * 5. `to-fp16` (fp32 I/O kept) and a last fold and DCE (pruning weights nothing uses).
 */
export const PRESETS = {
  cleanup: {
    summary: 'Canonicalizing cleanups: fold constants, remove no-ops, cancel transposes and reshapes, CSE, DCE.',
    steps: CLEANUP,
  },
  ane: {
    summary: 'Everything for the Apple Neural Engine: cleanups, fusions, per-head attention, 1x1 convs, ANE layout, fp16.',
    steps: [
      ...CLEANUP,
      ['fuse-batchnorm-into-conv', {}],
      ['fuse-conv-bias', {}],
      ['fuse-gelu', {}],
      ['fuse-silu', {}],
      ['fuse-layer-norm', {}],
      ['eliminate-dead-code', {}],
      // One head's scores of a 1024-token FastViTHD stage fit 2 MiB in fp16: longer ones are chunked.
      ['chunk-attention', { maxScoreBytes: 2 * 1024 * 1024, scores: 'matmul' }],
      ['linear-to-conv', {}],
      ['split-wide-ops', {}],
      ['rms-norm-for-ane', {}],
      ['cancel-reshapes', {}],
      ['cancel-transposes', {}],
      ['cancel-reshapes', {}],
      ['assign-layout', { target: 'ane' }],
      // Head splits are transpose/reshape chains once the layout is assigned.
      ['fold-layout-chains', {}],
      // The KV-cache transposes move down to the cache outputs (through pad, expand_dims, concat).
      ['sink-transposes', {}],
      ...CLEANUP,
      ['to-fp16', { keepIO: true }],
      ['fold-constants', {}],
      ['eliminate-dead-code', { pruneWeights: true }],
    ],
  },
} as const satisfies Readonly<Record<string, PresetDefinition>>;

/** The name of a preset. */
export type PresetName = keyof typeof PRESETS;
