/**
 * `fastvlm analyze TARGET`: the ANE analysis of an .mlpackage, a FastVLM preset or a zoo model
 * (rule findings with their fixes, compute-unit placement and segments, modeled latency on a
 * device profile). A thin shell over `analyze` of @fastvlm/compiler.
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FloatDType } from '@fastvlm/graph';
import { CONFIGS, MODEL_PARTS, type ModelPart, ZOO_NAMES, isZooModel, zooEntry } from '@fastvlm/models';
import { DEFAULT_TARGET, TARGETS, type Target } from '@fastvlm/emit-coreml';
import { DEFAULT_DEVICE, describeDevices, formatAnalysis } from '@fastvlm/ane-passes';
import { type CompileSource, type SourceAnalysis, PRESET_NAMES, analyze, parseCompressSpec, readCostModel } from '@fastvlm/compiler';
import type { CommandSpec, Flags } from '../args.js';
import { usageError } from '../errors.js';
import { MODEL_NAMES, asUsage, shapeFlags, usageOf } from './compile-spec.js';

/** The flags and help of `fastvlm analyze`. */
export const ANALYZE_SPEC: CommandSpec = {
  name: 'analyze',
  summary: 'Model a network on the Neural Engine: rule findings, placement, segments and latency.',
  usage: 'analyze TARGET [--device D] [--passes none|cleanup|ane] [--compress SPEC] [--json] [--top N] [--html FILE] [--measured RESULT.json] [options]',
  description: [
    `TARGET is an .mlpackage (ours or one coremltools wrote), a FastVLM preset (${MODEL_NAMES.join(', ')}) or a zoo model (${ZOO_NAMES.join(', ')}). Presets and zoo models are built in the DSL with synthetic weights, then run through --passes and --compress as compile would; a package is lifted back to the IR as it is.`,
    'For each function: the modeled latency of one prediction, the share of it on the Neural Engine, the segments Core ML would cut it into (and the bytes crossing them), the costliest name scopes and ops, and the findings of the ANE rules (docs/ane-rules.md) with the pass that fixes each. The model and its calibration: docs/ane-analysis.md.',
    'With --html FILE the analysis is also written as one self-contained HTML page (no network: open it anywhere): modeled time by name scope as a treemap you open from blocks down to ops, the placement strip, the findings with severity filters and their fixes, before/after the passes, the weights, the device and the cost model\'s calibration error.',
    'With --measured RESULT.json (tools/ane-bench/ane-bench.swift on a Mac, docs/on-device.md) a package\'s measurement is joined with its model: measured vs modeled latency, placement agreement op by op with MLComputePlan, and the compute plan\'s cost shares next to the modeled shares of time (compute-plan costs are relative estimates, not latencies: only the shares compare). The result must be of this package (its content hash).',
    'The total latency_ms sums one prediction of every function: for a multifunction model (embed, prefill, decode) read the per-function figures. --json prints one object {"device", "latency_ms", "functions": {NAME: {"latency_ms", "ane_fraction", "segments", "findings", "ops", ...}}}; with --top N its op lists keep the N costliest ops.',
  ].join('\n\n'),
  positionals: [{ name: 'TARGET', doc: 'An .mlpackage directory, a FastVLM preset or a zoo model name.' }],
  flags: [
    { name: 'device', kind: 'string', metavar: 'D', default: DEFAULT_DEVICE, doc: `Device profile (aliases in parentheses): ${describeDevices()}.` },
    { name: 'passes', kind: 'enum', values: ['none', ...PRESET_NAMES], default: 'none', doc: 'Pass pipeline run on presets and zoo models before the analysis (not on packages).' },
    { name: 'compress', kind: 'string', metavar: 'SPEC', doc: 'Weight compression as for compile (lut4, int8, ffn=lut4,lm_head=lut6...): compressed weights stream at their stored size.' },
    { name: 'precision', kind: 'enum', values: ['fp16', 'fp32'], default: 'fp16', doc: 'Presets and zoo models: build precision. fp32 ops fall back to the GPU.' },
    { name: 'target', kind: 'enum', values: TARGETS, default: DEFAULT_TARGET, doc: 'Deployment target the compression and I/O precision are decided for.' },
    { name: 'json', kind: 'bool', doc: 'Print the analysis as one JSON object.' },
    { name: 'html', kind: 'string', metavar: 'FILE', doc: 'Also write the analysis as one self-contained HTML page.' },
    { name: 'measured', kind: 'string', metavar: 'RESULT.json', doc: 'Packages only: an ane-bench result of this package, joined with the model (text, JSON and page).' },
    { name: 'cost-model', kind: 'string', metavar: 'FILE', doc: 'Cost-model parameter file (one fastvlm calibrate --measured wrote; default the committed fit).' },
    { name: 'top', kind: 'int', metavar: 'N', min: 0, default: '10', doc: 'Costliest scopes and ops shown per function (with --json: ops kept per function; default all).' },
    { name: 'parts', kind: 'list', values: MODEL_PARTS, default: MODEL_PARTS.join(','), doc: 'FastVLM presets: parts to analyze.' },
    { name: 'resolution', kind: 'int', metavar: 'N', doc: 'Image side: FastVLM presets (a multiple of 64) and zoo image models (a multiple of their stride).' },
    { name: 'context-length', kind: 'int', metavar: 'N', doc: 'KV-cache length: FastVLM presets and opt-1.3b.' },
    { name: 'prefill-length', kind: 'int', metavar: 'N', doc: 'FastVLM presets: tokens per prefill call.' },
    { name: 'sequence-length', kind: 'int', metavar: 'N', doc: 'Zoo text models: tokens.' },
  ],
  examples: [
    'fastvlm analyze fastvlm-0.5b --parts vision --passes ane --device m4',
    'fastvlm analyze fastvlm-7b --parts llm --compress lut4 --json',
    'fastvlm analyze distilbert --passes ane --top 5',
    'fastvlm analyze build/fastvlm-0.5b-vision.mlpackage --device iphone15pro',
    'fastvlm analyze fastvlm-0.5b --parts vision --passes ane --html vision.html',
    'fastvlm analyze build/fastvlm-0.5b-vision.mlpackage --device m3 --measured vision.bench.json --html vision.html',
  ],
};

