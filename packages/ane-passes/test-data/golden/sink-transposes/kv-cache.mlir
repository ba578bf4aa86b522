// The value cache of a two-layer prefill: per layer, the head split (B, C, 1, S) ->
// [heads, head dim, S] is transposed to [heads, S, head dim], padded to the context length and
// stacked over layers. The transposes sink through pad, expand_dims and concat and merge into
// one at the output.
func main(%v0: fp32[1,4,1,3], %v1: fp32[1,4,1,3]) -> (%y) {
  %r0 = reshape(x=%v0) {shape=[2,2,3]} : fp32[2,2,3]
  %t0 = transpose(x=%r0) {perm=[0,2,1]} : fp32[2,3,2]
  %p0 = pad(x=%t0) {pad=[0,2,0,0]} : fp32[2,5,2]
  %e0 = expand_dims(x=%p0) {axes=[0]} : fp32[1,2,5,2]
  %r1 = reshape(x=%v1) {shape=[2,2,3]} : fp32[2,2,3]
  %t1 = transpose(x=%r1) {perm=[0,2,1]} : fp32[2,3,2]
  %p1 = pad(x=%t1) {pad=[0,2,0,0]} : fp32[2,5,2]
  %e1 = expand_dims(x=%p1) {axes=[0]} : fp32[1,2,5,2]
  %y = concat(values=(%e0, %e1)) {axis=0} : fp32[2,2,5,2]
  return %y
}
// ==== expected
func main(%v0: fp32[1,4,1,3], %v1: fp32[1,4,1,3]) -> (%y) {
  %r0 = reshape(x=%v0) {shape=[2,2,3]} : fp32[2,2,3]
  %pad = pad(x=%r0) {pad=[0,2]} : fp32[2,2,5]
  %expand_dims = expand_dims(x=%pad) {axes=[0]} : fp32[1,2,2,5]
  %r1 = reshape(x=%v1) {shape=[2,2,3]} : fp32[2,2,3]
  %pad_2 = pad(x=%r1) {pad=[0,2]} : fp32[2,2,5]
  %expand_dims_4 = expand_dims(x=%pad_2) {axes=[0]} : fp32[1,2,2,5]
  %concat = concat(values=(%expand_dims, %expand_dims_4)) {axis=0} : fp32[2,2,2,5]
  %y = transpose(x=%concat) {perm=[0,1,3,2]} : fp32[2,2,5,2]
  return %y
}
