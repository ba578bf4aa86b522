/**
 * The name and version this package writes into model metadata (kept equal to package.json by
 * a test).
 * @module
 */

/** npm name of this package. */
export const PACKAGE_NAME = '@fastvlm/emit-coreml';
/** npm version of this package. */
export const PACKAGE_VERSION = '0.1.0';
