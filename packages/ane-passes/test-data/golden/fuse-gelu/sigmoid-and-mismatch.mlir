// The sigmoid approximation fuses; a wrong constant (0.6 instead of 0.5) does not.
func main(%x: fp32[3]) -> (%g, %n) {
  %k = const() {dtype="fp32", shape=[], value=[1.702]} : fp32[]
  %a = mul(x=%k, y=%x) : fp32[3]
  %s = sigmoid(x=%a) : fp32[3]
  %g = mul(x=%s, y=%x) : fp32[3]
  %r = const() {dtype="fp32", shape=[], value=[0.7071067811865476]} : fp32[]
  %one = const() {dtype="fp32", shape=[], value=[1]} : fp32[]
  %bad = const() {dtype="fp32", shape=[], value=[0.6]} : fp32[]
  %b = mul(x=%x, y=%r) : fp32[3]
  %e = erf(x=%b) : fp32[3]
  %p = add(x=%e, y=%one) : fp32[3]
  %h = mul(x=%x, y=%bad) : fp32[3]
  %n = mul(x=%h, y=%p) : fp32[3]
  return %g, %n
}
// ==== expected
func main(%x: fp32[3]) -> (%g, %n) {
  %g = gelu(x=%x) {mode="SIGMOID_APPROXIMATION"} : fp32[3]
  %r = const() {dtype="fp32", shape=[], value=[0.7071067811865476]} : fp32[]
  %one = const() {dtype="fp32", shape=[], value=[1]} : fp32[]
  %bad = const() {dtype="fp32", shape=[], value=[0.6]} : fp32[]
  %b = mul(x=%x, y=%r) : fp32[3]
  %e = erf(x=%b) : fp32[3]
  %p = add(x=%e, y=%one) : fp32[3]
  %h = mul(x=%x, y=%bad) : fp32[3]
  %n = mul(x=%h, y=%p) : fp32[3]
  return %g, %n
}
