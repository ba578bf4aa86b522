/**
 * The `--report` tables: the statistics of each function before and after the passes
 * (computed by @fastvlm/compiler), as text.
 * @module
 */
import type { FunctionReport, FunctionStats } from '@fastvlm/compiler';
import { formatBytes, formatTable } from './format.js';

function share(s: FunctionStats): string {
  return s.fp16Share === null ? '-' : s.fp16Share.toFixed(3);
}

function largest(s: FunctionStats): string {
  return s.largestIntermediate ? `${formatBytes(s.largestIntermediate.bytes)} ${s.largestIntermediate.type}` : '-';
}

/** The report tables: one row per function, then op counts by kind (before -> after). */
export function formatReport(reports: readonly FunctionReport[]): string {
  const summary = formatTable(
    ['function', 'ops before', 'ops after', 'transposes', 'reshapes', 'max rank', 'largest intermediate', 'fp16 share'],
    reports.map((r) => [
      `${r.part}/${r.function}`,
      String(r.before.ops),
      String(r.after.ops),
      `${r.before.transposes} -> ${r.after.transposes}`,
      `${r.before.reshapes} -> ${r.after.reshapes}`,
      `${r.before.highestRank} -> ${r.after.highestRank}`,
      largest(r.after),
      share(r.after),
    ]),
  );
  const kinds = [...new Set(reports.flatMap((r) => [...Object.keys(r.before.opCounts), ...Object.keys(r.after.opCounts)]))].sort();
  const byKind = formatTable(
    ['op', ...reports.map((r) => `${r.part}/${r.function}`)],
    kinds.map((k) => [
      k,
      ...reports.map((r) => {
        const b = r.before.opCounts[k] ?? 0;
        const a = r.after.opCounts[k] ?? 0;
        return b === a ? String(a) : `${b} -> ${a}`;
      }),
    ]),
  );
  return `${summary}\nOp counts by type (before -> after the passes):\n${byKind}`;
}
