/**
 * `fastvlm compile` on the tiny model: every part on every target writes packages that read
 * back with the expected functions and feature types; compiles are byte-for-byte
 * deterministic.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type MilBlobFileValue, type MilOperation, readMlPackage } from '@fastvlm/emit-coreml';
import { run, snapshot, tempDir } from './helpers.js';

const tmp = tempDir('compile');
afterAll(() => tmp.remove());

const SPEC_VERSION = { ios15: 6, ios16: 7, ios17: 8, ios18: 9 } as const;
const ARRAY = { FLOAT32: 65568, FLOAT16: 65552, INT32: 131104 } as const;

/** Features of a package by function: `name:TYPE[shape]` with TYPE from the array data type code. */
function features(pkgPath: string): Record<string, { input: string[]; output: string[] }> {
  const m = readMlPackage(pkgPath).model;
  const d = m.description ?? {};
  const name = (code: number | undefined): string => (code === ARRAY.FLOAT32 ? 'fp32' : code === ARRAY.FLOAT16 ? 'fp16' : code === ARRAY.INT32 ? 'int32' : `code${code}`);
  const fmt = (fs: typeof d.input): string[] =>
    (fs ?? []).map((f) => {
      const img = f.type?.imageType;
      // ColorSpace codes of Core ML's ImageFeatureType: 20 RGB, 30 BGR.
      if (img) return `${f.name}:image${img.colorSpace === 20 ? 'RGB' : img.colorSpace === 30 ? 'BGR' : `code${img.colorSpace}`}[${img.width}x${img.height}]`;
      return `${f.name}:${name(f.type?.multiArrayType?.dataType)}[${(f.type?.multiArrayType?.shape ?? []).join(',')}]`;
    });
  if (d.functions?.length) return Object.fromEntries(d.functions.map((f) => [f.name!, { input: fmt(f.input), output: fmt(f.output) }]));
  return { main: { input: fmt(d.input), output: fmt(d.output) } };
}

/** The operations of function `fn` of a package (its only block). */
function operations(pkgPath: string, fn: string): MilOperation[] {
  const f = readMlPackage(pkgPath).model.mlProgram?.functions?.[fn];
  return Object.values(f?.blockSpecializations ?? {}).flatMap((b) => b.operations ?? []);
}

/**
 * The weight.bin references behind the table of the one `gather` of `fn`: the `val` of a plain
 * `const`, or every blob input of a `constexpr_*` op (compressed weights).
 */
function gatherTableRefs(pkgPath: string, fn: string): MilBlobFileValue[] {
  const ops = operations(pkgPath, fn);
  const gathers = ops.filter((op) => op.type === 'gather');
  expect(gathers.length, fn).toBe(1);
  const table = gathers[0]!.inputs?.['x']?.arguments?.[0]?.name;
  const producer = ops.find((op) => op.outputs?.some((o) => o.name === table));
  expect(producer, `${fn}: producer of ${table}`).toBeDefined();
  const refs: MilBlobFileValue[] = [];
  const val = producer!.attributes?.['val']?.blobFileValue;
  if (val) refs.push(val);
  for (const arg of Object.values(producer!.inputs ?? {})) for (const a of arg.arguments ?? []) if (a.value?.blobFileValue) refs.push(a.value.blobFileValue);
  return refs;
}

describe('compile tiny, every part and target', () => {
  for (const target of ['ios15', 'ios16', 'ios17', 'ios18'] as const) {
    it(`vision on ${target}`, async () => {
      const out = join(tmp.dir, `vision-${target}`);
      const r = await run(['compile', '--model', 'tiny', '--parts', 'vision', '--target', target, '--out', out]);
      expect(r.stderr).not.toContain('error');
      expect(r.code).toBe(0);
      expect(readdirSync(out)).toEqual(['tiny-vision.mlpackage']);
      const pkg = readMlPackage(join(out, 'tiny-vision.mlpackage'));
      expect(pkg.model.specificationVersion).toBe(SPEC_VERSION[target]);
      expect(pkg.checkBlobReferences()).toBeGreaterThan(0);
      // tiny: R = 128 -> (128/64)^2 = 4 tokens of H = 64; fp16 output except on ios15; the
      // image is a Core ML RGB image by default.
      expect(features(pkg.path)).toEqual({
        main: { input: ['images:imageRGB[128x128]'], output: [`image_features:${target === 'ios15' ? 'fp32' : 'fp16'}[1,4,64]`] },
      });
      expect(r.stdout).toMatch(/tiny-vision\.mlpackage\s+main \(vision\)/);
    });

    it(`llm on ${target}`, async () => {
      const out = join(tmp.dir, `llm-${target}`);
      const r = await run(['compile', '--model', 'tiny', '--parts', 'llm', '--target', target, '--out', out]);
      expect(r.stderr).not.toContain('error');
      expect(r.code).toBe(0);
      // tiny: S = 6, C = 16, H = 64, vocab 128, cache [layers 2, kv heads 2, C, head dim 16].
      const half = target === 'ios15' ? 'fp32' : 'fp16';
      const sig = {
        embed: { input: ['input_ids:int32[1,6]'], output: [`embeddings:${half}[1,6,64]`] },
        embed_token: { input: ['input_id:int32[1,1]'], output: [`embedding:${half}[1,1,64]`] },
        prefill: { input: [`embeddings:${half}[1,6,64]`], output: ['logits:fp32[1,128]', `key_cache:${half}[2,2,16,16]`, `value_cache:${half}[2,2,16,16]`] },
        decode: {
          input: [`embedding:${half}[1,1,64]`, 'position:int32[1]', `key_cache:${half}[2,2,16,16]`, `value_cache:${half}[2,2,16,16]`],
          output: ['logits:fp32[1,128]', `key_cache_out:${half}[2,2,16,16]`, `value_cache_out:${half}[2,2,16,16]`],
        },
      };
      if (target === 'ios18') {
        expect(readdirSync(out)).toEqual(['tiny-llm.mlpackage']);
        const pkg = readMlPackage(join(out, 'tiny-llm.mlpackage'));
        expect(pkg.model.specificationVersion).toBe(9);
        expect(pkg.model.description?.defaultFunctionName).toBe('embed');
        expect(features(pkg.path)).toEqual(sig);
        expect(pkg.checkBlobReferences()).toBeGreaterThan(0);
      } else {
        expect(readdirSync(out).sort()).toEqual(['tiny-llm-decode.mlpackage', 'tiny-llm-embed.mlpackage', 'tiny-llm-embed_token.mlpackage', 'tiny-llm-prefill.mlpackage']);
        for (const fn of ['embed', 'embed_token', 'prefill', 'decode'] as const) {
          const pkg = readMlPackage(join(out, `tiny-llm-${fn}.mlpackage`));
          expect(pkg.model.specificationVersion).toBe(SPEC_VERSION[target]);
          expect(features(pkg.path)).toEqual({ main: sig[fn] });
          expect(pkg.model.description?.metadata?.userDefined?.['fastvlm.functions']).toBe(fn);
        }
        expect(r.stdout).toContain(`${target} has no multifunction models (they need ios18), so each function is its own package`);
      }
    });
  }
});

