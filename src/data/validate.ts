/**
 * `validateDataset`: expectations + value detectors (PII, injection) + oversized cells + poisoning,
 * over one source, as a Report of kind `data`. All scan aggregates go into ONE fused query; then
 * bounded group-bys (uniqueness, label counts, detector candidates) and samples of failures.
 */
import { BulwarkError, isBulwarkError } from '../errors.js';
import { compareFindings } from '../report/order.js';
import { finaliseFindings } from '../report/fingerprint.js';
import type { FindingDraft, Report, ReportError, RuleMeta, Skipped } from '../report/types.js';
import { VERSION } from '../version.js';
import { DEFAULT_DETECTORS, INJECTION_RULES, PII_RULES, type ValueDetector } from './detect/index.js';
import { detectPoisoning, POISON_RULES, type PoisonInput, type PoisonResult } from './poison/index.js';
import { planExpectation, type FollowUpResult, type Outcome, type PlannedExpectation } from './expectations.js';
import { compileGroupQuery, compileScan, metricKey, readScanRow, toNumber, type ScanMetric, type ScanResults } from './plan.js';
import { DATA_RULES, ruleForExpectation } from './rules.js';
import { openSubjectSession, isNumericKind, type DataSession, type DatasetSubject, type DataSource } from './source.js';
import type { ExpectationSuite } from './suite.js';
import type { ColumnProfile, DatasetProfile } from './profile.js';
import { candidateKey, DISTINCT_FIRST_RATIO, type CandidatePattern, type CensusCandidates, type CensusStore } from './census.js';

/** Bounds of a validation run. */
export interface DataLimits {
  /** Distinct candidate values fetched per (column, detector family) for exact verification. */
  readonly maxCandidates: number;
  /** A text cell longer than this is reported as oversized (BW-DAT-010). */
  readonly oversizedChars: number;
  /** Sample values shown per failed expectation. */
  readonly samples: number;
  /** Rows handed to the poisoning analysis; beyond it a seeded uniform sample. */
  readonly poisonRows: number;
  /** Categorical columns for poisoning: text columns with at most this many distinct values. */
  readonly categoricalMaxDistinct: number;
}

/** Default bounds. */
export const DEFAULT_DATA_LIMITS: DataLimits = {
  maxCandidates: 10_000,
  oversizedChars: 100_000,
  samples: 5,
  poisonRows: 200_000,
  categoricalMaxDistinct: 50,
};

/** Options of {@link validateDataset}. */
export interface ValidateDatasetOptions {
  /** The dataset file (CSV, Parquet, JSON Lines); also the report target for other sources. */
  readonly path: string;
  /** Another source (a PostgreSQL table); default: the file at `path`. */
  readonly source?: DataSource;
  readonly suite?: ExpectationSuite;
  /** The label column: enables the poisoning analysis. */
  readonly label?: string;
  /** A source/batch column for label-shift analysis. */
  readonly sourceColumn?: string;
  /** Value detectors; default: {@link DEFAULT_DETECTORS}. */
  readonly detectors?: readonly ValueDetector[];
  /** Poisoning analysis; default: {@link detectPoisoning} (src/data/poison); undefined skips it. */
  readonly poison?: ((input: PoisonInput) => PoisonResult) | undefined;
  /** Rule metadata of custom detectors/poisoning, added to the report's rules. */
  readonly extraRules?: readonly RuleMeta[];
  readonly limits?: Partial<DataLimits>;
  /**
   * A profile of the SAME dataset (used only when its subject SHA-256 equals this file's; never for a
   * PostgreSQL table, whose digest names the table, not its rows): a column it proved unique (checked
   * exactly) answers a single-column `unique` expectation without repeating the group-by, and what it
   * states exactly is not scanned again. The profile + suggest + validate path of a trusted dataset
   * then reads it less.
   */
  readonly profile?: DatasetProfile;
  readonly signal?: AbortSignal;
}

/**
 * Masks a sample value for a report: letters become `a`/`A`, digits `9`, other characters stay, at
 * most 32 characters. The shape shows why a value failed (wrong format, stray character) without
 * printing the value itself.
 */
export function maskShape(value: string): string {
  const shape = [...value.slice(0, 64)].map((ch) => (/\p{Lu}/u.test(ch) ? 'A' : /\p{L}/u.test(ch) ? 'a' : /\p{Nd}/u.test(ch) ? '9' : ch)).join('');
  const cut = [...shape].slice(0, 32).join('');
  return value.length > 32 ? `${cut}…(${value.length})` : cut;
}

