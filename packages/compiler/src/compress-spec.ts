/**
 * The compression setting (`--compress` on the command line): a default scheme and per-group
 * overrides, e.g. `lut4`, `int8`, `lut4,lm_head=lut6` or `ffn=lut4,lm_head=lut6` (only those
 * weights). Errors are `E_COMPILE_OPTION` with `details.option` = `compress`.
 * @module
 */
import { optionError } from './errors.js';

/** Weight compression schemes. */
export const COMPRESS_MODES = ['lut4', 'lut6', 'int8', 'int4-block', 'none'] as const;

/** A compression scheme; `none` keeps a group dense. */
export type CompressMode = (typeof COMPRESS_MODES)[number];

/**
 * Named weight groups of FastVLM, as patterns over checkpoint names (`*` matches any run of
 * characters): the LLM's feed-forward and attention projections, its embedding and head, the
 * vision tower and the projector. Weights the passes derive keep their origin's name as a
 * prefix (`lm_head.weight.part3`), hence the trailing `*`.
 */
export const COMPRESS_GROUPS: Readonly<Record<string, readonly string[]>> = {
  ffn: ['model.layers.*.mlp.*'],
  attn: ['model.layers.*.self_attn.*'],
  lm_head: ['lm_head.weight*'],
  embed: ['model.embed_tokens.weight*'],
  vision: ['model.vision_tower.*'],
  projector: ['model.mm_projector.*'],
};

/** One override: the weights a selector picks and their scheme. */
export interface CompressRule {
  /** The selector as written: a group name or a weight-name pattern. */
  readonly selector: string;
  /** Weight-name patterns (`*` = any characters). */
  readonly patterns: readonly string[];
  readonly mode: CompressMode;
}

/** A parsed compression setting. */
export interface CompressSpec {
  /** The scheme of every weight no rule picks; undefined = only the rules' weights. */
  readonly default: CompressMode | undefined;
  /** Overrides, in the order given; a later rule wins over an earlier one. */
  readonly rules: readonly CompressRule[];
  /** The canonical text (as given, trimmed), for metadata and reports. */
  readonly text: string;
}

function parseMode(raw: string, where: string): CompressMode {
  if (!(COMPRESS_MODES as readonly string[]).includes(raw)) {
    throw optionError('compress', `unknown scheme '${raw}'${where}; allowed: ${COMPRESS_MODES.join(', ')}`, { found: raw, allowed: COMPRESS_MODES });
  }
  return raw as CompressMode;
}

/**
 * Parses a compression setting: comma-separated items, each a scheme (the default, at most once) or
 * `SELECTOR=SCHEME` where SELECTOR is a group of {@link COMPRESS_GROUPS} or a weight-name
 * pattern (containing `.` or `*`).
 */
export function parseCompressSpec(text: string): CompressSpec {
  const items = text.split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) throw optionError('compress', `expected SCHEME[,SELECTOR=SCHEME...], found '${text}'`, { found: text });
  let def: CompressMode | undefined;
  const rules: CompressRule[] = [];
  const seen = new Set<string>();
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq < 0) {
      if (def !== undefined) throw optionError('compress', `two default schemes ('${def}' and '${item}'); give one, and SELECTOR=SCHEME for the rest`, { found: text });
      def = parseMode(item, '');
      continue;
    }
    const selector = item.slice(0, eq).trim();
    const mode = parseMode(item.slice(eq + 1).trim(), ` for '${selector}'`);
    let patterns: readonly string[];
    if (Object.prototype.hasOwnProperty.call(COMPRESS_GROUPS, selector)) patterns = COMPRESS_GROUPS[selector]!;
    else if (/^[A-Za-z0-9_.*]+$/.test(selector) && /[.*]/.test(selector)) patterns = [selector];
    else {
      throw optionError('compress', `unknown selector '${selector}'; groups: ${Object.keys(COMPRESS_GROUPS).join(', ')}, or a weight-name pattern such as 'model.layers.*.mlp.*'`, {
        found: selector,
        allowed: Object.keys(COMPRESS_GROUPS),
      });
    }
    if (seen.has(selector)) throw optionError('compress', `selector '${selector}' is given twice`, { found: text });
    seen.add(selector);
    rules.push({ selector, patterns, mode });
  }
  return { default: def, rules, text: items.join(',') };
}

/** True when `name` matches `pattern` (`*` = any run of characters, everything else literal). */
export function matchesPattern(name: string, pattern: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return re.test(name);
}

/** The scheme `spec` gives the weight `name` (the last matching rule, else the default). */
export function modeFor(spec: CompressSpec, name: string): CompressMode | undefined {
  for (let i = spec.rules.length - 1; i >= 0; i--) {
    const r = spec.rules[i]!;
    if (r.patterns.some((p) => matchesPattern(name, p))) return r.mode;
  }
  return spec.default;
}
