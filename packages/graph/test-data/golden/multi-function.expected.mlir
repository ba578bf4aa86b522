func encode(%pixels: fp32[4,n]) -> (%blk.0@out, %pixels) {
  %0, %1 = test_split(x=%pixels) {num_splits=2} : fp32[2,n], fp32[2,n]
  %sum = test_add(x=%0, y=%1) : fp32[2,n]
  %blk.0@out = test_concat(values=(%sum, %0, %1)) {axis=0} : fp32[6,n]
  return %blk.0@out, %pixels
}

func decode(%h: fp16[]) -> (%r) {
  %c = const() {dtype="fp16", shape=[3], value=[0.5,-1.25,2]} : fp16[3]
  %a = test_add(x=%h, y=%c) : fp16[3]
  %r = test_relu(x=%a) : fp16[3]
  return %r
}
