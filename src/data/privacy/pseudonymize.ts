/**
 * Keyed pseudonymisation of dataset columns: HMAC-SHA-256 over each DISTINCT value, the mapping
 * loaded into a temporary table with the appender, joined back, and COPY'd to a temporary
 * sibling of the output that is renamed into place. The input is never modified.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { BulwarkError } from '../../errors.js';
import { quoteIdent, type DatasetFormat } from '../duckdb.js';
import { datasetError, openPrivacyDataset } from './dataset.js';

/** Shortest accepted key, in bytes (256 bits). */
export const MIN_PSEUDONYM_KEY_BYTES = 32;
/** Default key id (the prefix that names which key made a pseudonym, so keys can be rotated). */
export const DEFAULT_KEY_ID = 'k1';
const KEY_ID_RE = /^[A-Za-z0-9_-]{1,32}$/;
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** RFC 4648 base32, lower case, no padding. */
export function base32(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let acc = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(acc >>> (bits - 5)) & 31] ?? '';
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(acc << (5 - bits)) & 31] ?? '';
  return out;
}

function checkKey(key: Uint8Array, keyId: string): void {
  if (key.length < MIN_PSEUDONYM_KEY_BYTES) throw new BulwarkError('USAGE', `the pseudonymisation key is ${key.length} bytes; at least ${MIN_PSEUDONYM_KEY_BYTES} bytes are needed (e.g. openssl rand -base64 48)`);
  if (!KEY_ID_RE.test(keyId)) throw new BulwarkError('USAGE', `key id '${keyId}' is not valid: 1-32 letters, digits, '_' or '-'`);
}

/**
 * The pseudonym of one value: `<keyId>:` + base32 (RFC 4648, lower case, unpadded) of the first
 * 16 bytes of HMAC-SHA-256(key, UTF-8 bytes of value), e.g. `k1:mfrggzdfmztwq2lknnwg23tpob`.
 * The same key gives the same pseudonym in every file and column (joins survive); without the
 * key it cannot be reversed or recomputed (RFC 2104).
 */
export function pseudonymValue(key: Uint8Array, keyId: string, value: string): string {
  checkKey(key, keyId);
  return `${keyId}:${base32(createHmac('sha256', key).update(value, 'utf8').digest().subarray(0, 16))}`;
}

/** Options of {@link pseudonymizeDataset}. */
export interface PseudonymizeOptions {
  /** The dataset (CSV, Parquet or JSON Lines); never modified. */
  input: string;
  /** Where the pseudonymised copy goes (same format as the input); written atomically. */
  output: string;
  /** Columns to replace by pseudonyms. Their type becomes text; nulls stay null. */
  columns: readonly string[];
  key: Uint8Array;
  keyId?: string;
  /** DuckDB worker threads. */
  threads?: number;
}

/** What {@link pseudonymizeDataset} did. */
export interface PseudonymizeResult {
  rows: number;
  format: DatasetFormat;
  /** Distinct values pseudonymised, per column. */
  distinct: Record<string, number>;
}

function copyOptions(format: DatasetFormat): string {
  switch (format) {
    case 'csv':
      return '(FORMAT csv, HEADER true)';
    case 'parquet':
      return '(FORMAT parquet)';
    case 'jsonl':
      return '(FORMAT json)';
    default: {
      const never: never = format;
      return never;
    }
  }
}

/** Pseudonymises `columns` of a dataset into a new file. On any error no output is left behind. */
export async function pseudonymizeDataset(options: PseudonymizeOptions): Promise<PseudonymizeResult> {
  const keyId = options.keyId ?? DEFAULT_KEY_ID;
  checkKey(options.key, keyId);
  const input = resolve(options.input);
  const output = resolve(options.output);
  if (input === output) throw new BulwarkError('USAGE', `${options.output}: the output must not be the input (the input is never modified)`);
  if (options.columns.length === 0) throw new BulwarkError('USAGE', 'name at least one column to pseudonymise (--columns a,b)');
  const outDir = await stat(dirname(output)).catch(() => null);
  if (!outDir?.isDirectory()) throw new BulwarkError('OUTPUT_UNWRITABLE', `${options.output}: the output directory does not exist`);
  const tmp = join(dirname(output), `.${basename(output)}.${randomBytes(6).toString('hex')}.tmp`);
  const ds = await openPrivacyDataset(input, [tmp], options.threads);
  const { db } = ds;
  try {
    const names = new Set(ds.columns.map((c) => c.name));
    for (const c of options.columns) {
      if (!names.has(c)) throw new BulwarkError('USAGE', `${options.input}: no column '${c}' (columns: ${ds.columns.map((x) => x.name).join(', ')})`);
    }
    const distinct: Record<string, number> = {};
    const joins: string[] = [];
    const replaces: string[] = [];
    for (const [i, col] of [...new Set(options.columns)].entries()) {
      const rows = await db.query(`SELECT DISTINCT CAST(${quoteIdent(col)} AS VARCHAR) AS v FROM ${ds.reader} WHERE ${quoteIdent(col)} IS NOT NULL`, [input]).catch((err: unknown) => {
        throw datasetError(options.input, err);
      });
      const table = `__bw_map_${i}`;
      await db.query(`CREATE TEMP TABLE ${table} (v VARCHAR PRIMARY KEY, p VARCHAR NOT NULL)`);
      const appender = await db.connection.createAppender(table);
      try {
        for (const r of rows) {
          const v = String(r.v);
          appender.appendVarchar(v);
          appender.appendVarchar(pseudonymValue(options.key, keyId, v));
          appender.endRow();
        }
        appender.flushSync();
      } finally {
        appender.closeSync();
      }
      distinct[col] = rows.length;
      joins.push(`LEFT JOIN ${table} m${i} ON CAST(t.${quoteIdent(col)} AS VARCHAR) = m${i}.v`);
      replaces.push(`m${i}.p AS ${quoteIdent(col)}`);
    }
    // Row order is kept: number the rows, join, sort back by the number.
    const select = `SELECT t.* EXCLUDE (__bw_row) REPLACE (${replaces.join(', ')}) FROM (SELECT *, row_number() OVER () AS __bw_row FROM ${ds.reader}) t ${joins.join(' ')} ORDER BY t.__bw_row`;
    // COPY takes no bind parameter for its target: the path is ours (a random sibling), quoted.
    const target = `'${tmp.replaceAll("'", "''")}'`;
    let copied: number;
    try {
      const res = await db.query(`COPY (${select}) TO ${target} ${copyOptions(ds.format)}`, [input]);
      copied = Number(Object.values(res[0] ?? {})[0] ?? 0);
    } catch (err) {
      throw datasetError(options.input, err);
    }
    db.close();
    try {
      await rename(tmp, output);
    } catch (err) {
      throw new BulwarkError('OUTPUT_UNWRITABLE', `${options.output}: cannot write output (${(err as Error).message})`, { cause: err });
    }
    return { rows: copied, format: ds.format, distinct };
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  } finally {
    db.close();
  }
}
