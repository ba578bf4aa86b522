import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { writeFileAtomic } from './atomic-write.js';
import { graphError } from './errors.js';
import { fastVlmError } from './testing/errors.js';

const root = mkdtempSync(join(tmpdir(), 'atomic-write-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = (): string => {
  const d = join(root, `d${n++}`);
  mkdirSync(d);
  return d;
};

describe('writeFileAtomic', () => {
  it('writes text, bytes or streamed chunks, returns the byte count and leaves only the file', () => {
    const dir = freshDir();
    const f = join(dir, 'a.json');
    expect(writeFileAtomic(f, 'héllo\n')).toBe(7);
    expect(readFileSync(f, 'utf8')).toBe('héllo\n');
    expect(writeFileAtomic(f, Uint8Array.of(1, 2, 3), { fsync: false })).toBe(3);
    expect([...readFileSync(f)]).toEqual([1, 2, 3]);
    const streamed = writeFileAtomic(f, (write) => {
      for (let i = 0; i < 5; i++) write(new Uint8Array(1000).fill(i));
    });
    expect(streamed).toBe(5000);
    const back = readFileSync(f);
    expect(back.length).toBe(5000);
    expect([back[0], back[1999], back[2000], back[4999]]).toEqual([0, 1, 2, 4]);
    expect(readdirSync(dir)).toEqual(['a.json']);
  });

  it('a body that fails midway leaves the previous file and no temporary file; its error passes through', () => {
    const dir = freshDir();
    const f = join(dir, 'x.safetensors');
    writeFileSync(f, 'previous');
    const boom = graphError('E_WEIGHT_MISMATCH', 'source changed under us');
    const e = fastVlmError(() =>
      writeFileAtomic(f, (write) => {
        write(new Uint8Array(64));
        throw boom;
      }),
    );
    expect(e).toBe(boom);
    expect(readFileSync(f, 'utf8')).toBe('previous');
    expect(readdirSync(dir)).toEqual(['x.safetensors']);
  });

  it('a full disk is E_NO_SPACE naming the file; any other system error is E_IO', () => {
    const dir = freshDir();
    const f = join(dir, 'report.json');
    const full = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    const e = fastVlmError(() => writeFileAtomic(f, () => { throw full; }), 'E_NO_SPACE');
    expect(e.where).toBe(f);
    expect(e.details.syscode).toBe('ENOSPC');
    expect(e.detail).toBe(`no space left while trying to write '${f}' (ENOSPC: no space left on device, write)`);
    expect(readdirSync(dir)).toEqual([]);
    const missing = join(dir, 'no', 'such', 'dir', 'r.json');
    const m = fastVlmError(() => writeFileAtomic(missing, '{}'), 'E_IO');
    expect(m.where).toBe(missing);
    expect(m.details.syscode).toBe('ENOENT');
  });

  it('refuses to replace a directory, which stays as it was', () => {
    const dir = freshDir();
    const target = join(dir, 'out');
    mkdirSync(target);
    writeFileSync(join(target, 'keep'), 'k');
    const e = fastVlmError(() => writeFileAtomic(target, 'x'), 'E_IO');
    expect(e.where).toBe(target);
    expect(readdirSync(dir)).toEqual(['out']);
    expect(readFileSync(join(target, 'keep'), 'utf8')).toBe('k');
  });

  it('after any sequence of good and failing writes the file holds the last good one (property)', () => {
    const dir = freshDir();
    let k = 0;
    fc.assert(
      fc.property(fc.array(fc.record({ text: fc.string({ maxLength: 40 }), failAfter: fc.option(fc.nat({ max: 3 })) }), { minLength: 1, maxLength: 6 }), (writes) => {
        const f = join(dir, `p${k++}.txt`);
        let last: string | undefined;
        for (const w of writes) {
          const bytes = new TextEncoder().encode(w.text);
          if (w.failAfter === null) {
            writeFileAtomic(f, bytes, { fsync: false });
            last = w.text;
          } else {
            const fail = w.failAfter;
            expect(() =>
              writeFileAtomic(f, (write) => {
                for (let i = 0; i < fail; i++) write(bytes);
                throw Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' });
              }, { fsync: false }),
            ).toThrow(/E_IO: could not write/);
          }
          if (last === undefined) expect(readdirSync(dir)).not.toContain(`p${k - 1}.txt`);
          else expect(readFileSync(f, 'utf8')).toBe(last);
        }
        expect(readdirSync(dir).filter((x) => x.includes('.tmp-'))).toEqual([]);
      }),
      { numRuns: 40 },
    );
  });
});
