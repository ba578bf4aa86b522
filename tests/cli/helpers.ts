/**
 * Helpers of the CLI tests: run `fastvlm` in process (fast) or as a real process (exit codes,
 * stderr of a non-terminal), temporary directories, and naive readers of packages.
 * @module
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type MilBlock, readMlPackage } from '@fastvlm/emit-coreml';
import { type CliIo, captureIo, main } from '@fastvlm/cli';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The result of one CLI run. */
export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `fastvlm argv` in this process. */
export async function run(argv: readonly string[], opts: { stderrIsTTY?: boolean; fs?: CliIo['fs'] } = {}): Promise<RunResult> {
  const io = captureIo({ ...(opts.stderrIsTTY !== undefined ? { stderrIsTTY: opts.stderrIsTTY } : {}), ...(opts.fs ? { fs: opts.fs } : {}) });
  const code = await main(argv, io);
  return { code, stdout: io.stdoutText(), stderr: io.stderrText() };
}

/** Runs the real executable (`tsx --conditions=source packages/cli/src/main.ts`) as a child process. */
export function spawnCli(argv: readonly string[], timeoutMs = 120_000): RunResult {
  const tsx = join(ROOT, 'node_modules', '.bin', 'tsx');
  const r = spawnSync(tsx, ['--conditions=source', join(ROOT, 'packages/cli/src/main.ts'), ...argv], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: timeoutMs,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, FORCE_COLOR: '0' },
  });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A fresh temporary directory, removed by the returned function. */
export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `fastvlm-cli-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Every file under `dir` (relative paths, sorted) with its bytes. */
export function snapshot(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(dir, p), readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

/** Op types of a package's functions, counted naively (nested blocks included). */
export function milOpCounts(pkgPath: string): Map<string, Map<string, number>> {
  const pkg = readMlPackage(pkgPath);
  const out = new Map<string, Map<string, number>>();
  for (const [name, fn] of Object.entries(pkg.model.mlProgram?.functions ?? {})) {
    const counts = new Map<string, number>();
    const visit = (b: MilBlock | undefined): void => {
      for (const op of b?.operations ?? []) {
        counts.set(op.type ?? '?', (counts.get(op.type ?? '?') ?? 0) + 1);
        for (const nb of op.blocks ?? []) visit(nb);
      }
    };
    for (const b of Object.values(fn.blockSpecializations ?? {})) visit(b);
    out.set(name, counts);
  }
  return out;
}
