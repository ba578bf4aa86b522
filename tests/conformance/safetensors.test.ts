/**
 * Conformance of our safetensors reader and writer with the reference Python `safetensors`
 * library: Python writes, we read; we write, Python reads. Needs the repository's venv
 * (scripts/ensure-venv.sh, tests/conformance/requirements.txt); without it the tests fail under
 * CI=true and otherwise print that they did not run (see venv-python.ts).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type DType,
  type Tensor,
  FastVlmError,
  SyntheticWeights,
  loadSafetensors,
  loadSafetensorsDir,
  openSafetensorsDir,
  roundToFp16,
  tensor,
  writeSafetensors,
  writeShardedSafetensors,
} from '@fastvlm/graph';
import { pythonReady, runPythonJson } from './venv-python.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fastvlm-st-conf-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

type PyValue = number | 'nan' | 'inf' | '-inf';
interface PyTensor {
  dtype: string;
  shape: number[];
  values: PyValue[];
}
interface PyFile {
  metadata: Record<string, unknown>;
  tensors: Record<string, PyTensor>;
  weight_map?: Record<string, string>;
}

function runPython(...args: string[]): unknown {
  return runPythonJson<unknown>('safetensors_oracle.py', args, 300_000);
}

/** True when the venv is there; otherwise fails under CI=true and prints "not run" elsewhere. */
function pythonAvailable(): boolean {
  return pythonReady('safetensors vs the Python safetensors library');
}

let written: { single: PyFile; sharded: PyFile } | undefined;
function pythonWritten(): { single: PyFile; sharded: PyFile } {
  written ??= runPython('write', tmp) as { single: PyFile; sharded: PyFile };
  return written;
}

function num(v: PyValue): number {
  return v === 'nan' ? NaN : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : v;
}

function expectSame(got: ArrayLike<number>, want: readonly number[], what: string): void {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!, w = want[i]!;
    expect(Object.is(g, w) || (Number.isNaN(g) && Number.isNaN(w)), `${what}[${i}]: got ${g}, want ${w}`).toBe(true);
  }
}

/** Reference fp32 -> bf16 value: nearest of the two bf16 neighbours, ties to the even one. */
function refBf16Value(x: number): number {
  const b = Buffer.alloc(4);
  b.writeFloatLE(x, 0);
  const bits = b.readUInt32LE(0);
  if (!Number.isFinite(x)) return x;
  const val = (h: number): number => {
    const c = Buffer.alloc(4);
    c.writeUInt32LE((h & 0xffff) * 65536, 0);
    return c.readFloatLE(0);
  };
  // For distances, the step past the largest finite bf16 counts as 2^128 (IEEE overflow rule).
  const dist = (h: number): number => ((h & 0x7fff) === 0x7f80 ? (h & 0x8000 ? -(2 ** 128) : 2 ** 128) : val(h));
  const lo = bits >>> 16, hi = lo + 1;
  const x32 = Math.fround(x);
  const dl = Math.abs(x32 - dist(lo)), dh = Math.abs(dist(hi) - x32);
  return val(dl < dh || (dl === dh && lo % 2 === 0) ? lo : hi);
}

const IR_OF: Record<string, DType> = { F32: 'fp32', F16: 'fp16', BF16: 'fp32', I8: 'int8', U8: 'uint8', I32: 'int32', I64: 'int32', BOOL: 'bool' };

