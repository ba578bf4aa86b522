/**
 * Our own schema of the Core ML messages we write and read, as a protobufjs JSON descriptor
 * (loaded with `Root.fromJSON`, no `.proto` file or code generation at build time). Field
 * numbers follow Apple's public format (see the shared reference coreml-format.md); only the
 * messages an ML program needs are declared. Unknown fields of other model kinds are skipped
 * when decoding.
 * @module
 */

/** A field of a message in protobufjs' JSON descriptor form. */
interface FieldJson {
  readonly id: number;
  readonly type: string;
  readonly rule?: 'repeated';
  readonly keyType?: string;
}

interface TypeJson {
  readonly fields: Readonly<Record<string, FieldJson>>;
  readonly oneofs?: Readonly<Record<string, { readonly oneof: readonly string[] }>>;
  readonly nested?: Readonly<Record<string, TypeJson | EnumJson>>;
  readonly edition?: string;
}

interface EnumJson {
  readonly values: Readonly<Record<string, number>>;
}

/** Descriptor of one namespace: message types and enums by name. */
export type NamespaceJson = Readonly<Record<string, TypeJson | EnumJson>>;

const f = (id: number, type: string): FieldJson => ({ id, type });
const rep = (id: number, type: string): FieldJson => ({ id, type, rule: 'repeated' });
const map = (id: number, type: string): FieldJson => ({ id, type, keyType: 'string' });
const oneof = (...names: string[]): { oneof: string[] } => ({ oneof: names });
const empty: TypeJson = { fields: {} };

/** `CoreML.Specification.MILSpec` (MIL.proto). */
const MIL: NamespaceJson = {
  DataType: {
    values: {
      UNUSED_TYPE: 0, BOOL: 1, STRING: 2, FLOAT16: 10, FLOAT32: 11, FLOAT64: 12, BFLOAT16: 13,
      INT8: 21, INT16: 22, INT32: 23, INT64: 24, INT4: 25, UINT8: 31, UINT16: 32, UINT32: 33,
      UINT64: 34, UINT4: 35, UINT2: 36, UINT1: 37, UINT6: 38, UINT3: 39, FLOAT8E4M3FN: 40, FLOAT8E5M2: 41,
    },
  },
  Program: {
    fields: { version: f(1, 'int64'), functions: map(2, 'Function'), docString: f(3, 'string'), attributes: map(4, 'Value') },
  },
  Function: {
    fields: { inputs: rep(1, 'NamedValueType'), opset: f(2, 'string'), blockSpecializations: map(3, 'Block'), attributes: map(4, 'Value') },
  },
  Block: {
    fields: { inputs: rep(1, 'NamedValueType'), outputs: rep(2, 'string'), operations: rep(3, 'Operation'), attributes: map(4, 'Value') },
  },
  Argument: {
    fields: { arguments: rep(1, 'Binding') },
    nested: {
      Binding: { fields: { name: f(1, 'string'), value: f(2, 'Value') }, oneofs: { binding: oneof('name', 'value') } },
    },
  },
  Operation: {
    fields: { type: f(1, 'string'), inputs: map(2, 'Argument'), outputs: rep(3, 'NamedValueType'), blocks: rep(4, 'Block'), attributes: map(5, 'Value') },
  },
  NamedValueType: { fields: { name: f(1, 'string'), type: f(2, 'ValueType') } },
  ValueType: {
    fields: { tensorType: f(1, 'TensorType'), listType: f(2, 'ListType'), tupleType: f(3, 'TupleType'), dictionaryType: f(4, 'DictionaryType'), stateType: f(5, 'StateType') },
    oneofs: { type: oneof('tensorType', 'listType', 'tupleType', 'dictionaryType', 'stateType') },
  },
  TensorType: {
    fields: { dataType: f(1, 'DataType'), rank: f(2, 'int64'), dimensions: rep(3, 'Dimension'), attributes: map(4, 'Value') },
  },
  TupleType: { fields: { types: rep(1, 'ValueType') } },
  ListType: { fields: { type: f(1, 'ValueType'), length: f(2, 'Dimension') } },
  DictionaryType: { fields: { keyType: f(1, 'ValueType'), valueType: f(2, 'ValueType') } },
  StateType: { fields: { wrappedType: f(1, 'ValueType') } },
  Dimension: {
    fields: { constant: f(1, 'ConstantDimension'), unknown: f(2, 'UnknownDimension') },
    oneofs: { dimension: oneof('constant', 'unknown') },
    nested: {
      ConstantDimension: { fields: { size: f(1, 'uint64') } },
      UnknownDimension: { fields: { variadic: f(1, 'bool') } },
    },
  },
  Value: {
    // There is no field 4.
    fields: { docString: f(1, 'string'), type: f(2, 'ValueType'), immediateValue: f(3, 'ImmediateValue'), blobFileValue: f(5, 'BlobFileValue') },
    oneofs: { value: oneof('immediateValue', 'blobFileValue') },
    nested: {
      ImmediateValue: {
        fields: { tensor: f(1, 'TensorValue'), tuple: f(2, 'TupleValue'), list: f(3, 'ListValue'), dictionary: f(4, 'DictionaryValue') },
        oneofs: { value: oneof('tensor', 'tuple', 'list', 'dictionary') },
      },
      BlobFileValue: { fields: { fileName: f(1, 'string'), offset: f(2, 'uint64') } },
    },
  },
  TensorValue: {
    fields: {
      floats: f(1, 'RepeatedFloats'), ints: f(2, 'RepeatedInts'), bools: f(3, 'RepeatedBools'), strings: f(4, 'RepeatedStrings'),
      longInts: f(5, 'RepeatedLongInts'), doubles: f(6, 'RepeatedDoubles'), bytes: f(7, 'RepeatedBytes'),
    },
    oneofs: { value: oneof('floats', 'ints', 'bools', 'strings', 'longInts', 'doubles', 'bytes') },
    nested: {
      RepeatedFloats: { fields: { values: rep(1, 'float') } },
      RepeatedDoubles: { fields: { values: rep(1, 'double') } },
      RepeatedInts: { fields: { values: rep(1, 'int32') } },
      RepeatedLongInts: { fields: { values: rep(1, 'int64') } },
      RepeatedBools: { fields: { values: rep(1, 'bool') } },
      RepeatedStrings: { fields: { values: rep(1, 'string') } },
      // One bytes field, not repeated.
      RepeatedBytes: { fields: { values: f(1, 'bytes') } },
    },
  },
  TupleValue: { fields: { values: rep(1, 'Value') } },
  ListValue: { fields: { values: rep(1, 'Value') } },
  DictionaryValue: {
    fields: { values: rep(1, 'KeyValuePair') },
    nested: { KeyValuePair: { fields: { key: f(1, 'Value'), value: f(2, 'Value') } } },
  },
};

