// One 4-bit table per weight: the const becomes lut_dequantize over a table and indices
// computed lazily; the small bias and the const feeding `add` stay dense.
// options: {"nbits": 4, "weightThreshold": 0}
func main(%x: fp16[1,8]) -> (%y) {
  %w = const() {dtype="fp16", shape=[16,8], weight="layer.w"} : fp16[16,8]
  %b = const() {dtype="fp16", shape=[16], weight="layer.b"} : fp16[16]
  %c = const() {dtype="fp16", shape=[1,16], weight="offset"} : fp16[1,16]
  %l = linear(x=%x, weight=%w, bias=%b) : fp16[1,16]
  %y = add(x=%l, y=%c) : fp16[1,16]
  return %y
}
// ==== expected
func main(%x: fp16[1,8]) -> (%y) {
  %w.lut = const() {dtype="fp16", shape=[1,1,16,1], weight="layer.w.lut"} : fp16[1,1,16,1]
  %w.indices = const() {dtype="uint4", shape=[16,8], weight="layer.w.indices"} : uint4[16,8]
  %w = lut_dequantize(lut=%w.lut, indices=%w.indices) : fp16[16,8]
  %b = const() {dtype="fp16", shape=[16], weight="layer.b"} : fp16[16]
  %c = const() {dtype="fp16", shape=[1,16], weight="offset"} : fp16[1,16]
  %l = linear(x=%x, weight=%w, bias=%b) : fp16[1,16]
  %y = add(x=%l, y=%c) : fp16[1,16]
  return %y
}
