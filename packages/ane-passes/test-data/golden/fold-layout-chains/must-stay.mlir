// Chains that are no single transpose, or would need a higher rank (%b is one transpose of
// rank 4), or are not single-use chains, or have symbolic sizes stay as they are.
func main(%x: fp32[2,3], %y: fp32[4,6], %z: fp32[2,3,4], %s: fp32[n,4]) -> (%a2, %b2, %c2, %c3, %d2) {
  %a = transpose(x=%x) {perm=[1,0]} : fp32[3,2]
  %a1 = reshape(x=%a) {shape=[2,3]} : fp32[2,3]
  %a1t = transpose(x=%a1) {perm=[1,0]} : fp32[3,2]
  %a2 = relu(x=%a1t) : fp32[3,2]
  %b = transpose(x=%y) {perm=[1,0]} : fp32[6,4]
  %b1 = reshape(x=%b) {shape=[2,6,2]} : fp32[2,6,2]
  %b1t = transpose(x=%b1) {perm=[2,1,0]} : fp32[2,6,2]
  %b2 = relu(x=%b1t) : fp32[2,6,2]
  %c = transpose(x=%z) {perm=[2,0,1]} : fp32[4,2,3]
  %c1 = reshape(x=%c) {shape=[4,6]} : fp32[4,6]
  %c1t = transpose(x=%c1) {perm=[1,0]} : fp32[6,4]
  %c2 = relu(x=%c1t) : fp32[6,4]
  %c3 = exp(x=%c1) : fp32[4,6]
  %d = transpose(x=%s) {perm=[1,0]} : fp32[4,n]
  %d1 = reshape(x=%d) {shape=[2,2,n]} : fp32[2,2,n]
  %d1t = transpose(x=%d1) {perm=[2,1,0]} : fp32[n,2,2]
  %d2 = relu(x=%d1t) : fp32[n,2,2]
  return %a2, %b2, %c2, %c3, %d2
}
// ==== expected
func main(%x: fp32[2,3], %y: fp32[4,6], %z: fp32[2,3,4], %s: fp32[n,4]) -> (%a2, %b2, %c2, %c3, %d2) {
  %a = transpose(x=%x) {perm=[1,0]} : fp32[3,2]
  %a1 = reshape(x=%a) {shape=[2,3]} : fp32[2,3]
  %a1t = transpose(x=%a1) {perm=[1,0]} : fp32[3,2]
  %a2 = relu(x=%a1t) : fp32[3,2]
  %b = transpose(x=%y) {perm=[1,0]} : fp32[6,4]
  %b1 = reshape(x=%b) {shape=[2,6,2]} : fp32[2,6,2]
  %b1t = transpose(x=%b1) {perm=[2,1,0]} : fp32[2,6,2]
  %b2 = relu(x=%b1t) : fp32[2,6,2]
  %c = transpose(x=%z) {perm=[2,0,1]} : fp32[4,2,3]
  %c1 = reshape(x=%c) {shape=[4,6]} : fp32[4,6]
  %c1t = transpose(x=%c1) {perm=[1,0]} : fp32[6,4]
  %c2 = relu(x=%c1t) : fp32[6,4]
  %c3 = exp(x=%c1) : fp32[4,6]
  %d = transpose(x=%s) {perm=[1,0]} : fp32[4,n]
  %d1 = reshape(x=%d) {shape=[2,2,n]} : fp32[2,2,n]
  %d1t = transpose(x=%d1) {perm=[2,1,0]} : fp32[n,2,2]
  %d2 = relu(x=%d1t) : fp32[n,2,2]
  return %a2, %b2, %c2, %c3, %d2
}
