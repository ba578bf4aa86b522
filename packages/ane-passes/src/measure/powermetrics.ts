/**
 * `sudo powermetrics --samplers ane_power,cpu_power,gpu_power -f plist -i 200 > power.plist`
 * recorded while tools/ane-bench runs, summarised into the result's `power` field: mean and
 * maximum power of the Neural Engine, the CPU and the GPU in mW. Each sample gives either
 * `processor.{ane,cpu,gpu}_power` (mW) or `processor.{ane,cpu,gpu}_energy` (mJ over the sample's
 * `elapsed_ns`); both are read.
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '@fastvlm/graph';
import type { AneBenchResult, PowerSummary } from './bench-types.generated.js';
import { measureError } from './errors.js';
import { type PlistValue, parsePlistStream } from './plist.js';
import { readBenchResult } from './read.js';

type Dict = { readonly [key: string]: PlistValue };
const isDict = (v: PlistValue | undefined): v is Dict => v !== undefined && typeof v === 'object' && !Array.isArray(v);

/** Power of `unit` in one sample, in mW, or undefined when the sample does not say. */
function powerOf(sample: Dict, unit: 'ane' | 'cpu' | 'gpu'): number | undefined {
  const proc = isDict(sample['processor']) ? sample['processor'] : undefined;
  const mw = proc?.[`${unit}_power`];
  if (typeof mw === 'number') return mw;
  const mj = proc?.[`${unit}_energy`] ?? (unit === 'gpu' && isDict(sample['gpu']) ? sample['gpu']['gpu_energy'] : undefined);
  const ns = sample['elapsed_ns'];
  if (typeof mj === 'number' && typeof ns === 'number' && ns > 0) return mj / (ns / 1e9);
  return undefined;
}

/** Summarises the powermetrics samples of `file` (its text in `text`). */
export function summarisePowermetrics(text: string, file: string): PowerSummary {
  const samples = parsePlistStream(text, file).filter(isDict);
  const stats: Record<'ane' | 'cpu' | 'gpu', number[]> = { ane: [], cpu: [], gpu: [] };
  const intervals: number[] = [];
  for (const s of samples) {
    for (const u of ['ane', 'cpu', 'gpu'] as const) {
      const p = powerOf(s, u);
      if (p !== undefined && Number.isFinite(p)) stats[u].push(p);
    }
    if (typeof s['elapsed_ns'] === 'number') intervals.push(s['elapsed_ns'] / 1e6);
  }
  if (stats.ane.length === 0) {
    throw measureError('E_MEASURE_PLIST', `${file}: ${samples.length} samples and none gives the Neural Engine's power (processor.ane_power or ane_energy); record with --samplers ane_power,cpu_power,gpu_power -f plist`, { where: file });
  }
  const stat = (xs: number[]): { mean: number; max: number } => (xs.length ? { mean: xs.reduce((a, b) => a + b, 0) / xs.length, max: Math.max(...xs) } : { mean: 0, max: 0 });
  return {
    source: path.basename(file),
    samples: samples.length,
    intervalMs: intervals.length ? intervals.reduce((a, b) => a + b, 0) / intervals.length : 0,
    aneMw: stat(stats.ane),
    cpuMw: stat(stats.cpu),
    gpuMw: stat(stats.gpu),
  };
}

/**
 * `fastvlm measure import`: reads `plistFile`, puts its summary into the result file `resultFile`
 * (`power`) and writes the result back atomically (`writeFileAtomic` of @fastvlm/graph), so a
 * failure leaves the old file as it was; a failed write is `E_IO` / `E_NO_SPACE` naming
 * `resultFile`. Returns the new result.
 */
export function importPowermetrics(plistFile: string, resultFile: string): AneBenchResult {
  const result = readBenchResult(resultFile);
  let text: string;
  try {
    text = fs.readFileSync(plistFile, 'utf8');
  } catch (e) {
    throw measureError('E_MEASURE_READ', `${plistFile}: cannot read: ${e instanceof Error ? e.message : String(e)}`, { where: plistFile, cause: e });
  }
  const updated: AneBenchResult = { ...result, power: summarisePowermetrics(text, plistFile) };
  writeFileAtomic(resultFile, `${JSON.stringify(updated, null, 2)}\n`);
  return updated;
}
