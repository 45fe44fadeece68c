/**
 * A local OSV database, read in the layout OSV publishes its exports
 * (https://google.github.io/osv.dev/data/#data-dumps): `DIR/<Ecosystem>/all.zip` (a zip of
 * `<ID>.json`) or the same records extracted as `DIR/<Ecosystem>/*.json`. Records are validated
 * and indexed by (ecosystem, normalised package name) so that matching is a map lookup.
 */
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { BulwarkError, isBulwarkError } from '../../errors.js';
import { createInflateBudget, DEFAULT_LIMITS, openFileSource, openZipMember, readZipDirectory, type ByteSource } from '../../io/index.js';
import type { ReportError } from '../../report/types.js';
import { describeIssues, normalizeName } from '../lockfiles/common.js';
import type { Ecosystem } from '../types.js';
import { osvRecordSchema, type OsvAffected, type OsvRecord } from './schema.js';

/** Ecosystems whose advisories the audit indexes (the ones Bulwark reads lockfiles for). */
export const OSV_ECOSYSTEMS: readonly Ecosystem[] = ['PyPI', 'npm'];

/** One record's `affected[]` entry for one package, as stored in the index. */
export interface IndexedAffected {
  readonly record: OsvRecord;
  readonly affected: OsvAffected;
}

/** A loaded, indexed OSV database. */
export interface OsvDatabase {
  /** `<ecosystem>\0<normalised name>` -> the entries naming that package. */
  readonly index: ReadonlyMap<string, readonly IndexedAffected[]>;
  /** Valid records read (withdrawn ones included). */
  readonly records: number;
  /** Withdrawn records (kept out of the index: they are never reported). */
  readonly withdrawn: number;
  /** Records or files that could not be read, each naming the file (and zip member). */
  readonly errors: readonly ReportError[];
}

/** The index key of a package. */
export function packageKey(ecosystem: Ecosystem, name: string): string {
  return `${ecosystem}\u0000${normalizeName(ecosystem, name)}`;
}

/** Limits applied while reading an export: generous for OSV's own dumps (PyPI's all.zip is tens of MB). */
export const DEFAULT_OSV_LIMITS = Object.freeze({
  /** Largest single record (bytes). */
  maxRecordBytes: 16 * 1024 * 1024,
  /** Records per database. */
  maxRecords: 2_000_000,
  /** Files read concurrently from an extracted export. */
  concurrency: 32,
});

/** A raw record and where it came from, before validation. */
interface RawRecord {
  readonly uri: string;
  readonly text: string;
}

async function* zipRecords(path: string, uri: string): AsyncGenerator<RawRecord | ReportError> {
  const src = await openFileSource(path, uri);
  try {
    const limits = { ...DEFAULT_LIMITS, maxArchiveEntries: DEFAULT_OSV_LIMITS.maxRecords, maxMemberBytes: DEFAULT_OSV_LIMITS.maxRecordBytes };
    const dir = await readZipDirectory(src, limits);
    const budget = createInflateBudget({ maxTotalInflatedBytes: Number.MAX_SAFE_INTEGER });
    for (const entry of dir.entries) {
      if (entry.isDirectory || !entry.name.endsWith('.json')) continue;
      let member: ByteSource;
      try {
        member = await openZipMember(src, entry, { limits, budget });
        const bytes = await member.read(0, member.size);
        yield { uri: `${uri}!${entry.name}`, text: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8') };
      } catch (err) {
        yield { uri: `${uri}!${entry.name}`, code: isBulwarkError(err) ? err.code : 'FILE_UNREADABLE', message: (err as Error).message };
      }
    }
  } finally {
    await src.close();
  }
}

async function readJsonFiles(dir: string, uriBase: string, names: string[]): Promise<(RawRecord | ReportError)[]> {
  const out: (RawRecord | ReportError)[] = new Array<RawRecord | ReportError>(names.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < names.length; i = next++) {
      const name = names[i] ?? '';
      const uri = `${uriBase}${name}`;
      try {
        const buf = await readFile(join(dir, name));
        out[i] = buf.length > DEFAULT_OSV_LIMITS.maxRecordBytes ? { uri, code: 'LIMIT_EXCEEDED', message: `record larger than ${DEFAULT_OSV_LIMITS.maxRecordBytes} bytes` } : { uri, text: buf.toString('utf8') };
      } catch (err) {
        out[i] = { uri, code: 'FILE_UNREADABLE', message: (err as Error).message };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(DEFAULT_OSV_LIMITS.concurrency, names.length) }, worker));
  return out;
}

