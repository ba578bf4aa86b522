// Already palettized constants (the table feeds lut_dequantize) are left alone.
// options: {"nbits": 4, "weightThreshold": 0}
func main(%x: fp16[1,8]) -> (%y) {
  %w.lut = const() {dtype="fp16", shape=[1,1,16,1], weight="w.lut"} : fp16[1,1,16,1]
  %w.indices = const() {dtype="uint4", shape=[16,8], weight="w.indices"} : uint4[16,8]
  %w = lut_dequantize(lut=%w.lut, indices=%w.indices) : fp16[16,8]
  %y = linear(x=%x, weight=%w) : fp16[1,16]
  return %y
}
// ==== expected
func main(%x: fp16[1,8]) -> (%y) {
  %w.lut = const() {dtype="fp16", shape=[1,1,16,1], weight="w.lut"} : fp16[1,1,16,1]
  %w.indices = const() {dtype="uint4", shape=[16,8], weight="w.indices"} : uint4[16,8]
  %w = lut_dequantize(lut=%w.lut, indices=%w.indices) : fp16[16,8]
  %y = linear(x=%x, weight=%w) : fp16[1,16]
  return %y
}
