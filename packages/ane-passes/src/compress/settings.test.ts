import { describe, expect, it } from 'vitest';

import { type PalettizeSettings, PALETTIZE_KEYS, QUANTIZE_KEYS, type QuantizeSettings, checkPalettizeSettings, checkQuantizeSettings, globToRegExp, parseRules, resolveSettings } from './settings.js';
import { errorCode } from '../../../graph/src/testing/errors.js';

const BASE: PalettizeSettings = { nbits: 4, mode: 'kmeans', granularity: 'per_tensor', groupSize: 32, channelAxis: -1, weightThreshold: 2048 };
const QBASE: QuantizeSettings = { dtype: 'int8', mode: 'linear_symmetric', granularity: 'per_channel', blockSize: 32, weightThreshold: 2048 };

describe('compression rules', () => {
  it('parses op and name rules over the base settings', () => {
    const r = parseRules(['op:linear nbits=6', 'name:lm_head* nbits=6 granularity=per_grouped_channel groupSize=8', 'name:*embed* skip'], BASE, PALETTIZE_KEYS, checkPalettizeSettings);
    expect(r.global).toEqual(BASE);
    expect(r.opTypes).toEqual({ linear: { ...BASE, nbits: 6 } });
    expect(r.names).toEqual([
      { pattern: 'lm_head*', settings: { ...BASE, nbits: 6, granularity: 'per_grouped_channel', groupSize: 8 } },
      { pattern: '*embed*', settings: null },
    ]);
  });

  it('picks the first matching name rule, then op rules, then the global setting', () => {
    const r = parseRules(['op:conv2d nbits=2', 'name:*.mlp.* nbits=8', 'name:model.* skip'], BASE, PALETTIZE_KEYS, checkPalettizeSettings);
    expect(resolveSettings(r, ['model.layers.0.mlp.up.weight'], ['linear'], 'w')?.nbits).toBe(8);
    expect(resolveSettings(r, ['model.layers.0.attn.q.weight'], ['linear'], 'w')).toBeNull();
    expect(resolveSettings(r, ['x', 'other.name'], ['conv2d'], 'w')?.nbits).toBe(2);
    expect(resolveSettings(r, ['x'], ['linear', 'matmul'], 'w')).toEqual(BASE);
    expect(resolveSettings(r, ['x'], [], 'w')).toEqual(BASE);
  });

  it('refuses a weight whose consumers select different settings (E_COMPRESS_CONFIG)', () => {
    const r = parseRules(['op:conv2d nbits=2'], BASE, PALETTIZE_KEYS, checkPalettizeSettings);
    expect(errorCode(() => resolveSettings(r, ['w'], ['conv2d', 'linear'], 'w'))).toBe('E_COMPRESS_CONFIG');
  });

  it('reports malformed rules with E_COMPRESS_CONFIG naming the rule', () => {
    const bad = ['', 'linear nbits=4', 'op:linear', 'op:linear nbits', 'op:linear bits=4', 'op:linear nbits=5', 'op:linear nbits=x', 'name:a mode=fancy', 'op:linear groupSize=0', 'name:a skip nbits=4'];
    for (const rule of bad) expect(errorCode(() => parseRules([rule], BASE, PALETTIZE_KEYS, checkPalettizeSettings)), rule).toBe('E_COMPRESS_CONFIG');
    expect(errorCode(() => parseRules(['op:linear dtype=int3'], QBASE, QUANTIZE_KEYS, checkQuantizeSettings))).toBe('E_COMPRESS_CONFIG');
    expect(errorCode(() => parseRules(['op:linear nbits=4'], null, PALETTIZE_KEYS, checkPalettizeSettings))).toBe('E_COMPRESS_CONFIG');
    try {
      parseRules(['op:linear nbits=5'], BASE, PALETTIZE_KEYS, checkPalettizeSettings);
    } catch (e) {
      expect(String(e)).toContain("rule 'op:linear nbits=5'");
      expect(String(e)).toContain('1, 2, 3, 4, 6, 8');
    }
    expect(errorCode(() => checkPalettizeSettings({ ...BASE, nbits: 7 as 4 }, 'x'))).toBe('E_COMPRESS_CONFIG');
  });

  it('parses quantization keys', () => {
    const r = parseRules(['name:lm_head* dtype=int4 granularity=per_block blockSize=64 mode=linear'], QBASE, QUANTIZE_KEYS, checkQuantizeSettings);
    expect(r.names[0]!.settings).toEqual({ ...QBASE, dtype: 'int4', granularity: 'per_block', blockSize: 64, mode: 'linear' });
  });

  it('matches globs over whole names with * and ?', () => {
    expect(globToRegExp('lm_head*').test('lm_head.weight')).toBe(true);
    expect(globToRegExp('lm_head*').test('x.lm_head')).toBe(false);
    expect(globToRegExp('a?c').test('abc')).toBe(true);
    expect(globToRegExp('a.c').test('abc')).toBe(false);
    expect(globToRegExp('*(1)*').test('w(1)x')).toBe(true);
  });
});
