/**
 * Test support for the analysis tests: a fixed cost model with round figures (so goldens and
 * hand-computed expectations do not move when `npm run calibrate` refits the committed file) and
 * small helpers. Test-only: not exported from the package entry.
 * @module
 */
import { type Program, parseProgram } from '@fastvlm/graph';
import { analyzeProgram } from './analyze.js';
import { type CostModelData, validateCostModel } from './devices.js';
import type { AnalysisReport } from './types.js';

const fig = (value: number, provenance = 'test figure'): { value: number; provenance: string } => ({ value, provenance });
const fit = (value: number, min: number, max: number): { value: number; start: number; min: number; max: number; provenance: string } => ({ value, start: value, min, max, provenance: 'test figure' });

/**
 * The test device `testchip`: 2 TOPS rated fp16 -> 1e12 MAC/s; 10 GB/s (1e10 B/s); a 1 MiB
 * working set; a 1 TFLOPS GPU. Parameters: dense 0.5, depthwise 0.1 (tap exponent 1: cost by MACs), vector 0.01, on-chip x4,
 * 2 us per op, 100 us per dispatch; fallback 0.5 of the GPU peak, 10 us per GPU op, 5 us per CPU op, 10 Gop/s CPU.
 */
export const TEST_MODEL: CostModelData = validateCostModel({
  schema: 'fastvlm-ane-cost-model/1',
  about: 'test model',
  fitted: {
    denseEfficiency: fit(0.5, 0.01, 1),
    depthwiseEfficiency: fit(0.1, 0.001, 1),
    depthwiseTapExponent: fit(1, 0, 1),
    vectorEfficiency: fit(0.01, 0.0005, 1),
    onChipBandwidthFactor: fit(4, 1, 50),
    opOverheadUs: fit(2, 0, 100),
    dispatchUs: fit(100, 0, 2000),
  },
  priors: { fallbackEfficiency: fig(0.5), gpuOpOverheadUs: fig(10), cpuOpOverheadUs: fig(5), cpuGops: fig(10) },
  devices: {
    testchip: {
      name: 'Test chip',
      aliases: ['testphone'],
      aneTops: fig(2),
      topsPrecision: { value: 'fp16', provenance: 'test figure' },
      bandwidthGBps: fig(10),
      workingSetMB: fig(1),
      gpuTflops: fig(1),
    },
  },
  fit: {},
});

/** Parses IR text and analyzes it on the test chip. */
export function analyzeText(text: string, opts: { weightFileBytes?: number } = {}): AnalysisReport {
  return analyzeProgram(parseProgram(text), { device: 'testchip', costModel: TEST_MODEL, ...opts });
}

/** Analyzes a program on the test chip. */
export function analyzeTest(program: Program): AnalysisReport {
  return analyzeProgram(program, { device: 'testchip', costModel: TEST_MODEL });
}

/** `func main(SIG) -> (%y) { BODY return %y }` */
export function main(sig: string, body: string, ret = '%y'): string {
  return `func main(${sig}) -> (${ret}) {\n${body
    .trim()
    .split('\n')
    .map((l) => `  ${l.trim()}`)
    .join('\n')}\n  return ${ret}\n}\n`;
}

/** Every rule id found in a report (program and functions). */
export function ruleIds(r: AnalysisReport): string[] {
  return [...new Set([...r.findings, ...Object.values(r.functions).flatMap((f) => f.findings)].map((f) => f.rule))].sort();
}
