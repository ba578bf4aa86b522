// Both operand orders fuse; a sigmoid with another use, or of another value, does not.
func main(%x: fp32[4], %w: fp32[4]) -> (%a, %b, %c, %d) {
  %s1 = sigmoid(x=%x) : fp32[4]
  %a = mul(x=%x, y=%s1) : fp32[4]
  %s2 = sigmoid(x=%w) : fp32[4]
  %b = mul(x=%s2, y=%w) : fp32[4]
  %s3 = sigmoid(x=%x) : fp32[4]
  %c = mul(x=%w, y=%s3) : fp32[4]
  %s4 = sigmoid(x=%w) : fp32[4]
  %m = mul(x=%w, y=%s4) : fp32[4]
  %d = add(x=%m, y=%s4) : fp32[4]
  return %a, %b, %c, %d
}
// ==== expected
func main(%x: fp32[4], %w: fp32[4]) -> (%a, %b, %c, %d) {
  %a = silu(x=%x) : fp32[4]
  %b = silu(x=%w) : fp32[4]
  %s3 = sigmoid(x=%x) : fp32[4]
  %c = mul(x=%w, y=%s3) : fp32[4]
  %s4 = sigmoid(x=%w) : fp32[4]
  %m = mul(x=%w, y=%s4) : fp32[4]
  %d = add(x=%m, y=%s4) : fp32[4]
  return %a, %b, %c, %d
}
