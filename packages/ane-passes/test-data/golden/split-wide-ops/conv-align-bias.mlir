// options: {"maxChannels": 4, "align": 2}
// 7 output channels with at most 4 per chunk, multiples of 2: chunks of 4 and 3; a grouped
// conv is left whole.
func main(%x: fp32[1,1,2,2]) -> (%y, %g) {
  %w = const() {dtype="fp32", shape=[7,1,1,1], value=[1,2,3,4,5,6,7]} : fp32[7,1,1,1]
  %b = const() {dtype="fp32", shape=[7], value=[0,1,0,1,0,1,0]} : fp32[7]
  %y = conv2d(x=%x, weight=%w, bias=%b) : fp32[1,7,2,2]
  %x6 = concat(values=(%x, %x, %x, %x, %x, %x)) {axis=1} : fp32[1,6,2,2]
  %wg = const() {dtype="fp32", shape=[6,1,1,1], value=[1,1,1,1,1,1]} : fp32[6,1,1,1]
  %g = conv2d(x=%x6, weight=%wg) {groups=6} : fp32[1,6,2,2]
  return %y, %g
}
// ==== expected
func main(%x: fp32[1,1,2,2]) -> (%y, %g) {
  %w.part0 = const() {dtype="fp32", shape=[4,1,1,1], value=[1,2,3,4]} : fp32[4,1,1,1]
  %b.part0 = const() {dtype="fp32", shape=[4], value=[0,1,0,1]} : fp32[4]
  %y_part0 = conv2d(x=%x, weight=%w.part0, bias=%b.part0) : fp32[1,4,2,2]
  %w.part1 = const() {dtype="fp32", shape=[3,1,1,1], value=[5,6,7]} : fp32[3,1,1,1]
  %b.part1 = const() {dtype="fp32", shape=[3], value=[0,1,0]} : fp32[3]
  %y_part1 = conv2d(x=%x, weight=%w.part1, bias=%b.part1) : fp32[1,3,2,2]
  %y = concat(values=(%y_part0, %y_part1)) {axis=1} : fp32[1,7,2,2]
  %x6 = concat(values=(%x, %x, %x, %x, %x, %x)) {axis=1} : fp32[1,6,2,2]
  %wg = const() {dtype="fp32", shape=[6,1,1,1], value=[1,1,1,1,1,1]} : fp32[6,1,1,1]
  %g = conv2d(x=%x6, weight=%wg) {groups=6} : fp32[1,6,2,2]
  return %y, %g
}
