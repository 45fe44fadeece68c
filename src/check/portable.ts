import { isAbsolute, relative, sep } from 'node:path';
import { fingerprintOf } from '../report/fingerprint.js';
import { compareFindings } from '../report/order.js';
import type { Finding, Report } from '../report/types.js';

/**
 * A path as `bulwark check`'s evidence names it: relative to the project root with `/` separators
 * (`.` for the root itself); a path that is not absolute is left as it is.
 */
export function projectPath(root: string, path: string): string {
  if (!isAbsolute(path)) return path;
  const rel = relative(root, path);
  return rel === '' ? '.' : rel.split(sep).join('/');
}

/** Replaces every mention of the absolute project root (`/abs/root/x` -> `x`) in free text. */
function portableText(root: string, text: string): string {
  const prefix = root.endsWith(sep) ? root : root + sep;
  if (!text.includes(root)) return text;
  return text
    .split(prefix)
    .join('')
    .split(root)
    .join('.');
}

/**
 * The identity of a finding once its location is project-relative: the analysers fingerprinted
 * absolute uris (they were given absolute paths), so their fingerprints differ per checkout. The
 * draft key is not kept in a finding, so the portable key is the finding's string and boolean
 * evidence (module names, columns, packages, advisory ids): numbers (offsets, counts, rates)
 * are left out so a changed count does not churn the fingerprint (the same reason the engine
 * leaves offsets out, src/report/fingerprint.ts); repeats are numbered as the engine does.
 */
function portableKey(root: string, f: Finding): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(f.evidence ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (typeof v === 'number') continue;
    parts.push(`${k}=${typeof v === 'string' ? portableText(root, v) : String(v)}`);
  }
  return parts.join('\u0000');
}

/**
 * Makes a report portable: every uri, target, subject name and message that names a file under the
 * project root names it relative to the root, and finding fingerprints are recomputed from the
 * relative locations, so the evidence (and the allow-list fingerprints copied from it) is the same
 * on every machine and in every checkout directory (issue 8: evidence is portable).
 */
export function portableReport(report: Report, root: string): Report {
  const text = (s: string): string => portableText(root, s);
  const seen = new Map<string, number>();
  const findings = report.findings.map((f): Finding => {
    const location = { ...f.location, uri: projectPath(root, f.location.uri) };
    const key = portableKey(root, f);
    const base = `${f.ruleId}\u0000${location.uri}\u0000${location.member ?? ''}\u0000${key}`;
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    const out: Finding = { ...f, message: text(f.message), location, fingerprint: fingerprintOf(f.ruleId, location, key, n) };
    if (f.evidence !== undefined) out.evidence = Object.fromEntries(Object.entries(f.evidence).map(([k, v]) => [k, typeof v === 'string' ? text(v) : v]));
    return out;
  });
  const out: Report = {
    ...report,
    target: text(report.target),
    subjects: report.subjects.map((s) => ({ ...s, name: projectPath(root, s.name) })),
    findings: findings.sort(compareFindings),
    errors: report.errors.map((e) => ({ ...e, message: text(e.message), ...(e.uri !== undefined ? { uri: projectPath(root, e.uri) } : {}) })),
    skipped: report.skipped.map((s) => ({ ...s, uri: projectPath(root, s.uri), reason: text(s.reason) })),
  };
  if (report.inventory !== undefined) out.inventory = report.inventory.map((i) => ({ ...i, path: projectPath(root, i.path) }));
  return out;
}
