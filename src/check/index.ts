/**
 * `bulwark check`: the project file -> every configured analyser -> evidence -> policy verdict,
 * and `bulwark init`, which writes a starter project file from what a directory holds.
 */
export {
  loadProjectConfig,
  parseProjectConfig,
  ProjectConfigSchema,
  DEFAULT_PROJECT_FILE,
  DEFAULT_EVIDENCE_DIR,
  type ProjectConfig,
  type ProjectConfigInput,
  type ResolvedModel,
  type ResolvedSigner,
} from './config.js';
export { CHECK_ANALYSERS, mergeReports, type Analyser, type AnalyserContext } from './analysers.js';
export { portableReport, projectPath } from './portable.js';
export { evidenceDirectorySink } from './evidence-sink.js';
export { policyGate, STARTER_POLICY_PATH, STARTER_POLICY_SOURCE } from './policy-gate.js';
export {
  runCheck,
  failedAnalyserReport,
  DEFAULT_CHECK_OPTIONS,
  type CheckOptions,
  type CheckResult,
  type CheckEntry,
  type CheckEntryStatus,
  type CheckProgress,
  type CheckVerdict,
  type CheckVerdictValue,
  type CheckReason,
  type GateInput,
  type PolicyGate,
  type EvidenceSink,
} from './run-check.js';
export { renderCheckSummary } from './render-summary.js';
export {
  initProject,
  inventoryProject,
  renderProjectFile,
  DEFAULT_INIT_OPTIONS,
  type InitOptions,
  type InitResult,
  type ProjectInventory,
} from './init-project.js';
