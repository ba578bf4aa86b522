// options: {"keepIO": true}
// With keepIO only the fp32 outputs are cast back to fp32 (at the end); the int32 output stays.
func main(%x: fp32[2], %i: int32[2]) -> (%y, %j) {
  %y = relu(x=%x) : fp32[2]
  %j = add(x=%i, y=%i) : int32[2]
  return %y, %j
}
// ==== expected
func main(%x: fp32[2], %i: int32[2]) -> (%y, %j) {
  %x_fp16 = cast(x=%x) {dtype="fp16"} : fp16[2]
  %y_fp32 = relu(x=%x_fp16) : fp16[2]
  %j = add(x=%i, y=%i) : int32[2]
  %y = cast(x=%y_fp32) {dtype="fp32"} : fp32[2]
  return %y, %j
}
