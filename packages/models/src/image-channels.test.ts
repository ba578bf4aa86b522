/**
 * `imageChannels: 'bgr'`: the vision function reads B, G, R and reverses them first, so the
 * network sees exactly what the RGB build sees.
 */
import { describe, expect, it } from 'vitest';
import { type Program, interpret, tensor } from '@fastvlm/graph';
import { buildFastVlm } from './build.js';
import { fastVlmError } from '../../graph/src/testing/errors.js';

const R = 64;

/** A deterministic image whose three channel planes differ. */
function planes(): number[][] {
  return [0, 1, 2].map((c) => Array.from({ length: R * R }, (_, i) => ((i * (c + 3) + c * 17) % 251) / 251));
}

function run(p: Program, chw: number[][]): Float32Array {
  return interpret(p, 'vision', { images: tensor('fp32', [1, 3, R, R], chw.flat()) }).get('image_features')!.data as Float32Array;
}

describe('imageChannels', () => {
  it('bgr on B, G, R planes gives bit-for-bit the rgb output on R, G, B planes', () => {
    const rgb = buildFastVlm('tiny', { parts: ['vision'], resolution: R, seed: 3 }).vision!;
    const bgr = buildFastVlm('tiny', { parts: ['vision'], resolution: R, seed: 3, imageChannels: 'bgr' }).vision!;
    const [r, g, b] = planes() as [number[], number[], number[]];
    const want = run(rgb, [r, g, b]);
    expect(run(bgr, [b, g, r])).toEqual(want);
    // Not a vacuous equality: the rgb build on B, G, R planes answers differently.
    expect(run(rgb, [b, g, r])).not.toEqual(want);
    const first = bgr.fn('vision').body.ops[0]!;
    expect(first.kind).toBe('slice');
    expect(first.attrs).toMatchObject({ begin: [0, 2, 0, 0], end: [1, -4, R, R], strides: [1, -1, 1, 1] });
    expect(rgb.fn('vision').body.ops.some((op) => op.kind === 'slice' && op.inputValues().includes(rgb.fn('vision').inputs[0]!))).toBe(false);
  });

  it('rejects other orders', () => {
    fastVlmError(() => buildFastVlm('tiny', { parts: ['vision'], imageChannels: 'rbg' as 'rgb' }), 'E_MODEL_OPTION');
  });
});
