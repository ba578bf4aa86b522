// A transpose sinks below expand_dims (the new unit axes stay in place, negative axes count
// from the output's end) and squeeze (with and without axes); once only unit axes are
// permuted, no transpose is left.
func main(%x: fp32[2,3,1]) -> (%y) {
  %t = transpose(x=%x) {perm=[2,0,1]} : fp32[1,2,3]
  %e = expand_dims(x=%t) {axes=[-1,1]} : fp32[1,1,2,3,1]
  %s = squeeze(x=%e) {axes=[0]} : fp32[1,2,3,1]
  %y = squeeze(x=%s) : fp32[2,3]
  return %y
}
// ==== expected
func main(%x: fp32[2,3,1]) -> (%y) {
  %expand_dims = expand_dims(x=%x) {axes=[1,4]} : fp32[2,1,3,1,1]
  %squeeze = squeeze(x=%expand_dims) {axes=[3]} : fp32[2,1,3,1]
  %y = squeeze(x=%squeeze) {axes=[1,3]} : fp32[2,3]
  return %y
}
