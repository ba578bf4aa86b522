/**
 * The PassManager: a named pipeline of passes with validated options. It runs the passes on
 * a clone of the input (the input is never changed), verifies the IR after every pass,
 * optionally checks numerics against the reference interpreter, records timing and op-count
 * statistics, and can dump the IR after each pass.
 * @module
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  FastVlmError,
  type Program,
  type Tensor,
  WeightStore,
  cloneProgram,
  printProgram,
  verifyProgram,
  writeFileAtomic,
} from '@fastvlm/graph';
import { type BuiltinPassName, type BuiltinPassOptions, builtinRegistry } from './builtins.js';
import { PassErrorCodes, describeError, passError } from './errors.js';
import {
  type NumericCheckOptions,
  type ProgramOutputs,
  checkInputs,
  compareOutputs,
  evaluateForCheck,
} from './numeric.js';
import { type OptionSchema, type PartialOptionsOf, resolveOptions } from './options.js';
import type { AnyPass, Pass } from './pass.js';
import { PRESETS, type PresetDefinition, type PresetName } from './presets.js';
import type { PassRegistry } from './registry.js';

/** One step of a pipeline: a pass and its resolved options. */
export interface PipelineStep {
  readonly pass: AnyPass;
  readonly options: Readonly<Record<string, unknown>>;
}

/** How a pipeline runs. */
export interface RunOptions {
  /** Verify the input and the IR after every pass (default true). */
  readonly verify?: boolean;
  /** Interpret the program on seeded inputs before and after each pass (default off). */
  readonly numericCheck?: NumericCheckOptions | boolean;
  /** Write `00-input.mlir` and `NN-passname.mlir` after each pass into this folder. */
  readonly dumpDir?: string;
}

/** Options of a {@link PassManager}. */
export interface PassManagerOptions extends RunOptions {
  /** Where pass names are looked up (default: the built-in passes). */
  readonly registry?: PassRegistry;
}

/** Statistics of one pass run. */
export interface PassStats {
  /** 1-based position in the pipeline. */
  readonly index: number;
  readonly name: string;
  readonly options: Readonly<Record<string, unknown>>;
  /** Wall time of the pass itself (verification and checks excluded). */
  readonly ms: number;
  /** Ops over all functions before and after. */
  readonly opsBefore: number;
  readonly opsAfter: number;
  /** Change of the op count per kind (only kinds that changed), sorted by kind. */
  readonly opDelta: Readonly<Record<string, number>>;
  /** Remarks the pass recorded. */
  readonly notes: readonly string[];
  /** Numeric check results (when enabled): max errors against the previous stage. */
  readonly numeric?: { readonly maxAbs: number; readonly maxRel: number };
}

/** The result of {@link PassManager.run}. */
export interface PipelineResult {
  /** The transformed program (a new object; the input is unchanged). */
  readonly program: Program;
  readonly stats: readonly PassStats[];
  readonly totalMs: number;
}

function countOps(p: Program): Map<string, number> {
  const m = new Map<string, number>();
  for (const fn of p.functions.values()) for (const op of fn.body.ops) m.set(op.kind, (m.get(op.kind) ?? 0) + 1);
  return m;
}

function total(m: Map<string, number>): number {
  let n = 0;
  for (const c of m.values()) n += c;
  return n;
}

function delta(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  const kinds = [...new Set([...before.keys(), ...after.keys()])].sort();
  const out: Record<string, number> = {};
  for (const k of kinds) {
    const d = (after.get(k) ?? 0) - (before.get(k) ?? 0);
    if (d !== 0) out[k] = d;
  }
  return out;
}

/**
 * A deep copy of `p` with its own WeightStore (sharing the lazy sources), so passes may add
 * computed weights without touching the caller's store.
 */
export function isolateProgram(p: Program): Program {
  const q = cloneProgram(p);
  const store = new WeightStore();
  store.merge(p.weights);
  q.weights = store;
  return q;
}

function isOwnCode(e: unknown): e is FastVlmError {
  return e instanceof FastVlmError && Object.prototype.hasOwnProperty.call(PassErrorCodes, e.code);
}

/** Wraps an error raised inside a pass so it names the pass (own codes are kept). */
function wrapPassError(passName: string, index: number, e: unknown): FastVlmError {
  const where = `pass ${index} '${passName}'`;
  if (isOwnCode(e) && e.code !== 'E_PASS_FAILED') {
    // Re-worded from the parts (not the message, which already carries the code and location).
    const at = e.where !== undefined ? ` (at ${e.where})` : '';
    return passError(e.code as keyof typeof PassErrorCodes, `pass '${passName}': ${e.detail}${at}`, { where, ...(e.loc ? { loc: e.loc } : {}), details: { ...e.details, pass: passName }, cause: e });
  }
  const causeCode = e instanceof FastVlmError ? e.code : 'uncoded';
  return passError('E_PASS_FAILED', `pass '${passName}' failed: ${describeError(e)}`, { where, details: { pass: passName, causeCode }, cause: e });
}

