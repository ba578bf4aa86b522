/**
 * Small constructors for MIL programs, shaped the way coremltools writes them: every op carries
 * a `name` attribute, `const` has attributes `name` and `val`, other ops bind inputs by name,
 * functions keep one block under their opset key, and the model wraps the program with its
 * specification version and feature descriptions.
 * @module
 */
import { emitError } from '../errors.js';
import type {
  MilArgument, MilBlock, MilFunction, MilNamedValueType, MilOperation, MilProgram, MilValue,
} from '../proto/mil-types.js';
import type { CoreMLModel, FeatureDescription, ModelMetadata } from '../proto/model-types.js';
import { WEIGHT_FILE_REF } from '../weights/blob-format.js';
import type { MilDType } from './dtypes.js';
import { checkMilName, tensorType } from './types.js';
import { immediateTensor } from './values.js';

/** Deployment targets and their `specificationVersion`. */
export const SPEC_VERSIONS = { iOS15: 6, iOS16: 7, iOS17: 8, iOS18: 9, iOS26: 10 } as const;

/** A deployment target name. */
export type DeploymentTarget = keyof typeof SPEC_VERSIONS;

const OPSETS: Readonly<Record<number, string>> = { 6: 'CoreML5', 7: 'CoreML6', 8: 'CoreML7', 9: 'CoreML8', 10: 'CoreML9' };

/** The opset string (Function.opset and block key) of a specification version, e.g. 8 -> `CoreML7`. */
export function opsetOf(specificationVersion: number): string {
  const o = OPSETS[specificationVersion];
  if (o === undefined) {
    throw emitError('E_VALUE', `ML programs need specificationVersion 6..10, got ${specificationVersion}`, { where: 'specificationVersion' });
  }
  return o;
}

/** A string scalar value (op names, string parameters). */
export function stringValue(s: string): MilValue {
  return immediateTensor('string', [], [s]);
}

/** A scalar value of a numeric or bool dtype. */
export function scalarValue(dtype: MilDType, v: number | boolean): MilValue {
  return immediateTensor(dtype, [], typeof v === 'boolean' ? [v] : [v]);
}

/** A 1-D value (e.g. `perm`, `axes`), int32 by default. */
export function listValue(values: readonly number[], dtype: MilDType = 'int32'): MilValue {
  return immediateTensor(dtype, [values.length], values);
}

/** A value stored in weight.bin: type plus a reference to the blob's metadata record. */
export function blobValue(dtype: MilDType, shape: readonly number[], offset: number, fileName: string = WEIGHT_FILE_REF): MilValue {
  if (!Number.isSafeInteger(offset) || offset < 64 || offset % 64 !== 0) {
    throw emitError('E_VALUE', `blob offset must be a 64-aligned offset after the header, got ${offset}`, { where: fileName });
  }
  return { type: tensorType(dtype, shape), blobFileValue: { fileName, offset } };
}

/** What an op input is bound to: a value name, several names (variadic), or an inline value. */
export type OpInput = string | readonly string[] | MilValue;

function argument(input: OpInput, where: string): MilArgument {
  if (typeof input === 'string') {
    checkMilName(input, `input of ${where}`);
    return { arguments: [{ name: input }] };
  }
  if (Array.isArray(input)) {
    const names = input as readonly string[];
    if (names.length === 0) throw emitError('E_VALUE', `variadic input of ${where} needs at least one value`, { where });
    for (const n of names) checkMilName(n, `input of ${where}`);
    return { arguments: names.map((name) => ({ name })) };
  }
  return { arguments: [{ value: input as MilValue }] };
}

/** Parts of an op for {@link milOp}. */
export interface MilOpSpec {
  /** The op's name (its `name` attribute). */
  readonly name: string;
  readonly inputs?: Readonly<Record<string, OpInput>>;
  readonly outputs: readonly MilNamedValueType[];
  /** Attributes besides `name` (only `const` and pre-iOS18 `constexpr_*` ops have any). */
  readonly attributes?: Readonly<Record<string, MilValue>>;
  readonly blocks?: readonly MilBlock[];
}

