/**
 * The progress events of {@link compile}: typed, so a command line can draw a bar, a service
 * can log JSON lines and a test can assert the order of phases.
 * @module
 */
import type { PackageSummary } from './pipeline.js';

/** The phases of a compile, in the order a unit goes through them. */
export const COMPILE_PHASES = ['load', 'build', 'passes', 'compress', 'lower', 'weights', 'write'] as const;

/** A phase of {@link COMPILE_PHASES}. */
export type CompilePhase = (typeof COMPILE_PHASES)[number];

/** A phase starts for a task (a unit or one of its packages, e.g. `fastvlm-0.5b-llm`). */
export interface PhaseEvent {
  readonly type: 'phase';
  readonly task: string;
  readonly phase: CompilePhase;
  /** What the phase works on, e.g. `fp16, synthetic weights, seed 0`, `ane`, `ios18`. */
  readonly detail?: string;
  /** `write`: the weight bytes streamed into the package. */
  readonly bytes?: number;
}

/** Bytes done of a long phase (weights streamed into weight.bin; compression work). */
export interface BytesEvent {
  readonly type: 'bytes';
  readonly task: string;
  readonly phase: 'weights' | 'compress';
  readonly done: number;
  readonly total: number;
}

/** A package is in place (written, swapped in and read back). */
export interface PackageEvent {
  readonly type: 'package';
  readonly task: string;
  readonly package: PackageSummary;
}

/** A remark for the user (also in {@link CompileResult.notes}). */
export interface NoteEvent {
  readonly type: 'note';
  readonly message: string;
}

/** One progress event. */
export type CompileEvent = PhaseEvent | BytesEvent | PackageEvent | NoteEvent;
