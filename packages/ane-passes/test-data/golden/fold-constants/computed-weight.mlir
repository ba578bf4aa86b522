// options: {"inlineMaxElements": 2}
// Results above inlineMaxElements become computed weights; fill has no inputs and folds too.
func main(%x: fp32[4]) -> (%y) {
  %f = fill() {shape=[4], value=2} : fp32[4]
  %e = exp(x=%f) : fp32[4]
  %s = reduce_sum(x=%f) : fp32[]
  %m = mul(x=%x, y=%e) : fp32[4]
  %y = add(x=%m, y=%s) : fp32[4]
  return %y
}
// ==== expected
func main(%x: fp32[4]) -> (%y) {
  %e = const() {dtype="fp32", shape=[4], weight="folded.main.e"} : fp32[4]
  %s = const() {dtype="fp32", shape=[], value=[8]} : fp32[]
  %m = mul(x=%x, y=%e) : fp32[4]
  %y = add(x=%m, y=%s) : fp32[4]
  return %y
}
