/**
 * Where a plan runs: a dataset file read by the locked-down embedded DuckDB (src/data/duckdb.ts), or
 * a PostgreSQL table through node-postgres inside a READ ONLY transaction. Both expose the same
 * small session: a dialect, the relation to read, its columns and a query function.
 */
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import type { StatementType } from '@duckdb/node-api';
import { BulwarkError } from '../errors.js';
import { sha256File } from '../io/index.js';
import { DUCKDB_DIALECT, postgresDialect, type Dialect } from './dialect.js';
import { datasetReaderSql, describeDataset, detectDatasetFormat, engineMessage, openDuckDb, type DatasetFormat, type DuckDbSession } from './duckdb.js';
import type { Relation } from './plan.js';

/** A dataset to analyse. */
export type DataSource =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'postgres'; readonly connectionString: string; readonly table: string; readonly schema?: string };

/** Engine-neutral column kinds the checks reason about. */
export type ColumnKind = 'integer' | 'float' | 'decimal' | 'boolean' | 'text' | 'date' | 'timestamp' | 'other';

/** One column of the relation. */
export interface ColumnInfo {
  readonly name: string;
  /** The engine's own type name (`BIGINT`, `VARCHAR`, `double precision`, ...). */
  readonly type: string;
  readonly kind: ColumnKind;
}

/** True for kinds with numeric aggregates (min/max/mean/std/quantiles). */
export function isNumericKind(kind: ColumnKind): boolean {
  return kind === 'integer' || kind === 'float' || kind === 'decimal';
}

/** An open source. Always `close()` it. */
export interface DataSession {
  readonly dialect: Dialect;
  readonly relation: Relation;
  readonly columns: readonly ColumnInfo[];
  /** The name used in reports (the path as given, or `postgres:schema.table`). */
  readonly uri: string;
  /** The file format, for files. */
  readonly format?: DatasetFormat;
  /** Runs one statement with bound parameters. Engine errors become PARSE_ERROR naming the source. */
  query(sql: string, params: readonly unknown[]): Promise<Record<string, unknown>[]>;
  /** Runs a user's read-only SELECT over the relation (visible as `dataset`) and returns its row count. */
  countSelect(userSql: string): Promise<number>;
  close(): Promise<void>;
}

/**
 * Makes the dataset visible to a user's SELECT as `dataset`: `WITH dataset AS (SELECT * FROM rel)`
 * in front of it (merged into the user's own WITH list). The result is checked to be ONE SELECT
 * statement by the engine's parser before it runs.
 */
export function wrapDatasetCte(userSql: string, relationSql: string): string {
  const trimmed = userSql.trim().replace(/;\s*$/, '');
  const cte = `dataset AS (SELECT * FROM ${relationSql})`;
  const withMatch = /^with\s+(recursive\s+)?/i.exec(trimmed);
  if (withMatch) return `WITH ${withMatch[1] ?? ''}${cte}, ${trimmed.slice(withMatch[0].length)}`;
  return `WITH ${cte} ${trimmed}`;
}

/** Maps an engine type name to a kind. */
export function columnKindOf(type: string): ColumnKind {
  const t = type.toUpperCase();
  if (/^(TINYINT|SMALLINT|INTEGER|INT|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|INT[248]|SMALLSERIAL|SERIAL|BIGSERIAL)$/.test(t)) return 'integer';
  if (/^(FLOAT|DOUBLE|REAL|FLOAT[48]|DOUBLE PRECISION)$/.test(t)) return 'float';
  if (/^(DECIMAL|NUMERIC)/.test(t)) return 'decimal';
  if (/^(BOOLEAN|BOOL)$/.test(t)) return 'boolean';
  if (/^(VARCHAR|TEXT|STRING|CHAR|BPCHAR|CHARACTER|CHARACTER VARYING|NAME|UUID)/.test(t)) return 'text';
  if (t === 'DATE') return 'date';
  if (t.startsWith('TIMESTAMP')) return 'timestamp';
  return 'other';
}

/**
 * Digests of files this process already hashed, by resolved path, valid while the file's identity and
 * change times (device, inode, size, mtime and ctime in nanoseconds) are unchanged: profile-then-validate
 * in one process reads a large dataset once for its digest, not twice (a 447 MB Parquet file: 0.45 s of
 * CPU on the two cores the engine is using). ctime cannot be set by a user: any write, rename over or
 * utimes() changes it, as git's index and make rely on. Only files last changed at least
 * {@link DIGEST_CACHE_SETTLED_MS} before hashing began are remembered, so a change within the same
 * file-system clock tick as the previous one is not missed (git's "racy clean" problem).
 */
const digestCache = new Map<string, { key: string; sha256: string }>();
const DIGEST_CACHE_ENTRIES = 32;

