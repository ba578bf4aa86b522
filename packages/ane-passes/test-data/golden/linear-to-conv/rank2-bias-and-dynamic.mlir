// A rank-2 linear with a bias becomes a conv over (1, C, 1, S); a linear whose weight is an
// input stays (requireConstWeight).
func main(%x: fp32[5,3], %wi: fp32[2,3]) -> (%y, %z) {
  %w = const() {dtype="fp32", shape=[2,3], value=[1,2,3,4,5,6]} : fp32[2,3]
  %b = const() {dtype="fp32", shape=[2], value=[7,8]} : fp32[2]
  %y = linear(x=%x, weight=%w, bias=%b) : fp32[5,2]
  %z = linear(x=%x, weight=%wi) : fp32[5,2]
  return %y, %z
}
// ==== expected
func main(%x: fp32[5,3], %wi: fp32[2,3]) -> (%y, %z) {
  %b = const() {dtype="fp32", shape=[2], value=[7,8]} : fp32[2]
  %w.conv = const() {dtype="fp32", shape=[2,3,1,1], value=[1,2,3,4,5,6]} : fp32[2,3,1,1]
  %expand_dims = expand_dims(x=%x) {axes=[0,1]} : fp32[1,1,5,3]
  %transpose = transpose(x=%expand_dims) {perm=[0,3,1,2]} : fp32[1,3,1,5]
  %conv2d = conv2d(x=%transpose, weight=%w.conv, bias=%b) : fp32[1,2,1,5]
  %transpose_1 = transpose(x=%conv2d) {perm=[0,2,3,1]} : fp32[1,1,5,2]
  %y = squeeze(x=%transpose_1) {axes=[0,1]} : fp32[5,2]
  %z = linear(x=%x, weight=%wi) : fp32[5,2]
  return %y, %z
}
