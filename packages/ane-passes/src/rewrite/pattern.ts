/**
 * Declarative rewrite patterns: trees of op matchers with named captures, attribute
 * constraints, single-use conditions and predicates, plus a replacement function.
 *
 * ```ts
 * const fuseSilu = pattern({
 *   name: 'mul-sigmoid-to-silu',
 *   root: op('mul', { x: capture('x'), y: op('sigmoid', { x: capture('x') }, { singleUse: true }) }),
 *   rewrite: (m, b) => b.op('silu', { x: m.value('x') }),
 * });
 * ```
 * @module
 */
import type { AttrValue, Op, Value } from '@fastvlm/graph';
import { passError } from '../errors.js';
import type { RewriteBuilder } from './builder.js';
import type { Match } from './match.js';
import { isCommutative } from '../ir/traits.js';

/** A constraint on one attribute: an exact value (deep equality) or a predicate. */
export type AttrConstraint = AttrValue | ((value: AttrValue | undefined) => boolean);

/** Matches a value produced by an op of one of `kinds`. */
export interface OpPattern {
  readonly type: 'op';
  readonly kinds: readonly string[];
  /** Sub-patterns by input name; a variadic input takes a list. Unlisted inputs are not checked. */
  readonly inputs: Readonly<Record<string, ValuePattern | readonly ValuePattern[]>>;
  readonly attrs: Readonly<Record<string, AttrConstraint>>;
  /** Capture name for the op itself (read with `m.op(name)`). */
  readonly as?: string;
  /** Require the op's outputs to have exactly one use, none of them a function output. */
  readonly singleUse: boolean;
  /** Also try inputs `x` and `y` swapped. Defaults to true for add, mul, maximum, minimum, equal, not_equal. */
  readonly commutative: boolean;
  /** Which output of the op the parent refers to (default 0). */
  readonly output: number;
  /** Extra condition on the op. */
  readonly where?: (op: Op) => boolean;
}

/** Binds a value to a name; the same name must bind the same value everywhere in a match. */
export interface CapturePattern {
  readonly type: 'capture';
  readonly name: string;
  readonly inner?: ValuePattern;
}

/** Matches anything (an omitted optional input included). */
export interface AnyPattern {
  readonly type: 'any';
}

/** Matches an omitted optional input only. */
export interface AbsentPattern {
  readonly type: 'absent';
}

/** Matches a value produced by a `const` op, optionally a splat close to a number. */
export interface ConstPattern {
  readonly type: 'const';
  /** Capture name (read the tensor with `m.tensor(name)`, the splat with `m.splat(name)`). */
  readonly name?: string;
  /** Require every element to equal this number (within `rel`), or satisfy a predicate. */
  readonly splat?: number | ((v: number) => boolean);
  /** Relative tolerance for a numeric `splat` (default 1e-3, so fp16-rounded constants match). */
  readonly rel: number;
}

/** Matches when any of the alternatives matches (the first one wins). */
export interface OneOfPattern {
  readonly type: 'oneOf';
  readonly options: readonly ValuePattern[];
}

/** Any value pattern. */
export type ValuePattern = OpPattern | CapturePattern | AnyPattern | AbsentPattern | ConstPattern | OneOfPattern;

/** Options of {@link op}. */
export interface OpPatternOptions {
  readonly attrs?: Readonly<Record<string, AttrConstraint>>;
  readonly as?: string;
  readonly singleUse?: boolean;
  readonly commutative?: boolean;
  readonly output?: number;
  readonly where?: (op: Op) => boolean;
}

/** An op matcher. `kind` may list alternatives (`['mul', 'div']`). */
export function op(kind: string | readonly string[], inputs: Readonly<Record<string, ValuePattern | readonly ValuePattern[]>> = {}, opts: OpPatternOptions = {}): OpPattern {
  const kinds = typeof kind === 'string' ? [kind] : [...kind];
  if (kinds.length === 0) throw passError('E_PATTERN', 'an op pattern needs at least one op kind');
  const commutative = opts.commutative ?? kinds.every(isCommutative);
  return {
    type: 'op',
    kinds,
    inputs,
    attrs: opts.attrs ?? {},
    ...(opts.as !== undefined ? { as: opts.as } : {}),
    singleUse: opts.singleUse ?? false,
    commutative,
    output: opts.output ?? 0,
    ...(opts.where ? { where: opts.where } : {}),
  };
}

/** Captures the value under `name`, optionally also matching `inner`. */
export function capture(name: string, inner?: ValuePattern): CapturePattern {
  return inner ? { type: 'capture', name, inner } : { type: 'capture', name };
}

/** Matches any value. */
export function any(): AnyPattern {
  return { type: 'any' };
}

/** Matches an omitted optional input. */
export function absent(): AbsentPattern {
  return { type: 'absent' };
}

/** Matches a constant; `splat` requires all elements to equal a number or satisfy a predicate. */
export function constant(opts: { name?: string; splat?: number | ((v: number) => boolean); rel?: number } = {}): ConstPattern {
  return {
    type: 'const',
    ...(opts.name !== undefined ? { name: opts.name } : {}),
    ...(opts.splat !== undefined ? { splat: opts.splat } : {}),
    rel: opts.rel ?? 1e-3,
  };
}

/** Matches the first alternative that matches. */
export function oneOf(...options: ValuePattern[]): OneOfPattern {
  if (options.length === 0) throw passError('E_PATTERN', 'oneOf needs at least one alternative');
  return { type: 'oneOf', options };
}

/** The replacement of a matched root: one value per root output, or null to decline. */
export type RewriteResult = Value | readonly Value[] | null | undefined;

/** A declarative rewrite: match `root`, check `where`, build the replacement. */
export interface RewritePattern {
  readonly name: string;
  readonly root: OpPattern;
  /** Condition over the captures, checked after a structural match. */
  readonly where?: (m: Match) => boolean;
  /**
   * Builds the replacement with `b` (ops are inserted before the root) and returns the values
   * replacing the root's outputs. Returning null or undefined declines: the ops built are
   * discarded.
   */
  readonly rewrite: (m: Match, b: RewriteBuilder) => RewriteResult;
  /** Higher benefit patterns are tried first on the same root kind (default 1). */
  readonly benefit?: number;
}

/** Declares a pattern, checking that its captures are well formed. */
export function pattern(p: RewritePattern): RewritePattern {
  if (p.root.type !== 'op') throw passError('E_PATTERN', `pattern '${p.name}': the root must be an op pattern`, { where: p.name });
  const seen = new Map<string, 'value' | 'op'>();
  const visit = (vp: ValuePattern): void => {
    switch (vp.type) {
      case 'op':
        if (vp.as !== undefined) note(vp.as, 'op');
        for (const sub of Object.values(vp.inputs)) {
          if (Array.isArray(sub)) (sub as readonly ValuePattern[]).forEach(visit);
          else visit(sub as ValuePattern);
        }
        return;
      case 'capture':
        note(vp.name, 'value');
        if (vp.inner) visit(vp.inner);
        return;
      case 'const':
        if (vp.name !== undefined) note(vp.name, 'value');
        return;
      case 'oneOf':
        vp.options.forEach(visit);
        return;
      default:
        return;
    }
  };
  const note = (name: string, kind: 'value' | 'op'): void => {
    const prev = seen.get(name);
    if (prev !== undefined && prev !== kind) {
      throw passError('E_PATTERN', `pattern '${p.name}': '${name}' names both an op and a value`, { where: p.name });
    }
    seen.set(name, kind);
  };
  visit(p.root);
  return p;
}
