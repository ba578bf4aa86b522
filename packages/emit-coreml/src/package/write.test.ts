import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { FaultyFs } from '../testing/faulty-fs.js';
import { sampleModel } from '../testing/sample.js';
import { recoverMlPackage, writeMlPackage } from './write.js';
import { readMlPackage } from './read.js';
import { errorCodeAsync, fastVlmRejection } from '../../../graph/src/testing/errors.js';

const root = mkdtempSync(join(tmpdir(), 'mlpackage-write-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
/** A fresh parent directory and a package path in it. */
function place(): { parent: string; dest: string } {
  const parent = join(root, `p${n++}`);
  mkdirSync(parent);
  return { parent, dest: join(parent, 'Model.mlpackage') };
}

/** Every file under `dir` with the SHA-256 of its bytes (directories as 'dir'). */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(d, e.name);
      if (e.isDirectory()) {
        out[relative(dir, p)] = 'dir';
        walk(p);
      } else out[relative(dir, p)] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

const leftovers = (parent: string): string[] => readdirSync(parent).filter((e) => e.startsWith('.Model.mlpackage.'));

const OLD = sampleModel(1);
const NEW = sampleModel(2);

/** The trees the two variants produce (written once, in their own directories). */
async function reference(): Promise<{ old: Record<string, string>; neu: Record<string, string> }> {
  const a = place();
  const b = place();
  await writeMlPackage(a.dest, { model: OLD });
  await writeMlPackage(b.dest, { model: NEW });
  return { old: tree(a.dest), neu: tree(b.dest) };
}

describe('writeMlPackage', () => {
  it('writes the three items coremltools expects and reads back', async () => {
    const { parent, dest } = place();
    const res = await writeMlPackage(dest, { model: NEW });
    expect(Object.keys(tree(dest))).toEqual([
      'Data', 'Data/com.apple.CoreML', 'Data/com.apple.CoreML/model.mlmodel', 'Data/com.apple.CoreML/weights', 'Data/com.apple.CoreML/weights/weight.bin', 'Manifest.json',
    ]);
    expect(res).toMatchObject({ path: dest, replaced: false, weights: { count: 1, deduplicated: 1 } });
    expect(statSync(join(dest, 'Data/com.apple.CoreML/model.mlmodel')).size).toBe(res.modelBytes);
    const pkg = readMlPackage(dest);
    expect(pkg.manifest).toEqual(res.manifest);
    expect(pkg.checkBlobReferences()).toBe(2);
    expect(leftovers(parent)).toEqual([]);
  });

  it('is deterministic: the same content gives byte-identical files', async () => {
    const a = place();
    const b = place();
    await writeMlPackage(a.dest, { model: NEW });
    await writeMlPackage(b.dest, { model: NEW });
    await writeMlPackage(b.dest, { model: NEW }); // replacing with itself changes nothing
    expect(tree(b.dest)).toEqual(tree(a.dest));
    const m = sampleModel(3);
    const c = place();
    let model: ReturnType<ReturnType<typeof sampleModel>> | undefined;
    await writeMlPackage(c.dest, { writeWeights: (w) => { model = m(w); }, model: (): NonNullable<typeof model> => model! });
    const d = place();
    await writeMlPackage(d.dest, { model: m });
    expect(tree(c.dest)).toEqual(tree(d.dest));
  });

  it('replaces an existing package and leaves no temporary or backup sibling', async () => {
    const { neu } = await reference();
    const { parent, dest } = place();
    await writeMlPackage(dest, { model: OLD });
    const res = await writeMlPackage(dest, { model: NEW });
    expect(res.replaced).toBe(true);
    expect(tree(dest)).toEqual(neu);
    expect(leftovers(parent)).toEqual([]);
  });

  it('keeps the previous package and removes the temp dir when any step fails', async () => {
    const { old, neu } = await reference();
    // Count the file-system calls of a successful replace.
    const probe = place();
    await writeMlPackage(probe.dest, { model: OLD });
    const counter = new FaultyFs();
    await writeMlPackage(probe.dest, { model: NEW }, { fs: counter });
    const total = counter.calls.length;
    expect(total).toBeGreaterThan(20);
    for (let i = 0; i < total; i++) {
      const { parent, dest } = place();
      await writeMlPackage(dest, { model: OLD });
      const ffs = new FaultyFs({ failAt: i });
      const r = await errorCodeAsync(writeMlPackage(dest, { model: NEW }, { fs: ffs }));
      const call = counter.calls[i]!;
      const left = leftovers(parent);
      expect(left.filter((l) => l.includes('.tmp-')), call).toEqual([]);
      if (r === 'ok') {
        // Only best-effort steps after the swap may fail without an error.
        expect(tree(dest), call).toEqual(neu);
        expect(call).toMatch(/^(rm .*\.bak-|open |fsync |close )/);
      } else {
        expect(r, call).toBe('E_IO');
        expect(tree(dest), call).toEqual(old);
        expect(left, call).toEqual([]);
      }
      recoverMlPackage(dest);
      expect(leftovers(parent)).toEqual([]);
    }
  });

  it('survives a kill at any moment: the previous or the new package, recoverable, no leftovers', async () => {
    const { old, neu } = await reference();
    const counter = new FaultyFs();
    const probe = place();
    await writeMlPackage(probe.dest, { model: OLD });
    await writeMlPackage(probe.dest, { model: NEW }, { fs: counter });
    let sawBackupOnly = false;
    for (let i = 0; i < counter.calls.length; i++) {
      const { parent, dest } = place();
      await writeMlPackage(dest, { model: OLD });
      const ffs = new FaultyFs({ failAt: i, kill: true });
      await errorCodeAsync(writeMlPackage(dest, { model: NEW }, { fs: ffs }));
      const call = counter.calls[i]!;
      if (existsSync(dest)) {
        expect([old, neu], call).toContainEqual(tree(dest));
      } else {
        // Between the two renames: the previous package waits in a backup.
        sawBackupOnly = true;
        expect(leftovers(parent).some((l) => l.includes('.bak-')), call).toBe(true);
      }
      const rep = recoverMlPackage(dest);
      expect([old, neu], call).toContainEqual(tree(dest));
      if (rep.restored) expect(tree(dest)).toEqual(old);
      expect(leftovers(parent), call).toEqual([]);
    }
    expect(sawBackupOnly).toBe(true);
  });

  it('reports a full disk as E_NO_SPACE at any point, keeping the previous package', async () => {
    const { old } = await reference();
    for (const budget of [0, 64, 200, 300, 600, 900]) {
      const { parent, dest } = place();
      await writeMlPackage(dest, { model: OLD });
      const r = await errorCodeAsync(writeMlPackage(dest, { model: NEW }, { fs: new FaultyFs({ noSpaceAfterBytes: budget }) }));
      expect([budget, r]).toEqual([budget, 'E_NO_SPACE']);
      expect(tree(dest)).toEqual(old);
      expect(leftovers(parent)).toEqual([]);
    }
  });

  it('names the destination when it is not writable', async () => {
    const { dest } = place();
    const ffs = new FaultyFs({ only: ['mkdir'], failAt: 0, code: 'EACCES' });
    const e = await fastVlmRejection(writeMlPackage(dest, { model: NEW }, { fs: ffs }), 'E_IO');
    expect(e.message).toContain(dest);
    expect(await errorCodeAsync(writeMlPackage(join(root, 'missing-dir', 'M.mlpackage'), { model: NEW }))).toBe('E_IO');
    const file = join(root, `file${n++}`);
    writeFileSync(file, 'x');
    expect(await errorCodeAsync(writeMlPackage(join(file, 'M.mlpackage'), { model: NEW }))).toBe('E_IO');
  });

  it('refuses to replace a file or a directory that is not a package', async () => {
    const { parent, dest } = place();
    writeFileSync(dest, 'precious');
    expect(await errorCodeAsync(writeMlPackage(dest, { model: NEW }))).toBe('E_IO');
    expect(readFileSync(dest, 'utf8')).toBe('precious');
    rmSync(dest);
    mkdirSync(dest);
    writeFileSync(join(dest, 'notes.txt'), 'keep');
    expect(await errorCodeAsync(writeMlPackage(dest, { model: NEW }))).toBe('E_IO');
    expect(readFileSync(join(dest, 'notes.txt'), 'utf8')).toBe('keep');
    rmSync(join(dest, 'notes.txt'));
    expect(await errorCodeAsync(writeMlPackage(dest, { model: NEW }))).toBe('ok');
    expect(leftovers(parent)).toEqual([]);
  });

  it('rejects a malformed model before writing anything, and passes callback errors through', async () => {
    const { parent, dest } = place();
    expect(await errorCodeAsync(writeMlPackage(dest, { model: { specificationVersion: 8, bogus: 1 } as never }))).toBe('E_PROTO');
    expect(readdirSync(parent)).toEqual([]);
    const boom = new Error('boom');
    await expect(writeMlPackage(dest, { model: NEW, writeWeights: () => { throw boom; } })).rejects.toBe(boom);
    expect(await errorCodeAsync(writeMlPackage(dest, { model: () => ({ mlProgram: { version: 'x' } }) as never }))).toBe('E_PROTO');
    expect(readdirSync(parent)).toEqual([]);
  });
});

describe('recoverMlPackage', () => {
  it('removes leftovers of dead runs and restores a stranded backup', async () => {
    const { old, neu } = await reference();
    const { parent, dest } = place();
    await writeMlPackage(dest, { model: OLD });
    // A run killed between its two renames: the package sits in a backup, a finished temp next to it.
    renameSync(dest, join(parent, '.Model.mlpackage.bak-999999999-aa'));
    mkdirSync(join(parent, '.Model.mlpackage.tmp-999999999-bb', 'Data'), { recursive: true });
    mkdirSync(join(parent, '.Other.mlpackage.tmp-999999999-cc'));
    mkdirSync(join(parent, '.Model.mlpackage.tmp-1.mlpackage.tmp-999999999-dd')); // belongs to 'Model.mlpackage.tmp-1.mlpackage'
    const rep = recoverMlPackage(dest);
    expect(rep.restored).toBe(join(parent, '.Model.mlpackage.bak-999999999-aa'));
    expect(rep.removed).toEqual([join(parent, '.Model.mlpackage.tmp-999999999-bb')]);
    expect(tree(dest)).toEqual(old);
    expect(readdirSync(parent).sort()).toEqual(['.Model.mlpackage.tmp-1.mlpackage.tmp-999999999-dd', '.Other.mlpackage.tmp-999999999-cc', 'Model.mlpackage']);
    rmSync(join(parent, '.Model.mlpackage.tmp-1.mlpackage.tmp-999999999-dd'), { recursive: true });
    // A later write cleans a stale backup while the package exists.
    mkdirSync(join(parent, '.Model.mlpackage.bak-999999999-dd'));
    await writeMlPackage(dest, { model: NEW });
    expect(tree(dest)).toEqual(neu);
    expect(leftovers(parent)).toEqual([]);
  });

  it('leaves the temp dirs of writes still running in another live process', () => {
    const { parent, dest } = place();
    const live = join(parent, `.Model.mlpackage.tmp-${process.ppid}-ee`);
    mkdirSync(live);
    expect(recoverMlPackage(dest).removed).toEqual([]);
    expect(existsSync(live)).toBe(true);
  });
});
