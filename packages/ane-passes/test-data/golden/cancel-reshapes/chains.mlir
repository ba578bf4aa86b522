// squeeze/expand_dims/reshape chains collapse to one reshape, or to nothing.
func main(%x: fp32[1,6,1], %s: fp32[n,4]) -> (%y, %z, %t) {
  %a = squeeze(x=%x) : fp32[6]
  %b = reshape(x=%a) {shape=[2,3]} : fp32[2,3]
  %y = exp(x=%b) : fp32[2,3]
  %c = expand_dims(x=%x) {axes=[0]} : fp32[1,1,6,1]
  %z = reshape(x=%c) {shape=[1,6,1]} : fp32[1,6,1]
  %d = expand_dims(x=%s) {axes=[1]} : fp32[n,1,4]
  %t = reshape(x=%d) {shape=[n,2,2]} : fp32[n,2,2]
  return %y, %z, %t
}
// ==== expected
func main(%x: fp32[1,6,1], %s: fp32[n,4]) -> (%y, %z, %t) {
  %b = reshape(x=%x) {shape=[2,3]} : fp32[2,3]
  %y = exp(x=%b) : fp32[2,3]
  %z = reshape(x=%x) {shape=[1,6,1]} : fp32[1,6,1]
  %t = reshape(x=%s) {shape=[n,2,2]} : fp32[n,2,2]
  return %y, %z, %t
}
