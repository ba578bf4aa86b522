// affine_dequantize takes an int8, uint8 or fp32 zero point, never fp16: once its constants are
// fp16 it runs in fp32 between casts (its fp16 inputs cast up before it, its fp32 output cast
// down after it; the returned %d too, keeping its name); the int8 data stays as it is.
func main(%x: fp32[2]) -> (%y, %d) {
  %q = const() {dtype="int8", shape=[2], value=[3,-1]} : int8[2]
  %z = const() {dtype="fp32", shape=[], value=[1]} : fp32[]
  %s = const() {dtype="fp32", shape=[], value=[0.5]} : fp32[]
  %d = affine_dequantize(quantized_data=%q, zero_point=%z, scale=%s) : fp32[2]
  %y = add(x=%x, y=%d) : fp32[2]
  return %y, %d
}
// ==== expected
func main(%x: fp16[2]) -> (%y, %d) {
  %q = const() {dtype="int8", shape=[2], value=[3,-1]} : int8[2]
  %z = const() {dtype="fp16", shape=[], value=[1]} : fp16[]
  %s = const() {dtype="fp16", shape=[], value=[0.5]} : fp16[]
  %z_fp32 = cast(x=%z) {dtype="fp32"} : fp32[]
  %s_fp32 = cast(x=%s) {dtype="fp32"} : fp32[]
  %d_fp16 = affine_dequantize(quantized_data=%q, zero_point=%z_fp32, scale=%s_fp32) : fp32[2]
  %d = cast(x=%d_fp16) {dtype="fp16"} : fp16[2]
  %y = add(x=%x, y=%d) : fp16[2]
  return %y, %d
}
