/**
 * SQL dialects the metric plan compiles to. The plan ({@link ./plan.ts}) is engine-neutral; a
 * dialect supplies only the few spellings that differ between engines. Everything here returns SQL
 * fragments around expressions the compiler built itself: values never pass through a dialect, they
 * are bound parameters (`$n`, which both DuckDB and PostgreSQL accept).
 */
import { quoteIdent } from './duckdb.js';

/** The engines a plan runs on. */
export type DialectName = 'duckdb' | 'postgres';

/** The spellings that differ between engines. */
export interface Dialect {
  readonly name: DialectName;
  /** Quotes an identifier (double quotes, doubled inside: the same in both engines). */
  quote(name: string): string;
  /** A text cast of any expression. */
  toText(expr: string): string;
  /** A double-precision cast of a numeric expression. */
  toDouble(expr: string): string;
  /** Number of characters of a text expression. */
  length(expr: string): string;
  /** True when `expr` matches the regular expression bound at `param`. */
  regexMatch(expr: string, param: string, caseInsensitive: boolean): string;
  /** Continuous quantile `q` of `expr` (a validated numeric literal: DuckDB requires a constant). */
  quantile(expr: string, q: number): string;
  /** Several quantiles as one list-valued aggregate (one sketch or sort per column, not one per quantile). */
  quantiles(expr: string, qs: readonly number[]): string;
  /** A one-pass histogram aggregate over an integer bin expression (a MAP bin -> count), if the engine has one. */
  readonly histogram?: (binExpr: string) => string;
  /** Whether {@link quantile} is approximate on this engine. */
  readonly approxQuantiles: boolean;
  /** Distinct count; `approx` asks for a sketch where the engine has one. */
  distinctCount(expr: string, approx: boolean): string;
  /** Sample standard deviation. */
  stddev(expr: string): string;
  /** True when the text expression is NOT parseable as the given kind (non-null input assumed). */
  notParseable(textExpr: string, as: 'number' | 'date' | 'json'): string;
}

/** Formats a number for SQL text after checking it is finite (never a value from a file). */
export function numberLiteral(n: number): string {
  if (!Number.isFinite(n)) throw new Error(`not a finite number: ${n}`);
  return String(n);
}

/**
 * Embedded DuckDB. A single quantile (an expectation) uses `approx_quantile` (a t-digest, one pass,
 * bounded memory); the profile's quantile lists are exact (`quantile_cont`) so that they are
 * deterministic.
 */
export const DUCKDB_DIALECT: Dialect = {
  name: 'duckdb',
  quote: quoteIdent,
  toText: (e) => `CAST(${e} AS VARCHAR)`,
  toDouble: (e) => `CAST(${e} AS DOUBLE)`,
  length: (e) => `length(${e})`,
  regexMatch: (e, p, ci) => (ci ? `regexp_matches(${e}, ${p}, 'i')` : `regexp_matches(${e}, ${p})`),
  quantile: (e, q) => `approx_quantile(${e}, ${numberLiteral(q)})`,
  // Exact: approx_quantile's t-digest merges per-thread sketches in a run-dependent order, so its
  // answer changes between runs, and reports must be deterministic.
  quantiles: (e, qs) => `quantile_cont(${e}, [${qs.map(numberLiteral).join(', ')}])`,
  histogram: (b) => `histogram(${b})`,
  approxQuantiles: false,
  distinctCount: (e, approx) => (approx ? `approx_count_distinct(${e})` : `count(DISTINCT ${e})`),
  // DuckDB's stddev_samp raises "out of range" when a NaN or an infinity reaches it: the deviation of the
  // finite values (a NaN or infinity shows in the mean, which the profile then reports as unknown).
  stddev: (e) => `stddev_samp(${e}) FILTER (WHERE isfinite(${e}))`,
  notParseable: (e, as) => {
    switch (as) {
      case 'number':
        // The form is checked first: a failing TRY_CAST costs far more than a regex (measured in bench/data.mjs).
        return `(CASE WHEN regexp_matches(${e}, '${NUMBER_RE}') THEN TRY_CAST(${e} AS DOUBLE) IS NULL ELSE true END)`;
      case 'date':
        // DuckDB's DATE cast accepts trailing text ('2024-01-01x'): require the ISO form first.
        return `(CASE WHEN regexp_matches(${e}, '${ISO_DATE_RE}') THEN TRY_CAST(${e} AS DATE) IS NULL ELSE true END)`;
      case 'json':
        return `NOT coalesce(json_valid(${e}), false)`;
      default: {
        const never: never = as;
        return never;
      }
    }
  },
};

/** Unsigned/signed decimal or scientific number, what `double precision` input accepts (bar NaN/Infinity). */
const NUMBER_RE = '^\\s*[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]+)?\\s*$';
const PG_NUMBER_RE = '^\\s*[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]+)?\\s*$';
/** ISO 8601 calendar date prefix: PostgreSQL 15 has no non-throwing date cast, so the form is checked. */
const PG_DATE_RE = '^\\s*[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])\\s*$';
/** The only date form `parseable: date` accepts: ISO 8601 calendar date, YYYY-MM-DD. */
const ISO_DATE_RE = '^\\s*[0-9]{4}-[0-9]{2}-[0-9]{2}\\s*$';

/**
 * PostgreSQL. `percentile_cont ... WITHIN GROUP` is exact. PostgreSQL has no `TRY_CAST`; from
 * version 16 `pg_input_is_valid` is the safe check, before it a regular expression of the accepted
 * form (literal patterns written by us, not values). JSON validity needs 16 (`IS JSON`).
 */
export function postgresDialect(serverVersionNum = 160000): Dialect {
  const v16 = serverVersionNum >= 160000;
  return {
    name: 'postgres',
    quote: quoteIdent,
    toText: (e) => `CAST(${e} AS TEXT)`,
    toDouble: (e) => `CAST(${e} AS DOUBLE PRECISION)`,
    length: (e) => `char_length(${e})`,
    regexMatch: (e, p, ci) => (ci ? `(${e} ~* ${p})` : `(${e} ~ ${p})`),
    quantile: (e, q) => `percentile_cont(${numberLiteral(q)}) WITHIN GROUP (ORDER BY ${e})`,
    quantiles: (e, qs) => `percentile_cont(ARRAY[${qs.map(numberLiteral).join(', ')}]::double precision[]) WITHIN GROUP (ORDER BY ${e})`,
    approxQuantiles: false,
    distinctCount: (e) => `count(DISTINCT ${e})`,
    stddev: (e) => `stddev_samp(${e})`,
    notParseable: (e, as) => {
      switch (as) {
        case 'number':
          return v16 ? `NOT pg_input_is_valid(${e}, 'double precision')` : `NOT (${e} ~ '${PG_NUMBER_RE}')`;
        case 'date':
          return v16 ? `(NOT (${e} ~ '${ISO_DATE_RE}') OR NOT pg_input_is_valid(${e}, 'date'))` : `NOT (${e} ~ '${PG_DATE_RE}')`;
        case 'json':
          if (!v16) throw new Error('JSON validity needs PostgreSQL 16 or later (IS JSON)');
          return `NOT (${e} IS JSON)`;
        default: {
          const never: never = as;
          return never;
        }
      }
    },
  };
}
