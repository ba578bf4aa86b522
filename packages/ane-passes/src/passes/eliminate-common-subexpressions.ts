/**
 * `eliminate-common-subexpressions`: merges ops that compute the same thing.
 * @module
 */
import type { AttrValue, Op, Value } from '@fastvlm/graph';
import { definePass } from '../pass.js';
import { editFunctions } from './util.js';

function attrKey(v: AttrValue): string {
  const one = (x: number | string | boolean): string =>
    typeof x === 'number' ? (Object.is(x, -0) ? '-0' : Number.isNaN(x) ? 'NaN' : String(x)) : typeof x === 'string' ? JSON.stringify(x) : String(x);
  return Array.isArray(v) ? `[${(v as readonly (number | string)[]).map(one).join(',')}]` : one(v as number | string | boolean);
}

/** Merges ops of the same kind, attributes and inputs (consts of the same weight or value included). */
export const eliminateCommonSubexpressions = definePass({
  name: 'eliminate-common-subexpressions',
  summary: 'Merges ops with the same kind, attributes and inputs.',
  doc: `Walks each function in order with a table keyed by (kind, attributes, input values); an op
equal to an earlier one is replaced by it. Constants merge when their inline values (or weight
names) and types are equal, so repeated scalars collapse into one. Every op is pure, so equal
keys mean equal results. A duplicate that is a function output keeps its own op only when the
earlier value is itself an output or an input (function outputs keep their names).

Before:
\`\`\`
func main(%x: fp32[4]) -> (%y) {
  %a = exp(x=%x) : fp32[4]
  %b = exp(x=%x) : fp32[4]
  %y = add(x=%a, y=%b) : fp32[4]
  return %y
}
\`\`\`
After:
\`\`\`
func main(%x: fp32[4]) -> (%y) {
  %a = exp(x=%x) : fp32[4]
  %y = add(x=%a, y=%a) : fp32[4]
  return %y
}
\`\`\``,
  options: {},
  run(program, ctx) {
    let merged = 0;
    editFunctions(program, (ed) => {
      const ids = new Map<Value, number>();
      const id = (v: Value): number => {
        let n = ids.get(v);
        if (n === undefined) ids.set(v, (n = ids.size));
        return n;
      };
      for (const v of ed.fn.inputs) id(v);
      const table = new Map<string, Op>();
      for (const op of ed.ops()) {
        const ins = Object.keys(op.inputs)
          .sort()
          .map((k) => {
            const v = op.inputs[k]!;
            return `${k}=${Array.isArray(v) ? `(${(v as readonly Value[]).map(id).join(',')})` : id(v as Value)}`;
          })
          .join(';');
        const attrs = Object.keys(op.attrs)
          .sort()
          .map((k) => `${k}=${attrKey(op.attrs[k]!)}`)
          .join(';');
        const key = `${op.kind}|${attrs}|${ins}|${op.outputs.length}`;
        const prev = table.get(key);
        if (!prev) {
          table.set(key, op);
          for (const o of op.outputs) id(o);
          continue;
        }
        op.outputs.forEach((o, i) => ed.replaceAllUses(o, prev.outputs[i]!));
        if (ed.isDead(op)) {
          ed.erase(op);
          merged++;
        } else {
          for (const o of op.outputs) id(o);
        }
      }
    });
    ctx.note(`merged ${merged} ops`);
  },
});
