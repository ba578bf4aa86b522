// Registered ops (not fixtures): a conv stem with a weight from the store, split, concat,
// softmax, reshape and matmul. Defaults written out are dropped on printing.
func main(%x: fp32[1,3,224,224]) -> (%y, %z) {
  %w = const() {dtype="fp32", shape=[64,3,3,3], weight="vision.stem.weight"} : fp32[64,3,3,3]
  %y = conv2d(weight=%w, x=%x) {strides=[2,2], pad_type="same", groups=1} : fp32[1,64,112,112]
  %a, %b = split(x=%y) {axis=1, num_splits=2} : fp32[1,32,112,112], fp32[1,32,112,112]
  %c = concat(values=(%b, %a)) {axis=1} : fp32[1,64,112,112]
  %f = reshape(x=%c) {shape=[64,12544]} : fp32[64,12544]
  %p = softmax(x=%f) {axis=-1} : fp32[64,12544]
  %q = const() {dtype="fp32", shape=[12544,1], weight="head.weight"} : fp32[12544,1]
  %z = matmul(x=%p, y=%q) {transpose_x=false} : fp32[64,1]
  return %y, %z
}
