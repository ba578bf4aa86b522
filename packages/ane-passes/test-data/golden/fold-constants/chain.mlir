// A chain of constant ops folds into one inline constant; the input-dependent op stays.
func main(%x: fp32[2,2]) -> (%y) {
  %a = const() {dtype="fp32", shape=[2,2], value=[1,2,3,4]} : fp32[2,2]
  %b = transpose(x=%a) {perm=[1,0]} : fp32[2,2]
  %c = const() {dtype="fp32", shape=[], value=[10]} : fp32[]
  %d = mul(x=%b, y=%c) : fp32[2,2]
  %y = add(x=%x, y=%d) : fp32[2,2]
  return %y
}
// ==== expected
func main(%x: fp32[2,2]) -> (%y) {
  %d = const() {dtype="fp32", shape=[2,2], value=[10,30,20,40]} : fp32[2,2]
  %y = add(x=%x, y=%d) : fp32[2,2]
  return %y
}
