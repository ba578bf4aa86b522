/**
 * The vitest configuration Stryker runs (`npm run mutate`): the unit tests of the mutated
 * package only (FASTVLM_MUTATE_TESTS, set by scripts/mutate.ts), no type tests, no
 * cross-package or conformance suites (they rerun whole pipelines for every mutant).
 */
import { defineConfig } from 'vitest/config';

const include = (process.env.FASTVLM_MUTATE_TESTS ?? 'packages/*/src/**/*.test.ts').split(',');

export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    include,
    testTimeout: 60_000,
    hookTimeout: 600_000,
  },
});
