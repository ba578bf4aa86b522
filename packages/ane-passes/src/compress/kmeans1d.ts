/**
 * Exact 1-D k-means over weighted points: the partition of sorted values into at most `k`
 * contiguous clusters that minimizes the weighted sum of squared distances to the cluster
 * means. (In one dimension every optimal k-means clustering is contiguous in sorted order.)
 *
 * Dynamic programming over the sorted distinct values: `D[m][j]`, the least cost of the first
 * `j` points in `m` clusters, is `min_i D[m-1][i] + cost(i, j)`. The cluster cost satisfies
 * the quadrangle inequality, so the leftmost minimizing `i` is non-decreasing in `j` (and in
 * `m`: Knuth's inequality) and each layer is solved by divide and conquer over rows (the middle
 * row is scanned over its allowed columns, which bounds the columns of both halves): O(k n log n)
 * in all, the last layer a single row. Costs come from prefix sums of centered values in double precision. (SMAWK
 * gives O(k n) but measured slower here: its constant outweighs the log factor.)
 * @module
 */

/** The result of {@link kmeans1d}. */
export interface KMeans1dResult {
  /** Number of clusters: min(k, number of points). */
  readonly clusters: number;
  /** Cluster means, ascending. */
  readonly centroids: Float64Array;
  /** `starts[c]` is the index of the first point of cluster c; `starts[clusters]` = n. */
  readonly starts: Int32Array;
  /** The optimal weighted sum of squared distances. */
  readonly cost: number;
}

/**
 * Reusable buffers, so clustering thousands of groups does not allocate per group. A module
 * holds one; workers hold their own.
 */
export class KMeansWorkspace {
  /** Per point t (0..n): prefix sum of w*d, prefix sum of w, and the layer term (stride 3). */
  d = new Float64Array(0);
  /** Prefix sums of w*d^2. */
  p2 = new Float64Array(0);
  prev = new Float64Array(0);
  cur = new Float64Array(0);
  /** Leftmost minimizing split of every layer and row (row-major by layer). */
  arg = new Int32Array(0);

  /** Grows the buffers to hold `n` points and `k` layers. */
  ensure(n: number, k: number): void {
    if (this.p2.length < n + 1) {
      const m = Math.max(n + 1, this.p2.length * 2);
      this.d = new Float64Array(3 * m);
      this.p2 = new Float64Array(m);
      this.prev = new Float64Array(m);
      this.cur = new Float64Array(m);
    }
    if (this.arg.length < k * (n + 1)) this.arg = new Int32Array(Math.max(k * (n + 1), this.arg.length * 2));
  }
}

const defaultWorkspace = new KMeansWorkspace();

/** Explicit stack of the divide and conquer (4 ints per pending interval; depth <= log2 n). */
const STACK = new Int32Array(4 * 64);

/**
 * Solves rows `m..n` (or only row n for the last layer) of one layer: `cur[j]` and the leftmost
 * minimizing split `arg[base + j]`. Entry (j, i) = p2[j] + q[i] - s^2 / w with s, w the sums of
 * points i..j-1 and q[i] = D[m-1][i] - p2[i] (stride-3 slot 2 of `d`). Besides the divide and
 * conquer bounds, a row's split is at least the previous layer's split of the same row
 * (`arg[pbase + j]`, Knuth's inequality), which prunes the long scans of the top levels.
 */
function solveLayer(d: Float64Array, p2: Float64Array, cur: Float64Array, arg: Int32Array, base: number, pbase: number, jl0: number, jh0: number, il0: number, ih0: number): void {
  const st = STACK;
  let sp = 0;
  st[sp++] = jl0;
  st[sp++] = jh0;
  st[sp++] = il0;
  st[sp++] = ih0;
  while (sp > 0) {
    let ih = st[--sp]!;
    let il = st[--sp]!;
    let jh = st[--sp]!;
    let jl = st[--sp]!;
    while (jl <= jh) {
      if (il === ih) {
        // Every remaining row has its minimum at il.
        const i3 = 3 * il;
        const pi = d[i3]!;
        const wi = d[i3 + 1]!;
        const qi = d[i3 + 2]!;
        for (let j = jl; j <= jh; j++) {
          const s = d[3 * j]! - pi;
          cur[j] = p2[j]! + qi - (s * s) / (d[3 * j + 1]! - wi);
          arg[base + j] = il;
        }
        break;
      }
      const j = (jl + jh) >> 1;
      const hi = ih < j - 1 ? ih : j - 1;
      const a1 = d[3 * j]!;
      const aw = d[3 * j + 1]!;
      let lo = il;
      if (pbase >= 0) {
        const b = arg[pbase + j]!;
        if (b > lo) lo = b < hi ? b : hi;
      }
      let best = lo;
      let bv = Infinity;
      for (let i = lo, i3 = 3 * lo; i <= hi; i++, i3 += 3) {
        const s = a1 - d[i3]!;
        const v = d[i3 + 2]! - (s * s) / (aw - d[i3 + 1]!);
        if (v < bv) {
          bv = v;
          best = i;
        }
      }
      cur[j] = p2[j]! + bv;
      arg[base + j] = best;
      // Keep the larger half for later, go on with the smaller one (bounded stack).
      if (j - jl < jh - j) {
        st[sp++] = j + 1;
        st[sp++] = jh;
        st[sp++] = best;
        st[sp++] = ih;
        jh = j - 1;
        ih = best;
      } else {
        st[sp++] = jl;
        st[sp++] = j - 1;
        st[sp++] = il;
        st[sp++] = best;
        jl = j + 1;
        il = best;
      }
    }
  }
}

