// Attention head splits after assign-layout (tiny FastVLM shapes). Vision qkv and prefill q:
// transpose, reshape, transpose, reshape is one reshape. Prefill k and v: one transpose each.
func main(%qkv: fp32[1,192,1,16], %q: fp32[1,64,1,6], %k: fp32[1,32,1,6], %v: fp32[1,32,1,6]) -> (%qkvh, %qh, %kh, %vh) {
  %a = transpose(x=%qkv) {perm=[0,2,3,1]} : fp32[1,1,16,192]
  %b = reshape(x=%a) {shape=[16,12,16]} : fp32[16,12,16]
  %c = transpose(x=%b) {perm=[1,2,0]} : fp32[12,16,16]
  %d = reshape(x=%c) {shape=[12,16,1,16]} : fp32[12,16,1,16]
  %qkvh = relu(x=%d) : fp32[12,16,1,16]
  %e = transpose(x=%q) {perm=[0,2,3,1]} : fp32[1,1,6,64]
  %f = reshape(x=%e) {shape=[6,4,16]} : fp32[6,4,16]
  %g = transpose(x=%f) {perm=[1,2,0]} : fp32[4,16,6]
  %h = reshape(x=%g) {shape=[4,16,1,6]} : fp32[4,16,1,6]
  %qh = relu(x=%h) : fp32[4,16,1,6]
  %i = transpose(x=%k) {perm=[0,2,3,1]} : fp32[1,1,6,32]
  %j = reshape(x=%i) {shape=[6,2,16]} : fp32[6,2,16]
  %l = transpose(x=%j) {perm=[1,0,2]} : fp32[2,6,16]
  %m = reshape(x=%l) {shape=[2,6,1,16]} : fp32[2,6,1,16]
  %kh = relu(x=%m) : fp32[2,6,1,16]
  %n = transpose(x=%v) {perm=[0,2,3,1]} : fp32[1,1,6,32]
  %o = reshape(x=%n) {shape=[6,2,16]} : fp32[6,2,16]
  %p = transpose(x=%o) {perm=[1,0,2]} : fp32[2,6,16]
  %vh = pad(x=%p) {pad=[0,10,0,0]} : fp32[2,16,16]
  return %qkvh, %qh, %kh, %vh
}
// ==== expected
func main(%qkv: fp32[1,192,1,16], %q: fp32[1,64,1,6], %k: fp32[1,32,1,6], %v: fp32[1,32,1,6]) -> (%qkvh, %qh, %kh, %vh) {
  %d = reshape(x=%qkv) {shape=[12,16,1,16]} : fp32[12,16,1,16]
  %qkvh = relu(x=%d) : fp32[12,16,1,16]
  %h = reshape(x=%q) {shape=[4,16,1,6]} : fp32[4,16,1,6]
  %qh = relu(x=%h) : fp32[4,16,1,6]
  %m.pre = reshape(x=%k) {shape=[2,16,6,1]} : fp32[2,16,6,1]
  %m = transpose(x=%m.pre) {perm=[0,2,3,1]} : fp32[2,6,1,16]
  %kh = relu(x=%m) : fp32[2,6,1,16]
  %p.pre = reshape(x=%v) {shape=[2,16,6]} : fp32[2,16,6]
  %p = transpose(x=%p.pre) {perm=[0,2,1]} : fp32[2,6,16]
  %vh = pad(x=%p) {pad=[0,10,0,0]} : fp32[2,16,16]
  return %qkvh, %qh, %kh, %vh
}
