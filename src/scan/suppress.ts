import type { Finding } from '../report/types.js';

/**
 * A reviewed finding to keep in the report but not count: by rule, and optionally narrowed to a
 * fingerprint, a file (uri) or a global (`module.name`). Expired suppressions stop applying.
 */
export interface Suppression {
  rule: string;
  fingerprint?: string | undefined;
  uri?: string | undefined;
  global?: string | undefined;
  reason: string;
  /** Last day (YYYY-MM-DD) the suppression applies. */
  expires?: string | undefined;
}

function matches(f: Finding, s: Suppression, today: string | undefined): boolean {
  if (s.rule !== f.ruleId) return false;
  if (s.expires !== undefined && today !== undefined && today > s.expires) return false;
  if (s.fingerprint !== undefined && s.fingerprint !== f.fingerprint) return false;
  if (s.uri !== undefined && s.uri !== f.location.uri) return false;
  if (s.global !== undefined && f.evidence?.global !== s.global) return false;
  return true;
}

/**
 * Marks findings matched by a suppression. Without `today`, expiry cannot be checked and an
 * expiring suppression never applies (fail closed).
 */
export function applySuppressions(findings: Finding[], suppressions: readonly Suppression[], today?: string): Finding[] {
  if (suppressions.length === 0) return findings;
  return findings.map((f) => {
    const s = suppressions.find((x) => (x.expires === undefined || today !== undefined) && matches(f, x, today));
    return s ? { ...f, suppressed: { reason: s.reason } } : f;
  });
}
