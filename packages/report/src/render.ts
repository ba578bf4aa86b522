/**
 * One self-contained HTML file of a {@link ReportPage}: the page's data as embedded JSON, its CSS,
 * the chart library (Apache ECharts, read from node_modules and inlined) and the page's script.
 * No network request, no font to fetch; the same data gives the same bytes.
 * @module
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ReportPage } from './page-data.js';
import { pageMain } from './page-script.js';
import { PAGE_CSS } from './styles.js';

let echartsSource: string | undefined;

/** The minified ECharts build, once per process. */
export function chartLibrarySource(): string {
  if (echartsSource === undefined) {
    const req = createRequire(import.meta.url);
    echartsSource = readFileSync(req.resolve('echarts/dist/echarts.min.js'), 'utf8');
  }
  return echartsSource;
}

/** Text safe inside a `<script>` element (no `</script`, no `<!--`). */
function scriptSafe(s: string): string {
  return s.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

/** The HTML page of `page`. */
export function renderReportHtml(page: ReportPage): string {
  // JSON with every '<' escaped cannot end its script element.
  const json = JSON.stringify(page).replace(/</g, '\\u003c');
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(page.title)}</title>`,
    `<style>${PAGE_CSS}</style>`,
    '</head>',
    '<body>',
    '<div id="app"></div>',
    `<script type="application/json" id="report-data">${json}</script>`,
    `<script>${scriptSafe(chartLibrarySource())}</script>`,
    // Helpers a compiler may have referenced in the function's source (esbuild's keepNames).
    `<script>var __name = function (f) { return f; };\n(${scriptSafe(pageMain.toString())})();</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
