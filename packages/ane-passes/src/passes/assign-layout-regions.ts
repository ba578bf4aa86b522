/**
 * The analyses of `assign-layout`: regions (values linked by layout-flexible ops) and, for each
 * value, the layout its layout-bound consumers ask for, traced back through the inverse of the
 * layout rules.
 * @module
 */
import type { Func, Value } from '@fastvlm/graph';
import { type Layout, identityLayout, layoutKey } from './layout.js';
import { classify, isConstValue, ruleFor } from './assign-layout-rules.js';

/** Every value of a function in definition order (inputs, then op results). */
export function valuesInOrder(fn: Func): Value[] {
  const out = [...fn.inputs];
  for (const op of fn.body.ops) out.push(...op.outputs);
  return out;
}

/** Connected regions of non-constant values linked by layout-flexible ops (union-find). */
export function computeRegions(fn: Func): number[] {
  const values = valuesInOrder(fn);
  const index = new Map(values.map((v, i) => [v, i]));
  const parent = values.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!;
    return i;
  };
  for (const op of fn.body.ops) {
    if (classify(op) === 'native') continue;
    const members = [...op.inputValues().filter((v) => !isConstValue(v)), ...op.outputs].map((v) => index.get(v)).filter((i): i is number => i !== undefined);
    for (const m of members.slice(1)) {
      const a = find(members[0]!);
      const b = find(m);
      if (a !== b) parent[Math.max(a, b)] = Math.min(a, b);
    }
  }
  return values.map((_, i) => find(i));
}

/**
 * For every value (by definition order), the layout its layout-bound consumers want, traced
 * back through layout-flexible ops: each sink (an input of a layout-bound op, a function
 * output) votes for the logical layout, and votes flow to inputs through the inverse rules.
 */
export function computeDemands(fn: Func): (Layout | undefined)[] {
  const values = valuesInOrder(fn);
  const votes = new Map<Value, Map<string, { layout: Layout; count: number }>>();
  const vote = (v: Value, l: Layout, n: number): void => {
    if (isConstValue(v)) return;
    let m = votes.get(v);
    if (!m) votes.set(v, (m = new Map()));
    const k = layoutKey(l);
    const e = m.get(k);
    if (e) e.count += n;
    else m.set(k, { layout: l, count: n });
  };
  const best = (v: Value): { layout: Layout; count: number } | undefined => {
    let top: { layout: Layout; count: number } | undefined;
    for (const e of votes.get(v)?.values() ?? []) if (!top || e.count > top.count) top = e;
    return top;
  };
  for (const v of fn.outputs) vote(v, identityLayout(v.type.shape.length), 1);
  for (const op of fn.body.ops) if (classify(op) === 'native') for (const v of op.inputValues()) vote(v, identityLayout(v.type.shape.length), 1);
  for (let i = fn.body.ops.length - 1; i >= 0; i--) {
    const op = fn.body.ops[i]!;
    if (classify(op) === 'native') continue;
    let top: { layout: Layout; count: number } | undefined;
    for (const o of op.outputs) {
      const b = best(o);
      if (b && (!top || b.count > top.count)) top = b;
    }
    if (!top) continue;
    const rule = ruleFor(op)!;
    for (const v of new Set(op.inputValues())) {
      const l = rule.demand(op, v, top.layout);
      if (l) vote(v, l, top.count);
    }
  }
  return values.map((v) => best(v)?.layout);
}
