import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import '../ops/index.js';
import { allOps } from '../ops/registry.js';
import type { OpDef } from '../ops/def.js';
import { BENCH_SWIFT, GENERATED_BENCH_TS, GENERATED_DOCS, GENERATED_RULES_DOC, GENERATED_TS, generateFiles, generateOpsDoc, generateOpsSource, main, methodName, staleFiles } from '../../../../scripts/codegen.js';
import { GraphFunction } from './graph-function.js';

const never = (): never => {
  throw new Error('not run');
};

/** Hand-written definitions exercising each typing and parameter form. */
const FAKE: OpDef[] = [
  {
    name: 'fake_norm',
    family: 'fake',
    traits: { layout: 'fixed', commutative: false },
    doc: 'A fake op with an optional input before a required one. Has */ and @tag in its doc.',
    inputs: [
      { name: 'x', dtypes: ['fp16', 'fp32'], doc: 'Input.' },
      { name: 'gamma', dtypes: ['fp16', 'fp32'], optional: true, doc: 'Scale.' },
      { name: 'beta', dtypes: ['fp16', 'fp32'], rank: 1, doc: 'Offset.' },
    ],
    attrs: [
      { name: 'mode', kind: 'string', oneOf: ['A', 'B'], default: 'A', doc: 'Mode.' },
      { name: 'axes', kind: 'ints', doc: 'Axes.' },
    ],
    outputs: [{ name: 'output', typing: 'same:x' }],
    infer: never,
    kernel: never,
  },
  {
    name: 'fake_cast',
    family: 'fake',
    traits: { layout: 'fixed', commutative: false },
    doc: 'Attr dtype typing.',
    inputs: [{ name: 'x', dtypes: ['fp32', 'int32'], doc: 'Input.' }],
    attrs: [{ name: 'dtype', kind: 'dtype', default: 'fp16', doc: 'Target.' }],
    outputs: [{ name: 'output', typing: 'attr-dtype:dtype' }],
    infer: never,
    kernel: never,
  },
  {
    name: 'fake_split',
    family: 'fake',
    traits: { layout: 'fixed', commutative: false },
    doc: 'Variadic outputs.',
    inputs: [{ name: 'x', dtypes: ['fp32'], doc: 'Input.' }],
    attrs: [],
    outputs: [{ name: 'outputs', typing: 'same:x' }],
    variadicOutputs: true,
    infer: never,
    kernel: never,
  },
  {
    name: 'fake_where',
    family: 'fake',
    traits: { layout: 'fixed', commutative: false },
    doc: 'Three-way broadcast to bool, and a rank-2 second output.',
    inputs: [
      { name: 'a', dtypes: ['fp32'], doc: 'A.' },
      { name: 'b', dtypes: ['fp32'], doc: 'B.' },
      { name: 'c', dtypes: ['fp32'], doc: 'C.' },
    ],
    attrs: [],
    outputs: [
      { name: 'mask', typing: 'bool-broadcast' },
      { name: 'rows', typing: 'rank:2' },
    ],
    infer: never,
    kernel: never,
  },
];

const tmpRoots: string[] = [];
afterAll(() => {
  for (const r of tmpRoots) rmSync(r, { recursive: true, force: true });
});