/** A detector's prefilter as a JS RegExp (the portable subset means the same in JS), or null. */
function jsPrefilter(d: ValueDetector): RegExp | null {
  try {
    return new RegExp(d.prefilter.pattern, d.prefilter.caseInsensitive ? 'iu' : 'u');
  } catch {
    try {
      return new RegExp(d.prefilter.pattern, d.prefilter.caseInsensitive ? 'i' : '');
    } catch {
      return null;
    }
  }
}

/** One alternation of many prefilters with the same case flag: one regex per row per column. */
export function unionPattern(patterns: readonly string[]): string {
  return patterns.map((p) => `(${p})`).join('|');
}

interface DetectorGroup {
  readonly caseInsensitive: boolean;
  readonly pattern: string;
  readonly detectors: readonly ValueDetector[];
}

function detectorGroups(detectors: readonly ValueDetector[]): DetectorGroup[] {
  const out: DetectorGroup[] = [];
  for (const ci of [false, true]) {
    const ds = detectors.filter((d) => d.prefilter.caseInsensitive === ci);
    if (ds.length > 0) out.push({ caseInsensitive: ci, pattern: unionPattern(ds.map((d) => d.prefilter.pattern)), detectors: ds });
  }
  return out;
}

/** Per (column, detector) verified hits. */
interface DetectorHit {
  readonly column: string;
  readonly detector: ValueDetector;
  rows: number;
  distinct: number;
  maxScore: number;
  readonly samples: string[];
  readonly details: Set<string>;
}

/** Result of the value-detector pass over one column. */
interface ColumnDetection {
  readonly hits: DetectorHit[];
  /** Rows whose value has a verified hit, per category (union over detectors). */
  readonly rowsByCategory: Record<'pii' | 'injection', number>;
  readonly estimated: boolean;
}

/**
 * The scan aggregates a profile of the same bytes answers EXACTLY: row and null counts, text lengths,
 * exact distinct counts, a range check whose bounds clear the profiled min/max by more than their
 * 12-digit rounding, a set check on a text column whose every value the profile lists. Anything
 * else (undefined) is left to the scan.
 */
export function answerFromProfile(profile: DatasetProfile, metric: ScanMetric): number | null | undefined {
  const col = (name: string): ColumnProfile | undefined => profile.columns.find((c) => c.name === name);
  const clears = (c: ColumnProfile, bound: number | undefined, observed: number | undefined, below: boolean): boolean => {
    if (bound === undefined) return true;
    if (observed === undefined) return false;
    // Profiled min/max are rounded to 12 significant digits: exact for 0 and for integers below 1e12.
    if (observed === 0 || (c.kind === 'integer' && Math.abs(observed) < 1e12 && Number.isInteger(observed))) return below ? bound <= observed : bound >= observed;
    const tol = Math.abs(observed) * 1e-10;
    return below ? bound < observed - tol : bound > observed + tol;
  };
  switch (metric.kind) {
    case 'rowCount':
      return profile.rows;
    case 'nonNull': {
      const c = col(metric.column);
      return c ? profile.rows - c.nulls : undefined;
    }
    case 'distinct': {
      const c = col(metric.column);
      return c && !c.distinctApprox && !metric.approx ? c.distinct : undefined;
    }
    case 'minLength':
    case 'maxLength': {
      const c = col(metric.column);
      if (c?.kind !== 'text') return undefined;
      if (c.nulls === profile.rows) return null;
      return (metric.kind === 'minLength' ? c.minLength : c.maxLength) ?? undefined;
    }
    case 'countIf': {
      const p = metric.predicate;
      switch (p.op) {
        case 'isNull':
          return col(p.column)?.nulls;
        case 'outside': {
          const c = col(p.column);
          if (!c || !isNumericKind(c.kind)) return undefined;
          if (c.nulls === profile.rows) return 0;
          return clears(c, p.min, c.min, true) && clears(c, p.max, c.max, false) ? 0 : undefined;
        }
        case 'lengthOutside': {
          const c = col(p.column);
          if (c?.kind !== 'text') return undefined;
          if (c.nulls === profile.rows) return 0;
          if (c.minLength === undefined || c.maxLength === undefined) return undefined;
          return (p.min === undefined || Math.trunc(p.min) <= c.minLength) && (p.max === undefined || Math.trunc(p.max) >= c.maxLength) ? 0 : undefined;
        }
        case 'notInSet': {
          const c = col(p.column);
          // Text columns only: the profile's values are the engine's own text of each value.
          if (c?.kind !== 'text' || !c.top || c.distinctApprox || c.top.length !== c.distinct || p.values.length === 0) return undefined;
          const allowed = new Set(p.values);
          return c.top.reduce((n, t) => n + (allowed.has(t.value) ? 0 : t.count), 0);
        }
        case 'within':
        case 'regex':
        case 'notParseable':
        case 'compareFails':
          return undefined;
        default: {
          const never: never = p;
          return never;
        }
      }
    }
    case 'min':
    case 'max':
    case 'mean':
    case 'std':
    case 'quantile':
    case 'quantiles':
    case 'histogram':
      return undefined;
    default: {
      const never: never = metric;
      return never;
    }
  }
}

