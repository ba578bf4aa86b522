// An add of [C] after a conv with a bias, a sub of a scalar; a spatially varying constant stays.
func main(%x: fp32[1,1,2,2]) -> (%y, %z) {
  %w = const() {dtype="fp32", shape=[2,1,1,1], value=[1,2]} : fp32[2,1,1,1]
  %b = const() {dtype="fp32", shape=[2], value=[10,20]} : fp32[2]
  %c = conv2d(x=%x, weight=%w, bias=%b) : fp32[1,2,2,2]
  %k = const() {dtype="fp32", shape=[2,1,1], value=[1,2]} : fp32[2,1,1]
  %y0 = add(x=%k, y=%c) : fp32[1,2,2,2]
  %s = const() {dtype="fp32", shape=[], value=[0.5]} : fp32[]
  %y = sub(x=%y0, y=%s) : fp32[1,2,2,2]
  %c2 = conv2d(x=%x, weight=%w) : fp32[1,2,2,2]
  %sp = const() {dtype="fp32", shape=[2], value=[1,2]} : fp32[2]
  %z = add(x=%c2, y=%sp) : fp32[1,2,2,2]
  return %y, %z
}
// ==== expected
func main(%x: fp32[1,1,2,2]) -> (%y, %z) {
  %w = const() {dtype="fp32", shape=[2,1,1,1], value=[1,2]} : fp32[2,1,1,1]
  %y0.bias = const() {dtype="fp32", shape=[2], value=[10.5,21.5]} : fp32[2]
  %y = conv2d(x=%x, weight=%w, bias=%y0.bias) : fp32[1,2,2,2]
  %c2 = conv2d(x=%x, weight=%w) : fp32[1,2,2,2]
  %sp = const() {dtype="fp32", shape=[2], value=[1,2]} : fp32[2]
  %z = add(x=%c2, y=%sp) : fp32[1,2,2,2]
  return %y, %z
}
