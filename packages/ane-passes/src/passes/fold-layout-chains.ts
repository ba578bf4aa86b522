/**
 * `fold-layout-chains`: replaces a chain of transposes and reshapes by one reshape, or by one
 * transpose with at most a reshape on each side.
 * @module
 */
import { type Op, type Value, stridesOf } from '@fastvlm/graph';
import type { FunctionEditor } from '../ir/editor.js';
import { definePass } from '../pass.js';
import { isDataMovement } from '../ir/traits.js';
import { allStatic, editFunctions, permOf } from './util.js';


/** One step of a layout chain on static shapes. */
export type LayoutStep = { readonly kind: 'transpose'; readonly perm: readonly number[] } | { readonly kind: 'reshape'; readonly shape: readonly number[] };

/**
 * What a whole chain computes: `reshape` when the output is the input in the same row-major
 * order; otherwise `transpose`: view the input as `factors` (row-major), permute them by
 * `perm`, and read the result in the output shape.
 */
export type ChainFold = { readonly kind: 'reshape' } | { readonly kind: 'transpose'; readonly factors: readonly number[]; readonly perm: readonly number[] };

/** A run of `size` indices `stride` apart in the input's flat order. */
interface Factor {
  readonly size: number;
  readonly stride: number;
}

/** Merges neighbours that are also neighbours, in the same order, in the input. */
function mergeContiguous(factors: readonly Factor[]): Factor[] {
  const merged: Factor[] = [];
  for (const f of factors) {
    const last = merged[merged.length - 1];
    if (last && last.stride === f.stride * f.size) merged[merged.length - 1] = { size: last.size * f.size, stride: f.stride };
    else merged.push(f);
  }
  return merged;
}

/**
 * Regroups the factors of the current axes into the axes of `shape` (row-major order is kept).
 * A factor cut by an axis boundary splits into an outer and an inner factor when the boundary
 * divides it; undefined when it does not (the data then is no permutation of axes).
 */
function regroup(axes: readonly (readonly Factor[])[], shape: readonly number[]): Factor[][] | undefined {
  // Factors contiguous in the input are one run: the new axes may cut it anywhere.
  const queue = mergeContiguous(axes.flat());
  let at = 0;
  const out: Factor[][] = [];
  for (const d of shape) {
    const axis: Factor[] = [];
    let prod = 1;
    while (prod < d) {
      const f = queue[at];
      if (!f) return undefined;
      const need = d / prod;
      if (need % f.size === 0) {
        axis.push(f);
        prod *= f.size;
        at++;
      } else if (f.size % need === 0) {
        // The axis ends inside f: its outer part closes the axis, the inner part stays queued.
        axis.push({ size: need, stride: f.stride * (f.size / need) });
        queue[at] = { size: f.size / need, stride: f.stride };
        prod = d;
      } else {
        return undefined;
      }
    }
    if (prod !== d) return undefined;
    out.push(axis);
  }
  return at === queue.length ? out : undefined;
}

/**
 * The steps with every transpose that keeps the order of the non-unit axes written as the
 * reshape it is; undefined when a step does not fit its input (wrong rank or element count).
 */
function normalize(input: readonly number[], steps: readonly LayoutStep[]): LayoutStep[] | undefined {
  let shape = input;
  const out: LayoutStep[] = [];
  for (const s of steps) {
    if (s.kind === 'transpose') {
      if (s.perm.length !== shape.length || !isPermutation(s.perm)) return undefined;
      const cur = shape;
      const moved = s.perm.filter((p) => cur[p] !== 1);
      shape = s.perm.map((p) => cur[p]!);
      out.push(moved.every((p, i) => i === 0 || p > moved[i - 1]!) ? { kind: 'reshape', shape } : s);
    } else {
      if (s.shape.reduce((a, b) => a * b, 1) !== shape.reduce((a, b) => a * b, 1)) return undefined;
      shape = s.shape;
      out.push(s);
    }
  }
  return out;
}

