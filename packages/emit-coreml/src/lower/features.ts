/**
 * Function inputs and outputs as Core ML features: multiarrays (fp32, int32; fp16 from ios16)
 * with a default shape and, for symbolic dimensions, enumerated shapes or size ranges; and image
 * inputs, whose preprocessing (`mul` by the scale, `add` of the bias) starts the function.
 * @module
 */
import { type DType, type Shape, type TensorType, formatShape, isStatic } from '@fastvlm/graph';
import { ArrayDataType, ColorSpace, type FeatureDescription, type FeatureType } from '../proto/model-types.js';
import { lowerError } from './errors.js';
import type { ColorLayout, ImageInputOptions, InputOptions } from './options.js';
import { type Target, atLeast } from './target.js';

/** Checks that `dtype` can be a function input or output on `target`; returns the array type code. */
export function ioArrayType(dtype: DType, target: Target, where: string): number {
  switch (dtype) {
    case 'fp32':
      return ArrayDataType.FLOAT32;
    case 'int32':
      return ArrayDataType.INT32;
    case 'fp16':
      if (!atLeast(target, 'ios16')) {
        throw lowerError('E_LOWER_TARGET', `an fp16 function input or output needs target ios16 (iOS16) or newer; the target is ${target}`, {
          where,
          details: { dtype, needs: 'ios16', target },
        });
      }
      return ArrayDataType.FLOAT16;
    case 'int8':
      throw lowerError('E_LOWER_TARGET', `an int8 function input or output needs iOS26 (specification version 10), newer than every target we emit (ios15..ios18); cast to int32 at the boundary`, {
        where,
        details: { dtype, needs: 'ios26', target },
      });
    default:
      throw lowerError('E_LOWER_DTYPE', `a function input or output cannot be ${dtype}; Core ML features are fp32, int32 or fp16 (ios16+) multiarrays`, {
        where,
        details: { dtype },
      });
  }
}

/** Channels of an image layout. */
function channelsOf(layout: ColorLayout): number {
  return layout === 'RGB' || layout === 'BGR' ? 3 : 1;
}

const COLOR_SPACE: Readonly<Record<ColorLayout, number>> = {
  RGB: ColorSpace.RGB,
  BGR: ColorSpace.BGR,
  GRAYSCALE: ColorSpace.GRAYSCALE,
  GRAYSCALE_FLOAT16: ColorSpace.GRAYSCALE_FLOAT16,
};

/** Validated image options: shape [1, C, H, W], dtype, scale and bias per channel. */
export interface ImagePlan {
  readonly layout: ColorLayout;
  readonly width: number;
  readonly height: number;
  readonly scale: number;
  /** One value per channel (length C). */
  readonly bias: readonly number[];
}

/** Checks image options against the input's type. */
export function planImage(img: ImageInputOptions, t: TensorType, target: Target, where: string): ImagePlan {
  const layout = img.colorLayout;
  if (!(layout in COLOR_SPACE)) {
    throw lowerError('E_LOWER_OPTION', `image colorLayout ${JSON.stringify(layout)} is not one of RGB, BGR, GRAYSCALE, GRAYSCALE_FLOAT16`, { where });
  }
  const c = channelsOf(layout);
  const s = t.shape;
  if (s.length !== 4 || s[0] !== 1 || s[1] !== c || typeof s[2] !== 'number' || typeof s[3] !== 'number') {
    throw lowerError('E_LOWER_OPTION', `a ${layout} image input must be a static tensor [1, ${c}, H, W]; found ${formatShape(s)}`, { where });
  }
  const wantDtype: DType = layout === 'GRAYSCALE_FLOAT16' ? 'fp16' : 'fp32';
  if (t.dtype !== wantDtype) {
    throw lowerError('E_LOWER_OPTION', `a ${layout} image input must be ${wantDtype}; found ${t.dtype}`, { where });
  }
  if (layout === 'GRAYSCALE_FLOAT16' && !atLeast(target, 'ios16')) {
    throw lowerError('E_LOWER_TARGET', `a GRAYSCALE_FLOAT16 image input needs target ios16 (iOS16) or newer; the target is ${target}`, { where, details: { needs: 'ios16', target } });
  }
  const height = s[2], width = s[3];
  if (img.width !== undefined && img.width !== width) throw lowerError('E_LOWER_OPTION', `image width ${img.width} differs from the input's last dimension ${width}`, { where });
  if (img.height !== undefined && img.height !== height) throw lowerError('E_LOWER_OPTION', `image height ${img.height} differs from the input's dimension 2 (${height})`, { where });
  const scale = img.scale ?? 1;
  if (!Number.isFinite(scale)) throw lowerError('E_LOWER_OPTION', `image scale must be a finite number, got ${scale}`, { where });
  const raw = img.bias ?? 0;
  const bias = typeof raw === 'number' ? new Array<number>(c).fill(raw) : [...raw];
  if (bias.length !== c || bias.some((b) => !Number.isFinite(b))) {
    throw lowerError('E_LOWER_OPTION', `image bias must be ${c === 3 ? 'one finite number or three (one per channel)' : 'one finite number'}, got ${JSON.stringify(raw)}`, { where });
  }
  return { layout, width, height, scale, bias };
}

