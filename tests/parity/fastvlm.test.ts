/**
 * Numerical parity of the DSL FastVLM with PyTorch. The `tiny` configuration's synthetic weights
 * are written as a Hugging Face-style checkpoint, loaded back with loadCheckpoint, and run by our
 * interpreter; tests/conformance/py/fastvlm_ref.py (standard torch modules, CPU, fp32) runs the
 * same checkpoint. Compared: the projected image features, the prefill logits and KV caches, and
 * decode (one token after the prefill, its embedding from `embed_token`) against PyTorch's run
 * over S+1 tokens; and `embed` / `embed_token` against torch.nn.Embedding (tests/parity/
 * embedding_ref.py) on every token id, where the gather must be exact.
 *
 * Error measure: rel = max|ours - torch| / max|torch| over a whole output; it must be <= 1e-4.
 * Under CI=true a missing venv fails the suite; elsewhere it prints "parity not run".
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { type Tensor, decodeTensor, interpret, openSafetensors, safetensorsTargetDType, tensor, writeSafetensors } from '@fastvlm/graph';
import { buildFastVlm, getConfig, hfConfigJson, loadCheckpoint, referenceConfigJson, syntheticWeights } from '@fastvlm/models';
import { PY_DIR, VENV_PYTHON } from '../conformance/venv-python.js';
import { maxRelError } from '../../packages/graph/src/testing/metrics.js';
import { maxAbsDiff } from '../../packages/graph/src/testing/arb.js';

/** The torch.nn.Embedding reference of embed / embed_token. */
const EMBEDDING_REF = fileURLToPath(new URL('./embedding_ref.py', import.meta.url));

