/**
 * The ANE rule catalogue, as data: every rule of the published guidance (Apple's ANE articles
 * and authoring rules, hollance/neural-engine, ANEMLL, coremltools issues) that can be checked on
 * the IR without running the model. `docs/ane-rules.md` is generated from this table
 * (`npm run codegen`).
 * @module
 */

/** How bad a finding is: `error` moves the op off the Neural Engine (or fails the model), `warning` costs speed or memory, `info` is worth knowing. */
export type Severity = 'error' | 'warning' | 'info';

/** Where an op runs when an `error` rule takes it off the Neural Engine. */
export type FallbackUnit = 'gpu' | 'cpu';

/** What a rule is checked on. */
export type RuleScope = 'op' | 'function' | 'program';

/** One rule of the catalogue. */
export interface AneRule {
  /** Stable id, kebab-case, e.g. `fp32-compute`. */
  readonly id: string;
  readonly severity: Severity;
  readonly scope: RuleScope;
  /** One line: what the rule says and why it matters. */
  readonly meaning: string;
  /** Where the rule comes from. */
  readonly source: string;
  /** The pass of this package that fixes it, when one does. */
  readonly fix?: string;
  /** For op rules of severity `error`: the compute unit the op falls back to. */
  readonly fallback?: FallbackUnit;
}

const NOTES = 'the team\'s reference notes (ane-rules.md)';

/**
 * The catalogue, in the order placement consults it: the first `error` rule an op breaks is the
 * one its fallback is attributed to.
 */
