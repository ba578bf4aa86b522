/**
 * On-device measurements: the result of tools/ane-bench/ane-bench.swift (types generated from the
 * one schema file), its reader, the package content hash that ties it to a package, and the
 * powermetrics import.
 * @module
 */
export { MeasureErrorCodes, type MeasureErrorCode, measureError } from './errors.js';
export type * from './bench-types.generated.js';
export { type JsonSchema, type JsonTypeName, type JsonValue, validateJson } from './json-schema.js';
export { ANE_BENCH_SCHEMA, ANE_BENCH_VERSION, parseBenchResult, readBenchResult } from './read.js';
export { packageContentHash } from './hash.js';
export { type PlistValue, parsePlist, parsePlistStream } from './plist.js';
export { summarisePowermetrics, importPowermetrics } from './powermetrics.js';
