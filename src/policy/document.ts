import { compareFindings } from '../report/order.js';
import { SEVERITIES, type Finding, type Report, type Severity } from '../report/types.js';
import type { AllowEntry, AllowedFinding, Evidence } from './types.js';

/**
 * Report kind -> evidence key in the document CEL rules read. `verify` reports (model signature
 * verification) become `signature`, `data-fingerprint` becomes `fingerprint`; any other kind is
 * its own key with `-` turned into `_` (CEL identifiers cannot hold dashes).
 */
export const EVIDENCE_KEY_OF_KIND: Readonly<Record<string, string>> = Object.freeze({
  scan: 'scan',
  verify: 'signature',
  data: 'data',
  'data-fingerprint': 'fingerprint',
  drift: 'drift',
  deps: 'deps',
  bom: 'bom',
});

/** Evidence keys every document has (absent ones with `present: false`), in document order. */
export const KNOWN_EVIDENCE_KEYS: readonly string[] = ['scan', 'signature', 'data', 'fingerprint', 'drift', 'deps', 'bom'];

/** Fields of every evidence entry, and the extra fields of some keys (used to check rules at load time). */
export const COMMON_EVIDENCE_FIELDS: readonly string[] = ['present', 'complete', 'reports', 'targets', 'subjects', 'findings', 'allowedFindings', 'counts', 'metrics', 'errors'];
/** Kind-specific fields. */
export const EXTRA_EVIDENCE_FIELDS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  signature: ['verified', 'signer', 'signers'],
  fingerprint: ['contentSha256', 'schemaSha256'],
});
/** Fields of a finding in the document. */
export const FINDING_FIELDS: readonly string[] = ['ruleId', 'severity', 'message', 'uri', 'member', 'fingerprint', 'allowed', 'allowReason'];
/** Fields of an error in the document. */
export const ERROR_FIELDS: readonly string[] = ['uri', 'code', 'message'];
/** Fields of a subject in the document. */
export const SUBJECT_FIELDS: readonly string[] = ['name', 'sha256'];
/** Fields of the `attestations` entry. */
export const ATTESTATION_FIELDS: readonly string[] = ['present', 'verified', 'count', 'failed'];

/** The evidence key of a report kind (see {@link EVIDENCE_KEY_OF_KIND}). */
export function evidenceKeyOf(kind: string): string {
  return EVIDENCE_KEY_OF_KIND[kind] ?? kind.replace(/-/g, '_');
}

/** One finding as a CEL rule sees it. */
export interface DocFinding {
  ruleId: string;
  severity: Severity;
  message: string;
  uri: string;
  member: string;
  fingerprint: string;
  allowed: boolean;
  allowReason: string;
}

/** One evidence entry of the document. Counts are bigints so that CEL sees ints. */
export interface DocEntry {
  present: boolean;
  complete: boolean;
  reports: bigint;
  targets: string[];
  subjects: { name: string; sha256: string }[];
  /** Findings that gate: neither allowed by the policy nor suppressed in the report. */
  findings: DocFinding[];
  allowedFindings: DocFinding[];
  counts: Record<Severity, bigint>;
  /** Metrics; with several reports of a kind, each metric's maximum. */
  metrics: Record<string, number>;
  errors: { uri: string; code: string; message: string }[];
  verified?: boolean;
  signer?: string;
  signers?: string[];
  /** fingerprint: the dataset fingerprints' content and schema digests (one per report, sorted by target). */
  contentSha256?: string[];
  schemaSha256?: string[];
}

/** The document CEL rules read, plus what the builder learnt on the way. */
export interface BuiltDocument {
  doc: Record<string, DocEntry | { present: boolean; verified: boolean; count: bigint; failed: bigint }>;
  entries: Record<string, DocEntry>;
  allowed: AllowedFinding[];
  /** Allow entries that have expired, with how many findings they would have matched. */
  expired: { entry: AllowEntry; matched: number }[];
}

/**
 * The findings in the one deterministic order (src/report/order.ts). Analysers already emit it, so
 * check first (linear) and sort a copy only when a report comes from elsewhere out of order.
 */
function inOrder(findings: readonly Finding[]): readonly Finding[] {
  for (let i = 1; i < findings.length; i++) {
    if (compareFindings(findings[i - 1]!, findings[i]!) > 0) return [...findings].sort(compareFindings);
  }
  return findings;
}

function zeroCounts(): Record<Severity, bigint> {
  return { critical: 0n, high: 0n, medium: 0n, low: 0n, info: 0n };
}

function emptyEntry(): DocEntry {
  return { present: false, complete: false, reports: 0n, targets: [], subjects: [], findings: [], allowedFindings: [], counts: zeroCounts(), metrics: {}, errors: [] };
}

function pathMatches(path: string, uri: string): boolean {
  return path.endsWith('/') ? uri.startsWith(path) : uri === path;
}