function isPermutation(perm: readonly number[]): boolean {
  const seen = new Set(perm);
  return seen.size === perm.length && perm.every((p) => Number.isInteger(p) && p >= 0 && p < perm.length);
}

/**
 * The output factors (outer to inner) of the chain by tracking factors symbolically; undefined
 * when an inner reshape cuts a factor at a point that does not divide it.
 */
function symbolicFactors(input: readonly number[], steps: readonly LayoutStep[]): Factor[] | undefined {
  const strides = stridesOf(input);
  let axes: Factor[][] = input.map((d, i) => (d === 1 ? [] : [{ size: d, stride: strides[i]! }]));
  // Reshapes after the last transpose keep the flat order, and of a run of reshapes only the
  // last one matters: skipping the others spares regroupings that need not divide the factors.
  let end = steps.length;
  while (end > 0 && steps[end - 1]!.kind === 'reshape') end--;
  for (const [i, s] of steps.slice(0, end).entries()) {
    if (s.kind === 'transpose') {
      axes = s.perm.map((p) => axes[p]!);
    } else if (steps[i + 1]?.kind !== 'reshape') {
      const next = regroup(axes, s.shape);
      if (!next) return undefined;
      axes = next;
    }
  }
  return axes.flat();
}

/** Row-major odometer over `shape`: calls `f` with the flat index and the multi-index. */
function forEachIndex(shape: readonly number[], f: (flat: number, idx: readonly number[]) => void): void {
  const n = shape.reduce((a, b) => a * b, 1);
  const idx = new Array<number>(shape.length).fill(0);
  for (let k = 0; k < n; k++) {
    f(k, idx);
    for (let j = shape.length - 1; j >= 0; j--) {
      if (++idx[j]! < shape[j]!) break;
      idx[j] = 0;
    }
  }
}

/** The composite index map itself: entry i is the input flat index read by output flat index i. */
function indexMap(input: readonly number[], steps: readonly LayoutStep[]): Int32Array {
  let shape = input;
  let map = Int32Array.from({ length: input.reduce((a, b) => a * b, 1) }, (_, i) => i);
  for (const s of steps) {
    if (s.kind === 'reshape') {
      shape = s.shape;
      continue;
    }
    const from = map;
    const st = stridesOf(shape);
    const srcStrides = s.perm.map((p) => st[p]!);
    shape = s.perm.map((p) => shape[p]!);
    map = new Int32Array(from.length);
    const to = map;
    forEachIndex(shape, (k, idx) => {
      let src = 0;
      for (let j = 0; j < idx.length; j++) src += idx[j]! * srcStrides[j]!;
      to[k] = from[src]!;
    });
  }
  return map;
}

/**
 * The output factors read off an explicit index map: the innermost factor is the longest run of
 * one stride, the next the longest run of blocks of it, and so on; undefined unless the whole
 * map is that strided view.
 */
function factorsOfMap(map: Int32Array): Factor[] | undefined {
  const n = map.length;
  if (n === 0 || map[0] !== 0) return undefined;
  const inner: Factor[] = [];
  for (let block = 1; block < n; ) {
    const stride = map[block]!;
    let size = 1;
    while (size * block < n && map[size * block] === size * stride) size++;
    if (size === 1 || n % (block * size) !== 0) return undefined;
    inner.push({ size, stride });
    block *= size;
  }
  const factors = inner.reverse();
  let ok = true;
  forEachIndex(
    factors.map((f) => f.size),
    (k, idx) => {
      let src = 0;
      for (let j = 0; j < idx.length; j++) src += idx[j]! * factors[j]!.stride;
      if (map[k] !== src) ok = false;
    },
  );
  return ok ? factors : undefined;
}

/** Default of `foldLayoutSteps`' `mapLimit`. */
export const DEFAULT_MAP_LIMIT = 1 << 16;

