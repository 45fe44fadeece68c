import { SEVERITIES, type Finding, type Severity } from './types.js';

/** Rank of a severity, 0 = critical. */
export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

/** True when `s` is at least as severe as `threshold`. */
export function atLeast(s: Severity, threshold: Severity): boolean {
  return severityRank(s) <= severityRank(threshold);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The one deterministic finding order: severity, rule id, uri, member, offset, fingerprint. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    severityRank(a.severity) - severityRank(b.severity) ||
    cmp(a.ruleId, b.ruleId) ||
    cmp(a.location.uri, b.location.uri) ||
    cmp(a.location.member ?? '', b.location.member ?? '') ||
    (a.location.offset ?? -1) - (b.location.offset ?? -1) ||
    cmp(a.fingerprint, b.fingerprint)
  );
}
