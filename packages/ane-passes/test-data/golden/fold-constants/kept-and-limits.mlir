// options: {"maxElements": 6, "inlineMaxElements": 2}
// A const is never refolded (the weight %w keeps its name); the split's 4 + 2 = 6 output elements reach maxElements
// exactly and fold, and since one piece is beyond inlineMaxElements both become computed
// weights; the 7-element exp stays.
func main(%x: fp32[2]) -> (%y, %e, %f, %z) {
  %w = const() {dtype="fp32", shape=[2], weight="w"} : fp32[2]
  %y = add(x=%x, y=%w) : fp32[2]
  %s = const() {dtype="fp32", shape=[6], value=[1,2,3,4,5,6]} : fp32[6]
  %e, %f = split(x=%s) {axis=0, split_sizes=[4,2]} : fp32[4], fp32[2]
  %b = const() {dtype="fp32", shape=[7], value=[0,0,0,0,0,0,0]} : fp32[7]
  %z = exp(x=%b) : fp32[7]
  return %y, %e, %f, %z
}
// ==== expected
func main(%x: fp32[2]) -> (%y, %e, %f, %z) {
  %w = const() {dtype="fp32", shape=[2], weight="w"} : fp32[2]
  %y = add(x=%x, y=%w) : fp32[2]
  %e = const() {dtype="fp32", shape=[4], weight="folded.main.e"} : fp32[4]
  %f = const() {dtype="fp32", shape=[2], weight="folded.main.f"} : fp32[2]
  %b = const() {dtype="fp32", shape=[7], value=[0,0,0,0,0,0,0]} : fp32[7]
  %z = exp(x=%b) : fp32[7]
  return %y, %e, %f, %z
}
