/**
 * `fastvlm compile` options and failures on the tiny model: a failing compile leaves the
 * previous package intact; checkpoints and synthetic weights give the same weights; --dump-ir
 * writes parseable IR; the progress bar on a terminal; --compress per weight group.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type FsLayer, nodeFs, readMlPackage } from '@fastvlm/emit-coreml';
import { parseProgram, writeSafetensors } from '@fastvlm/graph';
import { CONFIGS, hfConfigJson, syntheticWeights } from '@fastvlm/models';
import { milOpCounts, run, snapshot, tempDir } from './helpers.js';

const tmp = tempDir('compile-options');
afterAll(() => tmp.remove());

/** node:fs with writes failing once `budget` bytes have been written (a full disk). */
function fullDiskAfter(budget: number): FsLayer {
  let written = 0;
  return {
    ...nodeFs,
    writeSync(fd, data, position) {
      if (written + data.length > budget) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      written += data.length;
      return nodeFs.writeSync(fd, data, position);
    },
  };
}

describe('a failed compile', () => {
  it('leaves the existing package intact and no temporary files behind', async () => {
    const out = join(tmp.dir, 'fail');
    expect((await run(['compile', '--model', 'tiny', '--parts', 'vision', '--seed', '1', '--out', out])).code).toBe(0);
    const before = snapshot(out);
    const r = await run(['compile', '--model', 'tiny', '--parts', 'vision', '--seed', '2', '--out', out], { fs: fullDiskAfter(100_000) });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error E_NO_SPACE: cannot write the package '.*tiny-vision\.mlpackage': no space left .*weight\.bin/m);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe('');
    const after = snapshot(out);
    expect([...after.keys()]).toEqual([...before.keys()]);
    for (const [k, v] of before) expect(Buffer.compare(v, after.get(k)!), k).toBe(0);
    expect(readdirSync(out)).toEqual(['tiny-vision.mlpackage']);
  });

  it('reports an --out that is a file as E_IO with exit status 1', async () => {
    const file = join(tmp.dir, 'a-file');
    writeFileSync(file, 'not a directory');
    const r = await run(['compile', '--model', 'tiny', '--out', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error E_IO: could not create the output directory '.*a-file'/m);
    expect(readFileSync(file, 'utf8')).toBe('not a directory');
  });

  it('reports a missing checkpoint as E_IO naming config.json', async () => {
    const r = await run(['compile', '--model', 'tiny', '--checkpoint', join(tmp.dir, 'nope'), '--out', join(tmp.dir, 'nope-out')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error E_IO: .*nope\/config\.json: could not read the checkpoint's config\.json/m);
  });
});

describe('weights from a checkpoint', () => {
  it('gives the same weight.bin as the synthetic weights it was written from', async () => {
    const ckpt = join(tmp.dir, 'ckpt');
    const store = syntheticWeights('tiny', { dtype: 'fp16', seed: 0 });
    mkdirSync(ckpt);
    writeFileSync(join(ckpt, 'config.json'), JSON.stringify(hfConfigJson(CONFIGS.tiny)));
    writeSafetensors(join(ckpt, 'model.safetensors'), store);
    const ref = join(tmp.dir, 'synthetic-ref');
    expect((await run(['compile', '--model', 'tiny', '--out', ref])).code).toBe(0);
    const out = join(tmp.dir, 'from-ckpt');
    const r = await run(['compile', '--model', 'tiny', '--checkpoint', ckpt, '--out', out]);
    expect(r.stderr).not.toContain('error');
    expect(r.code).toBe(0);
    for (const part of ['vision', 'llm']) {
      const rel = `tiny-${part}.mlpackage/Data/com.apple.CoreML/weights/weight.bin`;
      expect(Buffer.compare(readFileSync(join(out, rel)), readFileSync(join(ref, rel))), part).toBe(0);
      expect(readMlPackage(join(out, `tiny-${part}.mlpackage`)).model.description?.metadata?.userDefined?.['fastvlm.weights']).toBe('checkpoint');
    }
  });
});

describe('--dump-ir', () => {
  it('writes the input IR, the IR after each pass, the final IR and the MIL text', async () => {
    const out = join(tmp.dir, 'dump-out');
    const dump = join(tmp.dir, 'dump');
    const r = await run(['compile', '--model', 'tiny', '--parts', 'llm', '--passes', 'cleanup', '--dump-ir', dump, '--out', out]);
    expect(r.code).toBe(0);
    const files = readdirSync(join(dump, 'tiny-llm')).sort();
    expect(files[0]).toBe('00-input.mlir');
    expect(files).toContain('01-fold-constants.mlir');
    expect(files).toContain('final.mlir');
    expect(files).toContain('tiny-llm.mil');
    const final = parseProgram(readFileSync(join(dump, 'tiny-llm', 'final.mlir'), 'utf8'));
    expect([...final.functions.keys()]).toEqual(['embed', 'embed_token', 'prefill', 'decode']);
    expect(final.fn('prefill').outputs[0]!.type.dtype).toBe('fp32');
    expect(readFileSync(join(dump, 'tiny-llm', 'tiny-llm.mil'), 'utf8')).toMatch(/^prefill\[CoreML8\]\(/m);
    expect(existsSync(join(out, 'tiny-llm.mlpackage'))).toBe(true);
  });
});

describe('progress on a terminal', () => {
  it('redraws one line with a bar and keeps only the results', async () => {
    const out = join(tmp.dir, 'tty');
    const r = await run(['compile', '--model', 'tiny', '--parts', 'vision', '--out', out], { stderrIsTTY: true });
    expect(r.code).toBe(0);
    const frames = r.stderr.split('\r\x1b[K').filter((f) => f !== '');
    expect(frames[0]).toBe('tiny-vision: build (fp16, synthetic weights, seed 0)');
    expect(frames).toContain('tiny-vision: lower (ios18)');
    expect(frames.some((f) => /^tiny-vision: weights \[#+\.*\] +\d+% /.test(f))).toBe(true);
    // Only the final line ends with a newline: the bar never scrolls the terminal.
    expect(r.stderr.split('\n').length).toBe(2);
    expect(frames[frames.length - 1]).toMatch(/^tiny-vision: wrote .*tiny-vision\.mlpackage \([\d.]+ kB\) in \d+ ms\n$/);
  });
});

describe('--compress', () => {
  it('gives each weight group its scheme: lut4 FFN, lut6 LM head, int8 elsewhere, small weights dense', async () => {
    const out = join(tmp.dir, 'compress');
    const dump = join(tmp.dir, 'compress-ir');
    const r = await run(['compile', '--model', 'tiny', '--parts', 'llm', '--compress', 'int8,ffn=lut4,lm_head=lut6', '--dump-ir', dump, '--out', out]);
    expect(r.stderr).not.toContain('error');
    expect(r.code).toBe(0);
    const text = readFileSync(join(dump, 'tiny-llm', 'final.mlir'), 'utf8');
    // Naive reading of the IR text: const dtypes by value name, then each compressed weight.
    const constDtype = new Map<string, string>();
    for (const m of text.matchAll(/^ {2}%(\S+) = const\(\) \{dtype="(\w+)"/gm)) constDtype.set(m[1]!, m[2]!);
    const schemes = new Map<string, string>();
    for (const m of text.matchAll(/^ {2}%(\S+) = lut_dequantize\(lut=%\S+, indices=%(\S+)\)/gm)) schemes.set(m[1]!, `lut ${constDtype.get(m[2]!)}`);
    for (const m of text.matchAll(/^ {2}%(\S+) = blockwise_dequantize\(data=%([^,)]+)/gm)) schemes.set(m[1]!, `blockwise ${constDtype.get(m[2]!)}`);
    const defined = [...new Set([...text.matchAll(/^ {2}%(\S+) = /gm)].map((m) => m[1]!))];
    const weights = defined.filter((n) => /^model\.layers\.\d+\.(mlp|self_attn)\.\w+\.weight$|^lm_head\.weight$/.test(n));
    expect(weights.length).toBe(2 * 7 + 1);
    for (const w of weights) {
      // Every use of the weight in the text goes through its compressed op, or it stays a const.
      const want = w.includes('.mlp.') ? 'lut uint4' : w === 'lm_head.weight' ? 'lut uint6' : /\.(k|v)_proj\./.test(w) ? undefined : 'blockwise int8';
      expect(schemes.get(w), w).toBe(want);
    }
    // The embedding table follows the default scheme too.
    expect(schemes.get('model.embed_tokens.weight')).toBe('blockwise int8');
    // tiny k/v projections are [32, 64] = 2048 elements: at the threshold, so dense.
    expect(constDtype.get('model.layers.0.self_attn.k_proj.weight')).toBe('fp16');
    // The package holds the matching constexpr ops, one per compressed op of the IR.
    const counts = milOpCounts(join(out, 'tiny-llm.mlpackage'));
    let luts = 0;
    let blocks = 0;
    for (const c of counts.values()) {
      luts += c.get('constexpr_lut_to_dense') ?? 0;
      blocks += c.get('constexpr_blockwise_shift_scale') ?? 0;
    }
    expect(luts).toBe([...text.matchAll(/= lut_dequantize\(/g)].length);
    expect(blocks).toBe([...text.matchAll(/= blockwise_dequantize\(/g)].length);
    expect(luts).toBeGreaterThan(0);
    expect(blocks).toBeGreaterThan(0);
    expect(r.stdout).toMatch(/tiny-llm: compression int8,ffn=lut4,lm_head=lut6 replaced \d+ weight constants/);
  });

  it('writes smaller weights than the dense build, with one table per tensor before ios18', async () => {
    const dense = join(tmp.dir, 'compress-dense');
    const lut = join(tmp.dir, 'compress-ios16');
    expect((await run(['compile', '--model', 'tiny', '--parts', 'llm', '--target', 'ios16', '--out', dense])).code).toBe(0);
    const r = await run(['compile', '--model', 'tiny', '--parts', 'llm', '--target', 'ios16', '--compress', 'lut4', '--out', lut]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('compression on ios16: look-up tables are one per tensor (grouped tables need ios18)');
    const size = (dir: string, fn: string): number => statSync(join(dir, `tiny-llm-${fn}.mlpackage/Data/com.apple.CoreML/weights/weight.bin`)).size;
    for (const fn of ['embed', 'embed_token', 'prefill', 'decode']) expect(size(lut, fn), fn).toBeLessThanOrEqual(size(dense, fn));
    expect(size(lut, 'prefill')).toBeLessThan(size(dense, 'prefill') / 2);
    expect(milOpCounts(join(lut, 'tiny-llm-prefill.mlpackage')).get('main')!.get('constexpr_lut_to_dense')).toBeGreaterThan(0);
  });

  it('is deterministic: the tables computed on worker threads give byte-identical packages', async () => {
    const a = join(tmp.dir, 'compress-det-a');
    const b = join(tmp.dir, 'compress-det-b');
    for (const out of [a, b]) expect((await run(['compile', '--model', 'tiny', '--compress', 'lut6,attn=int8', '--out', out])).code).toBe(0);
    const sa = snapshot(a);
    const sb = snapshot(b);
    expect([...sa.keys()]).toEqual([...sb.keys()]);
    for (const [k, v] of sa) expect(Buffer.compare(v, sb.get(k)!), k).toBe(0);
  });
});
