// options: {"maxScoreBytes": 64}
// Near-attentions that are not softmax(q k^T) v over the last axis, left as they are (under the
// same budget the doc example's [1,2,2,2] attention is chunked): the value product transposed
// (%o1, %o2), the score product transposing q (%o3), the softmax over the query axis (%o4), k
// transposed by a permutation that also swaps batch and heads (%o5).
func main(%q: fp32[1,2,2,2], %k: fp32[1,2,2,2], %v: fp32[1,2,2,2]) -> (%o1, %o2, %o3, %o4, %o5) {
  %s = matmul(x=%q, y=%k) {transpose_y=true} : fp32[1,2,2,2]
  %p = softmax(x=%s) : fp32[1,2,2,2]
  %o1 = matmul(x=%p, y=%v) {transpose_y=true} : fp32[1,2,2,2]
  %o2 = matmul(x=%p, y=%v) {transpose_x=true} : fp32[1,2,2,2]
  %s3 = matmul(x=%q, y=%k) {transpose_x=true, transpose_y=true} : fp32[1,2,2,2]
  %p3 = softmax(x=%s3) : fp32[1,2,2,2]
  %o3 = matmul(x=%p3, y=%v) : fp32[1,2,2,2]
  %p4 = softmax(x=%s) {axis=2} : fp32[1,2,2,2]
  %o4 = matmul(x=%p4, y=%v) : fp32[1,2,2,2]
  %kt = transpose(x=%k) {perm=[1,0,3,2]} : fp32[2,1,2,2]
  %s5 = matmul(x=%q, y=%kt) : fp32[2,2,2,2]
  %p5 = softmax(x=%s5) : fp32[2,2,2,2]
  %o5 = matmul(x=%p5, y=%v) : fp32[2,2,2,2]
  return %o1, %o2, %o3, %o4, %o5
}
// ==== expected
func main(%q: fp32[1,2,2,2], %k: fp32[1,2,2,2], %v: fp32[1,2,2,2]) -> (%o1, %o2, %o3, %o4, %o5) {
  %s = matmul(x=%q, y=%k) {transpose_y=true} : fp32[1,2,2,2]
  %p = softmax(x=%s) : fp32[1,2,2,2]
  %o1 = matmul(x=%p, y=%v) {transpose_y=true} : fp32[1,2,2,2]
  %o2 = matmul(x=%p, y=%v) {transpose_x=true} : fp32[1,2,2,2]
  %s3 = matmul(x=%q, y=%k) {transpose_x=true, transpose_y=true} : fp32[1,2,2,2]
  %p3 = softmax(x=%s3) : fp32[1,2,2,2]
  %o3 = matmul(x=%p3, y=%v) : fp32[1,2,2,2]
  %p4 = softmax(x=%s) {axis=2} : fp32[1,2,2,2]
  %o4 = matmul(x=%p4, y=%v) : fp32[1,2,2,2]
  %kt = transpose(x=%k) {perm=[1,0,3,2]} : fp32[2,1,2,2]
  %s5 = matmul(x=%q, y=%kt) : fp32[2,2,2,2]
  %p5 = softmax(x=%s5) : fp32[2,2,2,2]
  %o5 = matmul(x=%p5, y=%v) : fp32[2,2,2,2]
  return %o1, %o2, %o3, %o4, %o5
}
