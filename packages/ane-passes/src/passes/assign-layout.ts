/**
 * `assign-layout`: runs whole regions of layout-agnostic ops in a target layout so that
 * transposes remain only at region boundaries (function inputs and outputs, layout-bound ops).
 * The layout rules per op kind are in assign-layout-rules.ts, the emitter in
 * assign-layout-emit.ts, regions and demands in assign-layout-regions.ts.
 * @module
 */
import { type Func, Program, WeightStore, cloneFunction } from '@fastvlm/graph';
import { FunctionEditor } from '../ir/editor.js';
import { definePass } from '../pass.js';
import { type AssignLayoutOptions, LayoutEmitter, type RegionMode, type RegionStats } from './assign-layout-emit.js';
import { computeDemands, computeRegions } from './assign-layout-regions.js';

export type { AssignLayoutOptions } from './assign-layout-emit.js';
export { AXIS_RULE_KINDS } from './assign-layout-rules.js';

function isolated(program: Program, fn: Func): { program: Program; fn: Func } {
  const store = new WeightStore();
  store.merge(program.weights);
  const p = new Program(store);
  const f = cloneFunction(fn);
  p.addFunction(f);
  return { program: p, fn: f };
}

function assignFunction(program: Program, fn: Func, opts: AssignLayoutOptions): { target: number; demand: number; regions: number } {
  const regions = computeRegions(fn);
  const demands = computeDemands(fn);
  const ids = [...new Set(regions)];
  const trial = (mode: RegionMode): RegionStats => {
    const s = isolated(program, fn);
    const em = new LayoutEmitter(new FunctionEditor(s.program, s.fn), opts, regions, () => mode, demands);
    em.run();
    return em.stats;
  };
  const modes: RegionMode[] = ['plain', 'target', 'demand'];
  const stats = modes.map(trial);
  const cost = (st: RegionStats, r: number): number => (st.conversions.get(r) ?? 0) - opts.opBonus * (st.targetOps.get(r) ?? 0);
  // Per region the cheapest mode; ties keep the earlier (simpler) one.
  const chosen = new Map<number, RegionMode>();
  for (const r of ids) {
    let m = 0;
    for (let k = 1; k < modes.length; k++) if (cost(stats[k]!, r) < cost(stats[m]!, r)) m = k;
    chosen.set(r, modes[m]!);
  }
  const ed = new FunctionEditor(program, fn);
  try {
    new LayoutEmitter(ed, opts, regions, (r) => chosen.get(r) ?? 'plain', demands).run();
  } finally {
    ed.commit();
  }
  const count = (m: RegionMode): number => [...chosen.values()].filter((x) => x === m).length;
  return { target: count('target'), demand: count('demand'), regions: ids.length };
}

/** Layout assignment: regions run in the target layout, transposes only at their boundaries. */
export const assignLayout = definePass({
  name: 'assign-layout',
  summary: 'Runs whole regions of layout-agnostic ops in a target layout (ANE: (B, C, 1, S); or NHWC), with transposes only at region boundaries.',
  doc: `A layout says where each logical axis of a value lives physically (plus extra size-1
axes): the \`ane\` target stores (B, S, C) tensors as (B, C, 1, S) (channels on axis 1, the
sequence last, 4-D) and keeps 4-D NCHW; the \`nhwc\` target stores 4-D (N, C, H, W) as
(N, H, W, C). Values form regions through layout-agnostic ops: elementwise ops (which take the
layout of their inputs; constants are re-laid out at compile time), ops with axes that are
remapped (softmax, reductions, layer_norm/rms_norm, concat, split, slice), and transposes,
squeezes, expand_dims and reshapes that only add or drop size-1 axes, which cost nothing: their
result is the same physical data in another layout. Everything else (conv2d, matmul, general
reshapes...) needs the logical layout of its inputs and yields it.

For each region the pass tries three ways of laying out its sources (function inputs and
results of layout-bound ops): as they are, in the target layout, and in the layout its
layout-bound consumers ask for (their demand for the logical layout, traced back through the
region; this puts, for instance, RoPE'd attention heads in the layout the per-head attention
products read, so one transpose replaces one per head). A conversion costs 1 however many ops
it takes (a transpose with reshapes around it is one data movement), an op computing in a
non-trivial target layout earns \`opBonus\`; the cheapest wins per region (ties keep the
simpler choice). Conversions are emitted once per value and layout, where needed: at function
outputs (which keep their logical type and names) and in front of layout-bound ops. So
\`linear-to-conv\`'s boundary transposes between two convs disappear, and chains of transposes
through elementwise ops collapse. Follow with \`cancel-transposes\`,
\`cancel-reshapes\`, \`fold-constants\` and \`eliminate-dead-code\`.

Before:
\`\`\`
// options: {"target": "nhwc"}
func main(%x: fp32[1,3,4,4]) -> (%y) {
  %a = relu(x=%x) : fp32[1,3,4,4]
  %b = softmax(x=%a) {axis=1} : fp32[1,3,4,4]
  %c = exp(x=%b) : fp32[1,3,4,4]
  %y = reduce_sum(x=%c) {axes=[1], keep_dims=true} : fp32[1,1,4,4]
  return %y
}
\`\`\`
After:
\`\`\`
func main(%x: fp32[1,3,4,4]) -> (%y) {
  %x.layout = transpose(x=%x) {perm=[0,2,3,1]} : fp32[1,4,4,3]
  %a = relu(x=%x.layout) : fp32[1,4,4,3]
  %b = softmax(x=%a) {axis=3} : fp32[1,4,4,3]
  %c = exp(x=%b) : fp32[1,4,4,3]
  %y.layout = reduce_sum(x=%c) {axes=[3], keep_dims=true} : fp32[1,4,4,1]
  %y = reshape(x=%y.layout) {shape=[1,1,4,4]} : fp32[1,1,4,4]
  return %y
}
\`\`\``,
  options: {
    target: { kind: 'enum', values: ['ane', 'nhwc'], default: 'ane', doc: "Target layout: 'ane' (B, C, 1, S) or 'nhwc' (channels last)." },
    opBonus: { kind: 'number', default: 1, min: 0, max: 1000, doc: 'How many conversions one op running in the target layout is worth.' },
  },
  run(program, ctx) {
    for (const fn of program.functions.values()) {
      const r = assignFunction(program, fn, ctx.options);
      ctx.note(`${fn.name}: ${r.regions} regions, ${r.target} in the target layout, ${r.demand} in the layout their consumers ask for`);
    }
  },
});