/** The Core ML feature of an image input. */
export function imageFeature(name: string, plan: ImagePlan, shortDescription?: string): FeatureDescription {
  const type: FeatureType = { imageType: { width: plan.width, height: plan.height, colorSpace: COLOR_SPACE[plan.layout] } };
  return shortDescription ? { name, shortDescription, type } : { name, type };
}

/** The Core ML feature of a multiarray input, with flexibility for symbolic dimensions. */
export function inputArrayFeature(name: string, t: TensorType, opts: InputOptions | undefined, target: Target, where: string): FeatureDescription {
  const dataType = ioArrayType(t.dtype, target, where);
  if (t.shape.length === 0) throw lowerError('E_LOWER_IO', `function input '${name}' is a scalar; Core ML inputs need rank >= 1 (use shape [1])`, { where });
  const enumerated = opts?.enumeratedShapes;
  let type: FeatureType;
  if (enumerated !== undefined) {
    const shapes = checkEnumerated(t.shape, enumerated, where);
    type = { multiArrayType: { shape: [...shapes[0]!], dataType, enumeratedShapes: { shapes: shapes.map((s) => ({ shape: [...s] })) } } };
  } else if (isStatic(t.shape)) {
    type = { multiArrayType: { shape: [...t.shape], dataType } };
  } else {
    // No enumeration given: any size >= 1 for symbolic dims, default 1 (coremltools' fallback).
    type = {
      multiArrayType: {
        shape: t.shape.map((d) => (typeof d === 'number' ? d : 1)),
        dataType,
        shapeRange: { sizeRanges: t.shape.map((d) => (typeof d === 'number' ? { lowerBound: d, upperBound: d } : { lowerBound: 1, upperBound: -1 })) },
      },
    };
  }
  return opts?.shortDescription ? { name, shortDescription: opts.shortDescription, type } : { name, type };
}

function checkEnumerated(decl: Shape, shapes: readonly (readonly number[])[], where: string): (readonly number[])[] {
  if (isStatic(decl)) {
    throw lowerError('E_LOWER_OPTION', `enumerated shapes need an input with symbolic dimensions; this input is static ${formatShape(decl)}`, { where });
  }
  if (!Array.isArray(shapes) || shapes.length === 0) throw lowerError('E_LOWER_OPTION', 'enumeratedShapes must list at least one shape', { where });
  const seen = new Set<string>();
  for (const s of shapes) {
    const bad =
      !Array.isArray(s) ||
      s.length !== decl.length ||
      s.some((d, i) => !Number.isSafeInteger(d) || d < 1 || (typeof decl[i] === 'number' && decl[i] !== d));
    if (bad) {
      throw lowerError('E_LOWER_OPTION', `enumerated shape ${JSON.stringify(s)} does not fit the input's shape ${formatShape(decl)} (same rank, sizes >= 1, static dims equal)`, { where });
    }
    // The same symbol at two positions must take one size.
    const bySym = new Map<string, number>();
    decl.forEach((d, i) => {
      if (typeof d !== 'string') return;
      const prev = bySym.get(d);
      if (prev !== undefined && prev !== s[i]) throw lowerError('E_LOWER_OPTION', `enumerated shape ${JSON.stringify(s)} gives symbol '${d}' two sizes (${prev} and ${s[i]})`, { where });
      bySym.set(d, s[i]!);
    });
    const key = s.join(',');
    if (seen.has(key)) throw lowerError('E_LOWER_OPTION', `enumerated shape ${JSON.stringify(s)} is listed twice`, { where });
    seen.add(key);
  }
  return [...shapes];
}

/** The Core ML feature of a function output: its static shape, or no shape when symbolic. */
export function outputFeature(name: string, t: TensorType, target: Target, where: string): FeatureDescription {
  const dataType = ioArrayType(t.dtype, target, where);
  return { name, type: { multiArrayType: isStatic(t.shape) ? { shape: [...t.shape], dataType } : { dataType } } };
}
