/**
 * The vitest configuration Stryker runs (`npm run mutate`): the unit tests of the mutated
 * package only (FASTVLM_MUTATE_TESTS, set by scripts/mutate.ts), no type tests, no
 * cross-package or conformance suites (they rerun whole pipelines for every mutant).
 *
 * The workspace packages resolve to the sources beside this file. Stryker runs the tests in a
 * copy of the tree (its sandbox) whose node_modules is a link to the real one, where
 * `@fastvlm/<name>` links back to the real packages: without the aliases a test would import a
 * package from the real tree and its relative imports from the copy, two module instances (two
 * op registries) that do not see each other, and mutants reached through a package name would
 * never run.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = dirname(fileURLToPath(import.meta.url));
const include = (process.env.FASTVLM_MUTATE_TESTS ?? 'packages/*/src/**/*.test.ts').split(',');
const packages = readdirSync(join(root, 'packages'), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);

export default defineConfig({
  resolve: {
    conditions: ['source'],
    alias: packages.map((name) => ({ find: new RegExp(`^@fastvlm/${name}$`), replacement: join(root, 'packages', name, 'src', 'index.ts') })),
  },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    include,
    testTimeout: 60_000,
    hookTimeout: 600_000,
  },
});
