/** The api-check library, for in-process callers (`rehearse`): analyse logs, decide --fail-on, render. */
export { analyzeAccessLogs, type AnalyzeOptions } from './analyze.js';
export { failOnTriggered, FAIL_ON, type ApiCheckReport, type FailOn, type Finding, type FileSummary } from './report.js';
export { renderApiCheckReport } from './render.js';
export { LOG_FORMATS, type LogFormat } from './parse.js';
export { classify, rulesMarkdown, type Verdict } from './rules.js';
