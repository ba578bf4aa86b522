// options: {"maxElements": 3}
// Integer ops fold exactly; a result larger than maxElements stays.
func main(%x: fp32[4]) -> (%y, %r) {
  %a = const() {dtype="int32", shape=[2], value=[7,-3]} : int32[2]
  %b = const() {dtype="int32", shape=[2], value=[2,2]} : int32[2]
  %q = div(x=%a, y=%b) : int32[2]
  %r = range() {end=4} : int32[4]
  %big = fill() {shape=[4], value=1} : fp32[4]
  %y = add(x=%x, y=%big) : fp32[4]
  return %y, %r
}
// ==== expected
func main(%x: fp32[4]) -> (%y, %r) {
  %q = const() {dtype="int32", shape=[2], value=[3,-1]} : int32[2]
  %r = range() {end=4} : int32[4]
  %big = fill() {shape=[4], value=1} : fp32[4]
  %y = add(x=%x, y=%big) : fp32[4]
  return %y, %r
}
