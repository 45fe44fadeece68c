/**
 * The one place Bulwark opens embedded DuckDB. Every analyser that reads tabular data (data
 * validation, drift) goes through {@link openDuckDb} so that the safety settings are applied once:
 * no extension auto-install or auto-load, no community extensions, no file-system access beyond
 * the paths the caller names, and the configuration locked so a query cannot turn any of it back on.
 */
import { open } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { BulwarkError } from '../errors.js';

/** Tabular file formats DuckDB reads for us. */
export type DatasetFormat = 'csv' | 'parquet' | 'jsonl';

/** Options of {@link openDuckDb}. */
export interface DuckDbOptions {
  /** Files the session may read (resolved to absolute paths: bind the same resolved path in queries). */
  readonly readPaths: readonly string[];
  /** Files the session may write (COPY ... TO): only temporary siblings that are renamed afterwards. */
  readonly writePaths?: readonly string[];
  /** DuckDB worker threads; default: DuckDB's own choice (all cores). */
  readonly threads?: number;
  /** DuckDB memory limit, e.g. '2GB'; default: DuckDB's own (80% of RAM). */
  readonly memoryLimit?: string;
}

/** A locked-down DuckDB session. Always `close()` it (a `finally` block). */
export interface DuckDbSession {
  /** The connection, for streaming reads. Never interpolate file values into SQL: bind them. */
  readonly connection: DuckDBConnection;
  /** Runs one statement with bound parameters and returns its rows as plain objects. */
  query(sql: string, params?: readonly DuckDBValue[]): Promise<Record<string, DuckDBValue>[]>;
  /** Frees the connection and the instance. Safe to call twice. */
  close(): void;
}

/** Quotes an SQL identifier (a column name from a file): double quotes, doubled inside. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Quotes an SQL string literal (only for DuckDB settings, which take no bind parameters). */
function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/**
 * Opens an in-memory DuckDB that may read exactly `readPaths` and write exactly `writePaths`.
 * Why SET after create: DuckDB refuses `enable_external_access=false` at creation time when
 * `allowed_paths` must be set too, so both are set on the first connection and then locked.
 */
export async function openDuckDb(options: DuckDbOptions): Promise<DuckDbSession> {
  const config: Record<string, string> = {
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
    allow_community_extensions: 'false',
  };
  if (options.threads !== undefined) config.threads = String(options.threads);
  if (options.memoryLimit !== undefined) config.memory_limit = options.memoryLimit;
  // Loaded on first use: the engine's bindings take about 0.25 s to load, which every CLI command
  // (`scan`, `--help`) paid at start-up when this was a static import.
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:', config);
  let connection: DuckDBConnection | undefined;
  try {
    connection = await instance.connect();
    const paths = [...options.readPaths, ...(options.writePaths ?? [])].map((p) => quoteLiteral(resolve(p)));
    await connection.run(`SET allowed_paths = [${paths.join(', ')}]`);
    await connection.run('SET enable_external_access = false');
    await connection.run('SET lock_configuration = true');
  } catch (err) {
    connection?.closeSync();
    instance.closeSync();
    throw new BulwarkError('INTERNAL', `cannot start the embedded DuckDB engine: ${(err as Error).message}`, { cause: err });
  }
  const conn = connection;
  let closed = false;
  return {
    connection: conn,
    async query(sql, params = []) {
      const result = await conn.runAndReadAll(sql, [...params]);
      return result.getRowObjects();
    },
    close() {
      if (closed) return;
      closed = true;
      conn.closeSync();
      instance.closeSync();
    },
  };
}

/**
 * Decides a dataset's format from its first bytes (Parquet's `PAR1` magic) and then its name
 * (`.csv`/`.tsv`, `.jsonl`/`.ndjson`/`.json`). Throws UNSUPPORTED naming the file otherwise.
 */
