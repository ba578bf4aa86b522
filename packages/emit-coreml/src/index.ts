/**
 * @fastvlm/emit-coreml: our own Core ML schema (protobufjs), MIL value and op constructors, the
 * streaming weight.bin writer and reader, and the atomic .mlpackage writer and its reader.
 * @packageDocumentation
 */
export * from './errors.js';
export type { FsLayer, PathStat } from './fs-layer.js';
export { nodeFs } from './fs-layer.js';

export * from './proto/mil-types.js';
export * from './proto/model-types.js';
export { encodeModel, decodeModel, canonicalModel, encodeMessage, decodeMessage, canonicalMessage, type Obj as ProtoObject } from './proto/codec.js';

export * from './mil/dtypes.js';
export { type MilElements, packElements, unpackElements, fp8e4m3fnToNumber, fp8e5m2ToNumber } from './mil/elements.js';
export * from './mil/types.js';
export * from './mil/values.js';
export * from './mil/build.js';
export * from './mil/walk.js';
export * from './mil/count.js';

export {
  BLOB_ALIGNMENT, BLOB_HEADER_SIZE, BLOB_RECORD_SIZE, BLOB_SENTINEL, BLOB_STORAGE_VERSION, WEIGHT_FILE_REF, align64, type BlobRecord,
} from './weights/blob-format.js';
export * from './weights/blob-writer.js';
export * from './weights/blob-reader.js';

export {
  type Manifest, type ManifestItem, MANIFEST_FORMAT_VERSION, COREML_AUTHOR, MODEL_ITEM, WEIGHTS_ITEM, WEIGHT_FILE_NAME,
  buildManifest, contentIdentifier, parseManifest, serializeManifest, findWeightsItem,
} from './package/manifest.js';
export * from './package/write.js';
export * from './package/read.js';
export * from './compile.js';
