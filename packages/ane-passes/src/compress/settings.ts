/**
 * Compression settings and the rules choosing them per weight: a global setting, settings by
 * the kind of op consuming the weight (`op:linear`) and by name pattern (`name:lm_head*`),
 * each possibly `skip` (leave the weight dense). A name rule wins over op rules, which win
 * over the global setting; the first matching name rule is used. As in coremltools, a weight
 * consumed by ops whose kinds select different settings is an error.
 *
 * Rules are also written as text (the `rules` option of the passes), one rule per string:
 * `SELECTOR [skip | KEY=VALUE ...]`, where SELECTOR is `op:KIND` or `name:GLOB` (`*` and `?`
 * wildcards, matched against the weight's name in the store and the const's value name) and
 * the keys are those of the pass's options, e.g. `name:lm_head* nbits=6 groupSize=8`.
 * @module
 */
import { compressError } from './errors.js';
import type { QuantDType } from './linear.js';
import { PALETTE_NBITS, type PaletteMode, type PaletteNbits } from './palettize.js';

/** Settings of palettization for one weight. */
export interface PalettizeSettings {
  readonly nbits: PaletteNbits;
  readonly mode: PaletteMode;
  readonly granularity: 'per_tensor' | 'per_grouped_channel';
  /** Output channels per table (per_grouped_channel); must divide the channel count. */
  readonly groupSize: number;
  /** Channel axis of the groups; -1 picks it from the consuming ops (output channels). */
  readonly channelAxis: number;
  /** Weights with at most this many elements stay dense. */
  readonly weightThreshold: number;
}

/** Settings of linear quantization for one weight. */
export interface QuantizeSettings {
  readonly dtype: QuantDType;
  readonly mode: 'linear_symmetric' | 'linear';
  readonly granularity: 'per_tensor' | 'per_channel' | 'per_block';
  /** Input channels per block (per_block); must divide the input channel count. */
  readonly blockSize: number;
  /** Weights with at most this many elements stay dense. */
  readonly weightThreshold: number;
}

/** Which settings (or `null`: stay dense) each weight gets. */
export interface CompressionRules<S> {
  readonly global: S | null;
  /** By the kind of a consuming op (`linear`, `conv2d`, `matmul`, `gather`, ...). */
  readonly opTypes: Readonly<Record<string, S | null>>;
  /** By glob over the weight's name; the first match wins. */
  readonly names: readonly { readonly pattern: string; readonly settings: S | null }[];
}