export async function detectDatasetFormat(path: string): Promise<DatasetFormat> {
  let head: Buffer;
  try {
    const handle = await open(path, 'r');
    try {
      head = Buffer.alloc(4);
      const { bytesRead } = await handle.read(head, 0, 4, 0);
      head = head.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new BulwarkError(code === 'ENOENT' ? 'FILE_NOT_FOUND' : 'FILE_UNREADABLE', `${path}: cannot read the dataset (${(err as Error).message})`, { cause: err });
  }
  if (head.toString('latin1') === 'PAR1') return 'parquet';
  const ext = extname(path).toLowerCase();
  if (ext === '.parquet' || ext === '.pq') return 'parquet';
  if (ext === '.csv' || ext === '.tsv' || ext === '.txt') return 'csv';
  if (ext === '.jsonl' || ext === '.ndjson' || ext === '.json') return 'jsonl';
  throw new BulwarkError('UNSUPPORTED', `${path}: not a CSV, Parquet or JSON Lines dataset (expected a .csv/.tsv, .parquet or .jsonl/.ndjson file)`);
}

/**
 * The table function that reads a dataset, with the path as bind parameter `$<param>`:
 * `read_csv($1, ...)`, `read_parquet($1)` or `read_json($1, format='newline_delimited')`.
 * CSV is read strictly (a ragged row is an error naming the line, not silently padded).
 */
export function datasetReaderSql(format: DatasetFormat, param = 1): string {
  switch (format) {
    case 'csv':
      return `read_csv($${param}, header = true, strict_mode = true, null_padding = false, sample_size = 20480)`;
    case 'parquet':
      return `read_parquet($${param})`;
    case 'jsonl':
      return `read_json($${param}, format = 'newline_delimited')`;
    default: {
      const never: never = format;
      throw new Error(`unknown dataset format ${String(never)}`);
    }
  }
}

/** One column of a dataset as DuckDB reads it. */
export interface DatasetColumn {
  readonly name: string;
  /** DuckDB's logical type, e.g. `BIGINT`, `VARCHAR`, `TIMESTAMP`. */
  readonly type: string;
}

/**
 * The useful part of a DuckDB error for a user: its first lines, without the sniffer's long
 * list of options and possible fixes.
 */
export function engineMessage(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const keep: string[] = [];
  for (const line of lines) {
    if (/^(Possible fixes|\* |Parser options|The following options|file =|delimiter =|quote =|escape =|new_line =|header =|skip_rows =|comment =|strict_mode =|date_format =|timestamp_format =|null_padding =|sample_size =|ignore_errors =|all_varchar =)/i.test(line)) continue;
    keep.push(line);
    if (keep.length >= 3) break;
  }
  return keep.join(' ');
}

/**
 * Re-reads a comma-separated file with the layout fixed (header width, RFC 4180 quotes, strict)
 * so that DuckDB names the offending line. Why: when rows have different numbers of fields, its
 * sniffer silently falls back to ONE column whose name is the whole header, even in strict mode.
 */
async function diagnoseCsv(session: DuckDbSession, abs: string, shown: string): Promise<never> {
  let header = '';
  try {
    const handle = await open(abs, 'r');
    try {
      const buf = Buffer.alloc(65_536);
      const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
      header = buf.subarray(0, bytesRead).toString('utf8').split(/\r?\n/)[0] ?? '';
    } finally {
      await handle.close();
    }
  } catch {
    // Unreadable here: the generic error below still names the file.
  }
  const fields = Math.min(header.split(',').length, 10_000);
  const columns = Array.from({ length: fields }, (_, i) => `'c${i}': 'VARCHAR'`).join(', ');
  try {
    await session.query(
      `SELECT count(*) FROM read_csv($1, header = true, auto_detect = false, delim = ',', quote = '"', escape = '"', strict_mode = true, null_padding = false, columns = {${columns}})`,
      [abs],
    );
  } catch (err) {
    throw new BulwarkError('PARSE_ERROR', `${shown}: cannot read the csv dataset: ${engineMessage(err)}`, { cause: err });
  }
  throw new BulwarkError('PARSE_ERROR', `${shown}: DuckDB could not find a consistent column layout (rows with different numbers of fields?)`);
}

/**
 * The columns of a dataset (`DESCRIBE` of its reader), with input errors turned into PARSE_ERROR
 * naming the file (`shown`, as the user gave it) and, for CSV, the offending line. `abs` is the
 * resolved path the session may read.
 */
export async function describeDataset(session: DuckDbSession, abs: string, shown: string, format: DatasetFormat): Promise<DatasetColumn[]> {
  let rows: Record<string, DuckDBValue>[];
  try {
    rows = await session.query(`DESCRIBE SELECT * FROM ${datasetReaderSql(format, 1)}`, [abs]);
  } catch (err) {
    if (format === 'csv' && /sniff/i.test(engineMessage(err))) await diagnoseCsv(session, abs, shown);
    throw new BulwarkError('PARSE_ERROR', `${shown}: cannot read the ${format} dataset: ${engineMessage(err)}`, { cause: err });
  }
  const columns = rows.map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
  const only = columns.length === 1 ? columns[0]?.name : undefined;
  if (format === 'csv' && only !== undefined && only.includes(',')) await diagnoseCsv(session, abs, shown);
  return columns;
}
