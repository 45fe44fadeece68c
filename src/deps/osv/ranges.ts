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

/**
 * PEP 440's sort key (the `_cmpkey` of the reference implementation, `packaging.version`): epoch,
 * release without trailing zeros, then pre-release, post-release and dev-release, where a missing
 * part sorts as the spec says (a dev-release of a final version before every pre-release; no
 * pre-release after all of them; no post-release before any; no dev-release after any). Built
 * once per version from @renovatebot/pep440's parse, so that comparing does not re-parse strings.
 */
export interface Pep440Key {
  readonly epoch: number;
  readonly release: readonly number[];
  /** -Infinity, +Infinity, or letter rank (a 0, b 1, rc 2) * 2^32 + number. */
  readonly pre: number;
  readonly post: number;
  readonly dev: number;
}

const PRE_RANK: Readonly<Record<string, number>> = { a: 0, b: 1, rc: 2 };

function pep440Key(v: string): Pep440Key | undefined {
  const p = pep440.parse(v);
  if (p === null) return undefined;
  const release = [...p.release];
  while (release.length > 1 && release[release.length - 1] === 0) release.pop();
  const pre = p.pre === null ? (p.post === null && p.dev !== null ? -Infinity : Infinity) : (PRE_RANK[String(p.pre[0])] ?? 0) * 2 ** 32 + Number(p.pre[1]);
  return { epoch: p.epoch, release, pre, post: p.post === null ? -Infinity : Number(p.post[1]), dev: p.dev === null ? Infinity : Number(p.dev[1]) };
}

function comparePep440Keys(a: Pep440Key, b: Pep440Key): number {
  if (a.epoch !== b.epoch) return a.epoch - b.epoch;
  const n = Math.min(a.release.length, b.release.length);
  for (let i = 0; i < n; i++) {
    const d = (a.release[i] ?? 0) - (b.release[i] ?? 0);
    if (d !== 0) return d;
  }
  if (a.release.length !== b.release.length) return a.release.length - b.release.length;
  for (const k of ['pre', 'post', 'dev'] as const) if (a[k] !== b[k]) return a[k] < b[k] ? -1 : 1;
  return 0;
}

/** A parsed, comparable version, or undefined when the string is not valid in its ordering. */
export type ParsedVersion = { readonly raw: string } & ({ readonly kind: 'pep440'; readonly v: Pep440Key } | { readonly kind: 'semver'; readonly v: semver.SemVer });

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
    const key = pep440Key(publicVersion(raw.trim()));
    out = key !== undefined ? { kind: 'pep440', raw, v: key } : null;
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
  if (a.kind === 'pep440' && b.kind === 'pep440') return comparePep440Keys(a.v, b.v);
  if (a.kind === 'semver' && b.kind === 'semver') return semver.compare(a.v, b.v);
  throw new Error('compareVersions: mixed orderings');
}

type SortedEvents = readonly { readonly e: OsvEvent; readonly at: ParsedVersion | 'zero' }[];
/** Parsed and sorted events per events array and ordering: the same record is matched against many dependencies. */
const sortedCache = new WeakMap<readonly OsvEvent[], Map<Ordering, SortedEvents | null>>();

function sortedEvents(events: readonly OsvEvent[], ordering: Ordering): SortedEvents | null {
  let perOrdering = sortedCache.get(events);
  const hit = perOrdering?.get(ordering);
  if (hit !== undefined) return hit;
  let parsed: { e: OsvEvent; at: ParsedVersion | 'zero' }[] | null = [];
  for (const e of events) {
    const raw = eventVersion(e);
    if ('introduced' in e && raw === '0') {
      parsed.push({ e, at: 'zero' });
      continue;
    }
    const at = parseVersion(raw, ordering);
    if (at === undefined) {
      parsed = null;
      break;
    }
    parsed.push({ e, at });
  }
  parsed?.sort((x, y) => (x.at === 'zero' ? (y.at === 'zero' ? 0 : -1) : y.at === 'zero' ? 1 : compareVersions(x.at, y.at)));
  if (perOrdering === undefined) {
    perOrdering = new Map();
    sortedCache.set(events, perOrdering);
  }
  perOrdering.set(ordering, parsed);
  return parsed;
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
  const parsed = sortedEvents(events, ordering);
  if (parsed === null) return undefined;
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
