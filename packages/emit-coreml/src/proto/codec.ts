/**
 * Encoding and decoding of Core ML messages with protobufjs (reflection over our schema).
 *
 * Before encoding, a message is checked against the schema and put in canonical form: unknown
 * fields, wrong scalar types, unsafe 64-bit integers and two members of one oneof are coded
 * `E_PROTO` errors naming the message path; default scalars (outside oneofs), empty lists and
 * empty maps are dropped; map entries are sorted by key. protobufjs writes map entries in
 * `Object.keys` order, so sorting them ourselves is what makes the bytes depend only on the
 * content. (JavaScript lists integer-like keys first; the order stays a pure function of the
 * key set, and MIL names are identifiers anyway.)
 *
 * Decoding returns the same plain-object shape, with 64-bit integers as JS numbers (an
 * out-of-range value is an `E_PROTO_DECODE` error) and only non-default fields present.
 * @module
 */
import protobuf from 'protobufjs/light.js';
import { emitError } from '../errors.js';
import type { CoreMLModel } from './model-types.js';
import { MODEL_TYPE, SCHEMA_JSON } from './schema.js';

type PbType = protobuf.Type;
type PbField = protobuf.Field;
/** A decoded protobuf message as a plain object (field names as keys). */
export type Obj = Record<string, unknown>;

let cachedRoot: protobuf.Root | undefined;

/** The protobufjs root of our schema (built once, on first use). */
export function schemaRoot(): protobuf.Root {
  cachedRoot ??= protobuf.Root.fromJSON(SCHEMA_JSON as unknown as protobuf.INamespace);
  return cachedRoot;
}

/** The reflected message type of a fully qualified name, e.g. `CoreML.Specification.MILSpec.Value`. */
export function messageType(fullName: string): PbType {
  const t = schemaRoot().lookup(fullName);
  if (!(t instanceof protobuf.Type)) {
    throw emitError('E_PROTO', `no message type named '${fullName}' in the Core ML schema`, { where: fullName });
  }
  return t;
}

const LONG_TYPES = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);
const INT32_TYPES = new Set(['int32', 'sint32', 'sfixed32']);
const UINT32_TYPES = new Set(['uint32', 'fixed32']);

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}`;
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)}`;
  return `${typeof v} ${String(v)}`;
}

function isRecord(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v) && !(v instanceof Map);
}

function protoError(path: string, message: string): never {
  throw emitError('E_PROTO', `${path}: ${message}`, { where: path });
}

/** The scalar type name of a field (`int32` for enums). */
function scalarType(field: PbField): string {
  return field.resolvedType instanceof protobuf.Enum ? 'enum' : field.type;
}

/** Checks a scalar against its field type; returns it unchanged. */
function checkScalar(type: string, v: unknown, path: string): unknown {
  const bad = (want: string): never => protoError(path, `expected ${want}, got ${describe(v)}`);
  if (type === 'double' || type === 'float') {
    if (typeof v !== 'number') bad('a number');
  } else if (type === 'bool') {
    if (typeof v !== 'boolean') bad('a boolean');
  } else if (type === 'string') {
    if (typeof v !== 'string') bad('a string');
  } else if (type === 'bytes') {
    if (!(v instanceof Uint8Array)) bad('a Uint8Array');
  } else if (type === 'enum' || INT32_TYPES.has(type)) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31) bad(`a 32-bit signed integer${type === 'enum' ? ' (enum code)' : ''}`);
  } else if (UINT32_TYPES.has(type)) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= 2 ** 32) bad('a 32-bit unsigned integer');
  } else if (LONG_TYPES.has(type)) {
    const unsigned = type === 'uint64' || type === 'fixed64';
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || (unsigned && v < 0)) bad(`a${unsigned ? ' non-negative' : ''} safe integer (64-bit field)`);
  } else {
    protoError(path, `field type '${type}' is not supported`);
  }
  return v;
}

function isDefaultScalar(v: unknown): boolean {
  return v === 0 || v === '' || v === false || (v instanceof Uint8Array && v.length === 0);
}

/** Sets an own property even for the key `__proto__`. */
function setOwn(o: Obj, k: string, v: unknown): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

function canonValue(field: PbField, v: unknown, path: string): unknown {
  const t = field.resolvedType;
  if (t instanceof protobuf.Type) return canonMessage(t, v, path);
  return checkScalar(scalarType(field), v, path);
}

function canonMessage(type: PbType, obj: unknown, path: string): Obj {
  if (!isRecord(obj)) protoError(path, `expected a ${type.name} message object, got ${describe(obj)}`);
  const out: Obj = {};
  for (const key of Object.keys(obj)) {
    const v = obj[key];
    if (v === undefined) continue;
    const field = type.fields[key];
    if (!field) protoError(`${path}.${key}`, `${type.name} has no field '${key}' (fields: ${type.fieldsArray.map((x) => x.name).join(', ')})`);
    field.resolve();
    const at = `${path}.${key}`;
    if (field.map) {
      const entries: [string, unknown][] = v instanceof Map ? [...(v as Map<unknown, unknown>).entries()].map(([k, x]) => [k as string, x]) : isRecord(v) ? Object.entries(v) : protoError(at, `expected a map (object or Map), got ${describe(v)}`);
      if (entries.length === 0) continue;
      for (const [k] of entries) if (typeof k !== 'string') protoError(at, `map keys must be strings, got ${describe(k)}`);
      entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      const m: Obj = Object.create(null) as Obj;
      for (const [k, x] of entries) {
        if (x === undefined || x === null) protoError(`${at}[${k}]`, 'a map value must not be undefined or null');
        setOwn(m, k, canonValue(field, x, `${at}[${k}]`));
      }
      out[key] = m;
    } else if (field.repeated) {
      const isTyped = ArrayBuffer.isView(v) && !(v instanceof DataView);
      if (!Array.isArray(v) && !isTyped) protoError(at, `expected a list, got ${describe(v)}`);
      const list = v as ArrayLike<unknown>;
      if (list.length === 0) continue;
      if (field.resolvedType instanceof protobuf.Type) {
        const rt = field.resolvedType;
        out[key] = Array.from(list, (x, i) => canonMessage(rt, x, `${at}[${i}]`));
      } else {
        const st = scalarType(field);
        // Float typed arrays hold only numbers; skip the per-element check for big weights.
        if (!((st === 'float' || st === 'double') && (v instanceof Float32Array || v instanceof Float64Array))) {
          for (let i = 0; i < list.length; i++) checkScalar(st, list[i], `${at}[${i}]`);
        }
        out[key] = v;
      }
    } else {
      const c = canonValue(field, v, at);
      if (field.partOf === null && !(field.resolvedType instanceof protobuf.Type) && isDefaultScalar(c)) continue;
      out[key] = c;
    }
  }
  for (const o of type.oneofsArray) {
    const set = o.oneof.filter((n) => out[n] !== undefined);
    if (set.length > 1) protoError(path, `${type.name}.${o.name} is a oneof: set at most one of ${o.oneof.join(', ')}, found ${set.join(' and ')}`);
  }
  return out;
}

