// options: {"maxChannels": 6, "parts": 3}
// A vocabulary of 8 split into at least 3 parts (3, 3, 2) joined on the last axis.
func main(%x: fp32[1,2,2]) -> (%logits) {
  %w = const() {dtype="fp32", shape=[8,2], value=[1,0,0,1,1,1,2,0,0,2,2,2,3,0,0,3]} : fp32[8,2]
  %logits = linear(x=%x, weight=%w) : fp32[1,2,8]
  return %logits
}
// ==== expected
func main(%x: fp32[1,2,2]) -> (%logits) {
  %w.part0 = const() {dtype="fp32", shape=[3,2], value=[1,0,0,1,1,1]} : fp32[3,2]
  %logits_part0 = linear(x=%x, weight=%w.part0) : fp32[1,2,3]
  %w.part1 = const() {dtype="fp32", shape=[3,2], value=[2,0,0,2,2,2]} : fp32[3,2]
  %logits_part1 = linear(x=%x, weight=%w.part1) : fp32[1,2,3]
  %w.part2 = const() {dtype="fp32", shape=[2,2], value=[3,0,0,3]} : fp32[2,2]
  %logits_part2 = linear(x=%x, weight=%w.part2) : fp32[1,2,2]
  %logits = concat(values=(%logits_part0, %logits_part1, %logits_part2)) {axis=2} : fp32[1,2,8]
  return %logits
}
