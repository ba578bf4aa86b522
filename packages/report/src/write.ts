/**
 * Writing the page through graph's atomic write: a failed write leaves no half page and never
 * destroys the previous one (E_IO / E_NO_SPACE naming the file).
 * @module
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeFileAtomic } from '@fastvlm/graph';
import type { ReportPage } from './page-data.js';
import { renderReportHtml } from './render.js';

/** Writes the HTML page of `page` to `file`; returns its size in bytes. */
export function writeReportHtml(file: string, page: ReportPage): number {
  // The page's folder may not exist yet (`--html build/report.html` before the first compile).
  mkdirSync(dirname(file), { recursive: true });
  return writeFileAtomic(file, renderReportHtml(page));
}