const sizeRange = 'CoreML.Specification.SizeRange';

/** `CoreML.Specification` (Model.proto and FeatureTypes.proto), the parts an ML program uses. */
const SPEC: NamespaceJson = {
  Model: {
    fields: { specificationVersion: f(1, 'int32'), description: f(2, 'ModelDescription'), isUpdatable: f(10, 'bool'), mlProgram: f(502, 'MILSpec.Program') },
    oneofs: { Type: oneof('mlProgram') },
  },
  ModelDescription: {
    fields: {
      input: rep(1, 'FeatureDescription'), output: rep(10, 'FeatureDescription'), predictedFeatureName: f(11, 'string'),
      predictedProbabilitiesName: f(12, 'string'), state: rep(13, 'FeatureDescription'), functions: rep(20, 'FunctionDescription'),
      defaultFunctionName: f(21, 'string'), metadata: f(100, 'Metadata'),
    },
  },
  FunctionDescription: {
    fields: {
      name: f(1, 'string'), input: rep(2, 'FeatureDescription'), output: rep(3, 'FeatureDescription'), predictedFeatureName: f(4, 'string'),
      predictedProbabilitiesName: f(5, 'string'), state: rep(6, 'FeatureDescription'),
    },
  },
  FeatureDescription: { fields: { name: f(1, 'string'), shortDescription: f(2, 'string'), type: f(3, 'FeatureType') } },
  Metadata: {
    fields: { shortDescription: f(1, 'string'), versionString: f(2, 'string'), author: f(3, 'string'), license: f(4, 'string'), userDefined: map(100, 'string') },
  },
  Int64FeatureType: empty,
  DoubleFeatureType: empty,
  StringFeatureType: empty,
  SizeRange: { fields: { lowerBound: f(1, 'uint64'), upperBound: f(2, 'int64') } },
  FeatureType: {
    fields: {
      int64Type: f(1, 'Int64FeatureType'), doubleType: f(2, 'DoubleFeatureType'), stringType: f(3, 'StringFeatureType'), imageType: f(4, 'ImageFeatureType'),
      multiArrayType: f(5, 'ArrayFeatureType'), dictionaryType: f(6, 'DictionaryFeatureType'), sequenceType: f(7, 'SequenceFeatureType'),
      stateType: f(8, 'StateFeatureType'), isOptional: f(1000, 'bool'),
    },
    oneofs: { Type: oneof('int64Type', 'doubleType', 'stringType', 'imageType', 'multiArrayType', 'dictionaryType', 'sequenceType', 'stateType') },
  },
  ArrayFeatureType: {
    fields: {
      shape: rep(1, 'int64'), dataType: f(2, 'ArrayDataType'), enumeratedShapes: f(21, 'EnumeratedShapes'), shapeRange: f(31, 'ShapeRange'),
      intDefaultValue: f(41, 'int32'), floatDefaultValue: f(51, 'float'), doubleDefaultValue: f(61, 'double'),
    },
    oneofs: {
      ShapeFlexibility: oneof('enumeratedShapes', 'shapeRange'),
      defaultOptionalValue: oneof('intDefaultValue', 'floatDefaultValue', 'doubleDefaultValue'),
    },
    nested: {
      ArrayDataType: { values: { INVALID_ARRAY_DATA_TYPE: 0, FLOAT32: 65568, DOUBLE: 65600, INT32: 131104, INT8: 131080, FLOAT16: 65552 } },
      Shape: { fields: { shape: rep(1, 'int64') } },
      EnumeratedShapes: { fields: { shapes: rep(1, 'Shape') } },
      ShapeRange: { fields: { sizeRanges: rep(1, sizeRange) } },
    },
  },
  ImageFeatureType: {
    fields: {
      width: f(1, 'int64'), height: f(2, 'int64'), colorSpace: f(3, 'ColorSpace'), enumeratedSizes: f(21, 'EnumeratedImageSizes'),
      imageSizeRange: f(31, 'ImageSizeRange'),
    },
    oneofs: { SizeFlexibility: oneof('enumeratedSizes', 'imageSizeRange') },
    nested: {
      ColorSpace: { values: { INVALID_COLOR_SPACE: 0, GRAYSCALE: 10, RGB: 20, BGR: 30, GRAYSCALE_FLOAT16: 40 } },
      ImageSize: { fields: { width: f(1, 'uint64'), height: f(2, 'uint64') } },
      EnumeratedImageSizes: { fields: { sizes: rep(1, 'ImageSize') } },
      ImageSizeRange: { fields: { widthRange: f(1, sizeRange), heightRange: f(2, sizeRange) } },
    },
  },
  StateFeatureType: { fields: { arrayType: f(1, 'ArrayFeatureType') }, oneofs: { Type: oneof('arrayType') } },
  DictionaryFeatureType: {
    fields: { int64KeyType: f(1, 'Int64FeatureType'), stringKeyType: f(2, 'StringFeatureType') },
    oneofs: { KeyType: oneof('int64KeyType', 'stringKeyType') },
  },
  SequenceFeatureType: {
    fields: { int64Type: f(1, 'Int64FeatureType'), stringType: f(3, 'StringFeatureType'), sizeRange: f(101, 'SizeRange') },
    oneofs: { Type: oneof('int64Type', 'stringType') },
  },
};

/** Marks every top-level message proto3 (packed repeated scalars, implicit presence). */
function proto3(ns: NamespaceJson): NamespaceJson {
  const out: Record<string, TypeJson | EnumJson> = {};
  for (const [name, t] of Object.entries(ns)) out[name] = 'fields' in t ? { ...t, edition: 'proto3' } : t;
  return out;
}

/** The whole descriptor, rooted at the `CoreML` package. */
export const SCHEMA_JSON = {
  nested: {
    CoreML: {
      nested: {
        Specification: {
          nested: { ...proto3(SPEC), MILSpec: { nested: proto3(MIL) } },
        },
      },
    },
  },
} as const;

/** Fully qualified name of the root message. */
export const MODEL_TYPE = 'CoreML.Specification.Model';
