/**
 * `fastvlm measure import POWER.plist --into RESULT.json`: adds a powermetrics recording to an
 * ane-bench result (tools/ane-bench/ane-bench.swift).
 * @module
 */
import { importPowermetrics } from '@fastvlm/ane-passes';
import type { CommandSpec, Flags } from '../args.js';
import { usageError } from '../errors.js';

/** The flags and help of `fastvlm measure`. */
export const MEASURE_SPEC: CommandSpec = {
  name: 'measure',
  summary: 'Work with on-device measurements (tools/ane-bench): import a powermetrics recording.',
  usage: 'measure import POWER.plist --into RESULT.json',
  description: [
    'Measurements come from tools/ane-bench/ane-bench.swift, run on a Mac (docs/on-device.md). While it runs, record power with `sudo powermetrics --samplers ane_power,cpu_power,gpu_power -f plist -i 200 > power.plist`; `fastvlm measure import power.plist --into RESULT.json` then adds the mean and peak power of the Neural Engine, the CPU and the GPU to the result (its `power` field). The result file is replaced atomically.',
  ].join('\n\n'),
  positionals: [
    { name: 'ACTION', doc: 'import' },
    { name: 'POWER.plist', doc: 'The plist powermetrics wrote (-f plist).' },
  ],
  flags: [{ name: 'into', kind: 'string', metavar: 'RESULT.json', required: true, doc: 'The ane-bench result to add the power summary to.' }],
  examples: ['fastvlm measure import power.plist --into fastvlm-0.5b-vision.bench.json'],
};

/** Runs `fastvlm measure`; returns the text to print. */
export function runMeasure(positionals: readonly string[], f: Flags): string {
  const [action, plist] = positionals as [string, string];
  if (action !== 'import') throw usageError(`'${action}'`, "unknown action of 'fastvlm measure'; actions: import", { found: action, allowed: ['import'] });
  const into = f.str('into')!;
  const r = importPowermetrics(plist, into);
  const p = r.power!;
  const w = (mw: number): string => `${(mw / 1000).toFixed(2)} W`;
  return `${into}: power from ${p.samples} samples (every ${p.intervalMs.toFixed(0)} ms): ANE mean ${w(p.aneMw.mean)} (peak ${w(p.aneMw.max)}), CPU ${w(p.cpuMw.mean)}, GPU ${w(p.gpuMw.mean)}\n`;
}
