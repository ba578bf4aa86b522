/**
 * A small model for package tests (not exported from the package entry): `y = linear(x, W) + b`
 * with W in weight.bin (twice, to exercise deduplication) and b inline. `variant` changes the
 * weights and names so two packages differ in every file.
 * @module
 */
import { blobValue, constOp, milFunction, milOp, mlProgramModel, opsetOf } from '../mil/build.js';
import { arrayFeature, namedValue, tensorType } from '../mil/types.js';
import { packElements } from '../mil/elements.js';
import { immediateTensor } from '../mil/values.js';
import type { CoreMLModel } from '../proto/model-types.js';
import type { BlobWriter } from '../weights/blob-writer.js';

/** Weight values of a variant (exact in fp16). */
export function sampleWeights(variant: number): number[] {
  return Array.from({ length: 64 }, (_, i) => ((i * (variant + 3)) % 17) / 8 - 1);
}

/** Appends the weights and returns the model referring to them. */
export function sampleModel(variant: number): (w: BlobWriter) => CoreMLModel {
  return (w) => {
    const vals = sampleWeights(variant);
    const off = w.appendBytes('fp16', packElements('fp16', vals), { elements: 64, where: 'W' });
    const off2 = w.appendBytes('fp16', packElements('fp16', vals), { elements: 64, where: 'W2' });
    const spec = 8;
    const x = `x${variant}`;
    return mlProgramModel({
      specificationVersion: spec,
      functions: {
        main: milFunction({
          inputs: [namedValue(x, tensorType('fp16', [1, 8]))],
          opset: opsetOf(spec),
          operations: [
            constOp('W', blobValue('fp16', [8, 8], off)),
            constOp('W2', blobValue('fp16', [8, 8], off2)),
            constOp('b', immediateTensor('fp16', [8], [0, 1, 2, 3, 4, 5, 6, variant])),
            milOp('linear', { name: 'lin', inputs: { x, weight: 'W', bias: 'b' }, outputs: [namedValue('lin', tensorType('fp16', [1, 8]))] }),
            milOp('linear', { name: 'y', inputs: { x: 'lin', weight: 'W2' }, outputs: [namedValue('y', tensorType('fp16', [1, 8]))] }),
          ],
          outputs: ['y'],
        }),
      },
      input: [arrayFeature(x, 'fp16', [1, 8])],
      output: [arrayFeature('y', 'fp16', [1, 8])],
      metadata: { author: 'test', userDefined: { variant: String(variant) } },
    });
  };
}
