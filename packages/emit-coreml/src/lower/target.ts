/**
 * Deployment targets of the lowering: each fixes the Core ML specification version, the MIL
 * opset string and (through {@link atLeast}) which op definitions apply.
 * @module
 */
import { lowerError } from './errors.js';

/** The deployment targets we emit for, oldest first. */
export const TARGETS = ['ios15', 'ios16', 'ios17', 'ios18'] as const;

/** A deployment target (iOS version whose Core ML runtime must load the model). */
export type Target = (typeof TARGETS)[number];

/** The default target: the newest we support. */
export const DEFAULT_TARGET: Target = 'ios18';

/** Facts about a target. */
export interface TargetInfo {
  readonly target: Target;
  /** `Model.specificationVersion`. */
  readonly specVersion: number;
  /** `Function.opset` and the key of `block_specializations`. */
  readonly opset: string;
  /** Human name used in messages, e.g. `iOS17`. */
  readonly label: string;
}

const INFO: Readonly<Record<Target, TargetInfo>> = {
  ios15: { target: 'ios15', specVersion: 6, opset: 'CoreML5', label: 'iOS15' },
  ios16: { target: 'ios16', specVersion: 7, opset: 'CoreML6', label: 'iOS16' },
  ios17: { target: 'ios17', specVersion: 8, opset: 'CoreML7', label: 'iOS17' },
  ios18: { target: 'ios18', specVersion: 9, opset: 'CoreML8', label: 'iOS18' },
};

/** Facts about `t`. */
export function targetInfo(t: Target): TargetInfo {
  return INFO[t];
}

/** Position of a target in {@link TARGETS} (0 = oldest). */
export function targetIndex(t: Target): number {
  return TARGETS.indexOf(t);
}

/** True when `t` is `min` or newer. */
export function atLeast(t: Target, min: Target): boolean {
  return targetIndex(t) >= targetIndex(min);
}

/** True for a known target name. */
export function isTarget(s: string): s is Target {
  return (TARGETS as readonly string[]).includes(s);
}

/** Validates a target name (coded error for anything else). */
export function parseTarget(s: unknown): Target {
  if (typeof s === 'string' && isTarget(s)) return s;
  throw lowerError('E_LOWER_OPTION', `unknown target ${JSON.stringify(s)}; expected one of ${TARGETS.join(', ')}`, { where: 'options.target' });
}

/** The target whose specification version is `v`, if any. */
export function targetOfSpecVersion(v: number): Target | undefined {
  return TARGETS.find((t) => INFO[t].specVersion === v);
}
