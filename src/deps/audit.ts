/**
 * `auditDependencies`: lockfiles + OSV database -> a `deps` Report.
 */
import { relative, resolve, sep } from 'node:path';
import { BulwarkError } from '../errors.js';
import { sha256File } from '../io/index.js';
import { compareFindings, severityRank } from '../report/order.js';
import { finaliseFindings } from '../report/fingerprint.js';
import type { FindingDraft, Report, ReportError, RuleMeta, Severity, Subject } from '../report/types.js';
import { VERSION } from '../version.js';
import { readDependenciesDetailed } from './lockfiles/index.js';
import { loadOsvDatabase, packageKey, type OsvDatabase } from './osv/database.js';
import { matchDependency } from './osv/match.js';
import { DEPS_RULES, UNPINNED_REQUIREMENT, UNRESOLVABLE_REFERENCE, vulnerabilityRuleMeta } from './rules.js';
import type { DependencyFact, LockfileFacts } from './types.js';

/** Options of {@link auditDependencies}. */
export interface AuditDependenciesOptions {
  /**
   * A project directory (searched for lockfiles) or one lockfile; or several (as `bulwark check`
   * lists them), whose files are then named relative to their common folder.
   */
  path: string | readonly string[];
  /** An OSV database directory ({@link loadOsvDatabase}). */
  osvDb: string;
  signal?: AbortSignal;
}

/** Options of {@link auditLockfiles}, the pure part of the audit. */
export interface AuditLockfilesOptions {
  lockfiles: readonly LockfileFacts[];
  db: OsvDatabase;
  /** Shown as the report's target. */
  target: string;
  subjects?: Subject[];
  /** Errors found before matching (unreadable lockfiles), carried into the report. */
  errors?: ReportError[];
}

function where(d: DependencyFact): string {
  return d.source.line !== undefined ? `${d.source.file}:${d.source.line}` : d.source.file;
}

function label(d: DependencyFact): string {
  return d.version !== undefined ? `${d.name} ${d.version}` : d.name;
}

/**
 * Judges parsed lockfiles against a loaded database. One finding per vulnerability, package
 * version and file, whatever the number of aliased records or repeated entries; plus BW-DEP-001
 * for each unpinned requirement and BW-DEP-002 for each VCS/URL/path reference. Lockfile problems
 * and database errors become report errors (the report is then incomplete).
 */
export function auditLockfiles(options: AuditLockfilesOptions): Report {
  const { lockfiles, db } = options;
  const drafts: FindingDraft[] = [];
  const vulnRules = new Map<string, RuleMeta>();
  const seen = new Set<string>();
  const vulnerablePackages = new Set<string>();
  const vulnIds = new Set<string>();
  const bySeverity: Record<Severity, number> = { critical: 0, high: 0, medium: 0, low: 0, info: 0 };
  let dependencies = 0;
  let direct = 0;
  let unpinned = 0;
  let unresolvable = 0;
  const errors: ReportError[] = [...(options.errors ?? [])];
  for (const lf of lockfiles) {
    for (const p of lf.problems) errors.push({ uri: lf.file, code: 'PARSE_ERROR', message: p.line !== undefined ? `line ${p.line}: ${p.message}` : p.message });
    for (const d of lf.dependencies) {
      dependencies++;
      if (d.direct) direct++;
      const at = where(d);
      const evidence: Record<string, string | number | boolean> = { ecosystem: d.ecosystem, package: d.name, direct: d.direct };
      if (d.version !== undefined) evidence.version = d.version;
      if (d.purl !== undefined) evidence.purl = d.purl;
      if (d.source.line !== undefined) evidence.line = d.source.line;
      if (d.reference !== undefined) {
        unresolvable++;
        drafts.push({
          ruleId: UNRESOLVABLE_REFERENCE.id,
          message: `${d.name} (${at}) comes from ${d.reference.kind === 'editable' ? 'an' : 'a'} ${d.reference.kind === 'vcs' ? 'VCS' : d.reference.kind === 'url' ? 'URL' : d.reference.kind} reference (${d.reference.value}), not a package index: its contents are not what any advisory describes${d.version === undefined ? ' and it cannot be matched against vulnerabilities' : ''}. Publish it to an index you control and pin it, or pin the reference to a commit and review it.`,
          location: { uri: d.source.file, ...(d.source.line !== undefined ? { line: d.source.line } : {}) },
          evidence: { ...evidence, reference: d.reference.value, reference_kind: d.reference.kind },
          key: `${d.normalizedName}\u0000${d.reference.value}`,
        });
      } else if (d.version === undefined) {
        unpinned++;
        drafts.push({
          ruleId: UNPINNED_REQUIREMENT.id,
          message: `${d.name} (${at}) is not pinned (${d.specifier === undefined || d.specifier === '' ? 'any version' : d.specifier}): each install may resolve a different version, including a vulnerable or compromised one, and it cannot be audited. Pin it with ==, ideally with --hash, or use a lockfile.`,
          location: { uri: d.source.file, ...(d.source.line !== undefined ? { line: d.source.line } : {}) },
          evidence: { ...evidence, specifier: d.specifier ?? '' },
          key: d.normalizedName,
        });
      }
      for (const m of matchDependency(db, d)) {
        const once = `${m.id}\u0000${d.source.file}\u0000${d.normalizedName}\u0000${d.version ?? ''}`;
        if (seen.has(once)) continue;
        seen.add(once);
        vulnerablePackages.add(`${d.ecosystem}\u0000${d.normalizedName}\u0000${d.version ?? ''}`);
        vulnIds.add(m.id);
        bySeverity[m.severity]++;
        const prev = vulnRules.get(m.id);
        if (prev === undefined || severityRank(m.severity) < severityRank(prev.severity)) vulnRules.set(m.id, vulnerabilityRuleMeta(m));
        const also = m.aliases.length > 0 ? ` (also ${m.aliases.join(', ')})` : '';
        const fix = m.fixed.length > 0 ? `fixed in ${m.fixed.join(', ')}` : 'no fixed version is known';
        drafts.push({
          ruleId: m.id,
          severity: m.severity,
          message: `${label(d)} (${at}) is affected by ${m.id}${also}: ${m.summary}; ${fix}.`,
          location: { uri: d.source.file, ...(d.source.line !== undefined ? { line: d.source.line } : {}) },
          evidence: {
            ...evidence,
            aliases: m.aliases.join(','),
            fixed: m.fixed.join(','),
            records: m.records.map((r) => r.id).join(','),
            severity_basis: m.severityBasis.basis,
            ...(m.severityBasis.score !== undefined ? { cvss_score: m.severityBasis.score } : {}),
            ...(m.severityBasis.vector !== undefined ? { cvss_vector: m.severityBasis.vector } : {}),
          },
          key: `${d.normalizedName}\u0000${d.version ?? ''}`,
        });
      }
    }
  }
  errors.push(...db.errors);
  const rules = [...DEPS_RULES, ...[...vulnRules.values()].sort((a, b) => (a.id < b.id ? -1 : 1))];
  const byId = new Map(rules.map((r) => [r.id, r.severity]));
  const severityOf = (id: string): Severity => byId.get(id) ?? 'medium';
  const findings = finaliseFindings(drafts, severityOf).sort(compareFindings);
  const used = new Set(findings.map((f) => f.ruleId));
  return {
    schemaVersion: 1,
    kind: 'deps',
    tool: { name: 'bulwark', version: VERSION },
    target: options.target,
    subjects: options.subjects ?? [],
    rules: rules.filter((r) => used.has(r.id) || DEPS_RULES.includes(r)),
    findings,
    metrics: {
      lockfiles: lockfiles.length,
      dependencies,
      direct_dependencies: direct,
      vulnerable_packages: vulnerablePackages.size,
      vulnerabilities: vulnIds.size,
      vulnerability_findings: seen.size,
      critical: bySeverity.critical,
      high: bySeverity.high,
      medium: bySeverity.medium,
      low: bySeverity.low,
      unpinned,
      unresolvable,
      osv_records: db.records,
      osv_withdrawn: db.withdrawn,
    },
    errors,
    skipped: [],
    complete: errors.length === 0,
  };
}