/**
 * Checks a message against the schema and returns its canonical form (see the module doc).
 * Throws `E_PROTO` naming the path of the first offending field.
 */
export function canonicalMessage(fullName: string, msg: unknown, where: string = fullName.split('.').pop() ?? fullName): Obj {
  return canonMessage(messageType(fullName), msg, where);
}

/** Encodes any message of the schema, deterministically. */
export function encodeMessage(fullName: string, msg: unknown, where?: string): Uint8Array {
  const type = messageType(fullName);
  const canon = canonMessage(type, msg, where ?? type.name);
  const buf = type.encode(canon as unknown as protobuf.Message).finish();
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

interface LongLike {
  readonly low: number;
  readonly high: number;
  readonly unsigned?: boolean;
}

function isLongLike(v: unknown): v is LongLike {
  return typeof v === 'object' && v !== null && typeof (v as LongLike).low === 'number' && typeof (v as LongLike).high === 'number';
}

function longToNumber(v: unknown, unsigned: boolean, path: string): number {
  if (typeof v === 'number') return v;
  if (!isLongLike(v)) throw emitError('E_PROTO_DECODE', `${path}: expected a 64-bit integer, got ${describe(v)}`, { where: path });
  const big = (BigInt(unsigned ? v.high >>> 0 : v.high | 0) << 32n) | BigInt(v.low >>> 0);
  const n = Number(big);
  if (!Number.isSafeInteger(n)) {
    throw emitError('E_PROTO_DECODE', `${path}: 64-bit value ${big.toString()} is outside the safe integer range of JavaScript numbers`, { where: path });
  }
  return n;
}

function plainValue(field: PbField, v: unknown, path: string): unknown {
  const t = field.resolvedType;
  if (t instanceof protobuf.Type) return plainMessage(t, v as Obj, path);
  if (LONG_TYPES.has(field.type)) return longToNumber(v, field.type === 'uint64' || field.type === 'fixed64', path);
  if (v instanceof Uint8Array) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  return v;
}

function plainMessage(type: PbType, msg: Obj, path: string): Obj {
  const out: Obj = {};
  for (const field of type.fieldsArray) {
    if (!Object.prototype.hasOwnProperty.call(msg, field.name)) continue;
    const v = msg[field.name];
    if (v === null || v === undefined) continue;
    const at = `${path}.${field.name}`;
    if (field.map) {
      const keys = Object.keys(v as Obj);
      if (keys.length === 0) continue;
      const m: Obj = {};
      for (const k of keys) setOwn(m, k, plainValue(field, (v as Obj)[k], `${at}[${k}]`));
      out[field.name] = m;
    } else if (field.repeated) {
      const list = v as ArrayLike<unknown>;
      if (list.length === 0) continue;
      out[field.name] = Array.from(list, (x, i) => plainValue(field, x, `${at}[${i}]`));
    } else {
      const p = plainValue(field, v, at);
      if (field.partOf === null && !(field.resolvedType instanceof protobuf.Type) && isDefaultScalar(p)) continue;
      out[field.name] = p;
    }
  }
  return out;
}

/** Decodes any message of the schema; malformed bytes are an `E_PROTO_DECODE` error. */
export function decodeMessage(fullName: string, bytes: Uint8Array, where?: string): Obj {
  const type = messageType(fullName);
  const at = where ?? type.name;
  let msg: protobuf.Message;
  try {
    msg = type.decode(bytes);
  } catch (e) {
    throw emitError('E_PROTO_DECODE', `${at}: not a valid serialized ${type.name} (${e instanceof Error ? e.message : String(e)}; ${bytes.length} bytes)`, { where: at, cause: e });
  }
  return plainMessage(type, msg as unknown as Obj, at);
}

/** Serializes a Core ML model (the bytes of model.mlmodel). */
export function encodeModel(model: CoreMLModel): Uint8Array {
  return encodeMessage(MODEL_TYPE, model, 'Model');
}

/** Parses the bytes of a model.mlmodel. */
export function decodeModel(bytes: Uint8Array, where = 'Model'): CoreMLModel {
  return decodeMessage(MODEL_TYPE, bytes, where) as CoreMLModel;
}

/** The canonical form of a model: what {@link decodeModel} returns for {@link encodeModel}'s bytes, up to typed lists. */
export function canonicalModel(model: CoreMLModel): CoreMLModel {
  return canonicalMessage(MODEL_TYPE, model, 'Model') as CoreMLModel;
}
