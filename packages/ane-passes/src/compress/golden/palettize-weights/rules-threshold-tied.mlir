// Default threshold (2048 elements stay dense), per-weight rules (6 bits for the LM head,
// skip the embedding, a candidate here since opTypes adds gather), and two consts of one
// weight sharing the table and indices entries.
// options: {"opTypes": ["linear", "gather"], "rules": ["name:lm_head* nbits=6 granularity=per_grouped_channel groupSize=16", "name:*embed* skip"]}
func main(%x: fp16[1,64], %ids: int32[1,4]) -> (%y, %e, %small) {
  %w1 = const() {dtype="fp16", shape=[64,64], weight="mlp.up"} : fp16[64,64]
  %h1 = linear(x=%x, weight=%w1) : fp16[1,64]
  %w2 = const() {dtype="fp16", shape=[64,64], weight="mlp.up"} : fp16[64,64]
  %h2 = linear(x=%h1, weight=%w2) : fp16[1,64]
  %head = const() {dtype="fp16", shape=[128,64], weight="lm_head.weight"} : fp16[128,64]
  %y = linear(x=%h2, weight=%head) : fp16[1,128]
  %emb = const() {dtype="fp16", shape=[128,64], weight="embed_tokens"} : fp16[128,64]
  %e = gather(x=%emb, indices=%ids) : fp16[1,4,64]
  %s = const() {dtype="fp16", shape=[32,64], weight="small"} : fp16[32,64]
  %small = linear(x=%x, weight=%s) : fp16[1,32]
  return %y, %e, %small
}
// ==== expected
func main(%x: fp16[1,64], %ids: int32[1,4]) -> (%y, %e, %small) {
  %w1.lut = const() {dtype="fp16", shape=[1,1,16,1], weight="mlp.up.lut"} : fp16[1,1,16,1]
  %w1.indices = const() {dtype="uint4", shape=[64,64], weight="mlp.up.indices"} : uint4[64,64]
  %w1 = lut_dequantize(lut=%w1.lut, indices=%w1.indices) : fp16[64,64]
  %h1 = linear(x=%x, weight=%w1) : fp16[1,64]
  %w2.lut = const() {dtype="fp16", shape=[1,1,16,1], weight="mlp.up.lut"} : fp16[1,1,16,1]
  %w2.indices = const() {dtype="uint4", shape=[64,64], weight="mlp.up.indices"} : uint4[64,64]
  %w2 = lut_dequantize(lut=%w2.lut, indices=%w2.indices) : fp16[64,64]
  %h2 = linear(x=%h1, weight=%w2) : fp16[1,64]
  %head.lut = const() {dtype="fp16", shape=[8,1,64,1], weight="lm_head.weight.lut"} : fp16[8,1,64,1]
  %head.indices = const() {dtype="uint6", shape=[128,64], weight="lm_head.weight.indices"} : uint6[128,64]
  %head = lut_dequantize(lut=%head.lut, indices=%head.indices) : fp16[128,64]
  %y = linear(x=%h2, weight=%head) : fp16[1,128]
  %emb = const() {dtype="fp16", shape=[128,64], weight="embed_tokens"} : fp16[128,64]
  %e = gather(x=%emb, indices=%ids) : fp16[1,4,64]
  %s = const() {dtype="fp16", shape=[32,64], weight="small"} : fp16[32,64]
  %small = linear(x=%x, weight=%s) : fp16[1,32]
  return %y, %e, %small
}
