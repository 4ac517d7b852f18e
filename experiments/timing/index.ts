// The timing study's public surface, for the CLI (cli.ts) and the app.
export { runTimingStudy, resolveOptions, buildSweeps, measurementId } from './study.js';
export type { TimingStudyOptions, TimingProgress } from './study.js';
export { timeMatrix, timeMatrixOp, matrixTimingReport } from './matrix.js';
export type { MatrixTimingOptions, MatrixTiming, MatrixReportOptions } from './matrix.js';
export { OP_PAIRS, OPS, PAPER_SIZES, planSizes, testName } from './cases.js';
export { fitLogLog, speedup } from './stats.js';
export { writeReports, toJson, toCsv, toMarkdown, toHtml, validateReport, REPORT_SCHEMA, reportJsonSchema, TimingReportSchema, CSV_COLUMNS, buildTableView } from './report/index.js';
export type { WrittenReport, ValidationError, JsonSchema } from './report/index.js';
export { resolvePython, PEER_NAMES } from './peers.js';
export * from './types.js';
