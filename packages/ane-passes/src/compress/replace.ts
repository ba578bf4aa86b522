/**
 * The shared rewrite of the compression passes: new `const`s over lazily computed store
 * entries, the compressed op computing the dense value from them, and the swap of every use
 * (the compressed op takes over the original value's name).
 * @module
 */
import { type Attrs, type DType, type Value, type WeightSource } from '@fastvlm/graph';
import type { FunctionEditor } from '../ir/editor.js';
import { freshWeightName } from '../ir/consts.js';
import type { Candidate } from './candidates.js';

/** One new constant: a store entry and the const op reading it. */
export interface NewConst {
  /** Input name of the compressed op it feeds. */
  readonly input: string;
  /** Suffix of the store entry and value names (`lut`, `indices`, `scale`, ...). */
  readonly suffix: string;
  readonly source: WeightSource;
}

/** Store names of the entries a job created, reused when another const reads the same weight. */
export type CreatedEntries = ReadonlyMap<string, string>;

/**
 * Adds the entries of `consts` to the store (fresh names `<sourceName>.<suffix>`), unless
 * `reuse` already names them, and returns the names by suffix.
 */
export function addEntries(ed: FunctionEditor, c: Candidate, consts: readonly NewConst[], reuse: CreatedEntries | undefined): Map<string, string> {
  const names = new Map<string, string>();
  for (const k of consts) {
    const known = reuse?.get(k.suffix);
    if (known !== undefined) {
      names.set(k.suffix, known);
      continue;
    }
    const name = freshWeightName(ed.program, `${c.sourceName}.${k.suffix}`);
    ed.program.weights.add(name, k.source);
    names.set(k.suffix, name);
  }
  return names;
}

/** Replaces candidate `c` by `kind(consts...)` with `attrs`; returns the new dense value. */
export function replaceConst(ed: FunctionEditor, c: Candidate, kind: string, consts: readonly NewConst[], entries: ReadonlyMap<string, string>, attrs: Attrs = {}): Value {
  const inputs: Record<string, Value> = {};
  for (const k of consts) {
    const name = entries.get(k.suffix)!;
    const src = ed.program.weights.source(name);
    const op = ed.add('const', {}, { dtype: src.dtype as DType, shape: [...src.shape], weight: name }, c.op, { hint: `${c.value.name}.${k.suffix}` });
    inputs[k.input] = op.outputs[0]!;
  }
  const deq = ed.add(kind, inputs, attrs, c.op, { hint: `${c.value.name}.dense` });
  const dense = deq.outputs[0]!;
  ed.replaceAllUses(c.value, dense, { adoptName: true });
  ed.erase(c.op);
  return dense;
}