/** Rows read for the cardinality hint that picks the candidate query's plan per text column. */
export const CARDINALITY_PREFIX_ROWS = 10_000;

async function detectColumn(
  session: DataSession,
  column: string,
  groups: readonly DetectorGroup[],
  distinctFirst: boolean,
  limits: DataLimits,
  census: CensusCandidates | undefined,
): Promise<{ detection: ColumnDetection; verified: number }> {
  const hits = new Map<string, DetectorHit>();
  const rowsByValue: Record<'pii' | 'injection', Map<string, number>> = { pii: new Map(), injection: new Map() };
  let estimated = false;
  let verified = 0;
  const scale: Record<'pii' | 'injection', number> = { pii: 1, injection: 1 };
  const detectors = groups.flatMap((g) => g.detectors);
  // ONE query per column for every prefilter group: each regex runs once per row (or once per distinct
  // value), and the candidates' row total comes with it, so the fused scan needs no regex at all.
  // The column's census (taken by a profile of the same session) already holds the candidates of the
  // same prefilters: no query at all.
  let fetched: { v: string; n: number }[];
  let candidates: number;
  if (census) {
    fetched = [...census.values];
    candidates = census.total;
  } else {
    const q = compileGroupQuery({ kind: 'candidateValues', column, patterns: candidatePatterns(groups), limit: limits.maxCandidates, distinctFirst }, session.dialect, session.relation);
    const rows = await session.query(q.sql, q.params);
    fetched = rows.map((r) => ({ v: String(r.v), n: toNumber(r.n) ?? 0 }));
    candidates = toNumber(rows[0]?.total) ?? 0;
  }
  if (fetched.length > limits.maxCandidates) {
    // Beyond the cap the most frequent candidates are verified and the rate is scaled to all candidates.
    estimated = true;
    fetched = fetched.slice(0, limits.maxCandidates);
    const fetchedRows = fetched.reduce((s, r) => s + r.n, 0);
    const factor = fetchedRows > 0 ? candidates / fetchedRows : 1;
    for (const d of detectors) scale[d.category] = Math.max(scale[d.category], factor);
  }
  const filters = detectors.map((d) => jsPrefilter(d));
  for (const { v, n } of fetched) {
    for (const [di, d] of detectors.entries()) {
      const re = filters[di];
      if (re && !re.test(v)) continue;
      verified++;
      const verdict = d.verify(v);
      if (!verdict.hit) continue;
      const key = d.id;
      let hit = hits.get(key);
      if (!hit) {
        hit = { column, detector: d, rows: 0, distinct: 0, maxScore: 0, samples: [], details: new Set() };
        hits.set(key, hit);
      }
      hit.rows += n;
      hit.distinct += 1;
      hit.maxScore = Math.max(hit.maxScore, verdict.score ?? 0);
      if (verdict.detail !== undefined && hit.details.size < 10) hit.details.add(verdict.detail);
      if (hit.samples.length < limits.samples) hit.samples.push(d.mask(v).slice(0, 120));
      rowsByValue[d.category].set(v, n);
    }
  }
  const sum = (m: Map<string, number>): number => [...m.values()].reduce((s, n) => s + n, 0);
  return {
    detection: {
      hits: [...hits.values()],
      rowsByCategory: { pii: Math.round(sum(rowsByValue.pii) * scale.pii), injection: Math.round(sum(rowsByValue.injection) * scale.injection) },
      estimated,
    },
    verified,
  };
}