/**
 * Clusters `n` points with values `xs[0..n)` (strictly increasing) and positive weights
 * `ws[0..n)` into at most `k` clusters, exactly. With `k >= n` every point is its own cluster.
 */
export function kmeans1d(xs: ArrayLike<number>, ws: ArrayLike<number>, k: number, n: number = xs.length, workspace: KMeansWorkspace = defaultWorkspace): KMeans1dResult {
  if (n === 0) return { clusters: 0, centroids: new Float64Array(0), starts: new Int32Array(1), cost: 0 };
  const kk = Math.max(1, Math.min(k, n));
  const centroids = new Float64Array(kk);
  const starts = new Int32Array(kk + 1);
  if (kk === n) {
    for (let t = 0; t < n; t++) {
      centroids[t] = xs[t]!;
      starts[t] = t;
    }
    starts[n] = n;
    return { clusters: n, centroids, starts, cost: 0 };
  }
  workspace.ensure(n, kk);
  const d = workspace.d;
  const p2 = workspace.p2;
  // Center the values so the prefix sums of squares keep their precision.
  let tw = 0;
  let tx = 0;
  for (let t = 0; t < n; t++) {
    tw += ws[t]!;
    tx += ws[t]! * xs[t]!;
  }
  const mu = tx / tw;
  let s1 = 0;
  let s2 = 0;
  let sw = 0;
  d[0] = 0;
  d[1] = 0;
  p2[0] = 0;
  for (let t = 0; t < n; t++) {
    const x = xs[t]! - mu;
    const w = ws[t]!;
    s1 += w * x;
    s2 += w * x * x;
    sw += w;
    d[3 * t + 3] = s1;
    d[3 * t + 4] = sw;
    p2[t + 1] = s2;
  }
  const segCost = (a: number, b: number): number => {
    const s = d[3 * b]! - d[3 * a]!;
    const c = p2[b]! - p2[a]! - (s * s) / (d[3 * b + 1]! - d[3 * a + 1]!);
    return c > 0 ? c : 0;
  };
  let prev = workspace.prev;
  let cur = workspace.cur;
  prev[0] = Infinity;
  for (let j = 1; j <= n; j++) prev[j] = segCost(0, j);
  const arg = workspace.arg;
  for (let m = 2; m <= kk; m++) {
    for (let i = 0; i <= n; i++) d[3 * i + 2] = prev[i]! - p2[i]!;
    const base = (m - 1) * (n + 1);
    const pbase = m >= 3 ? base - (n + 1) : -1;
    for (let j = 0; j < m; j++) cur[j] = Infinity;
    // Rows j >= m (m points at least); the last layer only needs j = n.
    if (m === kk) solveLayer(d, p2, cur, arg, base, pbase, n, n, m - 1, n - 1);
    else solveLayer(d, p2, cur, arg, base, pbase, m, n, m - 1, n - 1);
    const t = prev;
    prev = cur;
    cur = t;
  }
  // Backtrack the cluster starts from the last layer.
  let j = n;
  starts[kk] = n;
  for (let m = kk; m >= 2; m--) {
    j = arg[(m - 1) * (n + 1) + j]!;
    starts[m - 1] = j;
  }
  starts[0] = 0;
  let total = 0;
  for (let c = 0; c < kk; c++) {
    const a = starts[c]!;
    const b = starts[c + 1]!;
    centroids[c] = (d[3 * b]! - d[3 * a]!) / (d[3 * b + 1]! - d[3 * a + 1]!) + mu;
    total += segCost(a, b);
  }
  return { clusters: kk, centroids, starts, cost: total };
}
