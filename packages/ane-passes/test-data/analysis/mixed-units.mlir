func decode(%input_id: int32[1,1], %position: int32[1]) -> (%logits) {
  %embed.weight = const() {dtype="fp16", shape=[256,64], weight="embed.weight"} : fp16[256,64]
  %embed.gather = gather(x=%embed.weight, indices=%input_id) : fp16[1,1,64]
  %slots = range() {start=0, end=64, step=1, dtype="int32"} : int32[64]
  %mask.less_equal = less_equal(x=%slots, y=%position) : bool[64]
  %mask.cast = cast(x=%mask.less_equal) {dtype="fp16"} : fp16[64]
  %h.reshape = reshape(x=%embed.gather) {shape=[1,64]} : fp16[1,64]
  %h.mul = mul(x=%h.reshape, y=%mask.cast) : fp16[1,64]
  %head.weight = const() {dtype="fp32", shape=[256,64], weight="head.weight"} : fp32[256,64]
  %head.cast = cast(x=%h.mul) {dtype="fp32"} : fp32[1,64]
  %logits = linear(x=%head.cast, weight=%head.weight) : fp32[1,256]
  return %logits
}
