/**
 * The page's CSS: system fonts (no web fonts: the page is offline), a layout that reflows from a
 * desktop width down to a phone's, colors per compute unit and per severity.
 * @module
 */
export const PAGE_CSS = `
:root { --ane: #2e7d32; --gpu: #ef6c00; --cpu: #c62828; --muted: #5f6368; --line: #e0e0e0; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: #202124; background: #fafafa; }
#app { max-width: 1200px; margin: 0 auto; padding: 16px; }
h1 { font-size: 22px; margin: 0 0 4px; word-break: break-word; }
h2 { font-size: 16px; margin: 24px 0 6px; }
.meta { margin: 0; } .note, .hint { color: var(--muted); margin: 2px 0 8px; font-size: 12px; }
.tabs { display: flex; flex-wrap: wrap; gap: 4px; margin: 16px 0 0; border-bottom: 1px solid var(--line); }
.tabs button { font: inherit; padding: 6px 12px; border: 1px solid var(--line); border-bottom: none; border-radius: 6px 6px 0 0; background: #eee; cursor: pointer; }
.tabs button[aria-selected="true"] { background: #fff; font-weight: 600; }
.panel { background: #fff; border: 1px solid var(--line); border-top: none; padding: 12px 16px 20px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 8px; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; }
.card .label { color: var(--muted); font-size: 12px; } .card .value { font-size: 18px; font-weight: 600; }
.chart { width: 100%; border: 1px solid var(--line); border-radius: 6px; }
.chart.tree { height: 420px; } .chart.strip { height: 90px; } .chart.bars { height: 220px; margin-top: 8px; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #f5f5f5; font-weight: 600; white-space: nowrap; }
td.name, td.shapes { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; word-break: break-all; }
td.unit.ane { color: var(--ane); } td.unit.gpu { color: var(--gpu); } td.unit.cpu { color: var(--cpu); }
.filters { display: flex; flex-wrap: wrap; gap: 12px; margin-bottom: 6px; }
.sev.error { color: #b71c1c; } .sev.warning { color: #e65100; } .sev.info { color: #1565c0; }
.filters .n { display: inline-block; min-width: 1.6em; padding: 0 4px; border-radius: 8px; background: #eee; text-align: center; color: #202124; }
.ok { color: var(--ane); }
details summary { cursor: pointer; color: #1565c0; } details ul { margin: 4px 0; padding-left: 18px; max-height: 240px; overflow-y: auto; } details code { font-size: 12px; word-break: break-all; }
.program { margin-top: 16px; background: #fff; border: 1px solid var(--line); padding: 4px 16px 16px; }
@media (max-width: 600px) {
  #app { padding: 8px; } .panel { padding: 8px; } .chart.tree { height: 320px; }
  .card .value { font-size: 16px; } th, td { padding: 3px 4px; }
}
`;
