/** Shared dataset plumbing of the privacy commands: open, describe, map engine errors to BulwarkErrors. */
import { BulwarkError, isBulwarkError } from '../../errors.js';
import { datasetReaderSql, describeDataset, detectDatasetFormat, engineMessage, openDuckDb, type DatasetColumn, type DatasetFormat, type DuckDbSession } from '../duckdb.js';

export type { DatasetColumn } from '../duckdb.js';

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
  return new BulwarkError('PARSE_ERROR', `${path}: cannot read the dataset: ${engineMessage(err)}`, { cause: err });
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
export async function openPrivacyDataset(path: string, writePaths: readonly string[] = [], threads?: number): Promise<OpenDataset> {
  const format = await detectDatasetFormat(path);
  const db = await openDuckDb(threads === undefined ? { readPaths: [path], writePaths } : { readPaths: [path], writePaths, threads });
  try {
    const reader = datasetReaderSql(format, 1);
    const columns = await describeDataset(db, path, path, format);
    return { db, format, reader, path, columns };
  } catch (err) {
    db.close();
    throw datasetError(path, err);
  }
}

