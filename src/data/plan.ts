/**
 * The metric plan: an engine-neutral description of what to compute over one relation, and its
 * compiler to SQL. Every scan aggregate of every check is FUSED into one `SELECT agg1, agg2, ... FROM
 * <relation>` so the table is read once (the approach of Deequ's analyzers, Schelter et al., "Automating
 * large-scale data quality verification", VLDB 2018); group-bys (top values, duplicate keys, detector
 * candidates) and samples are separate, bounded queries. Values (regexes, set members, bounds) are
 * bound parameters, identifiers are quoted; only validated finite numbers (quantile fractions,
 * limits) appear as literals, because engines require them to be constants.
 */
import { numberLiteral, type Dialect } from './dialect.js';

/** Comparison operators of a cross-column check. */
export type CompareOperator = '<' | '<=' | '>' | '>=' | '=' | '<>';

/** Comparison operators, for schemas. */
export const COMPARE_OPERATORS: readonly CompareOperator[] = ['<', '<=', '>', '>=', '=', '<>'];

/**
 * A row condition. Each one is the UNEXPECTED (or counted) case and is false for NULL inputs, so
 * `count(*) FILTER (WHERE p)` counts offending non-null values.
 */
export type Predicate =
  /** The column is NULL. */
  | { readonly op: 'isNull'; readonly column: string }
  /** Non-null numeric value below `min` or above `max` (inclusive bounds are fine). */
  | { readonly op: 'outside'; readonly column: string; readonly min?: number; readonly max?: number }
  /** Non-null numeric value in `[lo, hi)` (or `[lo, hi]` when `closed`): a histogram bin. */
  | { readonly op: 'within'; readonly column: string; readonly lo: number; readonly hi: number; readonly closed: boolean }
  /** Non-null value whose text is not one of `values`. */
  | { readonly op: 'notInSet'; readonly column: string; readonly values: readonly string[] }
  /** Non-null value whose text matches (or, with `negate`, does not match) `pattern`. */
  | { readonly op: 'regex'; readonly column: string; readonly pattern: string; readonly caseInsensitive: boolean; readonly negate: boolean }
  /** Non-null value whose text length is below `min` or above `max`. */
  | { readonly op: 'lengthOutside'; readonly column: string; readonly min?: number; readonly max?: number }
  /** Non-null value whose text does not parse as a number, ISO date or JSON. */
  | { readonly op: 'notParseable'; readonly column: string; readonly as: 'number' | 'date' | 'json' }
  /** Both columns non-null and `left operator right` is false. */
  | { readonly op: 'compareFails'; readonly left: string; readonly operator: CompareOperator; readonly right: string };

/** One scan aggregate; each yields one number (or null when the engine returns NULL). */
export type ScanMetric =
  | { readonly kind: 'rowCount' }
  | { readonly kind: 'nonNull'; readonly column: string }
  /** Distinct non-null values: exact `count(DISTINCT)` unless `approx` (HyperLogLog on DuckDB). */
  | { readonly kind: 'distinct'; readonly column: string; readonly approx: boolean }
  | { readonly kind: 'min' | 'max' | 'mean' | 'std'; readonly column: string }
  /** Continuous quantile (approximate on DuckDB, exact on PostgreSQL; see the dialect). */
  | { readonly kind: 'quantile'; readonly column: string; readonly q: number }
  | { readonly kind: 'minLength' | 'maxLength'; readonly column: string }
  | { readonly kind: 'countIf'; readonly predicate: Predicate }
  /** Several quantiles in one aggregate (one sketch per column): read with {@link ScanResults.list}. */
  | { readonly kind: 'quantiles'; readonly column: string; readonly qs: readonly number[] }
  /**
   * Equal-width histogram of `n` bins from `lo` with `width` (the last bin closed), where the dialect
   * has a one-pass histogram aggregate: read with {@link ScanResults.list}.
   */
  | { readonly kind: 'histogram'; readonly column: string; readonly lo: number; readonly width: number; readonly n: number };

/** A bounded query that is not a plain aggregate. */
export type GroupQuery =
  /** The `limit` most frequent non-null values (as text) with their counts, and the number of distinct values. */
  | { readonly kind: 'topValues'; readonly column: string; readonly limit: number }
  /** Groups of `columns` seen more than once: `groups` and the `rows` in them. */
  | { readonly kind: 'duplicateKeys'; readonly columns: readonly string[] }
  /** Distinct non-null values matching a prefilter, with row counts, most frequent first, `limit + 1` at most. */
  | { readonly kind: 'candidates'; readonly column: string; readonly pattern: string; readonly caseInsensitive: boolean; readonly limit: number }
  /** Up to `limit` distinct values (as text) of `column` on rows where `predicate` holds. */
  | { readonly kind: 'sample'; readonly column: string; readonly predicate: Predicate; readonly limit: number };

/** The relation a plan reads: a table function call or a quoted table name, with its own parameters. */
export interface Relation {
  readonly sql: string;
  readonly params: readonly unknown[];
}

/** Compiled SQL with its parameters. */
export interface CompiledQuery {
  readonly sql: string;
  readonly params: unknown[];
}

