// Grouped-query attention as packages/models writes it, without a batch axis: the 2 query
// heads of each KV head folded into the query axis ([Hkv, group*T, d] against [Hkv, K, d]),
// an additive mask against [Hkv, group, T, K]. Query head h reads KV head h // group, and the
// per-head outputs come back in the folded shape.
func main(%q: fp32[2,2,2], %k: fp32[1,2,2], %v: fp32[1,2,2], %mask: fp32[2,2]) -> (%o) {
  %c = const() {dtype="fp32", shape=[], value=[0.7]} : fp32[]
  %qc = mul(x=%q, y=%c) : fp32[2,2,2]
  %qs = reshape(x=%qc) {shape=[1,4,2]} : fp32[1,4,2]
  %s3 = matmul(x=%qs, y=%k) {transpose_y=true} : fp32[1,4,2]
  %s = reshape(x=%s3) {shape=[1,2,2,2]} : fp32[1,2,2,2]
  %sm = add(x=%s, y=%mask) : fp32[1,2,2,2]
  %p = softmax(x=%sm) : fp32[1,2,2,2]
  %p3 = reshape(x=%p) {shape=[1,4,2]} : fp32[1,4,2]
  %o = matmul(x=%p3, y=%v) : fp32[1,4,2]
  return %o
}
// ==== expected
func main(%q: fp32[2,2,2], %k: fp32[1,2,2], %v: fp32[1,2,2], %mask: fp32[2,2]) -> (%o) {
  %c = const() {dtype="fp32", shape=[], value=[0.7]} : fp32[]
  %o.q0in.slice = slice(x=%q) {begin=[0,0,0], end=[1,2,2147483647]} : fp32[1,2,2]
  %o.q0 = mul(x=%o.q0in.slice, y=%c) : fp32[1,2,2]
  %o.q0.bchq.t = transpose(x=%o.q0) {perm=[0,2,1]} : fp32[1,2,2]
  %o.q0.bchq = expand_dims(x=%o.q0.bchq.t) {axes=[2]} : fp32[1,2,1,2]
  %o.k0.bkhc = expand_dims(x=%k) {axes=[2]} : fp32[1,2,1,2]
  %o.v0.bchk.t = transpose(x=%v) {perm=[0,2,1]} : fp32[1,2,2]
  %o.v0.bchk = expand_dims(x=%o.v0.bchk.t) {axes=[2]} : fp32[1,2,1,2]
  %o.floor = const() {dtype="fp32", shape=[], value=[-10000]} : fp32[]
  %o.mask = maximum(x=%mask, y=%o.floor) : fp32[2,2]
  %o.mask0.r = reshape(x=%o.mask) {shape=[1,2,2]} : fp32[1,2,2]
  %o.mask0.t = transpose(x=%o.mask0.r) {perm=[0,2,1]} : fp32[1,2,2]
  %o.mask0 = expand_dims(x=%o.mask0.t) {axes=[2]} : fp32[1,2,1,2]
  %o.s0 = einsum(values=(%o.q0.bchq, %o.k0.bkhc)) {equation="bchq,bkhc->bkhq"} : fp32[1,2,1,2]
  %o.s0.masked = add(x=%o.s0, y=%o.mask0) : fp32[1,2,1,2]
  %o.p0 = softmax(x=%o.s0.masked) {axis=1} : fp32[1,2,1,2]
  %o.o0 = einsum(values=(%o.p0, %o.v0.bchk)) {equation="bkhq,bchk->bchq"} : fp32[1,2,1,2]
  %o.q1in.slice = slice(x=%q) {begin=[1,0,0], end=[2,2,2147483647]} : fp32[1,2,2]
  %o.q1 = mul(x=%o.q1in.slice, y=%c) : fp32[1,2,2]
  %o.q1.bchq.t = transpose(x=%o.q1) {perm=[0,2,1]} : fp32[1,2,2]
  %o.q1.bchq = expand_dims(x=%o.q1.bchq.t) {axes=[2]} : fp32[1,2,1,2]
  %o.s1 = einsum(values=(%o.q1.bchq, %o.k0.bkhc)) {equation="bchq,bkhc->bkhq"} : fp32[1,2,1,2]
  %o.s1.masked = add(x=%o.s1, y=%o.mask0) : fp32[1,2,1,2]
  %o.p1 = softmax(x=%o.s1.masked) {axis=1} : fp32[1,2,1,2]
  %o.o1 = einsum(values=(%o.p1, %o.v0.bchk)) {equation="bkhq,bchk->bchq"} : fp32[1,2,1,2]
  %o.heads = concat(values=(%o.o0, %o.o1)) {axis=1} : fp32[1,4,1,2]
  %o.heads3 = squeeze(x=%o.heads) {axes=[2]} : fp32[1,4,2]
  %o.merged = transpose(x=%o.heads3) {perm=[0,2,1]} : fp32[1,2,4]
  %o.split = reshape(x=%o.merged) {shape=[2,2,2]} : fp32[2,2,2]
  %o.units = transpose(x=%o.split) {perm=[1,0,2]} : fp32[2,2,2]
  %o = reshape(x=%o.units) {shape=[1,4,2]} : fp32[1,4,2]
  return %o
}
