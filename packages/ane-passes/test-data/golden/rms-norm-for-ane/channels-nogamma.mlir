// Over axis 1 of (B, C, 1, S) with a weight (reshaped to [C,1,1]); without a weight the slice is
// the result.
func main(%x: fp32[1,2,1,3]) -> (%y, %z) {
  %g = const() {dtype="fp32", shape=[2], value=[2,3]} : fp32[2]
  %y = rms_norm(x=%x, gamma=%g) {axes=[1], epsilon=0.01} : fp32[1,2,1,3]
  %z = rms_norm(x=%x) {axes=[1]} : fp32[1,2,1,3]
  return %y, %z
}
// ==== expected
func main(%x: fp32[1,2,1,3]) -> (%y, %z) {
  %neg = neg(x=%x) : fp32[1,2,1,3]
  %concat = concat(values=(%x, %neg)) {axis=1} : fp32[1,4,1,3]
  %layer_norm = layer_norm(x=%concat) {axes=[1], epsilon=0.01} : fp32[1,4,1,3]
  %slice = slice(x=%layer_norm) {begin=[0,0,0,0], end=[2147483647,2,2147483647,2147483647]} : fp32[1,2,1,3]
  %g.bcast = const() {dtype="fp32", shape=[2,1,1], value=[2,3]} : fp32[2,1,1]
  %y = mul(x=%slice, y=%g.bcast) : fp32[1,2,1,3]
  %neg_1 = neg(x=%x) : fp32[1,2,1,3]
  %concat_2 = concat(values=(%x, %neg_1)) {axis=1} : fp32[1,4,1,3]
  %layer_norm_3 = layer_norm(x=%concat_2) {axes=[1], epsilon=0.000001} : fp32[1,4,1,3]
  %z = slice(x=%layer_norm_3) {begin=[0,0,0,0], end=[2147483647,2,2147483647,2147483647]} : fp32[1,2,1,3]
  return %y, %z
}
