import { defineConfig } from 'tsup';

const dts = { compilerOptions: { ignoreDeprecations: '6.0', composite: false, incremental: false } };

export default defineConfig([
  // The library entry, for embedding: ESM and CommonJS.
  {
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts,
    sourcemap: true,
    clean: true,
    target: 'node20',
  },
  // The `fastvlm` executable (bin -> dist/main.js): ESM only, it uses top-level await.
  {
    entry: ['src/main.ts'],
    format: ['esm'],
    sourcemap: true,
    target: 'node20',
  },
]);
