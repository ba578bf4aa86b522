/**
 * Typed pass options: a schema per pass (kinds, defaults, ranges, docs), validation with coded
 * errors naming the pass and the option, and the TypeScript type a schema describes.
 * @module
 */
import { passError } from './errors.js';

/** An integer option with an inclusive range. */
export interface IntOptionSpec {
  readonly kind: 'int';
  readonly default: number;
  readonly min?: number;
  readonly max?: number;
  readonly doc: string;
}

/** A finite number option with an inclusive range. */
export interface NumberOptionSpec {
  readonly kind: 'number';
  readonly default: number;
  readonly min?: number;
  readonly max?: number;
  readonly doc: string;
}

/** A boolean option. */
export interface BoolOptionSpec {
  readonly kind: 'bool';
  readonly default: boolean;
  readonly doc: string;
}

/** One of a fixed set of strings. */
export interface EnumOptionSpec<V extends string = string> {
  readonly kind: 'enum';
  readonly values: readonly V[];
  readonly default: V;
  readonly doc: string;
}

/** A list of strings (e.g. op kinds a pass should consider). */
export interface StringsOptionSpec {
  readonly kind: 'strings';
  readonly default: readonly string[];
  readonly doc: string;
}

/** Any option specification. */
export type OptionSpec = IntOptionSpec | NumberOptionSpec | BoolOptionSpec | EnumOptionSpec | StringsOptionSpec;

/** A pass's options by name. */
export type OptionSchema = Readonly<Record<string, OptionSpec>>;

/** The value type one option specification describes. */
export type OptionValue<O extends OptionSpec> = O extends IntOptionSpec | NumberOptionSpec
  ? number
  : O extends BoolOptionSpec
    ? boolean
    : O extends EnumOptionSpec<infer V>
      ? V
      : O extends StringsOptionSpec
        ? readonly string[]
        : never;

/** The resolved options (every option present) a schema describes. */
export type OptionsOf<S extends OptionSchema> = { readonly [K in keyof S]: OptionValue<S[K]> };

/** Options as a caller gives them: any subset. */
export type PartialOptionsOf<S extends OptionSchema> = { readonly [K in keyof S]?: OptionValue<S[K]> };

function describeValue(v: unknown): string {
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

function rangeText(spec: IntOptionSpec | NumberOptionSpec): string {
  if (spec.min !== undefined && spec.max !== undefined) return ` in [${spec.min}, ${spec.max}]`;
  if (spec.min !== undefined) return ` >= ${spec.min}`;
  if (spec.max !== undefined) return ` <= ${spec.max}`;
  return '';
}

/** Checks a schema itself (defaults inside their own ranges); throws E_PASS_DEFINITION. */
export function checkSchema(passName: string, schema: OptionSchema): void {
  for (const [name, spec] of Object.entries(schema)) {
    try {
      checkValue(passName, name, spec, spec.default);
    } catch (e) {
      throw passError('E_PASS_DEFINITION', `pass '${passName}': the default of option '${name}' is invalid`, { where: `${passName}.${name}`, cause: e });
    }
  }
}

function checkValue(passName: string, name: string, spec: OptionSpec, v: unknown): void {
  const where = `${passName}.${name}`;
  const fail = (expected: string): never => {
    throw passError('E_PASS_OPTION', `pass '${passName}': option '${name}' must be ${expected}, got ${describeValue(v)}`, {
      where,
      details: { pass: passName, option: name, expected, found: describeValue(v) },
    });
  };
  switch (spec.kind) {
    case 'int':
    case 'number': {
      const what = spec.kind === 'int' ? 'an integer' : 'a finite number';
      if (typeof v !== 'number' || !Number.isFinite(v) || (spec.kind === 'int' && !Number.isSafeInteger(v))) fail(`${what}${rangeText(spec)}`);
      const n = v as number;
      if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) fail(`${what}${rangeText(spec)}`);
      return;
    }
    case 'bool':
      if (typeof v !== 'boolean') fail('a boolean');
      return;
    case 'enum':
      if (typeof v !== 'string' || !spec.values.includes(v)) fail(`one of ${spec.values.map((x) => `'${x}'`).join(', ')}`);
      return;
    case 'strings':
      if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) fail('a list of strings');
      return;
  }
}

/**
 * Validates options given for a pass and fills in defaults. Unknown names, wrong kinds and
 * out-of-range values throw `E_PASS_OPTION` naming the pass, the option, what was expected and
 * what was found.
 */
export function resolveOptions<S extends OptionSchema>(passName: string, schema: S, given: Readonly<Record<string, unknown>> = {}): OptionsOf<S> {
  if (given === null || typeof given !== 'object' || Array.isArray(given)) {
    throw passError('E_PASS_OPTION', `pass '${passName}': options must be an object, got ${describeValue(given)}`, { where: passName });
  }
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(given)) {
    if (!Object.prototype.hasOwnProperty.call(schema, k)) {
      const known = Object.keys(schema);
      throw passError('E_PASS_OPTION', `pass '${passName}' has no option '${k}' (options: ${known.length ? known.join(', ') : 'none'})`, {
        where: `${passName}.${k}`,
        details: { pass: passName, option: k },
      });
    }
  }
  for (const [name, spec] of Object.entries(schema)) {
    const v = given[name];
    if (v === undefined) {
      out[name] = Array.isArray(spec.default) ? [...(spec.default as readonly string[])] : spec.default;
      continue;
    }
    checkValue(passName, name, spec, v);
    out[name] = Array.isArray(v) ? [...(v as string[])] : v;
  }
  return out as OptionsOf<S>;
}

/** A one-line description of an option for docs: `maxElements: int in [1, 1048576] = 65536`. */
export function describeOption(name: string, spec: OptionSpec): string {
  const kind = spec.kind === 'enum' ? spec.values.map((v) => `'${v}'`).join(' | ') : spec.kind;
  const range = spec.kind === 'int' || spec.kind === 'number' ? rangeText(spec) : '';
  const def = spec.kind === 'enum' ? `'${spec.default}'` : describeValue(spec.default);
  return `${name}: ${kind}${range} = ${def}`;
}
