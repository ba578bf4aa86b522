/**
 * The text form of an {@link AnalysisReport}: per function the modeled latency, ANE residency,
 * segments, the costliest name scopes and ops, and the findings grouped by rule with their fixes.
 * @module
 */
import { ANE_RULES } from './rules.js';
import { type AnalysisReport, type Finding, type FunctionReport, LATENCY_TOTAL_NOTE } from './types.js';

/** Options of {@link formatAnalysis}. */
export interface FormatAnalysisOptions {
  /** Rows of the costliest scopes and ops per function (default 10). */
  readonly top?: number;
  /** Example findings shown per rule (default 1). */
  readonly examples?: number;
}

/** A scope with its layer indices replaced by `*`, so repeated blocks add up (`model.layers.*.mlp`). */
export function scopePattern(scope: string): string {
  return scope.replace(/(^|\.)\d+(?=\.|$)/g, '$1*');
}

function fmtMs(v: number): string {
  if (v === 0) return '0';
  if (v >= 100) return v.toFixed(1);
  if (v >= 1) return v.toFixed(2);
  if (v >= 0.01) return v.toFixed(3);
  return v.toExponential(1);
}

function fmtBytes(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} kB`;
  return `${n} B`;
}

function fmtCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function fmtMacs(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} GMAC`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MMAC`;
  return `${fmtCount(n)} MAC`;
}

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

function table(header: readonly string[], rows: readonly (readonly string[])[], right: readonly boolean[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (right[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

const RULE_ORDER = new Map(ANE_RULES.map((r, i) => [r.id as string, i]));
const SEVERITY_RANK: Readonly<Record<Finding['severity'], number>> = { error: 0, warning: 1, info: 2 };

/** Findings grouped by rule, errors first, each with its count and first examples. */
export function groupFindings(findings: readonly Finding[]): { rule: string; severity: Finding['severity']; fix: string | null; count: number; examples: Finding[] }[] {
  const by = new Map<string, Finding[]>();
  for (const f of findings) {
    const list = by.get(f.rule);
    if (list) list.push(f);
    else by.set(f.rule, [f]);
  }
  return [...by.entries()]
    .map(([rule, list]) => ({ rule, severity: list[0]!.severity, fix: list[0]!.fix, count: list.length, examples: list }))
    .sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || (RULE_ORDER.get(a.rule) ?? 99) - (RULE_ORDER.get(b.rule) ?? 99));
}

function findingLines(findings: readonly Finding[], examples: number, indent: string): string[] {
  const lines: string[] = [];
  for (const g of groupFindings(findings)) {
    const fix = g.fix ? ` (fix: ${g.fix})` : '';
    lines.push(`${indent}${g.severity.padEnd(7)} ${g.rule} x${fmtCount(g.count)}${fix}`);
    for (const f of g.examples.slice(0, examples)) {
      lines.push(`${indent}          ${f.op !== null ? `${f.op} (${f.kind}): ` : ''}${f.message}`);
    }
  }
  return lines;
}

/** The text block of one function. */
export function formatFunction(name: string, r: FunctionReport, opts: FormatAnalysisOptions = {}): string[] {
  const top = opts.top ?? 10;
  const executed = r.ops.filter((o) => o.unit !== 'const');
  const onAne = executed.filter((o) => o.unit === 'ane').length;
  const lines = [
    `function ${name}: ${fmtMs(r.latency_ms)} ms, ANE ${pct(r.ane_fraction)} of the time (${fmtCount(onAne)} of ${fmtCount(executed.length)} ops), ${r.segments} segment${r.segments === 1 ? '' : 's'}`,
    `  ${fmtMacs(r.macs)}, weights ${fmtBytes(r.weight_bytes)}, activations ${fmtBytes(r.activation_bytes)}; roofline ${fmtMs(r.roofline_ms)} ms${r.roofline_ms > 0 ? ` (modeled x${(r.latency_ms / r.roofline_ms).toFixed(2)})` : ''}; dispatch ${fmtMs(r.dispatch_ms)} ms`,
  ];
  if (r.segments > 1) {
    lines.push(`  segments (${fmtBytes(r.boundary_bytes)} across boundaries, ${fmtMs(r.transfer_ms)} ms of transfers and dispatches):`);
    const shown = r.segment_list.slice(0, top);
    for (const s of shown) lines.push(`    #${s.index} ${s.unit.padEnd(3)} ${fmtCount(s.ops).padStart(6)} ops  ${fmtMs(s.latency_ms).padStart(8)} ms  in ${fmtBytes(s.input_bytes)}, out ${fmtBytes(s.output_bytes)}`);
    if (r.segment_list.length > shown.length) lines.push(`    ... and ${r.segment_list.length - shown.length} more`);
  }
  if (executed.length && top > 0) {
    const scopes = new Map<string, { ms: number; ops: number }>();
    for (const o of executed) {
      const k = scopePattern(o.scope) || '(top level)';
      const e = scopes.get(k) ?? { ms: 0, ops: 0 };
      e.ms += o.latency_ms;
      e.ops += 1;
      scopes.set(k, e);
    }
    const opsMs = executed.reduce((s, o) => s + o.latency_ms, 0) || 1;
    const rows = [...scopes.entries()].sort((a, b) => b[1].ms - a[1].ms || (a[0] < b[0] ? -1 : 1)).slice(0, top);
    lines.push('  costliest scopes (layer indices as *):');
    lines.push(...table(['ms', 'share', 'ops', 'scope'], rows.map(([k, e]) => [fmtMs(e.ms), pct(e.ms / opsMs), fmtCount(e.ops), k]), [true, true, true, false]).map((l) => `    ${l}`));
    const costly = [...executed].sort((a, b) => b.latency_ms - a.latency_ms || (a.name < b.name ? -1 : 1)).slice(0, top);
    lines.push('  costliest ops:');
    lines.push(
      ...table(
        ['ms', 'unit', 'bound', 'class', 'op', 'output'],
        costly.map((o) => [fmtMs(o.latency_ms), o.unit + (o.fallback_rule ? ` (${o.fallback_rule})` : ''), o.bound, o.cost_class, o.name, o.output]),
        [true, false, false, false, false, false],
      ).map((l) => `    ${l}`),
    );
  }
  if (r.findings.length) {
    const n = (s: Finding['severity']): number => r.findings.filter((f) => f.severity === s).length;
    lines.push(`  findings: ${n('error')} errors, ${n('warning')} warnings, ${n('info')} info`);
    lines.push(...findingLines(r.findings, opts.examples ?? 1, '    '));
  } else lines.push('  findings: none');
  return lines;
}

/** The whole report as text. */
export function formatAnalysis(report: AnalysisReport, opts: FormatAnalysisOptions = {}): string {
  const names = Object.keys(report.functions);
  const lines = [`ANE analysis on ${report.device} (${report.device_name}): ${fmtMs(report.latency_ms)} ms${names.length > 1 ? ` in total over ${names.length} functions` : ''}`];
  if (names.length > 1) lines.push(`  (${LATENCY_TOTAL_NOTE})`);
  lines.push(`  weights ${fmtBytes(report.weight_file_bytes)}`);
  if (report.findings.length) lines.push(...findingLines(report.findings, opts.examples ?? 1, '  '));
  for (const name of names) lines.push('', ...formatFunction(name, report.functions[name]!, opts));
  return `${lines.join('\n')}\n`;
}
