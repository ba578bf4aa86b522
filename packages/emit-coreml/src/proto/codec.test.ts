import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { canonicalModel, decodeMessage, decodeModel, encodeMessage, encodeModel } from './codec.js';
import type { MilBlock, MilOperation, MilProgram, MilValue, MilValueType } from './mil-types.js';
import type { CoreMLModel } from './model-types.js';
import { errorCode, fastVlmError } from '../../../graph/src/testing/errors.js';

// ---- a naive protobuf writer, independent of protobufjs, for expected bytes ----
function varint(n: number | bigint): number[] {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return out;
}
const key = (field: number, wire: number): number[] => varint((field << 3) | wire);
const vf = (field: number, n: number | bigint): number[] => [...key(field, 0), ...varint(n)];
const ld = (field: number, body: number[]): number[] => [...key(field, 2), ...varint(body.length), ...body];
const str = (field: number, s: string): number[] => ld(field, [...new TextEncoder().encode(s)]);
const f32 = (x: number): number[] => [...new Uint8Array(new Float32Array([x]).buffer)];

const MIL = 'CoreML.Specification.MILSpec';
const hex = (b: Uint8Array | number[]): string => Buffer.from(b).toString('hex');

describe('wire format (bytes computed by a naive encoder)', () => {
  it('encodes a tensor type with constant and unknown dimensions', () => {
    const got = encodeMessage(`${MIL}.TensorType`, { dataType: 11, rank: 2, dimensions: [{ constant: { size: 300 } }, { unknown: { variadic: false } }] });
    const want = [...vf(1, 11), ...vf(2, 2), ...ld(3, ld(1, vf(1, 300))), ...ld(3, ld(2, []))];
    expect(hex(got)).toBe(hex(want));
  });

  it('packs repeated scalars and skips proto3 defaults outside oneofs', () => {
    const got = encodeMessage('CoreML.Specification.ArrayFeatureType', { shape: [1, 3, 0], dataType: 65552, intDefaultValue: 0 });
    // intDefaultValue belongs to a oneof, so an explicit 0 is written.
    const want = [...ld(1, [...varint(1), ...varint(3), ...varint(0)]), ...vf(2, 65552), ...vf(41, 0)];
    expect(hex(got)).toBe(hex(want));
    expect(hex(encodeMessage(`${MIL}.TensorType`, { dataType: 0, rank: 0, dimensions: [] }))).toBe('');
  });

  it('writes blob references, floats and negative int64', () => {
    const v: MilValue = { type: { tensorType: { dataType: 11 } }, blobFileValue: { fileName: '@model_path/weights/weight.bin', offset: 2 ** 40 } };
    expect(hex(encodeMessage(`${MIL}.Value`, v))).toBe(hex([...ld(2, ld(1, vf(1, 11))), ...ld(5, [...str(1, '@model_path/weights/weight.bin'), ...vf(2, 2n ** 40n)])]));
    const t = encodeMessage(`${MIL}.TensorValue`, { floats: { values: new Float32Array([1.5, -2]) }, });
    expect(hex(t)).toBe(hex(ld(1, ld(1, [...f32(1.5), ...f32(-2)]))));
    const l = encodeMessage(`${MIL}.TensorValue`, { longInts: { values: [-1, 5] } });
    expect(hex(l)).toBe(hex(ld(5, ld(1, [...varint(-1), ...varint(5)]))));
    expect(hex(encodeMessage(`${MIL}.Value`, { immediateValue: { tensor: { bytes: { values: new Uint8Array([7, 0, 255]) } } } }))).toBe(hex(ld(3, ld(1, ld(7, ld(1, [7, 0, 255]))))));
  });

  it('writes map entries sorted by key whatever the insertion order', () => {
    const arg = (n: string): number[] => ld(1, str(1, n));
    const entry = (k: string, n: string): number[] => ld(2, [...str(1, k), ...ld(2, arg(n))]);
    const want = [...str(1, 'add'), ...entry('x', 'a'), ...entry('y', 'b')];
    const a = encodeMessage(`${MIL}.Operation`, { type: 'add', inputs: { y: { arguments: [{ name: 'b' }] }, x: { arguments: [{ name: 'a' }] } } });
    const b = encodeMessage(`${MIL}.Operation`, { type: 'add', inputs: new Map([['x', { arguments: [{ name: 'a' }] }], ['y', { arguments: [{ name: 'b' }] }]]) });
    expect(hex(a)).toBe(hex(want));
    expect(hex(b)).toBe(hex(want));
  });

  it('puts the ML program at field 502 of Model', () => {
    const got = encodeModel({ specificationVersion: 8, mlProgram: { version: 1 } });
    expect(hex(got)).toBe(hex([...vf(1, 8), ...ld(502, vf(1, 1))]));
  });
});

