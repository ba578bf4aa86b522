// options: {"target": "nhwc"}
// conv2d needs NCHW: the long elementwise region after the first conv runs channels-last
// between two conversions; the single relu after the second conv is not worth converting.
func main(%x: fp32[1,2,3,3]) -> (%y, %z) {
  %w = const() {dtype="fp32", shape=[2,2,1,1], value=[1,2,3,4]} : fp32[2,2,1,1]
  %c = conv2d(x=%x, weight=%w) : fp32[1,2,3,3]
  %a = sigmoid(x=%c) : fp32[1,2,3,3]
  %b = mul(x=%a, y=%c) : fp32[1,2,3,3]
  %d = softmax(x=%b) {axis=1} : fp32[1,2,3,3]
  %y = reduce_mean(x=%d) {axes=[2,3], keep_dims=true} : fp32[1,2,1,1]
  %c2 = conv2d(x=%x, weight=%w) {pad_type="same"} : fp32[1,2,3,3]
  %z = relu(x=%c2) : fp32[1,2,3,3]
  return %y, %z
}
// ==== expected
func main(%x: fp32[1,2,3,3]) -> (%y, %z) {
  %w = const() {dtype="fp32", shape=[2,2,1,1], value=[1,2,3,4]} : fp32[2,2,1,1]
  %c = conv2d(x=%x, weight=%w) : fp32[1,2,3,3]
  %c.layout = transpose(x=%c) {perm=[0,2,3,1]} : fp32[1,3,3,2]
  %a = sigmoid(x=%c.layout) : fp32[1,3,3,2]
  %b = mul(x=%a, y=%c.layout) : fp32[1,3,3,2]
  %d = softmax(x=%b) {axis=3} : fp32[1,3,3,2]
  %y.layout = reduce_mean(x=%d) {axes=[1,2], keep_dims=true} : fp32[1,1,1,2]
  %c2 = conv2d(x=%x, weight=%w) {pad_type="same"} : fp32[1,2,3,3]
  %z = relu(x=%c2) : fp32[1,2,3,3]
  %y = reshape(x=%y.layout) {shape=[1,2,1,1]} : fp32[1,2,1,1]
  return %y, %z
}
