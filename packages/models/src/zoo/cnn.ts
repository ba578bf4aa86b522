/**
 * Standard CNNs in torchvision's layout and parameter names: ResNet50 (v1.5, stride in the 3x3),
 * MobileNetV2 (width 1.0) and MobileNetV3-small. BatchNorms stay `batch_norm` ops, as a
 * converter sees them before fusing.
 * @module
 */
import { type BuildCtx, type FloatT, batchNorm2d, conv, linear } from '../layers.js';
import { globalPool, hardSigmoid, hardSwish, imageInput, maxPoolNonNegative, relu6 } from './blocks.js';

/** torchvision's BatchNorm epsilon. */
const BN_EPS = 1e-5;

type Act = 'relu' | 'relu6' | 'hardswish' | 'none';

function act(c: BuildCtx, x: FloatT<4>, a: Act): FloatT<4> {
  switch (a) {
    case 'relu':
      return c.f.relu(x);
    case 'relu6':
      return relu6(c, x);
    case 'hardswish':
      return hardSwish(c, x);
    case 'none':
      return x;
  }
}

/** conv (no bias) named `conv`, BatchNorm named `bn`, activation. */
function convBn(c: BuildCtx, x: FloatT<4>, convName: string, bnName: string, out: number, kernel: number, stride: number, groups: number, a: Act): FloatT<4> {
  return act(c, batchNorm2d(c, conv(c, x, convName, { out, kernel, stride, groups, bias: false }), bnName, BN_EPS), a);
}

/** ResNet50: `images` -> `logits`. Blocks [3, 4, 6, 3] of bottlenecks with expansion 4. */
export function buildResNet50(c: BuildCtx, resolution: number, classes = 1000): void {
  let x = convBn(c, imageInput(c, resolution, resolution), 'conv1', 'bn1', 64, 7, 2, 1, 'relu');
  x = maxPoolNonNegative(c, x, 3, 2);
  const blocks = [3, 4, 6, 3];
  [64, 128, 256, 512].forEach((w, l) => {
    for (let b = 0; b < blocks[l]!; b++) {
      const p = `layer${l + 1}.${b}`;
      const stride = b === 0 && l > 0 ? 2 : 1;
      const input = x;
      let y = convBn(c, input, `${p}.conv1`, `${p}.bn1`, w, 1, 1, 1, 'relu');
      y = convBn(c, y, `${p}.conv2`, `${p}.bn2`, w, 3, stride, 1, 'relu');
      y = convBn(c, y, `${p}.conv3`, `${p}.bn3`, 4 * w, 1, 1, 1, 'none');
      const shortcut = b === 0 ? convBn(c, input, `${p}.downsample.0`, `${p}.downsample.1`, 4 * w, 1, stride, 1, 'none') : input;
      x = c.f.relu(c.f.add(y, shortcut).asRank(4));
    }
  });
  c.f.output({ logits: linear(c, globalPool(c, x), 'fc', classes, true) });
}

/** MobileNetV2 (1.0): `images` -> `logits`. Inverted residuals (expansion t, channels, repeats, stride). */
export function buildMobileNetV2(c: BuildCtx, resolution: number, classes = 1000): void {
  const settings: readonly (readonly [number, number, number, number])[] = [
    [1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1],
  ];
  let x = convBn(c, imageInput(c, resolution, resolution), 'features.0.0', 'features.0.1', 32, 3, 2, 1, 'relu6');
  let i = 1;
  for (const [t, ch, n, s] of settings) {
    for (let r = 0; r < n; r++, i++) {
      const p = `features.${i}.conv`;
      const cin = x.shape[1] as number;
      const hidden = cin * t;
      const stride = r === 0 ? s : 1;
      let y = x;
      let k = 0;
      if (t !== 1) y = convBn(c, y, `${p}.${k}.0`, `${p}.${k++}.1`, hidden, 1, 1, 1, 'relu6');
      y = convBn(c, y, `${p}.${k}.0`, `${p}.${k++}.1`, hidden, 3, stride, hidden, 'relu6');
      y = convBn(c, y, `${p}.${k}`, `${p}.${k + 1}`, ch, 1, 1, 1, 'none');
      x = stride === 1 && cin === ch ? c.f.add(x, y).asRank(4) : y;
    }
  }
  x = convBn(c, x, `features.${i}.0`, `features.${i}.1`, 1280, 1, 1, 1, 'relu6');
  c.f.output({ logits: linear(c, globalPool(c, x), 'classifier.1', classes, true) });
}

/** torchvision's `_make_divisible(v, 8)`. */
function divisible8(v: number): number {
  let n = Math.max(8, Math.floor((v + 4) / 8) * 8);
  if (n < 0.9 * v) n += 8;
  return n;
}

/** MobileNetV3's squeeze-excite: pool, `fc1` (ReLU), `fc2` (hard sigmoid), scale. */
function seV3(c: BuildCtx, x: FloatT<4>, name: string): FloatT<4> {
  const C = x.shape[1] as number;
  const pooled = c.f.reduceMean(x, { axes: [2, 3], keep_dims: true }).asRank(4);
  const s = hardSigmoid(c, conv(c, c.f.relu(conv(c, pooled, `${name}.fc1`, { out: divisible8(C / 4), kernel: 1 })), `${name}.fc2`, { out: C, kernel: 1 }));
  return c.f.mul(x, s).asRank(4);
}

/** MobileNetV3-small: `images` -> `logits`. Rows: kernel, expanded, out, squeeze-excite, activation, stride. */
export function buildMobileNetV3Small(c: BuildCtx, resolution: number, classes = 1000): void {
  const rows: readonly (readonly [number, number, number, boolean, Act, number])[] = [
    [3, 16, 16, true, 'relu', 2],
    [3, 72, 24, false, 'relu', 2],
    [3, 88, 24, false, 'relu', 1],
    [5, 96, 40, true, 'hardswish', 2],
    [5, 240, 40, true, 'hardswish', 1],
    [5, 240, 40, true, 'hardswish', 1],
    [5, 120, 48, true, 'hardswish', 1],
    [5, 144, 48, true, 'hardswish', 1],
    [5, 288, 96, true, 'hardswish', 2],
    [5, 576, 96, true, 'hardswish', 1],
    [5, 576, 96, true, 'hardswish', 1],
  ];
  let x = convBn(c, imageInput(c, resolution, resolution), 'features.0.0', 'features.0.1', 16, 3, 2, 1, 'hardswish');
  rows.forEach(([k, exp, out, se, a, s], r) => {
    const p = `features.${r + 1}.block`;
    const cin = x.shape[1] as number;
    let y = x;
    let m = 0;
    if (exp !== cin) y = convBn(c, y, `${p}.${m}.0`, `${p}.${m++}.1`, exp, 1, 1, 1, a);
    y = convBn(c, y, `${p}.${m}.0`, `${p}.${m++}.1`, exp, k, s, exp, a);
    if (se) y = seV3(c, y, `${p}.${m++}`);
    y = convBn(c, y, `${p}.${m}.0`, `${p}.${m}.1`, out, 1, 1, 1, 'none');
    x = s === 1 && cin === out ? c.f.add(x, y).asRank(4) : y;
  });
  x = convBn(c, x, 'features.12.0', 'features.12.1', 576, 1, 1, 1, 'hardswish');
  const h = hardSwish(c, linear(c, globalPool(c, x), 'classifier.0', 1024, true));
  c.f.output({ logits: linear(c, h, 'classifier.3', classes, true) });
}
