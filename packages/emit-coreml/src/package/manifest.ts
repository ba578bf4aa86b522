/**
 * Manifest.json of an .mlpackage: building it (deterministic identifiers, sorted keys, the
 * layout coremltools writes) and validating one read from disk.
 * @module
 */
import { createHash } from 'node:crypto';
import { emitError } from '../errors.js';

/** The only package format version. */
export const MANIFEST_FORMAT_VERSION = '1.0.0';
/** Author of the Core ML items. */
export const COREML_AUTHOR = 'com.apple.CoreML';
/** Item name, path (relative to `Data/`) and description of the model. */
export const MODEL_ITEM = { name: 'model.mlmodel', path: 'com.apple.CoreML/model.mlmodel', description: 'CoreML Model Specification' } as const;
/** Item name, path (a directory) and description of the weights. */
export const WEIGHTS_ITEM = { name: 'weights', path: 'com.apple.CoreML/weights', description: 'CoreML Model Weights' } as const;
/** File name of the weight file inside the weights directory. */
export const WEIGHT_FILE_NAME = 'weight.bin';

/** One item of the manifest. */
export interface ManifestItem {
  readonly author: string;
  readonly description: string;
  readonly name: string;
  /** Relative to the package's `Data/` directory. */
  readonly path: string;
}

/** The content of Manifest.json. */
export interface Manifest {
  readonly fileFormatVersion: string;
  readonly itemInfoEntries: Readonly<Record<string, ManifestItem>>;
  readonly rootModelIdentifier: string;
}

/**
 * A UUID-formatted identifier derived from content: SHA-256 of `path`, a zero byte and the
 * model bytes, first 16 bytes, with the RFC 9562 version 8 (custom) and variant bits set.
 */
export function contentIdentifier(path: string, modelBytes: Uint8Array): string {
  const h = createHash('sha256').update(path, 'utf8').update(new Uint8Array([0])).update(modelBytes).digest();
  h[6] = (h[6]! & 0x0f) | 0x80;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

/** The manifest of a package holding `modelBytes` and (when `withWeights`) a weights directory. */
export function buildManifest(modelBytes: Uint8Array, withWeights: boolean): Manifest {
  const modelId = contentIdentifier(MODEL_ITEM.path, modelBytes);
  const entries: Record<string, ManifestItem> = {
    [modelId]: { author: COREML_AUTHOR, description: MODEL_ITEM.description, name: MODEL_ITEM.name, path: MODEL_ITEM.path },
  };
  if (withWeights) {
    entries[contentIdentifier(WEIGHTS_ITEM.path, modelBytes)] = { author: COREML_AUTHOR, description: WEIGHTS_ITEM.description, name: WEIGHTS_ITEM.name, path: WEIGHTS_ITEM.path };
  }
  return { fileFormatVersion: MANIFEST_FORMAT_VERSION, itemInfoEntries: entries, rootModelIdentifier: modelId };
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (typeof v === 'object' && v !== null) {
    const o: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) o[k] = sortKeys((v as Record<string, unknown>)[k]);
    return o;
  }
  return v;
}

/** Manifest.json text: keys sorted, four-space indentation and a final newline, as coremltools writes it. */
export function serializeManifest(m: Manifest): string {
  return `${JSON.stringify(sortKeys(m), null, 4)}\n`;
}

function manifestError(path: string, message: string): never {
  throw emitError('E_MANIFEST', `${path}: ${message}`, { where: path });
}

/** True when `p` is a relative path that stays inside the directory it is relative to. */
export function isContainedRelativePath(p: string): boolean {
  if (p.length === 0 || p.startsWith('/') || p.startsWith('\\') || /^[A-Za-z]:/.test(p) || p.includes('\0')) return false;
  return p.split(/[\\/]/).every((seg) => seg !== '..');
}

/**
 * Parses and validates Manifest.json text: format version 1.0.0, every entry with the four
 * string keys and a path inside the package, and a root model identifier naming an entry.
 * (That each item exists on disk is checked by the package reader.)
 */
export function parseManifest(text: string, path = 'Manifest.json'): Manifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    manifestError(path, `not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) manifestError(path, 'expected a JSON object at the top level');
  const o = raw as Record<string, unknown>;
  if (o.fileFormatVersion !== MANIFEST_FORMAT_VERSION) {
    manifestError(path, `fileFormatVersion is ${JSON.stringify(o.fileFormatVersion)}, expected "${MANIFEST_FORMAT_VERSION}"`);
  }
  const entries = o.itemInfoEntries;
  if (typeof entries !== 'object' || entries === null || Array.isArray(entries)) manifestError(path, 'itemInfoEntries must be an object keyed by item identifier');
  const items: Record<string, ManifestItem> = {};
  for (const [id, e] of Object.entries(entries as Record<string, unknown>)) {
    if (typeof e !== 'object' || e === null || Array.isArray(e)) manifestError(path, `item ${id} must be an object`);
    const r = e as Record<string, unknown>;
    for (const k of ['author', 'description', 'name', 'path'] as const) {
      if (typeof r[k] !== 'string') manifestError(path, `item ${id} needs a string '${k}', found ${JSON.stringify(r[k]) ?? 'nothing'}`);
    }
    const item = { author: r.author as string, description: r.description as string, name: r.name as string, path: r.path as string };
    if (!isContainedRelativePath(item.path)) manifestError(path, `item ${id} has path ${JSON.stringify(item.path)}, which leaves the package's Data directory`);
    items[id] = item;
  }
  const root = o.rootModelIdentifier;
  if (typeof root !== 'string') manifestError(path, 'rootModelIdentifier must be a string');
  if (!Object.prototype.hasOwnProperty.call(items, root)) {
    manifestError(path, `rootModelIdentifier ${root} names no item (items: ${Object.keys(items).join(', ') || 'none'})`);
  }
  return { fileFormatVersion: MANIFEST_FORMAT_VERSION, itemInfoEntries: items, rootModelIdentifier: root };
}

/** The identifier and item of the weights directory (author com.apple.CoreML, name weights), if any. */
export function findWeightsItem(m: Manifest): [string, ManifestItem] | undefined {
  return Object.entries(m.itemInfoEntries).find(([, i]) => i.author === COREML_AUTHOR && i.name === WEIGHTS_ITEM.name);
}