describe('safetensors conformance with the Python safetensors library', () => {
  it('reads single-file and sharded checkpoints written by Python', () => {
    if (!pythonAvailable()) return;
    const py = pythonWritten();
    const single = path.join(tmp, 'single.safetensors');
    const s = loadSafetensors(single);
    expect(s.names().sort()).toEqual(Object.keys(py.single.tensors).sort());
    for (const [name, t] of Object.entries(py.single.tensors)) {
      const got = s.read(name);
      expect(got.dtype, name).toBe(IR_OF[t.dtype]);
      expect(got.shape, name).toEqual(t.shape);
      expectSame(got.data, t.values.map(num), name);
    }
    expect(openSafetensorsDir(tmp + path.sep + 'sharded').metadata).toEqual(py.sharded.metadata);
    const half = loadSafetensors(single, { floatDtype: 'fp16' });
    expectSame(half.read('bf16').data, py.single.tensors['bf16']!.values.map((v) => roundToFp16(num(v))), 'bf16 as fp16');

    const sharded = loadSafetensorsDir(path.join(tmp, 'sharded'));
    expect(sharded.names().sort()).toEqual(Object.keys(py.sharded.tensors).sort());
    for (const [name, t] of Object.entries(py.sharded.tensors)) {
      const got = sharded.read(name);
      expect(got.dtype, name).toBe(IR_OF[t.dtype]);
      expectSame(got.data, t.values.map(num), name);
    }

    let err: unknown;
    try {
      loadSafetensors(path.join(tmp, 'i64big.safetensors')).read('ids');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FastVlmError);
    expect((err as FastVlmError).code).toBe('E_SAFETENSORS');
    expect((err as FastVlmError).message).toContain('element 1');
  });

  it('writes single-file and sharded checkpoints Python reads back exactly', () => {
    if (!pythonAvailable()) return;
    const py = pythonWritten();
    const specials = [0, -0, 1.5, 1e-40, 3.4028234663852886e38, -Infinity, NaN, 0.1, -65520, 6e-8];
    const bfInputs = [1.0, -0.0, 3.14159, 1e38, -1e-39, 65504.0, 0.1]; // as in the oracle's 'bf16'
    const ours: [string, Tensor][] = [
      ['f32', tensor('fp32', [2, 5], specials)],
      ['f32_as_f16', tensor('fp32', [10], specials)],
      ['f32_as_bf16', tensor('fp32', [10], specials)],
      ['torch_bf16', tensor('fp32', [7], bfInputs)],
      ['f16', tensor('fp16', [4], [1, -2.5, 65504, 6e-8])],
      ['i8', tensor('int8', [3], [-128, 0, 127])],
      ['u8', tensor('uint8', [3], [0, 128, 255])],
      ['i32', tensor('int32', [3], [-2147483648, 1, 2147483647])],
      ['i32_as_i64', tensor('int32', [3], [-2147483648, -1, 2147483647])],
      ['mask', tensor('bool', [2, 2], [1, 0, 0, 1])],
      ['q4', tensor('int4', [4], [-8, -1, 0, 7])],
      ['scalar', tensor('fp32', [], [2.5])],
      ['empty', tensor('fp16', [0, 2], [])],
    ];
    const file = path.join(tmp, 'ours.safetensors');
    writeSafetensors(file, ours, {
      metadata: { format: 'pt', note: 'v \u00e9' },
      dtypes: (name, dt) => (name === 'f32_as_f16' ? 'F16' : name === 'f32_as_bf16' || name === 'torch_bf16' ? 'BF16' : name === 'i32_as_i64' ? 'I64' : dt === 'int4' ? 'I8' : undefined),
    });

    const sw = new SyntheticWeights({ seed: 3 });
    sw.add('enc.w', 'fp16', [8, 8]);
    sw.add('enc.b', 'fp32', [8]);
    sw.add('dec.w', 'fp32', [4, 8], { kind: 'uniform' });
    sw.add('dec.ids', 'int32', [6]);
    const dir = path.join(tmp, 'ours-sharded');
    const res = writeShardedSafetensors(dir, sw.store, { maxShardBytes: 160, metadata: { format: 'pt' }, chunkBytes: 24 });
    expect(res.shards.length).toBeGreaterThan(1);

    const read = runPython('read', file, dir) as Record<string, PyFile>;
    const one = read[file]!;
    expect(one.metadata).toEqual({ format: 'pt', note: 'v \u00e9' });
    const want: Record<string, [string, number[], number[]]> = {
      f32: ['F32', [2, 5], specials.map(Math.fround)],
      f32_as_f16: ['F16', [10], specials.map(roundToFp16)],
      f32_as_bf16: ['BF16', [10], specials.map(refBf16Value)],
      torch_bf16: ['BF16', [7], py.single.tensors['bf16']!.values.map(num)], // PyTorch's own rounding
      f16: ['F16', [4], [1, -2.5, 65504, roundToFp16(6e-8)]],
      i8: ['I8', [3], [-128, 0, 127]],
      u8: ['U8', [3], [0, 128, 255]],
      i32: ['I32', [3], [-2147483648, 1, 2147483647]],
      i32_as_i64: ['I64', [3], [-2147483648, -1, 2147483647]],
      mask: ['BOOL', [2, 2], [1, 0, 0, 1]],
      q4: ['I8', [4], [-8, -1, 0, 7]],
      scalar: ['F32', [], [2.5]],
      empty: ['F16', [0, 2], []],
    };
    expect(Object.keys(one.tensors).sort()).toEqual(Object.keys(want).sort());
    for (const [name, [dt, shape, values]] of Object.entries(want)) {
      const t = one.tensors[name]!;
      expect(t.dtype, name).toBe(dt);
      expect(t.shape, name).toEqual(shape);
      expectSame(t.values.map(num), values, name);
    }
    expectSame(want['torch_bf16']![2], bfInputs.map(refBf16Value), 'our bf16 reference vs PyTorch');

    const sh = read[dir]!;
    expect(sh.metadata).toEqual({ total_size: res.totalSize });
    expect(Object.keys(sh.weight_map!).sort()).toEqual(['dec.ids', 'dec.w', 'enc.b', 'enc.w']);
    for (const name of sw.store.names()) {
      const src = sw.store.read(name);
      const t = sh.tensors[name]!;
      expect(t.shape, name).toEqual(src.shape);
      expectSame(t.values.map(num), [...src.data], name);
    }
  });
});
