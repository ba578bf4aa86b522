/**
 * The CLI's version (kept equal to packages/cli/package.json's).
 * @module
 */

/** Version printed by `fastvlm --version`. */
export const CLI_VERSION = '0.1.0';
