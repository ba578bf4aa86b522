/**
 * Compiling your own model from a plain script with @fastvlm/compiler: the pipeline the
 * `fastvlm compile` command runs, as one function call with a progress callback.
 *
 *   npx tsx --conditions=source examples/own-model/compile.ts [OUT_DIR]
 */
import { compile } from '@fastvlm/compiler';
import tinyClassifier from './tiny-classifier.js';

/** Compiles the classifier for the Neural Engine into `out`, and returns the result. */
export async function compileClassifier(out: string, log: (line: string) => void = () => {}) {
  return compile(
    // `imageInputs` makes `image` a Core ML image input: apps pass a CVPixelBuffer.
    { kind: 'program', program: tinyClassifier, name: 'tiny-classifier', imageInputs: ['image'] },
    {
      out,
      passes: 'ane',
      compress: 'int8',
      imageInput: 'rgb',
      report: true,
      onProgress: (e) => {
        if (e.type === 'phase') log(`${e.task}: ${e.phase}${e.detail ? ` (${e.detail})` : ''}`);
        if (e.type === 'package') log(`wrote ${e.package.path}: ${e.package.ops} ops, ${e.package.weightBytes} bytes of weights`);
      },
    },
  );
}

// Run as a script (not when imported by the test).
if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await compileClassifier(process.argv[2] ?? 'build/own-model', (l) => console.log(l));
  for (const n of result.notes) console.log(`note: ${n}`);
  console.log(`report: ${result.reportPath}`);
}