/** A compiled fused scan: `aliases[i]` is the result column of `metrics[i]`. */
export interface CompiledScan extends CompiledQuery {
  readonly metrics: readonly ScanMetric[];
  readonly aliases: readonly string[];
}

/** A stable key of a metric, so that the same aggregate asked for by two checks is computed once. */
export function metricKey(metric: ScanMetric): string {
  return JSON.stringify(metric, Object.keys(flatKeys(metric)).sort());
}

function flatKeys(value: unknown, acc: Record<string, true> = {}): Record<string, true> {
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      acc[k] = true;
      flatKeys(v, acc);
    }
  }
  return acc;
}

/** Collects bound parameters, numbering them after the relation's own. */
class ParamList {
  readonly values: unknown[];
  constructor(initial: readonly unknown[]) {
    this.values = [...initial];
  }
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

function col(d: Dialect, name: string): string {
  return d.quote(name);
}

/** Compiles a predicate to a boolean SQL expression. */
export function compilePredicate(p: Predicate, d: Dialect, params: { add(value: unknown): string }): string {
  switch (p.op) {
    case 'isNull':
      return `${col(d, p.column)} IS NULL`;
    case 'outside': {
      const x = d.toDouble(col(d, p.column));
      const parts: string[] = [];
      if (p.min !== undefined) parts.push(`${x} < ${d.toDouble(params.add(p.min))}`);
      if (p.max !== undefined) parts.push(`${x} > ${d.toDouble(params.add(p.max))}`);
      return parts.length === 0 ? 'false' : `(${parts.join(' OR ')})`;
    }
    case 'within': {
      const x = d.toDouble(col(d, p.column));
      return `(${x} >= ${d.toDouble(params.add(p.lo))} AND ${x} ${p.closed ? '<=' : '<'} ${d.toDouble(params.add(p.hi))})`;
    }
    case 'notInSet': {
      const x = d.toText(col(d, p.column));
      if (p.values.length === 0) return `${col(d, p.column)} IS NOT NULL`;
      return `(${x} NOT IN (${p.values.map((v) => d.toText(params.add(v))).join(', ')}))`;
    }
    case 'regex': {
      const m = d.regexMatch(d.toText(col(d, p.column)), params.add(p.pattern), p.caseInsensitive);
      return p.negate ? `(NOT ${m})` : m;
    }
    case 'lengthOutside': {
      const len = d.length(d.toText(col(d, p.column)));
      const parts: string[] = [];
      if (p.min !== undefined) parts.push(`${len} < ${params.add(Math.trunc(p.min))}`);
      if (p.max !== undefined) parts.push(`${len} > ${params.add(Math.trunc(p.max))}`);
      return parts.length === 0 ? 'false' : `(${parts.join(' OR ')})`;
    }
    case 'notParseable':
      return `(${col(d, p.column)} IS NOT NULL AND ${d.notParseable(d.toText(col(d, p.column)), p.as)})`;
    case 'compareFails':
      return `(${col(d, p.left)} IS NOT NULL AND ${col(d, p.right)} IS NOT NULL AND NOT (${col(d, p.left)} ${p.operator} ${col(d, p.right)}))`;
    default: {
      const never: never = p;
      return never;
    }
  }
}

function compileMetric(m: ScanMetric, d: Dialect, params: ParamList): string {
  switch (m.kind) {
    case 'rowCount':
      return 'count(*)';
    case 'nonNull':
      return `count(${col(d, m.column)})`;
    case 'distinct':
      return d.distinctCount(col(d, m.column), m.approx);
    case 'min':
      return `min(${d.toDouble(col(d, m.column))})`;
    case 'max':
      return `max(${d.toDouble(col(d, m.column))})`;
    case 'mean':
      return `avg(${d.toDouble(col(d, m.column))})`;
    case 'std':
      return d.stddev(d.toDouble(col(d, m.column)));
    case 'quantile':
      return d.quantile(d.toDouble(col(d, m.column)), m.q);
    case 'minLength':
      return `min(${d.length(d.toText(col(d, m.column)))})`;
    case 'maxLength':
      return `max(${d.length(d.toText(col(d, m.column)))})`;
    case 'countIf':
      return `count(*) FILTER (WHERE ${compilePredicate(m.predicate, d, params)})`;
    case 'quantiles':
      return d.quantiles(d.toDouble(col(d, m.column)), m.qs);
    case 'histogram': {
      if (!d.histogram) throw new Error(`the ${d.name} dialect has no histogram aggregate`);
      const x = d.toDouble(col(d, m.column));
      const bin = `least(floor((${x} - ${d.toDouble(params.add(m.lo))}) / ${d.toDouble(params.add(m.width))}), ${numberLiteral(Math.trunc(m.n) - 1)})`;
      return d.histogram(`CAST(${bin} AS INTEGER)`);
    }
    default: {
      const never: never = m;
      return never;
    }
  }
}

/**
 * Compiles every metric into ONE aggregate query over the relation (duplicates removed), so a
 * file is scanned once however many checks ask for aggregates.
 */
export function compileScan(metrics: readonly ScanMetric[], d: Dialect, relation: Relation): CompiledScan {
  const unique = new Map<string, ScanMetric>();
  for (const m of metrics) unique.set(metricKey(m), m);
  const list = [...unique.values()];
  const params = new ParamList(relation.params);
  const aliases = list.map((_, i) => `m${i}`);
  const select = list.length === 0 ? 'count(*) AS m_rows' : list.map((m, i) => `${compileMetric(m, d, params)} AS ${aliases[i] ?? ''}`).join(',\n  ');
  return { sql: `SELECT\n  ${select}\nFROM ${relation.sql} AS t`, params: params.values, metrics: list, aliases };
}

/** Compiles one bounded group-by or sample query. */
export function compileGroupQuery(q: GroupQuery, d: Dialect, relation: Relation): CompiledQuery {
  const params = new ParamList(relation.params);
  switch (q.kind) {
    case 'topValues': {
      const v = d.toText(col(d, q.column));
      // `groups` (every row) is the exact distinct count, free with the group-by.
      return {
        sql: `SELECT v, n, count(*) OVER () AS groups FROM (SELECT ${v} AS v, count(*) AS n FROM ${relation.sql} AS t WHERE ${col(d, q.column)} IS NOT NULL GROUP BY 1) AS g ORDER BY n DESC, v LIMIT ${numberLiteral(Math.trunc(q.limit))}`,
        params: params.values,
      };
    }
    case 'duplicateKeys': {
      const keys = q.columns.map((c) => col(d, c)).join(', ');
      return {
        sql: `SELECT count(*) AS groups, coalesce(sum(n), 0) AS rows FROM (SELECT count(*) AS n FROM ${relation.sql} AS t GROUP BY ${keys} HAVING count(*) > 1) AS dup`,
        params: params.values,
      };
    }
    case 'candidates': {
      const v = d.toText(col(d, q.column));
      const match = d.regexMatch(v, params.add(q.pattern), q.caseInsensitive);
      return {
        sql: `SELECT ${v} AS v, count(*) AS n FROM ${relation.sql} AS t WHERE ${col(d, q.column)} IS NOT NULL AND ${match} GROUP BY 1 ORDER BY n DESC, v LIMIT ${numberLiteral(Math.trunc(q.limit) + 1)}`,
        params: params.values,
      };
    }
    case 'sample': {
      const v = d.toText(col(d, q.column));
      const where = compilePredicate(q.predicate, d, params);
      return {
        sql: `SELECT DISTINCT ${v} AS v FROM ${relation.sql} AS t WHERE ${where} ORDER BY v LIMIT ${numberLiteral(Math.trunc(q.limit))}`,
        params: params.values,
      };
    }
    default: {
      const never: never = q;
      return never;
    }
  }
}

/** Converts an engine value (bigint, string from pg, DuckDB decimal) to a number; null stays null. */
export function toNumber(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string') {
    const n = Number(value);
    return Number.isNaN(n) ? null : n;
  }
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'object' && 'toDouble' in value && typeof (value).toDouble === 'function') {
    return (value as { toDouble(): number }).toDouble();
  }
  return null;
}

