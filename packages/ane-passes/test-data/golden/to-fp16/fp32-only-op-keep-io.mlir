// options: {"keepIO": true}
// With keepIO an fp32 output of an op run in fp32 is returned as it is (no fp16 round trip);
// its fp16 users read a cast.
func main(%x: fp32[2]) -> (%y, %d) {
  %q = const() {dtype="int8", shape=[2], value=[3,-1]} : int8[2]
  %z = const() {dtype="fp32", shape=[], value=[1]} : fp32[]
  %s = const() {dtype="fp32", shape=[], value=[0.5]} : fp32[]
  %d = affine_dequantize(quantized_data=%q, zero_point=%z, scale=%s) : fp32[2]
  %y = add(x=%x, y=%d) : fp32[2]
  return %y, %d
}
// ==== expected
func main(%x: fp32[2]) -> (%y, %d) {
  %x_fp16 = cast(x=%x) {dtype="fp16"} : fp16[2]
  %q = const() {dtype="int8", shape=[2], value=[3,-1]} : int8[2]
  %z = const() {dtype="fp16", shape=[], value=[1]} : fp16[]
  %s = const() {dtype="fp16", shape=[], value=[0.5]} : fp16[]
  %z_fp32 = cast(x=%z) {dtype="fp32"} : fp32[]
  %s_fp32 = cast(x=%s) {dtype="fp32"} : fp32[]
  %d = affine_dequantize(quantized_data=%q, zero_point=%z_fp32, scale=%s_fp32) : fp32[2]
  %d_fp16 = cast(x=%d) {dtype="fp16"} : fp16[2]
  %y_fp32 = add(x=%x_fp16, y=%d_fp16) : fp16[2]
  %y = cast(x=%y_fp32) {dtype="fp32"} : fp32[2]
  return %y, %d
}
