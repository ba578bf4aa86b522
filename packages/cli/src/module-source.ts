/**
 * `--module FILE [--export NAME]`: a user's module that builds a Program with the DSL, loaded
 * without a build step (TypeScript through tsx's loader when the process cannot load it yet).
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Program } from '@fastvlm/graph';
import { type ProgramSource, SOURCE_NAME_RE } from '@fastvlm/compiler';
import { cliError, usageError } from './errors.js';

const TS_EXTENSIONS = ['.ts', '.mts', '.cts', '.tsx'];

/** Imports `file`, registering the TypeScript loader when the process has none. */
async function importModule(file: string): Promise<Record<string, unknown>> {
  const url = pathToFileURL(file).href;
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code !== 'ERR_UNKNOWN_FILE_EXTENSION' || !TS_EXTENSIONS.includes(path.extname(file))) throw e;
  }
  // Registered for the whole process, so the module shares our copy of @fastvlm/graph (a
  // namespaced loader would load a second one, whose Programs are not ours).
  const { register } = await import('tsx/esm/api');
  register();
  // A new URL: the failed attempt is cached under the plain one.
  return (await import(`${url}?ts`)) as Record<string, unknown>;
}

const isBuilder = (v: unknown): boolean => v instanceof Program || typeof v === 'function';

/** The export to compile: `--export NAME`, else `default`, else the only Program or function. */
function pickExport(mod: Record<string, unknown>, file: string, name: string | undefined): [string, unknown] {
  const names = Object.keys(mod).filter((k) => k !== '__esModule').sort();
  if (name !== undefined) {
    if (!(name in mod)) throw usageError('--export', `${file} has no export '${name}'; its exports: ${names.join(', ') || 'none'}`, { found: name, allowed: names });
    return [name, mod[name]];
  }
  if (mod['default'] !== undefined) return ['default', mod['default']];
  const candidates = names.filter((k) => isBuilder(mod[k]));
  if (candidates.length === 1) return [candidates[0]!, mod[candidates[0]!]];
  throw usageError(
    '--export',
    candidates.length === 0
      ? `${file} exports no Program and no function (exports: ${names.join(', ') || 'none'}); export a Program or a function returning one`
      : `${file} exports several candidates (${candidates.join(', ')}) and no default; name one with --export`,
    { allowed: candidates },
  );
}

/**
 * Loads a user's module as a compile source: its export (a Program, or a function returning a
 * Program or a promise of one, called without arguments) under the name of the file (or the
 * export, when given). Errors: `E_IO` for a missing file, `E_CLI_MODULE` when the module fails
 * to load or its export builds no Program, usage errors for a bad `--export`.
 */
export async function loadModuleSource(file: string, exportName: string | undefined): Promise<ProgramSource> {
  const abs = path.resolve(file);
  if (!fs.existsSync(abs)) throw cliError('E_CLI_MODULE', `${abs}: no such file (--module)`, { where: abs });
  let mod: Record<string, unknown>;
  try {
    mod = await importModule(abs);
  } catch (e) {
    const text = e instanceof Error ? e.message : String(e);
    // A module outside a project that has our packages cannot import them.
    const hint = /Cannot find (package|module) '@fastvlm\//.test(text) ? ' (the module imports @fastvlm packages: install them in its project, e.g. npm install @fastvlm/graph, or keep the file inside this repository)' : '';
    throw cliError('E_CLI_MODULE', `${abs}: the module failed to load: ${text}${hint}`, { where: abs, cause: e });
  }
  const [key, value] = pickExport(mod, abs, exportName);
  const base = exportName ?? path.basename(abs).replace(/\.[^.]+$/, '');
  const name = SOURCE_NAME_RE.test(base) ? base : base.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+/, '') || 'model';
  const where = `${abs} (export ${key})`;
  return {
    kind: 'program',
    name,
    program: async () => {
      let p: unknown;
      try {
        p = typeof value === 'function' ? await (value as () => unknown)() : value;
      } catch (e) {
        // Coded errors of the DSL (shape mismatches...) keep their code.
        if (e instanceof Error && 'code' in e) throw e;
        throw cliError('E_CLI_MODULE', `${where}: building the program failed: ${e instanceof Error ? e.message : String(e)}`, { where, cause: e });
      }
      if (!(p instanceof Program)) {
        const found = p === null ? 'null' : typeof p === 'object' ? `an object of ${(p as object).constructor?.name ?? 'no class'}` : typeof p;
        throw cliError('E_CLI_MODULE', `${where}: expected a Program (graph().build()) ${typeof value === 'function' ? 'from the function' : 'as the export'}, found ${found}`, { where });
      }
      return p;
    },
  };
}