/** The prefilter groups as the census and candidate queries take them. */
function candidatePatterns(groups: readonly DetectorGroup[]): CandidatePattern[] {
  return groups.map((g) => ({ pattern: g.pattern, caseInsensitive: g.caseInsensitive }));
}

/** The prefilter groups of some detectors (what a census must fetch for them), for the dataset handle. */
export function detectorPatterns(detectors: readonly ValueDetector[]): CandidatePattern[] {
  return candidatePatterns(detectorGroups(detectors));
}

async function runFollowUp(session: DataSession, p: PlannedExpectation, knownUnique: ReadonlySet<string>): Promise<FollowUpResult> {
  const f = p.followUp;
  switch (f.kind) {
    case 'none':
      return { kind: 'none' };
    case 'duplicates': {
      if (f.columns.length === 1 && knownUnique.has(f.columns[0] ?? '')) return { kind: 'duplicates', groups: 0, rows: 0 };
      const q = compileGroupQuery({ kind: 'duplicateKeys', columns: f.columns }, session.dialect, session.relation);
      const row = (await session.query(q.sql, q.params))[0] ?? {};
      return { kind: 'duplicates', groups: toNumber(row.groups) ?? 0, rows: toNumber(row.rows) ?? 0 };
    }
    case 'labelCounts': {
      const q = compileGroupQuery({ kind: 'topValues', column: f.column, limit: 10_000 }, session.dialect, session.relation);
      const rows = await session.query(q.sql, q.params);
      return { kind: 'labelCounts', counts: rows.map((r) => ({ value: String(r.v), n: toNumber(r.n) ?? 0 })) };
    }
    case 'sql':
      return { kind: 'sql', rows: await session.countSelect(f.query) };
    default: {
      const never: never = f;
      return never;
    }
  }
}

/** Fetches the rows the poisoning analysis needs (bounded; seeded uniform sample beyond the bound). */
async function poisonInput(session: DataSession, label: string, sourceColumn: string | undefined, rowCount: number, distinct: ReadonlyMap<string, number>, limits: DataLimits): Promise<PoisonInput> {
  const d = session.dialect;
  const numeric = session.columns.filter((c) => c.name !== label && c.name !== sourceColumn && isNumericKind(c.kind));
  const textual = session.columns.filter((c) => c.name !== label && c.name !== sourceColumn && (c.kind === 'text' || c.kind === 'boolean'));
  const categorical = textual.filter((c) => c.kind === 'boolean' || (distinct.get(c.name) ?? Infinity) <= limits.categoricalMaxDistinct);
  const text = textual.filter((c) => !categorical.includes(c));
  const cols = [
    `${d.toText(d.quote(label))} AS ${d.quote('l')}`,
    ...numeric.map((c, i) => `${d.toDouble(d.quote(c.name))} AS ${d.quote(`n${i}`)}`),
    ...categorical.map((c, i) => `${d.toText(d.quote(c.name))} AS ${d.quote(`c${i}`)}`),
    ...text.map((c, i) => `${d.toText(d.quote(c.name))} AS ${d.quote(`t${i}`)}`),
    ...(sourceColumn !== undefined ? [`${d.toText(d.quote(sourceColumn))} AS ${d.quote('s')}`] : []),
  ];
  // Row ids: 0-based position in the order the engine reads the file (DuckDB preserves insertion order).
  const numbered = `SELECT (row_number() OVER ()) - 1 AS rid, ${cols.join(', ')} FROM ${session.relation.sql} AS t`;
  const sql =
    rowCount > limits.poisonRows
      ? d.name === 'duckdb'
        ? `SELECT * FROM (${numbered}) AS r USING SAMPLE reservoir(${Math.trunc(limits.poisonRows)} ROWS) REPEATABLE (42) ORDER BY rid`
        : `SELECT * FROM (${numbered}) AS r ORDER BY md5(CAST(rid AS TEXT)) LIMIT ${Math.trunc(limits.poisonRows)}`
      : `${numbered}`;
  const rows = await session.query(sql, session.relation.params);
  const kept = rows.filter((r) => r.l !== null && r.l !== undefined);
  const str = (v: unknown): string | null => (v === null || v === undefined ? null : typeof v === 'string' ? v : JSON.stringify(v));
  const input: PoisonInput = {
    rowIds: kept.map((r) => toNumber(r.rid) ?? 0),
    labels: kept.map((r) => String(r.l)),
    numeric: numeric.map((c, i) => ({ name: c.name, values: Float64Array.from(kept, (r) => toNumber(r[`n${i}`]) ?? Number.NaN) })),
    categorical: categorical.map((c, i) => ({ name: c.name, values: kept.map((r) => str(r[`c${i}`])) })),
    text: text.map((c, i) => ({ name: c.name, values: kept.map((r) => str(r[`t${i}`])) })),
  };
  if (sourceColumn !== undefined) input.source = { name: sourceColumn, values: kept.map((r) => str(r.s)) };
  return input;
}

