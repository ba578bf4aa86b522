import { describe, expect, it } from 'vitest';

import { buildManifest, contentIdentifier, findWeightsItem, isContainedRelativePath, parseManifest, serializeManifest } from './manifest.js';
import { errorCode } from '../../../graph/src/testing/errors.js';

const UUID8 = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('manifest building', () => {
  it('derives lower-case UUID identifiers from the content and the path', () => {
    const a = contentIdentifier('com.apple.CoreML/model.mlmodel', new Uint8Array([1, 2, 3]));
    expect(a).toMatch(UUID8);
    expect(contentIdentifier('com.apple.CoreML/model.mlmodel', new Uint8Array([1, 2, 3]))).toBe(a);
    expect(contentIdentifier('com.apple.CoreML/weights', new Uint8Array([1, 2, 3]))).not.toBe(a);
    expect(contentIdentifier('com.apple.CoreML/model.mlmodel', new Uint8Array([1, 2, 4]))).not.toBe(a);
  });

  it('serializes like coremltools: sorted keys, four spaces, final newline', () => {
    const m = buildManifest(new Uint8Array([9]), true);
    const ids = Object.keys(m.itemInfoEntries);
    const modelId = m.rootModelIdentifier;
    const weightsId = ids.find((i) => i !== modelId)!;
    const [first, second] = [modelId, weightsId].sort() as [string, string];
    const item = (id: string): string =>
      id === modelId
        ? `        "${id}": {\n            "author": "com.apple.CoreML",\n            "description": "CoreML Model Specification",\n            "name": "model.mlmodel",\n            "path": "com.apple.CoreML/model.mlmodel"\n        }`
        : `        "${id}": {\n            "author": "com.apple.CoreML",\n            "description": "CoreML Model Weights",\n            "name": "weights",\n            "path": "com.apple.CoreML/weights"\n        }`;
    const want = `{\n    "fileFormatVersion": "1.0.0",\n    "itemInfoEntries": {\n${item(first)},\n${item(second)}\n    },\n    "rootModelIdentifier": "${modelId}"\n}\n`;
    expect(serializeManifest(m)).toBe(want);
    expect(parseManifest(want)).toEqual(m);
    expect(findWeightsItem(m)?.[0]).toBe(weightsId);
    expect(Object.keys(buildManifest(new Uint8Array([9]), false).itemInfoEntries)).toEqual([modelId]);
  });
});

describe('manifest validation', () => {
  const good = (): Record<string, unknown> => JSON.parse(serializeManifest(buildManifest(new Uint8Array([1]), true))) as Record<string, unknown>;
  const entries = (o: Record<string, unknown>): Record<string, Record<string, unknown>> => o.itemInfoEntries as Record<string, Record<string, unknown>>;
  const cases: [string, (o: Record<string, unknown>) => unknown][] = [
    ['a newer version', (o) => ({ ...o, fileFormatVersion: '1.1.0' })],
    ['no version', (o) => ({ ...o, fileFormatVersion: undefined })],
    ['entries not an object', (o) => ({ ...o, itemInfoEntries: [] })],
    ['entry missing a key', (o) => { delete Object.values(entries(o))[0]!.description; return o; }],
    ['entry key not a string', (o) => { Object.values(entries(o))[0]!.name = 3; return o; }],
    ['path leaving the package', (o) => { Object.values(entries(o))[0]!.path = 'com.apple.CoreML/../../etc'; return o; }],
    ['absolute path', (o) => { Object.values(entries(o))[0]!.path = '/etc/passwd'; return o; }],
    ['root naming no item', (o) => ({ ...o, rootModelIdentifier: 'nope' })],
    ['root not a string', (o) => ({ ...o, rootModelIdentifier: 1 })],
    ['top level an array', () => []],
  ];
  for (const [name, edit] of cases) {
    it(`rejects ${name} with E_MANIFEST`, () => {
      expect(errorCode(() => parseManifest(JSON.stringify(edit(good())), 'pkg/Manifest.json'))).toBe('E_MANIFEST');
    });
  }
  it('rejects text that is not JSON', () => {
    expect(errorCode(() => parseManifest('{"fileFormatVersion": '))).toBe('E_MANIFEST');
  });
  it('judges relative paths', () => {
    expect(['a/b', 'com.apple.CoreML/weights', 'a/./b'].map(isContainedRelativePath)).toEqual([true, true, true]);
    expect(['', '..', 'a/../b', '/a', 'C:/x', 'a\\..\\b'].map(isContainedRelativePath)).toEqual([false, false, false, false, false, false]);
  });
});
