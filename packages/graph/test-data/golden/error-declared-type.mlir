// The type written after ':' must equal the inferred one: E_VERIFY at the type.
func main(%x: fp32[2,3]) -> (%c) {
  %a, %b, %c = test_split(x=%x) {axis=1, num_splits=3} : fp32[2,1], fp32[2,1], fp32[1,2]
  return %c
}