/**
 * The composite index map of a chain of layout steps on `input`, as a single fold, or undefined
 * when the chain is not a permutation of the axes of any factorization of the input.
 *
 * Every output axis is tracked as a list of factors (size and stride into the input's flat
 * order); transposes permute the lists, reshapes regroup the factors. At the end the output's
 * factors, merged where contiguous, are a permutation of a factorization of the input. When an
 * inner reshape cuts a factor unevenly the intermediate data is no strided view of the input,
 * though the whole chain may still be one: then, for inputs of at most `mapLimit` elements, the
 * index map is computed element by element and its factors read off it.
 */
export function foldLayoutSteps(input: readonly number[], steps: readonly LayoutStep[], mapLimit = DEFAULT_MAP_LIMIT): ChainFold | undefined {
  const norm = normalize(input, steps);
  if (!norm) return undefined;
  const n = input.reduce((a, b) => a * b, 1);
  // An empty tensor has no data to permute.
  if (n === 0) return { kind: 'reshape' };
  let factors = symbolicFactors(input, norm);
  if (!factors && n <= mapLimit) factors = factorsOfMap(indexMap(input, norm));
  if (!factors) return undefined;
  // Output order, merging neighbours that are also neighbours in the input.
  const merged = mergeContiguous(factors);
  const inputOrder = [...merged].sort((a, b) => b.stride - a.stride);
  // The factors must tile the input row-major (true by construction for the symbolic path).
  for (let i = 0; i < inputOrder.length; i++) {
    const inner = inputOrder[i + 1];
    if (inputOrder[i]!.stride !== (inner ? inner.stride * inner.size : 1)) return undefined;
  }
  const perm = merged.map((f) => inputOrder.indexOf(f));
  if (perm.every((p, i) => p === i)) return { kind: 'reshape' };
  return { kind: 'transpose', factors: inputOrder.map((f) => f.size), perm };
}

/** The layout step of an op of the chain (squeeze and expand_dims are reshapes). */
function stepOf(op: Op): LayoutStep {
  return op.kind === 'transpose' ? { kind: 'transpose', perm: permOf(op) } : { kind: 'reshape', shape: op.outputs[0]!.type.shape as number[] };
}

const nonUnit = (s: readonly number[]): number[] => s.filter((d) => d !== 1);
const sameDims = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

/** A replacement: at most one reshape, one transpose, one reshape. */
interface Plan {
  /** Shape fed to the transpose (undefined: no transpose). */
  readonly pre?: readonly number[];
  readonly perm?: readonly number[];
  /** Shape after the transpose (or of the single reshape). */
  readonly transposed?: readonly number[];
  readonly ops: number;
  readonly transposes: number;
  readonly maxRank: number;
}

/** The cheapest replacement of a chain from `x` (shape `inShape`) to `outShape`. */
function planFor(fold: ChainFold, inShape: readonly number[], outShape: readonly number[]): Plan {
  if (fold.kind === 'reshape') {
    const same = sameDims(inShape, outShape);
    return { ops: same ? 0 : 1, transposes: 0, maxRank: Math.max(inShape.length, outShape.length) };
  }
  const { factors, perm } = fold;
  const outFactors = perm.map((p) => factors[p]!);
  // Read the transposed tensor directly in the output shape when the output only adds unit axes.
  const exactOut = sameDims(nonUnit(outShape), outFactors);
  const units = exactOut ? outShape.length - outFactors.length : 0;
  const inFits = sameDims(nonUnit(inShape), factors) && (!exactOut || inShape.length === outShape.length);
  const pre = inFits ? inShape : [...factors, ...new Array<number>(units).fill(1)];
  // Axes of `pre` holding each factor, and its unit axes (used for the output's unit axes).
  const factorAxes: number[] = [];
  const unitAxes: number[] = [];
  pre.forEach((d, i) => (d === 1 ? unitAxes : factorAxes).push(i));
  let tperm: number[];
  if (exactOut) {
    let k = 0;
    let u = 0;
    tperm = outShape.map((d) => (d === 1 ? unitAxes[u++]! : factorAxes[perm[k++]!]!));
  } else {
    tperm = [...perm.map((p) => factorAxes[p]!), ...unitAxes];
  }
  const transposed = tperm.map((a) => pre[a]!);
  const ops = (inFits ? 0 : 1) + 1 + (sameDims(transposed, outShape) ? 0 : 1);
  return { pre, perm: tperm, transposed, ops, transposes: 1, maxRank: Math.max(inShape.length, pre.length, transposed.length, outShape.length) };
}

