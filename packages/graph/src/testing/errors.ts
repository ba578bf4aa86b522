/**
 * Error assertions shared by the tests of every package. The assertion that nothing was thrown
 * sits outside the `try`, so it is never caught and re-read as "the wrong error" (an
 * `expect.fail` inside `try` is caught by its own `catch`, which then fails with a misleading
 * message about an AssertionError). Test-only: not exported from the package entry.
 * @module
 */
import { expect } from 'vitest';
import { FastVlmError, isFastVlmError } from '../errors.js';

/** What `fn` threw. Fails the test, naming `what`, when `fn` returns instead. */
export function thrown(fn: () => unknown, what = 'the call'): unknown {
  let threw = false;
  let error: unknown;
  try {
    fn();
  } catch (e) {
    threw = true;
    error = e;
  }
  if (!threw) expect.fail(`expected ${what} to throw, but it returned`);
  return error;
}

/** What `p` (or the promise `p()` returns) rejected with. Fails the test when it resolves. */
export async function rejection(p: Promise<unknown> | (() => Promise<unknown>), what = 'the promise'): Promise<unknown> {
  let threw = false;
  let error: unknown;
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    threw = true;
    error = e;
  }
  if (!threw) expect.fail(`expected ${what} to reject, but it resolved`);
  return error;
}

/** Checks that `e` is a FastVlmError (with `code`, when given) and returns it. */
export function asFastVlmError(e: unknown, code?: string, what = 'the error'): FastVlmError {
  if (!(e instanceof FastVlmError)) expect.fail(`expected ${what} to be a FastVlmError${code ? ` ${code}` : ''}, got ${describeThrown(e)}`);
  if (code !== undefined) expect(e.code, `code of ${what}: ${e.message}`).toBe(code);
  return e;
}

/** The FastVlmError `fn` threw (with `code`, when given); fails clearly on anything else. */
export function fastVlmError(fn: () => unknown, code?: string, what = 'the call'): FastVlmError {
  return asFastVlmError(thrown(fn, what), code, `what ${what} threw`);
}

/** {@link fastVlmError} with `code` whose message mentions each of `mentions`. */
export function expectCode(fn: () => unknown, code: string, ...mentions: readonly string[]): FastVlmError {
  const e = fastVlmError(fn, code);
  for (const m of mentions) expect(e.message, `message of ${code}`).toContain(m);
  return e;
}

/** The FastVlmError `p` rejected with (with `code`, when given); fails clearly on anything else. */
export async function fastVlmRejection(p: Promise<unknown> | (() => Promise<unknown>), code?: string, what = 'the promise'): Promise<FastVlmError> {
  return asFastVlmError(await rejection(p, what), code, `what ${what} rejected with`);
}

/**
 * The outcome of `fn` as one comparable string: the code of the FastVlmError it threw,
 * `uncoded: <error>` for any other exception, `ok` when it returned. For tables of cases where
 * some succeed (`expect(errorCode(f)).toBe('E_ATTR')`, `.toBe('ok')`).
 */
export function errorCode(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return codeOf(e);
  }
  return 'ok';
}

/** {@link errorCode} of a promise. */
export async function errorCodeAsync(p: Promise<unknown> | (() => Promise<unknown>)): Promise<string> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    return codeOf(e);
  }
  return 'ok';
}

function codeOf(e: unknown): string {
  return isFastVlmError(e) ? e.code : `uncoded: ${describeThrown(e)}`;
}

function describeThrown(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return e === undefined ? 'undefined' : String(e);
}
