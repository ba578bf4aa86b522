/**
 * `eliminate-dead-code`: removes ops whose results nothing uses.
 * @module
 */
import { definePass } from '../pass.js';
import { editFunctions } from './util.js';

/** Removes ops whose outputs are neither used by another op nor function outputs. */
export const eliminateDeadCode = definePass({
  name: 'eliminate-dead-code',
  summary: 'Removes ops whose results are never used.',
  doc: `Removes every op none of whose results is used by a live op or returned by the function,
in one backward sweep (so whole dead chains go at once). Function inputs are kept: they are
the function's interface. With \`pruneWeights\`, weights of the store that no \`const\` of any
function refers to any more are dropped as well (only safe when the store is not shared with
another program; the PassManager gives every run its own store).

Before:
\`\`\`
func main(%x: fp32[4]) -> (%y) {
  %a = exp(x=%x) : fp32[4]
  %b = relu(x=%a) : fp32[4]
  %y = neg(x=%x) : fp32[4]
  return %y
}
\`\`\`
After:
\`\`\`
func main(%x: fp32[4]) -> (%y) {
  %y = neg(x=%x) : fp32[4]
  return %y
}
\`\`\``,
  options: {
    pruneWeights: { kind: 'bool', default: false, doc: 'Also delete store weights no const refers to.' },
  },
  run(program, ctx) {
    let removed = 0;
    editFunctions(program, (ed) => {
      const ops = ed.ops();
      for (let i = ops.length - 1; i >= 0; i--) {
        const op = ops[i]!;
        if (ed.isDead(op)) {
          ed.erase(op);
          removed++;
        }
      }
    });
    ctx.note(`removed ${removed} ops`);
    if (ctx.options.pruneWeights) {
      const used = new Set<string>();
      for (const fn of program.functions.values()) {
        for (const op of fn.body.ops) if (op.kind === 'const' && typeof op.attrs.weight === 'string') used.add(op.attrs.weight);
      }
      let pruned = 0;
      for (const name of program.weights.names()) {
        if (!used.has(name)) {
          program.weights.delete(name);
          pruned++;
        }
      }
      ctx.note(`pruned ${pruned} weights`);
    }
  },
});
