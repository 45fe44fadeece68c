import type { Report, Severity } from '../report/types.js';

/** Mapping of a policy rule to control frameworks (free-form ids, e.g. `MEASURE 2.7`, `ML06`, `LLM03`, `AML.T0010`). */
export interface PolicyMappings {
  nistAiRmf: string[];
  owaspMl: string[];
  owaspLlm: string[];
  atlas: string[];
}

/** An allow-list entry: findings it matches do not gate until `expires` (inclusive). */
export interface AllowEntry {
  ruleId: string;
  fingerprint?: string | undefined;
  /** A finding location: exact uri, or a directory prefix when it ends with `/`. */
  path?: string | undefined;
  reason: string;
  /** YYYY-MM-DD; the entry applies through this day and not after it. */
  expires: string;
}

/** Threshold of the `failOn` shortcut: a severity, or `none` to gate on rules only. */
export type FailOn = Severity | 'none';

/** A CEL rule as written in the policy file. */
export interface PolicyRuleSpec {
  id: string;
  description: string;
  /** CEL bool: the rule applies only when true. */
  when?: string | undefined;
  /** CEL bool that must hold. */
  expr: string;
  /** Rules below `failOn` warn instead of failing (default `high`). */
  severity: Severity;
  mappings: PolicyMappings;
}

/** The policy file (policies/*.yaml), validated. */
export interface PolicySpec {
  version: 1;
  failOn: FailOn;
  /** Evidence keys (or report kinds) that must be present. */
  require: string[];
  allow: AllowEntry[];
  allowIncomplete: boolean;
  rules: PolicyRuleSpec[];
}

/** The outcome of evaluating one CEL expression against the evidence document. */
export type CelOutcome = { ok: true; value: boolean } | { ok: false; error: string; nonBoolean: boolean };

/** A compiled rule: the spec plus its checked, planned expressions and the evidence keys they read. */
export interface CompiledRule extends PolicyRuleSpec {
  evalWhen: ((doc: Record<string, unknown>) => CelOutcome) | undefined;
  evalExpr: (doc: Record<string, unknown>) => CelOutcome;
  /** Evidence keys the `expr` reads (a missing one makes the rule incomplete, never a pass). */
  reads: string[];
}

/** A loaded policy: ready to evaluate (CEL compiled and checked at load time). */
export interface Policy extends Omit<PolicySpec, 'rules'> {
  /** Where it came from (file path or a name), used in messages. */
  source: string;
  /** SHA-256 of the policy text, recorded in the verdict. */
  digest: string;
  rules: CompiledRule[];
}

/** Outcome of verifying one attestation, as evidence. */
export interface AttestationEvidence {
  kind: string;
  target: string;
  ok: boolean;
  error?: string | undefined;
  /** The signer's configured name, when known. */
  signer?: string | undefined;
}

/**
 * What a policy decides on: the reports, the configured signer names of verified models (report
 * target -> name, from the project file's key-to-signer mapping), and attestation checks.
 */
export interface Evidence {
  reports: Report[];
  /** Signer name per `verify` report target (e.g. `{ "models/fraud": "ml-release" }`). */
  signers?: Readonly<Record<string, string>> | undefined;
  attestations?: AttestationEvidence[] | undefined;
}

/** Verdict of a policy. */
export type VerdictStatus = 'pass' | 'fail' | 'incomplete';

/** Why a reason was raised. */
export type ReasonCode =
  | 'finding'
  | 'rule-failed'
  | 'rule-warning'
  | 'cel-error'
  | 'non-boolean'
  | 'missing-evidence'
  | 'incomplete-evidence'
  | 'attestation-invalid'
  | 'allow-expired';

/** One reason in a verdict: what, where, and whether it fails, makes incomplete, or only informs. */
export interface PolicyReason {
  effect: 'fail' | 'incomplete' | 'warn' | 'info';
  code: ReasonCode;
  message: string;
  /** Policy rule id (CEL rules). */
  rule?: string;
  /** Evidence key (`scan`, `signature`, ...). */
  evidence?: string;
  findingRuleId?: string;
  fingerprint?: string;
  uri?: string;
  severity?: Severity;
}

/** Status of one CEL rule. */
export interface RuleResult {
  id: string;
  description: string;
  severity: Severity;
  status: 'pass' | 'fail' | 'warn' | 'error' | 'skipped' | 'incomplete';
  message?: string;
  mappings: PolicyMappings;
}

/** A finding the allow-list let through, with the entry's reason. */
export interface AllowedFinding {
  evidence: string;
  ruleId: string;
  fingerprint: string;
  uri: string;
  reason: string;
  expires: string;
}

/** The result of {@link evaluatePolicy}: plain JSON, deterministic for the same inputs. */
export interface PolicyVerdict {
  schemaVersion: 1;
  verdict: VerdictStatus;
  policy: { source: string; digest: string };
  today: string;
  /** Failing and incomplete reasons first, then warnings and notes; stable order. */
  reasons: PolicyReason[];
  rules: RuleResult[];
  allowed: AllowedFinding[];
  /** Per evidence key: present, complete, un-allowed finding counts by severity. */
  evidence: Record<string, { present: boolean; complete: boolean; reports: number; findings: Record<Severity, number> }>;
}
