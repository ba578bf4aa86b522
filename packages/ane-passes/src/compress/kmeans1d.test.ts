import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KMeansWorkspace, LAGRANGIAN, kmeans1d } from './kmeans1d.js';

/** Weighted squared error of points a..b-1 around their mean, summed naively. */
function clusterCost(xs: readonly number[], ws: readonly number[], a: number, b: number): number {
  let w = 0;
  let s = 0;
  for (let t = a; t < b; t++) {
    w += ws[t]!;
    s += ws[t]! * xs[t]!;
  }
  const m = s / w;
  let c = 0;
  for (let t = a; t < b; t++) c += ws[t]! * (xs[t]! - m) ** 2;
  return c;
}

/** The optimum over every partition of the sorted points into at most k contiguous clusters. */
function bruteForce(xs: readonly number[], ws: readonly number[], k: number): number {
  let best = Infinity;
  const rec = (start: number, left: number, acc: number): void => {
    if (start === xs.length) {
      best = Math.min(best, acc);
      return;
    }
    if (left === 0) return;
    for (let end = start + 1; end <= xs.length; end++) rec(end, left - 1, acc + clusterCost(xs, ws, start, end));
  };
  rec(0, k, 0);
  return best;
}

/** The textbook O(k n^2) dynamic program (no monotonicity shortcut). */
function naiveDp(xs: readonly number[], ws: readonly number[], k: number): number {
  const n = xs.length;
  const kk = Math.min(k, n);
  let prev = new Array<number>(n + 1).fill(Infinity);
  for (let j = 1; j <= n; j++) prev[j] = clusterCost(xs, ws, 0, j);
  for (let m = 2; m <= kk; m++) {
    const cur = new Array<number>(n + 1).fill(Infinity);
    for (let j = m; j <= n; j++) for (let i = m - 1; i < j; i++) cur[j] = Math.min(cur[j]!, prev[i]! + clusterCost(xs, ws, i, j));
    prev = cur;
  }
  return prev[n]!;
}

/** Sorted distinct values with positive integer weights. */
const arbPoints = (maxN: number): fc.Arbitrary<{ xs: number[]; ws: number[] }> =>
  fc
    .uniqueArray(fc.integer({ min: -2000, max: 2000 }), { minLength: 1, maxLength: maxN })
    .chain((vals) =>
      fc.array(fc.integer({ min: 1, max: 9 }), { minLength: vals.length, maxLength: vals.length }).map((ws) => ({ xs: [...vals].sort((a, b) => a - b).map((v) => v / 64), ws })),
    );

const close = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-9 * (1 + Math.abs(b));

