// Without keepIO the signature becomes fp16; a weight becomes a computed fp16 weight shared by
// both consts that use it; int32 values and the cast to int32 stay; fill's dtype follows.
func main(%x: fp32[2], %i: int32[2]) -> (%y, %j) {
  %w = const() {dtype="fp32", shape=[2], weight="w"} : fp32[2]
  %w2 = const() {dtype="fp32", shape=[2], weight="w"} : fp32[2]
  %f = fill() {shape=[2], value=1} : fp32[2]
  %a = mul(x=%x, y=%w) : fp32[2]
  %b = add(x=%a, y=%w2) : fp32[2]
  %y = add(x=%b, y=%f) : fp32[2]
  %ci = cast(x=%i) {dtype="fp32"} : fp32[2]
  %s = add(x=%ci, y=%y) : fp32[2]
  %j = cast(x=%s) {dtype="int32"} : int32[2]
  return %y, %j
}
// ==== expected
func main(%x: fp16[2], %i: int32[2]) -> (%y, %j) {
  %w = const() {dtype="fp16", shape=[2], weight="w.fp16"} : fp16[2]
  %w2 = const() {dtype="fp16", shape=[2], weight="w.fp16"} : fp16[2]
  %f = fill() {shape=[2], value=1, dtype="fp16"} : fp16[2]
  %a = mul(x=%x, y=%w) : fp16[2]
  %b = add(x=%a, y=%w2) : fp16[2]
  %y = add(x=%b, y=%f) : fp16[2]
  %ci = cast(x=%i) {dtype="fp16"} : fp16[2]
  %s = add(x=%ci, y=%y) : fp16[2]
  %j = cast(x=%s) {dtype="int32"} : int32[2]
  return %y, %j
}
