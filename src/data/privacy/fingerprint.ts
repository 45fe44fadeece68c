/**
 * Dataset fingerprints: the file's SHA-256, an order-independent and format-independent content
 * digest, a schema digest, the row count and summary statistics, as a Report (kind
 * `data-fingerprint`) whose subject is the file digest. The encoding is specified in
 * docs/data-detectors.md ("Dataset fingerprint"); change it => bump FINGERPRINT_VERSION.
 */
import { createHash } from 'node:crypto';
import { basename, resolve } from 'node:path';
import type { DuckDBValue } from '@duckdb/node-api';
import type { Report } from '../../report/types.js';
import { VERSION } from '../../version.js';
import { quoteIdent } from '../duckdb.js';
import { datasetError, openPrivacyDataset, typeFamily, type TypeFamily } from './dataset.js';
import { datasetSha256 } from '../source.js';

/** Version of the canonical encoding (`bulwark-dataset-fp/1`). */
export const FINGERPRINT_VERSION = 'bulwark-dataset-fp/1';
/** LtHash16 (Lewi et al. 2019): 1024 lanes of 16 bits = 2048 bytes per row vector. */
const LTHASH_BYTES = 2048;

/** Per-column summary statistics. */
export interface ColumnFingerprint {
  name: string;
  /** DuckDB's type (differs between CSV and Parquet of the same data; not part of the digests). */
  type: string;
  family: TypeFamily;
  nulls: number;
  distinct: number;
  /** Number columns only. */
  min?: number;
  max?: number;
  mean?: number;
}

/** The fingerprint document carried by a data-fingerprint report. */
export interface DatasetFingerprint {
  version: typeof FINGERPRINT_VERSION;
  format: string;
  /** SHA-256 of the file bytes (also the report subject). */
  fileSha256: string;
  /** Order- and format-independent digest of the rows (hex SHA-256 of the LtHash16 state). */
  contentSha256: string;
  /** SHA-256 of the canonical schema: column names (sorted) with type families. */
  schemaSha256: string;
  rows: number;
  columns: ColumnFingerprint[];
}

/** A Report with the fingerprint document (the lead adds `fingerprint?` to Report or keeps this subtype). */
export interface DataFingerprintReport extends Report {
  kind: 'data-fingerprint';
  fingerprint: DatasetFingerprint;
}

/** Options of {@link fingerprintDataset}. */
export interface FingerprintOptions {
  path: string;
  /** Name shown as report target/subject (default: the path as given). */
  target?: string;
  threads?: number;
}

/** Canonical text of a number: JS shortest round-trip form; integers beyond 2^53 as exact decimals. */
export function canonicalNumber(v: DuckDBValue): string {
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return Object.is(v, -0) ? '0' : String(v);
  const s = String(v);
  const x = Number(s);
  return Number.isFinite(x) && Math.abs(x) < 2 ** 53 ? String(x) : s;
}

/**
 * Canonical row encoding: the UTF-8 JSON array, in column-name order, of `null` or
 * `"<tag>:<text>"` (tag n number, s string, b boolean, t temporal, o other; number text as
 * {@link canonicalNumber}; everything else DuckDB's VARCHAR cast).
 */
export function canonicalRow(values: readonly DuckDBValue[], families: readonly TypeFamily[]): string {
  const cells = values.map((v, i) => {
    if (v === null) return null;
    const f = families[i] ?? 'other';
    switch (f) {
      case 'number':
        return `n:${canonicalNumber(v)}`;
      case 'string':
        return `s:${String(v)}`;
      case 'boolean':
        return `b:${String(v)}`;
      case 'temporal':
        return `t:${String(v)}`;
      case 'other':
        return `o:${String(v)}`;
      default: {
        const never: never = f;
        return never;
      }
    }
  });
  return JSON.stringify(cells);
}

/** Adds SHAKE128(row, 2048 bytes) lane-wise (16-bit little-endian lanes, mod 2^16) into `state`. */
export function ltHashAdd(state: Uint16Array, row: string): void {
  const v = createHash('shake128', { outputLength: LTHASH_BYTES }).update(row, 'utf8').digest();
  for (let i = 0; i < state.length; i++) state[i] = ((state[i] ?? 0) + v.readUInt16LE(2 * i)) & 0xffff;
}

