func main(%images: fp32[1,3,64,64]) -> (%y) {
  %x = cast(x=%images) {dtype="fp16"} : fp16[1,3,64,64]
  %stem.weight = const() {dtype="fp16", shape=[32,3,3,3], weight="stem.weight"} : fp16[32,3,3,3]
  %stem.conv2d = conv2d(x=%x, weight=%stem.weight) {strides=[2,2], pad_type="same"} : fp16[1,32,32,32]
  %stem.gelu = gelu(x=%stem.conv2d) : fp16[1,32,32,32]
  %block.0.dw.weight = const() {dtype="fp16", shape=[32,1,7,7], weight="block.0.dw.weight"} : fp16[32,1,7,7]
  %block.0.dw.conv2d = conv2d(x=%stem.gelu, weight=%block.0.dw.weight) {groups=32, pad_type="same"} : fp16[1,32,32,32]
  %block.0.fc1.weight = const() {dtype="fp16", shape=[128,32,1,1], weight="block.0.fc1.weight"} : fp16[128,32,1,1]
  %block.0.fc1.conv2d = conv2d(x=%block.0.dw.conv2d, weight=%block.0.fc1.weight) : fp16[1,128,32,32]
  %block.0.gelu = gelu(x=%block.0.fc1.conv2d) : fp16[1,128,32,32]
  %block.0.fc2.weight = const() {dtype="fp16", shape=[32,128,1,1], weight="block.0.fc2.weight"} : fp16[32,128,1,1]
  %block.0.fc2.conv2d = conv2d(x=%block.0.gelu, weight=%block.0.fc2.weight) : fp16[1,32,32,32]
  %block.0.add = add(x=%stem.gelu, y=%block.0.fc2.conv2d) : fp16[1,32,32,32]
  %y = cast(x=%block.0.add) {dtype="fp32"} : fp32[1,32,32,32]
  return %y
}
