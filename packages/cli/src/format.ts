/**
 * Number and table formatting for the CLI's human-readable output.
 * @module
 */

/** `1234567` -> `1,234,567`. */
export function groupDigits(n: number): string {
  const s = String(Math.trunc(Math.abs(n)));
  const g = s.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return n < 0 ? `-${g}` : g;
}

/** Bytes in decimal units: `512 B`, `12.3 kB`, `1.26 GB`. */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = -1;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ${units[u]}`;
}

/** A count in millions: `122.71 M`. */
export function formatMillions(n: number): string {
  return `${(n / 1e6).toFixed(2)} M`;
}

/** Milliseconds as `850 ms` or `12.4 s`. */
export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** Column alignment of {@link formatTable}. */
export type Align = 'left' | 'right';

/**
 * A plain-text table: a header row, a rule, then rows; columns separated by two spaces.
 * `align` gives each column's alignment (default: left for the first, right for the rest).
 */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[], align?: readonly Align[]): string {
  const n = header.length;
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const al = (i: number): Align => align?.[i] ?? (i === 0 ? 'left' : 'right');
  const line = (cells: readonly string[]): string =>
    Array.from({ length: n }, (_, i) => {
      const c = cells[i] ?? '';
      return al(i) === 'left' ? c.padEnd(widths[i]!) : c.padStart(widths[i]!);
    })
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n') + '\n';
}