/** Validates one raw record: the record, or a report error naming the file and the field. */
export function parseOsvRecord(raw: RawRecord): OsvRecord | ReportError {
  let json: unknown;
  try {
    json = JSON.parse(raw.text);
  } catch (err) {
    return { uri: raw.uri, code: 'PARSE_ERROR', message: `not valid JSON (${(err as Error).message})` };
  }
  const r = osvRecordSchema.safeParse(json);
  if (!r.success) return { uri: raw.uri, code: 'PARSE_ERROR', message: `not an OSV record: ${describeIssues(r.error.issues)}` };
  return r.data;
}

function isError(x: OsvRecord | RawRecord | ReportError): x is ReportError {
  return 'code' in x && typeof x.code === 'string' && 'message' in x && !('modified' in x);
}

/**
 * Reads every record of an OSV database directory: each `<Ecosystem>/all.zip` and
 * `<Ecosystem>/*.json` (and `*.json` at the top level). Calls `onRecord` with each valid record
 * and returns the errors. A record id seen twice keeps the later file (extracted JSON after the zip).
 */
async function readDatabase(dir: string, onRecord: (r: OsvRecord, uri: string) => void, signal?: AbortSignal): Promise<ReportError[]> {
  const errors: ReportError[] = [];
  const root = resolve(dir);
  let top;
  try {
    top = await readdir(root, { withFileTypes: true });
  } catch (err) {
    throw new BulwarkError('FILE_NOT_FOUND', `${dir}: cannot read the OSV database directory (${(err as Error).message})`, { cause: err });
  }
  const folders = top.filter((d) => d.isDirectory() && !d.name.startsWith('.')).map((d) => d.name).sort();
  const sources: { dir: string; uri: string; names: string[] }[] = [{ dir: root, uri: '', names: top.filter((d) => d.isFile() && d.name.endsWith('.json')).map((d) => d.name) }];
  for (const f of folders) {
    const names = (await readdir(join(root, f), { withFileTypes: true })).filter((d) => d.isFile()).map((d) => d.name).sort();
    if (names.includes('all.zip')) {
      for await (const r of zipRecords(join(root, f, 'all.zip'), `${f}/all.zip`)) {
        if (signal?.aborted === true) throw new BulwarkError('ABORTED', 'reading the OSV database aborted', { cause: signal.reason });
        if (isError(r)) errors.push(r);
        else {
          const rec = parseOsvRecord(r);
          if (isError(rec)) errors.push(rec);
          else onRecord(rec, r.uri);
        }
      }
    }
    sources.push({ dir: join(root, f), uri: `${f}/`, names: names.filter((n) => n.endsWith('.json')) });
  }
  for (const s of sources) {
    for (const r of await readJsonFiles(s.dir, s.uri, s.names)) {
      if (isError(r)) errors.push(r);
      else {
        const rec = parseOsvRecord(r);
        if (isError(rec)) errors.push(rec);
        else onRecord(rec, r.uri);
      }
    }
  }
  return errors;
}

function ecosystemOf(name: string): Ecosystem | undefined {
  // OSV ecosystems may carry a suffix (`Debian:12`); PyPI and npm do not, but tolerate one.
  const base = name.split(':')[0];
  return OSV_ECOSYSTEMS.find((e) => e === base);
}

/** Options of {@link loadOsvDatabase}. */
export interface LoadOsvDatabaseOptions {
  dir: string;
  signal?: AbortSignal;
}

/**
 * Loads and indexes an OSV database directory. Invalid records become `errors` (naming file and
 * field), never exceptions; a missing directory is FILE_NOT_FOUND. Withdrawn records are counted
 * and left out of the index.
 */
