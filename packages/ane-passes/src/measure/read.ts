/**
 * Reading an ane-bench result (tools/ane-bench/ane-bench.swift): JSON, checked against the one
 * schema file (ane-bench.schema.json) and, when the package is given, against its content hash.
 * @module
 */
import * as fs from 'node:fs';
import { measureError } from './errors.js';
import { type JsonSchema, validateJson } from './json-schema.js';
import schemaJson from './ane-bench.schema.json' with { type: 'json' };
import type { AneBenchResult } from './bench-types.generated.js';
import { packageContentHash } from './hash.js';

/** The result schema (the one definition the Swift types are generated from). */
export const ANE_BENCH_SCHEMA: JsonSchema = schemaJson as unknown as JsonSchema;

/** The schema name and version this reader reads. */
export const ANE_BENCH_VERSION = 'fastvlm.ane-bench/1';

/** Fills the nullable fields a Swift encoder left out with null. */
function withNulls(value: unknown, schema: JsonSchema): unknown {
  if (Array.isArray(value)) return schema.items ? value.map((v) => withNulls(v, schema.items!)) : value;
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  const obj = value as Record<string, unknown>;
  for (const [k, sub] of Object.entries(schema.properties ?? {})) {
    if (k in obj) out[k] = withNulls(obj[k], sub);
    else if ((typeof sub.type === 'string' ? [sub.type] : sub.type).includes('null')) out[k] = null;
  }
  for (const [k, v] of Object.entries(obj)) if (!(k in out)) out[k] = schema.additionalProperties ? withNulls(v, schema.additionalProperties) : v;
  return out;
}

/**
 * Parses and checks an ane-bench result held in `text` (from `file`, for messages). Errors:
 * `E_MEASURE_READ` (not JSON), `E_MEASURE_VERSION` (another schema name or version),
 * `E_MEASURE_SCHEMA` (a field that breaks the schema, named by its path).
 */
export function parseBenchResult(text: string, file: string): AneBenchResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw measureError('E_MEASURE_READ', `${file}: not valid JSON: ${e instanceof Error ? e.message : String(e)}`, { where: file, cause: e });
  }
  const version = json !== null && typeof json === 'object' ? (json as Record<string, unknown>)['schema'] : undefined;
  if (version !== ANE_BENCH_VERSION) {
    throw measureError('E_MEASURE_VERSION', `${file}: schema ${JSON.stringify(version)} is not one this reader knows (${ANE_BENCH_VERSION}); rerun tools/ane-bench/ane-bench.swift from this version of the toolkit`, {
      where: `${file}: schema`,
      details: { found: String(version), expected: ANE_BENCH_VERSION },
    });
  }
  const problem = validateJson(json, ANE_BENCH_SCHEMA);
  if (problem) throw measureError('E_MEASURE_SCHEMA', `${file}: ${problem}`, { where: `${file}: ${problem.split(':')[0]}` });
  return withNulls(json, ANE_BENCH_SCHEMA) as AneBenchResult;
}

/**
 * Reads an ane-bench result file. With `packagePath`, the result must have been measured on that
 * package: its `package.sha256` must equal the package's content hash (`E_MEASURE_PACKAGE`
 * otherwise, naming both hashes).
 */
export function readBenchResult(file: string, opts: { packagePath?: string } = {}): AneBenchResult {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw measureError('E_MEASURE_READ', `${file}: cannot read: ${e instanceof Error ? e.message : String(e)}`, { where: file, cause: e });
  }
  const result = parseBenchResult(text, file);
  if (opts.packagePath !== undefined) {
    const hash = packageContentHash(opts.packagePath);
    if (hash !== result.package.sha256) {
      throw measureError('E_MEASURE_PACKAGE', `${file}: measured package ${result.package.path} (sha256 ${result.package.sha256.slice(0, 12)}...), not ${opts.packagePath} (sha256 ${hash.slice(0, 12)}...); measure this package or pass the one measured`, {
        where: `${file}: package.sha256`,
        details: { found: result.package.sha256, expected: hash },
      });
    }
  }
  return result;
}