/** Results of a fused scan, by metric. */
export interface ScanResults {
  get(metric: ScanMetric): number | null;
  /** A list-valued metric (quantiles in order; histogram counts per bin index 0..n-1). */
  list(metric: ScanMetric): (number | null)[];
}

/** Reads an engine list (pg array, DuckDB LIST value) or DuckDB MAP value (histogram) into numbers. */
function toList(metric: ScanMetric, value: unknown): (number | null)[] {
  if (value === null || value === undefined) return metric.kind === 'histogram' ? Array.from({ length: metric.n }, () => 0) : [];
  const items: unknown = Array.isArray(value) ? value : typeof value === 'object' && 'items' in value ? (value).items : typeof value === 'object' && 'entries' in value ? (value).entries : [];
  const arr = Array.isArray(items) ? (items as unknown[]) : [];
  if (metric.kind === 'histogram') {
    const counts = Array.from({ length: metric.n }, () => 0);
    for (const e of arr) {
      const { key, value: n } = e as { key: unknown; value: unknown };
      const i = toNumber(key);
      if (i !== null && i >= 0 && i < metric.n) counts[i] = (counts[i] ?? 0) + (toNumber(n) ?? 0);
    }
    return counts;
  }
  return arr.map((v) => toNumber(v));
}

/** Reads a fused scan's single result row into a lookup by metric. */
export function readScanRow(scan: CompiledScan, row: Record<string, unknown>): ScanResults {
  const byKey = new Map<string, unknown>();
  scan.metrics.forEach((m, i) => byKey.set(metricKey(m), row[scan.aliases[i] ?? '']));
  const raw = (metric: ScanMetric): unknown => {
    const key = metricKey(metric);
    if (!byKey.has(key)) throw new Error(`metric not in the plan: ${key}`);
    return byKey.get(key);
  };
  return {
    get: (metric) => toNumber(raw(metric)),
    list: (metric) => toList(metric, raw(metric)),
  };
}
