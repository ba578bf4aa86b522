/**
 * @fastvlm/report: the ANE analysis as one self-contained HTML page (`fastvlm analyze --html`,
 * `fastvlm compile --report --html`): modeled time by name scope as a treemap you open from
 * blocks down to ops, the placement strip with the bytes between segments, the findings with
 * severity filters and their fixes, before/after the passes, the weights' bits, the device and
 * the model's calibration error, and on-device measurements next to the model.
 * ```ts
 * import { analyzeProgram } from '@fastvlm/ane-passes';
 * import { reportPage, writeReportHtml, calibrationOf } from '@fastvlm/report';
 * const analysis = analyzeProgram(program, { device: 'a17pro' });
 * writeReportHtml('report.html', reportPage({ title: 'my model', analysis, latencyNote: '', calibration: calibrationOf() }));
 * ```
 * @packageDocumentation
 */
export * from './page-data.js';
export { renderReportHtml, chartLibrarySource } from './render.js';
export { writeReportHtml } from './write.js';
export { calibrationOf } from './calibration.js';
export { joinMeasurement, rankCorrelation } from './join.js';
