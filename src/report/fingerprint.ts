import { createHash } from 'node:crypto';
import type { Finding, FindingDraft, Location, Severity } from './types.js';

/**
 * A finding's fingerprint: SHA-256 over the rule id, the location (uri and member, not the
 * offset, so that unrelated edits do not churn it), the draft's key and an occurrence index
 * for repeats of the same key. Stable across runs and machines when uris are relative.
 */
export function fingerprintOf(ruleId: string, location: Location, key: string, occurrence: number): string {
  const h = createHash('sha256');
  for (const part of [ruleId, location.uri, location.member ?? '', key, String(occurrence)]) {
    h.update(part);
    h.update('\u0000');
  }
  return h.digest('hex').slice(0, 32);
}

/** Turns drafts into findings, numbering repeats so that fingerprints stay unique. */
export function finaliseFindings(
  drafts: Iterable<FindingDraft>,
  severityOf: (ruleId: string) => Severity,
): Finding[] {
  const seen = new Map<string, number>();
  const out: Finding[] = [];
  for (const d of drafts) {
    const base = `${d.ruleId}\u0000${d.location.uri}\u0000${d.location.member ?? ''}\u0000${d.key}`;
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    const f: Finding = {
      ruleId: d.ruleId,
      severity: d.severity ?? severityOf(d.ruleId),
      message: d.message,
      location: d.location,
      fingerprint: fingerprintOf(d.ruleId, d.location, d.key, n),
    };
    if (d.evidence) f.evidence = d.evidence;
    out.push(f);
  }
  return out;
}
