// What the key compares: inputs and attributes by name whatever their written order (%s2 is
// %s1, %a2 is %a); array values element by element ([1,23] is not [12,3]); 0 and -0 apart
// (1/x tells them apart); a list input in its order (%c2 is not %c1, %c3 is).
func main(%x: fp32[2]) -> (%k, %m) {
  %a = const() {dtype="fp32", shape=[2], value=[1,23]} : fp32[2]
  %b = const() {dtype="fp32", shape=[2], value=[12,3]} : fp32[2]
  %a2 = const() {shape=[2], value=[1,23], dtype="fp32"} : fp32[2]
  %z = const() {dtype="fp32", shape=[], value=[0]} : fp32[]
  %n = const() {dtype="fp32", shape=[], value=[-0]} : fp32[]
  %s1 = sub(x=%a, y=%b) : fp32[2]
  %s2 = sub(y=%b, x=%a2) : fp32[2]
  %u = mul(x=%x, y=%z) : fp32[2]
  %v = mul(x=%x, y=%n) : fp32[2]
  %c1 = concat(values=(%s1, %x)) {axis=0} : fp32[4]
  %c2 = concat(values=(%x, %s2)) {axis=0} : fp32[4]
  %c3 = concat(values=(%s2, %x)) {axis=0} : fp32[4]
  %k = concat(values=(%c1, %c2, %c3)) {axis=0} : fp32[12]
  %m = add(x=%u, y=%v) : fp32[2]
  return %k, %m
}
// ==== expected
func main(%x: fp32[2]) -> (%k, %m) {
  %a = const() {dtype="fp32", shape=[2], value=[1,23]} : fp32[2]
  %b = const() {dtype="fp32", shape=[2], value=[12,3]} : fp32[2]
  %z = const() {dtype="fp32", shape=[], value=[0]} : fp32[]
  %n = const() {dtype="fp32", shape=[], value=[-0]} : fp32[]
  %s1 = sub(x=%a, y=%b) : fp32[2]
  %u = mul(x=%x, y=%z) : fp32[2]
  %v = mul(x=%x, y=%n) : fp32[2]
  %c1 = concat(values=(%s1, %x)) {axis=0} : fp32[4]
  %c2 = concat(values=(%x, %s1)) {axis=0} : fp32[4]
  %k = concat(values=(%c1, %c2, %c1)) {axis=0} : fp32[12]
  %m = add(x=%u, y=%v) : fp32[2]
  return %k, %m
}
