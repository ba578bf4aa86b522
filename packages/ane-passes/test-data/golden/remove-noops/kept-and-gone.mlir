// A slice that walks an axis backwards keeps the shape, not the data: it stays. A pad of zeros
// and a split into one piece go.
func main(%x: fp32[2,3]) -> (%r, %e) {
  %r = slice(x=%x) {begin=[0,-1], end=[2147483647,-2147483648], strides=[1,-1]} : fp32[2,3]
  %p = pad(x=%x) {pad=[0,0]} : fp32[2,3]
  %s = split(x=%p) {axis=0, num_splits=1} : fp32[2,3]
  %e = exp(x=%s) : fp32[2,3]
  return %r, %e
}
// ==== expected
func main(%x: fp32[2,3]) -> (%r, %e) {
  %r = slice(x=%x) {begin=[0,-1], end=[2147483647,-2147483648], strides=[1,-1]} : fp32[2,3]
  %e = exp(x=%x) : fp32[2,3]
  return %r, %e
}
