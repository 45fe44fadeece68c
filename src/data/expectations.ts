/**
 * Expectations -> metric plan -> outcomes. Each expectation asks the fused scan for the aggregates
 * it needs (unexpected counts as `count(*) FILTER (WHERE ...)`, statistics) and, where an aggregate
 * cannot answer, for one bounded group-by (uniqueness, label balance) or a read-only SQL count.
 */
import type { ScanMetric, Predicate, ScanResults } from './plan.js';
import type { ColumnInfo, ColumnKind } from './source.js';
import { isNumericKind } from './source.js';
import type { Expectation } from './suite.js';

/** The outcome of one expectation. */
export type Outcome =
  | { readonly status: 'pass'; readonly observed?: number }
  | {
      readonly status: 'fail';
      readonly message: string;
      readonly column?: string;
      /** Rows (or values) that broke it, and their fraction of the non-null values checked. */
      readonly unexpected?: number;
      readonly fraction?: number;
      readonly observed?: number;
      /** Where sample values are fetched from (the unexpected rows). */
      readonly sample?: { readonly column: string; readonly predicate: Predicate };
      /** Schema problems (a missing or mistyped column) report under the schema rule. */
      readonly schema?: boolean;
    };

/** What an expectation needs beyond the fused scan. */
export type FollowUp =
  | { readonly kind: 'none' }
  | { readonly kind: 'duplicates'; readonly columns: readonly string[] }
  | { readonly kind: 'labelCounts'; readonly column: string }
  | { readonly kind: 'sql'; readonly query: string };

/** Results of a follow-up query. */
export type FollowUpResult =
  | { readonly kind: 'none' }
  | { readonly kind: 'duplicates'; readonly groups: number; readonly rows: number }
  | { readonly kind: 'labelCounts'; readonly counts: readonly { value: string; n: number }[] }
  | { readonly kind: 'sql'; readonly rows: number };

/** A planned expectation: its aggregates, its follow-up and how to judge the results. */
export interface PlannedExpectation {
  readonly expectation: Expectation;
  readonly metrics: readonly ScanMetric[];
  readonly followUp: FollowUp;
  evaluate(scan: ScanResults, follow: FollowUpResult): Outcome;
}

const EPS = 1e-12;

/** Allowed unexpected fraction for a `mostly` (default 1: nothing unexpected). */
function judgeMostly(unexpected: number, total: number, mostly: number | undefined): { pass: boolean; fraction: number } {
  const fraction = total > 0 ? unexpected / total : 0;
  return { pass: fraction <= 1 - (mostly ?? 1) + EPS, fraction };
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toPrecision(6).replace(/\.?0+$/, '');
}

function pct(f: number): string {
  return `${(f * 100).toFixed(f < 0.001 && f > 0 ? 4 : 2)}%`;
}

function schemaFail(message: string, column?: string): PlannedExpectation['evaluate'] {
  return () => ({ status: 'fail', message, schema: true, ...(column !== undefined ? { column } : {}) });
}

function fixed(expectation: Expectation, evaluate: PlannedExpectation['evaluate']): PlannedExpectation {
  return { expectation, metrics: [], followUp: { kind: 'none' }, evaluate };
}

/** A predicate-based validity expectation: unexpected = count of the predicate, over non-null values. */
function predicateCheck(e: Expectation & { column: string; mostly?: number | undefined }, predicate: Predicate, what: string): PlannedExpectation {
  const count: ScanMetric = { kind: 'countIf', predicate };
  const nonNull: ScanMetric = { kind: 'nonNull', column: e.column };
  return {
    expectation: e,
    metrics: [count, nonNull],
    followUp: { kind: 'none' },
    evaluate(scan) {
      const unexpected = scan.get(count) ?? 0;
      const total = scan.get(nonNull) ?? 0;
      const { pass, fraction } = judgeMostly(unexpected, total, e.mostly);
      if (pass) return { status: 'pass', observed: fraction };
      return {
        status: 'fail',
        column: e.column,
        unexpected,
        fraction,
        message: `column '${e.column}': ${unexpected} of ${total} non-null values (${pct(fraction)}) ${what}${e.mostly !== undefined ? ` (allowed: ${pct(1 - e.mostly)})` : ''}`,
        sample: { column: e.column, predicate },
      };
    },
  };
}

/**
 * Plans one expectation against the columns the source has. A missing column or a column of the
 * wrong kind is a schema failure, decided without any query.
 */
