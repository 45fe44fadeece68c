/**
 * Matching dependencies against an indexed OSV database, with records merged by alias.
 */
import type { Severity } from '../../report/types.js';
import { severityRank } from '../../report/order.js';
import type { DependencyFact } from '../types.js';
import { packageKey, validatedRecord, type OsvDatabase } from './database.js';
import { matchAffected } from './ranges.js';
import type { OsvRecord } from './schema.js';
import { recordSeverity, type RecordSeverity } from './severity.js';

/** One vulnerability (one or more aliased records) affecting one dependency. */
export interface VulnerabilityMatch {
  /** The id the finding is reported under ({@link preferredId}). */
  readonly id: string;
  /** Every id of the merged records and their aliases, sorted, without `id`. */
  readonly aliases: readonly string[];
  /** The merged records (sorted by id). */
  readonly records: readonly OsvRecord[];
  readonly summary: string;
  /** Fixed versions above the dependency's version, sorted and unique. */
  readonly fixed: readonly string[];
  readonly severity: Severity;
  readonly severityBasis: RecordSeverity;
}

/**
 * The rank of an id's source when choosing which id a merged vulnerability is reported under:
 * GitHub advisories first (they exist for both PyPI and npm, carry CVSS and CWE data and are what
 * `npm audit` and Dependabot show), then the PyPA advisory database (PYSEC), then any other OSV
 * database's id, then CVE. Only ids of records present in the database are candidates, so the
 * help link (osv.dev/vulnerability/<id>) always names a record the user has.
 */
function idRank(id: string): number {
  if (id.startsWith('GHSA-')) return 0;
  if (id.startsWith('PYSEC-')) return 1;
  if (id.startsWith('CVE-')) return 3;
  return 2;
}

/** The preferred id among record ids: lowest {@link idRank}, then lexicographically first. */
export function preferredId(ids: readonly string[]): string {
  return [...ids].sort((a, b) => idRank(a) - idRank(b) || (a < b ? -1 : a > b ? 1 : 0))[0] ?? '';
}

/** Union-find over strings. */
class Groups {
  private readonly parent = new Map<string, string>();
  find(x: string): string {
    let root = x;
    for (let p = this.parent.get(root); p !== undefined && p !== root; p = this.parent.get(root)) root = p;
    // Path compression: point every node on the way straight at the root.
    for (let cur = x; cur !== root; ) {
      const next: string = this.parent.get(cur) ?? root;
      this.parent.set(cur, root);
      cur = next;
    }
    if (!this.parent.has(root)) this.parent.set(root, root);
    return root;
  }
  union(a: string, b: string): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent.set(ra, rb);
  }
}

/**
 * The vulnerabilities affecting one pinned dependency: every indexed `affected[]` entry for its
 * package is evaluated; records that share an id or alias (transitively: union-find over each
 * record's id and `aliases`) become one {@link VulnerabilityMatch}. Unpinned dependencies (no
 * version) match nothing here: they are a finding of their own.
 */
export function matchDependency(db: OsvDatabase, dep: DependencyFact): VulnerabilityMatch[] {
  if (dep.version === undefined) return [];
  const entries = db.index.get(packageKey(dep.ecosystem, dep.name));
  if (entries === undefined) return [];
  const hits = new Map<string, { record: OsvRecord; fixed: Set<string> }>();
  for (const { stored, at } of entries) {
    const record = validatedRecord(db, stored);
    const affected = record?.affected?.[at];
    if (record === undefined || affected === undefined) continue;
    const m = matchAffected(affected, dep.ecosystem, dep.version);
    if (!m.affected) continue;
    const hit = hits.get(record.id) ?? { record, fixed: new Set<string>() };
    for (const f of m.fixed) hit.fixed.add(f);
    hits.set(record.id, hit);
  }
  if (hits.size === 0) return [];
  const groups = new Groups();
  for (const { record } of hits.values()) for (const a of record.aliases ?? []) groups.union(record.id, a);
  const byRoot = new Map<string, { record: OsvRecord; fixed: Set<string> }[]>();
  for (const h of hits.values()) {
    const root = groups.find(h.record.id);
    const list = byRoot.get(root);
    if (list === undefined) byRoot.set(root, [h]);
    else list.push(h);
  }
  const out: VulnerabilityMatch[] = [];
  for (const members of byRoot.values()) {
    members.sort((a, b) => (a.record.id < b.record.id ? -1 : 1));
    const records = members.map((m) => m.record);
    const id = preferredId(records.map((r) => r.id));
    const allIds = new Set<string>();
    for (const r of records) {
      allIds.add(r.id);
      for (const a of r.aliases ?? []) allIds.add(a);
    }
    allIds.delete(id);
    const severities = records.map(recordSeverity);
    // The most severe rating any merged record gives; CVSS-computed ratings win ties over words.
    const worst = severities.reduce((best, s) => (severityRank(s.severity) < severityRank(best.severity) ? s : best));
    const main = records.find((r) => r.id === id) ?? records[0];
    const summary = main?.summary ?? records.find((r) => r.summary !== undefined)?.summary ?? main?.details?.split('\n')[0]?.slice(0, 200) ?? id;
    const fixed = [...new Set(members.flatMap((m) => [...m.fixed]))].sort();
    out.push({ id, aliases: [...allIds].sort(), records, summary, fixed, severity: worst.severity, severityBasis: worst });
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