describe('determinism', () => {
  it('compiling twice gives byte-identical packages (with the ane passes)', async () => {
    const a = join(tmp.dir, 'det-a');
    const b = join(tmp.dir, 'det-b');
    for (const out of [a, b]) {
      const r = await run(['compile', '--model', 'tiny', '--passes', 'ane', '--out', out]);
      expect(r.code).toBe(0);
    }
    const sa = snapshot(a);
    const sb = snapshot(b);
    expect([...sa.keys()]).toEqual([...sb.keys()]);
    expect([...sa.keys()].filter((k) => k.endsWith('weight.bin')).length).toBe(2);
    for (const [k, v] of sa) expect(Buffer.compare(v, sb.get(k)!), k).toBe(0);
  });

  it('different seeds give different weights', async () => {
    // Both compiled here with the same flags but the seed (the test used to compare with the
    // previous test's output, compiled with other flags): same layout, other bytes.
    const weights = async (seed: string): Promise<Buffer> => {
      const out = join(tmp.dir, `seed-${seed}`);
      expect((await run(['compile', '--model', 'tiny', '--parts', 'vision', '--seed', seed, '--out', out])).code).toBe(0);
      return readFileSync(join(out, 'tiny-vision.mlpackage/Data/com.apple.CoreML/weights/weight.bin'));
    };
    const seeded = await weights('7');
    const base = await weights('0');
    expect(seeded.length).toBeGreaterThan(0);
    expect(seeded.length).toBe(base.length);
    expect(Buffer.compare(seeded, base)).not.toBe(0);
  });
});


describe('embed_token and embed share the embedding table', () => {
  for (const [label, flags] of [
    ['no passes', []],
    ['--passes ane', ['--passes', 'ane']],
    ['--compress lut4', ['--compress', 'lut4']],
  ] as const) {
    it(`ios18 (${label}): both gathers read the same weight.bin blobs`, async () => {
      const out = join(tmp.dir, `share-${flags.join('')}`);
      const r = await run(['compile', '--model', 'tiny', '--parts', 'llm', ...flags, '--out', out]);
      expect(r.code).toBe(0);
      const pkg = join(out, 'tiny-llm.mlpackage');
      const embed = gatherTableRefs(pkg, 'embed');
      expect(embed.length).toBeGreaterThan(0);
      expect(embed.every((ref) => ref.fileName === '@model_path/weights/weight.bin')).toBe(true);
      expect(gatherTableRefs(pkg, 'embed_token')).toEqual(embed);
    });
  }

  it('ios16: embed_token is its own package holding a copy of the same table', async () => {
    const out = join(tmp.dir, 'share-ios16');
    expect((await run(['compile', '--model', 'tiny', '--parts', 'llm', '--target', 'ios16', '--out', out])).code).toBe(0);
    const table = (fn: string): Buffer => {
      const path = join(out, `tiny-llm-${fn}.mlpackage`);
      const refs = gatherTableRefs(path, 'main');
      expect(refs.length).toBe(1);
      return Buffer.from(readMlPackage(path).readBlob(refs[0]!, 'fp16'));
    };
    const token = table('embed_token');
    // tiny: vocab 128 x H 64 fp16.
    expect(token.length).toBe(128 * 64 * 2);
    expect(Buffer.compare(token, table('embed'))).toBe(0);
  });
});
