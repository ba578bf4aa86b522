/**
 * Op traits are facts, so they are checked against the kernels: commutative ops commute and
 * the other binary elementwise ops do not, elementwise ops commute with any permutation of the
 * axes, reshape ops keep the row-major elements, permute ops only reorder them. A new op states
 * its traits (the registry refuses it otherwise) and these checks cover it without a kind list.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DType } from '../dtype.js';
import { type Attrs, type OpDef, LAYOUT_TRAITS, allOps, registerOps, runOp } from '../index.js';
import { type Tensor, allocData } from '../tensor.js';
import { fillTensor } from '../testing/arb.js';
import { fastVlmError } from '../testing/errors.js';

/** A dtype an input accepts for the checks (fp32 first, then int32, then whatever it takes). */
function dtypeFor(d: OpDef, input: string): DType {
  const spec = d.inputs.find((i) => i.name === input)!;
  return (['fp32', 'int32', 'bool'] as const).find((t) => spec.dtypes.includes(t)) ?? spec.dtypes[0]!;
}

/** Attributes for a run: defaults, plus a value for a required `dtype` attribute. */
function attrsFor(d: OpDef): Attrs {
  const a: Record<string, string> = {};
  for (const s of d.attrs) if (s.default === undefined && !s.optional && s.kind === 'dtype') a[s.name] = 'fp32';
  return a;
}

/** Data of `t` in an axis order `perm` (a naive transpose, independent of the transpose kernel). */
function permuted(t: Tensor, perm: readonly number[]): Tensor {
  const shape = perm.map((p) => t.shape[p]!);
  const strides = t.shape.map((_, i) => t.shape.slice(i + 1).reduce((x, y) => x * y, 1));
  const n = t.data.length;
  const out = allocData(t.dtype, n);
  for (let i = 0; i < n; i++) {
    let rem = i;
    let src = 0;
    for (let k = shape.length - 1; k >= 0; k--) {
      const c = rem % shape[k]!;
      rem = Math.floor(rem / shape[k]!);
      src += c * strides[perm[k]!]!;
    }
    out[i] = t.data[src]!;
  }
  return { dtype: t.dtype, shape, data: out };
}

const same = (a: Tensor, b: Tensor): boolean => a.shape.join() === b.shape.join() && Array.from(a.data).every((v, i) => Object.is(v, b.data[i]));

const ops = allOps();
const elementwise = ops.filter((d) => d.traits.layout === 'elementwise');
const binary = elementwise.filter((d) => d.inputs.map((i) => i.name).join() === 'x,y');

describe('op traits', () => {
  it('every registered op states a layout trait and commutativity', () => {
    expect(ops.length).toBeGreaterThan(50);
    for (const d of ops) {
      expect(Object.keys(LAYOUT_TRAITS), d.name).toContain(d.traits.layout);
      expect(typeof d.traits.commutative, d.name).toBe('boolean');
    }
  });

  it('the registry refuses an op without valid traits (E_OP_INVALID)', () => {
    const base = ops.find((d) => d.name === 'relu')!;
    const { traits: _, ...noTraits } = base;
    expect(fastVlmError(() => registerOps({ ...noTraits, name: 'test_no_traits' } as OpDef), 'E_OP_INVALID').message).toContain('states no traits');
    expect(fastVlmError(() => registerOps({ ...base, name: 'test_bad_layout', traits: { layout: 'linear' as never, commutative: false } }), 'E_OP_INVALID').message).toContain('elementwise, axes, reshape, permute, fixed');
    expect(fastVlmError(() => registerOps({ ...base, name: 'test_bad_comm', traits: { layout: 'elementwise', commutative: 'yes' as never } }), 'E_OP_INVALID').detail).toContain("found yes");
    expect(fastVlmError(() => registerOps({ ...base, name: 'test_unary_comm', traits: { layout: 'elementwise', commutative: true } }), 'E_OP_INVALID').detail).toContain('inputs x and y');
  });

  it('commutative ops commute; every other binary elementwise op has a pair that does not (property)', () => {
    expect(binary.filter((d) => d.traits.commutative).map((d) => d.name).length).toBeGreaterThan(0);
    for (const d of binary) {
      const dt = dtypeFor(d, 'x');
      let differs = false;
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.integer({ min: 1, max: 2 ** 31 - 1 }), (s1, s2) => {
          const x = fillTensor(dt, [2, 3], s1, 3);
          const y = fillTensor(dt, [2, 3], s2, 3);
          const xy = runOp(d.name, { x, y }, attrsFor(d))[0]!;
          const yx = runOp(d.name, { x: y, y: x }, attrsFor(d))[0]!;
          if (d.traits.commutative) expect(same(xy, yx), `${d.name}(x, y) = ${d.name}(y, x)`).toBe(true);
          else differs ||= !same(xy, yx);
        }),
        { numRuns: 20 },
      );
      if (!d.traits.commutative) expect(differs, `${d.name} is not commutative: some x, y give op(x, y) != op(y, x)`).toBe(true);
    }
  });

  it('elementwise ops commute with permuting the axes of all their inputs (property)', () => {
    expect(elementwise.length).toBeGreaterThan(20);
    fc.assert(
      fc.property(fc.constantFrom(...elementwise), fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 1000 }), fc.nat(), (d, shape, seed, k) => {
        // A permutation of the axes, chosen by k (Lehmer code).
        const pool = shape.map((_, i) => i);
        const perm: number[] = [];
        for (let r = k; pool.length > 0; r = Math.floor(r / (pool.length + 1))) perm.push(pool.splice(r % pool.length, 1)[0]!);
        const inputs: Record<string, Tensor> = {};
        d.inputs.forEach((s, i) => (inputs[s.name] = fillTensor(dtypeFor(d, s.name), shape, seed + i, 2)));
        const out = runOp(d.name, inputs, attrsFor(d))[0]!;
        const pin: Record<string, Tensor> = {};
        for (const [n, t] of Object.entries(inputs)) pin[n] = permuted(t, perm);
        expect(same(runOp(d.name, pin, attrsFor(d))[0]!, permuted(out, perm)), `${d.name} perm [${perm}] on [${shape}]`).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  // One sample application per data-movement op: every op with such a trait needs one here.
  const MOVES: Readonly<Record<string, { readonly shape: readonly number[]; readonly attrs: Attrs }>> = {
    reshape: { shape: [2, 3, 4], attrs: { shape: [4, 6] } },
    squeeze: { shape: [2, 1, 3, 1], attrs: { axes: [1] } },
    expand_dims: { shape: [2, 3], attrs: { axes: [0, 3] } },
    transpose: { shape: [2, 3, 4], attrs: { perm: [2, 0, 1] } },
  };

  it('reshape ops keep the elements in row-major order; permute ops only reorder them', () => {
    const moves = ops.filter((d) => d.traits.layout === 'reshape' || d.traits.layout === 'permute');
    for (const d of moves) {
      const c = MOVES[d.name];
      expect(c, `a sample for the data-movement op ${d.name}`).toBeDefined();
      const x = fillTensor('fp32', c!.shape, 7);
      const y = runOp(d.name, { x }, c!.attrs)[0]!;
      expect(y.shape.join(), d.name).not.toBe(x.shape.join());
      if (d.traits.layout === 'reshape') expect(Array.from(y.data), d.name).toEqual(Array.from(x.data));
      else {
        expect(Array.from(y.data), d.name).not.toEqual(Array.from(x.data));
        expect(Array.from(y.data).sort(), d.name).toEqual(Array.from(x.data).sort());
      }
    }
  });
});
