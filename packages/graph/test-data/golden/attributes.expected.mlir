func main(%x: fp32[2,seq], %g: fp32[2,seq]) -> (%y, %z) {
  %s = test_scale(x=%x) {factor=1.5} : fp32[2,seq]
  %t = test_scale(x=%s) {factor=2, bias=-inf} : fp32[2,seq]
  %u = test_scale(x=%t) {factor=nan, bias=-0} : fp32[2,seq]
  %v = test_scale(x=%u) {factor=0.001, bias=123456789012} : fp32[2,seq]
  %y = test_attrs(x=%v, gate=%g) {i=-3, b=true, s="same", free="tab\there \"quoted\" é", dt="fp16", fs=[0.1,1e+21,inf,-inf,nan], ss=["a","b c"], ds=[1,seq,4]} : fp32[2,seq]
  %z = test_attrs(x=%y) {fs=[]} : fp32[2,seq]
  return %y, %z
}
