// Dead chains go in one sweep; unused inputs and multi-output ops with a used result stay.
func main(%x: fp32[4], %unused: fp32[2]) -> (%y) {
  %a = exp(x=%x) : fp32[4]
  %b = relu(x=%a) : fp32[4]
  %c = add(x=%b, y=%a) : fp32[4]
  %p, %q = split(x=%x) {axis=0, num_splits=2} : fp32[2], fp32[2]
  %y = neg(x=%p) : fp32[2]
  return %y
}
func second(%z: fp32[3]) -> (%z) {
  %w = sqrt(x=%z) : fp32[3]
  return %z
}
// ==== expected
func main(%x: fp32[4], %unused: fp32[2]) -> (%y) {
  %p, %q = split(x=%x) {axis=0, num_splits=2} : fp32[2], fp32[2]
  %y = neg(x=%p) : fp32[2]
  return %y
}

func second(%z: fp32[3]) -> (%z) {
  return %z
}
