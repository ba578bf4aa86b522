// form=affine gives Core ML's iOS16 op: uint8 asymmetric with a vector scale and zero point
// along the output channel axis, per tensor as scalars.
// options: {"dtype": "uint8", "mode": "linear", "form": "affine", "weightThreshold": 0, "rules": ["name:t granularity=per_tensor"]}
func main(%x: fp32[2,16]) -> (%y, %z) {
  %w = const() {dtype="fp32", shape=[8,16], weight="w"} : fp32[8,16]
  %y = linear(x=%x, weight=%w) : fp32[2,8]
  %t = const() {dtype="fp32", shape=[16,4], weight="t"} : fp32[16,4]
  %z = matmul(x=%x, y=%t) : fp32[2,4]
  return %y, %z
}
// ==== expected
func main(%x: fp32[2,16]) -> (%y, %z) {
  %w.data = const() {dtype="uint8", shape=[8,16], weight="w.data"} : uint8[8,16]
  %w.zero_point = const() {dtype="uint8", shape=[8], weight="w.zero_point"} : uint8[8]
  %w.scale = const() {dtype="fp32", shape=[8], weight="w.scale"} : fp32[8]
  %w = affine_dequantize(quantized_data=%w.data, zero_point=%w.zero_point, scale=%w.scale) : fp32[8,16]
  %y = linear(x=%x, weight=%w) : fp32[2,8]
  %t.data = const() {dtype="uint8", shape=[16,4], weight="t.data"} : uint8[16,4]
  %t.zero_point = const() {dtype="uint8", shape=[], weight="t.zero_point"} : uint8[]
  %t.scale = const() {dtype="fp32", shape=[], weight="t.scale"} : fp32[]
  %t = affine_dequantize(quantized_data=%t.data, zero_point=%t.zero_point, scale=%t.scale) : fp32[16,4]
  %z = matmul(x=%x, y=%t) : fp32[2,4]
  return %y, %z
}
