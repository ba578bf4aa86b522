/**
 * Exact 1-D k-means over weighted points: the partition of sorted values into at most `k`
 * contiguous clusters that minimizes the weighted sum of squared distances to the cluster
 * means. (In one dimension every optimal k-means clustering is contiguous in sorted order.)
 *
 * Two exact algorithms over the sorted distinct values, both resting on the quadrangle
 * inequality of the cluster cost:
 *
 * - The Lagrangian (used first, for k >= 4): the least cost of a partition into c clusters is
 *   convex in c, so some penalty lambda per cluster makes the penalized optimum have exactly k
 *   clusters, and that partition is an optimal k-clustering. One penalized problem is solved in
 *   O(n log n) by the monotone queue (a later split point, once better for some end, stays
 *   better); the penalty is searched from the previous group's (or an estimate of quantization
 *   theory), then along chords of the cost curve (one to three solves for typical weights). When ties make no penalty give
 *   exactly k clusters, the layered program below runs instead.
 * - The layered dynamic program: `D[m][j]`, the least cost of the first `j` points in `m`
 *   clusters, is `min_i D[m-1][i] + cost(i, j)`. The leftmost minimizing `i` is non-decreasing
 *   in `j` (and in `m`: Knuth's inequality), so each layer is solved by divide and conquer over
 *   rows (the middle row is scanned over its allowed columns, which bounds both halves):
 *   O(k n log n) in all, the last layer a single row. (SMAWK gives O(k n) but measured slower
 *   here: its constant outweighs the log factor.)
 *
 * Costs come from prefix sums of centered values in double precision.
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
  /** Penalized solver: values, cluster counts, last splits, queue of candidates and starts. */
  pf = new Float64Array(0);
  pg = new Float64Array(0);
  pc = new Int32Array(0);
  ps = new Int32Array(0);
  qc = new Int32Array(0);
  qs = new Int32Array(0);
  /**
   * The penalty of the previous clustering (and its k), a starting guess for the next: groups of
   * one weight are alike. Reset it (0) wherever results must not depend on what came before.
   */
  hint = 0;
  hintK = 0;

  /** Grows the buffers to hold `n` points and `k` layers. */
  ensure(n: number, k: number): void {
    if (this.p2.length < n + 1) {
      const m = Math.max(n + 1, this.p2.length * 2);
      this.d = new Float64Array(3 * m);
      this.p2 = new Float64Array(m);
      this.prev = new Float64Array(m);
      this.cur = new Float64Array(m);
      this.pf = new Float64Array(m);
      this.pg = new Float64Array(m);
      this.pc = new Int32Array(m);
      this.ps = new Int32Array(m);
      this.qc = new Int32Array(m);
      this.qs = new Int32Array(m);
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
 * The penalized problem: the partition minimizing cost + lambda * (number of clusters), by the
 * monotone queue (a later split point, once better for some end, stays better for every later
 * end, by the quadrangle inequality; each new candidate's takeover point is binary searched).
 * Leaves the last split of the best partition of points 0..j-1 in ws.ps[j]; returns the
 * unpenalized cost and the cluster count of the partition found.
 */
function penalized(d: Float64Array, p2: Float64Array, n: number, lambda: number, ws: KMeansWorkspace): { cost: number; count: number } {
  const f = ws.pf;
  const g = ws.pg;
  const cnt = ws.pc;
  const split = ws.ps;
  const qc = ws.qc;
  const qs = ws.qs;
  f[0] = 0;
  g[0] = 0;
  cnt[0] = 0;
  let head = 0;
  let tail = 0;
  qc[tail] = 0;
  qs[tail++] = 1;
  for (let j = 1; j <= n; j++) {
    while (tail - head >= 2 && qs[head + 1]! <= j) head++;
    const i = qc[head]!;
    const sj = d[3 * j]! - d[3 * i]!;
    const fj = p2[j]! + g[i]! - (sj * sj) / (d[3 * j + 1]! - d[3 * i + 1]!) + lambda;
    f[j] = fj;
    cnt[j] = cnt[i]! + 1;
    split[j] = i;
    if (j === n) break;
    const gj = fj - p2[j]!;
    g[j] = gj;
    const pj = d[3 * j]!;
    const wj = d[3 * j + 1]!;
    // Drop queued candidates the new one beats from the start of their range on.
    while (tail > head) {
      const b = qc[tail - 1]!;
      const at = qs[tail - 1]! > j + 1 ? qs[tail - 1]! : j + 1;
      const pa = d[3 * at]!;
      const wa = d[3 * at + 1]!;
      const sn = pa - pj;
      const so = pa - d[3 * b]!;
      if (gj - (sn * sn) / (wa - wj) < g[b]! - (so * so) / (wa - d[3 * b + 1]!)) tail--;
      else break;
    }
    if (tail === head) {
      qc[tail] = j;
      qs[tail++] = j + 1;
      continue;
    }
    const b = qc[tail - 1]!;
    const gb = g[b]!;
    const pb = d[3 * b]!;
    const wb = d[3 * b + 1]!;
    let lo = (qs[tail - 1]! > j + 1 ? qs[tail - 1]! : j + 1) + 1;
    if (lo > n) continue;
    const sn = d[3 * n]! - pj;
    const so = d[3 * n]! - pb;
    if (!(gj - (sn * sn) / (d[3 * n + 1]! - wj) < gb - (so * so) / (d[3 * n + 1]! - wb))) continue;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const pm = d[3 * mid]!;
      const wm = d[3 * mid + 1]!;
      const a = pm - pj;
      const c = pm - pb;
      if (gj - (a * a) / (wm - wj) < gb - (c * c) / (wm - wb)) hi = mid;
      else lo = mid + 1;
    }
    qc[tail] = j;
    qs[tail++] = lo;
  }
  return { cost: f[n]! - lambda * cnt[n]!, count: cnt[n]! };
}

/**
 * Exact k-means through the Lagrangian: the cost of the best partition into c clusters is convex
 * in c (the quadrangle inequality), so a penalty lambda exists whose penalized optimum has
 * exactly k clusters, and that partition is an optimal k-clustering. The search starts from an
 * estimate made from this group's values only (so the clustering found, among equally good
 * ones, never depends on what was clustered before), moves by the rate the count changes with
 * the penalty while only one side of k is known, then along chords of the cost curve between
 * the nearest larger and smaller partitions found, bisecting (geometrically) when a chord makes
 * no progress. With a hint in the workspace (the previous clustering's penalty) the search
 * starts there instead: one solve usually suffices for the next group of the same weight. Returns false when no penalty gives exactly k clusters (ties: collinear costs),
 * in which case the caller runs the layered dynamic program. Fills `starts`.
 */
function lagrangian(d: Float64Array, p2: Float64Array, n: number, k: number, ws: KMeansWorkspace, starts: Int32Array): boolean {
  const whole = p2[n]! - (d[3 * n]! * d[3 * n]!) / d[3 * n + 1]!;
  if (!(whole > 0)) return false;
  // Bracket: a partition with more than k clusters (lo) and one with fewer (hi), with the
  // penalties that produced them.
  let loC = n;
  let loF = 0;
  let loL = 0;
  let hiC = 1;
  let hiF = whole;
  let hiL = Infinity;
  // High-resolution quantization theory: the error falls like f(1) * c / k^2 (c about 2.7 for a
  // normal distribution), so the k-th cluster's marginal gain is about 2 c f(1) / k^3.
  let lambda = ws.hint > 0 ? ws.hint * (ws.hintK / k) ** 3 : (5.4 * whole) / (k * k * k);
  for (let iter = 0; iter < 40; iter++) {
    const r = penalized(d, p2, n, lambda, ws);
    LAGRANGIAN.solves++;
    if (r.count === k) {
      ws.hint = lambda;
      ws.hintK = k;
      let j = n;
      for (let c = k; c >= 1; c--) {
        starts[c] = j;
        j = ws.ps[j]!;
      }
      starts[0] = 0;
      return j === 0;
    }
    let progress: boolean;
    if (r.count > k) {
      progress = r.count < loC;
      if (progress) {
        loC = r.count;
        loF = r.cost;
      }
      loL = Math.max(loL, lambda);
    } else {
      progress = r.count > hiC;
      if (progress) {
        hiC = r.count;
        hiF = r.cost;
      }
      hiL = Math.min(hiL, lambda);
    }
    if (hiL === Infinity) lambda *= Math.max(1.25, (r.count / k) ** 3);
    else if (loL === 0) lambda *= Math.min(0.8, (r.count / k) ** 3);
    else {
      // The penalty at which the two bracketing partitions cost the same, kept strictly inside
      // the penalty bracket; a geometric bisection when that fails or made no progress.
      const chord = (hiF - loF) / (loC - hiC);
      lambda = progress && chord > loL && chord < hiL ? chord : Math.sqrt(loL * hiL);
      if (!(hiL - loL > 1e-12 * hiL)) return false;
    }
    if (!(lambda > 0) || !Number.isFinite(lambda)) return false;
  }
  return false;
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
  // The shared default workspace carries no warm start between unrelated calls.
  if (workspace === defaultWorkspace) workspace.hint = 0;
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
  if (kk >= 4 && LAGRANGIAN.enabled) {
    if (lagrangian(d, p2, n, kk, workspace, starts)) {
      LAGRANGIAN.solved++;
      return finish(d, p2, n, kk, mu, starts, centroids, segCost);
    }
    LAGRANGIAN.fallbacks++;
  }
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
  return finish(d, p2, n, kk, mu, starts, centroids, segCost);
}

/** Means and total cost of the clusters given by `starts`. */
function finish(d: Float64Array, _p2: Float64Array, _n: number, kk: number, mu: number, starts: Int32Array, centroids: Float64Array, segCost: (a: number, b: number) => number): KMeans1dResult {
  let total = 0;
  for (let c = 0; c < kk; c++) {
    const a = starts[c]!;
    const b = starts[c + 1]!;
    centroids[c] = (d[3 * b]! - d[3 * a]!) / (d[3 * b + 1]! - d[3 * a + 1]!) + mu;
    total += segCost(a, b);
  }
  return { clusters: kk, centroids, starts, cost: total };
}

/**
 * The Lagrangian fast path: a switch (tests compare both paths) and counts of the clusterings
 * it solved and of those it left to the layered program (per thread).
 */
export const LAGRANGIAN = { enabled: true, solved: 0, fallbacks: 0, solves: 0 };