function writeDump(dir: string, file: string, p: Program): void {
  try {
    mkdirSync(dir, { recursive: true });
    // Atomic, so a dump directory never holds half an IR file; no fsync (a debugging aid).
    writeFileAtomic(join(dir, file), printProgram(p), { fsync: false });
  } catch (e) {
    throw passError('E_PASS_DUMP', `cannot write IR dump ${join(dir, file)}: ${describeError(e)}`, { where: join(dir, file), cause: e });
  }
}

/**
 * A pipeline of passes.
 *
 * ```ts
 * const pm = new PassManager()
 *   .add('fold-constants')
 *   .add('linear-to-conv')
 *   .add('assign-layout', { target: 'ane' });
 * const { program, stats } = pm.run(input, { numericCheck: true });
 * ```
 */
export class PassManager {
  private readonly registry: PassRegistry;
  private readonly pipeline: PipelineStep[] = [];
  private readonly defaults: RunOptions;

  constructor(opts: PassManagerOptions = {}) {
    const { registry, ...run } = opts;
    this.registry = registry ?? builtinRegistry;
    this.defaults = run;
  }

  /** A manager holding a preset pipeline (see {@link PRESETS}). */
  static preset(name: PresetName | string, overrides: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {}, opts: PassManagerOptions = {}): PassManager {
    return new PassManager(opts).addPreset(name, overrides);
  }

  /**
   * Appends a pass by name (looked up in the registry) or as an object, with options. Options
   * are validated now: an unknown option or a value out of range throws E_PASS_OPTION naming
   * the pass and the option.
   */
  add<N extends BuiltinPassName>(name: N, options?: BuiltinPassOptions<N>): this;
  add<S extends OptionSchema>(pass: Pass<S>, options?: PartialOptionsOf<S>): this;
  add(name: string, options?: Readonly<Record<string, unknown>>): this;
  add(p: string | AnyPass, options: Readonly<Record<string, unknown>> = {}): this {
    const pass = typeof p === 'string' ? this.registry.get(p) : p;
    this.pipeline.push({ pass, options: resolveOptions(pass.name, pass.options, options) });
    return this;
  }

  /**
   * Appends every pass of a preset. `overrides` gives options per pass name; they apply to
   * every occurrence of that pass in the preset (merged over the preset's own options).
   */
  addPreset(name: PresetName | string, overrides: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {}): this {
    const preset = (PRESETS as Readonly<Record<string, PresetDefinition>>)[name];
    if (!preset) throw passError('E_PASS_UNKNOWN', `no preset named '${name}' (presets: ${Object.keys(PRESETS).join(', ')})`, { where: name });
    for (const k of Object.keys(overrides)) {
      if (!preset.steps.some(([n]) => n === k)) {
        throw passError('E_PASS_OPTION', `preset '${name}' has no pass '${k}' to override (passes: ${[...new Set(preset.steps.map(([n]) => n))].join(', ')})`, { where: `${name}.${k}` });
      }
    }
    for (const [passName, opts] of preset.steps) this.add(passName, { ...opts, ...(overrides[passName] ?? {}) });
    return this;
  }

  /** The steps so far. */
  get steps(): readonly PipelineStep[] {
    return this.pipeline;
  }

  /** `fold-constants, assign-layout{target=ane}`: the pipeline in one line. */
  describe(): string {
    return this.pipeline
      .map(({ pass, options }) => {
        const changed = Object.entries(options).filter(([k, v]) => JSON.stringify(v) !== JSON.stringify(pass.options[k]?.default));
        return changed.length ? `${pass.name}{${changed.map(([k, v]) => `${k}=${Array.isArray(v) ? `[${v.join(',')}]` : String(v)}`).join(',')}}` : pass.name;
      })
      .join(', ');
  }

