// Attribute and literal forms: defaults given explicitly are dropped by the printer, numbers
// are normalized to their shortest form, inputs and attributes are put in definition order.
func main(%x: fp32[2,seq], %g: fp32[2,seq]) -> (%y, %z) {
  %s = test_scale(x=%x) {bias=0, factor=1.50} : fp32[2,seq]       // bias=0 is the default
  %t = test_scale(x=%s) {factor=2.0e0, bias=-inf} : fp32[2,seq]
  %u = test_scale(x=%t) {factor=nan, bias=-0} : fp32[2,seq]
  %v = test_scale(x=%u) {factor=1e-3, bias=123456789012} : fp32[2,seq]
  %y = test_attrs(gate=%g, x=%v) {
    i=-3, f=0.5, b=true, s="same",
    free="tab\there \"quoted\" \u00e9",
    dt="fp16", is=[1,1], fs=[0.1, 1e21, inf, -inf, nan],
    ss=["a", "b c"], ds=[1, seq, 4]
  } : fp32[2,seq]
  %z = test_attrs(x=%y) {i=0, ss=[], fs=[]} : fp32[2,seq]
  return %y, %z
}
