/**
 * TypeScript shapes of the MIL messages (`CoreML.Specification.MILSpec`) that an ML program is
 * made of. Plain objects, field names as in the schema (camelCase). proto3 rules: an absent
 * field means its default (0, '', false, empty), and of the members of a oneof ("exactly one
 * of") at most one may be set. 64-bit integers are JS numbers (safe integers only). The encoder
 * ({@link encodeModel}) validates every message against the schema.
 * @module
 */

/** MIL data type codes (`MILSpec.DataType`). They differ from the weight.bin blob codes. */
export const MilDataType = {
  UNUSED_TYPE: 0,
  BOOL: 1,
  STRING: 2,
  FLOAT16: 10,
  FLOAT32: 11,
  FLOAT64: 12,
  BFLOAT16: 13,
  INT8: 21,
  INT16: 22,
  INT32: 23,
  INT64: 24,
  INT4: 25,
  UINT8: 31,
  UINT16: 32,
  UINT32: 33,
  UINT64: 34,
  UINT4: 35,
  UINT2: 36,
  UINT1: 37,
  UINT6: 38,
  UINT3: 39,
  FLOAT8E4M3FN: 40,
  FLOAT8E5M2: 41,
} as const;

/** A MIL data type code. Unknown codes decode as plain numbers. */
export type MilDataTypeCode = (typeof MilDataType)[keyof typeof MilDataType] | number;

/** A whole ML program: named functions. `version` is always 1. */
export interface MilProgram {
  version?: number;
  /** Functions by name (`main` is the default entry point). */
  functions?: Record<string, MilFunction>;
  /** Must stay empty: coremltools refuses programs with a doc string. */
  docString?: string;
  /** Only `buildInfo` (a string -> string dictionary) is accepted by coremltools. */
  attributes?: Record<string, MilValue>;
}

/** A function: typed inputs and one block per opset (key = the opset string, e.g. `CoreML7`). */
export interface MilFunction {
  inputs?: MilNamedValueType[];
  /** The opset, e.g. `CoreML7`; must be a key of {@link blockSpecializations}. */
  opset?: string;
  blockSpecializations?: Record<string, MilBlock>;
  attributes?: Record<string, MilValue>;
}

/** A straight-line list of operations and the names of the values it returns. */
export interface MilBlock {
  /** Block inputs (only for nested blocks of control-flow ops; a function's block has none). */
  inputs?: MilNamedValueType[];
  outputs?: string[];
  operations?: MilOperation[];
  attributes?: Record<string, MilValue>;
}

/** One binding of an op input: the name of a value, or an inline value (exactly one of). */
export interface MilBinding {
  name?: string;
  value?: MilValue;
}

/** The bindings of one op input; several for a variadic input (concat `values`). */
export interface MilArgument {
  arguments?: MilBinding[];
}

/** One operation: its type (`linear`, `const`...), named inputs, typed outputs, attributes. */
export interface MilOperation {
  type?: string;
  inputs?: Record<string, MilArgument>;
  outputs?: MilNamedValueType[];
  /** Nested blocks of control-flow ops. */
  blocks?: MilBlock[];
  /** Every op carries `name`; `const` also `val`. */
  attributes?: Record<string, MilValue>;
}

/** A name and its type (function inputs, op outputs). */
export interface MilNamedValueType {
  name?: string;
  type?: MilValueType;
}

/** A value's type (exactly one of). */
export interface MilValueType {
  tensorType?: MilTensorType;
  listType?: MilListType;
  tupleType?: MilTupleType;
  dictionaryType?: MilDictionaryType;
  stateType?: MilStateType;
}

/** A tensor type. `rank` must equal the number of dimensions; a scalar is rank 0. */
export interface MilTensorType {
  dataType?: MilDataTypeCode;
  rank?: number;
  dimensions?: MilDimension[];
  attributes?: Record<string, MilValue>;
}

/** A tuple of value types. */
export interface MilTupleType {
  types?: MilValueType[];
}

/** A list of values of one type, with a constant or unknown length. */
export interface MilListType {
  type?: MilValueType;
  length?: MilDimension;
}

/** A dictionary type (e.g. the string -> string `buildInfo` attribute). */
export interface MilDictionaryType {
  keyType?: MilValueType;
  valueType?: MilValueType;
}

/** The type of a state value (iOS18): wraps a tensor type. */
export interface MilStateType {
  wrappedType?: MilValueType;
}

/** A dimension: a constant size, or unknown (exactly one of). */
export interface MilDimension {
  constant?: { size?: number };
  unknown?: { variadic?: boolean };
}

/** A typed value, inline (`immediateValue`) or stored in weight.bin (`blobFileValue`). */
export interface MilValue {
  /** Must stay empty: coremltools refuses values with a doc string. */
  docString?: string;
  type?: MilValueType;
  immediateValue?: MilImmediateValue;
  blobFileValue?: MilBlobFileValue;
}

/** An inline value (exactly one of). */
export interface MilImmediateValue {
  tensor?: MilTensorValue;
  tuple?: MilTupleValue;
  list?: MilListValue;
  dictionary?: MilDictionaryValue;
}

/** A reference into a weight file: `offset` is the blob's metadata record, not its data. */
export interface MilBlobFileValue {
  /** `@model_path/weights/weight.bin` for the package's weight file. */
  fileName?: string;
  offset?: number;
}

/**
 * The elements of a tensor, row-major (exactly one of). Which member holds which dtype is fixed
 * by coremltools: see {@link immediateTensor}.
 */
export interface MilTensorValue {
  floats?: { values?: ArrayLike<number> };
  ints?: { values?: ArrayLike<number> };
  bools?: { values?: readonly boolean[] };
  strings?: { values?: readonly string[] };
  longInts?: { values?: ArrayLike<number> };
  doubles?: { values?: ArrayLike<number> };
  /** ONE bytes field holding all elements (little-endian, sub-byte types packed LSB first). */
  bytes?: { values?: Uint8Array };
}

/** The elements of a tuple value. */
export interface MilTupleValue {
  values?: MilValue[];
}

/** The elements of a list value. */
export interface MilListValue {
  values?: MilValue[];
}

/** The key/value pairs of a dictionary value. */
export interface MilDictionaryValue {
  values?: { key?: MilValue; value?: MilValue }[];
}
