/**
 * TypeScript shapes of the Core ML model messages (`CoreML.Specification`: Model.proto and
 * FeatureTypes.proto) that wrap an ML program. Same conventions as the MIL types: plain objects,
 * absent = default, at most one member of a oneof, 64-bit integers as safe JS numbers.
 * @module
 */
import type { MilProgram } from './mil-types.js';

/** Element types of multiarray features (`ArrayFeatureType.ArrayDataType`). */
export const ArrayDataType = {
  INVALID_ARRAY_DATA_TYPE: 0,
  FLOAT32: 65568,
  DOUBLE: 65600,
  INT32: 131104,
  INT8: 131080,
  FLOAT16: 65552,
} as const;

/** A multiarray element type code. */
export type ArrayDataTypeCode = (typeof ArrayDataType)[keyof typeof ArrayDataType] | number;

/** Image color spaces (`ImageFeatureType.ColorSpace`). */
export const ColorSpace = {
  INVALID_COLOR_SPACE: 0,
  GRAYSCALE: 10,
  RGB: 20,
  BGR: 30,
  GRAYSCALE_FLOAT16: 40,
} as const;

/** An image color space code. */
export type ColorSpaceCode = (typeof ColorSpace)[keyof typeof ColorSpace] | number;

/** A serialized Core ML model (the content of model.mlmodel). */
export interface CoreMLModel {
  /** 6 = iOS15 ... 9 = iOS18, 10 = iOS26; see {@link SPEC_VERSIONS}. */
  specificationVersion?: number;
  description?: ModelDescription;
  isUpdatable?: boolean;
  /** The ML program (the only model kind this package writes). */
  mlProgram?: MilProgram;
}

/** Inputs, outputs, states and metadata of a model as Core ML presents it to apps. */
export interface ModelDescription {
  input?: FeatureDescription[];
  output?: FeatureDescription[];
  predictedFeatureName?: string;
  predictedProbabilitiesName?: string;
  /** State features (iOS18), FLOAT16 with a fixed shape. */
  state?: FeatureDescription[];
  /** Multifunction models: one description per function. */
  functions?: FunctionDescription[];
  defaultFunctionName?: string;
  metadata?: ModelMetadata;
}

/** The description of one function of a multifunction model. */
export interface FunctionDescription {
  name?: string;
  input?: FeatureDescription[];
  output?: FeatureDescription[];
  predictedFeatureName?: string;
  predictedProbabilitiesName?: string;
  state?: FeatureDescription[];
}

/** A named input, output or state feature. */
export interface FeatureDescription {
  name?: string;
  shortDescription?: string;
  type?: FeatureType;
}

/** Human-readable model metadata; `userDefined` is a string map. */
export interface ModelMetadata {
  shortDescription?: string;
  versionString?: string;
  author?: string;
  license?: string;
  userDefined?: Record<string, string>;
}

/** The type of a feature (exactly one of the type members) and whether it is optional. */
export interface FeatureType {
  int64Type?: Record<string, never>;
  doubleType?: Record<string, never>;
  stringType?: Record<string, never>;
  imageType?: ImageFeatureType;
  multiArrayType?: ArrayFeatureType;
  dictionaryType?: DictionaryFeatureType;
  sequenceType?: SequenceFeatureType;
  stateType?: StateFeatureType;
  isOptional?: boolean;
}

/** A multiarray: a default shape, an element type, optional flexibility and default value. */
export interface ArrayFeatureType {
  shape?: number[];
  dataType?: ArrayDataTypeCode;
  /** Flexibility (at most one of): a list of allowed shapes, or a range per dimension. */
  enumeratedShapes?: { shapes?: { shape?: number[] }[] };
  shapeRange?: { sizeRanges?: SizeRange[] };
  /** Default value (at most one of). */
  intDefaultValue?: number;
  floatDefaultValue?: number;
  doubleDefaultValue?: number;
}

/** An inclusive size range; a negative upper bound means unbounded. */
export interface SizeRange {
  lowerBound?: number;
  upperBound?: number;
}

/** An image input or output. */
export interface ImageFeatureType {
  width?: number;
  height?: number;
  colorSpace?: ColorSpaceCode;
  /** Size flexibility (at most one of). */
  enumeratedSizes?: { sizes?: { width?: number; height?: number }[] };
  imageSizeRange?: { widthRange?: SizeRange; heightRange?: SizeRange };
}

/** A state feature (iOS18): wraps a FLOAT16 multiarray of fixed shape. */
export interface StateFeatureType {
  arrayType?: ArrayFeatureType;
}

/** A dictionary feature (exactly one key type). */
export interface DictionaryFeatureType {
  int64KeyType?: Record<string, never>;
  stringKeyType?: Record<string, never>;
}

/** A sequence feature (exactly one element type) with an optional length range. */
export interface SequenceFeatureType {
  int64Type?: Record<string, never>;
  stringType?: Record<string, never>;
  sizeRange?: SizeRange;
}