export async function loadOsvDatabase(options: LoadOsvDatabaseOptions | string): Promise<OsvDatabase> {
  const { dir, signal } = typeof options === 'string' ? { dir: options, signal: undefined } : options;
  const byId = new Map<string, OsvRecord>();
  let records = 0;
  const errors = await readDatabase(dir, (r) => {
    records++;
    byId.set(r.id, r);
  }, signal);
  const index = new Map<string, IndexedAffected[]>();
  let withdrawn = 0;
  for (const record of byId.values()) {
    if (record.withdrawn !== undefined) {
      withdrawn++;
      continue;
    }
    for (const affected of record.affected ?? []) {
      const pkg = affected.package;
      if (pkg === undefined) continue;
      const eco = ecosystemOf(pkg.ecosystem);
      if (eco === undefined) continue;
      const key = packageKey(eco, pkg.name);
      const list = index.get(key);
      if (list === undefined) index.set(key, [{ record, affected }]);
      else list.push({ record, affected });
    }
  }
  return { index, records, withdrawn, errors };
}

/** Options of {@link importOsvExports}. */
export interface ImportOsvExportsOptions {
  /** Export files: OSV `all.zip` archives or single `<ID>.json` records. */
  files: readonly string[];
  /** The database directory to create or update (the CLI's default is under the user's cache). */
  dest: string;
  signal?: AbortSignal;
}

/** What an import did. */
export interface ImportOsvExportsResult {
  dest: string;
  /** Records in the database after the import. */
  records: number;
  /** Records read from the given files. */
  imported: number;
  errors: ReportError[];
}

function folderFor(record: OsvRecord): string {
  const eco = record.affected?.find((a) => a.package !== undefined)?.package?.ecosystem ?? 'unknown';
  return eco.replace(/[^A-Za-z0-9._-]/g, '_');
}

/**
 * Imports OSV exports into a database directory (offline): the records already there are kept,
 * imported records replace those with the same id. The new database is written to a temporary
 * sibling directory and renamed into place, so a reader never sees half a database and a failed
 * import leaves the old one intact. Records are stored extracted (`<Ecosystem>/<ID>.json`).
 */
export async function importOsvExports(options: ImportOsvExportsOptions): Promise<ImportOsvExportsResult> {
  const dest = resolve(options.dest);
  const records = new Map<string, OsvRecord>();
  const errors: ReportError[] = [];
  const existing = await stat(dest).then(
    (st) => st.isDirectory(),
    () => false,
  );
  if (existing) {
    errors.push(...(await readDatabase(dest, (r) => records.set(r.id, r), options.signal)));
  }
  let imported = 0;
  for (const file of options.files) {
    const abs = resolve(file);
    let head: Buffer;
    try {
      head = await readFile(abs);
    } catch (err) {
      throw new BulwarkError('FILE_NOT_FOUND', `${file}: cannot read the export (${(err as Error).message})`, { cause: err });
    }
    const add = (r: OsvRecord | ReportError): void => {
      if (isError(r)) {
        errors.push(r);
        return;
      }
      records.set(r.id, r);
      imported++;
    };
    if (head.subarray(0, 4).equals(Buffer.from([0x50, 0x4b, 0x03, 0x04])) || head.subarray(0, 4).equals(Buffer.from([0x50, 0x4b, 0x05, 0x06]))) {
      for await (const r of zipRecords(abs, basename(file))) add(isError(r) ? r : parseOsvRecord(r));
    } else {
      add(parseOsvRecord({ uri: basename(file), text: head.toString('utf8') }));
    }
  }
  const tmp = join(dirname(dest), `.${basename(dest)}.${randomBytes(6).toString('hex')}.tmp`);
  const old = `${tmp}.old`;
  try {
    await mkdir(tmp, { recursive: true });
    const folders = new Set<string>();
    for (const r of records.values()) {
      const folder = folderFor(r);
      if (!folders.has(folder)) {
        await mkdir(join(tmp, folder), { recursive: true });
        folders.add(folder);
      }
      await writeFile(join(tmp, folder, `${r.id}.json`), JSON.stringify(r));
    }
    if (existing) await rename(dest, old);
    await rename(tmp, dest);
    if (existing) await rm(old, { recursive: true, force: true });
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw new BulwarkError('OUTPUT_UNWRITABLE', `${options.dest}: cannot write the OSV database (${(err as Error).message})`, { cause: err });
  }
  return { dest, records: records.size, imported, errors };
}
