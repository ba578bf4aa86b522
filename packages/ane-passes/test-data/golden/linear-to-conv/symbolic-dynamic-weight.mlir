// options: {"requireConstWeight": false}
// A symbolic batch is kept; a non-constant weight gets an expand_dims; a symbolic sequence
// length stays a linear (conv2d needs static spatial sizes).
func main(%x: fp32[b,4,3], %wi: fp32[2,3], %s: fp32[1,n,3]) -> (%y, %z) {
  %y = linear(x=%x, weight=%wi) : fp32[b,4,2]
  %z = linear(x=%s, weight=%wi) : fp32[1,n,2]
  return %y, %z
}
// ==== expected
func main(%x: fp32[b,4,3], %wi: fp32[2,3], %s: fp32[1,n,3]) -> (%y, %z) {
  %wi_conv = expand_dims(x=%wi) {axes=[2,3]} : fp32[2,3,1,1]
  %expand_dims = expand_dims(x=%x) {axes=[1]} : fp32[b,1,4,3]
  %transpose = transpose(x=%expand_dims) {perm=[0,3,1,2]} : fp32[b,3,1,4]
  %conv2d = conv2d(x=%transpose, weight=%wi_conv) : fp32[b,2,1,4]
  %transpose_1 = transpose(x=%conv2d) {perm=[0,2,3,1]} : fp32[b,1,4,2]
  %y = squeeze(x=%transpose_1) {axes=[1]} : fp32[b,4,2]
  %z = linear(x=%s, weight=%wi) : fp32[1,n,2]
  return %y, %z
}
