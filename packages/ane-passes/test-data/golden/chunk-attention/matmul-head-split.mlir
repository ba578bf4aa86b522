// options: {"scores": "matmul"}
// The matmul form on the usual head split of (B, S, H*D) projections: each of q, k and v is
// viewed once as [1, H, D, S] (channels first, the sequence last) and head h is a slice on
// axis 1. Scores [1, 1, Sk, Sq] = k_h^T q_h (transpose_x), softmax over axis 2, the mask
// [1, 1, Sk, Sq], o_h = v_h p: no transpose per head.
func main(%xq: fp32[1,3,4], %xk: fp32[1,3,4], %xv: fp32[1,3,4], %mask: fp32[1,1,3,3]) -> (%o) {
  %rq = reshape(x=%xq) {shape=[1,3,2,2]} : fp32[1,3,2,2]
  %q = transpose(x=%rq) {perm=[0,2,1,3]} : fp32[1,2,3,2]
  %rk = reshape(x=%xk) {shape=[1,3,2,2]} : fp32[1,3,2,2]
  %k = transpose(x=%rk) {perm=[0,2,1,3]} : fp32[1,2,3,2]
  %rv = reshape(x=%xv) {shape=[1,3,2,2]} : fp32[1,3,2,2]
  %v = transpose(x=%rv) {perm=[0,2,1,3]} : fp32[1,2,3,2]
  %kt = transpose(x=%k) {perm=[0,1,3,2]} : fp32[1,2,2,3]
  %s = matmul(x=%q, y=%kt) : fp32[1,2,3,3]
  %sm = add(x=%mask, y=%s) : fp32[1,2,3,3]
  %p = softmax(x=%sm) {axis=3} : fp32[1,2,3,3]
  %o = matmul(x=%p, y=%v) : fp32[1,2,3,2]
  return %o
}
// ==== expected
func main(%xq: fp32[1,3,4], %xk: fp32[1,3,4], %xv: fp32[1,3,4], %mask: fp32[1,1,3,3]) -> (%o) {
  %o.qheads.t = transpose(x=%xq) {perm=[0,2,1]} : fp32[1,4,3]
  %o.qheads = reshape(x=%o.qheads.t) {shape=[1,2,2,3]} : fp32[1,2,2,3]
  %o.q0 = slice(x=%o.qheads) {begin=[0,0,0,0], end=[1,1,2147483647,3]} : fp32[1,1,2,3]
  %o.kheads.t = transpose(x=%xk) {perm=[0,2,1]} : fp32[1,4,3]
  %o.kheads = reshape(x=%o.kheads.t) {shape=[1,2,2,3]} : fp32[1,2,2,3]
  %o.k0 = slice(x=%o.kheads) {begin=[0,0,0,0], end=[1,1,2147483647,3]} : fp32[1,1,2,3]
  %o.vheads.t = transpose(x=%xv) {perm=[0,2,1]} : fp32[1,4,3]
  %o.vheads = reshape(x=%o.vheads.t) {shape=[1,2,2,3]} : fp32[1,2,2,3]
  %o.v0 = slice(x=%o.vheads) {begin=[0,0,0,0], end=[1,1,2147483647,3]} : fp32[1,1,2,3]
  %o.floor = const() {dtype="fp32", shape=[], value=[-10000]} : fp32[]
  %o.mask = maximum(x=%mask, y=%o.floor) : fp32[1,1,3,3]
  %o.mask0.r = reshape(x=%o.mask) {shape=[1,3,3]} : fp32[1,3,3]
  %o.mask0.t = transpose(x=%o.mask0.r) {perm=[0,2,1]} : fp32[1,3,3]
  %o.mask0 = expand_dims(x=%o.mask0.t) {axes=[1]} : fp32[1,1,3,3]
  %o.s0 = matmul(x=%o.k0, y=%o.q0) {transpose_x=true} : fp32[1,1,3,3]
  %o.s0.masked = add(x=%o.s0, y=%o.mask0) : fp32[1,1,3,3]
  %o.p0 = softmax(x=%o.s0.masked) {axis=2} : fp32[1,1,3,3]
  %o.o0 = matmul(x=%o.v0, y=%o.p0) : fp32[1,1,2,3]
  %o.q1 = slice(x=%o.qheads) {begin=[0,1,0,0], end=[1,2,2147483647,3]} : fp32[1,1,2,3]
  %o.k1 = slice(x=%o.kheads) {begin=[0,1,0,0], end=[1,2,2147483647,3]} : fp32[1,1,2,3]
  %o.v1 = slice(x=%o.vheads) {begin=[0,1,0,0], end=[1,2,2147483647,3]} : fp32[1,1,2,3]
  %o.s1 = matmul(x=%o.k1, y=%o.q1) {transpose_x=true} : fp32[1,1,3,3]
  %o.s1.masked = add(x=%o.s1, y=%o.mask0) : fp32[1,1,3,3]
  %o.p1 = softmax(x=%o.s1.masked) {axis=2} : fp32[1,1,3,3]
  %o.o1 = matmul(x=%o.v1, y=%o.p1) : fp32[1,1,2,3]
  %o.heads = concat(values=(%o.o0, %o.o1)) {axis=1} : fp32[1,2,2,3]
  %o.heads3 = reshape(x=%o.heads) {shape=[1,4,3]} : fp32[1,4,3]
  %o.merged = transpose(x=%o.heads3) {perm=[0,2,1]} : fp32[1,3,4]
  %o.split = reshape(x=%o.merged) {shape=[1,3,2,2]} : fp32[1,3,2,2]
  %o = transpose(x=%o.split) {perm=[0,2,1,3]} : fp32[1,2,3,2]
  return %o
}