export function planExpectation(e: Expectation, columns: readonly ColumnInfo[]): PlannedExpectation {
  const byName = new Map(columns.map((c) => [c.name, c]));
  const need = (name: string): ColumnInfo | string => byName.get(name) ?? `column '${name}' is missing (the dataset has: ${columns.map((c) => c.name).join(', ')})`;
  const needNumeric = (name: string): ColumnInfo | string => {
    const c = need(name);
    if (typeof c === 'string') return c;
    return isNumericKind(c.kind) ? c : `column '${name}' is ${c.type}, expected a numeric column`;
  };
  switch (e.type) {
    case 'columns': {
      return fixed(e, () => {
        const problems: string[] = [];
        for (const want of e.columns) {
          const got = byName.get(want.name);
          if (!got) problems.push(`missing column '${want.name}'`);
          else if (want.kind !== undefined && !kindCompatible(want.kind, got.kind)) problems.push(`column '${want.name}' is ${got.kind} (${got.type}), expected ${want.kind}`);
        }
        if (!e.allow_extra) {
          const wanted = new Set(e.columns.map((c) => c.name));
          for (const c of columns) if (!wanted.has(c.name)) problems.push(`unexpected column '${c.name}'`);
        }
        return problems.length === 0 ? { status: 'pass' } : { status: 'fail', message: `schema differs: ${problems.join('; ')}`, schema: true, unexpected: problems.length };
      });
    }
    case 'row_count': {
      const rows: ScanMetric = { kind: 'rowCount' };
      return {
        expectation: e,
        metrics: [rows],
        followUp: { kind: 'none' },
        evaluate(scan) {
          const n = scan.get(rows) ?? 0;
          if ((e.min !== undefined && n < e.min) || (e.max !== undefined && n > e.max)) {
            return { status: 'fail', observed: n, message: `row count ${n} is outside [${e.min ?? '-inf'}, ${e.max ?? '+inf'}]` };
          }
          return { status: 'pass', observed: n };
        },
      };
    }
    case 'not_null': {
      const c = need(e.column);
      if (typeof c === 'string') return fixed(e, schemaFail(c, e.column));
      const rows: ScanMetric = { kind: 'rowCount' };
      const nonNull: ScanMetric = { kind: 'nonNull', column: e.column };
      return {
        expectation: e,
        metrics: [rows, nonNull],
        followUp: { kind: 'none' },
        evaluate(scan) {
          const total = scan.get(rows) ?? 0;
          const nulls = total - (scan.get(nonNull) ?? 0);
          const { pass, fraction } = judgeMostly(nulls, total, e.mostly);
          if (pass) return { status: 'pass', observed: fraction };
          return {
            status: 'fail',
            column: e.column,
            unexpected: nulls,
            fraction,
            message: `column '${e.column}': ${nulls} of ${total} rows (${pct(fraction)}) are null${e.mostly !== undefined ? ` (allowed: ${pct(1 - e.mostly)})` : ''}`,
          };
        },
      };
    }
    case 'between': {
      const c = needNumeric(e.column);
      if (typeof c === 'string') return fixed(e, schemaFail(c, e.column));
      return predicateCheck(e, { op: 'outside', column: e.column, ...opt('min', e.min), ...opt('max', e.max) }, `are outside [${e.min ?? '-inf'}, ${e.max ?? '+inf'}]`);
    }
    case 'in_set': {
      const c = need(e.column);
      if (typeof c === 'string') return fixed(e, schemaFail(c, e.column));
      const values = e.values.map((v) => String(v));
      return predicateCheck(e, { op: 'notInSet', column: e.column, values }, `are not in the expected set of ${values.length}`);
    }
    case 'regex': {
      const c = need(e.column);
      if (typeof c === 'string') return fixed(e, schemaFail(c, e.column));
      return predicateCheck(e, { op: 'regex', column: e.column, pattern: e.pattern, caseInsensitive: e.case_insensitive ?? false, negate: true }, `do not match /${e.pattern}/`);
    }
    case 'length_between': {
      const c = need(e.column);
      if (typeof c === 'string') return fixed(e, schemaFail(c, e.column));
      return predicateCheck(e, { op: 'lengthOutside', column: e.column, ...opt('min', e.min), ...opt('max', e.max) }, `have a length outside [${e.min ?? 0}, ${e.max ?? 'inf'}]`);
    }
    case 'parseable': {
      const c = need(e.column);
      if (typeof c === 'string') return fixed(e, schemaFail(c, e.column));
      return predicateCheck(e, { op: 'notParseable', column: e.column, as: e.as }, `do not parse as ${e.as}`);
    }
    case 'unique': {
      for (const name of e.columns) {
        const c = need(name);
        if (typeof c === 'string') return fixed(e, schemaFail(c, name));
      }
      const rows: ScanMetric = { kind: 'rowCount' };
      const key = e.columns.join(', ');
      return {
        expectation: e,
        metrics: [rows],
        followUp: { kind: 'duplicates', columns: e.columns },
        evaluate(scan, follow) {
          const total = scan.get(rows) ?? 0;
          const dup = follow.kind === 'duplicates' ? follow : { groups: 0, rows: 0 };
          if (dup.groups === 0) return { status: 'pass', observed: 0 };
          const fraction = total > 0 ? dup.rows / total : 0;
          return {
            status: 'fail',
            ...(e.columns.length === 1 ? { column: e.columns[0] ?? '' } : {}),
            unexpected: dup.rows,
            fraction,
            message: `(${key}) is not unique: ${dup.groups} value(s) repeated across ${dup.rows} rows (${pct(fraction)})`,
          };
        },
      };
    }
    case 'aggregate_between': {
      const c = e.stat === 'distinct_count' ? need(e.column) : needNumeric(e.column);
      if (typeof c === 'string') return fixed(e, schemaFail(c, e.column));
      let metric: ScanMetric;
      switch (e.stat) {
        case 'mean':
        case 'std':
        case 'min':
        case 'max':
          metric = { kind: e.stat, column: e.column };
          break;
        case 'quantile':
          metric = { kind: 'quantile', column: e.column, q: e.q ?? 0.5 };
          break;
        case 'distinct_count':
          metric = { kind: 'distinct', column: e.column, approx: false };
          break;
        default: {
          const never: never = e.stat;
          return never;
        }
      }
      const label = e.stat === 'quantile' ? `quantile ${e.q ?? 0.5}` : e.stat;
      return {
        expectation: e,
        metrics: [metric],
        followUp: { kind: 'none' },
        evaluate(scan) {
          const v = scan.get(metric);
          if (v === null) return { status: 'fail', column: e.column, message: `column '${e.column}': ${label} is undefined (no non-null values)` };
          if ((e.min !== undefined && v < e.min - EPS) || (e.max !== undefined && v > e.max + EPS)) {
            return { status: 'fail', column: e.column, observed: v, message: `column '${e.column}': ${label} ${fmt(v)} is outside [${e.min ?? '-inf'}, ${e.max ?? '+inf'}]` };
          }
          return { status: 'pass', observed: v };
        },
      };
    }
    case 'compare': {
      const l = need(e.left);
      if (typeof l === 'string') return fixed(e, schemaFail(l, e.left));
      const r = need(e.right);
      if (typeof r === 'string') return fixed(e, schemaFail(r, e.right));
      if (kindFamily(l.kind) !== kindFamily(r.kind)) return fixed(e, schemaFail(`cannot compare '${e.left}' (${l.type}) with '${e.right}' (${r.type})`, e.left));
      const predicate: Predicate = { op: 'compareFails', left: e.left, operator: e.operator, right: e.right };
      const count: ScanMetric = { kind: 'countIf', predicate };
      const rows: ScanMetric = { kind: 'rowCount' };
      return {
        expectation: e,
        metrics: [count, rows],
        followUp: { kind: 'none' },
        evaluate(scan) {
          const unexpected = scan.get(count) ?? 0;
          const { pass, fraction } = judgeMostly(unexpected, scan.get(rows) ?? 0, e.mostly);
          if (pass) return { status: 'pass', observed: fraction };
          return {
            status: 'fail',
            column: e.left,
            unexpected,
            fraction,
            message: `${unexpected} row(s) (${pct(fraction)}) break ${e.left} ${e.operator} ${e.right}`,
            sample: { column: e.left, predicate },
          };
        },
      };
    }
    case 'label_balance': {
      const c = need(e.column);
      if (typeof c === 'string') return fixed(e, schemaFail(c, e.column));
      return {
        expectation: e,
        metrics: [],
        followUp: { kind: 'labelCounts', column: e.column },
        evaluate(_scan, follow) {
          const counts = follow.kind === 'labelCounts' ? follow.counts : [];
          const total = counts.reduce((s, c) => s + c.n, 0);
          if (counts.length === 0 || total === 0) return { status: 'fail', column: e.column, message: `label column '${e.column}' has no values` };
          const max = Math.max(...counts.map((c) => c.n));
          const min = Math.min(...counts.map((c) => c.n));
          const minFraction = min / total;
          const ratio = max / min;
          const problems: string[] = [];
          if (e.min_fraction !== undefined && minFraction < e.min_fraction - EPS) problems.push(`the smallest class holds ${pct(minFraction)} (expected at least ${pct(e.min_fraction)})`);
          if (e.max_ratio !== undefined && ratio > e.max_ratio + EPS) problems.push(`largest/smallest class ratio is ${fmt(ratio)} (expected at most ${fmt(e.max_ratio)})`);
          if (problems.length === 0) return { status: 'pass', observed: ratio };
          return { status: 'fail', column: e.column, observed: ratio, fraction: minFraction, message: `label '${e.column}' (${counts.length} classes): ${problems.join('; ')}` };
        },
      };
    }
    case 'sql': {
      return {
        expectation: e,
        metrics: [],
        followUp: { kind: 'sql', query: e.query },
        evaluate(_scan, follow) {
          const n = follow.kind === 'sql' ? follow.rows : 0;
          const max = e.max_rows ?? 0;
          if (n <= max) return { status: 'pass', observed: n };
          return { status: 'fail', unexpected: n, observed: n, message: `SQL expectation '${e.name}' returned ${n} unexpected row(s) (allowed: ${max})` };
        },
      };
    }
    default: {
      const never: never = e;
      return never;
    }
  }
}

function opt<K extends string>(key: K, value: number | undefined): { [P in K]?: number } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: number };
}

function kindFamily(kind: ColumnKind): string {
  return isNumericKind(kind) ? 'number' : kind === 'timestamp' ? 'date' : kind;
}

/** A suite's declared kind accepts close engine kinds (integer data is fine where float was expected). */
function kindCompatible(want: ColumnKind, got: ColumnKind): boolean {
  if (want === got) return true;
  if (want === 'float' || want === 'decimal') return isNumericKind(got);
  return false;
}
