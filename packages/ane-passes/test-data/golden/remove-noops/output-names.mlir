// An output keeps its name: the producer of the input takes it over.
func main(%x: fp32[3]) -> (%y) {
  %a = exp(x=%x) : fp32[3]
  %y = reshape(x=%a) {shape=[3]} : fp32[3]
  return %y
}
// ==== expected
func main(%x: fp32[3]) -> (%y) {
  %y = exp(x=%x) : fp32[3]
  return %y
}
