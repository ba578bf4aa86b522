// A transpose sinks below slice (begin, end and strides permuted back); a transpose with two
// users stays, so none is duplicated.
func main(%x: fp32[4,5,6], %z: fp32[2,3]) -> (%y, %u, %v) {
  %t = transpose(x=%x) {perm=[1,2,0]} : fp32[5,6,4]
  %y = slice(x=%t) {begin=[1,0,-3], end=[4,6,2147483647], strides=[2,1,1]} : fp32[2,6,3]
  %m = transpose(x=%z) {perm=[1,0]} : fp32[3,2]
  %u = slice(x=%m) {begin=[0,0], end=[1,2]} : fp32[1,2]
  %v = slice(x=%m) {begin=[1,0], end=[3,2]} : fp32[2,2]
  return %y, %u, %v
}
// ==== expected
func main(%x: fp32[4,5,6], %z: fp32[2,3]) -> (%y, %u, %v) {
  %slice = slice(x=%x) {begin=[-3,1,0], end=[2147483647,4,6], strides=[1,2,1]} : fp32[3,2,6]
  %y = transpose(x=%slice) {perm=[1,2,0]} : fp32[2,6,3]
  %m = transpose(x=%z) {perm=[1,0]} : fp32[3,2]
  %u = slice(x=%m) {begin=[0,0], end=[1,2]} : fp32[1,2]
  %v = slice(x=%m) {begin=[1,0], end=[3,2]} : fp32[2,2]
  return %y, %u, %v
}