/** True when an allow entry matches a finding (rule id, and fingerprint and path when given). */
export function allowMatches(entry: AllowEntry, f: Finding): boolean {
  if (entry.ruleId !== f.ruleId) return false;
  if (entry.fingerprint !== undefined && entry.fingerprint !== f.fingerprint) return false;
  if (entry.path !== undefined && !pathMatches(entry.path, f.location.uri)) return false;
  return true;
}

/**
 * Builds the evidence document (docs/policy.md, "The evidence document"): one entry per known
 * evidence key (absent ones `present: false`), one per other report kind, and `attestations`.
 * `today` decides which allow entries are live: an entry applies through its `expires` day.
 */
export function buildEvidenceDocument(evidence: Evidence, allow: readonly AllowEntry[], today: string): BuiltDocument {
  const entries: Record<string, DocEntry> = {};
  for (const k of KNOWN_EVIDENCE_KEYS) entries[k] = emptyEntry();
  const live = allow.filter((a) => a.expires >= today);
  const expiredEntries = allow.filter((a) => a.expires < today).map((entry) => ({ entry, matched: 0 }));
  const allowed: AllowedFinding[] = [];
  const byKey = new Map<string, Report[]>();
  for (const r of evidence.reports) {
    const key = evidenceKeyOf(r.kind);
    byKey.set(key, [...(byKey.get(key) ?? []), r]);
  }
  for (const [key, reports] of [...byKey.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    const e = emptyEntry();
    e.present = true;
    e.complete = reports.every((r) => r.complete);
    e.reports = BigInt(reports.length);
    const sorted = [...reports].sort((a, b) => (a.target < b.target ? -1 : a.target > b.target ? 1 : 0));
    for (const r of sorted) {
      e.targets.push(r.target);
      for (const s of r.subjects) e.subjects.push({ name: s.name, sha256: s.digest.sha256 });
      for (const err of r.errors) e.errors.push({ uri: err.uri ?? r.target, code: err.code, message: err.message });
      for (const [m, v] of Object.entries(r.metrics ?? {})) {
        const prev = e.metrics[m];
        e.metrics[m] = prev === undefined ? v : Math.max(prev, v);
      }
      for (const f of inOrder(r.findings)) {
        for (const x of expiredEntries) if (allowMatches(x.entry, f)) x.matched++;
        const entry = live.find((a) => allowMatches(a, f));
        const reason = entry ? entry.reason : f.suppressed ? `suppressed in the report: ${f.suppressed.reason}` : undefined;
        const df: DocFinding = {
          ruleId: f.ruleId,
          severity: f.severity,
          message: f.message,
          uri: f.location.uri,
          member: f.location.member ?? '',
          fingerprint: f.fingerprint,
          allowed: reason !== undefined,
          allowReason: reason ?? '',
        };
        if (reason === undefined) {
          e.findings.push(df);
          e.counts[f.severity]++;
        } else {
          e.allowedFindings.push(df);
          allowed.push({ evidence: key, ruleId: f.ruleId, fingerprint: f.fingerprint, uri: f.location.uri, reason, expires: entry?.expires ?? '' });
        }
      }
    }
    if (key === 'signature') {
      // A model signature is verified when every verify report is complete and has no gating finding.
      e.verified = e.complete && e.findings.length === 0;
      const names = sorted.map((r) => evidence.signers?.[r.target] ?? '');
      e.signers = names;
      e.signer = names.every((n) => n === names[0]) ? (names[0] ?? '') : '';
    }
    if (key === 'fingerprint') {
      // data-fingerprint reports carry `fingerprint: { contentSha256, schemaSha256, ... }` (src/data/privacy).
      const fp = sorted.map((r) => (r as Report & { fingerprint?: { contentSha256?: unknown; schemaSha256?: unknown } }).fingerprint);
      e.contentSha256 = fp.map((f) => (typeof f?.contentSha256 === 'string' ? f.contentSha256 : ''));
      e.schemaSha256 = fp.map((f) => (typeof f?.schemaSha256 === 'string' ? f.schemaSha256 : ''));
    }
    entries[key] = e;
  }
  if (entries.fingerprint && !entries.fingerprint.present) {
    entries.fingerprint.contentSha256 = [];
    entries.fingerprint.schemaSha256 = [];
  }
  if (entries.signature && !entries.signature.present) {
    entries.signature.verified = false;
    entries.signature.signer = '';
    entries.signature.signers = [];
  }
  const atts = evidence.attestations ?? [];
  const failed = atts.filter((a) => !a.ok).length;
  const doc: BuiltDocument['doc'] = { ...entries, attestations: { present: atts.length > 0, verified: atts.length > 0 && failed === 0, count: BigInt(atts.length), failed: BigInt(failed) } };
  return { doc, entries, allowed, expired: expiredEntries };
}

/** Counts of gating findings as plain numbers, by severity. */
export function plainCounts(e: DocEntry): Record<Severity, number> {
  const out = {} as Record<Severity, number>;
  for (const s of SEVERITIES) out[s] = Number(e.counts[s]);
  return out;
}
