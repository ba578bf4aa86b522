/**
 * The pass contract: a named, documented transformation of a {@link Program} with a typed
 * option schema. Passes mutate the program they are given; the {@link PassManager} hands them
 * a clone and verifies the result.
 * @module
 */
import type { Program } from '@fastvlm/graph';
import { passError } from './errors.js';
import { type OptionSchema, type OptionsOf, checkSchema } from './options.js';

/** What a pass sees besides the program. */
export interface PassContext<O = Readonly<Record<string, unknown>>> {
  /** The pass's own name (for error messages). */
  readonly passName: string;
  /** Resolved options: every option of the schema, validated and with defaults applied. */
  readonly options: O;
  /** Records a remark (shown in the pipeline statistics), e.g. why a candidate was skipped. */
  note(message: string): void;
}

/**
 * A transformation of a program. `name` is a verb phrase in kebab case (`fold-constants`),
 * `doc` shows the IR before and after in the text form, `options` describes every option.
 */
export interface Pass<S extends OptionSchema = OptionSchema> {
  readonly name: string;
  /** One line: what the pass does. */
  readonly summary: string;
  /** Markdown: when it applies, the IR before and after, the options. */
  readonly doc: string;
  readonly options: S;
  /** Rewrites `program` in place. */
  run(program: Program, ctx: PassContext<OptionsOf<S>>): void;
}

/** A pass of any option schema (for registries and pipelines). */
export type AnyPass = Pass<OptionSchema>;

/** Pass names: lowercase words joined by dashes, starting with a verb by convention. */
export const PASS_NAME_RE = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/**
 * Declares a pass, checking its name and option schema (defaults inside their ranges). The
 * `const` type parameter keeps enum option values as literal types.
 */
export function definePass<const S extends OptionSchema>(pass: Pass<S>): Pass<S> {
  if (!PASS_NAME_RE.test(pass.name)) {
    throw passError('E_PASS_DEFINITION', `pass name '${pass.name}' must be kebab case (${PASS_NAME_RE.source})`, { where: pass.name });
  }
  if (typeof pass.run !== 'function') throw passError('E_PASS_DEFINITION', `pass '${pass.name}' has no run function`, { where: pass.name });
  checkSchema(pass.name, pass.options);
  return pass;
}
