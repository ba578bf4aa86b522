/**
 * The steps of a unit before lowering, shared by `compile` and `analyze`: build, the pass
 * pipeline, weight compression and the I/O precision. What comes out is the Program that would
 * be lowered (and that the ANE analysis judges).
 * @module
 */
import * as path from 'node:path';
import { type FloatDType, type Program, printProgram } from '@fastvlm/graph';
import type { Target } from '@fastvlm/emit-coreml';
import { type PassRegistry, isolateProgram } from '@fastvlm/ane-passes';
import type { CompressSpec } from './compress-spec.js';
import { type CompressionReport, applyCompression, precomputeCompression } from './compress.js';
import type { CompilePhase } from './events.js';
import { writeTextFile } from './files.js';
import { type ImageInputMode, type ImageInputSpec, imageInputMode } from './image-input.js';
import { type IoChange, applyIoPrecision } from './io-precision.js';
import { type PassesOption, planPasses } from './passes.js';
import { type FunctionStats, functionStats } from './stats.js';
import type { CompileUnit } from './units.js';

/** What the steps are asked to do. */
export interface PrepareSettings {
  readonly precision: FloatDType;
  readonly target: Target;
  readonly passes: PassesOption | undefined;
  readonly passRegistry?: PassRegistry;
  readonly compress: CompressSpec | undefined;
  readonly imageInput: ImageInputMode | ImageInputSpec | undefined;
  /** Write the IR before and after every pass and the final IR into this directory. */
  readonly dumpDir?: string;
  /**
   * Compute the look-up tables of palettized weights now, on worker threads (compile), or leave
   * them to whoever reads the weights (analyze reads only shapes, so never).
   */
  readonly precomputePalettes: boolean;
}

/** Where the steps report. */
export interface PrepareHooks {
  phase(phase: CompilePhase, detail?: string): void;
  note(message: string): void;
}

/** A unit after its steps. */
export interface PreparedUnit {
  /** The built program, untouched by the steps. */
  readonly original: Program;
  /** The program to lower: passes, compression and I/O precision applied (a copy when any step ran). */
  readonly program: Program;
  /** Statistics of each function as built. */
  readonly before: ReadonlyMap<string, FunctionStats>;
  /** The image form of its image inputs, when it has some. */
  readonly imageMode: ImageInputMode | undefined;
  /** `none`, the preset's name or `custom`. */
  readonly passesLabel: string;
  /** The compression, when one ran. */
  readonly compression: CompressionReport | undefined;
  readonly ioChanges: readonly IoChange[];
}

/** Builds `unit` and runs its steps before lowering. */
export async function prepareUnit(unit: CompileUnit, s: PrepareSettings, hooks: PrepareHooks): Promise<PreparedUnit> {
  const imageMode = unit.imageInputs === 'auto' || unit.imageInputs.length ? imageInputMode(s.imageInput, unit.defaultImageInput) : undefined;
  hooks.phase('build', unit.buildDetail);
  const original = await unit.build({ precision: s.precision, imageInput: imageMode ?? 'tensor' });
  // Before any step: the I/O precision may rewrite the built program itself when no pass copied it.
  const before = new Map<string, FunctionStats>([...original.functions.values()].map((fn) => [fn.name, functionStats(fn)]));
  let program = original;
  const plan = planPasses(s.passes, s.precision, !unit.buildsAtPrecision, s.passRegistry);
  for (const n of plan.notes) hooks.note(n);
  if (plan.manager) {
    hooks.phase('passes', plan.label === 'none' ? 'to-fp16' : plan.label);
    program = plan.manager.run(original, s.dumpDir !== undefined ? { dumpDir: s.dumpDir } : {}).program;
  } else if (s.dumpDir !== undefined) {
    writeTextFile(path.join(s.dumpDir, '00-input.mlir'), printProgram(original));
  }
  let compression: CompressionReport | undefined;
  if (s.compress !== undefined) {
    hooks.phase('compress', s.compress.text);
    // The compression rewrites in place: never the caller's program.
    if (program === original) program = isolateProgram(original);
    compression = applyCompression(program, s.compress, s.target);
    if (s.precomputePalettes && compression.paletteJobs.length) {
      hooks.phase('compress', `look-up tables of ${compression.paletteJobs.length} weights on worker threads`);
      if (!(await precomputeCompression(compression))) hooks.note(`${unit.task}: no compression worker could start; the look-up tables were computed while writing`);
    }
  }
  if (program === original && unit.buildsAtPrecision === false) program = isolateProgram(original);
  const ioChanges = applyIoPrecision(program, s.target, { fp32Outputs: unit.fp32Outputs });
  if (s.dumpDir !== undefined) writeTextFile(path.join(s.dumpDir, 'final.mlir'), printProgram(program));
  return { original, program, before, imageMode, passesLabel: plan.label, compression, ioChanges };
}
