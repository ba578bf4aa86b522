// A layer norm over the channels of NCHW written with pow, div and sqrt, with a
// [1,C,1,1] scale and shift that become gamma and beta of shape [C].
func main(%x: fp32[1,3,2,2]) -> (%y) {
  %m = reduce_mean(x=%x) {axes=[1], keep_dims=true} : fp32[1,1,2,2]
  %d = sub(x=%x, y=%m) : fp32[1,3,2,2]
  %two = const() {dtype="fp32", shape=[], value=[2]} : fp32[]
  %sq = pow(x=%d, y=%two) : fp32[1,3,2,2]
  %v = reduce_mean(x=%sq) {axes=[-3], keep_dims=true} : fp32[1,1,2,2]
  %eps = const() {dtype="fp32", shape=[1], value=[0.001]} : fp32[1]
  %ve = add(x=%eps, y=%v) : fp32[1,1,2,2]
  %s = sqrt(x=%ve) : fp32[1,1,2,2]
  %n = div(x=%d, y=%s) : fp32[1,3,2,2]
  %g = const() {dtype="fp32", shape=[1,3,1,1], value=[1,2,3]} : fp32[1,3,1,1]
  %b = const() {dtype="fp32", shape=[3,1,1], value=[4,5,6]} : fp32[3,1,1]
  %ng = mul(x=%g, y=%n) : fp32[1,3,2,2]
  %y = add(x=%ng, y=%b) : fp32[1,3,2,2]
  return %y
}
// ==== expected
func main(%x: fp32[1,3,2,2]) -> (%y) {
  %g.ln = const() {dtype="fp32", shape=[3], value=[1,2,3]} : fp32[3]
  %b.ln = const() {dtype="fp32", shape=[3], value=[4,5,6]} : fp32[3]
  %y = layer_norm(x=%x, gamma=%g.ln, beta=%b.ln) {axes=[1], epsilon=0.001} : fp32[1,3,2,2]
  return %y
}