// ---- round trips over generated programs ----
const ident = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_@]{0,6}$/);
const dim = fc.oneof(fc.nat(5000).map((size) => ({ constant: { size } })), fc.boolean().map((variadic) => ({ unknown: { variadic } })));
const tensorTypeArb = fc.array(dim, { maxLength: 4 }).chain((dims) =>
  fc.constantFrom(1, 2, 10, 11, 12, 23, 24, 25, 37).map((dataType): MilValueType => ({ tensorType: { dataType, rank: dims.length, dimensions: dims } })),
);
const tensorValueArb = fc.oneof(
  fc.array(fc.float({ noNaN: true }), { maxLength: 6 }).map((v) => ({ floats: { values: v } })),
  fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { maxLength: 6 }).map((v) => ({ ints: { values: v } })),
  fc.array(fc.boolean(), { maxLength: 6 }).map((v) => ({ bools: { values: v } })),
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 4 }).map((v) => ({ strings: { values: v } })),
  fc.array(fc.maxSafeInteger(), { maxLength: 4 }).map((v) => ({ longInts: { values: v } })),
  fc.array(fc.double({ noNaN: true }), { maxLength: 4 }).map((v) => ({ doubles: { values: v } })),
  fc.uint8Array({ maxLength: 9 }).map((v) => ({ bytes: { values: v } })),
);
const valueArb: fc.Arbitrary<MilValue> = fc.tuple(tensorTypeArb, fc.oneof(tensorValueArb.map((tensor) => ({ immediateValue: { tensor } })), fc.record({ blobFileValue: fc.record({ fileName: fc.constant('@model_path/weights/weight.bin'), offset: fc.nat(1e12).map((n) => n * 64) }) }))).map(([type, v]) => ({ type, ...v }));
const opArb: fc.Arbitrary<MilOperation> = fc.record({
  type: fc.constantFrom('const', 'add', 'linear', 'concat'),
  inputs: fc.dictionary(ident, fc.array(fc.oneof(ident.map((name) => ({ name })), valueArb.map((value) => ({ value }))), { minLength: 1, maxLength: 3 }).map((args) => ({ arguments: args })), { maxKeys: 3 }),
  outputs: fc.array(fc.record({ name: ident, type: tensorTypeArb }), { minLength: 1, maxLength: 2 }),
  attributes: fc.dictionary(ident, valueArb, { maxKeys: 2 }),
});
const blockArb: fc.Arbitrary<MilBlock> = fc.record({ outputs: fc.array(ident, { maxLength: 3 }), operations: fc.array(opArb, { maxLength: 4 }) });
const programArb: fc.Arbitrary<MilProgram> = fc.record({
  version: fc.constant(1),
  functions: fc.dictionary(ident, fc.tuple(fc.array(fc.record({ name: ident, type: tensorTypeArb }), { maxLength: 3 }), fc.constantFrom('CoreML5', 'CoreML7', 'CoreML8'), blockArb).map(([inputs, opset, block]) => ({ inputs, opset, blockSpecializations: { [opset]: block } })), { minKeys: 1, maxKeys: 2 }),
});
const modelArb: fc.Arbitrary<CoreMLModel> = fc.record({
  specificationVersion: fc.integer({ min: 6, max: 10 }),
  description: fc.record({
    input: fc.array(fc.record({ name: ident, type: fc.record({ multiArrayType: fc.record({ shape: fc.array(fc.nat(4096), { maxLength: 4 }), dataType: fc.constantFrom(65568, 65552, 131104) }) }) }), { maxLength: 2 }),
    metadata: fc.record({ author: fc.string({ maxLength: 8 }), userDefined: fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), fc.string({ maxLength: 6 }), { maxKeys: 3 }) }),
  }),
  mlProgram: programArb,
});

/** What decoding must give back: a naive re-statement of proto3 canonical form (no defaults, typed lists as arrays). */
function naiveCanonical(v: unknown, inOneof = false): unknown {
  if (v instanceof Uint8Array) return inOneof || v.length > 0 ? v : undefined;
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>);
  if (Array.isArray(v)) return v.length === 0 ? undefined : v.map((x) => naiveCanonical(x, true));
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, unknown> = {};
    const entries = v instanceof Map ? [...v.entries()] : Object.entries(v);
    for (const [k, x] of entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      // map<string, string> entries are kept even when the value is ''.
      const c = k === 'userDefined' ? { ...(x as object) } : naiveCanonical(x, ONEOF_MEMBERS.has(k as string));
      // An empty map is absent; an empty message is present.
      const emptyMap = MAP_FIELDS.has(k as string) && !Array.isArray(x) && typeof c === 'object' && c !== null && Object.keys(c).length === 0;
      if (c !== undefined && !emptyMap) out[k as string] = c;
    }
    return out;
  }
  if (!inOneof && (v === 0 || v === '' || v === false)) return undefined;
  return v;
}
const MAP_FIELDS = new Set(['functions', 'blockSpecializations', 'attributes', 'inputs', 'userDefined']);
// Members of oneofs in the generated messages keep explicit defaults.
const ONEOF_MEMBERS = new Set(['constant', 'unknown', 'tensorType', 'immediateValue', 'blobFileValue', 'tensor', 'floats', 'ints', 'bools', 'strings', 'longInts', 'doubles', 'bytes', 'name', 'value', 'multiArrayType', 'mlProgram']);

