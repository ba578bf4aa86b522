// int4 asymmetric per block of 8 input channels (iOS18): scales and zero points [out, in/8];
// quantizing again leaves everything as it is (see the second function).
// options: {"dtype": "int4", "mode": "linear", "granularity": "per_block", "blockSize": 8, "weightThreshold": 0}
func main(%x: fp16[1,32]) -> (%y) {
  %w = const() {dtype="fp16", shape=[16,32], weight="w"} : fp16[16,32]
  %y = linear(x=%x, weight=%w) : fp16[1,16]
  return %y
}
func again(%x: fp16[1,32]) -> (%y) {
  %w.data = const() {dtype="int4", shape=[16,32], weight="q.data"} : int4[16,32]
  %w.scale = const() {dtype="fp16", shape=[16,4], weight="q.scale"} : fp16[16,4]
  %w.offset = const() {dtype="int4", shape=[16,4], weight="q.offset"} : int4[16,4]
  %w = blockwise_dequantize(data=%w.data, scale=%w.scale, offset=%w.offset) : fp16[16,32]
  %y = linear(x=%x, weight=%w) : fp16[1,16]
  return %y
}
// ==== expected
func main(%x: fp16[1,32]) -> (%y) {
  %w.data = const() {dtype="int4", shape=[16,32], weight="w.data"} : int4[16,32]
  %w.scale = const() {dtype="fp16", shape=[16,4], weight="w.scale"} : fp16[16,4]
  %w.offset = const() {dtype="int4", shape=[16,4], weight="w.offset"} : int4[16,4]
  %w = blockwise_dequantize(data=%w.data, scale=%w.scale, offset=%w.offset) : fp16[16,32]
  %y = linear(x=%x, weight=%w) : fp16[1,16]
  return %y
}

func again(%x: fp16[1,32]) -> (%y) {
  %w.data = const() {dtype="int4", shape=[16,32], weight="q.data"} : int4[16,32]
  %w.scale = const() {dtype="fp16", shape=[16,4], weight="q.scale"} : fp16[16,4]
  %w.offset = const() {dtype="int4", shape=[16,4], weight="q.offset"} : int4[16,4]
  %w = blockwise_dequantize(data=%w.data, scale=%w.scale, offset=%w.offset) : fp16[16,32]
  %y = linear(x=%x, weight=%w) : fp16[1,16]
  return %y
}
