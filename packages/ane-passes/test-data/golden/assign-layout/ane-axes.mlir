// Axis ops are remapped in the ANE layout: softmax and layer_norm over channels become axis 1,
// a keep_dims reduction, a slice and a concat with a constant follow the layout.
func main(%x: fp32[1,3,4]) -> (%y, %r) {
  %a = softmax(x=%x) : fp32[1,3,4]
  %g = const() {dtype="fp32", shape=[4], value=[1,2,3,4]} : fp32[4]
  %b = layer_norm(x=%a, gamma=%g) {axes=[2]} : fp32[1,3,4]
  %m = reduce_max(x=%b) {axes=[-1], keep_dims=true} : fp32[1,3,1]
  %s = sub(x=%b, y=%m) : fp32[1,3,4]
  %h = slice(x=%s) {begin=[0,1,0], end=[1,3,4]} : fp32[1,2,4]
  %k = const() {dtype="fp32", shape=[1,1,4], value=[9,8,7,6]} : fp32[1,1,4]
  %y = concat(values=(%h, %k)) {axis=1} : fp32[1,3,4]
  %r = reduce_sum(x=%s) {axes=[2]} : fp32[1,3]
  return %y, %r
}
// ==== expected
func main(%x: fp32[1,3,4]) -> (%y, %r) {
  %k.layout = const() {dtype="fp32", shape=[1,4,1,1], value=[9,8,7,6]} : fp32[1,4,1,1]
  %x.layout = transpose(x=%x) {perm=[0,2,1]} : fp32[1,4,3]
  %x.layout_1 = reshape(x=%x.layout) {shape=[1,4,1,3]} : fp32[1,4,1,3]
  %a = softmax(x=%x.layout_1) {axis=1} : fp32[1,4,1,3]
  %g = const() {dtype="fp32", shape=[4], value=[1,2,3,4]} : fp32[4]
  %b = layer_norm(x=%a, gamma=%g) {axes=[1]} : fp32[1,4,1,3]
  %m = reduce_max(x=%b) {axes=[1], keep_dims=true} : fp32[1,1,1,3]
  %s = sub(x=%b, y=%m) : fp32[1,4,1,3]
  %h = slice(x=%s) {begin=[0,0,0,1], end=[1,4,2147483647,3]} : fp32[1,4,1,2]
  %y.layout_9 = concat(values=(%h, %k.layout)) {axis=3} : fp32[1,4,1,3]
  %r.layout = reduce_sum(x=%s) {axes=[1]} : fp32[1,1,3]
  %y.layout = reshape(x=%y.layout_9) {shape=[1,4,3]} : fp32[1,4,3]
  %y = transpose(x=%y.layout) {perm=[0,2,1]} : fp32[1,3,4]
  %r = reshape(x=%r.layout) {shape=[1,3]} : fp32[1,3]
  return %y, %r
}
