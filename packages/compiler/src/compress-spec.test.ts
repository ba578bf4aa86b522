import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { COMPRESS_MODES, matchesPattern, modeFor, parseCompressSpec } from './compress-spec.js';
import { fastVlmError } from '../../graph/src/testing/errors.js';

function usage(text: string): string {
  return fastVlmError(() => parseCompressSpec(text), 'E_COMPILE_OPTION', `'${text}'`).message;
}

/** Naive reference: `*` matches any run of characters, by trying every split. */
function naiveMatch(name: string, pattern: string): boolean {
  if (pattern === '') return name === '';
  if (pattern[0] === '*') {
    for (let i = 0; i <= name.length; i++) if (naiveMatch(name.slice(i), pattern.slice(1))) return true;
    return false;
  }
  return name.length > 0 && name[0] === pattern[0] && naiveMatch(name.slice(1), pattern.slice(1));
}

describe('parseCompressSpec', () => {
  it('reads a default scheme and group or pattern overrides', () => {
    const s = parseCompressSpec('lut4, lm_head=lut6,model.layers.0.*=none');
    expect(s.default).toBe('lut4');
    expect(s.rules.map((r) => [r.selector, r.mode])).toEqual([
      ['lm_head', 'lut6'],
      ['model.layers.0.*', 'none'],
    ]);
    expect(s.text).toBe('lut4,lm_head=lut6,model.layers.0.*=none');
    expect(parseCompressSpec('ffn=int8').default).toBeUndefined();
  });

  it('gives every weight the last matching rule, else the default', () => {
    const s = parseCompressSpec('int8,ffn=lut4,model.layers.1.mlp.*=none,lm_head=lut6');
    expect(modeFor(s, 'model.layers.0.mlp.up_proj.weight')).toBe('lut4');
    expect(modeFor(s, 'model.layers.1.mlp.up_proj.weight')).toBe('none');
    expect(modeFor(s, 'lm_head.weight')).toBe('lut6');
    expect(modeFor(s, 'model.layers.0.self_attn.q_proj.weight')).toBe('int8');
    expect(modeFor(parseCompressSpec('attn=int4-block'), 'lm_head.weight')).toBeUndefined();
  });

  it('rejects malformed settings with the allowed values', () => {
    expect(usage('lut5')).toBe(`E_COMPILE_OPTION: compress: unknown scheme 'lut5'; allowed: ${COMPRESS_MODES.join(', ')}`);
    expect(usage('ffn=lut5')).toBe(`E_COMPILE_OPTION: compress: unknown scheme 'lut5' for 'ffn'; allowed: ${COMPRESS_MODES.join(', ')}`);
    expect(usage('lut4,int8')).toContain("two default schemes ('lut4' and 'int8')");
    expect(usage('lut4,,ffn=int8')).toContain('expected SCHEME[,SELECTOR=SCHEME...]');
    expect(usage('mlp=lut4')).toContain("unknown selector 'mlp'; groups: ffn, attn, lm_head, embed, vision, projector");
    expect(usage('ffn=lut4,ffn=lut6')).toContain("selector 'ffn' is given twice");
  });
});

describe('matchesPattern', () => {
  it('agrees with a naive backtracking matcher', () => {
    const alphabet = fc.constantFrom('a', 'b', '.', '_');
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 8 }).map((a) => a.join('')), fc.array(fc.constantFrom('a', 'b', '.', '*'), { maxLength: 6 }).map((a) => a.join('')), (name, pattern) => {
        expect(matchesPattern(name, pattern)).toBe(naiveMatch(name, pattern));
      }),
      { numRuns: 500 },
    );
  });
});
