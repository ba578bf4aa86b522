// Per-grouped-channel tables follow each consumer's output channels: axis 0 of a conv2d
// weight, the last axis of matmul's y (transpose_y=false), axis -2 with transpose_y=true.
// options: {"nbits": 2, "granularity": "per_grouped_channel", "groupSize": 4, "weightThreshold": 0}
func main(%x: fp32[1,8,2,2], %m: fp32[3,8]) -> (%y, %z, %t) {
  %k = const() {dtype="fp32", shape=[8,8,1,1], weight="conv.weight"} : fp32[8,8,1,1]
  %y = conv2d(x=%x, weight=%k) : fp32[1,8,2,2]
  %p = const() {dtype="fp32", shape=[8,12], weight="proj"} : fp32[8,12]
  %z = matmul(x=%m, y=%p) : fp32[3,12]
  %q = const() {dtype="fp32", shape=[12,8], weight="proj_t"} : fp32[12,8]
  %t = matmul(x=%m, y=%q) {transpose_y=true} : fp32[3,12]
  return %y, %z, %t
}
// ==== expected
func main(%x: fp32[1,8,2,2], %m: fp32[3,8]) -> (%y, %z, %t) {
  %k.lut = const() {dtype="fp32", shape=[2,1,1,1,4,1], weight="conv.weight.lut"} : fp32[2,1,1,1,4,1]
  %k.indices = const() {dtype="uint2", shape=[8,8,1,1], weight="conv.weight.indices"} : uint2[8,8,1,1]
  %k = lut_dequantize(lut=%k.lut, indices=%k.indices) : fp32[8,8,1,1]
  %y = conv2d(x=%x, weight=%k) : fp32[1,8,2,2]
  %p.lut = const() {dtype="fp32", shape=[1,3,4,1], weight="proj.lut"} : fp32[1,3,4,1]
  %p.indices = const() {dtype="uint2", shape=[8,12], weight="proj.indices"} : uint2[8,12]
  %p = lut_dequantize(lut=%p.lut, indices=%p.indices) : fp32[8,12]
  %z = matmul(x=%m, y=%p) : fp32[3,12]
  %q.lut = const() {dtype="fp32", shape=[3,1,4,1], weight="proj_t.lut"} : fp32[3,1,4,1]
  %q.indices = const() {dtype="uint2", shape=[12,8], weight="proj_t.indices"} : uint2[12,8]
  %q = lut_dequantize(lut=%q.lut, indices=%q.indices) : fp32[12,8]
  %t = matmul(x=%m, y=%q) {transpose_y=true} : fp32[3,12]
  return %y, %z, %t
}
