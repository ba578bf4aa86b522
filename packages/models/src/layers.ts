/**
 * The building blocks shared by the vision tower, the projector and the LLM: parameters with
 * sensible synthetic initializations, convolutions with PyTorch padding, and linear layers.
 * @module
 */
import type { FloatDType, GraphFunction, ParamOptions, TensorHandle } from '@fastvlm/graph';

/** A float tensor handle of rank R. */
export type FloatT<R extends number = number> = TensorHandle<FloatDType, R>;

/** What a block needs: the function being built and the compute dtype of activations and weights. */
export interface BuildCtx {
  readonly f: GraphFunction;
  readonly dtype: FloatDType;
}

/**
 * What a parameter is, which decides its synthetic values when no checkpoint supplies it:
 * `weight` N(0, 1/fan_in) (variance preserving), `bias` U(+-1/sqrt(fan_in)) as PyTorch,
 * `scale` (norm gains) U(0.8, 1.2), `shift` (norm offsets) N(0, 0.1), `bn_mean` N(0, 0.1),
 * `bn_var` U(0.8, 1.2), `layer_scale` U(0.01, 1), `embedding` N(0, 1/H). Gains and variances stay
 * near 1 but not at 1, so parity tests see a wrong mapping of any of them.
 */
export type ParamRole = 'weight' | 'bias' | 'scale' | 'shift' | 'bn_mean' | 'bn_var' | 'layer_scale' | 'embedding';

/** The synthetic initialization of a parameter of `role` with fan-in `fanIn`. */
export function paramInit(role: ParamRole, fanIn: number): NonNullable<ParamOptions['init']> {
  const s = 1 / Math.sqrt(Math.max(1, fanIn));
  switch (role) {
    case 'weight':
    case 'embedding':
      return { kind: 'normal', std: s };
    case 'bias':
      return { kind: 'uniform', low: -s, high: s };
    case 'scale':
    case 'bn_var':
      return { kind: 'uniform', low: 0.8, high: 1.2 };
    case 'shift':
    case 'bn_mean':
      return { kind: 'normal', std: 0.1 };
    case 'layer_scale':
      return { kind: 'uniform', low: 0.01, high: 1 };
  }
}

/** Declares parameter `name` (in the current scope) with the synthetic init of its role. */
export function param<const S extends readonly number[]>(c: BuildCtx, name: string, shape: S, role: ParamRole, fanIn: number): TensorHandle<FloatDType, S['length']> {
  return c.f.param(name, c.dtype, shape, { init: paramInit(role, fanIn) });
}

/** A static dimension of `x` (the models only build static shapes). */
export function dim(x: FloatT, axis: number): number {
  const d = x.shape[axis < 0 ? x.shape.length + axis : axis];
  // Shapes here are static by construction; a symbol would be a bug in this package.
  return d as number;
}

/** Options of {@link conv}. */
export interface ConvSpec {
  readonly out: number;
  readonly kernel: number;
  readonly stride?: number;
  readonly groups?: number;
  readonly bias?: boolean;
}

/**
 * A conv layer under scope `name` (`weight` `[out, in/groups, k, k]`, optional `bias`), padded
 * with k//2 on every side as PyTorch's `padding=k//2` (which for stride 2 is not 'same').
 */
export function conv(c: BuildCtx, x: FloatT<4>, name: string, spec: ConvSpec): FloatT<4> {
  const cin = dim(x, 1);
  const groups = spec.groups ?? 1;
  const k = spec.kernel;
  const s = spec.stride ?? 1;
  const fanIn = (cin / groups) * k * k;
  return c.f.scope(name, () => {
    const w = param(c, 'weight', [spec.out, cin / groups, k, k], 'weight', fanIn);
    const b = (spec.bias ?? true) ? param(c, 'bias', [spec.out], 'bias', fanIn) : undefined;
    const p = Math.floor(k / 2);
    return c.f.conv2d(x, w, b, { strides: [s, s], pad_type: 'custom', pad: [p, p, p, p], groups });
  });
}

/**
 * BatchNorm2d (inference) under scope `name`: `running_mean`, `running_var` (buffers), `weight`
 * and `bias`, kept as one `batch_norm` op (passes fold it into the conv before it).
 */
export function batchNorm2d(c: BuildCtx, x: FloatT<4>, name: string, eps: number): FloatT<4> {
  const C = dim(x, 1);
  return c.f.scope(name, () => {
    const mean = param(c, 'running_mean', [C], 'bn_mean', C);
    const variance = param(c, 'running_var', [C], 'bn_var', C);
    const gamma = param(c, 'weight', [C], 'scale', C);
    const beta = param(c, 'bias', [C], 'shift', C);
    return c.f.batchNorm(x, mean, variance, gamma, beta, { epsilon: eps }).asRank(4);
  });
}

/** `y = x W^T + b` under scope `name` with `weight` `[out, in]` and optional `bias` `[out]`; x of rank 1 to 3. */
export function linear<R extends number>(c: BuildCtx, x: FloatT<R>, name: string, out: number, bias: boolean): FloatT<R> {
  const inF = dim(x, -1);
  return c.f.scope(name, () => {
    const w = param(c, 'weight', [out, inF], 'weight', inF);
    const b = bias ? param(c, 'bias', [out], 'bias', inF) : undefined;
    return c.f.linear(x, w, b);
  });
}

/** Exact GELU (erf form), as PyTorch's default. */
export function gelu<R extends number>(c: BuildCtx, x: FloatT<R>): FloatT<R> {
  return c.f.gelu(x, { mode: 'EXACT' });
}
