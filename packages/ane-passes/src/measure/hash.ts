/**
 * The content hash that ties a measurement to the package it measured: SHA-256 over every file
 * of the package directory, sorted by relative path (byte order), each as its path, NUL, its
 * size as 16 lower-case hex digits, NUL, then its bytes. tools/ane-bench/ane-bench.swift
 * computes the same.
 * @module
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { measureError } from './errors.js';

function files(root: string, rel = ''): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
    const r = rel === '' ? e.name : `${rel}/${e.name}`;
    if (e.isDirectory()) out.push(...files(root, r));
    else if (e.isFile()) out.push(r);
  }
  return out;
}

/** The content hash of the package directory `dir` (streamed: weights are read in 4 MiB chunks). */
export function packageContentHash(dir: string): string {
  let list: string[];
  try {
    list = files(dir);
  } catch (e) {
    throw measureError('E_MEASURE_READ', `${dir}: cannot list the package: ${e instanceof Error ? e.message : String(e)}`, { where: dir, cause: e });
  }
  // Byte order of UTF-8 paths (sort of the Buffers, not of UTF-16 strings).
  list.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const h = createHash('sha256');
  const chunk = Buffer.allocUnsafe(4 << 20);
  for (const rel of list) {
    const p = path.join(dir, rel);
    const size = fs.statSync(p).size;
    h.update(rel);
    h.update('\0');
    h.update(size.toString(16).padStart(16, '0'));
    h.update('\0');
    const fd = fs.openSync(p, 'r');
    try {
      for (let n; (n = fs.readSync(fd, chunk, 0, chunk.length, null)) > 0; ) h.update(chunk.subarray(0, n));
    } finally {
      fs.closeSync(fd);
    }
  }
  return h.digest('hex');
}
