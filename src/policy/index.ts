/**
 * Policy gates: a YAML policy (failOn, required evidence, an expiring allow-list and CEL rules with
 * control-framework mappings) evaluated as a pure function over the evidence document.
 */
export { loadPolicy, loadPolicyFile, DEFAULT_POLICY, MAX_POLICY_BYTES } from './load.js';
export { evaluatePolicy, type EvaluateOptions } from './evaluate.js';
export { renderVerdictText, type VerdictTextOptions } from './render-text.js';
export {
  buildEvidenceDocument,
  evidenceKeyOf,
  allowMatches,
  EVIDENCE_KEY_OF_KIND,
  KNOWN_EVIDENCE_KEYS,
  COMMON_EVIDENCE_FIELDS,
  EXTRA_EVIDENCE_FIELDS,
  FINDING_FIELDS,
  type DocEntry,
  type DocFinding,
  type BuiltDocument,
} from './document.js';
export { compileCel, MAX_CEL_LENGTH, type CompiledCel } from './cel.js';
export type {
  Policy,
  PolicySpec,
  PolicyRuleSpec,
  PolicyMappings,
  CompiledRule,
  AllowEntry,
  FailOn,
  CelOutcome,
  Evidence,
  AttestationEvidence,
  PolicyVerdict,
  PolicyReason,
  ReasonCode,
  RuleResult,
  AllowedFinding,
  VerdictStatus,
} from './types.js';
