/**
 * `npm run mutate [-- PATH...]`: mutation testing with Stryker (vitest runner, TypeScript
 * checker), by hand, not in CI. Each PATH (a directory or a file under packages/<pkg>/src;
 * default: the three targets below, one after the other) is mutated against the tests beside it
 * (the test files under its directory), in incremental mode: results are kept in reports/mutation/<target>.incremental.json
 * (gitignored), so a rerun only tests the mutants of changed code or changed tests. Reports:
 * reports/mutation/<target>/index.html and mutation.json; the score is printed per file.
 *
 * Options (environment): FASTVLM_MUTATE_CONCURRENCY (test runners, default 2; the machine is
 * shared), FASTVLM_MUTATE_FORCE=1 (ignore the incremental file), FASTVLM_MUTATE_TESTS (test file
 * globs, comma-separated, instead of those beside the target). docs/testing.md says how to read a result.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Stryker } from '@stryker-mutator/core';
import type { PartialStrykerOptions } from '@stryker-mutator/api/core';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));

/** The directories whose mutation scores are tracked (docs/testing.md). */
export const MUTATION_TARGETS = ['packages/graph/src/ops', 'packages/ane-passes/src/passes', 'packages/emit-coreml/src/lower'] as const;

/** Test-only files under a target: never mutated. */
const NOT_MUTATED = ['!**/*.test.ts', '!**/*.test-d.ts', '!**/testing/**', '!**/*.generated.ts'];

/** The Stryker options for one target path (repository-relative). */
export function strykerOptions(target: string, env: NodeJS.ProcessEnv = process.env): PartialStrykerOptions {
  const m = /^packages\/([^/]+)\/src(\/|$)/.exec(target);
  if (!m) throw new Error(`mutate: ${target} is not under packages/<package>/src`);
  const pkg = m[1]!;
  const isFile = statSync(join(ROOT, target)).isFile();
  const slug = target.replace(/^packages\//, '').replace(/\/src\/?/, '-').replace(/[/.]/g, '-').replace(/-+$/, '');
  const out = `reports/mutation/${slug}`;
  return {
    mutate: isFile ? [target] : [`${target}/**/*.ts`, ...NOT_MUTATED],
    testRunner: 'vitest',
    vitest: { configFile: 'vitest.mutate.config.ts', related: false },
    checkers: ['typescript'],
    tsconfigFile: `packages/${pkg}/tsconfig.json`,
    typescriptChecker: { prioritizePerformanceOverAccuracy: true },
    // Per-test coverage: each mutant runs only the tests that reach it.
    coverageAnalysis: 'perTest',
    // Module-level code (op definition objects, pattern lists) runs at import: its mutants would
    // need every test for each; they are left out of the run and of the score.
    ignoreStatic: true,
    incremental: true,
    incrementalFile: `${out}.incremental.json`,
    force: env.FASTVLM_MUTATE_FORCE === '1',
    concurrency: Number(env.FASTVLM_MUTATE_CONCURRENCY ?? 2),
    reporters: ['clear-text', 'progress-append-only', 'html', 'json'],
    htmlReporter: { fileName: `${out}/index.html` },
    jsonReporter: { fileName: `${out}/mutation.json` },
    clearTextReporter: { allowColor: false, logTests: false, reportMutants: false, reportScoreTable: true },
    tempDirName: '.stryker-tmp',
    ignorePatterns: ['.venv', 'reports', 'docs', 'benchmarks', 'examples', '.stryker-tmp', 'dist', 'build', 'coverage'],
    thresholds: { high: 85, low: 75, break: null },
    timeoutMS: 10_000,
    cleanTempDir: 'always',
  };
}

async function main(): Promise<void> {
  const targets = process.argv.slice(2).map((p) => relative(ROOT, resolve(p)).replace(/\\/g, '/'));
  const userTests = process.env.FASTVLM_MUTATE_TESTS;
  for (const t of targets.length ? targets : MUTATION_TARGETS) {
    if (!existsSync(join(ROOT, t))) throw new Error(`mutate: ${t} does not exist`);
    // Read by vitest.mutate.config.ts in Stryker's test-runner processes.
    // The tests beside the code (a file's directory): they are the ones meant to pin it down.
    const dir = statSync(join(ROOT, t)).isFile() ? dirname(t) : t;
    process.env.FASTVLM_MUTATE_TESTS = userTests ?? `${dir}/**/*.test.ts`;
    const started = Date.now();
    console.log(`mutate: ${t} against ${process.env.FASTVLM_MUTATE_TESTS}`);
    const results = await new Stryker(strykerOptions(t)).runMutationTest();
    const count = (s: string): number => results.filter((r) => r.status === s).length;
    const killed = count('Killed') + count('Timeout');
    const survived = count('Survived') + count('NoCoverage');
    const score = killed + survived === 0 ? 100 : (100 * killed) / (killed + survived);
    console.log(`mutate: ${t}: score ${score.toFixed(1)}% (${killed} killed or timed out, ${count('Survived')} survived, ${count('NoCoverage')} not covered, ${count('CompileError')} not compiling, ${count('Ignored')} ignored) in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