describe('kmeans1d', () => {
  it('reaches the brute-force optimum over all contiguous partitions on small inputs', () => {
    fc.assert(
      fc.property(arbPoints(10), fc.integer({ min: 1, max: 6 }), ({ xs, ws }, k) => {
        const r = kmeans1d(xs, ws, k);
        const best = bruteForce(xs, ws, k);
        if (!close(r.cost, best)) expect.fail(`cost ${r.cost} vs optimum ${best} (k=${k}, n=${xs.length})`);
      }),
      { numRuns: 400 },
    );
  });

  it('equals the textbook O(k n^2) dynamic program on larger inputs, clusters consistent with its cost', () => {
    fc.assert(
      fc.property(arbPoints(120), fc.integer({ min: 1, max: 20 }), ({ xs, ws }, k) => {
        const ws2 = new KMeansWorkspace();
        const r = kmeans1d(xs, ws, k, xs.length, ws2);
        expect(r.clusters).toBe(Math.min(k, xs.length));
        if (!close(r.cost, naiveDp(xs, ws, k))) expect.fail(`cost ${r.cost} vs DP ${naiveDp(xs, ws, k)}`);
        // The reported clusters are contiguous, cover every point, and their means and costs add up.
        expect(r.starts[0]).toBe(0);
        expect(r.starts[r.clusters]).toBe(xs.length);
        let total = 0;
        for (let c = 0; c < r.clusters; c++) {
          const a = r.starts[c]!;
          const b = r.starts[c + 1]!;
          expect(b).toBeGreaterThan(a);
          let w = 0;
          let s = 0;
          for (let t = a; t < b; t++) {
            w += ws[t]!;
            s += ws[t]! * xs[t]!;
          }
          if (!close(r.centroids[c]!, s / w)) expect.fail(`centroid ${c}: ${r.centroids[c]} vs mean ${s / w}`);
          total += clusterCost(xs, ws, a, b);
        }
        if (!close(total, r.cost)) expect.fail(`cluster costs ${total} vs reported ${r.cost}`);
      }),
      { numRuns: 150 },
    );
  });

  it('finds the same optimum through the Lagrangian and through the layered program, ties included', () => {
    // Evenly spaced, equally weighted points make many partitions cost the same (collinear costs).
    const arbTies = fc.record({ n: fc.integer({ min: 5, max: 300 }), step: fc.constantFrom(1, 0.5, 3), w: fc.integer({ min: 1, max: 4 }) }).map(({ n, step, w }) => ({
      xs: Array.from({ length: n }, (_, i) => i * step),
      ws: Array.from({ length: n }, () => w),
    }));
    const before = { ...LAGRANGIAN };
    fc.assert(
      fc.property(fc.oneof(arbPoints(400), arbTies), fc.integer({ min: 4, max: 40 }), fc.boolean(), ({ xs, ws }, k, warm) => {
        const shared = new KMeansWorkspace();
        if (warm) kmeans1d(xs, ws.map((w) => w + 1), k, xs.length, shared); // a reused workspace must not matter
        LAGRANGIAN.enabled = false;
        const layered = kmeans1d(xs, ws, k, xs.length, new KMeansWorkspace());
        LAGRANGIAN.enabled = true;
        const fast = kmeans1d(xs, ws, k, xs.length, shared);
        expect(fast.clusters).toBe(layered.clusters);
        if (!close(fast.cost, layered.cost)) expect.fail(`Lagrangian cost ${fast.cost} vs layered ${layered.cost} (k=${k}, n=${xs.length})`);
        // Its clusters are contiguous and cover every point.
        expect(fast.starts[0]).toBe(0);
        expect(fast.starts[fast.clusters]).toBe(xs.length);
        for (let c = 0; c < fast.clusters; c++) expect(fast.starts[c + 1]).toBeGreaterThan(fast.starts[c]!);
      }),
      { numRuns: 200 },
    );
    LAGRANGIAN.enabled = true;
    // Both paths ran: most clusterings through the Lagrangian, tied ones through the fallback.
    expect(LAGRANGIAN.solved - before.solved).toBeGreaterThan(50);
    expect(LAGRANGIAN.fallbacks - before.fallbacks).toBeGreaterThan(0);
  });

  it('puts every point in its own cluster when k >= n, and handles one point and one cluster', () => {
    const r = kmeans1d([1, 2, 5], [1, 1, 1], 8);
    expect(r.clusters).toBe(3);
    expect(Array.from(r.centroids)).toEqual([1, 2, 5]);
    expect(r.cost).toBe(0);
    const one = kmeans1d([3], [7], 4);
    expect(Array.from(one.centroids)).toEqual([3]);
    const single = kmeans1d([0, 1, 2, 3], [1, 1, 1, 1], 1);
    expect(single.centroids[0]).toBe(1.5);
    expect(single.cost).toBe(5);
    expect(kmeans1d([], [], 4).clusters).toBe(0);
  });

  it('separates two far groups exactly', () => {
    const xs = [0, 0.1, 0.2, 100, 100.1];
    const r = kmeans1d(xs, [1, 1, 1, 1, 1], 2);
    expect(Array.from(r.starts)).toEqual([0, 3, 5]);
    expect(r.centroids[0]).toBeCloseTo(0.1, 12);
    expect(r.centroids[1]).toBeCloseTo(100.05, 12);
  });
});