/** How long a file must have been unchanged before its digest is remembered. */
export const DIGEST_CACHE_SETTLED_MS = 2000;

async function identityOf(path: string): Promise<{ key: string; ctimeMs: number } | undefined> {
  try {
    const s = await stat(path, { bigint: true });
    if (!s.isFile()) return undefined;
    return { key: `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`, ctimeMs: Number(s.ctimeNs / 1_000_000n) };
  } catch {
    return undefined;
  }
}

/** A dataset subject: its name and SHA-256. */
export interface DatasetSubject {
  name: string;
  digest: { sha256: string };
}

/**
 * Opens a source and starts its subject digest: the digest (a full read) runs while the engine scans,
 * both I/O- and CPU-bound on different threads. When both fail, the digest's error is thrown, as when
 * the two ran one after the other. The caller closes the session and awaits (or ignores) `subject`.
 */
export async function openSubjectSession(source: DataSource, signal?: AbortSignal): Promise<{ session: DataSession; subject: Promise<DatasetSubject> }> {
  const subject = subjectOf(source);
  subject.catch(() => undefined);
  const session = await openDataSession(source, signal).catch(async (err: unknown) => {
    await subject;
    throw err;
  });
  return { session, subject };
}

/**
 * SHA-256 of a dataset file (io's streamed {@link sha256File}), remembered while the file is unchanged
 * (see {@link digestCache}); a read error is a BulwarkError naming the file.
 */
