// options: {"scores": "matmul"}
// The doc example of the matmul form: q, k and v [B, H, S, D] are each transposed once to
// [1, H, D, S] (no reshape needed with B = 1); head h is a slice of axis 1.
func main(%q: fp32[1,2,3,4], %k: fp32[1,2,3,4], %v: fp32[1,2,3,4]) -> (%o) {
  %s = matmul(x=%q, y=%k) {transpose_y=true} : fp32[1,2,3,3]
  %p = softmax(x=%s) : fp32[1,2,3,3]
  %o = matmul(x=%p, y=%v) : fp32[1,2,3,4]
  return %o
}
// ==== expected
func main(%q: fp32[1,2,3,4], %k: fp32[1,2,3,4], %v: fp32[1,2,3,4]) -> (%o) {
  %o.qheads = transpose(x=%q) {perm=[0,1,3,2]} : fp32[1,2,4,3]
  %o.q0 = slice(x=%o.qheads) {begin=[0,0,0,0], end=[1,1,2147483647,3]} : fp32[1,1,4,3]
  %o.kheads = transpose(x=%k) {perm=[0,1,3,2]} : fp32[1,2,4,3]
  %o.k0 = slice(x=%o.kheads) {begin=[0,0,0,0], end=[1,1,2147483647,3]} : fp32[1,1,4,3]
  %o.vheads = transpose(x=%v) {perm=[0,1,3,2]} : fp32[1,2,4,3]
  %o.v0 = slice(x=%o.vheads) {begin=[0,0,0,0], end=[1,1,2147483647,3]} : fp32[1,1,4,3]
  %o.s0 = matmul(x=%o.k0, y=%o.q0) {transpose_x=true} : fp32[1,1,3,3]
  %o.p0 = softmax(x=%o.s0) {axis=2} : fp32[1,1,3,3]
  %o.o0 = matmul(x=%o.v0, y=%o.p0) : fp32[1,1,4,3]
  %o.q1 = slice(x=%o.qheads) {begin=[0,1,0,0], end=[1,2,2147483647,3]} : fp32[1,1,4,3]
  %o.k1 = slice(x=%o.kheads) {begin=[0,1,0,0], end=[1,2,2147483647,3]} : fp32[1,1,4,3]
  %o.v1 = slice(x=%o.vheads) {begin=[0,1,0,0], end=[1,2,2147483647,3]} : fp32[1,1,4,3]
  %o.s1 = matmul(x=%o.k1, y=%o.q1) {transpose_x=true} : fp32[1,1,3,3]
  %o.p1 = softmax(x=%o.s1) {axis=2} : fp32[1,1,3,3]
  %o.o1 = matmul(x=%o.v1, y=%o.p1) : fp32[1,1,4,3]
  %o.heads = concat(values=(%o.o0, %o.o1)) {axis=1} : fp32[1,2,4,3]
  %o.heads3 = reshape(x=%o.heads) {shape=[1,8,3]} : fp32[1,8,3]
  %o.merged = transpose(x=%o.heads3) {perm=[0,2,1]} : fp32[1,3,8]
  %o.split = reshape(x=%o.merged) {shape=[1,3,2,4]} : fp32[1,3,2,4]
  %o = transpose(x=%o.split) {perm=[0,2,1,3]} : fp32[1,2,3,4]
  return %o
}
