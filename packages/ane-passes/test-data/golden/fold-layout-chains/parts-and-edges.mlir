// A chain that does not fold as a whole folds in part; a transpose moving only unit axes is a
// reshape; squeeze and expand_dims are reshapes; a chain back to a function input returned as
// an output keeps one reshape; a chain whose middle reshape cuts a factor unevenly folds through
// its explicit index map.
func main(%x: fp32[2,3], %u: fp32[1,6,1], %w: fp32[1,64,1,6], %e: fp32[6,4]) -> (%a3, %b1, %w, %wo, %e3) {
  %a = transpose(x=%x) {perm=[1,0]} : fp32[3,2]
  %a1 = transpose(x=%a) {perm=[1,0]} : fp32[2,3]
  %a1r = reshape(x=%a1) {shape=[3,2]} : fp32[3,2]
  %a2 = transpose(x=%a1r) {perm=[1,0]} : fp32[2,3]
  %a2r = reshape(x=%a2) {shape=[3,2]} : fp32[3,2]
  %a2t = transpose(x=%a2r) {perm=[1,0]} : fp32[2,3]
  %a3 = relu(x=%a2t) : fp32[2,3]
  %b = transpose(x=%u) {perm=[2,1,0]} : fp32[1,6,1]
  %b0 = squeeze(x=%b) {axes=[0]} : fp32[6,1]
  %b1 = exp(x=%b0) : fp32[6,1]
  %ws = transpose(x=%w) {perm=[0,2,3,1]} : fp32[1,1,6,64]
  %ws1 = reshape(x=%ws) {shape=[6,4,16]} : fp32[6,4,16]
  %ws2 = transpose(x=%ws1) {perm=[1,2,0]} : fp32[4,16,6]
  %ws3 = expand_dims(x=%ws2) {axes=[0]} : fp32[1,4,16,6]
  %wo = reshape(x=%ws3) {shape=[1,64,1,6]} : fp32[1,64,1,6]
  %e1 = transpose(x=%e) {perm=[1,0]} : fp32[4,6]
  %e2 = reshape(x=%e1) {shape=[2,3,2,2]} : fp32[2,3,2,2]
  %e2t = transpose(x=%e2) {perm=[3,1,2,0]} : fp32[2,3,2,2]
  %e3 = relu(x=%e2t) : fp32[2,3,2,2]
  return %a3, %b1, %w, %wo, %e3
}
// ==== expected
func main(%x: fp32[2,3], %u: fp32[1,6,1], %w: fp32[1,64,1,6], %e: fp32[6,4]) -> (%a3, %b1, %w, %wo, %e3) {
  %a2r.pre = reshape(x=%x) {shape=[3,2]} : fp32[3,2]
  %a2r.t = transpose(x=%a2r.pre) {perm=[1,0]} : fp32[2,3]
  %a2r = reshape(x=%a2r.t) {shape=[3,2]} : fp32[3,2]
  %a2t = transpose(x=%a2r) {perm=[1,0]} : fp32[2,3]
  %a3 = relu(x=%a2t) : fp32[2,3]
  %b0 = reshape(x=%u) {shape=[6,1]} : fp32[6,1]
  %b1 = exp(x=%b0) : fp32[6,1]
  %wo = reshape(x=%w) {shape=[1,64,1,6]} : fp32[1,64,1,6]
  %e2t.pre = reshape(x=%e) {shape=[3,2,2,2]} : fp32[3,2,2,2]
  %e2t.t = transpose(x=%e2t.pre) {perm=[1,3,0,2]} : fp32[2,2,3,2]
  %e2t = reshape(x=%e2t.t) {shape=[2,3,2,2]} : fp32[2,3,2,2]
  %e3 = relu(x=%e2t) : fp32[2,3,2,2]
  return %a3, %b1, %w, %wo, %e3
}
