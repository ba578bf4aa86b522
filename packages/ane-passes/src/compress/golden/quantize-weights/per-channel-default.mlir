// The default: int8 linear_symmetric per output channel, blockwise_dequantize with one scale
// per output channel and no zero point (rows of a linear weight, columns of matmul's y);
// weights of <= 2048 elements stay dense.
func main(%x: fp16[1,64]) -> (%y, %z) {
  %w = const() {dtype="fp16", shape=[96,64], weight="w"} : fp16[96,64]
  %h = linear(x=%x, weight=%w) : fp16[1,96]
  %v = const() {dtype="fp16", shape=[96,64], weight="v"} : fp16[96,64]
  %y = matmul(x=%h, y=%v) : fp16[1,64]
  %s = const() {dtype="fp16", shape=[32,64], weight="s"} : fp16[32,64]
  %z = linear(x=%x, weight=%s) : fp16[1,32]
  return %y, %z
}
// ==== expected
func main(%x: fp16[1,64]) -> (%y, %z) {
  %w.data = const() {dtype="int8", shape=[96,64], weight="w.data"} : int8[96,64]
  %w.scale = const() {dtype="fp16", shape=[96,1], weight="w.scale"} : fp16[96,1]
  %w = blockwise_dequantize(data=%w.data, scale=%w.scale) : fp16[96,64]
  %h = linear(x=%x, weight=%w) : fp16[1,96]
  %v.data = const() {dtype="int8", shape=[96,64], weight="v.data"} : int8[96,64]
  %v.scale = const() {dtype="fp16", shape=[1,64], weight="v.scale"} : fp16[1,64]
  %v = blockwise_dequantize(data=%v.data, scale=%v.scale) : fp16[96,64]
  %y = matmul(x=%h, y=%v) : fp16[1,64]
  %s = const() {dtype="fp16", shape=[32,64], weight="s"} : fp16[32,64]
  %z = linear(x=%x, weight=%s) : fp16[1,32]
  return %y, %z
}