  /**
   * Runs the pipeline on a copy of `input` and returns it with statistics. The input must
   * verify (E_PASS_INPUT). A pass that raises, breaks the verifier (E_PASS_BROKE_IR) or moves
   * the outputs beyond tolerance (E_PASS_NUMERIC) stops the run with an error naming it; the
   * input is unchanged in every case.
   */
  run(input: Program, opts: RunOptions = {}): PipelineResult {
    const o: RunOptions = { ...this.defaults, ...opts };
    const verify = o.verify ?? true;
    const numeric: NumericCheckOptions | undefined = o.numericCheck === true ? {} : o.numericCheck === false ? undefined : o.numericCheck;
    if (verify) {
      try {
        verifyProgram(input);
      } catch (e) {
        const first = this.pipeline[0]?.pass.name ?? '(empty pipeline)';
        throw passError('E_PASS_INPUT', `the input of pass '${first}' does not verify: ${describeError(e)}`, { where: `pass 1 '${first}'`, details: { pass: first }, cause: e });
      }
    }
    const t0 = performance.now();
    const program = isolateProgram(input);
    const width = Math.max(2, String(this.pipeline.length).length);
    if (o.dumpDir !== undefined) writeDump(o.dumpDir, `${'0'.padStart(width, '0')}-input.mlir`, program);
    let inputs: Map<string, Record<string, Tensor>> | undefined;
    let previous: ProgramOutputs | undefined;
    if (numeric) {
      inputs = checkInputs(program, numeric);
      previous = evaluateForCheck(program, inputs, 'before the pipeline');
    }
    const stats: PassStats[] = [];
    let counts = countOps(program);
    this.pipeline.forEach(({ pass, options }, i) => {
      const index = i + 1;
      const notes: string[] = [];
      const start = performance.now();
      try {
        pass.run(program, { passName: pass.name, options: options as never, note: (m) => notes.push(m) });
      } catch (e) {
        throw wrapPassError(pass.name, index, e);
      }
      const ms = performance.now() - start;
      if (verify) {
        try {
          verifyProgram(program);
        } catch (e) {
          const at = e instanceof FastVlmError && e.where ? ` at ${e.where}` : '';
          throw passError('E_PASS_BROKE_IR', `pass '${pass.name}' produced invalid IR${at}: ${describeError(e)}`, {
            where: `pass ${index} '${pass.name}'`,
            details: { pass: pass.name, ...(e instanceof FastVlmError ? { op: String(e.details.op ?? e.where ?? '') } : {}) },
            cause: e,
          });
        }
      }
      let numericResult: PassStats['numeric'];
      if (numeric && inputs && previous) {
        const now = evaluateForCheck(program, inputs, `after pass '${pass.name}'`);
        const cmp = compareOutputs(previous, now, numeric);
        if (cmp.failure !== undefined) {
          throw passError('E_PASS_NUMERIC', `pass '${pass.name}' changed output ${cmp.failure}: ${cmp.detail} (max abs error ${cmp.maxAbs}, max rel error ${cmp.maxRel})`, {
            where: `pass ${index} '${pass.name}'`,
            details: { pass: pass.name, output: cmp.failure, maxAbs: cmp.maxAbs, maxRel: cmp.maxRel },
          });
        }
        numericResult = { maxAbs: cmp.maxAbs, maxRel: cmp.maxRel };
        previous = now;
      }
      const after = countOps(program);
      stats.push({
        index,
        name: pass.name,
        options,
        ms,
        opsBefore: total(counts),
        opsAfter: total(after),
        opDelta: delta(counts, after),
        notes,
        ...(numericResult ? { numeric: numericResult } : {}),
      });
      counts = after;
      if (o.dumpDir !== undefined) writeDump(o.dumpDir, `${String(index).padStart(width, '0')}-${pass.name}.mlir`, program);
    });
    return { program, stats, totalMs: performance.now() - t0 };
  }
}

/** Runs one pass (by name or object) through a PassManager: verified, on a copy. */
export function runPass<N extends BuiltinPassName>(program: Program, name: N, options?: BuiltinPassOptions<N>, run?: RunOptions): Program;
export function runPass<S extends OptionSchema>(program: Program, pass: Pass<S>, options?: PartialOptionsOf<S>, run?: RunOptions): Program;
export function runPass(program: Program, p: string | AnyPass, options: Readonly<Record<string, unknown>> = {}, run: RunOptions = {}): Program {
  const pm = new PassManager();
  if (typeof p === 'string') pm.add(p, options);
  else pm.add(p as AnyPass, options as never);
  return pm.run(program, run).program;
}

/** A plain-text table of pipeline statistics. */
export function formatStats(stats: readonly PassStats[]): string {
  const rows = stats.map((s) => {
    const d = Object.entries(s.opDelta)
      .map(([k, v]) => `${k}${v > 0 ? '+' : ''}${v}`)
      .join(' ');
    const num = s.numeric ? ` abs=${s.numeric.maxAbs.toExponential(2)} rel=${s.numeric.maxRel.toExponential(2)}` : '';
    return `${String(s.index).padStart(3)} ${s.name.padEnd(34)} ${s.ms.toFixed(1).padStart(8)} ms ${String(s.opsBefore).padStart(7)} -> ${String(s.opsAfter).padEnd(7)} ${d}${num}`;
  });
  return rows.join('\n');
}
