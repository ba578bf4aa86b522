/**
 * The .mlpackage reader: validates the manifest and the items it lists, decodes the root
 * model, and resolves weight references (`@model_path/weights/weight.bin` + offset) to bytes
 * and decoded tensors.
 * @module
 */
import { dirname, join, resolve } from 'node:path';
import { emitError, ioError } from '../errors.js';
import { type FsLayer, nodeFs } from '../fs-layer.js';
import { numel } from '@fastvlm/graph';
import type { MilDType } from '../mil/dtypes.js';
import { describeTensorType } from '../mil/types.js';
import { type MilTensor, decodeMilValue } from '../mil/values.js';
import { programValues } from '../mil/walk.js';
import { decodeModel } from '../proto/codec.js';
import type { MilBlobFileValue, MilValue } from '../proto/mil-types.js';
import type { CoreMLModel } from '../proto/model-types.js';
import { readBlob, readBlobRecord } from '../weights/blob-reader.js';
import { type Manifest, WEIGHT_FILE_NAME, findWeightsItem, isContainedRelativePath, parseManifest } from './manifest.js';

/** Options of {@link readMlPackage}. */
export interface ReadMlPackageOptions {
  readonly fs?: FsLayer;
}

/** A package read from disk. */
export interface MlPackage {
  /** Absolute path of the package directory. */
  readonly path: string;
  readonly manifest: Manifest;
  /** The decoded root model. */
  readonly model: CoreMLModel;
  /** Absolute path of the root model file. */
  readonly modelPath: string;
  /** Absolute path of weights/weight.bin, when the package has one. */
  readonly weightsPath: string | undefined;
  /** The data bytes of a referenced blob, after checking its record and dtype. */
  readBlob(ref: MilBlobFileValue, dtype: MilDType, where?: string): Uint8Array;
  /** Decodes a tensor value of the model, inline or from weight.bin. */
  value(v: MilValue, where?: string): MilTensor;
  /**
   * Checks that every blob reference of the program points at a valid blob of the declared dtype
   * and element count; returns how many references were checked.
   */
  checkBlobReferences(): number;
}

const MODEL_PATH_PREFIX = '@model_path/';

function packageError(path: string, message: string): never {
  throw emitError('E_PACKAGE', `${path}: ${message}`, { where: path });
}

/** Reads and validates the package at `path` (see {@link MlPackage}). */
export function readMlPackage(path: string, opts: ReadMlPackageOptions = {}): MlPackage {
  const fsl = opts.fs ?? nodeFs;
  const abs = resolve(path);
  const st = ioStat(fsl, abs);
  if (!st?.isDirectory) packageError(abs, st ? 'is not a directory' : 'does not exist');
  const manifestPath = join(abs, 'Manifest.json');
  const mst = ioStat(fsl, manifestPath);
  if (!mst?.isFile) throw emitError('E_MANIFEST', `${manifestPath}: missing (every .mlpackage has a Manifest.json)`, { where: manifestPath });
  const text = new TextDecoder().decode(read(fsl, manifestPath));
  const manifest = parseManifest(text, manifestPath);
  const dataDir = join(abs, 'Data');
  for (const [id, item] of Object.entries(manifest.itemInfoEntries)) {
    if (!ioStat(fsl, join(dataDir, item.path))) packageError(abs, `item ${id} (${item.name}) lists path Data/${item.path}, which does not exist`);
  }
  const rootItem = manifest.itemInfoEntries[manifest.rootModelIdentifier]!;
  const modelPath = join(dataDir, rootItem.path);
  if (!ioStat(fsl, modelPath)?.isFile) packageError(abs, `the root model Data/${rootItem.path} is not a file`);
  const model = decodeModel(read(fsl, modelPath), modelPath);
  const w = findWeightsItem(manifest);
  let weightsPath: string | undefined;
  if (w) {
    const dir = join(dataDir, w[1].path);
    if (!ioStat(fsl, dir)?.isDirectory) packageError(abs, `the weights item Data/${w[1].path} is not a directory`);
    const wb = join(dir, WEIGHT_FILE_NAME);
    if (ioStat(fsl, wb)?.isFile) weightsPath = wb;
  }
  const modelDir = dirname(modelPath);

  const fileOf = (ref: MilBlobFileValue, where: string): string => {
    const name = ref.fileName ?? '';
    if (!name.startsWith(MODEL_PATH_PREFIX) || !isContainedRelativePath(name.slice(MODEL_PATH_PREFIX.length))) {
      packageError(abs, `${where}: weight reference '${name}' is not a path under @model_path/`);
    }
    const file = join(modelDir, name.slice(MODEL_PATH_PREFIX.length));
    if (!ioStat(fsl, file)?.isFile) packageError(abs, `${where}: weight file '${name}' does not exist in the package`);
    return file;
  };
  const readRef = (ref: MilBlobFileValue, dtype: MilDType, where = 'value'): Uint8Array => readBlob(fileOf(ref, where), ref.offset ?? 0, dtype, { fs: fsl }).data;

  return {
    path: abs,
    manifest,
    model,
    modelPath,
    weightsPath,
    readBlob: readRef,
    value: (v, where = 'value') => decodeMilValue(v, readRef, where),
    checkBlobReferences: () => {
      let n = 0;
      for (const { path: at, value } of programValues(model.mlProgram ?? {})) {
        const ref = value.blobFileValue;
        if (!ref) continue;
        const { dtype, shape } = describeTensorType(value.type, at);
        if (shape.some((d) => d === null)) throw emitError('E_VALUE', `${at}: a weight must have a static shape`, { where: at });
        const want = numel(shape as number[], at);
        const rec = readBlobRecord(fileOf(ref, at), ref.offset ?? 0, { fs: fsl });
        if (rec.dtype !== dtype) throw emitError('E_BLOB_DTYPE', `${at}: declared ${dtype}, the blob at ${rec.offset} holds ${rec.dtype}`, { where: at });
        if (rec.elements !== want) {
          throw emitError('E_BLOB_SIZE', `${at}: declared ${want} elements, the blob at ${rec.offset} holds ${rec.elements}`, { where: at, details: { expected: want, found: rec.elements } });
        }
        n++;
      }
      return n;
    },
  };
}

function ioStat(fsl: FsLayer, p: string): ReturnType<FsLayer['statSync']> {
  try {
    return fsl.statSync(p);
  } catch (e) {
    throw ioError(e, 'inspect', p);
  }
}

function read(fsl: FsLayer, p: string): Uint8Array {
  try {
    return fsl.readFileSync(p);
  } catch (e) {
    throw ioError(e, 'read', p);
  }
}
