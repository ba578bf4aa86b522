import { describe, expect, it } from 'vitest';
import { FastVlmError, graphError, ioError, isFastVlmError } from './errors.js';
import { parseProgram } from './index.js';
import { fastVlmError } from './testing/errors.js';

describe('FastVlmError', () => {
  it('keeps code, detail, where and loc apart; message joins them', () => {
    const e = new FastVlmError('E_ATTR', "axis 3 is out of range for rank 2 (found '[at x]')", { where: 'op %y', loc: { file: 'm.mlir', line: 4, col: 7 } });
    expect(e.code).toBe('E_ATTR');
    expect(e.detail).toBe("axis 3 is out of range for rank 2 (found '[at x]')");
    expect(e.where).toBe('op %y');
    expect(e.loc).toEqual({ file: 'm.mlir', line: 4, col: 7 });
    expect(e.message).toBe("m.mlir:4:7: E_ATTR: axis 3 is out of range for rank 2 (found '[at x]') [at op %y]");
    const plain = graphError('E_NAME', 'no name');
    expect([plain.detail, plain.message, plain.where, plain.loc]).toEqual(['no name', 'E_NAME: no name', undefined, undefined]);
  });

  it('errors re-raised with a location keep the detail as it was (no message parsed back)', () => {
    // The parser re-raises the op's validation error with the line of the op: the detail is the
    // validation's, prefixed by nothing, even when it contains text that looks like a suffix.
    const e = fastVlmError(() => parseProgram('func main(%x: fp32[2]) -> (%y) {\n  %y = softmax(x=%x) {axis=5} : fp32[2]\n  return %y\n}\n', undefined, { file: 'a.mlir' }), 'E_ATTR');
    expect(e.loc?.line).toBe(2);
    expect(e.detail).not.toMatch(/E_ATTR|a\.mlir/);
    expect(e.message.startsWith(`a.mlir:2`)).toBe(true);
    expect(e.message).toContain(`E_ATTR: ${e.detail}`);
  });

  it('ioError: ENOSPC and EDQUOT are E_NO_SPACE, other system errors E_IO, coded errors pass through', () => {
    const sys = (code: string): Error => Object.assign(new Error(`${code}: failed`), { code });
    for (const c of ['ENOSPC', 'EDQUOT']) {
      const e = ioError(sys(c), 'write', '/d/f');
      expect([e.code, e.where, e.details.syscode, e.detail]).toEqual(['E_NO_SPACE', '/d/f', c, `no space left while trying to write '/d/f' (${c}: failed)`]);
    }
    const e = ioError(sys('EACCES'), 'read', '/d/g');
    expect([e.code, e.where, e.details.syscode, e.detail]).toEqual(['E_IO', '/d/g', 'EACCES', "could not read '/d/g': EACCES: failed"]);
    expect(ioError('weird', 'read', '/x').details.syscode).toBe('unknown');
    const coded = graphError('E_PARSE', 'bad');
    expect(ioError(coded, 'read', '/x')).toBe(coded);
    expect(isFastVlmError(e, 'E_IO')).toBe(true);
  });
});
