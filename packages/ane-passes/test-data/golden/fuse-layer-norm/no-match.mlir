// Different axes for mean and variance: not a layer norm, nothing changes.
func main(%x: fp32[2,4]) -> (%y) {
  %m = reduce_mean(x=%x) {axes=[1], keep_dims=true} : fp32[2,1]
  %d = sub(x=%x, y=%m) : fp32[2,4]
  %sq = mul(x=%d, y=%d) : fp32[2,4]
  %v = reduce_mean(x=%sq) {axes=[0], keep_dims=true} : fp32[1,4]
  %r = rsqrt(x=%v) : fp32[1,4]
  %y = mul(x=%d, y=%r) : fp32[2,4]
  return %y
}
// ==== expected
func main(%x: fp32[2,4]) -> (%y) {
  %m = reduce_mean(x=%x) {axes=[1], keep_dims=true} : fp32[2,1]
  %d = sub(x=%x, y=%m) : fp32[2,4]
  %sq = mul(x=%d, y=%d) : fp32[2,4]
  %v = reduce_mean(x=%sq) {axes=[0], keep_dims=true} : fp32[1,4]
  %r = rsqrt(x=%v) : fp32[1,4]
  %y = mul(x=%d, y=%r) : fp32[2,4]
  return %y
}
