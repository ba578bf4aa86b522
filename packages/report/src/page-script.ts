/// <reference lib="dom" />
/**
 * The page's own script, run in the browser: it reads the embedded report data and draws the
 * page (tabs per function, summary cards, the time-by-scope treemap, the placement strip, the
 * tables with their filters). Written as a function so it is type-checked; the renderer inlines
 * its source. It must not refer to anything outside itself but the global `echarts`.
 * @module
 */
import type { ReportPage } from './page-data.js';

/** The ECharts calls the page uses (the library is inlined before this script). */
interface EChartsInstance {
  setOption(option: unknown): void;
  resize(): void;
  dispatchAction(action: Record<string, unknown>): void;
}
interface EChartsGlobal {
  init(el: HTMLElement, theme: null, opts: { renderer: 'svg' | 'canvas' }): EChartsInstance;
}

/** Draws the page from the JSON in `#report-data`. */
export function pageMain(): void {
  const echarts = (globalThis as unknown as { echarts: EChartsGlobal }).echarts;
  const data = JSON.parse(document.getElementById('report-data')!.textContent!) as ReportPage;
  const UNIT_COLOR: Record<string, string> = { ane: '#2e7d32', gpu: '#ef6c00', cpu: '#c62828', const: '#9e9e9e' };
  const charts: EChartsInstance[] = [];

  const el = <K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...kids: (Node | string)[]): HTMLElementTagNameMap[K] => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    for (const k of kids) e.append(k);
    return e;
  };
  const ms = (v: number): string => (v >= 100 ? v.toFixed(1) : v >= 1 ? v.toFixed(3) : v.toPrecision(3)) + ' ms';
  const pct = (v: number): string => `${(v * 100).toFixed(1)} %`;
  const bytes = (v: number): string => (v >= 1e9 ? `${(v / 1e9).toFixed(2)} GB` : v >= 1e6 ? `${(v / 1e6).toFixed(2)} MB` : v >= 1e3 ? `${(v / 1e3).toFixed(2)} kB` : `${v} B`);
  const count = (v: number): string => v.toLocaleString('en-US');
  /** A number shown on the page, with its raw value and where it comes from in the data. */
  const num = (path: string, v: number, fmt: (x: number) => string): HTMLElement => el('span', { 'data-field': path, 'data-value': String(v) }, fmt(v));

  const root = document.getElementById('app')!;
  const head = el('header', {}, el('h1', {}, data.title));
  const cal = data.calibration;
  head.append(
    el(
      'p',
      { class: 'meta' },
      'Device ',
      el('strong', { 'data-field': 'device' }, `${data.device_name} (${data.device})`),
      ' · modeled total ',
      num('latency_ms', data.latency_ms, ms),
      ' · cost model ',
      cal.fitted && cal.median_error !== null && cal.worst_error !== null
        ? el('span', { id: 'calibration' }, 'calibrated on ', String(cal.rows ?? '?'), ' published rows: median error ', num('calibration.median_error', cal.median_error, pct), ', worst ', num('calibration.worst_error', cal.worst_error, pct), cal.rank_correlation !== null ? ', rank correlation ' : '', cal.rank_correlation !== null ? num('calibration.rank_correlation', cal.rank_correlation, (x) => x.toFixed(3)) : '')
        : el('span', { id: 'calibration' }, `not calibrated (${cal.method})`),
    ),
    cal.device_rows.length
      ? el(
          'p',
          { class: 'meta', id: 'device-rows' },
          `Calibration rows on this device: `,
          ...cal.device_rows.flatMap((r, j) => [
            j ? '; ' : '',
            el('strong', {}, r.id),
            ` ${r.label}: measured `,
            num(`calibration.device_rows.${j}.measured_ms`, r.measured_ms, ms),
            ', modeled ',
            num(`calibration.device_rows.${j}.modeled_ms`, r.modeled_ms, ms),
            ' (error ',
            num(`calibration.device_rows.${j}.error`, r.error, pct),
            ')',
          ]),
        )
      : el('p', { class: 'meta', id: 'device-rows' }, 'No calibration row was measured on this device: its figures are the profile\'s hardware numbers with the parameters fitted on other devices.'),
    el('p', { class: 'note' }, data.latency_note),
  );
  root.append(head);

  const tabs = el('nav', { class: 'tabs', role: 'tablist' });
  const panels = el('div', { class: 'panels' });
  root.append(tabs, panels);

  data.functions.forEach((f, i) => {
    const p = `functions.${i}`;
    const tab = el('button', { role: 'tab', 'data-tab': f.name, 'aria-selected': i === 0 ? 'true' : 'false' }, f.name);
    tabs.append(tab);
    const panel = el('section', { class: 'panel', 'data-function': f.name, ...(i === 0 ? {} : { hidden: '' }) });
    panels.append(panel);
    const cards = el('div', { class: 'cards' });
    const card = (label: string, value: HTMLElement): void => {
      cards.append(el('div', { class: 'card' }, el('div', { class: 'label' }, label), el('div', { class: 'value' }, value)));
    };
    card('modeled latency', num(`${p}.latency_ms`, f.latency_ms, ms));
    card('time on the ANE', num(`${p}.ane_fraction`, f.ane_fraction, pct));
    card('ops on the ANE', num(`${p}.ane_op_fraction`, f.ane_op_fraction, pct));
    card('segments', num(`${p}.segments`, f.segments, count));
    // No roofline (nothing on the ANE) reads as n/a, not as 0 ms.
    card('roofline', f.roofline_ms > 0 ? num(`${p}.roofline_ms`, f.roofline_ms, ms) : el('span', { class: 'na' }, 'n/a'));
    card('latency / roofline', f.roofline_ms > 0 ? num(`${p}.roofline_ratio`, f.roofline_ratio, (x) => `${x.toFixed(1)}x`) : el('span', { class: 'na' }, 'n/a'));
    card('bytes between segments', num(`${p}.boundary_bytes`, f.boundary_bytes, bytes));
    panel.append(cards);

    panel.append(el('h2', {}, 'Modeled time by name scope'), el('p', { class: 'hint' }, 'Click a block to open it down to its ops; the path above returns.'));
    const tree = el('div', { class: 'chart tree', 'data-chart': 'scopes' });
    panel.append(tree);

    panel.append(el('h2', {}, 'Placement'), el('p', { class: 'hint' }, 'Segments Core ML would run, in order, by modeled time; the bytes crossing each boundary in the labels.'));
    const strip = el('div', { class: 'chart strip', 'data-chart': 'placement' });
    panel.append(strip);
    const segTable = el('table', { class: 'segments' }, el('thead', {}, el('tr', {}, ...['segment', 'unit', 'ops', 'time', 'bytes in', 'bytes out'].map((h) => el('th', {}, h)))));
    const segBody = el('tbody');
    f.segment_list.forEach((s, j) => {
      segBody.append(el('tr', {}, el('td', {}, String(s.index)), el('td', { class: `unit ${s.unit}` }, s.unit), el('td', {}, num(`${p}.segment_list.${j}.ops`, s.ops, count)), el('td', {}, num(`${p}.segment_list.${j}.latency_ms`, s.latency_ms, ms)), el('td', {}, num(`${p}.segment_list.${j}.input_bytes`, s.input_bytes, bytes)), el('td', {}, num(`${p}.segment_list.${j}.output_bytes`, s.output_bytes, bytes))));
    });
    segTable.append(segBody);
    panel.append(el('div', { class: 'scroll' }, segTable));

    panel.append(el('h2', {}, 'Costliest ops'));
    const opTable = el('table', { class: 'ops' }, el('thead', {}, el('tr', {}, ...['op', 'kind', 'cost class', 'unit', 'bound', 'time'].map((h) => el('th', {}, h)))));
    const opBody = el('tbody');
    f.top_ops.forEach((o, j) => {
      opBody.append(el('tr', {}, el('td', { class: 'name' }, o.name), el('td', {}, o.kind), el('td', {}, o.cost_class), el('td', { class: `unit ${o.unit}` }, o.unit), el('td', {}, o.bound), el('td', {}, num(`${p}.top_ops.${j}.latency_ms`, o.latency_ms, ms))));
    });
    opTable.append(opBody);
    panel.append(el('div', { class: 'scroll' }, opTable));

    panel.append(el('h2', {}, 'Findings'));
    const filters = el('div', { class: 'filters' });
    const sevs = ['error', 'warning', 'info'] as const;
    for (const sev of sevs) {
      const n = f.findings.filter((x) => x.severity === sev).length;
      const box = el('input', { type: 'checkbox', checked: '', 'data-severity': sev });
      filters.append(el('label', { class: `sev ${sev}` }, box, ` ${sev} `, el('span', { class: 'n', 'data-count': sev }, String(n))));
    }
    panel.append(filters);
    // One row per rule: a model breaks a rule at many ops; the ops are listed inside the row.
    const fTable = el('table', { class: 'findings' }, el('thead', {}, el('tr', {}, ...['severity', 'rule', 'findings', 'what', 'fix', 'where'].map((h) => el('th', {}, h)))));
    const fBody = el('tbody');
    const groups = new Map<string, typeof f.findings[number][]>();
    for (const x of f.findings) groups.set(`${x.severity} ${x.rule}`, [...(groups.get(`${x.severity} ${x.rule}`) ?? []), x]);
    const order = (sev: string): number => sevs.indexOf(sev as (typeof sevs)[number]);
    for (const list of [...groups.values()].sort((a, b) => order(a[0]!.severity) - order(b[0]!.severity) || b.length - a.length)) {
      const x = list[0]!;
      const shown = list.slice(0, 50);
      const where = el('details', {}, el('summary', {}, `${list.length} op${list.length > 1 ? 's' : ''}`), el('ul', {}, ...shown.map((y) => el('li', {}, el('code', {}, y.op ?? '-'), ` ${y.shapes}`)), ...(list.length > shown.length ? [el('li', {}, `and ${list.length - shown.length} more`)] : [])));
      fBody.append(el('tr', { 'data-severity': x.severity, 'data-rule': x.rule }, el('td', { class: `sev ${x.severity}` }, x.severity), el('td', { class: 'name' }, x.rule), el('td', { 'data-rule-count': String(list.length) }, String(list.length)), el('td', {}, x.message), el('td', {}, x.fix ?? '-'), el('td', {}, where)));
    }
    fTable.append(fBody);
    panel.append(f.findings.length ? el('div', { class: 'scroll' }, fTable) : el('p', { class: 'ok' }, 'No rule is broken.'));
    filters.addEventListener('change', () => {
      const on = new Set([...filters.querySelectorAll<HTMLInputElement>('input')].filter((b) => b.checked).map((b) => b.dataset['severity']));
      for (const row of fBody.querySelectorAll<HTMLTableRowElement>('tr')) row.hidden = !on.has(row.dataset['severity']);
    });

    let passChart: HTMLElement | undefined;
    if (f.passes) {
      panel.append(el('h2', {}, 'Before and after the passes'));
      const t = el('table', { class: 'passes' }, el('thead', {}, el('tr', {}, el('th', {}, ''), el('th', {}, 'before'), el('th', {}, 'after'))));
      const b = el('tbody');
      for (const [k, fmt] of [['ops', count], ['transposes', count], ['reshapes', count], ['latency_ms', ms]] as const) {
        const bv = f.passes.before[k];
        const av = f.passes.after[k];
        b.append(el('tr', {}, el('td', {}, k === 'latency_ms' ? 'modeled latency' : k), el('td', {}, bv === null ? '-' : num(`${p}.passes.before.${k}`, bv, fmt)), el('td', {}, av === null ? '-' : num(`${p}.passes.after.${k}`, av, fmt))));
      }
      t.append(b);
      passChart = el('div', { class: 'chart bars', 'data-chart': 'passes' });
      panel.append(el('div', { class: 'scroll' }, t), passChart);
    }

    if (f.measured) {
      const m = f.measured;
      panel.append(el('h2', {}, `Measured on the device (${m.compute_units})`));
      panel.append(
        el('p', {}, 'median ', num(`${p}.measured.measured_median_ms`, m.measured_median_ms, ms), ', p90 ', num(`${p}.measured.measured_p90_ms`, m.measured_p90_ms, ms), ' against a modeled ', num(`${p}.measured.modeled_ms`, m.modeled_ms, ms), ' (measured / modeled ', num(`${p}.measured.ratio`, m.ratio, (x) => x.toFixed(2)), '); placement agrees on ', num(`${p}.measured.placement_agree`, m.placement_agree, count), ' of ', num(`${p}.measured.placement_matched`, m.placement_matched, count), ' ops.'),
        el('p', { class: 'hint' }, 'Compute-plan costs are relative estimates, not latencies: compare the shares.'),
      );
      const st = el('table', { class: 'shares' }, el('thead', {}, el('tr', {}, ...['op', 'kind', 'compute-plan share', 'modeled share'].map((h) => el('th', {}, h)))));
      const sb = el('tbody');
      m.shares.forEach((s, j) => sb.append(el('tr', {}, el('td', { class: 'name' }, s.op), el('td', {}, s.kind), el('td', {}, num(`${p}.measured.shares.${j}.plan_share`, s.plan_share, pct)), el('td', {}, num(`${p}.measured.shares.${j}.modeled_share`, s.modeled_share, pct)))));
      st.append(sb);
      panel.append(el('div', { class: 'scroll' }, st));
    }

    // Charts are drawn when their panel is first shown (a hidden element has no size).
    let drawn = false;
    const draw = (): void => {
      if (drawn) return;
      drawn = true;
      type Node = ReportPage['functions'][number]['scope_tree'];
      const idOf = (n: Node): string => (n.op ? `o:${n.path}` : `s:${n.path}`);
      const toTree = (n: Node): unknown => ({
        id: idOf(n),
        name: n.name,
        value: n.latency_ms,
        ...(n.op ? { itemStyle: { color: UNIT_COLOR[n.op.unit] }, kind: n.op.kind, unit: n.op.unit, costClass: n.op.cost_class } : {}),
        ...(n.children ? { children: n.children.map(toTree) } : {}),
      });
      const t = echarts.init(tree, null, { renderer: 'svg' });
      t.setOption({
        animation: false,
        tooltip: { formatter: (info: { data: { name: string; value: number; kind?: string; unit?: string } }) => `${info.data.name}<br>${ms(info.data.value)}${info.data.kind ? `<br>${info.data.kind} on ${info.data.unit}` : ''}` },
        series: [
          {
            type: 'treemap',
            name: f.name,
            data: f.scope_tree.children ? f.scope_tree.children.map(toTree) : [toTree(f.scope_tree)],
            // Every level drawn: with leafDepth 2, ECharts 6.1 drew the view opened at a deep
            // node (FastViTHD's 'network') empty once the zoom ended. Blocks under 64 px² are left out.
            visibleMin: 64,
            roam: false,
            nodeClick: 'zoomToNode',
            breadcrumb: { show: true, bottom: 4 },
            label: { show: true, formatter: (i: { name: string; value: number }) => `${i.name}\n${ms(i.value)}`, overflow: 'truncate' },
            upperLabel: { show: true, height: 18, formatter: (i: { name: string; value: number }) => `${i.name} · ${ms(i.value)}`, overflow: 'truncate' },
            levels: [{ itemStyle: { borderColor: '#fff', borderWidth: 2, gapWidth: 2 } }, { itemStyle: { gapWidth: 1 }, colorSaturation: [0.35, 0.6] }, { colorSaturation: [0.3, 0.5] }],
          },
        ],
      });
      // Open the view where the time divides: past scopes that hold most of their parent's time.
      let focus: Node | undefined;
      for (let cur: Node = f.scope_tree; ; ) {
        const big = (cur.children ?? []).find((c) => c.children && c.latency_ms > 0.8 * cur.latency_ms);
        if (!big) break;
        focus = big;
        cur = big;
      }
      if (focus) t.dispatchAction({ type: 'treemapRootToNode', seriesIndex: 0, targetNodeId: idOf(focus) });
      const s = echarts.init(strip, null, { renderer: 'svg' });
      s.setOption({
        animation: false,
        grid: { left: 8, right: 8, top: 8, bottom: 24, containLabel: true },
        tooltip: {},
        xAxis: { type: 'value', name: 'ms', axisLabel: { formatter: (v: number) => String(v) } },
        yAxis: { type: 'category', data: [f.name], show: false },
        series: f.segment_list.map((seg) => ({
          type: 'bar',
          stack: 'segments',
          name: `segment ${seg.index}: ${seg.unit}`,
          data: [seg.latency_ms],
          itemStyle: { color: UNIT_COLOR[seg.unit] },
          label: { show: true, formatter: `${seg.unit}${seg.input_bytes ? ` · in ${bytes(seg.input_bytes)}` : ''}`, color: '#fff' },
        })),
      });
      charts.push(t, s);
      if (passChart && f.passes) {
        const pc = echarts.init(passChart, null, { renderer: 'svg' });
        const keys = ['ops', 'transposes', 'reshapes'] as const;
        pc.setOption({
          animation: false,
          legend: { data: ['before', 'after'], top: 4 },
          tooltip: {},
          grid: { left: 8, right: 8, top: 36, bottom: 8, containLabel: true },
          xAxis: { type: 'category', data: keys as unknown as string[] },
          // Counts spanning decades on a log axis (where a zero has no bar), small ones on a linear one.
          yAxis: Math.max(...keys.map((k) => Math.max(f.passes!.before[k], f.passes!.after[k]))) > 50 ? { type: 'log', logBase: 10, min: 1 } : { type: 'value', minInterval: 1 },
          series: ['before', 'after'].map((side) => ({ type: 'bar', name: side, data: keys.map((k) => f.passes![side as 'before' | 'after'][k] || null) })),
        });
        charts.push(pc);
      }
    };
    tab.addEventListener('click', () => {
      for (const b of tabs.querySelectorAll('button')) b.setAttribute('aria-selected', b === tab ? 'true' : 'false');
      for (const q of panels.querySelectorAll<HTMLElement>('.panel')) q.hidden = q !== panel;
      draw();
    });
    if (i === 0) queueMicrotask(draw);
  });

  if (data.packages.length || data.program_findings.length) {
    const sec = el('section', { class: 'program' }, el('h2', {}, `Weights${data.compression ? ` (compression ${data.compression})` : ''}`));
    if (data.packages.length) {
      const t = el('table', { class: 'packages' }, el('thead', {}, el('tr', {}, ...['package', 'parameters', 'weight.bin', 'bits per weight'].map((h) => el('th', {}, h)))));
      const b = el('tbody');
      data.packages.forEach((k, j) => b.append(el('tr', {}, el('td', { class: 'name' }, k.package), el('td', {}, num(`packages.${j}.parameters`, k.parameters, count)), el('td', {}, num(`packages.${j}.weight_bytes`, k.weight_bytes, bytes)), el('td', {}, num(`packages.${j}.bits_per_weight`, k.bits_per_weight, (x) => x.toFixed(2))))));
      t.append(b);
      sec.append(el('div', { class: 'scroll' }, t));
    }
    for (const x of data.program_findings) sec.append(el('p', { class: `sev ${x.severity}` }, `${x.severity} ${x.rule}: ${x.message}${x.fix ? ` (fix: ${x.fix})` : ''}`));
    root.append(sec);
  }
  window.addEventListener('resize', () => {
    for (const c of charts) c.resize();
  });
  // After the first panel's charts (queued above): the page is complete.
  queueMicrotask(() => {
    document.body.dataset['ready'] = 'true';
  });
}