const FASTVLM_ONLY = ['parts', 'prefill-length'] as const;
const SHAPE_FLAGS = ['parts', 'resolution', 'context-length', 'prefill-length', 'sequence-length', 'precision'] as const;

function isPackagePath(what: string): boolean {
  return what.endsWith('.mlpackage') || what.endsWith('.mlpackage/') || what.includes('/') || what.includes(path.sep) || fs.existsSync(what);
}

/** The source TARGET and the flags name. */
export function analyzeSource(what: string, f: Flags): CompileSource {
  const measured = f.str('measured');
  if (measured !== undefined && !isPackagePath(what)) throw usageError('--measured', `joins a measurement with the analysis of the package measured; '${what}' is not a package (analyze the .mlpackage you ran ane-bench on)`, { found: measured });
  const isPreset = Object.prototype.hasOwnProperty.call(CONFIGS, what) && !fs.existsSync(what);
  if (isPreset) {
    if (f.has('sequence-length')) throw usageError('--sequence-length', `applies to zoo text models, not to the FastVLM preset '${what}' (use --prefill-length)`);
    const { resolution, contextLength, prefillLength } = shapeFlags(what, f);
    return {
      kind: 'fastvlm',
      model: what,
      parts: (f.list('parts') ?? MODEL_PARTS) as readonly ModelPart[],
      ...(resolution !== undefined ? { resolution } : {}),
      ...(contextLength !== undefined ? { contextLength } : {}),
      ...(prefillLength !== undefined ? { prefillLength } : {}),
    };
  }
  if (isZooModel(what) && !fs.existsSync(what)) {
    const given = FASTVLM_ONLY.find((n) => f.has(n));
    if (given) throw usageError(`--${given}`, `applies to FastVLM presets, not to the zoo model '${what}'`);
    const input = zooEntry(what).input;
    const wrong = input.kind === 'image' ? ['context-length', 'sequence-length'] : input.kind === 'tokens' ? ['resolution', 'context-length'] : ['resolution', 'sequence-length'];
    const bad = wrong.find((n) => f.has(n));
    if (bad) throw usageError(`--${bad}`, `does not apply to ${what} (it takes ${input.kind === 'image' ? '--resolution' : input.kind === 'tokens' ? '--sequence-length' : '--context-length'})`);
    return {
      kind: 'zoo',
      model: what,
      ...(f.int('resolution') !== undefined ? { resolution: f.int('resolution')! } : {}),
      ...(f.int('sequence-length') !== undefined ? { sequenceLength: f.int('sequence-length')! } : {}),
      ...(f.int('context-length') !== undefined ? { contextLength: f.int('context-length')! } : {}),
    };
  }
  if (!isPackagePath(what)) {
    throw usageError(`'${what}'`, `is neither an .mlpackage, a FastVLM preset nor a zoo model; presets: ${MODEL_NAMES.join(', ')}; zoo: ${ZOO_NAMES.join(', ')}`, {
      found: what,
      allowed: [...MODEL_NAMES, ...ZOO_NAMES],
    });
  }
  const given = SHAPE_FLAGS.find((n) => f.has(n));
  if (given) throw usageError(`--${given}`, `applies to presets and zoo models, not to a package ('${what}')`);
  if (f.str('passes') !== undefined && f.str('passes') !== 'none') throw usageError('--passes', `runs on presets and zoo models; a package ('${what}') is analyzed as it is`);
  return { kind: 'mlpackage', path: what };
}