/** Compiles a glob (`*` any run, `?` one character) to an anchored RegExp. */
export function globToRegExp(pattern: string): RegExp {
  const src = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${src}$`);
}

/** The settings of a weight named `names` (any may match) consumed by ops of `kinds`. */
export function resolveSettings<S>(rules: CompressionRules<S>, names: readonly string[], kinds: readonly string[], where: string): S | null {
  for (const r of rules.names) {
    const re = globToRegExp(r.pattern);
    if (names.some((n) => re.test(n))) return r.settings;
  }
  let chosen: { kind: string; s: S | null } | undefined;
  for (const k of kinds) {
    const s = Object.prototype.hasOwnProperty.call(rules.opTypes, k) ? rules.opTypes[k]! : rules.global;
    if (chosen === undefined) chosen = { kind: k, s };
    else if (JSON.stringify(chosen.s) !== JSON.stringify(s)) {
      throw compressError('E_COMPRESS_CONFIG', `weight ${where} feeds ${chosen.kind} and ${k}, whose rules ask for different settings (${JSON.stringify(chosen.s)} vs ${JSON.stringify(s)}); add a name rule for it`, {
        where,
      });
    }
  }
  return chosen === undefined ? rules.global : chosen.s;
}

/** How one key of a rule is parsed and checked. */
export type KeyParser<S> = (value: string, into: Record<string, unknown>, rule: string) => void;

function ruleError(rule: string, msg: string): Error {
  return compressError('E_COMPRESS_CONFIG', `rule '${rule}': ${msg}`, { where: rule });
}

function intValue(rule: string, key: string, v: string, min: number): number {
  const n = Number(v);
  if (!/^-?\d+$/.test(v) || !Number.isSafeInteger(n) || n < min) throw ruleError(rule, `${key} must be an integer >= ${min}, got '${v}'`);
  return n;
}

function enumValue<T extends string>(rule: string, key: string, v: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(v)) throw ruleError(rule, `${key} must be one of ${allowed.join(', ')}, got '${v}'`);
  return v as T;
}

/** Parsers of the palettization keys. */
export const PALETTIZE_KEYS: Readonly<Record<string, KeyParser<PalettizeSettings>>> = {
  nbits: (v, o, r) => {
    const n = intValue(r, 'nbits', v, 1);
    if (!(PALETTE_NBITS as readonly number[]).includes(n)) throw ruleError(r, `nbits must be one of ${PALETTE_NBITS.join(', ')}, got ${n}`);
    o.nbits = n;
  },
  mode: (v, o, r) => (o.mode = enumValue(r, 'mode', v, ['kmeans', 'uniform'] as const)),
  granularity: (v, o, r) => (o.granularity = enumValue(r, 'granularity', v, ['per_tensor', 'per_grouped_channel'] as const)),
  groupSize: (v, o, r) => (o.groupSize = intValue(r, 'groupSize', v, 1)),
  channelAxis: (v, o, r) => (o.channelAxis = intValue(r, 'channelAxis', v, -1)),
  weightThreshold: (v, o, r) => (o.weightThreshold = intValue(r, 'weightThreshold', v, 0)),
};

/** Parsers of the quantization keys. */
export const QUANTIZE_KEYS: Readonly<Record<string, KeyParser<QuantizeSettings>>> = {
  dtype: (v, o, r) => (o.dtype = enumValue(r, 'dtype', v, ['int8', 'uint8', 'int4', 'uint4'] as const)),
  mode: (v, o, r) => (o.mode = enumValue(r, 'mode', v, ['linear_symmetric', 'linear'] as const)),
  granularity: (v, o, r) => (o.granularity = enumValue(r, 'granularity', v, ['per_tensor', 'per_channel', 'per_block'] as const)),
  blockSize: (v, o, r) => (o.blockSize = intValue(r, 'blockSize', v, 1)),
  weightThreshold: (v, o, r) => (o.weightThreshold = intValue(r, 'weightThreshold', v, 0)),
};

/** Checks palettization settings (nbits, group size), throwing E_COMPRESS_CONFIG. */
export function checkPalettizeSettings(s: PalettizeSettings, where: string): PalettizeSettings {
  if (!(PALETTE_NBITS as readonly number[]).includes(s.nbits)) throw compressError('E_COMPRESS_CONFIG', `${where}: nbits must be one of ${PALETTE_NBITS.join(', ')}, got ${s.nbits}`, { where });
  if (!Number.isSafeInteger(s.groupSize) || s.groupSize < 1) throw compressError('E_COMPRESS_CONFIG', `${where}: groupSize must be an integer >= 1, got ${s.groupSize}`, { where });
  if (!Number.isSafeInteger(s.channelAxis) || s.channelAxis < -1) throw compressError('E_COMPRESS_CONFIG', `${where}: channelAxis must be -1 (automatic) or an axis, got ${s.channelAxis}`, { where });
  if (!Number.isSafeInteger(s.weightThreshold) || s.weightThreshold < 0) throw compressError('E_COMPRESS_CONFIG', `${where}: weightThreshold must be an integer >= 0, got ${s.weightThreshold}`, { where });
  return s;
}

/** Checks quantization settings, throwing E_COMPRESS_CONFIG. */
export function checkQuantizeSettings(s: QuantizeSettings, where: string): QuantizeSettings {
  if (!Number.isSafeInteger(s.blockSize) || s.blockSize < 1) throw compressError('E_COMPRESS_CONFIG', `${where}: blockSize must be an integer >= 1, got ${s.blockSize}`, { where });
  if (!Number.isSafeInteger(s.weightThreshold) || s.weightThreshold < 0) throw compressError('E_COMPRESS_CONFIG', `${where}: weightThreshold must be an integer >= 0, got ${s.weightThreshold}`, { where });
  return s;
}

/**
 * Parses rule strings over `base` settings (each rule's keys override the base). Errors
 * (`E_COMPRESS_CONFIG`) name the rule and the bad key or value.
 */
export function parseRules<S extends object>(rules: readonly string[], base: S | null, keys: Readonly<Record<string, KeyParser<S>>>, check: (s: S, where: string) => S): CompressionRules<S> {
  const opTypes: Record<string, S | null> = {};
  const names: { pattern: string; settings: S | null }[] = [];
  for (const rule of rules) {
    const tokens = rule.trim().split(/\s+/).filter(Boolean);
    const sel = tokens[0];
    if (sel === undefined) throw ruleError(rule, 'is empty; expected `op:KIND ...` or `name:GLOB ...`');
    const m = /^(op|name):(.+)$/.exec(sel);
    if (!m) throw ruleError(rule, `selector '${sel}' must be op:KIND or name:GLOB`);
    const rest = tokens.slice(1);
    let settings: S | null;
    if (rest.length === 1 && rest[0] === 'skip') settings = null;
    else {
      if (rest.length === 0) throw ruleError(rule, 'has no settings; give KEY=VALUE pairs or `skip`');
      if (base === null) throw ruleError(rule, 'sets keys but there are no base settings to override');
      const o: Record<string, unknown> = { ...(base as Record<string, unknown>) };
      for (const kv of rest) {
        const eq = kv.indexOf('=');
        if (eq <= 0) throw ruleError(rule, `'${kv}' is not KEY=VALUE (or a lone 'skip')`);
        const key = kv.slice(0, eq);
        const parse = Object.prototype.hasOwnProperty.call(keys, key) ? keys[key] : undefined;
        if (!parse) throw ruleError(rule, `unknown key '${key}' (keys: ${Object.keys(keys).join(', ')})`);
        parse(kv.slice(eq + 1), o, rule);
      }
      settings = check(o as S, `rule '${rule}'`);
    }
    if (m[1] === 'op') opTypes[m[2]!] = settings;
    else names.push({ pattern: m[2]!, settings });
  }
  return { global: base, opTypes, names };
}
