/**
 * Writing the page: through a temporary sibling and a rename, so a failed write leaves no half
 * page and never destroys the previous one.
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { graphError } from '@fastvlm/graph';
import type { ReportPage } from './page-data.js';
import { renderReportHtml } from './render.js';

/** Writes the HTML page of `page` to `file`; returns its size in bytes. */
export function writeReportHtml(file: string, page: ReportPage): number {
  const html = renderReportHtml(page);
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp-${process.pid}`);
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(tmp, html);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw graphError('E_IO', `${file}: could not write the report page: ${e instanceof Error ? e.message : String(e)}`, { where: file, cause: e });
  }
  return Buffer.byteLength(html);
}