const TOLERANCE = 1e-4;
const work = mkdtempSync(join(tmpdir(), 'fastvlm-parity-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Runs a PyTorch reference script with the venv's Python. */
function runTorch(script: string, args: readonly string[]): void {
  try {
    execFileSync(VENV_PYTHON, [script, ...args], {
      timeout: 120_000,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PYTHONWARNINGS: 'ignore' },
    });
  } catch (e) {
    throw new Error(`${script} failed: ${(e as Error).message}\n${String((e as { stderr?: unknown }).stderr ?? '')}`);
  }
}

/** Reads every tensor of a safetensors file the reference wrote. */
function readOutputs(path: string): (name: string) => Tensor {
  const file = openSafetensors(path);
  return (name) => {
    const info = file.info(name);
    return decodeTensor(safetensorsTargetDType(info.dtype), info.shape, file.read(name));
  };
}

/** Max absolute and relative error (max|a-b| / max|b|) of `ours` against `ref`. */
function errors(ours: ArrayLike<number>, ref: ArrayLike<number>): { abs: number; rel: number } {
  expect(ours.length).toBe(ref.length);
  return { abs: maxAbsDiff(ours, ref), rel: maxRelError(ours, ref) };
}

function expectClose(what: string, ours: ArrayLike<number>, ref: ArrayLike<number>): void {
  const e = errors(ours, ref);
  console.log(`parity ${what}: max abs error ${e.abs.toExponential(3)}, max rel error ${e.rel.toExponential(3)} (${ref.length} values)`);
  expect(Number.isFinite(e.rel), what).toBe(true);
  expect(e.rel, what).toBeLessThanOrEqual(TOLERANCE);
}

/** Cache positions [from, to) of a [layers, kvHeads, C, d] tensor, flattened in that order. */
function positions(t: Tensor, from: number, to: number): number[] {
  const [L, K, C, D] = t.shape as [number, number, number, number];
  const out: number[] = [];
  for (let l = 0; l < L; l++) for (let k = 0; k < K; k++) for (let p = from; p < Math.min(to, C); p++) for (let e = 0; e < D; e++) out.push(t.data[((l * K + k) * C + p) * D + e]!);
  return out;
}

function venvReady(): boolean {
  if (existsSync(VENV_PYTHON)) return true;
  const msg = `parity not run: ${VENV_PYTHON} is missing (create it with scripts/ensure-venv.sh)`;
  if (process.env.CI === 'true') throw new Error(`${msg}; CI=true requires the PyTorch oracle`);
  console.warn(msg);
  return false;
}

describe('FastVLM tiny vs PyTorch', () => {
  const cfg = getConfig('tiny');
  const R = cfg.defaults.resolution;
  const S = cfg.defaults.prefillLength;
  const H = cfg.llm.hiddenSize;
  let ckptDir: string | undefined;
  /** A Hugging Face-style checkpoint of the synthetic weights (written once). */
  const checkpoint = (): string => {
    if (ckptDir !== undefined) return ckptDir;
    const dir = join(work, 'ckpt');
    mkdirSync(dir, { recursive: true });
    writeSafetensors(join(dir, 'model.safetensors'), syntheticWeights(cfg, { seed: 1 }));
    writeFileSync(join(dir, 'config.json'), JSON.stringify(hfConfigJson(cfg)));
    ckptDir = dir;
    return dir;
  };

  it(`matches fastvlm_ref.py within rel ${TOLERANCE} (vision, prefill, decode)`, () => {
    if (!venvReady()) return;
    const ckpt = checkpoint();
    const images = tensor('fp32', [1, 3, R, R], Array.from({ length: 3 * R * R }, (_, i) => Math.abs(Math.sin(i * 12.9898 + 0.5) * 43758.5453) % 1));
    const ids = Array.from({ length: S + 1 }, (_, i) => (i * 37 + 11) % cfg.llm.vocabSize);
    const inputs = join(work, 'inputs.safetensors');
    writeSafetensors(inputs, [['images', images], ['input_ids', tensor('int32', [1, S + 1], ids)]]);
    const refCfg = join(work, 'ref.json');
    writeFileSync(refCfg, JSON.stringify(referenceConfigJson(cfg, R)));
    const outPath = join(work, 'torch.safetensors');
    runTorch(`${PY_DIR}fastvlm_ref.py`, [refCfg, join(ckpt, 'model.safetensors'), inputs, outPath]);
    const ref = readOutputs(outPath);

    const loaded = loadCheckpoint(ckpt, 'tiny');
    const built = buildFastVlm(loaded.config, { weights: loaded.weights });
    const llm = built.llm!;

    // Vision tower + projector.
    const features = interpret(built.vision!, 'vision', { images }).get('image_features')!;
    expect(features.shape).toEqual([1, (R / 64) ** 2, H]);
    expectClose('image_features', features.data, ref('image_features').data);

    // Prefill of the first S tokens: logits of position S-1, caches of positions < S.
    const allLogits = ref('all_logits');
    const V = cfg.llm.vocabSize;
    const emb = interpret(llm, 'embed', { input_ids: tensor('int32', [1, S], ids.slice(0, S)) }).get('embeddings')!;
    const pre = interpret(llm, 'prefill', { embeddings: emb });
    expectClose('prefill logits', pre.get('logits')!.data, allLogits.data.subarray((S - 1) * V, S * V));
    const refK = ref('key_cache');
    const refV = ref('value_cache');
    expect(refK.shape).toEqual([cfg.llm.numHiddenLayers, cfg.llm.numKeyValueHeads, S + 1, cfg.llm.headDim]);
    expectClose('prefill key_cache', positions(pre.get('key_cache')!, 0, S), positions(refK, 0, S));
    expectClose('prefill value_cache', positions(pre.get('value_cache')!, 0, S), positions(refV, 0, S));
    expect(positions(pre.get('key_cache')!, S, built.contextLength).every((x) => x === 0)).toBe(true);

    // Decode of token S at position S after the prefill, against PyTorch over S+1 tokens; its
    // embedding comes from embed_token, as in an app's generation loop.
    const embedding = interpret(llm, 'embed_token', { input_id: tensor('int32', [1, 1], [ids[S]!]) }).get('embedding')!;
    expect(embedding.shape).toEqual([1, 1, H]);
    const dec = interpret(llm, 'decode', { embedding, position: tensor('int32', [1], [S]), key_cache: pre.get('key_cache')!, value_cache: pre.get('value_cache')! });
    expectClose('decode logits', dec.get('logits')!.data, ref('logits').data);
    expectClose('decode key_cache', positions(dec.get('key_cache_out')!, 0, S + 1), refK.data);
    expectClose('decode value_cache', positions(dec.get('value_cache_out')!, 0, S + 1), refV.data);

    // Our own consistency: decode after a prefill of S equals a prefill of S+1.
    const longer = buildFastVlm(loaded.config, { weights: loaded.weights, parts: ['llm'], prefillLength: S + 1 }).llm!;
    const emb1 = interpret(longer, 'embed', { input_ids: tensor('int32', [1, S + 1], ids) }).get('embeddings')!;
    const pre1 = interpret(longer, 'prefill', { embeddings: emb1 });
    expectClose('decode vs prefill(S+1) logits', dec.get('logits')!.data, pre1.get('logits')!.data);
    expectClose('decode vs prefill(S+1) key_cache', dec.get('key_cache_out')!.data, pre1.get('key_cache')!.data);
    expectClose('decode vs prefill(S+1) value_cache', dec.get('value_cache_out')!.data, pre1.get('value_cache')!.data);
  });

  it('embed and embed_token equal torch.nn.Embedding exactly, on every token id', () => {
    if (!venvReady()) return;
    const V = cfg.llm.vocabSize;
    // Every id once, then a prefill's worth in a scrambled order (repeats included).
    const all = Array.from({ length: V }, (_, i) => i);
    const prefillIds = Array.from({ length: S }, (_, i) => (i * 53 + 7) % V);
    prefillIds[S - 1] = prefillIds[0]!;
    const inputs = join(work, 'embedding-inputs.safetensors');
    const outPath = join(work, 'embedding-torch.safetensors');
    writeSafetensors(inputs, [['input_ids', tensor('int32', [1, V + S], [...all, ...prefillIds])]]);
    runTorch(EMBEDDING_REF, [join(checkpoint(), 'model.safetensors'), inputs, outPath]);
    const torchRows = readOutputs(outPath)('embeddings');
    expect(torchRows.shape).toEqual([1, V + S, H]);
    const rowOf = (i: number): number[] => Array.from(torchRows.data.subarray(i * H, (i + 1) * H));

    const loaded = loadCheckpoint(checkpoint(), 'tiny', { parts: ['llm'] });
    const llm = buildFastVlm(loaded.config, { weights: loaded.weights, parts: ['llm'] }).llm!;
    const tokens: number[] = [];
    const torchTokens: number[] = [];
    for (const id of all) {
      const one = interpret(llm, 'embed_token', { input_id: tensor('int32', [1, 1], [id]) }).get('embedding')!;
      expect(one.shape).toEqual([1, 1, H]);
      tokens.push(...one.data);
      torchTokens.push(...rowOf(id));
    }
    expect(errors(tokens, torchTokens).abs).toBe(0);
    const emb = interpret(llm, 'embed', { input_ids: tensor('int32', [1, S], prefillIds) }).get('embeddings')!;
    const torchPrefill = prefillIds.flatMap((_, s) => rowOf(V + s));
    expect(errors(emb.data, torchPrefill).abs).toBe(0);
    console.log(`parity embed_token: ${V} ids, embed: ${S} ids, max abs error 0 against torch.nn.Embedding`);
  });
});
