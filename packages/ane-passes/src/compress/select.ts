/**
 * The candidate loop shared by the compression passes. For every compressible constant (see
 * {@link findCandidates}) it resolves the settings from the rules, leaves the constant dense
 * when a rule says `skip`, when it has at most `weightThreshold` elements, or when the pass
 * gives a reason, and otherwise rewrites it as the pass plans. Constants reading one source
 * weight with equal plan keys (several functions, or several consts of one weight) share one
 * job and its store entries, so the compression is computed and stored once.
 * @module
 */
import { type Attrs, type Program, formatShape } from '@fastvlm/graph';
import { FunctionEditor } from '../ir/editor.js';
import { type Candidate, DEFAULT_WEIGHT_CONSUMERS, findCandidates } from './candidates.js';
import type { PaletteJob } from './jobs.js';
import { type NewConst, addEntries, replaceConst } from './replace.js';
import { type CompressionRules, resolveSettings } from './settings.js';

/** The skip reason of a constant a rule leaves dense. */
export const SKIPPED_BY_RULE = 'a rule says skip';

/** The skip reason of a constant of `elements` elements at or under the threshold. */
export function skippedBySize(elements: number, weightThreshold: number): string {
  return `${elements} elements <= weightThreshold ${weightThreshold}`;
}

/** How a pass compresses one candidate. */
export interface CompressionPlan<J> {
  /** Plans of one source weight with equal keys share one job and its store entries. */
  readonly key: string;
  /** Creates the job; called only for the first const of a source weight and key. */
  readonly job: () => J;
  /** The new constants computed by `job` (store entries are added once per job). */
  readonly consts: (job: J) => readonly NewConst[];
  /** Kind of the compressed op replacing the constant. */
  readonly kind: string;
  /** Attributes of the compressed op. */
  readonly attrs?: Attrs;
}

/**
 * Plans the compression of candidate `c` under settings `s` (`where` names it in messages),
 * or returns the reason to leave it dense; throws for settings that cannot apply.
 */
export type CompressionPlanner<S, J> = (c: Candidate, s: S, where: string) => CompressionPlan<J> | string;

/** What a compression pass did (`J`: its job type; the default is palettization's, as before). */
export interface CompressionSummary<J = PaletteJob> {
  /** Constants replaced. */
  readonly compressed: number;
  /** Elements of the replaced constants. */
  readonly elements: number;
  /** Constants left dense, with the reason. */
  readonly skipped: readonly { readonly name: string; readonly reason: string }[];
  /** The jobs created (one per distinct weight and settings), for precomputation. */
  readonly jobs: readonly J[];
}

/** Options of {@link compressCandidates}. */
export interface CompressCandidatesOptions {
  /** Consumer kinds whose constants are considered; empty = any consumer. */
  readonly opTypes?: readonly string[] | undefined;
  /** Records a remark (the pass context's `note`): constants the planner leaves dense. */
  readonly note?: ((message: string) => void) | undefined;
}

/**
 * Runs the candidate loop over every function of `program` in place: settings from `rules`,
 * skips by rule and size, then `plan` for the rest (see the module doc).
 */
export function compressCandidates<S extends { readonly weightThreshold: number }, J>(
  program: Program,
  rules: CompressionRules<S>,
  opts: CompressCandidatesOptions,
  plan: CompressionPlanner<S, J>,
): CompressionSummary<J> {
  const consumers = opts.opTypes ?? DEFAULT_WEIGHT_CONSUMERS;
  // Per source weight (the object, so one store entry read by several functions counts once), per plan key.
  const cache = new Map<object, Map<string, { job: J; entries: Map<string, string> }>>();
  const skipped: { name: string; reason: string }[] = [];
  const jobs: J[] = [];
  let compressed = 0;
  let elements = 0;
  for (const fn of program.functions.values()) {
    const ed = new FunctionEditor(program, fn);
    try {
      for (const c of findCandidates(ed, consumers)) {
        const where = `'${c.sourceName}' ${formatShape(c.shape)}`;
        const s = resolveSettings(rules, c.names, c.kinds, where);
        const n = c.shape.reduce((a, b) => a * b, 1);
        if (s === null) {
          skipped.push({ name: c.sourceName, reason: SKIPPED_BY_RULE });
          continue;
        }
        if (n <= s.weightThreshold) {
          skipped.push({ name: c.sourceName, reason: skippedBySize(n, s.weightThreshold) });
          continue;
        }
        const p = plan(c, s, where);
        if (typeof p === 'string') {
          skipped.push({ name: c.sourceName, reason: p });
          opts.note?.(`left ${where} dense: ${p}`);
          continue;
        }
        let byKey = cache.get(c.source);
        if (!byKey) cache.set(c.source, (byKey = new Map()));
        let hit = byKey.get(p.key);
        const job = hit ? hit.job : p.job();
        const consts = p.consts(job);
        const entries = addEntries(ed, c, consts, hit?.entries);
        if (!hit) {
          hit = { job, entries };
          byKey.set(p.key, hit);
          jobs.push(job);
        }
        replaceConst(ed, c, p.kind, consts, entries, p.attrs);
        compressed++;
        elements += n;
      }
    } finally {
      ed.commit();
    }
  }
  return { compressed, elements, skipped, jobs };
}
