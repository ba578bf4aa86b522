/**
 * The result of the ANE analysis: plain, JSON-serialisable data (no classes, no maps), in the
 * shape `fastvlm analyze --json` prints. Keys are snake_case as in that format. Times are in
 * milliseconds, sizes in bytes.
 * @module
 */
import type { Severity } from './rules.js';

/** Where an op runs: a compute unit, or `const` for ops evaluated once when the model loads. */
export type Placement = 'ane' | 'gpu' | 'cpu' | 'const';

/** A compute unit. */
export type ComputeUnit = Exclude<Placement, 'const'>;

/** One broken rule. */
export interface Finding {
  /** Rule id of the catalogue (docs/ane-rules.md). */
  readonly rule: string;
  readonly severity: Severity;
  /** Function name, or null for program-level findings. */
  readonly function: string | null;
  /** The op, named by its first output value (null for program-level findings). */
  readonly op: string | null;
  /** The op kind, or null. */
  readonly kind: string | null;
  /** The offending value, when one is. */
  readonly value: string | null;
  /** `input types -> output types`, e.g. `fp16[1,64,56,56], fp16[64,1,3,3] -> fp16[1,64,56,56]`. */
  readonly shapes: string;
  readonly message: string;
  /** The pass that fixes it, when one does. */
  readonly fix: string | null;
}

/** One op of a function. Constant ops (`const` itself) are not listed; ops computed from constants only are, with placement `const`. */
export interface OpReport {
  /** The op's first output value name, unique in its function. */
  readonly name: string;
  readonly kind: string;
  /** Name scope from the value name (`model.layers.3.self_attn`), `''` at the top. */
  readonly scope: string;
  /** Cost class, e.g. `conv.depthwise.7x7`, `conv.pointwise`, `matmul`, `softmax`, `layout`. */
  readonly cost_class: string;
  readonly unit: Placement;
  /** The rule that moved it off the ANE, or null. */
  readonly fallback_rule: string | null;
  /** Index into the function's `segment_list`, or null for constant ops. */
  readonly segment: number | null;
  /** The op (by name) whose ANE pipeline this elementwise op runs in, without a per-op overhead; null when it runs on its own. */
  readonly fused_into: string | null;
  /** Output types, e.g. `fp16[1,64,56,56]`. */
  readonly output: string;
  /** Multiply-accumulates (convs, matmuls) or element operations (vector ops). */
  readonly macs: number;
  /** Activation bytes read and written: on the ANE with the last axis padded to 64 bytes, on the GPU or CPU unpadded. */
  readonly activation_bytes: number;
  /** Weight bytes streamed, at their stored (compressed) size. */
  readonly weight_bytes: number;
  readonly compute_ms: number;
  readonly memory_ms: number;
  readonly overhead_ms: number;
  /** max(compute, memory) + overhead. */
  readonly latency_ms: number;
  /** What dominates the op's time. */
  readonly bound: 'compute' | 'memory' | 'overhead' | 'none';
}

/** A run of ops Core ML would execute on one compute unit. */
export interface SegmentReport {
  readonly index: number;
  readonly unit: ComputeUnit;
  readonly ops: number;
  /** Sum of the segment's op latencies. */
  readonly latency_ms: number;
  /** Bytes of values entering the segment from other segments. */
  readonly input_bytes: number;
  /** Bytes of values leaving the segment for other segments. */
  readonly output_bytes: number;
}

/** The analysis of one function. */
export interface FunctionReport {
  /** Modeled latency of one prediction: dispatch + ops + segment transfers. */
  readonly latency_ms: number;
  /** Share of the modeled op and transfer time spent on the ANE. */
  readonly ane_fraction: number;
  /** Share of the executed ops placed on the ANE. */
  readonly ane_op_fraction: number;
  /** Number of segments. */
  readonly segments: number;
  readonly segment_list: readonly SegmentReport[];
  /** Bytes crossing segment boundaries. */
  readonly boundary_bytes: number;
  /** Modeled time of those transfers (including one dispatch per extra segment). */
  readonly transfer_ms: number;
  /** The fixed per-prediction cost. */
  readonly dispatch_ms: number;
  /** Total MACs of convs and matmuls. */
  readonly macs: number;
  /** Weight bytes streamed per prediction (a weight read by two ops counts twice). */
  readonly weight_bytes: number;
  /** Activation bytes moved per prediction. */
  readonly activation_bytes: number;
  /** True when the ANE ops' weights fit the on-chip working set, so they stay resident and stream at the on-chip speed. */
  readonly weights_resident: boolean;
  /**
   * The device's roofline for this function: max(MACs at the fp16 peak, weight bytes at the DRAM
   * bandwidth), no overheads. latency_ms / roofline_ms says how far from the bound it runs.
   */
  readonly roofline_ms: number;
  readonly findings: readonly Finding[];
  readonly ops: readonly OpReport[];
}

/** The whole analysis. */
export interface AnalysisReport {
  /** Device profile id, e.g. `a17pro`. */
  readonly device: string;
  readonly device_name: string;
  /** Sum of the functions' latencies (one prediction of each); see {@link LATENCY_TOTAL_NOTE}. */
  readonly latency_ms: number;
  readonly functions: Readonly<Record<string, FunctionReport>>;
  /** Program-level findings (weight file size). */
  readonly findings: readonly Finding[];
  /** Bytes of the weights, as the weight file would hold them. */
  readonly weight_file_bytes: number;
}

/** What `latency_ms` of an {@link AnalysisReport} sums. */
export const LATENCY_TOTAL_NOTE =
  'latency_ms is the sum of one prediction of every function; for a multifunction model (embed, prefill, decode) that is not one workload, so read the per-function figures';
