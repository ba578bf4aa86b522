/**
 * External-oracle check of the compiled FastVLM parts: `fastvlm compile` writes FastVLM-0.5B
 * (vision at 1024^2, and the LLM's embed / embed_token / prefill / decode as one iOS18 multifunction model;
 * synthetic weights, fp16) and coremltools 9.0 opens every package with the lowering suite's
 * checker (py/check_package.py): manifest and spec load, every op rebuilt through coremltools'
 * builder with type inference re-run and checked against the declared types, every weight read
 * by its C++ blob reader and compared byte for byte with what our reader finds. Then the same
 * with `--passes ane` on both full-size parts (the I/O must stay what an app binds to); and
 * compressed tiny packages (palettized and quantized weights as constexpr ops).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type BlobPlanEntry, type LoweredModel, type MilBlobFileValue, TARGETS, describeTensorType, graphDTypeOfMil, programValues, readMlPackage, targetInfo,
} from '@fastvlm/emit-coreml';
import { captureIo, main } from '@fastvlm/cli';
import { checkPackages, comparePackage, coremltoolsReady } from './lowering-oracle.js';

const work = mkdtempSync(join(tmpdir(), 'fastvlm-package-conf-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const ready = coremltoolsReady('fastvlm-package');

async function compile(argv: string[]): Promise<void> {
  const io = captureIo();
  const code = await main(['compile', ...argv], io);
  expect(io.stderrText().split('\n').filter((l) => l.startsWith('error'))).toEqual([]);
  expect(code).toBe(0);
}

/**
 * What comparePackage needs, rebuilt from the package on disk: the model as written and, for
 * each blob reference, the bytes our reader finds there.
 */
function writtenModel(path: string): LoweredModel {
  const pkg = readMlPackage(path);
  const blobs: BlobPlanEntry[] = [];
  for (const { path: at, value } of programValues(pkg.model.mlProgram ?? {})) {
    const ref: MilBlobFileValue | undefined = value.blobFileValue;
    if (!ref) continue;
    const t = describeTensorType(value.type, at);
    const count = t.shape.reduce<number>((a, b) => a * (b ?? 0), 1);
    const dtype = graphDTypeOfMil(t.dtype);
    if (!dtype) throw new Error(`${at}: blob of MIL dtype ${t.dtype} has no graph dtype`);
    blobs.push({ key: at, dtype, count, byteLength: 0, chunks: () => [pkg.readBlob(ref, t.dtype, at)], refs: [ref], origin: at });
  }
  const spec = pkg.model.specificationVersion ?? 0;
  const target = TARGETS.find((t) => targetInfo(t).specVersion === spec)!;
  return { model: pkg.model, blobs, target, functionNames: new Map(), opCount: 0 };
}

function check(paths: readonly string[]): void {
  const reports = checkPackages(paths, work);
  for (const p of paths) {
    const problems = comparePackage(writtenModel(p), reports.get(p));
    expect(problems.slice(0, 20), p).toEqual([]);
  }
}

