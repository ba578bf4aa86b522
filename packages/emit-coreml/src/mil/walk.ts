/**
 * Visiting every value of an ML program (op attributes, inline input bindings, nested blocks,
 * function and program attributes), e.g. to find all weight.bin references.
 * @module
 */
import type { MilBlock, MilProgram, MilValue } from '../proto/mil-types.js';

/** A visited value and a readable path to it (`main/CoreML7/ops[3](linear lin).inputs.weight`). */
export interface VisitedValue {
  readonly path: string;
  readonly value: MilValue;
}

function* inValue(v: MilValue, path: string): Generator<VisitedValue> {
  yield { path, value: v };
  const im = v.immediateValue;
  if (!im) return;
  const nested = [...(im.tuple?.values ?? []), ...(im.list?.values ?? [])];
  for (let i = 0; i < nested.length; i++) yield* inValue(nested[i]!, `${path}[${i}]`);
  for (const [i, kv] of (im.dictionary?.values ?? []).entries()) {
    if (kv.key) yield* inValue(kv.key, `${path}{${i}}.key`);
    if (kv.value) yield* inValue(kv.value, `${path}{${i}}.value`);
  }
}

function* inAttrs(attrs: Readonly<Record<string, MilValue>> | undefined, path: string): Generator<VisitedValue> {
  for (const [k, v] of Object.entries(attrs ?? {})) yield* inValue(v, `${path}.attributes.${k}`);
}

function* inBlock(b: MilBlock, path: string): Generator<VisitedValue> {
  yield* inAttrs(b.attributes, path);
  for (const [i, op] of (b.operations ?? []).entries()) {
    const name = op.attributes?.name?.immediateValue?.tensor?.strings?.values?.[0] ?? '?';
    const at = `${path}/ops[${i}](${op.type ?? '?'} ${name})`;
    yield* inAttrs(op.attributes, at);
    for (const [k, arg] of Object.entries(op.inputs ?? {})) {
      for (const [j, bnd] of (arg.arguments ?? []).entries()) if (bnd.value) yield* inValue(bnd.value, `${at}.inputs.${k}[${j}]`);
    }
    for (const [j, nb] of (op.blocks ?? []).entries()) yield* inBlock(nb, `${at}.blocks[${j}]`);
  }
}

/** Every value of a program, in a deterministic order. */
export function* programValues(p: MilProgram): Generator<VisitedValue> {
  yield* inAttrs(p.attributes, 'program');
  for (const [fname, f] of Object.entries(p.functions ?? {})) {
    yield* inAttrs(f.attributes, fname);
    for (const [key, b] of Object.entries(f.blockSpecializations ?? {})) yield* inBlock(b, `${fname}/${key}`);
  }
}
