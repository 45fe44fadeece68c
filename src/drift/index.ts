/**
 * Drift and anomaly monitoring (Bulwark issue 6): batch drift reports between a reference (data or
 * saved profile) and current data, and a streaming monitor over prediction logs.
 */
export { driftReport, buildReferenceProfile, isProfileFile, DEFAULT_DRIFT_SHARE_THRESHOLD, DEFAULT_CORRECTION } from './report.js';
export type { DriftReport, DriftReportOptions, BuildReferenceProfileOptions } from './report.js';
export { renderDriftHtml } from './html.js';
export { DRIFT_RULES } from './rules.js';
export {
  DRIFT_PROFILE_SCHEMA,
  DEFAULT_PROFILE_SETTINGS,
  parseProfile,
  readProfile,
  serialiseProfile,
} from './profile.js';
export { defaultMethod, DEFAULT_ALPHA, DEFAULT_JS_THRESHOLD, DEFAULT_WASSERSTEIN_THRESHOLD, DEFAULT_PSI_THRESHOLD, SMALL_SAMPLE_MAX } from './compare.js';
export { COLUMN_KINDS, CORRECTIONS, DRIFT_METHODS } from './types.js';
export type { ColumnDriftResult, ColumnKind, ColumnProfile, Correction, DriftDetails, DriftMethod, DriftProfile, PcaModel, ProfileSettings } from './types.js';
export * as driftStats from './stats/index.js';
export {
  createMonitor,
  createWebhookSink,
  createMonitorMetrics,
  serveMetrics,
  followLines,
  signPayload,
  SIGNATURE_HEADER,
  DEFAULT_WINDOW,
  DEFAULT_M,
  DEFAULT_N,
  DEFAULT_COOLDOWN,
  DEFAULT_WEBHOOK_RETRIES,
} from './monitor/index.js';
export type { Monitor, MonitorOptions, MonitorStats, WindowEvaluation, DriftAlert, ColumnWindowResult, WebhookOptions, MonitorMetrics } from './monitor/index.js';
