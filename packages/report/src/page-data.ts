/**
 * What the report page shows, as one JSON-serialisable object built from the analysis (and,
 * when there are, the compile's before/after statistics, its packages and an on-device
 * measurement). The page embeds this object and draws everything from it, so a test can compare
 * every number on the page with the data.
 * @module
 */
import type { AnalysisReport, Finding, FunctionReport, OpReport, SegmentReport } from '@fastvlm/ane-passes';

/** A node of the time-by-scope tree: a name scope (`model.layers.3.self_attn`) or an op. */
export interface ScopeNode {
  /** The last part of the scope, or the op's name for a leaf. */
  readonly name: string;
  /** The full scope (`model.layers.3`), or the op's name for a leaf. */
  readonly path: string;
  /** Modeled time of everything below. */
  readonly latency_ms: number;
  /** Ops below. */
  readonly ops: number;
  /** Leaves only: the op's kind, compute unit, cost class and what bounds it. */
  readonly op?: { readonly kind: string; readonly unit: string; readonly cost_class: string; readonly bound: string };
  readonly children?: readonly ScopeNode[];
}

/** Op counts and modeled latency of a function before or after the passes. */
export interface PassSide {
  readonly ops: number;
  readonly transposes: number;
  readonly reshapes: number;
  /** Modeled latency, when the analysis of that side is known. */
  readonly latency_ms: number | null;
}

/** A function's on-device measurement joined with the model (see joinMeasurement). */
export interface PageMeasurement {
  readonly compute_units: string;
  readonly measured_median_ms: number;
  readonly measured_p90_ms: number;
  readonly modeled_ms: number;
  /** measured / modeled. */
  readonly ratio: number;
  /** Ops found in both the compute plan and the analysis, and how many agree on the unit. */
  readonly placement_matched: number;
  readonly placement_agree: number;
  readonly disagreements: readonly { readonly op: string; readonly modeled: string; readonly measured: string }[];
  /** Spearman rank correlation of the plan's and the model's shares over the matched ops (null below 3 ops). */
  readonly share_rank_correlation: number | null;
  /** The costliest ops by compute-plan share, with the model's share of time. */
  readonly shares: readonly { readonly op: string; readonly kind: string; readonly plan_share: number; readonly modeled_share: number }[];
}

/** One function's part of the page. */
export interface PageFunction {
  readonly name: string;
  readonly latency_ms: number;
  readonly ane_fraction: number;
  readonly ane_op_fraction: number;
  readonly segments: number;
  readonly roofline_ms: number;
  /** latency_ms / roofline_ms: how far the function runs from the device's bound (0 without a bound). */
  readonly roofline_ratio: number;
  readonly boundary_bytes: number;
  readonly transfer_ms: number;
  readonly dispatch_ms: number;
  readonly weight_bytes: number;
  readonly macs: number;
  readonly scope_tree: ScopeNode;
  readonly segment_list: readonly SegmentReport[];
  readonly findings: readonly Finding[];
  /** The costliest ops, most first. */
  readonly top_ops: readonly OpReport[];
  readonly passes: { readonly before: PassSide; readonly after: PassSide } | null;
  readonly measured: PageMeasurement | null;
}

/** A written package's weights. */
export interface PagePackage {
  readonly package: string;
  readonly parameters: number;
  readonly weight_bytes: number;
  /** weight.bin bits per parameter (16 for fp16; less when compressed). */
  readonly bits_per_weight: number;
}

/** A calibration row: a published (or the user's own) measurement and what the model gives. */
export interface PageCalibrationRow {
  readonly id: string;
  readonly label: string;
  readonly device: string;
  readonly measured_ms: number;
  readonly modeled_ms: number;
  /** modeled / measured - 1. */
  readonly error: number;
}

/** The calibration of the cost model, as its parameter file records it. */
export interface PageCalibration {
  readonly fitted: boolean;
  /** How the parameters were fitted, as the file says. */
  readonly method: string;
  readonly rows: number | null;
  readonly median_error: number | null;
  readonly worst_error: number | null;
  readonly rank_correlation: number | null;
  /** The rows measured on the page's device (empty when the fit never saw that device). */
  readonly device_rows: readonly PageCalibrationRow[];
}

/** The whole page. */
export interface ReportPage {
  readonly title: string;
  readonly device: string;
  readonly device_name: string;
  readonly latency_ms: number;
  readonly latency_note: string;
  readonly calibration: PageCalibration;
  readonly functions: readonly PageFunction[];
  readonly program_findings: readonly Finding[];
  readonly weight_file_bytes: number;
  /** The compression setting, or null without one. */
  readonly compression: string | null;
  readonly packages: readonly PagePackage[];
}

