#!/usr/bin/env node
/**
 * The `fastvlm` executable: runs {@link main} on the process's arguments and exits with its
 * status.
 * @module
 */
import { main } from './cli.js';

// `npm run fastvlm -- ...` runs in the repository root; relative paths the user typed are
// meant from where they typed them.
if (process.env.npm_lifecycle_event === 'fastvlm' && process.env.INIT_CWD) process.chdir(process.env.INIT_CWD);

process.exitCode = await main(process.argv.slice(2));