/** Hex SHA-256 of an LtHash16 state (lanes little-endian). */
export function ltHashDigest(state: Uint16Array): string {
  const bytes = Buffer.alloc(LTHASH_BYTES);
  for (let i = 0; i < state.length; i++) bytes.writeUInt16LE(state[i] ?? 0, 2 * i);
  return createHash('sha256').update(bytes).digest('hex');
}

function num(v: DuckDBValue | undefined): number | undefined {
  if (v === null || v === undefined) return undefined;
  const x = Number(typeof v === 'bigint' ? v : String(v));
  return Number.isFinite(x) ? x : undefined;
}

/** Fingerprints a dataset (CSV, Parquet, JSON Lines). Bad input -> BulwarkError naming the file. */
export async function fingerprintDataset(options: FingerprintOptions): Promise<DataFingerprintReport> {
  const path = resolve(options.path);
  const target = options.target ?? options.path;
  const fileDigest = await datasetSha256(path);
  const ds = await openPrivacyDataset(path, [], options.threads);
  try {
    const sorted = [...ds.columns].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const families = sorted.map((c) => typeFamily(c.type));
    const schemaSha256 = createHash('sha256').update(JSON.stringify(sorted.map((c, i) => [c.name, families[i]]))).digest('hex');
    // Numbers: integers as exact text, other numbers as DOUBLE; everything else as VARCHAR.
    const exprs = sorted.map((c, i) => {
      const q = quoteIdent(c.name);
      if (families[i] === 'number') return /INT/i.test(c.type) ? `CAST(${q} AS HUGEINT)` : `CAST(${q} AS DOUBLE)`;
      return `CAST(${q} AS VARCHAR)`;
    });
    const state = new Uint16Array(LTHASH_BYTES / 2);
    let rows = 0;
    try {
      const result = await ds.db.connection.stream(`SELECT ${exprs.length > 0 ? exprs.join(', ') : '1'} FROM ${ds.reader}`, [path]);
      for (let chunk = await result.fetchChunk(); chunk !== null && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
        for (const row of chunk.getRows()) {
          ltHashAdd(state, canonicalRow(exprs.length > 0 ? row : [], families));
          rows++;
        }
      }
    } catch (err) {
      throw datasetError(options.path, err);
    }
    const columns: ColumnFingerprint[] = [];
    if (sorted.length > 0) {
      const aggs = sorted.flatMap((c, i) => {
        const q = quoteIdent(c.name);
        const base = [`count(*) - count(${q})`, `count(DISTINCT ${q})`];
        return families[i] === 'number' ? [...base, `min(CAST(${q} AS DOUBLE))`, `max(CAST(${q} AS DOUBLE))`, `avg(CAST(${q} AS DOUBLE))`] : base;
      });
      const stats = await ds.db.query(`SELECT ${aggs.map((a, i) => `${a} AS a${i}`).join(', ')} FROM ${ds.reader}`, [path]).catch((err: unknown) => {
        throw datasetError(options.path, err);
      });
      const s = stats[0] ?? {};
      let k = 0;
      sorted.forEach((c, i) => {
        const col: ColumnFingerprint = { name: c.name, type: c.type, family: families[i] ?? 'other', nulls: num(s[`a${k++}`]) ?? 0, distinct: num(s[`a${k++}`]) ?? 0 };
        if (families[i] === 'number') {
          const mn = num(s[`a${k++}`]);
          const mx = num(s[`a${k++}`]);
          const mean = num(s[`a${k++}`]);
          if (mn !== undefined) col.min = mn;
          if (mx !== undefined) col.max = mx;
          if (mean !== undefined) col.mean = mean;
        }
        columns.push(col);
      });
    }
    const fingerprint: DatasetFingerprint = { version: FINGERPRINT_VERSION, format: ds.format, fileSha256: fileDigest, contentSha256: ltHashDigest(state), schemaSha256, rows, columns };
    return {
      schemaVersion: 1,
      kind: 'data-fingerprint',
      tool: { name: 'bulwark', version: VERSION },
      target,
      subjects: [{ name: basename(target), digest: { sha256: fileDigest } }],
      rules: [],
      findings: [],
      metrics: {
        fingerprint_rows: rows,
        fingerprint_columns: columns.length,
        fingerprint_null_cells: columns.reduce((a, c) => a + c.nulls, 0),
      },
      errors: [],
      skipped: [],
      complete: true,
      fingerprint,
    };
  } finally {
    ds.db.close();
  }
}
