// A transpose sinks through a unary op, a binary op with a constant (re-laid out), and a
// binary op of two transposes with the same perm; a multi-use transpose stays.
func main(%x: fp32[2,3], %z: fp32[2,3]) -> (%y, %u) {
  %c = const() {dtype="fp32", shape=[2], value=[1,2]} : fp32[2]
  %t = transpose(x=%x) {perm=[1,0]} : fp32[3,2]
  %r = relu(x=%t) : fp32[3,2]
  %a = add(x=%r, y=%c) : fp32[3,2]
  %tz = transpose(x=%z) {perm=[1,0]} : fp32[3,2]
  %y = mul(x=%a, y=%tz) : fp32[3,2]
  %m = transpose(x=%z) {perm=[1,0]} : fp32[3,2]
  %e = exp(x=%m) : fp32[3,2]
  %u = add(x=%e, y=%m) : fp32[3,2]
  return %y, %u
}
// ==== expected
func main(%x: fp32[2,3], %z: fp32[2,3]) -> (%y, %u) {
  %relu = relu(x=%x) : fp32[2,3]
  %c.t = const() {dtype="fp32", shape=[2,1], value=[1,2]} : fp32[2,1]
  %add = add(x=%relu, y=%c.t) : fp32[2,3]
  %mul = mul(x=%add, y=%z) : fp32[2,3]
  %y = transpose(x=%mul) {perm=[1,0]} : fp32[3,2]
  %m = transpose(x=%z) {perm=[1,0]} : fp32[3,2]
  %e = exp(x=%m) : fp32[3,2]
  %u = add(x=%e, y=%m) : fp32[3,2]
  return %y, %u
}