export const ANE_RULES = [
  {
    id: 'dynamic-shape',
    severity: 'error',
    scope: 'op',
    fallback: 'cpu',
    meaning: 'A tensor with a symbolic dimension: the ANE needs fully static shapes (one function per shape); states with flexible inputs ran on the CPU. Modeled with each symbol taken as 1.',
    source: `Apple Core AI authoring rule 3; coremltools issue 2600; ${NOTES}`,
  },
  {
    id: 'fp32-compute',
    severity: 'error',
    scope: 'op',
    fallback: 'gpu',
    meaning: 'The op computes in fp32 (an fp32 input, output or literal): the ANE computes fp16, int8 and int16 only, so Core ML runs it on the GPU or CPU. Casts at the function inputs and outputs are exempt.',
    source: `Apple, "Deploying Transformers on the Apple Neural Engine" (2022); Core AI rule 2; ${NOTES}`,
    fix: 'to-fp16',
  },
  {
    id: 'int32-compute',
    severity: 'error',
    scope: 'op',
    fallback: 'cpu',
    meaning: 'The op computes on int32 tensors (index arithmetic, masks built from positions): not an ANE type, so it runs on the CPU.',
    source: `Core AI rule 2 (fp16, int8, int16 only); ${NOTES}`,
  },
  {
    id: 'no-ane-path',
    severity: 'error',
    scope: 'op',
    fallback: 'cpu',
    meaning: 'An op kind without an ANE implementation (gather and embedding lookups, the scatter family, reduce_prod, recurrent cells, custom layers): it runs on the CPU. Keep embedding tables in their own model or function.',
    source: `hollance/neural-engine ("unsupported layers"); ANEMLL; Core AI rule 14; ${NOTES}`,
  },
  {
    id: 'rank-above-5',
    severity: 'error',
    scope: 'op',
    fallback: 'gpu',
    meaning: 'A tensor of rank > 5: the ANE works on at most 5-D (N, D, C, H, W) tensors. Window partitions reshape to 5-D instead of 6-D.',
    source: `Core AI rule 1; ONNX Runtime's Core ML provider refuses rank > 5; ${NOTES}`,
  },
  {
    id: 'axis-cap',
    severity: 'error',
    scope: 'op',
    fallback: 'gpu',
    meaning: 'A dimension outside the ANE compiler\'s caps in the rank-5 view (rank 5: N D C H W, rank 4: N C H W, rank 3: C H W, rank 2: H W, rank 1: W): N and C at most 65536, D, H and W at most 16384. Split wide layers (an LM head over a large vocabulary).',
    source: `ANE compiler error text "N[1-65536] D[1-16384] C[1-65536] H[1-16384] W[1-16384]" (iOS 17, 26); ANEMLL splits the LM head; ${NOTES}`,
    fix: 'split-wide-ops',
  },
  {
    id: 'conv-kernel-wide',
    severity: 'error',
    scope: 'op',
    fallback: 'gpu',
    meaning: 'A conv kernel wider or taller than 13: beyond what third-party sweeps found the ANE to run; decompose large kernels.',
    source: `third-party ANE sweeps; Core AI rule 11; ${NOTES}`,
  },
  {
    id: 'conv-dilated',
    severity: 'error',
    scope: 'op',
    fallback: 'gpu',
    meaning: 'A dilated conv: listed among the layers that fall off the ANE.',
    source: `hollance/neural-engine; ${NOTES}`,
  },
  {
    id: 'conv-stride-factor',
    severity: 'error',
    scope: 'op',
    fallback: 'gpu',
    meaning: 'A conv stride that does not factor into 2s and 3s.',
    source: `Core AI rule 10; ${NOTES}`,
  },
  {
    id: 'palettized-conv-stride',
    severity: 'error',
    scope: 'op',
    fallback: 'gpu',
    meaning: 'A conv with a palettized (look-up table) kernel and a stride > 2: palettized kernels need stride <= 2.',
    source: `Core AI rule 10; ${NOTES}`,
  },
  {
    id: 'pool-kernel-wide',
    severity: 'error',
    scope: 'op',
    fallback: 'gpu',
    meaning: 'A pooling window wider or taller than 13: listed among the layers that fall off the ANE.',
    source: `hollance/neural-engine; ${NOTES}`,
  },
  {
    id: 'pool-stride',
    severity: 'error',
    scope: 'op',
    fallback: 'gpu',
    meaning: 'A pooling stride > 2: listed among the layers that fall off the ANE (Apple\'s 2026 rules also allow stride 4, which is not flagged).',
    source: `hollance/neural-engine; Core AI rule 12; ${NOTES}`,
  },
  {
    id: 'state-last-axis',
    severity: 'error',
    scope: 'op',
    fallback: 'cpu',
    meaning: 'A state (KV cache) whose last axis is not a multiple of 32 fp16 elements (64 bytes): such states failed on the ANE (width 270 failed, 256 worked).',
    source: 'coremltools issue 2631; the team\'s reference notes (coreml-state-chunking.md)',
  },
  {
    id: 'rank-5',
    severity: 'warning',
    scope: 'op',
    meaning: 'A 5-D tensor: allowed, but 4-D (B, C, 1, S) is the layout the ANE prefers; keep tensors 4-D end to end.',
    source: `Core AI rules 1 and 6; Apple 2022; ${NOTES}`,
    fix: 'assign-layout',
  },
  {
    id: 'last-axis-short',
    severity: 'warning',
    scope: 'op',
    meaning: 'A last axis shorter than 64 bytes (32 fp16 elements): it is padded to 64 bytes, so the tensor costs its padding factor (32x for a singleton fp16 axis) in memory and bandwidth. Put a long axis last.',
    source: `Apple 2022 (last axis padded to 64 bytes); Core AI rule 5; ${NOTES}`,
    fix: 'assign-layout',
  },
  {
    id: 'last-axis-unaligned',
    severity: 'warning',
    scope: 'op',
    meaning: 'A last axis of 64 bytes or more that is not a multiple of 64 bytes: padded up to the next multiple, costing its padding factor.',
    source: `Apple 2022; Core AI rule 5; ${NOTES}`,
  },
  {
    id: 'transpose-last-axis',
    severity: 'warning',
    scope: 'op',
    meaning: 'A transpose that moves the last (contiguous, padded) axis: a full relayout in memory, the costliest data movement on the ANE. Keep the sequence on the last axis.',
    source: `Apple 2022; Core AI rule 7; ${NOTES}`,
    fix: 'assign-layout',
  },
  {
    id: 'einsum-not-native',
    severity: 'warning',
    scope: 'op',
    meaning: 'An einsum outside Core ML\'s native family (rank 4 nchw,nwhu->nchu, rank 3 chw,whr->chr, either operand order): it becomes transposes, reshapes and a matmul.',
    source: `coremltools einsum op definition; ${NOTES}`,
  },
  {
    id: 'softmax-off-channel',
    severity: 'warning',
    scope: 'op',
    meaning: 'A softmax that is not over the channel axis (axis 1 of a 4-D tensor, the C axis of the rank-5 view): Apple\'s rules put the reduced axis on C.',
    source: `Apple 2022 (softmax over axis 1 of the per-head scores); Core AI rule 9; ${NOTES}`,
  },
  {
    id: 'norm-off-channel',
    severity: 'warning',
    scope: 'op',
    meaning: 'A normalization that does not normalize the channel axis alone (LayerNorm over axis 1 of (B, C, 1, S)).',
    source: `Apple 2022 (LayerNormANE); Core AI rule 6; ${NOTES}`,
    fix: 'assign-layout',
  },
  {
    id: 'decomposed-norm',
    severity: 'warning',
    scope: 'op',
    meaning: 'A normalization written as reductions (rms_norm, which Core ML has no op for, or a mean -> rsqrt chain) instead of one layer_norm: several passes over the tensor.',
    source: `Core AI rule 8; ANEMLL (RMSNorm as layer_norm over [x, -x]); ${NOTES}`,
    fix: 'rms-norm-for-ane',
  },
  {
    id: 'neg-inf-mask',
    severity: 'warning',
    scope: 'op',
    meaning: 'A constant holding -inf (an attention mask): fp16 arithmetic on it gives NaN where a row is fully masked; fill masks with -1e4 (Apple 2022) or -40000 (Apple 2026).',
    source: `Apple 2022; Core AI rule 16; ${NOTES}`,
    fix: 'chunk-attention',
  },
  {
    id: 'unknown-op',
    severity: 'warning',
    scope: 'op',
    meaning: 'An op kind the cost model has no class for: modeled as an elementwise op of one element operation per output element and assumed to run on the ANE.',
    source: 'this analysis (new op kinds appear as the IR grows)',
  },
  {
    id: 'live-operand-large',
    severity: 'info',
    scope: 'op',
    meaning: 'The op\'s largest operand exceeds about 2 MB: the ANE tiles it and streams it from DRAM instead of keeping it on chip.',
    source: `third-party ANE sweeps; ${NOTES}`,
    fix: 'chunk-attention',
  },
  {
    id: 'weight-file-large',
    severity: 'warning',
    scope: 'program',
    meaning: 'The weights exceed 1 GB: over the per-file size iOS deployments keep to (ANEMLL sizes chunks at 950 MB); split the model into chunks.',
    source: 'ANEMLL; apple/ml-stable-diffusion; the team\'s reference notes (coreml-state-chunking.md)',
  },
  {
    id: 'weight-file-too-large',
    severity: 'error',
    scope: 'program',
    meaning: 'The weights exceed 2 GiB: the ANE compiler refuses the weight file ("exceeds the maximum (2147483648 bytes)"), so nothing of the model runs on the ANE until it is split. Latencies are modeled as if it were split.',
    source: 'coremltools PR 2593 and issue 1807; the team\'s reference notes (coreml-state-chunking.md)',
  },
] as const satisfies readonly AneRule[];

