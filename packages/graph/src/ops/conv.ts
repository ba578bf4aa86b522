/**
 * Convolution and pooling over NCHW tensors: `conv2d` (strides, dilations, groups, Core ML's
 * pad types) and `avg_pool`.
 * @module
 */
import { FLOATS } from '../dtype.js';
import { graphError } from '../errors.js';
import type { Attrs, TensorType } from '../ir/types.js';
import { type Dim, formatShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { allocOutput } from './kernels/alloc-output.js';
import type { OpDef } from './def.js';
import { type AxisWindow, type PadType, resolveAxisWindow } from './kernels/conv-padding.js';
import { gemmStrided } from './kernels/strided-gemm.js';
import { attrBool, attrInt, attrInts, attrStr, expectRank, expectStatic, inTensor, inType, optTensor, optType } from './util.js';

/** Checks an ints attribute has `len` entries, each >= `min`. */
function intsAttr(attrs: Attrs, name: string, len: number, min: number): readonly number[] {
  const v = attrInts(attrs, name);
  if (v.length !== len || v.some((d) => d < min)) {
    throw graphError('E_ATTR', `attribute '${name}' must be ${len} integers >= ${min}, got [${v.join(', ')}]`);
  }
  return v;
}

/** Spatial windows (H then W) of a conv or pool over a static input. */
interface Windows {
  readonly h: AxisWindow;
  readonly w: AxisWindow;
}

function windows(op: string, attrs: Attrs, size: readonly [number, number], kernel: readonly [number, number], dil: readonly [number, number], ceilMode = false): Windows {
  const strides = intsAttr(attrs, 'strides', 2, 1);
  const padType = attrStr(attrs, 'pad_type') as PadType;
  const pad = intsAttr(attrs, 'pad', 4, 0);
  const ek = (i: 0 | 1): number => (kernel[i] - 1) * dil[i] + 1;
  return {
    h: resolveAxisWindow(`${op} height`, padType, size[0], ek(0), strides[0]!, [pad[0]!, pad[1]!], ceilMode),
    w: resolveAxisWindow(`${op} width`, padType, size[1], ek(1), strides[1]!, [pad[2]!, pad[3]!], ceilMode),
  };
}

interface ConvGeometry {
  readonly n: Dim;
  readonly cIn: number;
  readonly cOut: number;
  readonly groups: number;
  readonly win: Windows;
  readonly kh: number;
  readonly kw: number;
  readonly h: number;
  readonly w: number;
}

function convGeometry(x: TensorType, weight: TensorType, bias: TensorType | undefined, attrs: Attrs): ConvGeometry {
  expectRank(x, 'x', 4);
  expectRank(weight, 'weight', 4);
  if (x.dtype !== weight.dtype) throw graphError('E_DTYPE_MISMATCH', `conv2d: x is ${x.dtype} but weight is ${weight.dtype}`);
  const spatial = x.shape.slice(1);
  expectStatic(spatial, 'x (channels, height and width)');
  expectStatic(weight.shape, 'weight');
  const [cIn, h, w] = spatial as [number, number, number];
  const [cOut, cInG, kh, kw] = weight.shape as unknown as [number, number, number, number];
  const groups = attrInt(attrs, 'groups');
  if (groups < 1) throw graphError('E_ATTR', `attribute 'groups' must be >= 1, got ${groups}`);
  if (cIn % groups !== 0 || cOut % groups !== 0) {
    throw graphError('E_SHAPE_MISMATCH', `conv2d: groups = ${groups} must divide both C_in = ${cIn} (x ${formatShape(x.shape)}) and C_out = ${cOut} (weight ${formatShape(weight.shape)})`);
  }
  if (cInG !== cIn / groups) {
    throw graphError('E_SHAPE_MISMATCH', `conv2d: weight ${formatShape(weight.shape)} has ${cInG} input channels per group; expected C_in / groups = ${cIn} / ${groups} = ${cIn / groups}`);
  }
  if (kh < 1 || kw < 1) throw graphError('E_SHAPE_MISMATCH', `conv2d: weight ${formatShape(weight.shape)} has an empty kernel`);
  if (bias !== undefined) {
    expectRank(bias, 'bias', 1);
    if (bias.dtype !== x.dtype) throw graphError('E_DTYPE_MISMATCH', `conv2d: x is ${x.dtype} but bias is ${bias.dtype}`);
    if (bias.shape[0] !== cOut) throw graphError('E_SHAPE_MISMATCH', `conv2d: bias ${formatShape(bias.shape)} must have C_out = ${cOut} elements`);
  }
  const dil = intsAttr(attrs, 'dilations', 2, 1);
  const win = windows('conv2d', attrs, [h, w], [kh, kw], [dil[0]!, dil[1]!]);
  return { n: x.shape[0]!, cIn, cOut, groups, win, kh, kw, h, w };
}

/**
 * Direct convolution. For every (output channel, input channel, kernel tap) the valid output
 * columns are computed once, so the inner loop is a branch-free strided multiply-add over one
 * output row; sums accumulate in double precision per output plane. Unpadded stride-1 1x1
 * convolutions take a GEMM path instead.
 */
function conv2dKernel(x: Tensor, weight: Tensor, bias: Tensor | undefined, attrs: Attrs): Tensor {
  const g = convGeometry(x, weight, bias, attrs);
  const n = x.shape[0]!;
  const [sh, sw] = attrInts(attrs, 'strides') as [number, number];
  const [dh, dw] = attrInts(attrs, 'dilations') as [number, number];
  const { h, w, kh, kw, cIn, cOut, groups } = g;
  const ho = g.win.h.out, wo = g.win.w.out;
  const pt = g.win.h.before, pl = g.win.w.before;
  const cInG = cIn / groups, cOutG = cOut / groups;
  const plane = ho * wo;
  const out = allocOutput('conv2d', x.dtype, n * cOut * plane);
  const xd = x.data, wd = weight.data;
  if (kh === 1 && kw === 1 && sh === 1 && sw === 1 && g.win.h.before + g.win.h.after + g.win.w.before + g.win.w.after === 0) {
    // Pointwise conv (the bulk of FastViT's FLOPs): per batch and group a plain GEMM
    // weight[C_out/g, C_in/g] x x[C_in/g, H*W].
    const scratch = new Float64Array(plane);
    for (let b = 0; b < n; b++) {
      for (let grp = 0; grp < groups; grp++) {
        const outOff = (b * cOut + grp * cOutG) * plane;
        gemmStrided({ data: wd, off: grp * cOutG * cInG, rs: cInG, cs: 1 }, { data: xd, off: (b * cIn + grp * cInG) * plane, rs: plane, cs: 1 }, out, outOff, cOutG, cInG, plane, scratch);
        if (bias !== undefined) for (let o = 0; o < cOutG; o++) for (let p = 0, bv = bias.data[grp * cOutG + o]!, q = outOff + o * plane; p < plane; p++) out[q + p]! += bv;
      }
    }
    return { dtype: x.dtype, shape: [n, cOut, ho, wo], data: out };
  }
  const acc = new Float64Array(plane);
  for (let b = 0; b < n; b++) {
    for (let oc = 0; oc < cOut; oc++) {
      acc.fill(bias !== undefined ? bias.data[oc]! : 0);
      const grp = Math.floor(oc / cOutG);
      for (let icg = 0; icg < cInG; icg++) {
        const xBase = (b * cIn + grp * cInG + icg) * h * w;
        const wBase = (oc * cInG + icg) * kh * kw;
        for (let ky = 0; ky < kh; ky++) {
          for (let kx = 0; kx < kw; kx++) {
            const wv = wd[wBase + ky * kw + kx]!;
            const colOff = kx * dw - pl;
            // Output columns whose input column ow * sw + colOff lies in [0, w).
            const owLo = Math.max(0, Math.ceil(-colOff / sw));
            const owHi = Math.min(wo, Math.floor((w - 1 - colOff) / sw) + 1);
            if (owLo >= owHi) continue;
            for (let oy = 0; oy < ho; oy++) {
              const iy = oy * sh - pt + ky * dh;
              if (iy < 0 || iy >= h) continue;
              const xRow = xBase + iy * w + colOff;
              const aRow = oy * wo;
              for (let ox = owLo; ox < owHi; ox++) acc[aRow + ox]! += wv * xd[xRow + ox * sw]!;
            }
          }
        }
      }
      out.set(acc, (b * cOut + oc) * plane);
    }
  }
  return { dtype: x.dtype, shape: [n, cOut, ho, wo], data: out };
}

const PAD_DOC = '[top, bottom, left, right], used only when pad_type is custom.';

const conv2d: OpDef = {
  name: 'conv2d',
  family: 'conv',
  traits: { layout: 'fixed', commutative: false },
  doc: '2-D convolution (cross-correlation) of NCHW `x` with `weight` [C_out, C_in/groups, kH, kW]: `out[n, o, i, j] = bias[o] + sum_{c, u, v} x[n, g*C_in/groups + c, i*sH - padTop + u*dH, j*sW - padLeft + v*dW] * weight[o, c, u, v]` with `g = floor(o / (C_out/groups))` and zeros outside the input. Output size per axis `floor((size + padBefore + padAfter - (k-1)*d - 1) / stride) + 1`. `pad_type` valid = no padding; same = output `ceil(size / stride)` with the odd extra padding at the bottom/right; same_lower = the same with the extra at the top/left; custom = the `pad` attribute. Maps to MIL `conv`.',
  inputs: [
    { name: 'x', dtypes: FLOATS, rank: 4, doc: 'Input [N, C_in, H, W]; C_in, H, W static.' },
    { name: 'weight', dtypes: FLOATS, rank: 4, doc: 'Kernel [C_out, C_in / groups, kH, kW], static.' },
    { name: 'bias', dtypes: FLOATS, rank: 1, optional: true, doc: 'Bias [C_out]; zeros when absent.' },
  ],
  attrs: [
    { name: 'strides', kind: 'ints', default: [1, 1], doc: 'Strides [sH, sW], each >= 1.' },
    { name: 'pad_type', kind: 'string', default: 'valid', oneOf: ['valid', 'same', 'same_lower', 'custom'], doc: 'How padding is chosen.' },
    { name: 'pad', kind: 'ints', default: [0, 0, 0, 0], doc: PAD_DOC },
    { name: 'dilations', kind: 'ints', default: [1, 1], doc: 'Dilations [dH, dW], each >= 1.' },
    { name: 'groups', kind: 'int', default: 1, doc: 'Channel groups; must divide C_in and C_out (C_in = groups for depthwise).' },
  ],
  outputs: [{ name: 'output', typing: 'rank:4', doc: '[N, C_out, H_out, W_out].' }],
  infer(inputs, attrs) {
    const x = inType(inputs, 'x');
    const g = convGeometry(x, inType(inputs, 'weight'), optType(inputs, 'bias'), attrs);
    return [{ dtype: x.dtype, shape: [g.n, g.cOut, g.win.h.out, g.win.w.out] }];
  },
  kernel(inputs, attrs) {
    return [conv2dKernel(inTensor(inputs, 'x'), inTensor(inputs, 'weight'), optTensor(inputs, 'bias'), attrs)];
  },
};

function poolWindows(x: TensorType, attrs: Attrs): Windows {
  expectRank(x, 'x', 4);
  const spatial = x.shape.slice(2);
  expectStatic(spatial, 'x (height and width)');
  const k = intsAttr(attrs, 'kernel_sizes', 2, 1);
  const ceilMode = attrBool(attrs, 'ceil_mode');
  if (ceilMode) {
    const padType = attrStr(attrs, 'pad_type');
    const pad = attrInts(attrs, 'pad');
    if (padType === 'same') throw graphError('E_ATTR', 'avg_pool: ceil_mode must be false when pad_type is same');
    if (padType === 'custom' && (pad[0] !== pad[1] || pad[2] !== pad[3])) {
      throw graphError('E_ATTR', `avg_pool: ceil_mode needs symmetric padding, got pad [${pad.join(', ')}]`);
    }
  }
  return windows('avg_pool', attrs, [spatial[0]!, spatial[1]!], [k[0]!, k[1]!], [1, 1], ceilMode);
}

/**
 * Average pooling. The divisor is the number of window taps inside the input
 * (`exclude_padding_from_average`) or inside the padded input; windows that ceil_mode lets run
 * past the padded input are clipped to it. A window with no counted tap yields 0.
 */
function avgPoolKernel(x: Tensor, attrs: Attrs): Tensor {
  const win = poolWindows(x, attrs);
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const [kh, kw] = attrInts(attrs, 'kernel_sizes') as [number, number];
  const [sh, sw] = attrInts(attrs, 'strides') as [number, number];
  const exclude = attrBool(attrs, 'exclude_padding_from_average');
  const ho = win.h.out, wo = win.w.out;
  const pt = win.h.before, pl = win.w.before;
  const out = allocOutput('avg_pool', x.dtype, n * c * ho * wo);
  const xd = x.data;
  let o = 0;
  for (let plane = 0; plane < n * c; plane++) {
    const base = plane * h * w;
    for (let oy = 0; oy < ho; oy++) {
      const y0 = oy * sh - pt;
      const yLo = Math.max(0, y0), yHi = Math.min(h, y0 + kh);
      const pyCount = Math.min(h + win.h.after, y0 + kh) - Math.max(-pt, y0);
      for (let ox = 0; ox < wo; ox++) {
        const x0 = ox * sw - pl;
        const xLo = Math.max(0, x0), xHi = Math.min(w, x0 + kw);
        let s = 0;
        for (let iy = yLo; iy < yHi; iy++) for (let ix = xLo; ix < xHi; ix++) s += xd[base + iy * w + ix]!;
        const count = exclude
          ? Math.max(0, yHi - yLo) * Math.max(0, xHi - xLo)
          : Math.max(0, pyCount) * Math.max(0, Math.min(w + win.w.after, x0 + kw) - Math.max(-pl, x0));
        out[o++] = count > 0 ? s / count : 0;
      }
    }
  }
  return { dtype: x.dtype, shape: [n, c, ho, wo], data: out };
}

const avgPool: OpDef = {
  name: 'avg_pool',
  family: 'conv',
  traits: { layout: 'fixed', commutative: false },
  doc: 'Average pooling over the H and W axes of NCHW `x`: `out[n, c, i, j] = sum_{u < kH, v < kW} x[n, c, i*sH - padTop + u, j*sW - padLeft + v] / count`, where taps outside the input count as 0 and `count` is kH*kW (taps inside the padded input), or only the taps inside the input when `exclude_padding_from_average`. Output sizes and padding follow conv2d (`valid`, `same`, `custom`); `ceil_mode` rounds the output size up as Core ML does (needs symmetric padding, not with `same`). Maps to MIL `avg_pool`.',
  inputs: [{ name: 'x', dtypes: FLOATS, rank: 4, doc: 'Input [N, C, H, W]; H and W static.' }],
  attrs: [
    { name: 'kernel_sizes', kind: 'ints', doc: 'Window [kH, kW], each >= 1.' },
    { name: 'strides', kind: 'ints', default: [1, 1], doc: 'Strides [sH, sW], each >= 1.' },
    { name: 'pad_type', kind: 'string', default: 'valid', oneOf: ['valid', 'same', 'custom'], doc: 'How padding is chosen.' },
    { name: 'pad', kind: 'ints', default: [0, 0, 0, 0], doc: PAD_DOC },
    { name: 'exclude_padding_from_average', kind: 'bool', default: false, doc: 'Divide by the number of taps inside the input only.' },
    { name: 'ceil_mode', kind: 'bool', default: false, doc: 'Round the output size up instead of down.' },
  ],
  outputs: [{ name: 'output', typing: 'rank:4', doc: '[N, C, H_out, W_out].' }],
  infer(inputs, attrs) {
    const x = inType(inputs, 'x');
    const win = poolWindows(x, attrs);
    return [{ dtype: x.dtype, shape: [x.shape[0]!, x.shape[1]!, win.h.out, win.w.out] }];
  },
  kernel(inputs, attrs) {
    return [avgPoolKernel(inTensor(inputs, 'x'), attrs)];
  },
};

/** The convolution and pooling op definitions. */
export const convOps: OpDef[] = [conv2d, avgPool];
