// The erf form with a division and another grouping, the tanh form with pow, in fp16.
func main(%x: fp16[2,4]) -> (%e, %t) {
  %r2 = const() {dtype="fp16", shape=[], value=[1.414]} : fp16[]
  %one = const() {dtype="fp16", shape=[1], value=[1]} : fp16[1]
  %half = const() {dtype="fp16", shape=[], value=[0.5]} : fp16[]
  %a = div(x=%x, y=%r2) : fp16[2,4]
  %b = erf(x=%a) : fp16[2,4]
  %c = add(x=%one, y=%b) : fp16[2,4]
  %d = mul(x=%x, y=%c) : fp16[2,4]
  %e = mul(x=%half, y=%d) : fp16[2,4]
  %three = const() {dtype="fp16", shape=[], value=[3]} : fp16[]
  %k = const() {dtype="fp16", shape=[], value=[0.044715]} : fp16[]
  %s = const() {dtype="fp16", shape=[], value=[0.7978845608]} : fp16[]
  %p = pow(x=%x, y=%three) : fp16[2,4]
  %q = mul(x=%k, y=%p) : fp16[2,4]
  %u = add(x=%x, y=%q) : fp16[2,4]
  %v = mul(x=%u, y=%s) : fp16[2,4]
  %th = tanh(x=%v) : fp16[2,4]
  %w = add(x=%th, y=%one) : fp16[2,4]
  %h = mul(x=%w, y=%half) : fp16[2,4]
  %t = mul(x=%x, y=%h) : fp16[2,4]
  return %e, %t
}
// ==== expected
func main(%x: fp16[2,4]) -> (%e, %t) {
  %e = gelu(x=%x) : fp16[2,4]
  %t = gelu(x=%x) {mode="TANH_APPROXIMATION"} : fp16[2,4]
  return %e, %t
}
