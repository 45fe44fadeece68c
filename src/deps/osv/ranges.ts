/**
 * Is a version affected? The OSV range evaluation (https://ossf.github.io/osv-schema/#evaluation)
 * over ECOSYSTEM and SEMVER ranges, with each ecosystem's own ordering: PEP 440 for PyPI
 * (@renovatebot/pep440) and SemVer 2.0 for npm (`semver`). GIT ranges name commits, which a
 * lockfile does not give, so they are ignored.
 */
import * as pep440 from '@renovatebot/pep440';
import semver from 'semver';
import type { Ecosystem } from '../types.js';
import type { OsvAffected, OsvEvent } from './schema.js';

/** A parsed, comparable version, or undefined when the string is not valid in its ordering. */
export type ParsedVersion = { readonly raw: string } & ({ readonly kind: 'pep440'; readonly v: string } | { readonly kind: 'semver'; readonly v: semver.SemVer });

/** Which ordering a range uses: SEMVER ranges always SemVer, ECOSYSTEM ranges the package's ecosystem's. */
export type Ordering = 'pep440' | 'semver';

/** The ordering of an ecosystem's ECOSYSTEM ranges. */
export function orderingOf(ecosystem: Ecosystem): Ordering {
  switch (ecosystem) {
    case 'PyPI':
      return 'pep440';
    case 'npm':
      return 'semver';
    default: {
      const never: never = ecosystem;
      return never;
    }
  }
}

/**
 * The public part of a PEP 440 version: `2.5.1+cu121` -> `2.5.1`. Local version labels mark a
 * downstream rebuild of the same release (PyTorch's CUDA builds), so for matching advisories they
 * are the public version, as OSV's PyPI matching and pip-audit treat them. Strict PEP 440 ordering
 * would put `2.5.1+cu121` after `2.5.1` and miss `last_affected = 2.5.1` and `versions = [2.5.1]`.
 */
export function publicVersion(version: string): string {
  const plus = version.indexOf('+');
  return plus === -1 ? version : version.slice(0, plus);
}

const cache = new Map<string, ParsedVersion | null>();

/** Parses (memoised: the same event versions recur across thousands of records) a version in an ordering. */
export function parseVersion(raw: string, ordering: Ordering): ParsedVersion | undefined {
  const key = `${ordering}\u0000${raw}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit ?? undefined;
  let out: ParsedVersion | null;
  if (ordering === 'pep440') {
    const v = publicVersion(raw.trim());
    out = pep440.valid(v) !== null ? { kind: 'pep440', raw, v } : null;
  } else {
    const v = semver.parse(raw.trim().replace(/^v/, ''));
    out = v !== null ? { kind: 'semver', raw, v } : null;
  }
  if (cache.size > 200_000) cache.clear();
  cache.set(key, out);
  return out ?? undefined;
}

/** Compares two parsed versions of the same ordering (negative, zero, positive). */
export function compareVersions(a: ParsedVersion, b: ParsedVersion): number {
  if (a.kind === 'pep440' && b.kind === 'pep440') return pep440.compare(a.v, b.v);
  if (a.kind === 'semver' && b.kind === 'semver') return semver.compare(a.v, b.v);
  throw new Error('compareVersions: mixed orderings');
}

function eventVersion(e: OsvEvent): string {
  if ('introduced' in e) return e.introduced;
  if ('fixed' in e) return e.fixed;
  if ('last_affected' in e) return e.last_affected;
  return e.limit;
}

/**
 * The OSV evaluation of one range's events for `v`: walk the events in version order ("0" first);
 * `introduced <= v` makes it affected, `fixed <= v` or `last_affected < v` unaffected; when `limit`
 * events exist, `v` must be below one of them. Returns undefined when an event version cannot be
 * parsed in the ordering (the range is then not trusted either way).
 */
export function inRange(v: ParsedVersion, events: readonly OsvEvent[], ordering: Ordering): boolean | undefined {
  const parsed: { e: OsvEvent; at: ParsedVersion | 'zero' }[] = [];
  for (const e of events) {
    const raw = eventVersion(e);
    if ('introduced' in e && raw === '0') {
      parsed.push({ e, at: 'zero' });
      continue;
    }
    const at = parseVersion(raw, ordering);
    if (at === undefined) return undefined;
    parsed.push({ e, at });
  }
  parsed.sort((x, y) => (x.at === 'zero' ? (y.at === 'zero' ? 0 : -1) : y.at === 'zero' ? 1 : compareVersions(x.at, y.at)));
  let affected = false;
  const limits: ParsedVersion[] = [];
  for (const { e, at } of parsed) {
    if ('limit' in e) {
      if (at !== 'zero') limits.push(at);
      continue;
    }
    const c = at === 'zero' ? 1 : compareVersions(v, at);
    if ('introduced' in e) {
      if (c >= 0) affected = true;
    } else if ('fixed' in e) {
      if (c >= 0) affected = false;
    } else if (c > 0) {
      affected = false;
    }
  }
  if (affected && limits.length > 0 && !limits.some((l) => compareVersions(v, l) < 0)) return false;
  return affected;
}

/** What matching one `affected[]` entry against a version found. */
export interface AffectedMatch {
  affected: boolean;
  /** `fixed` events of the matching ranges (as written), for "fixed in" messages. */
  fixed: string[];
}

/**
 * Whether `version` of a package in `ecosystem` is affected by one `affected[]` entry: listed in
 * its explicit `versions` (compared by public version for PyPI), or inside one of its ECOSYSTEM
 * or SEMVER ranges. The fixed versions returned are every `fixed` event above the version.
 */
export function matchAffected(entry: OsvAffected, ecosystem: Ecosystem, version: string): AffectedMatch {
  const pub = ecosystem === 'PyPI' ? publicVersion(version) : version;
  let affected = (entry.versions ?? []).some((v) => v === version || v === pub);
  const fixed: string[] = [];
  for (const r of entry.ranges ?? []) {
    if (r.type === 'GIT') continue;
    const ordering: Ordering = r.type === 'SEMVER' ? 'semver' : orderingOf(ecosystem);
    const v = parseVersion(version, ordering);
    if (v === undefined) continue;
    if (inRange(v, r.events, ordering) === true) {
      affected = true;
      for (const e of r.events) {
        if (!('fixed' in e)) continue;
        const f = parseVersion(e.fixed, ordering);
        if (f !== undefined && compareVersions(f, v) > 0) fixed.push(e.fixed);
      }
    }
  }
  return { affected, fixed };
}
