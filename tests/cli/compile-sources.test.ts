/**
 * What `fastvlm compile` can compile besides a preset: a checkpoint whose config.json says what
 * it is (no --model), a module of the user's (--module/--export), and the forms of the vision
 * part's image input (--image-input rgb|bgr|tensor); with the coded errors of each.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readMlPackage } from '@fastvlm/emit-coreml';
import { writeSafetensors } from '@fastvlm/graph';
import { CONFIGS, type FastVlmConfig, hfConfigJson, syntheticWeights, withLlm } from '@fastvlm/models';
import { ROOT, run, tempDir } from './helpers.js';

const tmp = tempDir('sources');
mkdirSync(join(ROOT, '.tmp'), { recursive: true });
const inRepo: string[] = [];
afterAll(() => {
  tmp.remove();
  for (const d of inRepo) rmSync(d, { recursive: true, force: true });
});
const MODULE = join(import.meta.dirname, '../../examples/own-model/tiny-classifier.ts');
const WEIGHTS = 'Data/com.apple.CoreML/weights/weight.bin';

/** A checkpoint directory of `config`: its config.json and synthetic fp16 weights. */
function checkpoint(name: string, config: FastVlmConfig, json: Record<string, unknown> = {}): string {
  const dir = join(tmp.dir, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...hfConfigJson(config), ...json }));
  writeSafetensors(join(dir, 'model.safetensors'), syntheticWeights(config, { dtype: 'fp16', seed: 0 }));
  return dir;
}

function firstError(stderr: string): string | undefined {
  return stderr.split('\n').find((l) => l.startsWith('error '));
}

