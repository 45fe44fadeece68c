import { atLeast } from '../report/order.js';
import type { Severity } from '../report/types.js';
import { buildEvidenceDocument, plainCounts } from './document.js';
import type { Evidence, Policy, PolicyReason, PolicyVerdict, RuleResult } from './types.js';

/** Options of {@link evaluatePolicy}. */
export interface EvaluateOptions {
  /** Today, YYYY-MM-DD (the injected clock): allow entries expire after their day. */
  today: string;
}

const EFFECT_ORDER: Record<PolicyReason['effect'], number> = { fail: 0, incomplete: 1, warn: 2, info: 3 };

function gates(severity: Severity, failOn: Policy['failOn']): boolean {
  return failOn !== 'none' && atLeast(severity, failOn);
}

/**
 * Evaluates a policy on evidence: a pure function of its inputs (docs/policy.md, "Evaluation").
 * It fails closed: missing required evidence, a rule reading evidence that is absent, an
 * incomplete report (unless `allowIncomplete`), a CEL error or a non-boolean result, and an
 * empty evidence set are never a pass. `fail` outranks `incomplete`.
 */
export function evaluatePolicy(policy: Policy, evidence: Evidence, options: EvaluateOptions): PolicyVerdict {
  const { today } = options;
  const built = buildEvidenceDocument(evidence, policy.allow, today);
  const reasons: PolicyReason[] = [];
  const rules: RuleResult[] = [];

  if (evidence.reports.length === 0) {
    reasons.push({ effect: 'incomplete', code: 'missing-evidence', message: 'no evidence: no report was given' });
  }
  for (const key of policy.require) {
    if (!built.entries[key]?.present) reasons.push({ effect: 'incomplete', code: 'missing-evidence', evidence: key, message: `required evidence "${key}" is missing` });
  }
  for (const [key, e] of Object.entries(built.entries)) {
    if (!e.present || e.complete) continue;
    const first = e.errors[0];
    const detail = first ? `: ${first.uri}: ${first.message}${e.errors.length > 1 ? ` (and ${e.errors.length - 1} more)` : ''}` : '';
    reasons.push({
      effect: policy.allowIncomplete ? 'warn' : 'incomplete',
      code: 'incomplete-evidence',
      evidence: key,
      message: `the ${key} evidence is incomplete${detail}${policy.allowIncomplete ? ' (allowed by allowIncomplete)' : ''}`,
    });
  }
  for (const a of evidence.attestations ?? []) {
    if (!a.ok) reasons.push({ effect: 'fail', code: 'attestation-invalid', evidence: a.kind, uri: a.target, message: `the ${a.kind} attestation of ${a.target} does not verify: ${a.error ?? 'unknown error'}` });
  }
  for (const [key, e] of Object.entries(built.entries)) {
    for (const f of e.findings) {
      if (!gates(f.severity, policy.failOn)) continue;
      reasons.push({
        effect: 'fail',
        code: 'finding',
        evidence: key,
        findingRuleId: f.ruleId,
        fingerprint: f.fingerprint,
        uri: f.uri,
        severity: f.severity,
        message: `${f.severity} ${f.ruleId} in ${f.uri}${f.member ? `!${f.member}` : ''}: ${f.message} (failOn: ${policy.failOn})`,
      });
    }
  }
  for (const x of built.expired) {
    reasons.push({
      effect: x.matched > 0 ? 'warn' : 'info',
      code: 'allow-expired',
      findingRuleId: x.entry.ruleId,
      ...(x.entry.fingerprint !== undefined ? { fingerprint: x.entry.fingerprint } : {}),
      ...(x.entry.path !== undefined ? { uri: x.entry.path } : {}),
      message: `the allow entry for ${x.entry.ruleId}${x.entry.fingerprint ? ` (${x.entry.fingerprint})` : ''} expired on ${x.entry.expires} and no longer applies${x.matched > 0 ? `: ${x.matched} finding(s) it matched now count` : ''} (reason was: ${x.entry.reason})`,
    });
  }

  const doc = built.doc as Record<string, unknown>;
  for (const r of policy.rules) {
    const base = { id: r.id, description: r.description, severity: r.severity, mappings: r.mappings };
    const celFailure = (field: 'when' | 'expr', error: string, nonBoolean: boolean): void => {
      reasons.push({ effect: 'fail', code: nonBoolean ? 'non-boolean' : 'cel-error', rule: r.id, message: `rule ${r.id}: ${field} could not be evaluated, failing closed: ${error}` });
      rules.push({ ...base, status: 'error', message: error });
    };
    if (r.evalWhen) {
      const w = r.evalWhen(doc);
      if (!w.ok) {
        celFailure('when', w.error, w.nonBoolean);
        continue;
      }
      if (!w.value) {
        rules.push({ ...base, status: 'skipped', message: 'its when condition is false' });
        continue;
      }
    }
    const missing = r.reads.filter((k) => !built.entries[k]?.present);
    if (missing.length > 0) {
      const message = `rule ${r.id} reads evidence that is missing: ${missing.join(', ')}`;
      for (const k of missing) reasons.push({ effect: 'incomplete', code: 'missing-evidence', rule: r.id, evidence: k, message });
      rules.push({ ...base, status: 'incomplete', message });
      continue;
    }
    const out = r.evalExpr(doc);
    if (!out.ok) {
      celFailure('expr', out.error, out.nonBoolean);
      continue;
    }
    if (out.value) {
      rules.push({ ...base, status: 'pass' });
      continue;
    }
    const failing = policy.failOn === 'none' || gates(r.severity, policy.failOn);
    const evidenceKey = r.reads.length === 1 ? r.reads[0] : undefined;
    reasons.push({
      effect: failing ? 'fail' : 'warn',
      code: failing ? 'rule-failed' : 'rule-warning',
      rule: r.id,
      severity: r.severity,
      ...(evidenceKey !== undefined ? { evidence: evidenceKey } : {}),
      message: `rule ${r.id} failed (${r.severity}): ${r.description} [${r.expr}]`,
    });
    rules.push({ ...base, status: failing ? 'fail' : 'warn', message: `expression is false: ${r.expr}` });
  }

  const ordered = reasons.map((r, i) => ({ r, i })).sort((a, b) => EFFECT_ORDER[a.r.effect] - EFFECT_ORDER[b.r.effect] || a.i - b.i).map((x) => x.r);
  const verdict = ordered.some((r) => r.effect === 'fail') ? 'fail' : ordered.some((r) => r.effect === 'incomplete') ? 'incomplete' : 'pass';
  const summary: PolicyVerdict['evidence'] = {};
  for (const [key, e] of Object.entries(built.entries)) summary[key] = { present: e.present, complete: e.complete, reports: Number(e.reports), findings: plainCounts(e) };
  return { schemaVersion: 1, verdict, policy: { source: policy.source, digest: policy.digest }, today, reasons: ordered, rules, allowed: built.allowed, evidence: summary };
}
