/**
 * Runs the Python helper scripts of the external-oracle (coremltools) conformance tests with the
 * repository's venv. When the venv's Python is missing, {@link pythonReady} fails the suite under
 * CI=true and otherwise prints a clear "conformance not run" message.
 * @module
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The venv interpreter (override with FASTVLM_PYTHON). */
export const VENV_PYTHON = process.env.FASTVLM_PYTHON ?? fileURLToPath(new URL('../../.venv/bin/python', import.meta.url));

/** Directory of the helper scripts. */
export const PY_DIR = fileURLToPath(new URL('./py/', import.meta.url));

/**
 * True when the venv's Python exists. When it does not: under CI=true this throws (the suite
 * must run there); otherwise it prints why the conformance checks are not run and returns false.
 */
export function pythonReady(suite: string): boolean {
  if (existsSync(VENV_PYTHON)) return true;
  const msg = `${suite}: conformance not run: ${VENV_PYTHON} is missing (create it with scripts/ensure-venv.sh)`;
  if (process.env.CI === 'true') throw new Error(`${msg}; CI=true requires the coremltools oracle`);
  console.warn(msg);
  return false;
}

/** Runs `py/<script>` with `args` and parses its stdout as JSON; stderr is shown on failure. */
export function runPythonJson<T>(script: string, args: readonly string[], timeoutMs = 120_000): T {
  let out: string;
  try {
    out = execFileSync(VENV_PYTHON, [`${PY_DIR}${script}`, ...args], {
      encoding: 'utf8',
      timeout: timeoutMs,
      maxBuffer: 64 << 20,
      env: { ...process.env, PYTHONWARNINGS: 'ignore', TQDM_DISABLE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`${script} failed: ${err.message}\n${err.stderr ?? ''}`);
  }
  return JSON.parse(out) as T;
}
