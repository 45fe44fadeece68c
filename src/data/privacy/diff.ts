/** Compares two dataset fingerprints (reports written by `bulwark data fingerprint`). */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { BulwarkError } from '../../errors.js';
import type { DatasetFingerprint } from './fingerprint.js';

const columnSchema = z.object({
  name: z.string(),
  type: z.string(),
  family: z.enum(['number', 'string', 'boolean', 'temporal', 'other']),
  nulls: z.number(),
  distinct: z.number(),
  min: z.number().optional(),
  max: z.number().optional(),
  mean: z.number().optional(),
});

const fingerprintSchema = z.object({
  version: z.literal('bulwark-dataset-fp/1'),
  format: z.string(),
  fileSha256: z.string().regex(/^[0-9a-f]{64}$/),
  contentSha256: z.string().regex(/^[0-9a-f]{64}$/),
  schemaSha256: z.string().regex(/^[0-9a-f]{64}$/),
  rows: z.number().int().nonnegative(),
  columns: z.array(columnSchema),
});

const reportSchema = z.object({ schemaVersion: z.literal(1), kind: z.literal('data-fingerprint'), fingerprint: fingerprintSchema });

/** One changed statistic. */
export interface StatChange {
  column: string;
  stat: 'nulls' | 'distinct' | 'min' | 'max' | 'mean';
  a: number | null;
  b: number | null;
}

/** What differs between two fingerprints. */
export interface FingerprintDiff {
  /** Same rows (as a multiset) and same schema. */
  same: boolean;
  sameFile: boolean;
  sameContent: boolean;
  sameSchema: boolean;
  rows: { a: number; b: number; delta: number };
  addedColumns: string[];
  removedColumns: string[];
  /** Columns whose type family changed (`name: number -> string`). */
  changedColumns: string[];
  stats: StatChange[];
}

/** Parses a fingerprint report (JSON text); `file` names it in errors. */
export function parseFingerprintReport(text: string, file: string): DatasetFingerprint {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new BulwarkError('PARSE_ERROR', `${file}: not JSON (${(err as Error).message})`, { cause: err });
  }
  const parsed = reportSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? issue.path.join('.') || '(root)' : '(root)';
    throw new BulwarkError('PARSE_ERROR', `${file}: not a data-fingerprint report: at ${where}: ${issue?.message ?? 'invalid'} (expected the JSON written by \`bulwark data fingerprint\`)`);
  }
  return parsed.data.fingerprint as DatasetFingerprint;
}

/** Reads and parses a fingerprint report file. */
export async function readFingerprintReport(file: string): Promise<DatasetFingerprint> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'FILE_NOT_FOUND' : 'FILE_UNREADABLE';
    throw new BulwarkError(code, `${file}: cannot read (${(err as Error).message})`, { cause: err });
  }
  return parseFingerprintReport(text, file);
}

/** Compares fingerprint `a` (before) with `b` (after). */
export function diffFingerprints(a: DatasetFingerprint, b: DatasetFingerprint): FingerprintDiff {
  const ca = new Map(a.columns.map((c) => [c.name, c]));
  const cb = new Map(b.columns.map((c) => [c.name, c]));
  const added = [...cb.keys()].filter((n) => !ca.has(n)).sort();
  const removed = [...ca.keys()].filter((n) => !cb.has(n)).sort();
  const changed: string[] = [];
  const stats: StatChange[] = [];
  for (const [name, x] of [...ca.entries()].sort((p, q) => (p[0] < q[0] ? -1 : 1))) {
    const y = cb.get(name);
    if (!y) continue;
    if (x.family !== y.family) changed.push(`${name}: ${x.family} -> ${y.family}`);
    for (const stat of ['nulls', 'distinct', 'min', 'max', 'mean'] as const) {
      const va = x[stat] ?? null;
      const vb = y[stat] ?? null;
      if (va !== vb) stats.push({ column: name, stat, a: va, b: vb });
    }
  }
  const sameContent = a.contentSha256 === b.contentSha256 && a.rows === b.rows;
  const sameSchema = a.schemaSha256 === b.schemaSha256;
  return {
    same: sameContent && sameSchema,
    sameFile: a.fileSha256 === b.fileSha256,
    sameContent,
    sameSchema,
    rows: { a: a.rows, b: b.rows, delta: b.rows - a.rows },
    addedColumns: added,
    removedColumns: removed,
    changedColumns: changed,
    stats,
  };
}

/** Human-readable diff. */
export function renderFingerprintDiff(d: FingerprintDiff, nameA: string, nameB: string): string {
  const lines = [`${nameA} -> ${nameB}`];
  lines.push(d.same ? (d.sameFile ? 'identical files' : 'same content and schema (different bytes: order or encoding)') : 'DIFFERENT');
  lines.push(`content: ${d.sameContent ? 'same' : 'different'}; schema: ${d.sameSchema ? 'same' : 'different'}`);
  lines.push(`rows: ${d.rows.a} -> ${d.rows.b} (${d.rows.delta >= 0 ? '+' : ''}${d.rows.delta})`);
  for (const c of d.addedColumns) lines.push(`+ column ${c}`);
  for (const c of d.removedColumns) lines.push(`- column ${c}`);
  for (const c of d.changedColumns) lines.push(`~ column ${c}`);
  for (const s of d.stats) lines.push(`  ${s.column}.${s.stat}: ${s.a ?? 'null'} -> ${s.b ?? 'null'}`);
  return `${lines.join('\n')}\n`;
}