/** The single user of `v` when it is a layout op, v has no other use and is not an output. */
function nextInChain(ed: FunctionEditor, v: Value): Op | undefined {
  if (ed.useCount(v) !== 1 || ed.isOutput(v)) return undefined;
  const u = ed.users(v)[0]!;
  return isDataMovement(u.kind) ? u : undefined;
}

/** The maximal chain of layout ops ending at `end` whose inner values have one use each. */
function chainEndingAt(ed: FunctionEditor, end: Op): Op[] {
  const chain = [end];
  for (;;) {
    const x = chain[0]!.inputs.x as Value;
    const p = x.producer;
    if (!p || !isDataMovement(p.kind) || nextInChain(ed, x) !== chain[0]) break;
    chain.unshift(p);
  }
  return chain;
}

function staticChain(ops: readonly Op[]): boolean {
  return allStatic((ops[0]!.inputs.x as Value).type.shape) && ops.every((o) => allStatic(o.outputs[0]!.type.shape));
}

/** Replaces `ops` (a chain) by its plan when that saves a transpose, or ops at the same count. */
function tryFold(ed: FunctionEditor, ops: readonly Op[]): boolean {
  const x = ops[0]!.inputs.x as Value;
  const last = ops[ops.length - 1]!;
  const out = last.outputs[0]!;
  const inShape = x.type.shape as readonly number[];
  const outShape = out.type.shape as readonly number[];
  const fold = foldLayoutSteps(inShape, ops.map(stepOf));
  if (!fold) return false;
  const plan = planFor(fold, inShape, outShape);
  const transposes = ops.filter((o) => o.kind === 'transpose').length;
  const chainRank = Math.max(inShape.length, ...ops.map((o) => o.outputs[0]!.type.shape.length));
  // Never raise the rank (the ANE takes at most rank 5), and only fold when it saves something.
  if (plan.maxRank > chainRank) return false;
  if (!(plan.transposes < transposes || (plan.transposes === transposes && plan.ops < ops.length))) return false;
  const opts = { ...(last.loc ? { loc: last.loc } : {}) };
  let v = x;
  if (plan.perm) {
    if (!sameDims(inShape, plan.pre!)) v = ed.add('reshape', { x: v }, { shape: [...plan.pre!] }, last, { hint: `${out.name}.pre`, ...opts }).outputs[0]!;
    v = ed.add('transpose', { x: v }, { perm: [...plan.perm] }, last, { hint: `${out.name}.t`, ...opts }).outputs[0]!;
  }
  if (!sameDims(v.type.shape as readonly number[], outShape)) {
    v = ed.add('reshape', { x: v }, { shape: [...outShape] }, last, { hint: out.name, ...opts }).outputs[0]!;
  } else if (v === x && ed.isOutput(out) && (ed.isFunctionInput(x) || ed.isOutput(x))) {
    // The chain is the identity on a value that cannot take the output's name: one reshape stays.
    v = ed.add('reshape', { x: v }, { shape: [...outShape] }, last, { hint: out.name, ...opts }).outputs[0]!;
  }
  ed.replaceAllUses(out, v, { adoptName: v !== x });
  ed.eraseDead([last]);
  return true;
}

/**
 * Folds the chains of one function to a fixpoint. A whole chain is tried first; when it does
 * not fold, its sub-chains are, longest first (a fold of part of a chain still saves ops).
 */
