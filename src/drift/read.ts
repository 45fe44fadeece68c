/**
 * Reads a dataset for drift analysis through the locked-down DuckDB session (src/data/duckdb.ts):
 * numeric columns come back as row-aligned Float64Arrays (read chunk by chunk from DuckDB's column
 * vectors, not as row objects), categorical ones as value counts computed by DuckDB (GROUP BY).
 * The file path is always a bound parameter.
 */
import { resolve } from 'node:path';
import type { DuckDBValue } from '@duckdb/node-api';
import { datasetReaderSql, describeDataset, detectDatasetFormat, engineMessage, openDuckDb, quoteIdent, type DuckDbSession } from '../data/duckdb.js';
import { BulwarkError, isBulwarkError } from '../errors.js';
import { sortedFinite } from './stats/index.js';
import type { ColumnKind } from './types.js';

/** Integer columns with at most this many distinct values are categorical, not continuous. */
export const INTEGER_CATEGORICAL_MAX = 20;
/** Text columns with at most this many distinct values are categorical. */
export const CATEGORICAL_MAX = 50;
/** Text columns whose mean length reaches this are free text (tested on their length). */
export const TEXT_MIN_MEAN_LENGTH = 40;
/** At most this many distinct values are counted per categorical column (the rest is `other`). */
export const MAX_COUNTED_VALUES = 100_000;

/** One column as read. */
export interface RawColumn {
  name: string;
  sqlType: string;
  kind: ColumnKind;
  count: number;
  missing: number;
  distinct: number;
  /** Numeric kinds: one value per row, NaN where missing (text: length; datetime: epoch seconds). */
  values?: Float64Array;
  /** Categorical kinds: value → count, most frequent first; `other` counts the rest. */
  counts?: Map<string, number>;
  other?: number;
}

/** A dataset as read. */
export interface RawDataset {
  path: string;
  rows: number;
  columns: RawColumn[];
  /** Columns that are neither numeric nor text (lists, structs, blobs). */
  skipped: { column: string; reason: string }[];
}

/** Options of {@link readDataset}. */
export interface ReadDatasetOptions {
  path: string;
  /** Only these columns (error naming the file when one is absent). */
  columns?: readonly string[] | undefined;
  /** Kinds set by the user or taken from the reference; inferred otherwise. */
  kinds?: Readonly<Record<string, ColumnKind>> | undefined;
  signal?: AbortSignal | undefined;
}

const NUMERIC = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL.*)$/;
const INTEGER = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT)$/;
const TEMPORAL = /^(DATE|TIMESTAMP.*|TIME.*)$/;

/** Infers a column kind (docs/drift.md, "Column kinds"). Returns undefined for unsupported types. */
export function inferKind(sqlType: string, distinct: number, meanLength: number): ColumnKind | undefined {
  if (TEMPORAL.test(sqlType)) return 'datetime';
  if (sqlType === 'BOOLEAN') return 'binary';
  if (NUMERIC.test(sqlType)) {
    if (distinct <= 2) return 'binary';
    if (INTEGER.test(sqlType) && distinct <= INTEGER_CATEGORICAL_MAX) return 'categorical';
    return 'continuous';
  }
  if (sqlType === 'VARCHAR') {
    if (distinct <= 2) return 'binary';
    if (distinct <= CATEGORICAL_MAX) return 'categorical';
    return meanLength >= TEXT_MIN_MEAN_LENGTH ? 'text' : 'high-cardinality';
  }
  return undefined;
}

const SORTED = new WeakMap<Float64Array, Float64Array>();

/** The column's finite values, sorted; computed once per array (the profile and KS both need it). */
export function sortedValues(values: Float64Array): Float64Array {
  let sorted = SORTED.get(values);
  if (sorted === undefined) {
    sorted = sortedFinite(values);
    SORTED.set(values, sorted);
  }
  return sorted;
}

/** True for kinds held as numbers. */
export function isNumericKind(kind: ColumnKind): boolean {
  return kind === 'continuous' || kind === 'text' || kind === 'datetime';
}

function checkAbort(signal: AbortSignal | undefined, path: string): void {
  if (signal?.aborted) throw new BulwarkError('ABORTED', `${path}: drift analysis aborted`);
}

function num(v: DuckDBValue | undefined): number {
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number') return v;
  return 0;
}

/** The SQL expression that turns a column into a DOUBLE for its kind. */
function numericExpr(col: string, kind: ColumnKind, sqlType: string): string {
  const q = quoteIdent(col);
  if (kind === 'text') return `CAST(length(CAST(${q} AS VARCHAR)) AS DOUBLE)`;
  if (kind === 'datetime') return sqlType.startsWith('TIME') && !sqlType.startsWith('TIMESTAMP') ? `CAST(epoch(TIMESTAMP '1970-01-01' + ${q}) AS DOUBLE)` : `CAST(epoch(${q}) AS DOUBLE)`;
  return `CAST(${q} AS DOUBLE)`;
}