/**
 * Audits a project directory or one lockfile against an OSV database directory. Lockfiles that
 * cannot be parsed become report errors; a missing path or database is a BulwarkError
 * (FILE_NOT_FOUND). Subjects are the lockfiles (and the requirement files they include), by sha256.
 */
export async function auditDependencies(options: AuditDependenciesOptions): Promise<Report> {
  const { signal } = options;
  const paths = typeof options.path === 'string' ? [options.path] : [...options.path];
  if (paths.length === 0) throw new BulwarkError('USAGE', 'auditDependencies: no path given');
  const reads = [];
  for (const p of paths) reads.push(await readDependenciesDetailed(p, signal));
  // Several paths (`bulwark check`'s lockfiles list): name every file relative to their common folder.
  const base = reads.length === 1 ? (reads[0]?.root ?? '') : commonDir(reads.map((r) => r.root));
  const lockfiles: LockfileFacts[] = [];
  const errors: ReportError[] = [];
  const files = new Map<string, string>();
  for (const read of reads) {
    const prefix = relative(base, read.root).split(sep).join('/');
    const rebase = (f: string): string => (prefix === '' ? f : `${prefix}/${f}`);
    for (const f of read.failures) errors.push({ uri: rebase(f.file), code: f.error.code, message: f.error.message });
    for (const lf of read.lockfiles) {
      const seen = lockfiles.some((l) => l.file === rebase(lf.file));
      if (seen) continue; // the same lockfile named twice
      files.set(rebase(lf.file), resolve(read.root, lf.file));
      for (const i of lf.includes ?? []) files.set(rebase(i), resolve(read.root, i));
      lockfiles.push(
        prefix === ''
          ? lf
          : {
              ...lf,
              file: rebase(lf.file),
              dependencies: lf.dependencies.map((d) => ({ ...d, source: { ...d.source, file: rebase(d.source.file) } })),
              ...(lf.includes !== undefined ? { includes: lf.includes.map(rebase) } : {}),
            },
      );
    }
  }
  const wanted = new Set(lockfiles.flatMap((l) => l.dependencies.map((d) => packageKey(d.ecosystem, d.name))));
  const db = await loadOsvDatabase({ dir: options.osvDb, only: wanted, ...(signal !== undefined ? { signal } : {}) });
  const subjects: Subject[] = [];
  for (const [name, abs] of [...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    try {
      subjects.push({ name, digest: { sha256: await sha256File(abs) } });
    } catch (err) {
      errors.push({ uri: name, code: 'FILE_UNREADABLE', message: (err as Error).message });
    }
  }
  if (signal?.aborted === true) throw new BulwarkError('ABORTED', 'dependency audit aborted', { cause: signal.reason });
  return auditLockfiles({ lockfiles, db, target: paths.join(', '), subjects, errors });
}

/** The deepest folder containing every one of `dirs` (absolute paths). */
function commonDir(dirs: readonly string[]): string {
  const split = dirs.map((d) => resolve(d).split(sep));
  const first = split[0] ?? [];
  let n = first.length;
  for (const parts of split) {
    let i = 0;
    while (i < n && parts[i] === first[i]) i++;
    n = i;
  }
  return first.slice(0, n).join(sep) || sep;
}
