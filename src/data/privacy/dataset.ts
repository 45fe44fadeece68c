/** Shared dataset plumbing of the privacy commands: open, describe, map engine errors to BulwarkErrors. */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { BulwarkError, isBulwarkError } from '../../errors.js';
import { datasetReaderSql, detectDatasetFormat, openDuckDb, type DatasetFormat, type DuckDbSession } from '../duckdb.js';

/** One column of a dataset as DuckDB reads it. */
export interface DatasetColumn {
  name: string;
  /** DuckDB type name, e.g. `BIGINT`, `VARCHAR`, `DECIMAL(10,2)`. */
  type: string;
}

/** Type families that make digests portable across CSV (sniffed types) and Parquet (declared types). */
export type TypeFamily = 'number' | 'string' | 'boolean' | 'temporal' | 'other';

/** The portable family of a DuckDB type. */
export function typeFamily(type: string): TypeFamily {
  const t = type.toUpperCase();
  if (/^(U?(TINY|SMALL|BIG|HUGE)?INT(EGER)?|FLOAT|DOUBLE|REAL|DECIMAL.*|NUMERIC.*)$/.test(t)) return 'number';
  if (t === 'VARCHAR' || t.startsWith('VARCHAR(') || t === 'TEXT' || t === 'STRING') return 'string';
  if (t === 'BOOLEAN') return 'boolean';
  if (/^(DATE|TIME|TIMESTAMP)/.test(t)) return 'temporal';
  return 'other';
}

/** Wraps an engine failure on a dataset as PARSE_ERROR naming the file (DuckDB's message names line/column). */
export function datasetError(path: string, err: unknown): BulwarkError {
  if (isBulwarkError(err)) return err;
  const msg = (err as Error).message.split('\n').slice(0, 6).join(' ').trim();
  return new BulwarkError('PARSE_ERROR', `${path}: cannot read the dataset: ${msg}`, { cause: err });
}

/** An opened dataset: its session, reader SQL (path bound as $1) and columns. */
export interface OpenDataset {
  db: DuckDbSession;
  format: DatasetFormat;
  /** `read_csv($1, ...)` etc.; bind `[path]`. */
  reader: string;
  path: string;
  columns: DatasetColumn[];
}

/** Opens `path` (absolute) read-only (plus `writePaths`) and describes its columns. Close `db` when done. */
export async function openDataset(path: string, writePaths: readonly string[] = [], threads?: number): Promise<OpenDataset> {
  const format = await detectDatasetFormat(path);
  const db = await openDuckDb(threads === undefined ? { readPaths: [path], writePaths } : { readPaths: [path], writePaths, threads });
  try {
    const reader = datasetReaderSql(format, 1);
    const rows = await db.query(`DESCRIBE SELECT * FROM ${reader}`, [path]);
    const columns = rows.map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
    if (format === 'csv' && columns.length === 1 && (columns[0]?.name ?? '').includes(',')) await raggedCsvError(path);
    return { db, format, reader, path, columns };
  } catch (err) {
    db.close();
    throw datasetError(path, err);
  }
}

/** SHA-256 (hex) of a file's bytes, streamed. */
export async function fileSha256(path: string): Promise<string> {
  const h = createHash('sha256');
  try {
    for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  } catch (err) {
    throw new BulwarkError('FILE_UNREADABLE', `${path}: cannot read (${(err as Error).message})`, { cause: err });
  }
  return h.digest('hex');
}

/** Fields per physical line of CSV text (RFC 4180 quotes; a quoted newline continues the record). */
function* csvRecordWidths(text: string): Generator<{ line: number; fields: number }> {
  let fields = 1;
  let quoted = false;
  let line = 1;
  let start = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') quoted = !quoted;
    else if (c === ',' && !quoted) fields++;
    else if (c === '\n') {
      line++;
      if (!quoted) {
        yield { line: start, fields };
        fields = 1;
        start = line;
      }
    }
  }
}

/**
 * DuckDB's sniffer falls back to a single column when rows have different numbers of fields
 * (even with strict_mode); a one-column CSV whose header holds commas is that case. Name the
 * first line whose field count differs from the header's.
 */
async function raggedCsvError(path: string): Promise<never> {
  const handle = await open(path, 'r');
  let text: string;
  try {
    const buf = Buffer.alloc(1 << 20);
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    text = buf.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
  let header = 0;
  for (const rec of csvRecordWidths(text)) {
    if (rec.line === 1) header = rec.fields;
    else if (rec.fields !== header) throw new BulwarkError('PARSE_ERROR', `${path}: line ${rec.line} has ${rec.fields} fields, the header has ${header} (ragged CSV)`);
  }
  throw new BulwarkError('PARSE_ERROR', `${path}: DuckDB could not find a consistent column layout (ragged CSV?)`);
}
