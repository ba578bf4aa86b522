// A transpose sinks below a reshape that only drops or adds size-1 axes: the reshape moves to
// the untransposed value (its unit axes where the result has them) and the transpose permutes
// the other axes; it disappears when they stay in order. Symbolic dims are carried along.
// Other reshapes are left alone.
func main(%x: fp32[2,16,6,1], %z: fp32[3,1,4], %w: fp32[1,n,4], %q: fp32[2,3]) -> (%y, %u, %v, %o) {
  %t = transpose(x=%x) {perm=[0,2,3,1]} : fp32[2,6,1,16]
  %y = reshape(x=%t) {shape=[2,6,16]} : fp32[2,6,16]
  %t2 = transpose(x=%z) {perm=[1,0,2]} : fp32[1,3,4]
  %u = reshape(x=%t2) {shape=[3,4,1]} : fp32[3,4,1]
  %t3 = transpose(x=%w) {perm=[2,0,1]} : fp32[4,1,n]
  %v = reshape(x=%t3) {shape=[4,n]} : fp32[4,n]
  %t4 = transpose(x=%q) {perm=[1,0]} : fp32[3,2]
  %o = reshape(x=%t4) {shape=[6]} : fp32[6]
  return %y, %u, %v, %o
}
// ==== expected
func main(%x: fp32[2,16,6,1], %z: fp32[3,1,4], %w: fp32[1,n,4], %q: fp32[2,3]) -> (%y, %u, %v, %o) {
  %reshape = reshape(x=%x) {shape=[2,16,6]} : fp32[2,16,6]
  %y = transpose(x=%reshape) {perm=[0,2,1]} : fp32[2,6,16]
  %u = reshape(x=%z) {shape=[3,4,1]} : fp32[3,4,1]
  %reshape_2 = reshape(x=%w) {shape=[n,4]} : fp32[n,4]
  %v = transpose(x=%reshape_2) {perm=[1,0]} : fp32[4,n]
  %t4 = transpose(x=%q) {perm=[1,0]} : fp32[3,2]
  %o = reshape(x=%t4) {shape=[6]} : fp32[6]
  return %y, %u, %v, %o
}