function foldFunction(ed: FunctionEditor): number {
  let folded = 0;
  for (let changed = true; changed; ) {
    changed = false;
    for (const end of ed.ops()) {
      if (!ed.contains(end) || !isDataMovement(end.kind)) continue;
      const nx = nextInChain(ed, end.outputs[0]!);
      if (nx) continue;
      const chain = chainEndingAt(ed, end);
      if (!chain.some((o) => o.kind === 'transpose') || !staticChain(chain)) continue;
      // Length 1 too: a transpose that only moves unit axes is a reshape.
      search: for (let len = chain.length; len >= 1; len--) {
        for (let s = 0; s + len <= chain.length; s++) {
          const part = chain.slice(s, s + len);
          if (!part.some((o) => o.kind === 'transpose')) continue;
          if (tryFold(ed, part)) {
            folded++;
            changed = true;
            break search;
          }
        }
      }
    }
  }
  return folded;
}

/** Replaces chains of transposes and reshapes by one reshape, or one transpose and reshapes. */
export const foldLayoutChains = definePass({
  name: 'fold-layout-chains',
  summary: 'Folds chains of transposes and reshapes into one reshape, or one transpose with a reshape before and/or after.',
  doc: `A chain of \`transpose\`, \`reshape\`, \`squeeze\` and \`expand_dims\` ops only permutes data. The
pass computes the chain's composite index map for its (static) input shape: every axis is tracked
as a list of factors, each a run of indices with a stride into the input's row-major order;
transposes permute the axes and reshapes regroup the factors, splitting one where an axis
boundary falls inside it. When the output's factors are in input order the chain is one
\`reshape\` (or nothing); when they are a permutation of the factors, it is one \`transpose\` of
the input viewed as those factors, with a \`reshape\` before and/or after when the shapes need
one. When an inner reshape cuts a factor unevenly the intermediate data is no strided view of
the input, yet the whole chain may be: then (inputs of at most ${DEFAULT_MAP_LIMIT} elements) the index map is
computed element by element and its factors are read off it. A chain that is no permutation of
axes stays.

A chain is folded when that removes a transpose, or ops at the same transpose count, and never
when it would raise the rank. Inner values of a chain must have a single use; a chain that does
not fold as a whole is tried in parts, longest first. Attention head splits after
\`assign-layout\` are such chains: \`transpose, reshape, transpose, reshape\` on a
(B, C, 1, S) projection is a single reshape for queries, and a single transpose for keys and
values going into a cache layout.

Before:
\`\`\`
func main(%q: fp32[1,64,1,6], %k: fp32[1,32,1,6]) -> (%qh, %kh) {
  %a = transpose(x=%q) {perm=[0,2,3,1]} : fp32[1,1,6,64]
  %b = reshape(x=%a) {shape=[6,4,16]} : fp32[6,4,16]
  %c = transpose(x=%b) {perm=[1,2,0]} : fp32[4,16,6]
  %d = reshape(x=%c) {shape=[4,16,1,6]} : fp32[4,16,1,6]
  %qh = relu(x=%d) : fp32[4,16,1,6]
  %e = transpose(x=%k) {perm=[0,2,3,1]} : fp32[1,1,6,32]
  %f = reshape(x=%e) {shape=[6,2,16]} : fp32[6,2,16]
  %g = transpose(x=%f) {perm=[1,0,2]} : fp32[2,6,16]
  %h = reshape(x=%g) {shape=[2,6,1,16]} : fp32[2,6,1,16]
  %kh = relu(x=%h) : fp32[2,6,1,16]
  return %qh, %kh
}
\`\`\`
After:
\`\`\`
func main(%q: fp32[1,64,1,6], %k: fp32[1,32,1,6]) -> (%qh, %kh) {
  %d = reshape(x=%q) {shape=[4,16,1,6]} : fp32[4,16,1,6]
  %qh = relu(x=%d) : fp32[4,16,1,6]
  %h.pre = reshape(x=%k) {shape=[2,16,6,1]} : fp32[2,16,6,1]
  %h = transpose(x=%h.pre) {perm=[0,2,3,1]} : fp32[2,6,1,16]
  %kh = relu(x=%h) : fp32[2,6,1,16]
  return %qh, %kh
}
\`\`\``,
  options: {},
  run(program, ctx) {
    let folded = 0;
    editFunctions(program, (ed) => {
      folded += foldFunction(ed);
    });
    ctx.note(`folded ${folded} chains`);
  },
});
