// Inverse pairs vanish; other pairs merge into one transpose; a shared inner transpose stays.
func main(%x: fp32[2,3,4]) -> (%y, %z, %w) {
  %a = transpose(x=%x) {perm=[2,0,1]} : fp32[4,2,3]
  %b = transpose(x=%a) {perm=[1,2,0]} : fp32[2,3,4]
  %y = relu(x=%b) : fp32[2,3,4]
  %c = transpose(x=%x) {perm=[1,0,2]} : fp32[3,2,4]
  %z = transpose(x=%c) {perm=[0,2,1]} : fp32[3,4,2]
  %w = exp(x=%c) : fp32[3,2,4]
  return %y, %z, %w
}
// ==== expected
func main(%x: fp32[2,3,4]) -> (%y, %z, %w) {
  %y = relu(x=%x) : fp32[2,3,4]
  %c = transpose(x=%x) {perm=[1,0,2]} : fp32[3,2,4]
  %z = transpose(x=%x) {perm=[1,2,0]} : fp32[3,4,2]
  %w = exp(x=%c) : fp32[3,2,4]
  return %y, %z, %w
}
