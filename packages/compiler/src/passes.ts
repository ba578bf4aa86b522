/**
 * The pass pipeline of a compile: `none`, a preset of @fastvlm/ane-passes, or a list of steps
 * (pass names or pass objects, with options), adapted to the precision asked for.
 * @module
 */
import type { FloatDType } from '@fastvlm/graph';
import { type AnyPass, type OptionSchema, type PartialOptionsOf, PRESETS, PassManager, type PassRegistry } from '@fastvlm/ane-passes';
import { optionError } from './errors.js';

/** One step of a custom pipeline: a pass (by name or as an object), with or without options. */
export type PassStepSpec = string | AnyPass | readonly [pass: string | AnyPass, options: Readonly<Record<string, unknown>>];

/** The `passes` option: `none`, a preset name (`cleanup`, `ane`), or custom steps. */
export type PassesOption = string | readonly PassStepSpec[];

/** The presets' names, for messages and help. */
export const PRESET_NAMES: readonly string[] = Object.keys(PRESETS);

type Step = readonly [string | AnyPass, Readonly<Record<string, unknown>>];

const isToFp16 = (p: string | AnyPass): boolean => (typeof p === 'string' ? p : p.name) === 'to-fp16';

/** A pipeline to run, its label for metadata and reports, and remarks. */
export interface PassPlan {
  /** Undefined when no pass runs. */
  readonly manager: PassManager | undefined;
  /** `none`, the preset's name, or `custom`. */
  readonly label: string;
  readonly notes: readonly string[];
}

/**
 * The pipeline of `passes` at `precision`. At fp32 the `to-fp16` steps are left out (fp32 ops
 * run on the GPU or CPU: a note says so). At fp16 a program that was not built at fp16 gets a
 * final `to-fp16` (function I/O kept) when the steps have none.
 */
export function planPasses(passes: PassesOption | undefined, precision: FloatDType, convertToFp16: boolean, registry?: PassRegistry): PassPlan {
  let steps: Step[];
  let label: string;
  if (passes === undefined || passes === 'none') {
    steps = [];
    label = 'none';
  } else if (typeof passes === 'string') {
    if (!Object.prototype.hasOwnProperty.call(PRESETS, passes)) {
      throw optionError('passes', `unknown pipeline '${passes}'; allowed: none, ${PRESET_NAMES.join(', ')}, or a list of steps`, { found: passes, allowed: ['none', ...PRESET_NAMES] });
    }
    steps = (PRESETS as Readonly<Record<string, { steps: readonly Step[] }>>)[passes]!.steps.map(([p, o]) => [p, o] as const);
    label = passes;
  } else if (Array.isArray(passes)) {
    steps = passes.map((s: PassStepSpec, i) => {
      if (typeof s === 'string' || (typeof s === 'object' && s !== null && !Array.isArray(s))) return [s as string | AnyPass, {}] as const;
      if (Array.isArray(s) && s.length === 2) return [s[0], s[1]] as const;
      throw optionError('passes', `step ${i}: expected a pass name, a pass, or [pass, options], found ${JSON.stringify(s)}`);
    });
    label = 'custom';
  } else {
    throw optionError('passes', `expected 'none', a preset name or a list of steps, found ${JSON.stringify(passes)}`);
  }
  const notes: string[] = [];
  if (precision === 'fp32' && steps.some(([p]) => isToFp16(p))) {
    steps = steps.filter(([p]) => !isToFp16(p));
    notes.push(`precision fp32: the '${label}' pipeline ran without to-fp16; fp32 ops run on the GPU or CPU, not the Neural Engine`);
  }
  if (precision === 'fp16' && convertToFp16 && !steps.some(([p]) => isToFp16(p))) steps.push(['to-fp16', { keepIO: true }]);
  if (steps.length === 0) return { manager: undefined, label, notes };
  const manager = new PassManager(registry ? { registry } : {});
  for (const [p, o] of steps) {
    if (typeof p === 'string') manager.add(p, o);
    else manager.add(p, o as PartialOptionsOf<OptionSchema>);
  }
  return { manager, label, notes };
}
