/**
 * `fold-constants`: evaluates ops whose inputs are all constants.
 * @module
 */
import { type Attrs, type Op, type Tensor, isStatic, numel, runOp } from '@fastvlm/graph';
import { describeError } from '../errors.js';
import { constReader } from '../ir/consts.js';
import { type DerivationParam, addDerivedWeight, derivationKey } from '../ir/derive.js';
import type { FunctionEditor } from '../ir/editor.js';
import { definePass } from '../pass.js';
import { editFunctions } from './util.js';

/**
 * Folds one op when every input is a const and its outputs are small enough. Returns true
 * when the op was replaced.
 */
export function foldOp(ed: FunctionEditor, op: Op, opts: { maxElements: number; inlineMaxElements: number }, notes?: string[]): boolean {
  if (op.kind === 'const') return false;
  type ConstReader = () => Tensor;
  const readers: Record<string, ConstReader | ConstReader[]> = {};
  for (const [k, v] of Object.entries(op.inputs)) {
    const list = Array.isArray(v) ? v : [v];
    const rs: ConstReader[] = [];
    for (const x of list) {
      const r = constReader(ed.program, x);
      if (!r) return false;
      rs.push(r);
    }
    readers[k] = Array.isArray(v) ? rs : rs[0]!;
  }
  let size = 0;
  for (const o of op.outputs) {
    if (!isStatic(o.type.shape)) return false;
    size += numel(o.type.shape);
  }
  if (size > opts.maxElements) return false;
  const kind = op.kind;
  const attrs = op.attrs;
  const store = ed.program.weights;
  const evaluate = (): Tensor[] => {
    const ins: Record<string, Tensor | Tensor[]> = {};
    for (const [k, r] of Object.entries(readers)) ins[k] = Array.isArray(r) ? r.map((f) => f()) : r();
    return runOp(kind, ins, attrs, store);
  };
  const small = op.outputs.every((o) => numel(o.type.shape as readonly number[]) <= opts.inlineMaxElements);
  let now: Tensor[] | undefined;
  if (small) {
    try {
      now = evaluate();
    } catch (e) {
      // Leave ops that cannot be evaluated (e.g. an out-of-range gather) for the runtime to report.
      notes?.push(`kept ${kind} -> %${op.outputs[0]?.name ?? ''}: ${describeError(e)}`);
      return false;
    }
  }
  // Folding the same op on the same constants elsewhere (another function, another layer)
  // yields the same weight.
  const params: Record<string, DerivationParam> = { inputs: Object.entries(op.inputs).map(([k, v]) => (Array.isArray(v) ? `${k}*${v.length}` : k)) };
  for (const [k, a] of Object.entries(attrs)) params[`attr.${k}`] = a;
  const consts = op.outputs.map((o, i) => {
    const shape = o.type.shape as readonly number[];
    const derivation = { transform: `fold-constants.${kind}`, params: { ...params, output: i }, inputs: op.inputValues() };
    const attrsOut: Attrs =
      now !== undefined
        ? { dtype: o.type.dtype, shape: [...shape], value: Array.from(now[i]!.data) }
        : {
            dtype: o.type.dtype,
            shape: [...shape],
            weight: addDerivedWeight(ed.program, derivationKey(ed.program, derivation, o.type.dtype, shape), `folded.${ed.fn.name}.${o.name}`, o.type.dtype, shape, () => evaluate()[i]!, `folded ${kind}`),
          };
    return ed.add('const', {}, attrsOut, op, { hint: o.name, ...(op.loc ? { loc: op.loc } : {}) });
  });
  op.outputs.forEach((o, i) => ed.replaceAllUses(o, consts[i]!.outputs[0]!, { adoptName: true }));
  // Constants that only fed the folded op go too.
  ed.eraseDead([op]);
  return true;
}

/** Replaces ops whose inputs are all constants by constants. */
export const foldConstants = definePass({
  name: 'fold-constants',
  summary: 'Evaluates ops whose inputs are all constants into constants.',
  doc: `Every op whose inputs are all \`const\` (ops without inputs such as \`fill\` and \`range\`
included) and whose outputs have at most \`maxElements\` elements is replaced by constants. Results
with at most \`inlineMaxElements\` elements are evaluated now with the reference kernels and
written inline (\`value=[...]\`); larger ones become computed WeightStore entries
(\`folded.<function>.<value>\`) evaluated lazily when the emitter streams them, so folding a
transposed or reshaped weight never materializes it during the pass. One forward sweep folds
whole constant chains; constants left without users by folding are removed. Ops whose
evaluation fails (an out-of-range gather) are kept.

Before:
\`\`\`
func main(%x: fp32[2]) -> (%y) {
  %a = const() {dtype="fp32", shape=[2], value=[1,2]} : fp32[2]
  %b = const() {dtype="fp32", shape=[2], value=[3,4]} : fp32[2]
  %c = mul(x=%a, y=%b) : fp32[2]
  %y = add(x=%x, y=%c) : fp32[2]
  return %y
}
\`\`\`
After:
\`\`\`
func main(%x: fp32[2]) -> (%y) {
  %c = const() {dtype="fp32", shape=[2], value=[3,8]} : fp32[2]
  %y = add(x=%x, y=%c) : fp32[2]
  return %y
}
\`\`\``,
  options: {
    maxElements: { kind: 'int', default: 1 << 22, min: 0, max: 2 ** 31 - 1, doc: 'Largest total output size (elements) that is folded.' },
    inlineMaxElements: { kind: 'int', default: 16, min: 0, max: 65536, doc: 'Folded results up to this size are written inline; larger ones become computed weights.' },
  },
  run(program, ctx) {
    let folded = 0;
    const notes: string[] = [];
    editFunctions(program, (ed) => {
      for (const op of ed.ops()) if (ed.contains(op) && foldOp(ed, op, ctx.options, notes)) folded++;
    });
    ctx.note(`folded ${folded} ops`);
    for (const n of notes) ctx.note(n);
  },
});