/** Optional parts of the page besides the analysis. */
export interface PageInputs {
  readonly title: string;
  readonly analysis: AnalysisReport;
  /** What `latency_ms` sums (multifunction models). */
  readonly latencyNote: string;
  readonly calibration: PageCalibration;
  /** The analysis of the program before the passes, for the before/after latency. */
  readonly before?: AnalysisReport;
  /**
   * Per function, op counts before and after the passes (the compile report's statistics).
   * Without them, a function present in `before` counts the ops of the two analyses.
   */
  readonly passStats?: Readonly<Record<string, { readonly before: Omit<PassSide, 'latency_ms'>; readonly after: Omit<PassSide, 'latency_ms'> }>>;
  readonly compression?: string | null;
  readonly packages?: readonly PagePackage[];
  readonly measured?: Readonly<Record<string, PageMeasurement>>;
  /** Costliest ops listed per function (default 15). */
  readonly topOps?: number;
}

/** The time-by-scope tree of a function's ops: scopes split at dots, ops as leaves, costliest first. */
export function scopeTree(fn: string, ops: readonly OpReport[]): ScopeNode {
  interface Mutable {
    name: string;
    path: string;
    latency_ms: number;
    ops: number;
    children: Map<string, Mutable>;
    leaves: ScopeNode[];
  }
  const root: Mutable = { name: fn, path: '', latency_ms: 0, ops: 0, children: new Map(), leaves: [] };
  for (const op of ops) {
    if (op.unit === 'const') continue;
    let node = root;
    node.latency_ms += op.latency_ms;
    node.ops++;
    const parts = op.scope === '' ? [] : op.scope.split('.');
    parts.forEach((part, i) => {
      let next = node.children.get(part);
      if (!next) {
        next = { name: part, path: parts.slice(0, i + 1).join('.'), latency_ms: 0, ops: 0, children: new Map(), leaves: [] };
        node.children.set(part, next);
      }
      node = next;
      node.latency_ms += op.latency_ms;
      node.ops++;
    });
    node.leaves.push({ name: op.name, path: op.name, latency_ms: op.latency_ms, ops: 1, op: { kind: op.kind, unit: op.unit, cost_class: op.cost_class, bound: op.bound } });
  }
  const freeze = (m: Mutable): ScopeNode => {
    // A chain of single-child scopes (model -> layers) collapses into one node.
    let cur = m;
    let name = m.name;
    while (cur.leaves.length === 0 && cur.children.size === 1 && cur !== root) {
      const only = [...cur.children.values()][0]!;
      name = `${name}.${only.name}`;
      cur = only;
    }
    const kids = [...[...cur.children.values()].map(freeze), ...cur.leaves].sort((a, b) => b.latency_ms - a.latency_ms || (a.name < b.name ? -1 : 1));
    return { name: cur === root ? fn : name, path: cur.path, latency_ms: cur.latency_ms, ops: cur.ops, ...(kids.length ? { children: kids } : {}) };
  };
  return freeze(root);
}

/** Op, transpose and reshape counts of an analysed function (constants are not ops here). */
export function passSideOf(f: FunctionReport): Omit<PassSide, 'latency_ms'> {
  let ops = 0;
  let transposes = 0;
  let reshapes = 0;
  for (const o of f.ops) {
    if (o.kind === 'const') continue;
    ops++;
    if (o.kind === 'transpose') transposes++;
    if (o.kind === 'reshape') reshapes++;
  }
  return { ops, transposes, reshapes };
}

function pageFunction(name: string, f: FunctionReport, inputs: PageInputs): PageFunction {
  const before = inputs.before?.functions[name];
  const stats = inputs.passStats?.[name] ?? (before ? { before: passSideOf(before), after: passSideOf(f) } : undefined);
  return {
    name,
    latency_ms: f.latency_ms,
    ane_fraction: f.ane_fraction,
    ane_op_fraction: f.ane_op_fraction,
    segments: f.segments,
    roofline_ms: f.roofline_ms,
    roofline_ratio: f.roofline_ms > 0 ? f.latency_ms / f.roofline_ms : 0,
    boundary_bytes: f.boundary_bytes,
    transfer_ms: f.transfer_ms,
    dispatch_ms: f.dispatch_ms,
    weight_bytes: f.weight_bytes,
    macs: f.macs,
    scope_tree: scopeTree(name, f.ops),
    segment_list: f.segment_list,
    findings: f.findings,
    top_ops: [...f.ops].filter((o) => o.unit !== 'const').sort((a, b) => b.latency_ms - a.latency_ms || (a.name < b.name ? -1 : 1)).slice(0, inputs.topOps ?? 15),
    passes: stats ? { before: { ...stats.before, latency_ms: before?.latency_ms ?? null }, after: { ...stats.after, latency_ms: f.latency_ms } } : null,
    measured: inputs.measured?.[name] ?? null,
  };
}

/** The page of an analysis and what goes with it. */
export function reportPage(inputs: PageInputs): ReportPage {
  const a = inputs.analysis;
  return {
    title: inputs.title,
    device: a.device,
    device_name: a.device_name,
    latency_ms: a.latency_ms,
    latency_note: inputs.latencyNote,
    calibration: inputs.calibration,
    functions: Object.entries(a.functions).map(([n, f]) => pageFunction(n, f, inputs)),
    program_findings: a.findings,
    weight_file_bytes: a.weight_file_bytes,
    compression: inputs.compression ?? null,
    packages: inputs.packages ?? [],
  };
}
