// Every kind of no-op goes; a broadcasting add of 0 and a mul by 1.5 stay.
func main(%x: fp32[2,3], %f: fp16[2,3]) -> (%y, %g) {
  %zero = const() {dtype="fp32", shape=[], value=[0]} : fp32[]
  %one = const() {dtype="fp32", shape=[1,1], value=[1]} : fp32[1,1]
  %wide = const() {dtype="fp32", shape=[4,1,1], value=[0,0,0,0]} : fp32[4,1,1]
  %k = const() {dtype="fp32", shape=[], value=[1.5]} : fp32[]
  %a = add(x=%zero, y=%x) : fp32[2,3]
  %b = mul(x=%a, y=%one) : fp32[2,3]
  %c = reshape(x=%b) {shape=[2,3]} : fp32[2,3]
  %d = transpose(x=%c) {perm=[0,1]} : fp32[2,3]
  %e = slice(x=%d) {begin=[0,0], end=[2147483647,3]} : fp32[2,3]
  %h = concat(values=(%e)) {axis=1} : fp32[2,3]
  %i = sub(x=%h, y=%zero) : fp32[2,3]
  %j = div(x=%i, y=%one) : fp32[2,3]
  %l = mul(x=%j, y=%k) : fp32[2,3]
  %y = add(x=%l, y=%wide) : fp32[4,2,3]
  %g = cast(x=%f) {dtype="fp16"} : fp16[2,3]
  return %y, %g
}
// ==== expected
func main(%x: fp32[2,3], %f: fp16[2,3]) -> (%y, %g) {
  %wide = const() {dtype="fp32", shape=[4,1,1], value=[0,0,0,0]} : fp32[4,1,1]
  %k = const() {dtype="fp32", shape=[], value=[1.5]} : fp32[]
  %l = mul(x=%x, y=%k) : fp32[2,3]
  %y = add(x=%l, y=%wide) : fp32[4,2,3]
  %g = cast(x=%f) {dtype="fp16"} : fp16[2,3]
  return %y, %g
}