function rulesFor(ids: Iterable<string>, all: readonly RuleMeta[]): RuleMeta[] {
  const want = new Set(ids);
  const seen = new Set<string>();
  return all.filter((r) => want.has(r.id) && !seen.has(r.id) && seen.add(r.id)).sort((a, b) => a.id.localeCompare(b.id));
}

function emptyReport(target: string): Report {
  return { schemaVersion: 1, kind: 'data', tool: { name: 'bulwark', version: VERSION }, target, subjects: [], rules: [], findings: [], metrics: {}, errors: [], skipped: [], complete: true };
}

/**
 * Validates a dataset: the suite's expectations (if any), the value detectors on every text column,
 * oversized cells, and poisoning signals when `label` names the label column. A dataset that cannot
 * be read is a report error (complete: false), not an exception; a bad option is a BulwarkError.
 */
export async function validateDataset(options: ValidateDatasetOptions): Promise<Report> {
  let opened: { session: DataSession; subject: Promise<DatasetSubject> };
  try {
    opened = await openSubjectSession(options.source ?? { kind: 'file', path: options.path }, options.signal);
  } catch (err) {
    if (isBulwarkError(err) && err.code !== 'INTERNAL' && err.code !== 'ABORTED') {
      const report = emptyReport(options.path);
      report.errors.push({ uri: options.path, code: err.code, message: err.message });
      report.complete = false;
      return report;
    }
    throw err;
  }
  try {
    return await validateSession(opened.session, opened.subject, options);
  } finally {
    await opened.session.close();
  }
}

/** What a profile taken on the same open session left for a validation (the dataset handle). */
export interface SessionProfile {
  /** Text censuses it took: a column whose census fetched the candidates of the same prefilters is not queried again. */
  readonly census: CensusStore;
  /** The profile itself, if one was taken: as `options.profile`, it describes these very rows. */
  readonly profile: DatasetProfile | undefined;
}

/**
 * {@link validateDataset} over an open session whose subject digest is being computed (`subject`).
 * `shared`: what a profile of the same session left. The caller closes the session.
 */
