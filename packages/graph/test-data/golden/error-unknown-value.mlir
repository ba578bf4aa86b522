// A use of a value that no earlier op defines: E_PARSE at the use.
func main(%x: fp32[2]) -> (%y) {
  %a = test_relu(x=%x) : fp32[2]
  %y = test_add(x=%a, y=%b) : fp32[2]
  %b = test_relu(x=%a) : fp32[2]
  return %y
}
