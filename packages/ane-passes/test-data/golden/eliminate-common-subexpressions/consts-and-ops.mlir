// Equal consts merge, which makes the ops using them equal too; attributes must match.
func main(%x: fp32[2,3]) -> (%y, %z) {
  %c1 = const() {dtype="fp32", shape=[], value=[2]} : fp32[]
  %c2 = const() {dtype="fp32", shape=[], value=[2]} : fp32[]
  %c3 = const() {dtype="fp32", shape=[], value=[-0]} : fp32[]
  %c4 = const() {dtype="fp32", shape=[], value=[0]} : fp32[]
  %a = mul(x=%x, y=%c1) : fp32[2,3]
  %b = mul(x=%x, y=%c2) : fp32[2,3]
  %s1 = softmax(x=%a) {axis=0} : fp32[2,3]
  %s2 = softmax(x=%b) : fp32[2,3]
  %t = add(x=%s1, y=%s2) : fp32[2,3]
  %u = add(x=%c3, y=%c4) : fp32[]
  %y = add(x=%t, y=%u) : fp32[2,3]
  %z = mul(x=%x, y=%c2) : fp32[2,3]
  return %y, %z
}
// ==== expected
func main(%x: fp32[2,3]) -> (%y, %z) {
  %c1 = const() {dtype="fp32", shape=[], value=[2]} : fp32[]
  %c3 = const() {dtype="fp32", shape=[], value=[-0]} : fp32[]
  %c4 = const() {dtype="fp32", shape=[], value=[0]} : fp32[]
  %z = mul(x=%x, y=%c1) : fp32[2,3]
  %s1 = softmax(x=%z) {axis=0} : fp32[2,3]
  %s2 = softmax(x=%z) : fp32[2,3]
  %t = add(x=%s1, y=%s2) : fp32[2,3]
  %u = add(x=%c3, y=%c4) : fp32[]
  %y = add(x=%t, y=%u) : fp32[2,3]
  return %y, %z
}