export async function datasetSha256(path: string): Promise<string> {
  const abs = resolve(path);
  const started = Date.now();
  const before = await identityOf(abs);
  const cached = digestCache.get(abs);
  if (before && cached && cached.key === before.key) return cached.sha256;
  let sha256: string;
  try {
    sha256 = await sha256File(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new BulwarkError(code === 'ENOENT' ? 'FILE_NOT_FOUND' : 'FILE_UNREADABLE', `${path}: cannot read the dataset (${(err as Error).message})`, { cause: err });
  }
  const after = await identityOf(abs);
  digestCache.delete(abs);
  if (before && after && before.key === after.key && before.ctimeMs <= started - DIGEST_CACHE_SETTLED_MS) {
    if (digestCache.size >= DIGEST_CACHE_ENTRIES) {
      const oldest = digestCache.keys().next();
      if (oldest.done !== true) digestCache.delete(oldest.value);
    }
    digestCache.set(abs, { key: after.key, sha256 });
  }
  return sha256;
}

async function openFile(path: string, signal: AbortSignal | undefined): Promise<DataSession> {
  const abs = resolve(path);
  const format = await detectDatasetFormat(path);
  const size = await stat(abs).then((s) => s.size).catch(() => 0);
  if (size === 0) throw new BulwarkError('PARSE_ERROR', `${path}: the dataset is empty (0 bytes; expected a header row or records)`);
  const db: DuckDbSession = await openDuckDb({ readPaths: [abs] });
  const onAbort = (): void => db.connection.interrupt();
  signal?.addEventListener('abort', onAbort);
  const relation: Relation = { sql: datasetReaderSql(format, 1), params: [abs] };
  const query = async (sql: string, params: readonly unknown[]): Promise<Record<string, unknown>[]> => {
    if (signal?.aborted) throw new BulwarkError('ABORTED', `${path}: aborted`);
    try {
      return await db.query(sql, params as never[]);
    } catch (err) {
      if (signal?.aborted) throw new BulwarkError('ABORTED', `${path}: aborted`, { cause: err });
      throw new BulwarkError('PARSE_ERROR', `${path}: cannot read the ${format} dataset: ${engineMessage(err)}`, { cause: err });
    }
  };
  try {
    // describeDataset names the offending line of a ragged CSV (DuckDB would read one wide column).
    const columns = (await describeDataset(db, abs, path, format)).map((c) => ({ ...c, kind: columnKindOf(c.type) }));
    return {
      dialect: DUCKDB_DIALECT,
      relation,
      columns,
      uri: path,
      format,
      query,
      async countSelect(userSql) {
        const wrapped = wrapDatasetCte(userSql, relation.sql);
        let extracted;
        try {
          extracted = await db.connection.extractStatements(wrapped);
        } catch (err) {
          throw new BulwarkError('CONFIG_INVALID', `SQL expectation does not parse: ${engineMessage(err)}`, { cause: err });
        }
        if (extracted.count !== 1) throw new BulwarkError('CONFIG_INVALID', `SQL expectation must be exactly one SELECT statement (found ${extracted.count})`);
        // The statement type is DuckDB's own parse of the text: only a SELECT is run, and it can read
        // nothing but the dataset (allowed_paths) and write nowhere (no write paths, configuration locked).
        let type: StatementType;
        try {
          type = (await extracted.prepare(0)).statementType;
        } catch (err) {
          throw new BulwarkError('CONFIG_INVALID', `SQL expectation is not valid on ${path}: ${engineMessage(err)}`, { cause: err });
        }
        // The engine is loaded by now (openDuckDb): this import only names its enum.
        const { StatementType: Types } = await import('@duckdb/node-api');
        if (type !== Types.SELECT) throw new BulwarkError('CONFIG_INVALID', `SQL expectation must be a SELECT statement (got ${Types[type] ?? type})`);
        try {
          const rows = await db.query(`SELECT count(*) AS n FROM (${wrapped}) AS q`, relation.params as never[]);
          return Number(rows[0]?.n ?? 0);
        } catch (err) {
          throw new BulwarkError('CONFIG_INVALID', `SQL expectation failed on ${path}: ${engineMessage(err)}`, { cause: err });
        }
      },
      close() {
        signal?.removeEventListener('abort', onAbort);
        db.close();
        return Promise.resolve();
      },
    };
  } catch (err) {
    signal?.removeEventListener('abort', onAbort);
    db.close();
    throw err;
  }
}

async function openPostgres(src: Extract<DataSource, { kind: 'postgres' }>, signal: AbortSignal | undefined): Promise<DataSession> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: src.connectionString });
  const schema = src.schema ?? 'public';
  const uri = `postgres:${schema}.${src.table}`;
  try {
    await client.connect();
  } catch (err) {
    throw new BulwarkError('FILE_UNREADABLE', `${uri}: cannot connect to PostgreSQL (${(err as Error).message})`, { cause: err });
  }
  const query = async (sql: string, params: readonly unknown[]): Promise<Record<string, unknown>[]> => {
    if (signal?.aborted) throw new BulwarkError('ABORTED', `${uri}: aborted`);
    try {
      const res = await client.query({ text: sql, values: [...params] });
      return res.rows as Record<string, unknown>[];
    } catch (err) {
      throw new BulwarkError('PARSE_ERROR', `${uri}: query failed: ${(err as Error).message}`, { cause: err });
    }
  };
  try {
    // Every query of the session runs in one READ ONLY transaction (also what makes the SQL escape hatch safe).
    await query('BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY', []);
    const version = Number((await query('SHOW server_version_num', []))[0]?.server_version_num ?? 0);
    const cols = await query(
      'SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position',
      [schema, src.table],
    );
    if (cols.length === 0) throw new BulwarkError('FILE_NOT_FOUND', `${uri}: no such table (or it has no columns)`);
    const dialect = postgresDialect(version);
    const relation: Relation = { sql: `${dialect.quote(schema)}.${dialect.quote(src.table)}`, params: [] };
    return {
      dialect,
      relation,
      columns: cols.map((r) => ({ name: String(r.column_name), type: String(r.data_type), kind: columnKindOf(String(r.data_type)) })),
      uri,
      query,
      async countSelect(userSql) {
        const wrapped = wrapDatasetCte(userSql, relation.sql);
        // A named statement forces the extended protocol, which refuses more than one statement; the
        // READ ONLY transaction refuses any write.
        try {
          const res = await client.query({ name: `bw_sql_${createHash('sha256').update(wrapped).digest('hex').slice(0, 16)}`, text: `SELECT count(*) AS n FROM (${wrapped}) AS q`, values: [] });
          return Number((res.rows[0] as Record<string, unknown> | undefined)?.n ?? 0);
        } catch (err) {
          throw new BulwarkError('CONFIG_INVALID', `SQL expectation failed on ${uri}: ${(err as Error).message}`, { cause: err });
        }
      },
      async close() {
        await client.query('ROLLBACK').catch(() => undefined);
        await client.end();
      },
    };
  } catch (err) {
    await client.end().catch(() => undefined);
    throw err;
  }
}

/** Opens a source; files are checked for format and readability first (errors name the file). */
export async function openDataSession(source: DataSource, signal?: AbortSignal): Promise<DataSession> {
  switch (source.kind) {
    case 'file':
      return openFile(source.path, signal);
    case 'postgres':
      return openPostgres(source, signal);
    default: {
      const never: never = source;
      return never;
    }
  }
}

/** The report subject of a source: a file by its SHA-256; a table by the digest of its name. */
export async function subjectOf(source: DataSource): Promise<{ name: string; digest: { sha256: string } }> {
  switch (source.kind) {
    case 'file':
      return { name: basename(source.path), digest: { sha256: await datasetSha256(source.path) } };
    case 'postgres': {
      const name = `${source.schema ?? 'public'}.${source.table}`;
      return { name, digest: { sha256: createHash('sha256').update(`postgres-table\u0000${name}`).digest('hex') } };
    }
    default: {
      const never: never = source;
      return never;
    }
  }
}