describe('round trip', () => {
  it('decode(encode(m)) equals the canonical form of m, and encoding is a function of content', () => {
    fc.assert(
      fc.property(modelArb, (m) => {
        const bytes = encodeModel(m);
        const back = decodeModel(bytes);
        expect(JSON.stringify(sortDeep(back))).toBe(JSON.stringify(sortDeep(naiveCanonical(m))));
        expect(hex(encodeModel(back))).toBe(hex(bytes));
        expect(hex(encodeModel(canonicalModel(m)))).toBe(hex(bytes));
      }),
      { numRuns: 150 },
    );
  });
});

function sortDeep(v: unknown): unknown {
  if (v instanceof Uint8Array) return { bytes: hex(v) };
  if (Array.isArray(v)) return v.map(sortDeep);
  if (typeof v === 'object' && v !== null) {
    const o: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) o[k] = sortDeep((v as Record<string, unknown>)[k]);
    return o;
  }
  return v;
}

describe('schema errors are coded', () => {
  it('rejects unknown fields, wrong types, two oneof members and unsafe integers with E_PROTO', () => {
    expect(errorCode(() => encodeModel({ specificationVersion: 8, mlProgram: { version: 1, functions: { main: { opset: 'CoreML7', dims: [] } as never } } }))).toBe('E_PROTO');
    expect(errorCode(() => encodeModel({ specificationVersion: '8' as never }))).toBe('E_PROTO');
    expect(errorCode(() => encodeModel({ specificationVersion: 2 ** 31 }))).toBe('E_PROTO');
    expect(errorCode(() => encodeMessage(`${MIL}.Dimension`, { constant: { size: 1 }, unknown: { variadic: false } }))).toBe('E_PROTO');
    expect(errorCode(() => encodeMessage(`${MIL}.Dimension`, { constant: { size: -1 } }))).toBe('E_PROTO');
    expect(errorCode(() => encodeMessage(`${MIL}.Value`, { blobFileValue: { offset: 2 ** 60 } }))).toBe('E_PROTO');
    expect(errorCode(() => encodeMessage(`${MIL}.TensorValue`, { bytes: { values: [1, 2] as never } }))).toBe('E_PROTO');
    expect(errorCode(() => encodeMessage(`${MIL}.Operation`, { inputs: [] as never }))).toBe('E_PROTO');
    expect(errorCode(() => encodeMessage(`${MIL}.Operation`, null))).toBe('E_PROTO');
    expect(errorCode(() => encodeMessage('No.Such.Type', {}))).toBe('E_PROTO');
  });

  it('names the path of the offending field', () => {
    const e = fastVlmError(() => encodeModel({ mlProgram: { functions: { main: { blockSpecializations: { CoreML7: { operations: [{ type: 'add', outputs: [{ name: 5 as never }] }] } } } } } }), 'E_PROTO');
    expect(e.message).toContain('Model.mlProgram.functions[main].blockSpecializations[CoreML7].operations[0].outputs[0].name');
  });

  it('rejects malformed bytes and out-of-range 64-bit values with E_PROTO_DECODE', () => {
    expect(errorCode(() => decodeModel(new Uint8Array([0x0a, 0x05, 0x01])))).toBe('E_PROTO_DECODE');
    expect(errorCode(() => decodeModel(new Uint8Array([0xff, 0xff, 0xff])))).toBe('E_PROTO_DECODE');
    expect(errorCode(() => decodeMessage(`${MIL}.Dimension`, new Uint8Array(ld(1, vf(1, 2n ** 60n)))))).toBe('E_PROTO_DECODE');
    expect(errorCode(() => decodeMessage(`${MIL}.TensorType`, new Uint8Array(vf(2, -(2n ** 60n)))))).toBe('E_PROTO_DECODE');
    expect(decodeMessage(`${MIL}.TensorType`, new Uint8Array(vf(2, -5)))).toEqual({ rank: -5 });
  });

  it('skips fields it does not model (other model kinds) when decoding', () => {
    const bytes = new Uint8Array([...vf(1, 4), ...ld(500, vf(1, 1)), ...ld(502, vf(1, 1))]);
    expect(decodeModel(bytes)).toEqual({ specificationVersion: 4, mlProgram: { version: 1 } });
  });
});