/** Keeps the `top` costliest ops of each function (ties by name). */
export function keepCostliestOps(a: SourceAnalysis, top: number): SourceAnalysis {
  const functions = Object.fromEntries(
    Object.entries(a.functions).map(([name, fn]) => [name, { ...fn, ops: [...fn.ops].sort((x, y) => y.latency_ms - x.latency_ms || (x.name < y.name ? -1 : x.name > y.name ? 1 : 0)).slice(0, top) }]),
  );
  return { ...a, functions };
}

/** The text form: what was analyzed, then the analysis of each function. */
export function formatSourceAnalysis(a: SourceAnalysis, top: number): string {
  const how = `${a.model}: ${a.precision}, passes ${a.passes}${a.compress ? `, compress ${a.compress}` : ''}`;
  const notes = a.notes.length ? `${a.notes.map((n) => `note: ${n}`).join('\n')}\n` : '';
  return `${how}\n${notes}${formatAnalysis(a, { top })}`;
}

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

/** The measurement joined with the model, per measured function (empty without one). */
export function formatMeasured(a: SourceAnalysis): string {
  const parts: string[] = [];
  for (const [name, f] of Object.entries(a.functions)) {
    const m = f.measured;
    if (!m) continue;
    const lines = [
      `${name}: measured on ${m.compute_units}: median ${m.measured_median_ms.toFixed(3)} ms, p90 ${m.measured_p90_ms.toFixed(3)} ms; modeled ${m.modeled_ms.toFixed(3)} ms (measured / modeled ${m.ratio.toFixed(2)})`,
      `  placement: the compute plan agrees with the model on ${m.placement_agree} of ${m.placement_matched} ops${m.disagreements.length ? `; differs at ${m.disagreements.slice(0, 5).map((d) => `${d.op} (model ${d.modeled}, plan ${d.measured})`).join(', ')}${m.disagreements.length > 5 ? ` and ${m.disagreements.length - 5} more` : ''}` : ''}`,
      `  cost shares (compute-plan costs are relative estimates, not latencies): rank correlation with the modeled shares ${m.share_rank_correlation === null ? 'n/a (fewer than 3 ops with a cost)' : m.share_rank_correlation.toFixed(3)}`,
      ...m.shares.slice(0, 5).map((s) => `    ${s.op} (${s.kind}): plan ${pct(s.plan_share)}, model ${pct(s.modeled_share)}`),
    ];
    parts.push(lines.join('\n'));
  }
  return parts.length ? `\nMeasured:\n${parts.join('\n')}\n` : '';
}

/** Runs `analyze` for parsed flags; returns the text to print. */
export async function runAnalyze(what: string, f: Flags): Promise<string> {
  const source = analyzeSource(what, f);
  const compressText = f.str('compress');
  const compress = compressText !== undefined ? asUsage(() => parseCompressSpec(compressText)) : undefined;
  let a: SourceAnalysis;
  try {
    a = await analyze(source, {
      ...(f.str('device') !== undefined ? { device: f.str('device')! } : {}),
      precision: (f.str('precision') ?? 'fp16') as FloatDType,
      passes: f.str('passes') ?? 'none',
      ...(compress !== undefined ? { compress } : {}),
      target: (f.str('target') ?? DEFAULT_TARGET) as Target,
      ...(f.str('cost-model') !== undefined ? { costModel: readCostModel(f.str('cost-model')!) } : {}),
      ...(f.str('measured') !== undefined ? { measured: f.str('measured')! } : {}),
      ...(f.str('html') !== undefined ? { html: f.str('html')! } : {}),
    });
  } catch (e) {
    throw usageOf(e);
  }
  const top = f.int('top');
  if (f.bool('json')) return `${JSON.stringify(top !== undefined ? keepCostliestOps(a, top) : a, null, 2)}\n`;
  const page = f.str('html') !== undefined ? `\nReport page written to ${path.resolve(f.str('html')!)}\n` : '';
  return `${formatSourceAnalysis(a, top ?? 10)}${formatMeasured(a)}${page}`;
}