/** The id of a rule of {@link ANE_RULES}. */
export type AneRuleId = (typeof ANE_RULES)[number]['id'];

const BY_ID: ReadonlyMap<string, AneRule> = new Map(ANE_RULES.map((r) => [r.id, r]));

/** The rule of that id (every id of {@link AneRuleId} exists). */
export function aneRule(id: AneRuleId): AneRule {
  return BY_ID.get(id)!;
}

/** The catalogue page `docs/ane-rules.md` (generated by `npm run codegen`). */
export function renderRulesDoc(rules: readonly AneRule[] = ANE_RULES): string {
  const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const lines = [
    '<!-- GENERATED by scripts/codegen.ts from packages/ane-passes/src/analysis/rules.ts. Do not edit: run `npm run codegen`. -->',
    '# ANE rules',
    '',
    'The rules `fastvlm analyze` checks (`analyzeProgram` in `@fastvlm/ane-passes`). Apple publishes no list of',
    'ANE-supported ops, so each rule is a guideline from public material, encoded for a checker and a cost model,',
    'not a guarantee. `error` rules move an op off the Neural Engine (to the unit in the fallback column) or fail',
    'the model; `warning` rules cost speed or memory; `info` rules are worth knowing. A finding names the function,',
    'the op, its value, the shapes and the rule. How placement and the cost model use them:',
    '[ane-analysis.md](ane-analysis.md).',
    '',
    `${rules.length} rules (${rules.filter((r) => r.severity === 'error').length} errors, ${rules.filter((r) => r.severity === 'warning').length} warnings, ${rules.filter((r) => r.severity === 'info').length} info).`,
    '',
    '| rule | severity | checked on | fallback | meaning | fixed by | source |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const r of rules) {
    const fix = r.fix !== undefined ? `\`${r.fix}\`` : '';
    lines.push(`| \`${r.id}\` | ${r.severity} | ${r.scope} | ${r.fallback ?? ''} | ${cell(r.meaning)} | ${fix} | ${cell(r.source)} |`);
  }
  lines.push('');
  return lines.join('\n');
}
