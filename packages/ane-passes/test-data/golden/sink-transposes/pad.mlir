// A transpose sinks below pad: the pad amounts move to the axes they pad before the transpose
// (leading unpadded axes left out); mode and fill value are kept.
func main(%x: fp32[2,3,4], %z: fp32[2,3]) -> (%y, %u) {
  %t = transpose(x=%x) {perm=[2,0,1]} : fp32[4,2,3]
  %y = pad(x=%t) {pad=[1,0,2,1], mode="reflect"} : fp32[4,3,6]
  %t2 = transpose(x=%z) {perm=[1,0]} : fp32[3,2]
  %u = pad(x=%t2) {pad=[0,3], constant_val=1.5} : fp32[3,5]
  return %y, %u
}
// ==== expected
func main(%x: fp32[2,3,4], %z: fp32[2,3]) -> (%y, %u) {
  %pad = pad(x=%x) {pad=[1,0,2,1,0,0], mode="reflect"} : fp32[3,6,4]
  %y = transpose(x=%pad) {perm=[2,0,1]} : fp32[4,3,6]
  %pad_1 = pad(x=%z) {pad=[0,3,0,0], constant_val=1.5} : fp32[5,3]
  %u = transpose(x=%pad_1) {perm=[1,0]} : fp32[3,5]
  return %y, %u
}
