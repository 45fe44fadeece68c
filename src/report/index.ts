export type { Severity, RuleMeta, Location, Finding, Subject, ReportError, Skipped, Report, FindingDraft, InventoryEntry } from './types.js';
export { SEVERITIES } from './types.js';
export { fingerprintOf, finaliseFindings } from './fingerprint.js';
export { severityRank, atLeast, compareFindings } from './order.js';
export { renderJson } from './render-json.js';
export { renderSarif, sarifLevel, encodeUriReference, SECURITY_SEVERITY } from './render-sarif.js';
export { renderText, type TextOptions } from './render-text.js';