/** An operation with its `name` attribute. */
export function milOp(type: string, spec: MilOpSpec): MilOperation {
  checkMilName(spec.name, `name of ${type} op`);
  if (spec.outputs.length === 0 && type !== 'write_state') {
    throw emitError('E_VALUE', `${type} op '${spec.name}' needs at least one output`, { where: spec.name });
  }
  const inputs: Record<string, MilArgument> = {};
  for (const [k, v] of Object.entries(spec.inputs ?? {})) inputs[k] = argument(v, `${type} '${spec.name}'.${k}`);
  const attributes: Record<string, MilValue> = { ...(spec.attributes ?? {}), name: stringValue(spec.name) };
  const op: MilOperation = { type, inputs, outputs: [...spec.outputs], attributes };
  if (spec.blocks && spec.blocks.length > 0) op.blocks = [...spec.blocks];
  return op;
}

/** A `const` op: no inputs, attributes `name` and `val`, one output typed like the value. */
export function constOp(name: string, value: MilValue): MilOperation {
  if (!value.type) throw emitError('E_VALUE', `const '${name}' needs a typed value`, { where: name });
  return milOp('const', { name, outputs: [{ name, type: value.type }], attributes: { val: value } });
}

/** Parts of a function for {@link milFunction}. */
export interface MilFunctionSpec {
  readonly inputs: readonly MilNamedValueType[];
  readonly opset: string;
  readonly operations: readonly MilOperation[];
  /** Names of the values the function returns. */
  readonly outputs: readonly string[];
}

/** A function with one block under its opset key. */
export function milFunction(spec: MilFunctionSpec): MilFunction {
  for (const o of spec.outputs) checkMilName(o, 'function output');
  const block: MilBlock = { outputs: [...spec.outputs], operations: [...spec.operations] };
  return { inputs: [...spec.inputs], opset: spec.opset, blockSpecializations: { [spec.opset]: block } };
}

/** The `buildInfo` program attribute: a string -> string dictionary, as coremltools writes it. */
export function buildInfoValue(info: Readonly<Record<string, string>>): MilValue {
  const str = tensorType('string', []);
  return {
    type: { dictionaryType: { keyType: str, valueType: str } },
    immediateValue: { dictionary: { values: Object.keys(info).sort().map((k) => ({ key: stringValue(k), value: stringValue(info[k]!) })) } },
  };
}

/** Parts of a model for {@link mlProgramModel}. */
export interface MlProgramModelSpec {
  readonly specificationVersion: number;
  readonly functions: Readonly<Record<string, MilFunction>>;
  /** Feature descriptions of the default function's inputs and outputs. */
  readonly input: readonly FeatureDescription[];
  readonly output: readonly FeatureDescription[];
  readonly state?: readonly FeatureDescription[];
  readonly metadata?: ModelMetadata;
  /** Program `buildInfo` attribute entries (e.g. the generator's name and version). */
  readonly buildInfo?: Readonly<Record<string, string>>;
}

/** A model wrapping an ML program. */
export function mlProgramModel(spec: MlProgramModelSpec): CoreMLModel {
  opsetOf(spec.specificationVersion);
  const program: MilProgram = { version: 1, functions: { ...spec.functions } };
  if (spec.buildInfo && Object.keys(spec.buildInfo).length > 0) program.attributes = { buildInfo: buildInfoValue(spec.buildInfo) };
  const description: CoreMLModel['description'] = { input: [...spec.input], output: [...spec.output] };
  if (spec.state && spec.state.length > 0) description.state = [...spec.state];
  if (spec.metadata) description.metadata = spec.metadata;
  return { specificationVersion: spec.specificationVersion, description, mlProgram: program };
}
