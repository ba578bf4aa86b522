/**
 * The greedy pattern driver: visits ops from a worklist (program order first, then whatever a
 * rewrite touched), applies the first matching pattern, and repeats until no pattern matches
 * (a fixpoint) or the rewrite cap is exceeded (E_REWRITE_LIMIT).
 * @module
 */
import { type Op, type Program, type Value, fmtType } from '@fastvlm/graph';
import { passError } from '../errors.js';
import { FunctionEditor, sameType } from '../ir/editor.js';
import { RewriteBuilder } from './builder.js';
import { Match, matchOp } from './match.js';
import type { RewritePattern } from './pattern.js';

/** Options of {@link applyPatterns}. */
export interface ApplyPatternsOptions {
  /**
   * Maximum number of rewrites applied to one function. Default: 64 per op of the function
   * plus 1000, far above what a terminating pattern set needs.
   */
  readonly maxRewrites?: number;
  /** Name used in error messages (the pass). */
  readonly owner?: string;
  /** Called after each applied rewrite (for statistics). */
  readonly onRewrite?: (pattern: RewritePattern, root: Op) => void;
}

/** Per-pattern counts of applied rewrites. */
export type RewriteCounts = Map<string, number>;

/** A FIFO of ops without duplicates. */
class Worklist {
  private readonly items: Op[] = [];
  private readonly queued = new Set<Op>();
  private head = 0;

  push(op: Op | null | undefined): void {
    if (!op || this.queued.has(op)) return;
    this.queued.add(op);
    this.items.push(op);
  }

  pop(): Op | undefined {
    if (this.head >= this.items.length) return undefined;
    const op = this.items[this.head++]!;
    this.queued.delete(op);
    // Compact now and then so a long run does not keep every visited op alive.
    if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items.splice(0, this.head);
      this.head = 0;
    }
    return op;
  }
}

/** Indexes patterns by root kind, higher benefit first, then declaration order. */
function indexPatterns(patterns: readonly RewritePattern[]): Map<string, RewritePattern[]> {
  const byKind = new Map<string, RewritePattern[]>();
  const ordered = patterns.map((p, i) => ({ p, i })).sort((a, b) => (b.p.benefit ?? 1) - (a.p.benefit ?? 1) || a.i - b.i);
  for (const { p } of ordered) {
    for (const k of p.root.kinds) {
      let l = byKind.get(k);
      if (!l) byKind.set(k, (l = []));
      l.push(p);
    }
  }
  return byKind;
}

/**
 * Tries one pattern at `root`. Returns the ops to revisit when it rewrote something, or
 * undefined when it did not match, declined, or changed nothing.
 */
function tryPattern(editor: FunctionEditor, p: RewritePattern, root: Op, owner: string): Op[] | undefined {
  const m = new Match(editor, root, p.name);
  if (!matchOp(p.root, root, m)) return undefined;
  if (p.where && !p.where(m)) return undefined;
  const b = new RewriteBuilder(editor, root, root.loc);
  const result = p.rewrite(m, b);
  const discard = (): undefined => {
    editor.eraseDead([...b.created].reverse());
    return undefined;
  };
  if (result === null || result === undefined) return discard();
  const values: readonly Value[] = Array.isArray(result) ? (result as readonly Value[]) : [result as Value];
  const where = `${owner}: pattern '${p.name}' at ${root.kind} -> %${root.outputs.map((o) => o.name).join(', %')}`;
  if (values.length !== root.outputs.length) {
    throw passError('E_REWRITE_INVALID', `pattern '${p.name}' returned ${values.length} replacement values for ${root.kind} with ${root.outputs.length} outputs`, { where });
  }
  values.forEach((v, i) => {
    const o = root.outputs[i]!;
    if (!sameType(v.type, o.type)) {
      throw passError('E_REWRITE_INVALID', `pattern '${p.name}' replaced %${o.name} (${fmtType(o.type)}) by %${v.name} (${fmtType(v.type)}): types differ`, {
        where,
        details: { pattern: p.name, op: root.kind, expected: fmtType(o.type), found: fmtType(v.type) },
      });
    }
  });
  const created = new Set(b.created);
  let moved = 0;
  const touched: Op[] = [];
  values.forEach((v, i) => {
    const o = root.outputs[i]!;
    const users = editor.users(o);
    const r = editor.replaceAllUses(o, v, { adoptName: v.producer !== null && created.has(v.producer) });
    moved += r.moved;
    touched.push(...users);
  });
  if (moved === 0) return discard();
  // Inputs of the root may have lost their last use: revisit their producers too.
  const producers = root.inputValues().map((v) => v.producer).filter((x): x is Op => x !== null);
  editor.eraseDead([root]);
  return [...b.created, ...touched, ...producers];
}

/**
 * Applies `patterns` to one function until none matches. Returns the number of rewrites.
 * Ops made dead by a rewrite (the matched root and producers that lost their last use) are
 * erased; ops that were dead before are left to `eliminate-dead-code`.
 */
export function applyPatternsToFunction(editor: FunctionEditor, patterns: readonly RewritePattern[], opts: ApplyPatternsOptions = {}, counts?: RewriteCounts): number {
  const owner = opts.owner ?? 'rewrite';
  const byKind = indexPatterns(patterns);
  const cap = opts.maxRewrites ?? 64 * editor.size + 1000;
  const work = new Worklist();
  for (const op of editor.ops()) work.push(op);
  let applied = 0;
  for (let op = work.pop(); op; op = work.pop()) {
    if (!editor.contains(op)) continue;
    const candidates = byKind.get(op.kind);
    if (!candidates) continue;
    for (const p of candidates) {
      const revisit = tryPattern(editor, p, op, owner);
      if (!revisit) continue;
      applied++;
      counts?.set(p.name, (counts.get(p.name) ?? 0) + 1);
      opts.onRewrite?.(p, op);
      if (applied > cap) {
        throw passError('E_REWRITE_LIMIT', `${owner}: no fixpoint after ${cap} rewrites in function '${editor.fn.name}' (last pattern '${p.name}' at ${op.kind}); the patterns probably undo each other`, {
          where: `${owner}: ${editor.fn.name}`,
          details: { pass: owner, function: editor.fn.name, cap, pattern: p.name },
        });
      }
      for (const r of revisit) if (editor.contains(r)) work.push(r);
      break;
    }
  }
  return applied;
}

/** Applies `patterns` to every function of `program` (in place). Returns per-pattern counts. */
export function applyPatterns(program: Program, patterns: readonly RewritePattern[], opts: ApplyPatternsOptions = {}): RewriteCounts {
  const counts: RewriteCounts = new Map();
  for (const fn of program.functions.values()) {
    const editor = new FunctionEditor(program, fn);
    try {
      applyPatternsToFunction(editor, patterns, opts, counts);
    } finally {
      editor.commit();
    }
  }
  return counts;
}