describe.runIf(ready)('FastVLM-0.5B packages load in coremltools', () => {
  it('vision at 1024 and the LLM functions, fp16, no passes', async () => {
    const out = join(work, 'plain');
    await compile(['--model', 'fastvlm-0.5b', '--resolution', '1024', '--out', out]);
    const vision = join(out, 'fastvlm-0.5b-vision.mlpackage');
    const llm = join(out, 'fastvlm-0.5b-llm.mlpackage');
    const reports = checkPackages([vision, llm], work);
    // The functions and their I/O as coremltools sees them.
    const v = reports.get(vision)!;
    expect(v.ok, v.error).toBe(true);
    expect(Object.keys(v.functions!)).toEqual(['main']);
    expect(v.functions!['main']!.inputs).toEqual([{ name: 'images', dtype: 'fp32', shape: [1, 3, 1024, 1024] }]);
    expect(v.functions!['main']!.outputs.map((o) => [o.dtype, o.shape])).toEqual([['fp16', [1, 256, 896]]]);
    // The default image form, as coremltools reads the model description: an RGB image.
    expect(v.description!.input).toEqual([{ name: 'images', kind: 'imageType', shortDescription: '', width: 1024, height: 1024, colorSpace: 'RGB' }]);
    const l = reports.get(llm)!;
    expect(l.ok, l.error).toBe(true);
    expect(Object.keys(l.functions!).sort()).toEqual(['decode', 'embed', 'embed_token', 'prefill']);
    expect(l.description!.defaultFunctionName).toBe('embed');
    // One token's embedding for decode: exactly decode's `embedding` input.
    expect(l.functions!['embed_token']!.inputs).toEqual([{ name: 'input_id', dtype: 'int32', shape: [1, 1] }]);
    expect(l.functions!['embed_token']!.outputs.map((o) => `${o.dtype}[${o.shape.join(',')}]`)).toEqual(['fp16[1,1,896]']);
    expect(l.functions!['decode']!.inputs.map((i) => `${i.name}:${i.dtype}[${i.shape.join(',')}]`)).toEqual([
      'embedding:fp16[1,1,896]',
      'position:int32[1]',
      'key_cache:fp16[24,2,1024,64]',
      'value_cache:fp16[24,2,1024,64]',
    ]);
    expect(l.functions!['prefill']!.outputs.map((o) => `${o.dtype}[${o.shape.join(',')}]`)).toEqual(['fp32[1,151936]', 'fp16[24,2,1024,64]', 'fp16[24,2,1024,64]']);
    // Everything else: ops, inferred types, features, metadata and every weight's bytes.
    for (const p of [vision, llm]) expect(comparePackage(writtenModel(p), reports.get(p)).slice(0, 20), p).toEqual([]);
    rmSync(out, { recursive: true, force: true });
  }, 900_000);

  it('with --passes ane: the vision part at 1024 and the LLM functions, same I/O as without passes', async () => {
    const out = join(work, 'ane');
    await compile(['--model', 'fastvlm-0.5b', '--passes', 'ane', '--out', out]);
    const vision = join(out, 'fastvlm-0.5b-vision.mlpackage');
    const llm = join(out, 'fastvlm-0.5b-llm.mlpackage');
    const reports = checkPackages([vision, llm], work);
    const io = (p: string): string[] =>
      Object.entries(reports.get(p)!.functions ?? {}).flatMap(([f, d]) => [
        ...d.inputs.map((i) => `${f} in ${i.name}:${i.dtype}[${i.shape.join(',')}]`),
        ...d.outputs.map((o) => `${f} out ${o.dtype}[${o.shape.join(',')}]`),
      ]);
    expect(io(vision)).toEqual(['main in images:fp32[1,3,1024,1024]', 'main out fp16[1,256,896]']);
    expect(io(llm).sort()).toEqual(
      [
        'embed in input_ids:int32[1,512]',
        'embed out fp16[1,512,896]',
        'embed_token in input_id:int32[1,1]',
        'embed_token out fp16[1,1,896]',
        'prefill in embeddings:fp16[1,512,896]',
        'prefill out fp32[1,151936]',
        'prefill out fp16[24,2,1024,64]',
        'prefill out fp16[24,2,1024,64]',
        'decode in embedding:fp16[1,1,896]',
        'decode in position:int32[1]',
        'decode in key_cache:fp16[24,2,1024,64]',
        'decode in value_cache:fp16[24,2,1024,64]',
        'decode out fp32[1,151936]',
        'decode out fp16[24,2,1024,64]',
        'decode out fp16[24,2,1024,64]',
      ].sort(),
    );
    for (const p of [vision, llm]) expect(comparePackage(writtenModel(p), reports.get(p)).slice(0, 20), p).toEqual([]);
    rmSync(out, { recursive: true, force: true });
  }, 1_500_000);

  it('the image input forms (tiny): bgr, and tensor on ios15 and ios18', async () => {
    const bgr = join(work, 'image-bgr');
    await compile(['--model', 'tiny', '--parts', 'vision', '--image-input', 'bgr', '--passes', 'ane', '--out', bgr]);
    const paths = [join(bgr, 'tiny-vision.mlpackage')];
    for (const target of ['ios15', 'ios18']) {
      const dir = join(work, `image-tensor-${target}`);
      await compile(['--model', 'tiny', '--parts', 'vision', '--image-input', 'tensor', '--target', target, '--out', dir]);
      paths.push(join(dir, 'tiny-vision.mlpackage'));
    }
    const reports = checkPackages(paths, work);
    expect(reports.get(paths[0]!)!.description!.input).toEqual([{ name: 'images', kind: 'imageType', shortDescription: '', width: 128, height: 128, colorSpace: 'BGR' }]);
    for (const p of paths.slice(1)) expect(reports.get(p)!.description!.input, p).toEqual([{ name: 'images', kind: 'multiArrayType', shortDescription: '', shape: [1, 3, 128, 128], dataType: 'FLOAT32' }]);
    for (const p of paths) expect(comparePackage(writtenModel(p), reports.get(p)).slice(0, 20), p).toEqual([]);
  }, 600_000);

  it('with --compress: mixed schemes on ios18 and look-up tables on ios16 (tiny)', async () => {
    const a = join(work, 'compress-ios18');
    const b = join(work, 'compress-ios16');
    await compile(['--model', 'tiny', '--passes', 'ane', '--compress', 'int8,ffn=lut4,lm_head=lut6,vision=int4-block', '--out', a]);
    await compile(['--model', 'tiny', '--target', 'ios16', '--compress', 'lut4', '--out', b]);
    check([
      join(a, 'tiny-vision.mlpackage'),
      join(a, 'tiny-llm.mlpackage'),
      join(b, 'tiny-vision.mlpackage'),
      ...['embed', 'embed_token', 'prefill', 'decode'].map((f) => join(b, `tiny-llm-${f}.mlpackage`)),
    ]);
  }, 600_000);
});