describe('codegen', () => {
  it('--check passes on the committed generated files', () => {
    expect(staleFiles()).toEqual([]);
  });

  it('finds stale and missing files and main() exits non-zero for them', () => {
    const files = generateFiles();
    const root = mkdtempSync(join(tmpdir(), 'codegen-'));
    tmpRoots.push(root);
    expect(staleFiles(root, files)).toEqual([GENERATED_TS, GENERATED_DOCS, GENERATED_BENCH_TS, BENCH_SWIFT, GENERATED_RULES_DOC]);
    for (const f of files) {
      mkdirSync(dirname(join(root, f.path)), { recursive: true });
      writeFileSync(join(root, f.path), f.content);
    }
    expect(staleFiles(root, files)).toEqual([]);
    writeFileSync(join(root, GENERATED_DOCS), files[1]!.content + '\n');
    expect(staleFiles(root, files)).toEqual([GENERATED_DOCS]);
  });

  it('main --check reports success on the real tree', () => {
    expect(main(['--check'])).toBe(0);
  });

  it('is deterministic', () => {
    expect(generateOpsSource(FAKE)).toBe(generateOpsSource(FAKE));
    expect(generateOpsDoc(allOps())).toBe(generateOpsDoc(allOps()));
  });

  it('types positional inputs, optional inputs, options, rank checks and outputs', () => {
    const src = generateOpsSource(FAKE);
    expect(src).toContain(
      "fakeNorm<DX extends 'fp16' | 'fp32', RX extends number, RBeta extends number>(x: TensorHandle<DX, RX>, gamma: TensorHandle<'fp16' | 'fp32', number> | undefined, beta: TensorHandle<'fp16' | 'fp32', RBeta> & RankCheck<RBeta, 1, 'fake_norm', 'beta'>, options: FakeNormOptions): TensorHandle<DX, RX>",
    );
    expect(src).toContain("readonly mode?: 'A' | 'B';");
    expect(src).toContain('readonly axes: readonly number[];');
    expect(src).toContain("fakeCast<RX extends number, TDtype extends DType = 'fp16'>(x: TensorHandle<'fp32' | 'int32', RX>, options: FakeCastOptions<TDtype> = {}): TensorHandle<TDtype, RX>");
    expect(src).toContain('fakeSplit<DX extends \'fp32\', RX extends number>(x: TensorHandle<DX, RX>): TensorHandle<DX, RX>[]');
    expect(src).toContain("return this.addOp('fake_split', { x }, undefined) as TensorHandle<DX, RX>[];");
    expect(src).toContain('[TensorHandle<\'bool\', MaxRank<RA, MaxRank<RB, RC>>>, TensorHandle<DA, 2>]');
    // Docs are escaped so they cannot end the comment or start a tag.
    expect(src).toContain('Has *\\/ and \\@tag in its doc.');
    expect(src).not.toMatch(/Has \*\/ and/);
  });

  it('has one method per registered op except const, without shadowing DSL members', () => {
    const src = generateOpsSource(allOps());
    for (const op of allOps()) {
      if (op.name === 'const') {
        expect(src).not.toContain("this.addOp('const'");
        continue;
      }
      expect(src).toContain(`this.addOp('${op.name}', `);
      expect(typeof (GraphFunction.prototype as unknown as Record<string, unknown>)[methodName(op.name)]).toBe('function');
    }
    expect(methodName('reduce_mean')).toBe('reduceMean');
    expect(methodName('input')).toBe('inputOp');
    expect(methodName('scope')).toBe('scopeOp');
    // An op named like any DSL member would get a suffix instead of shadowing it.
    for (const member of Object.getOwnPropertyNames(GraphFunction.prototype)) {
      expect(methodName(member)).not.toBe(member);
    }
  });

  it('documents every op on the reference page', () => {
    const doc = generateOpsDoc(allOps());
    for (const op of allOps()) {
      expect(doc).toContain(`\n## ${op.name}\n`);
      expect(doc).toContain(`Family: \`${op.family}\``);
    }
    const fake = generateOpsDoc(FAKE);
    expect(fake).toContain('| `gamma` | fp16, fp32 | any | no | Scale. |');
    expect(fake).toContain('| `beta` | fp16, fp32 | 1 | yes | Offset. |');
    expect(fake).toContain('| `mode` | string: `A`, `B` | `"A"` | Mode. |');
    expect(fake).toContain('| `axes` | ints | required | Axes. |');
    expect(fake).toContain('| `outputs` (one per piece) | `same:x` |  |');
    expect(fake).toContain('DSL: `f.fakeNorm(x, gamma?, beta, options)`.');
  });

  it('rejects a typing that names no input', () => {
    const bad: OpDef = { ...FAKE[2]!, name: 'fake_bad', outputs: [{ name: 'o', typing: 'same:nope' }] };
    expect(() => generateOpsSource([bad])).toThrow(/E_CODEGEN.*same:nope/);
  });
});