async function run(session: DuckDbSession, path: string, sql: string, params: DuckDBValue[]): Promise<Record<string, DuckDBValue>[]> {
  try {
    return await session.query(sql, params);
  } catch (err) {
    throw new BulwarkError('PARSE_ERROR', `${path}: cannot read the dataset (${engineMessage(err)})`, { cause: err });
  }
}

/** Reads the columns of one dataset (see module comment). */
export async function readDataset(options: ReadDatasetOptions): Promise<RawDataset> {
  const path = resolve(options.path);
  const format = await detectDatasetFormat(path);
  const reader = datasetReaderSql(format, 1);
  const session = await openDuckDb({ readPaths: [path] });
  try {
    let cols = (await describeDataset(session, path, options.path, format)).map((c) => ({ name: c.name, sqlType: c.type }));
    if (options.columns !== undefined) {
      const byName = new Map(cols.map((c) => [c.name, c]));
      cols = options.columns.map((name) => {
        const c = byName.get(name);
        if (c === undefined) {
          throw new BulwarkError('USAGE', `${options.path}: no column "${name}" (columns: ${[...byName.keys()].slice(0, 20).join(', ')})`);
        }
        return c;
      });
    }
    checkAbort(options.signal, options.path);
    const parts = ['count(*) AS "n"'];
    cols.forEach((c, i) => {
      const q = quoteIdent(c.name);
      parts.push(`count(${q}) AS "c${i}"`, `approx_count_distinct(${q}) AS "d${i}"`);
      parts.push(c.sqlType === 'VARCHAR' ? `avg(length(${q})) AS "l${i}"` : `0 AS "l${i}"`);
    });
    const stats = (await run(session, options.path, `SELECT ${parts.join(', ')} FROM ${reader}`, [path]))[0] ?? {};
    const rows = num(stats.n);
    const columns: RawColumn[] = [];
    const skipped: RawDataset['skipped'] = [];
    cols.forEach((c, i) => {
      const count = num(stats[`c${i}`]);
      const distinct = num(stats[`d${i}`]);
      const kind = options.kinds?.[c.name] ?? inferKind(c.sqlType, distinct, num(stats[`l${i}`]));
      if (kind === undefined) {
        skipped.push({ column: c.name, reason: `type ${c.sqlType} is not tested for drift` });
        return;
      }
      columns.push({ name: c.name, sqlType: c.sqlType, kind, count, missing: rows - count, distinct });
    });
    const numeric = columns.filter((c) => isNumericKind(c.kind));
    if (numeric.length > 0) {
      checkAbort(options.signal, options.path);
      const arrays = numeric.map(() => new Float64Array(rows));
      const sql = `SELECT ${numeric.map((c) => `coalesce(${numericExpr(c.name, c.kind, c.sqlType)}, 'NaN'::DOUBLE)`).join(', ')} FROM ${reader}`;
      let result;
      try {
        result = await session.connection.stream(sql, [path]);
      } catch (err) {
        throw new BulwarkError('PARSE_ERROR', `${options.path}: cannot read numeric columns ${numeric.map((c) => c.name).join(', ')} (${(err as Error).message})`, { cause: err });
      }
      let offset = 0;
      for (;;) {
        const chunk = await result.fetchChunk();
        if (chunk === null || chunk.rowCount === 0) break;
        const n = chunk.rowCount;
        if (offset + n > rows) throw new BulwarkError('INTERNAL', `${options.path}: more rows than counted`);
        for (let k = 0; k < numeric.length; k++) {
          const vec = chunk.getColumnVector(k);
          const target = arrays[k]!;
          for (let r = 0; r < n; r++) target[offset + r] = (vec.getItem(r) as number | null) ?? Number.NaN;
        }
        offset += n;
        if ((offset & 0xfffff) < n) checkAbort(options.signal, options.path);
      }
      numeric.forEach((c, k) => (c.values = arrays[k]!.subarray(0, offset)));
    }
    for (const c of columns.filter((col) => !isNumericKind(col.kind))) {
      checkAbort(options.signal, options.path);
      const q = quoteIdent(c.name);
      const got = await run(
        session,
        options.path,
        `SELECT CAST(${q} AS VARCHAR) AS v, count(*) AS n FROM ${reader} WHERE ${q} IS NOT NULL GROUP BY 1 ORDER BY n DESC, v LIMIT $2`,
        [path, MAX_COUNTED_VALUES],
      );
      const counts = new Map<string, number>();
      let counted = 0;
      for (const r of got) {
        const n = num(r.n);
        counts.set(String(r.v), n);
        counted += n;
      }
      c.counts = counts;
      c.other = c.count - counted;
    }
    return { path: options.path, rows, columns, skipped };
  } catch (err) {
    if (isBulwarkError(err)) throw err;
    throw new BulwarkError('PARSE_ERROR', `${options.path}: cannot read the dataset (${(err as Error).message})`, { cause: err });
  } finally {
    session.close();
  }
}