export async function validateSession(
  opened: DataSession,
  subject: Promise<DatasetSubject>,
  options: Omit<ValidateDatasetOptions, 'source' | 'signal'>,
  shared?: SessionProfile,
): Promise<Report> {
  const limits: DataLimits = { ...DEFAULT_DATA_LIMITS, ...options.limits };
  const detectors = options.detectors ?? DEFAULT_DETECTORS;
  const poison = 'poison' in options ? options.poison : detectPoisoning;
  const report = emptyReport(options.path);
  const errors: ReportError[] = [];
  const skipped: Skipped[] = [];
  const uri = options.path;
  const drafts: FindingDraft[] = [];
  const metrics: Record<string, number> = {};
  let queries = 0;
  // metrics.queries: every query of this validation, counted once it has answered.
  const session: DataSession = {
    ...opened,
    query: async (sql, params) => {
      const rows = await opened.query(sql, params);
      queries++;
      return rows;
    },
    countSelect: async (userSql) => {
      const n = await opened.countSelect(userSql);
      queries++;
      return n;
    },
  };
  try {
    const columns = session.columns;
    if (options.label !== undefined && !columns.some((c) => c.name === options.label)) {
      throw new BulwarkError('USAGE', `${uri}: no label column '${options.label}' (columns: ${columns.map((c) => c.name).join(', ')})`);
    }
    if (options.sourceColumn !== undefined && !columns.some((c) => c.name === options.sourceColumn)) {
      throw new BulwarkError('USAGE', `${uri}: no source column '${options.sourceColumn}' (columns: ${columns.map((c) => c.name).join(', ')})`);
    }
    const textColumns = columns.filter((c) => c.kind === 'text');
    const planned = (options.suite?.expectations ?? []).map((e) => planExpectation(e, columns));
    const groups = detectorGroups(detectors);
    const wantedKey = candidateKey(candidatePatterns(groups));

    // 1. The fused scan: every aggregate of every check.
    const base: ScanMetric[] = [{ kind: 'rowCount' }, ...columns.map((c): ScanMetric => ({ kind: 'nonNull', column: c.name }))];
    const oversized = textColumns.map((c): ScanMetric => ({ kind: 'countIf', predicate: { op: 'lengthOutside', column: c.name, max: limits.oversizedChars } }));
    const maxLen = textColumns.map((c): ScanMetric => ({ kind: 'maxLength', column: c.name }));
    const distinctForPoison = options.label !== undefined ? textColumns.map((c): ScanMetric => ({ kind: 'distinct', column: c.name, approx: false })) : [];
    // With a profile of the same bytes, what it answers exactly is not scanned again. The digest is
    // checked once it is known; on a mismatch everything is scanned after all. Only a file's digest is
    // of its bytes: a table's names the table (source.ts), so a profile of a table is taken as its rows
    // only when it was taken on this session (one read-only transaction), never from an earlier one.
    const ownProfile = options.profile !== undefined && options.profile === shared?.profile;
    const trusted = ownProfile || session.format !== undefined ? options.profile : undefined;
    const wanted = [...base, ...oversized, ...maxLen, ...distinctForPoison, ...planned.flatMap((p) => p.metrics)];
    const scanAll = async (ms: readonly ScanMetric[]): Promise<ScanResults | undefined> => {
      if (ms.length === 0) return undefined;
      const scan = compileScan(ms, session.dialect, session.relation);
      const row = (await session.query(scan.sql, scan.params))[0] ?? {};
      return readScanRow(scan, row);
    };
    const answered = new Map<string, number | null>();
    const rest: ScanMetric[] = [];
    for (const m of wanted) {
      const a = trusted ? answerFromProfile(trusted, m) : undefined;
      if (a === undefined) rest.push(m);
      else answered.set(metricKey(m), a);
    }
    let scanned = await scanAll(rest);
    const digest = await subject;
    report.subjects.push(digest);
    const sameBytes = trusted !== undefined && (ownProfile || trusted.subject.digest.sha256 === digest.digest.sha256);
    if (!sameBytes && answered.size > 0) {
      answered.clear();
      scanned = await scanAll(wanted);
    }
    metrics.metrics_from_profile = answered.size;
    const results: ScanResults = {
      get: (m) => {
        const key = metricKey(m);
        if (answered.has(key)) return answered.get(key) ?? null;
        if (!scanned) throw new Error(`metric not in the plan: ${key}`);
        return scanned.get(m);
      },
      list: (m) => {
        if (!scanned) throw new Error(`metric not in the plan: ${metricKey(m)}`);
        return scanned.list(m);
      },
    };
    const knownUnique = new Set(sameBytes ? (options.profile?.columns ?? []).filter((c) => c.unique === true).map((c) => c.name) : []);
    const rowCount = results.get({ kind: 'rowCount' }) ?? 0;
    metrics.rows = rowCount;
    metrics.columns = columns.length;

    // 2. Expectations: follow-ups, outcomes, samples of failures.
    let failed = 0;
    for (const [i, p] of planned.entries()) {
      let follow: FollowUpResult = { kind: 'none' };
      let outcome: Outcome;
      try {
        follow = await runFollowUp(session, p, knownUnique);
        outcome = p.evaluate(results, follow);
      } catch (err) {
        if (!isBulwarkError(err) || err.code === 'ABORTED' || err.code === 'INTERNAL') throw err;
        errors.push({ uri, code: err.code, message: `expectation ${i} (${p.expectation.type}): ${err.message}` });
        continue;
      }
      if (outcome.status === 'pass') continue;
      failed++;
      let samples: string[] = [];
      if (outcome.sample && limits.samples > 0) {
        const colInfo = columns.find((c) => c.name === outcome.sample?.column);
        const q = compileGroupQuery({ kind: 'sample', column: outcome.sample.column, predicate: outcome.sample.predicate, limit: limits.samples }, session.dialect, session.relation);
        const rows = await session.query(q.sql, q.params);
        // Raw values of numeric columns are statistics; text values are masked (they may be personal data).
        samples = rows.map((r) => (colInfo && colInfo.kind !== 'text' ? String(r.v) : maskShape(String(r.v))));
      }
      const evidence: Record<string, string | number | boolean> = { expectation: i, type: p.expectation.type };
      if (outcome.column !== undefined) evidence.column = outcome.column;
      if (outcome.unexpected !== undefined) evidence.unexpected_count = outcome.unexpected;
      if (outcome.fraction !== undefined) evidence.unexpected_fraction = Number(outcome.fraction.toPrecision(6));
      if (outcome.observed !== undefined) evidence.observed = Number(outcome.observed.toPrecision(10));
      if ('mostly' in p.expectation && p.expectation.mostly !== undefined) evidence.mostly = p.expectation.mostly;
      if (samples.length > 0) evidence.samples = samples.join(' | ');
      drafts.push({
        ruleId: outcome.schema ? 'BW-DAT-001' : ruleForExpectation(p.expectation.type),
        message: outcome.message,
        location: { uri, pointer: `/expectations/${i}` },
        evidence,
        key: `${i}:${p.expectation.type}:${outcome.column ?? ''}`,
      });
    }
    metrics.expectations_evaluated = planned.length;
    metrics.expectations_failed = failed;

    // 3. Oversized cells (a plain length aggregate).
    let oversizedTotal = 0;
    textColumns.forEach((c, i) => {
      const n = results.get(oversized[i] as ScanMetric) ?? 0;
      oversizedTotal += n;
      if (n > 0) {
        drafts.push({
          ruleId: 'BW-DAT-010',
          message: `column '${c.name}': ${n} value(s) longer than ${limits.oversizedChars} characters (longest: ${results.get(maxLen[i] as ScanMetric) ?? 0})`,
          location: { uri, pointer: `/columns/${c.name}` },
          evidence: { column: c.name, count: n, max_length: results.get(maxLen[i] as ScanMetric) ?? 0, bound: limits.oversizedChars },
          key: c.name,
        });
      }
    });
    metrics.oversized_values = oversizedTotal;

    // 4. Value detectors: candidates counted in the scan, distinct candidates verified in JS.
    const totals = { pii: 0, injection: 0 };
    const rates = { pii: 0, injection: 0 };
    let verified = 0;
    const detectable = groups.length > 0 ? textColumns.filter((c) => (results.get({ kind: 'nonNull', column: c.name }) ?? 0) > 0) : [];
    // Low-cardinality columns are matched per distinct value (group first, then one regex per value):
    // told by the profile's distinct count when one is given (measured on 10M rows: 600k to 1M distinct
    // values halve the time), else by the distinct values among the first rows. Only speed depends on it.
    const lowCardinality = new Set<string>();
    const profiled = new Map((options.profile?.columns ?? []).map((c) => [c.name, c.distinct]));
    for (const c of detectable) {
      const d = profiled.get(c.name);
      if (d !== undefined && d * DISTINCT_FIRST_RATIO <= rowCount) lowCardinality.add(c.name);
    }
    const unhinted = detectable.filter((c) => !profiled.has(c.name));
    if (unhinted.length > 0) {
      const q = compileGroupQuery({ kind: 'prefixDistinct', columns: unhinted.map((c) => c.name), rows: CARDINALITY_PREFIX_ROWS }, session.dialect, session.relation);
      const hint = (await session.query(q.sql, q.params))[0] ?? {};
      const seen = toNumber(hint.rows) ?? 0;
      unhinted.forEach((c, i) => {
        // A prefix sees fewer repeats than the whole column: a stricter ratio.
        if ((toNumber(hint[`d${i}`]) ?? seen) * 20 <= seen) lowCardinality.add(c.name);
      });
    }
    for (const c of detectable) {
      const fromCensus = shared?.census.get(c.name)?.candidates;
      const usable = fromCensus && fromCensus.key === wantedKey && fromCensus.limit === limits.maxCandidates ? fromCensus : undefined;
      const { detection, verified: v } = await detectColumn(session, c.name, groups, lowCardinality.has(c.name), limits, usable);
      verified += v;
      const nonNull = results.get({ kind: 'nonNull', column: c.name }) ?? 0;
      for (const cat of ['pii', 'injection'] as const) {
        totals[cat] += detection.rowsByCategory[cat];
        if (nonNull > 0) rates[cat] = Math.max(rates[cat], detection.rowsByCategory[cat] / nonNull);
      }
      for (const hit of detection.hits.sort((a, b) => a.detector.id.localeCompare(b.detector.id))) {
        const rate = nonNull > 0 ? hit.rows / nonNull : 0;
        const evidence: Record<string, string | number | boolean> = {
          column: c.name,
          detector: hit.detector.id,
          values: hit.rows,
          distinct_values: hit.distinct,
          rate: Number(rate.toPrecision(6)),
          samples: hit.samples.join(' | '),
        };
        if (hit.maxScore > 0) evidence.max_score = hit.maxScore;
        if (hit.details.size > 0) evidence.kinds = [...hit.details].sort().join(',');
        if (detection.estimated) evidence.estimated = true;
        drafts.push({
          ruleId: hit.detector.ruleId,
          message: `column '${c.name}': ${hit.rows} value(s) (${(rate * 100).toFixed(2)}% of non-null) match ${hit.detector.id}${detection.estimated ? ` (counts are exact for the ${limits.maxCandidates} most frequent candidate values; the rate is an estimate beyond them)` : ''}`,
          location: { uri, pointer: `/columns/${c.name}` },
          evidence,
          key: `${c.name}:${hit.detector.id}`,
        });
      }
    }
    metrics.pii_values = totals.pii;
    metrics.pii_rate = Number(rates.pii.toPrecision(6));
    metrics.injection_values = totals.injection;
    metrics.injection_rate = Number(rates.injection.toPrecision(6));
    metrics.candidate_values_verified = verified;

    // 5. Poisoning signals.
    metrics.poison_suspicions = 0;
    if (options.label !== undefined) {
      if (poison === undefined) {
        skipped.push({ uri, reason: 'poisoning analysis is not available in this build (label given)' });
      } else {
        const distinct = new Map(textColumns.map((c) => [c.name, results.get({ kind: 'distinct', column: c.name, approx: false }) ?? Infinity]));
        const input = await poisonInput(session, options.label, options.sourceColumn, rowCount, distinct, limits);
        const result = poison(input);
        metrics.poison_suspicions = result.suspicions.length;
        for (const [k, v] of Object.entries(result.metrics)) metrics[k.startsWith('poison_') ? k : `poison_${k}`] = v;
        for (const s of result.suspicions) {
          const evidence: Record<string, string | number | boolean> = { ...s.evidence, kind: s.kind, score: Number(s.score.toPrecision(6)), rows: s.rowIds.slice(0, 20).join(',') };
          if (rowCount > limits.poisonRows) evidence.sampled = true;
          drafts.push({ ruleId: s.ruleId, message: s.message, location: { uri, pointer: `/rows/${s.rowIds[0] ?? 0}` }, evidence, key: `${s.kind}:${s.rowIds.slice(0, 5).join(',')}` });
        }
      }
    }
    metrics.queries = queries;
  } catch (err) {
    if (isBulwarkError(err) && (err.code === 'PARSE_ERROR' || err.code === 'FILE_UNREADABLE')) {
      errors.push({ uri, code: err.code, message: err.message });
    } else {
      throw err;
    }
  } finally {
    if (report.subjects.length === 0) {
      // The run stopped before the digest was collected: the subject still names the file.
      await subject.then(
        (d) => report.subjects.push(d),
        (err: unknown) => {
          if (isBulwarkError(err)) errors.push({ uri, code: err.code, message: err.message });
        },
      );
    }
  }
  const allRules = [...DATA_RULES, ...PII_RULES, ...INJECTION_RULES, ...POISON_RULES, ...(options.extraRules ?? [])];
  const severity = new Map(allRules.map((r) => [r.id, r.severity]));
  const findings = finaliseFindings(drafts, (id) => severity.get(id) ?? 'medium').sort(compareFindings);
  report.findings = findings;
  report.rules = rulesFor(findings.map((f) => f.ruleId), allRules);
  report.metrics = metrics;
  report.errors = errors;
  report.skipped = skipped;
  report.complete = errors.length === 0;
  return report;
}
