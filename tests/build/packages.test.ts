/**
 * The published form of every package: tsup builds ESM + CJS + .d.ts, and both module systems
 * load the built entry and expose the public API.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const pkgJson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { workspaces: string[] };
/** One exported name per package that must exist in both builds. */
const PROBES: Record<string, string> = {
  'packages/graph': 'graph',
  'packages/ane-passes': 'PassManager',
  'packages/emit-coreml': 'compileToMlPackage',
  'packages/models': 'buildFastVlm',
  'packages/report': 'renderReportHtml',
  'packages/compiler': 'compile',
  'packages/cli': 'main',
};

describe('package builds', () => {
  beforeAll(() => {
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'pipe' });
  }, 600_000);

  for (const ws of pkgJson.workspaces) {
    it(`${ws}: ESM, CJS and .d.ts exist and load`, async () => {
      const dir = join(root, ws);
      const probe = PROBES[ws];
      expect(probe, `no probe export listed for ${ws}`).toBeDefined();
      for (const f of ['dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/index.d.cts']) {
        expect(existsSync(join(dir, f)), `${ws}/${f}`).toBe(true);
      }
      // A plain node process (no `source` condition, unlike the test runner): consumers resolve
      // sibling packages to their built dist/ files.
      const script = [
        `const cjs = require(${JSON.stringify(join(dir, 'dist/index.cjs'))});`,
        `import(${JSON.stringify(pathToFileURL(join(dir, 'dist/index.js')).href)}).then((esm) => {`,
        `  console.log(JSON.stringify({ cjs: typeof cjs[${JSON.stringify(probe)}], esm: typeof esm[${JSON.stringify(probe)}] }));`,
        `});`,
      ].join('\n');
      const env = { ...process.env };
      delete env.NODE_OPTIONS;
      const out = execFileSync(process.execPath, ['-e', script], { cwd: dir, env, encoding: 'utf8' });
      expect(JSON.parse(out.trim())).toEqual({ cjs: 'function', esm: 'function' });
      expect(readFileSync(join(dir, 'dist/index.d.ts'), 'utf8')).toContain(probe!);
    });
  }

  it('the built fastvlm executable compiles a TypeScript --module in plain node (no tsx runner)', () => {
    const out = mkdtempSync(join(tmpdir(), 'fastvlm-build-module-'));
    try {
      const env = { ...process.env };
      delete env.NODE_OPTIONS;
      const stdout = execFileSync(process.execPath, [join(root, 'packages/cli/dist/main.js'), 'compile', '--module', join(root, 'examples/own-model/tiny-classifier.ts'), '--out', out], { cwd: root, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      expect(stdout).toMatch(/^Compiled tiny-classifier for ios18 \(fp16, passes none\)/);
      expect(existsSync(join(out, 'tiny-classifier.mlpackage', 'Manifest.json'))).toBe(true);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 120_000);
});
