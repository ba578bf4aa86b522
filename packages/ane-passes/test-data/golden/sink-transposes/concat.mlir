// A transpose sinks below concat when every input is transposed by the same perm (the axis is
// mapped back, negative axes included, and one input may appear twice); mixed perms stay.
func main(%a: fp32[2,3], %b: fp32[2,5], %c: fp32[2,2,2], %d: fp32[2,3]) -> (%y, %w, %u) {
  %t1 = transpose(x=%a) {perm=[1,0]} : fp32[3,2]
  %t2 = transpose(x=%b) {perm=[1,0]} : fp32[5,2]
  %y = concat(values=(%t1, %t2)) {axis=-2} : fp32[8,2]
  %t3 = transpose(x=%c) {perm=[1,0,2]} : fp32[2,2,2]
  %t4 = transpose(x=%c) {perm=[2,1,0]} : fp32[2,2,2]
  %w = concat(values=(%t3, %t4)) {axis=0} : fp32[4,2,2]
  %t5 = transpose(x=%d) {perm=[1,0]} : fp32[3,2]
  %u = concat(values=(%t5, %t5)) {axis=1} : fp32[3,4]
  return %y, %w, %u
}
// ==== expected
func main(%a: fp32[2,3], %b: fp32[2,5], %c: fp32[2,2,2], %d: fp32[2,3]) -> (%y, %w, %u) {
  %concat = concat(values=(%a, %b)) {axis=1} : fp32[2,8]
  %y = transpose(x=%concat) {perm=[1,0]} : fp32[8,2]
  %t3 = transpose(x=%c) {perm=[1,0,2]} : fp32[2,2,2]
  %t4 = transpose(x=%c) {perm=[2,1,0]} : fp32[2,2,2]
  %w = concat(values=(%t3, %t4)) {axis=0} : fp32[4,2,2]
  %concat_1 = concat(values=(%d, %d)) {axis=0} : fp32[4,3]
  %u = transpose(x=%concat_1) {perm=[1,0]} : fp32[3,4]
  return %y, %w, %u
}
