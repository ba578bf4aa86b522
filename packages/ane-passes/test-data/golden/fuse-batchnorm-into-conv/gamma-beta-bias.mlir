// A batch norm with gamma and beta after a depthwise conv with a bias.
func main(%x: fp32[1,2,3,3]) -> (%y) {
  %w = const() {dtype="fp32", shape=[2,1,1,1], value=[2,3]} : fp32[2,1,1,1]
  %b = const() {dtype="fp32", shape=[2], value=[1,1]} : fp32[2]
  %c = conv2d(x=%x, weight=%w, bias=%b) {groups=2} : fp32[1,2,3,3]
  %mean = const() {dtype="fp32", shape=[2], value=[1,3]} : fp32[2]
  %var = const() {dtype="fp32", shape=[2], value=[3,15]} : fp32[2]
  %gamma = const() {dtype="fp32", shape=[2], value=[4,8]} : fp32[2]
  %beta = const() {dtype="fp32", shape=[2], value=[0.5,-1]} : fp32[2]
  %y = batch_norm(x=%c, mean=%mean, variance=%var, gamma=%gamma, beta=%beta) {epsilon=1} : fp32[1,2,3,3]
  return %y
}
// ==== expected
func main(%x: fp32[1,2,3,3]) -> (%y) {
  %w.bn = const() {dtype="fp32", shape=[2,1,1,1], value=[4,6]} : fp32[2,1,1,1]
  %c.bn_bias = const() {dtype="fp32", shape=[2], value=[0.5,-5]} : fp32[2]
  %y = conv2d(x=%x, weight=%w.bn, bias=%c.bn_bias) {groups=2} : fp32[1,2,3,3]
  return %y
}
