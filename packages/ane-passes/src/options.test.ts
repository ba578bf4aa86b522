import { describe, expect, it } from 'vitest';
import fc from 'fast-check';

import { checkSchema, describeOption, resolveOptions } from './options.js';
import { definePass } from './pass.js';
import { errorCode, fastVlmError } from '../../graph/src/testing/errors.js';

const schema = {
  count: { kind: 'int', default: 4, min: 1, max: 10, doc: 'a count' },
  ratio: { kind: 'number', default: 0.5, min: 0, max: 1, doc: 'a ratio' },
  on: { kind: 'bool', default: false, doc: 'a switch' },
  mode: { kind: 'enum', values: ['a', 'b'], default: 'a', doc: 'a mode' },
  kinds: { kind: 'strings', default: ['x'], doc: 'kinds' },
} as const;

describe('resolveOptions', () => {
  it('fills defaults and keeps given values', () => {
    expect(resolveOptions('p', schema, {})).toEqual({ count: 4, ratio: 0.5, on: false, mode: 'a', kinds: ['x'] });
    expect(resolveOptions('p', schema, { count: 10, mode: 'b', kinds: [] })).toEqual({ count: 10, ratio: 0.5, on: false, mode: 'b', kinds: [] });
  });

  it('names the pass, the option, the expectation and the value when out of range', () => {
    const e = fastVlmError(() => resolveOptions('my-pass', schema, { count: 11 }), 'E_PASS_OPTION');
    const msg = e.message;
    expect(msg).toContain("'my-pass'");
    expect(msg).toContain("'count'");
    expect(msg).toContain('[1, 10]');
    expect(msg).toContain('11');
  });

  it('rejects unknown options, wrong kinds, non-integers, NaN and bad enum values', () => {
    expect(errorCode(() => resolveOptions('p', schema, { nope: 1 }))).toBe('E_PASS_OPTION');
    expect(errorCode(() => resolveOptions('p', schema, { count: 2.5 }))).toBe('E_PASS_OPTION');
    expect(errorCode(() => resolveOptions('p', schema, { ratio: Number.NaN }))).toBe('E_PASS_OPTION');
    expect(errorCode(() => resolveOptions('p', schema, { ratio: Infinity }))).toBe('E_PASS_OPTION');
    expect(errorCode(() => resolveOptions('p', schema, { on: 1 }))).toBe('E_PASS_OPTION');
    expect(errorCode(() => resolveOptions('p', schema, { mode: 'c' }))).toBe('E_PASS_OPTION');
    expect(errorCode(() => resolveOptions('p', schema, { kinds: [1] }))).toBe('E_PASS_OPTION');
    expect(errorCode(() => resolveOptions('p', schema, null as never))).toBe('E_PASS_OPTION');
  });

  it('accepts exactly the integers inside the range (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -20, max: 20 }), (n) => {
        const c = errorCode(() => resolveOptions('p', schema, { count: n }));
        expect(c).toBe(n >= 1 && n <= 10 ? 'ok' : 'E_PASS_OPTION');
      }),
    );
  });

  it('never throws anything but a coded error on arbitrary values (property)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom('count', 'ratio', 'on', 'mode', 'kinds', 'zzz'), fc.anything()), (given) => {
        const c = errorCode(() => resolveOptions('p', schema, given));
        expect(['ok', 'E_PASS_OPTION']).toContain(c);
      }),
    );
  });
});

describe('schemas and pass definitions', () => {
  it('rejects a default outside its own range', () => {
    expect(errorCode(() => checkSchema('p', { n: { kind: 'int', default: 0, min: 1, doc: '' } }))).toBe('E_PASS_DEFINITION');
  });

  it('rejects pass names that are not kebab case', () => {
    const run = (): void => undefined;
    expect(errorCode(() => definePass({ name: 'FoldConstants', summary: '', doc: '', options: {}, run }))).toBe('E_PASS_DEFINITION');
    expect(errorCode(() => definePass({ name: 'fold-constants', summary: '', doc: '', options: {}, run }))).toBe('ok');
  });

  it('describes options for docs', () => {
    expect(describeOption('count', schema.count)).toBe('count: int in [1, 10] = 4');
    expect(describeOption('mode', schema.mode)).toBe("mode: 'a' | 'b' = 'a'");
  });
});