describe('--checkpoint without --model', () => {
  it('takes the preset from config.json and gives the packages of --model with the same checkpoint', async () => {
    const ckpt = checkpoint('tiny-ckpt', CONFIGS.tiny);
    const auto = join(tmp.dir, 'auto');
    const r = await run(['compile', '--checkpoint', ckpt, '--parts', 'llm', '--out', auto]);
    expect(firstError(r.stderr)).toBeUndefined();
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${ckpt}: config.json (vision tower fastvlm_test_tiny_128) is the tiny preset`);
    const named = join(tmp.dir, 'named');
    expect((await run(['compile', '--model', 'tiny', '--checkpoint', ckpt, '--parts', 'llm', '--out', named])).code).toBe(0);
    const rel = `tiny-llm.mlpackage/${WEIGHTS}`;
    expect(Buffer.compare(readFileSync(join(auto, rel)), readFileSync(join(named, rel)))).toBe(0);
  });

  it('builds a config that matches no preset from its numbers, named after the directory', async () => {
    const own = withLlm(CONFIGS.tiny, { numHiddenLayers: 1, intermediateSize: 80 });
    const ckpt = checkpoint('Tiny-1L', own);
    const out = join(tmp.dir, 'own');
    const r = await run(['compile', '--checkpoint', ckpt, '--parts', 'llm', '--out', out]);
    expect(firstError(r.stderr)).toBeUndefined();
    expect(r.stdout).toContain("config.json matches no preset; built from its own numbers as 'tiny-1l'");
    const pkg = readMlPackage(join(out, 'tiny-1l-llm.mlpackage'));
    expect(pkg.model.description?.metadata?.userDefined?.['fastvlm.model']).toBe('tiny-1l');
    // One decoder layer: the KV cache's first axis.
    const decode = pkg.model.description?.functions?.find((f) => f.name === 'decode');
    expect(decode?.input?.find((i) => i.name === 'key_cache')?.type?.multiArrayType?.shape).toEqual([1, 2, 16, 16]);
  });

  it('keeps the mismatch error of --model and refuses an unknown vision tower', async () => {
    const ckpt = checkpoint('tiny-for-mismatch', CONFIGS.tiny);
    const r = await run(['compile', '--model', 'fastvlm-0.5b', '--checkpoint', ckpt, '--out', join(tmp.dir, 'x')]);
    expect(r.code).toBe(1);
    expect(firstError(r.stderr)).toMatch(/^error E_CHECKPOINT_CONFIG: .*config\.json does not match configuration 'fastvlm-0\.5b':/);
    const odd = checkpoint('odd-tower', CONFIGS.tiny, { mm_vision_tower: 'siglip_so400m' });
    const s = await run(['compile', '--checkpoint', odd, '--out', join(tmp.dir, 'y')]);
    expect(s.code).toBe(1);
    expect(s.stderr).toMatch(/error E_CHECKPOINT_CONFIG: .*not a FastVLM checkpoint this toolkit can build:/);
    expect(s.stderr).toContain('found "siglip_so400m"');
  });
});

describe('--module', () => {
  it('compiles the default export into <file name>.mlpackage, and --export picks another', async () => {
    const out = join(tmp.dir, 'mod');
    const r = await run(['compile', '--module', MODULE, '--out', out]);
    expect(firstError(r.stderr)).toBeUndefined();
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^tiny-classifier\.mlpackage +main +\d+ +/m);
    // Inside the repository, so that the module can import @fastvlm/graph.
    const dir = mkdtempSync(join(ROOT, '.tmp', 'exports-'));
    inRepo.push(dir);
    const file = join(dir, 'nets.mts');
    writeFileSync(
      file,
      [
        "import { graph } from '@fastvlm/graph';",
        'const one = (n: number) => { const g = graph(); const f = g.function(\'main\'); f.output(f.relu(f.input(\'x\', \'fp32\', [1, n])).named(\'y\')); return g.build(); };',
        'export const small = () => one(4);',
        'export const wide = one(64);',
        'export const notAModel = 3;',
        'export const broken = () => 42;',
      ].join('\n'),
    );
    const out2 = join(tmp.dir, 'mod2');
    const w = await run(['compile', '--module', file, '--export', 'wide', '--out', out2]);
    expect(firstError(w.stderr)).toBeUndefined();
    expect(readMlPackage(join(out2, 'wide.mlpackage')).model.description?.input?.[0]?.type?.multiArrayType?.shape).toEqual([1, 64]);
    const none = await run(['compile', '--module', file, '--out', out2]);
    expect(none.code).toBe(2);
    expect(firstError(none.stderr)).toBe(`error E_CLI_USAGE: --export: ${file} exports several candidates (broken, small, wide) and no default; name one with --export`);
    const missing = await run(['compile', '--module', file, '--export', 'nope', '--out', out2]);
    expect(firstError(missing.stderr)).toBe(`error E_CLI_USAGE: --export: ${file} has no export 'nope'; its exports: broken, notAModel, small, wide`);
    const bad = await run(['compile', '--module', file, '--export', 'broken', '--out', out2]);
    expect(bad.code).toBe(1);
    expect(firstError(bad.stderr)).toBe(`error E_CLI_MODULE: ${file} (export broken): expected a Program (graph().build()) from the function, found number [at ${file} (export broken)]`);
  });

  it('reports a missing file, a module that fails to load, and flags that do not apply', async () => {
    const gone = join(tmp.dir, 'gone.ts');
    expect(firstError((await run(['compile', '--module', gone, '--out', tmp.dir])).stderr)).toBe(`error E_CLI_MODULE: ${gone}: no such file (--module) [at ${gone}]`);
    const outside = join(tmp.dir, 'outside.ts');
    writeFileSync(outside, "import { graph } from '@fastvlm/graph';\nexport default () => graph().build();\n");
    const o = await run(['compile', '--module', outside, '--out', tmp.dir]);
    expect(firstError(o.stderr)).toContain('(the module imports @fastvlm packages: install them in its project');
    const syntax = join(tmp.dir, 'syntax.ts');
    writeFileSync(syntax, 'export default (;\n');
    const s = await run(['compile', '--module', syntax, '--out', tmp.dir]);
    expect(s.code).toBe(1);
    expect(firstError(s.stderr)).toMatch(new RegExp(`^error E_CLI_MODULE: ${syntax.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: the module failed to load: `));
    const cases: [string[], string][] = [
      [['--module', MODULE, '--model', 'tiny'], 'error E_CLI_USAGE: --module: compiles a program of your own; it cannot be combined with --model'],
      [['--module', MODULE, '--resolution', '128'], 'error E_CLI_USAGE: --resolution: applies to FastVLM models (--model, --checkpoint); a --module program has its own shapes and weights'],
      [['--module', MODULE, '--checkpoint', tmp.dir], 'error E_CLI_USAGE: --checkpoint: applies to FastVLM models (--model, --checkpoint); a --module program has its own shapes and weights'],
      [['--model', 'tiny', '--export', 'x'], 'error E_CLI_USAGE: --export: names an export of a --module file; give --module FILE too'],
    ];
    for (const [argv, want] of cases) {
      const r = await run(['compile', ...argv, '--out', join(tmp.dir, 'never')]);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(firstError(r.stderr)).toBe(want);
    }
  });
});

describe('--image-input', () => {
  const features = (dir: string): { name?: string; type?: { imageType?: object; multiArrayType?: { shape?: number[] } } } | undefined =>
    readMlPackage(join(dir, 'tiny-vision.mlpackage')).model.description?.input?.[0] as never;

  it('rgb (default) and bgr declare a Core ML image scaled by 1/255; tensor keeps the fp32 array', async () => {
    const dirs: Record<string, string> = {};
    for (const mode of ['default', 'rgb', 'bgr', 'tensor']) {
      dirs[mode] = join(tmp.dir, `img-${mode}`);
      const r = await run(['compile', '--model', 'tiny', '--parts', 'vision', ...(mode === 'default' ? [] : ['--image-input', mode]), '--out', dirs[mode]!]);
      expect(r.code, mode).toBe(0);
    }
    expect(features(dirs['default']!)?.type?.imageType).toMatchObject({ width: 128, height: 128, colorSpace: 20 });
    expect(features(dirs['rgb']!)?.type?.imageType).toMatchObject({ colorSpace: 20 });
    expect(features(dirs['bgr']!)?.type?.imageType).toMatchObject({ colorSpace: 30 });
    expect(features(dirs['tensor']!)?.type?.multiArrayType?.shape).toEqual([1, 3, 128, 128]);
    // The default is rgb: the same package bytes.
    const bin = (m: string): Buffer => readFileSync(join(dirs[m]!, `tiny-vision.mlpackage/${WEIGHTS}`));
    expect(Buffer.compare(bin('default'), bin('rgb'))).toBe(0);
    // The image form starts with x * (1/255) + 0 (inserted by the lowering, as coremltools does).
    const ops = (m: string) => Object.values(readMlPackage(join(dirs[m]!, 'tiny-vision.mlpackage')).model.mlProgram!.functions!['main']!.blockSpecializations!)[0]!.operations!;
    const scale = ops('rgb').find((o) => o.type === 'mul');
    expect(scale?.inputs?.['x']?.arguments?.[0]?.name).toBe('images');
    // bgr reverses the channels before the network: a slice with stride -1 on the channel axis.
    const rev = ops('bgr').find((o) => o.type === 'slice_by_index');
    expect(rev).toBeDefined();
    expect(ops('tensor').some((o) => o.type === 'mul' && o.inputs?.['x']?.arguments?.[0]?.name === 'images')).toBe(false);
    expect(readMlPackage(join(dirs['bgr']!, 'tiny-vision.mlpackage')).model.description?.metadata?.userDefined?.['fastvlm.image_input']).toBe('bgr');
  });
});
