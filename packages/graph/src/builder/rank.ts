/**
 * Type-level rank arithmetic for the DSL's tensor handles. Ranks are number literals when known
 * at compile time and plain `number` when not; every helper here degrades to `number` rather
 * than to `never`, so a failed type-level computation never hides a real error.
 * @module
 */

/** Ranks the type-level helpers compute with; larger literals degrade to `number`. */
export type SmallRank = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10 | 11 | 12 | 13 | 14 | 15 | 16;

/** A tuple of length `N` (N a {@link SmallRank}). */
export type Tuple<N extends number, Acc extends readonly unknown[] = []> = Acc['length'] extends N ? Acc : Tuple<N, [...Acc, unknown]>;

/** True (as a type) when `R` is the wide `number` rather than a literal. */
export type IsWideRank<R extends number> = number extends R ? true : false;

/**
 * The larger of two ranks: the output rank of numpy broadcasting. `number` when either rank is
 * unknown or outside {@link SmallRank}.
 */
export type MaxRank<A extends number, B extends number> = number extends A
  ? number
  : number extends B
    ? number
    : [A] extends [SmallRank]
      ? [B] extends [SmallRank]
        ? Tuple<A> extends readonly [...Tuple<B>, ...unknown[]]
          ? A
          : B
        : number
      : number;

/**
 * An intersection member that makes a handle of literal rank `R` unassignable unless `R` is
 * `N`; unknown ranks (`number`) pass and are checked when the op is added. The property name
 * shows up in the compiler's message.
 */
export type RankCheck<R extends number, N extends number, Op extends string, Input extends string> = number extends R
  ? unknown
  : R extends N
    ? unknown
    : { readonly __rank_error__: `${Op}: input '${Input}' needs rank ${N}` };

/** The rank of a shape written as a tuple literal, `number` for a plain array. */
export type RankOf<S extends readonly unknown[]> = S['length'];
