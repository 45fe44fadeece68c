/**
 * Severity of an OSV record: the CVSS v3.x base score computed from the vector (FIRST, "CVSS
 * v3.1 Specification Document", section 7 and Appendix A), mapped to the qualitative rating
 * scale (section 5: 0.1-3.9 low, 4.0-6.9 medium, 7.0-8.9 high, 9.0-10.0 critical).
 */
import type { Severity } from '../../report/types.js';
import type { OsvRecord } from './schema.js';

const AV: Record<string, number> = { N: 0.85, A: 0.62, L: 0.55, P: 0.2 };
const AC: Record<string, number> = { L: 0.77, H: 0.44 };
const UI: Record<string, number> = { N: 0.85, R: 0.62 };
const CIA: Record<string, number> = { H: 0.56, L: 0.22, N: 0 };

/**
 * CVSS v3.1 Roundup (Appendix A): the smallest number with one decimal that is >= the input,
 * computed on integers so that 4.000000000001-style floating-point noise does not round up.
 */
function roundUp(x: number): number {
  const i = Math.round(x * 100_000);
  return i % 10_000 === 0 ? i / 100_000 : (Math.floor(i / 10_000) + 1) / 10;
}

/**
 * The CVSS v3.0/v3.1 base score of a vector such as `CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H`
 * (9.8), or undefined when the vector is not a complete, valid v3 base vector. v3.0 vectors use
 * the v3.1 Roundup (the spec changed only the rounding function, to fix floating-point errors).
 */
export function cvss3BaseScore(vector: string): number | undefined {
  const parts = vector.trim().split('/');
  if (!/^CVSS:3\.[01]$/.test(parts[0] ?? '')) return undefined;
  const m = new Map<string, string>();
  for (const p of parts.slice(1)) {
    const [k, v] = p.split(':');
    if (k === undefined || v === undefined || m.has(k)) return undefined;
    m.set(k, v);
  }
  const scope = m.get('S');
  const av = AV[m.get('AV') ?? ''];
  const ac = AC[m.get('AC') ?? ''];
  const ui = UI[m.get('UI') ?? ''];
  const c = CIA[m.get('C') ?? ''];
  const i = CIA[m.get('I') ?? ''];
  const a = CIA[m.get('A') ?? ''];
  const prCode = m.get('PR');
  if (scope !== 'U' && scope !== 'C') return undefined;
  // Privileges Required weighs more when the scope changes (spec table 16).
  const pr = prCode === 'N' ? 0.85 : prCode === 'L' ? (scope === 'C' ? 0.68 : 0.62) : prCode === 'H' ? (scope === 'C' ? 0.5 : 0.27) : undefined;
  if (av === undefined || ac === undefined || ui === undefined || c === undefined || i === undefined || a === undefined || pr === undefined) return undefined;
  const iss = 1 - (1 - c) * (1 - i) * (1 - a);
  const impact = scope === 'U' ? 6.42 * iss : 7.52 * (iss - 0.029) - 3.25 * Math.pow(iss - 0.02, 15);
  const exploitability = 8.22 * av * ac * pr * ui;
  if (impact <= 0) return 0;
  return scope === 'U' ? roundUp(Math.min(impact + exploitability, 10)) : roundUp(Math.min(1.08 * (impact + exploitability), 10));
}

/** The qualitative rating of a CVSS score (v3.1 section 5; 0.0 "None" is reported as info). */
export function severityOfScore(score: number): Severity {
  if (score >= 9) return 'critical';
  if (score >= 7) return 'high';
  if (score >= 4) return 'medium';
  if (score > 0) return 'low';
  return 'info';
}

/**
 * A conservative rating of a CVSS v4 vector, used only when the record gives no
 * `database_specific.severity`: implementing the v4 MacroVector lookup tables is out of scope, so
 * network-reachable, no-privilege, no-interaction high impact on the vulnerable system is
 * critical, any other high impact high, low impact medium, none low. It never rates lower than the
 * v4 score would for those cases' typical vectors.
 */
export function cvss4Rating(vector: string): Severity | undefined {
  if (!vector.startsWith('CVSS:4.0/')) return undefined;
  const m = new Map(vector.split('/').slice(1).map((p) => p.split(':') as [string, string]));
  const impacts = ['VC', 'VI', 'VA', 'SC', 'SI', 'SA'].map((k) => m.get(k));
  if (impacts.some((v) => v === undefined)) return undefined;
  const high = impacts.includes('H');
  if (high && m.get('AV') === 'N' && m.get('PR') === 'N' && m.get('UI') === 'N') return 'critical';
  if (high) return 'high';
  if (impacts.includes('L')) return 'medium';
  return 'low';
}

/** GitHub's and other databases' `database_specific.severity` words. */
function ratingWord(v: unknown): Severity | undefined {
  if (typeof v !== 'string') return undefined;
  switch (v.toUpperCase()) {
    case 'CRITICAL':
      return 'critical';
    case 'HIGH':
      return 'high';
    case 'MODERATE':
    case 'MEDIUM':
      return 'medium';
    case 'LOW':
      return 'low';
    default:
      return undefined;
  }
}

/** Where a record's severity came from, for the finding's evidence. */
export interface RecordSeverity {
  severity: Severity;
  /** The CVSS v3 base score when one was computed. */
  score?: number;
  vector?: string;
  basis: 'cvss_v3' | 'database_specific' | 'cvss_v4_approx' | 'unknown';
}

/**
 * A record's severity: the CVSS v3 base score of its (or its affected entry's) CVSS_V3 vector,
 * else the database's own rating (`database_specific.severity`, e.g. GitHub's), else a
 * conservative reading of a CVSS_V4 vector, else medium (unknown severity is not treated as low).
 */
export function recordSeverity(record: OsvRecord): RecordSeverity {
  const hit = severityCache.get(record);
  if (hit !== undefined) return hit;
  const out = computeRecordSeverity(record);
  severityCache.set(record, out);
  return out;
}

/** Per validated record: the same record is rated once however many dependencies it affects. */
const severityCache = new WeakMap<OsvRecord, RecordSeverity>();

function computeRecordSeverity(record: OsvRecord): RecordSeverity {
  const entries = [...(record.severity ?? []), ...(record.affected ?? []).flatMap((a) => a.severity ?? [])];
  for (const s of entries) {
    if (s.type !== 'CVSS_V3') continue;
    const score = cvss3BaseScore(s.score);
    if (score !== undefined) return { severity: severityOfScore(score), score, vector: s.score, basis: 'cvss_v3' };
  }
  const word = ratingWord(record.database_specific?.severity) ?? (record.affected ?? []).map((a) => ratingWord(a.database_specific?.severity)).find((w) => w !== undefined);
  if (word !== undefined) return { severity: word, basis: 'database_specific' };
  for (const s of entries) {
    if (s.type !== 'CVSS_V4') continue;
    const r = cvss4Rating(s.score);
    if (r !== undefined) return { severity: r, vector: s.score, basis: 'cvss_v4_approx' };
  }
  return { severity: 'medium', basis: 'unknown' };
}
