// Two linears already rewritten by linear-to-conv around a gelu and a residual add: in the
// (B, C, 1, S) layout the boundary transposes between them vanish; only the function input
// and output convert.
func main(%x: fp32[1,5,4]) -> (%y) {
  %w1 = const() {dtype="fp32", shape=[6,4,1,1], value=[1,0,0,0,0,1,0,0,0,0,1,0,0,0,0,1,1,1,0,0,0,0,1,1]} : fp32[6,4,1,1]
  %w2 = const() {dtype="fp32", shape=[4,6,1,1], value=[1,0,0,0,0,1,0,1,0,0,1,0,0,0,1,0,0,0,0,0,0,1,1,0]} : fp32[4,6,1,1]
  %e1 = expand_dims(x=%x) {axes=[1]} : fp32[1,1,5,4]
  %t1 = transpose(x=%e1) {perm=[0,3,1,2]} : fp32[1,4,1,5]
  %c1 = conv2d(x=%t1, weight=%w1) : fp32[1,6,1,5]
  %u1 = transpose(x=%c1) {perm=[0,2,3,1]} : fp32[1,1,5,6]
  %s1 = squeeze(x=%u1) {axes=[1]} : fp32[1,5,6]
  %g = gelu(x=%s1) : fp32[1,5,6]
  %e2 = expand_dims(x=%g) {axes=[1]} : fp32[1,1,5,6]
  %t2 = transpose(x=%e2) {perm=[0,3,1,2]} : fp32[1,6,1,5]
  %c2 = conv2d(x=%t2, weight=%w2) : fp32[1,4,1,5]
  %u2 = transpose(x=%c2) {perm=[0,2,3,1]} : fp32[1,1,5,4]
  %s2 = squeeze(x=%u2) {axes=[1]} : fp32[1,5,4]
  %y = add(x=%x, y=%s2) : fp32[1,5,4]
  return %y
}
// ==== expected
func main(%x: fp32[1,5,4]) -> (%y) {
  %x.layout = transpose(x=%x) {perm=[0,2,1]} : fp32[1,4,5]
  %x.layout_1 = reshape(x=%x.layout) {shape=[1,4,1,5]} : fp32[1,4,1,5]
  %w1 = const() {dtype="fp32", shape=[6,4,1,1], value=[1,0,0,0,0,1,0,0,0,0,1,0,0,0,0,1,1,1,0,0,0,0,1,1]} : fp32[6,4,1,1]
  %w2 = const() {dtype="fp32", shape=[4,6,1,1], value=[1,0,0,0,0,1,0,1,0,0,1,0,0,0,1,0,0,0,0,0,0,1,1,0]} : fp32[4,6,1,1]
  %c1 = conv2d(x=%x.layout_1, weight=%w1) : fp32[1,6,1,5]
  %g = gelu(x=%c1) : fp32[1,6,1,5]
  %c2 = conv2d(x=%g, weight=%w2) : fp32[1,4,1,5]
  %y.layout_4 = add(x=%x.layout_1, y=%c2) : fp32[1,4,1,5]
  %y.layout = reshape(x=%y.layout_4) {shape=[1,4,5]} : fp32[1,4,5]
  %y = transpose(x=%y.layout) {perm=[0,2,1]} : fp32[1,5,4]
  return %y
}
