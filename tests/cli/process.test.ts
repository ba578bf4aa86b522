/**
 * The real executable (`tsx --conditions=source packages/cli/src/main.ts`, as `npm run fastvlm`
 * runs it): exit statuses, plain progress lines when stderr is not a terminal, and errors
 * without stack traces.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnCli, tempDir } from './helpers.js';

const tmp = tempDir('process');
afterAll(() => tmp.remove());

describe('fastvlm as a process', () => {
  it('exits 0 for --help, 2 for a bad flag, 1 for a library error', () => {
    const help = spawnCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: fastvlm <command>/);

    const bad = spawnCli(['compile', '--model', 'tiny', '--target', 'ios14', '--out', tmp.dir]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe("error E_CLI_USAGE: --target: unknown value 'ios14'; allowed: ios15, ios16, ios17, ios18 (did you mean 'ios15'?)\nRun 'fastvlm compile --help' for usage.\n");

    const missing = join(tmp.dir, 'none.mlpackage');
    const fail = spawnCli(['inspect', missing]);
    expect(fail.code).toBe(1);
    expect(fail.stderr).toBe(`error E_PACKAGE: ${missing}: does not exist [at ${missing}]\n`);
  });

  it('compiles with plain progress lines on stderr and the summary on stdout', () => {
    const out = join(tmp.dir, 'out');
    const r = spawnCli(['compile', '--model', 'tiny', '--parts', 'llm', '--out', out]);
    expect(r.code).toBe(0);
    // No terminal control anywhere (a carriage return or an escape sequence inside a line is a
    // redraw), and every line is a progress line of the one task.
    expect(r.stderr).not.toMatch(/[\r\x1b]/);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines.filter((l) => !l.startsWith('tiny-llm: '))).toEqual([]);
    expect(lines.slice(0, 3)).toEqual(['tiny-llm: build (fp16, synthetic weights, seed 0)', 'tiny-llm: lower (ios18)', 'tiny-llm: weights']);
    expect(lines.filter((l) => /^tiny-llm: weights [\d.]+ kB \/ [\d.]+ kB \((2[5-9]|[3-9]\d)%\)$/.test(l)).length).toBe(3);
    expect(lines[lines.length - 2]).toMatch(/^tiny-llm: write \([\d.]+ kB of weights streamed\)$/);
    expect(lines[lines.length - 1]).toMatch(new RegExp(`^tiny-llm: wrote ${join(out, 'tiny-llm.mlpackage')} \\([\\d.]+ kB\\) in \\d+ ms$`));
    expect(r.stdout).toMatch(/^Compiled tiny for ios18 \(fp16, passes none\) into /);
    expect(r.stdout).toMatch(/^tiny-llm\.mlpackage +embed, embed_token, prefill, decode +\d+ +78,400 +/m);
    expect(existsSync(join(out, 'tiny-llm.mlpackage', 'Manifest.json'))).toBe(true);
  });
});
