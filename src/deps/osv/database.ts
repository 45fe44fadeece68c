/**
 * A local OSV database, read in the layout OSV publishes its exports
 * (https://google.github.io/osv.dev/data/#data-dumps): `DIR/<Ecosystem>/all.zip` (a zip of
 * `<ID>.json`) or the same records extracted as `DIR/<Ecosystem>/*.json`. Records are validated
 * and indexed by (ecosystem, normalised package name) so that matching is a map lookup.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { BulwarkError, isBulwarkError } from '../../errors.js';
import { bufferSource, createInflateBudget, DEFAULT_LIMITS, openZipMember, readZipDirectory, sniffZip } from '../../io/index.js';
import type { ReportError } from '../../report/types.js';
import { describeIssues, normalizeName, normalizePypiName } from '../lockfiles/common.js';
import type { Ecosystem } from '../types.js';
import { osvRecordSchema, type OsvRecord } from './schema.js';

/** Ecosystems whose advisories the audit indexes (the ones Bulwark reads lockfiles for). */
export const OSV_ECOSYSTEMS: readonly Ecosystem[] = ['PyPI', 'npm'];

/** A record as read: parsed JSON, validated with zod the first time the audit needs it. */
export interface StoredRecord {
  /** Where it was read (`PyPI/all.zip!GHSA-....json`). */
  readonly uri: string;
  readonly id: string;
  readonly raw: unknown;
  /** The validated record, `null` when validation failed (the error is in the database's errors), undefined until checked. */
  checked?: OsvRecord | null;
}

/** One record's `affected[]` entry for one package, as stored in the index. */
export interface IndexedAffected {
  readonly stored: StoredRecord;
  /** Index of the entry in the record's `affected[]`. */
  readonly at: number;
}

/** A loaded, indexed OSV database. */
export interface OsvDatabase {
  /** `<ecosystem>\0<normalised name>` -> the entries naming that package. */
  readonly index: ReadonlyMap<string, readonly IndexedAffected[]>;
  /** Records read (withdrawn ones included; one per id). */
  readonly records: number;
  /** Withdrawn records (kept out of the index: they are never reported). */
  readonly withdrawn: number;
  /**
   * Records or files that could not be read or are not valid OSV, each naming the file (and zip
   * member) and the field. Records are validated when first used ({@link validatedRecord}), or all
   * at load time with `validateAll`, so this list grows as an audit touches invalid records.
   */
  readonly errors: ReportError[];
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
  /** Largest all.zip read (it is read into memory whole). */
  maxZipBytes: 2 * 1024 * 1024 * 1024,
  /** Zip members inflated concurrently (zlib runs on libuv's thread pool). */
  inflateConcurrency: 32,
  /** Record files read between two yields to the event loop (reads are synchronous: 50,000 small async reads cost 5x more). */
  readBatch: 256,
});

/** A raw record and where it came from, before parsing. */
interface RawText {
  readonly uri: string;
  readonly text: string;
}

const yieldToLoop = (): Promise<void> => new Promise((r) => setImmediate(r));

function checkAbort(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw new BulwarkError('ABORTED', 'reading the OSV database aborted', { cause: signal.reason });
}

/**
 * Reads every `.json` member of an all.zip through the project's zip reader, a few inflating at
 * once; `bytes` when the caller has already read the file.
 */
async function zipRecords(path: string, uri: string, sink: (r: RawText | ReportError) => void, signal: AbortSignal | undefined, bytes?: Buffer): Promise<void> {
  const size = bytes?.length ?? (await stat(path)).size;
  if (size > DEFAULT_OSV_LIMITS.maxZipBytes) {
    sink({ uri, code: 'LIMIT_EXCEEDED', message: `larger than ${DEFAULT_OSV_LIMITS.maxZipBytes} bytes; not read` });
    return;
  }
  const src = bufferSource(bytes ?? (await readFile(path)), uri);
  const limits = { ...DEFAULT_LIMITS, maxArchiveEntries: DEFAULT_OSV_LIMITS.maxRecords, maxMemberBytes: DEFAULT_OSV_LIMITS.maxRecordBytes };
  let dir;
  try {
    dir = await readZipDirectory(src, limits);
  } catch (err) {
    sink({ uri, code: isBulwarkError(err) ? err.code : 'PARSE_ERROR', message: (err as Error).message });
    return;
  }
  const budget = createInflateBudget({ maxTotalInflatedBytes: Number.MAX_SAFE_INTEGER });
  const entries = dir.entries.filter((e) => !e.isDirectory && e.name.endsWith('.json'));
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < entries.length; i = next++) {
      const entry = entries[i];
      if (entry === undefined) continue;
      checkAbort(signal);
      try {
        const member = await openZipMember(src, entry, { limits, budget });
        const bytes = await member.read(0, member.size);
        sink({ uri: `${uri}!${entry.name}`, text: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8') });
      } catch (err) {
        sink({ uri: `${uri}!${entry.name}`, code: isBulwarkError(err) ? err.code : 'FILE_UNREADABLE', message: (err as Error).message });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(DEFAULT_OSV_LIMITS.inflateConcurrency, entries.length) }, worker));
}

/** One scratch buffer for every record read: 50,000 per-file Buffers would cost more in GC than the reads. */
let scratch: Buffer | undefined;

/**
 * Reads a small file as UTF-8 into a reused buffer (open, read to EOF, close: no fstat, no
 * per-file allocation); undefined when it is larger than `maxRecordBytes`.
 */
function readSmallFile(path: string): string | undefined {
  scratch ??= Buffer.allocUnsafe(1 << 20);
  const fd = openSync(path, 'r');
  try {
    let n = 0;
    for (;;) {
      if (n === scratch.length) {
        if (scratch.length >= DEFAULT_OSV_LIMITS.maxRecordBytes) return undefined;
        const bigger = Buffer.allocUnsafe(Math.min(scratch.length * 2, DEFAULT_OSV_LIMITS.maxRecordBytes));
        scratch.copy(bigger, 0, 0, n);
        scratch = bigger;
      }
      const got = readSync(fd, scratch, n, scratch.length - n, null);
      if (got === 0) break;
      n += got;
    }
    return scratch.toString('utf8', 0, n);
  } finally {
    closeSync(fd);
  }
}

/** Reads record files in synchronous batches, yielding to the event loop between batches. */
async function jsonFiles(dir: string, uriBase: string, names: readonly string[], sink: (r: RawText | ReportError) => void, signal: AbortSignal | undefined): Promise<void> {
  for (let i = 0; i < names.length; i++) {
    if (i % DEFAULT_OSV_LIMITS.readBatch === 0 && i > 0) {
      await yieldToLoop();
      checkAbort(signal);
    }
    const name = names[i] ?? '';
    const uri = `${uriBase}${name}`;
    try {
      const text = readSmallFile(join(dir, name));
      sink(text === undefined ? { uri, code: 'LIMIT_EXCEEDED', message: `record larger than ${DEFAULT_OSV_LIMITS.maxRecordBytes} bytes` } : { uri, text });
    } catch (err) {
      sink({ uri, code: 'FILE_UNREADABLE', message: (err as Error).message });
    }
  }
}

/** Validates one parsed record: the record, or a report error naming the file and the field. */
export function validateOsvRecord(raw: unknown, uri: string): OsvRecord | ReportError {
  const r = osvRecordSchema.safeParse(raw);
  if (!r.success) return { uri, code: 'PARSE_ERROR', message: `not an OSV record: ${describeIssues(r.error.issues)}` };
  return r.data;
}

/** Parses and validates one record's JSON text. */
export function parseOsvRecord(raw: RawText): OsvRecord | ReportError {
  let json: unknown;
  try {
    json = JSON.parse(raw.text);
  } catch (err) {
    return { uri: raw.uri, code: 'PARSE_ERROR', message: `not valid JSON (${(err as Error).message})` };
  }
  return validateOsvRecord(json, raw.uri);
}

function isError(x: object): x is ReportError {
  return 'code' in x && 'message' in x;
}

/**
 * Reads every record of an OSV database directory: each `<Ecosystem>/all.zip` and
 * `<Ecosystem>/*.json` (and `*.json` at the top level), JSON-parsed, each handed to `onRecord`
 * with its id. Returns the errors (unreadable files, invalid JSON, a record without a string id).
 */
async function readDatabase(
  dir: string,
  onRecord: (r: StoredRecord) => void,
  signal?: AbortSignal,
  skip?: (r: RawText) => boolean,
): Promise<ReportError[]> {
  const errors: ReportError[] = [];
  const root = resolve(dir);
  let top;
  try {
    top = await readdir(root, { withFileTypes: true });
  } catch (err) {
    throw new BulwarkError('FILE_NOT_FOUND', `${dir}: cannot read the OSV database directory (${(err as Error).message})`, { cause: err });
  }
  const sink = (r: RawText | ReportError): void => {
    if (isError(r)) {
      errors.push(r);
      return;
    }
    if (skip?.(r) === true) return;
    let raw: unknown;
    try {
      raw = JSON.parse(r.text);
    } catch (err) {
      errors.push({ uri: r.uri, code: 'PARSE_ERROR', message: `not valid JSON (${(err as Error).message})` });
      return;
    }
    const id = raw !== null && typeof raw === 'object' && 'id' in raw ? raw.id : undefined;
    if (typeof id !== 'string') {
      errors.push({ uri: r.uri, code: 'PARSE_ERROR', message: 'not an OSV record: id: expected a string' });
      return;
    }
    onRecord({ uri: r.uri, id, raw });
  };
  const folders = top.filter((d) => d.isDirectory() && !d.name.startsWith('.')).map((d) => d.name).sort();
  await jsonFiles(root, '', top.filter((d) => d.isFile() && d.name.endsWith('.json')).map((d) => d.name).sort(), sink, signal);
  for (const f of folders) {
    const names = (await readdir(join(root, f), { withFileTypes: true })).filter((d) => d.isFile()).map((d) => d.name).sort();
    if (names.includes('all.zip')) await zipRecords(join(root, f, 'all.zip'), `${f}/all.zip`, sink, signal);
    await jsonFiles(join(root, f), `${f}/`, names.filter((n) => n.endsWith('.json')), sink, signal);
  }
  return errors;
}

function ecosystemOf(name: unknown): Ecosystem | undefined {
  if (typeof name !== 'string') return undefined;
  // OSV ecosystems may carry a suffix (`Debian:12`); PyPI and npm do not, but tolerate one.
  const base = name.split(':')[0];
  return OSV_ECOSYSTEMS.find((e) => e === base);
}

/** A JSON string member `"name": "..."` (escapes allowed), `"id": "..."` and a `"withdrawn": "..."` member, for the pre-parse filter. */
const NAME_FIELD = /"name"\s*:\s*"((?:[^"\\]|\\.)*)"/g;
const ID_FIELD = /"id"\s*:\s*"([^"\\]*)"/;
const WITHDRAWN_FIELD = /"withdrawn"\s*:\s*"/;

/** Options of {@link loadOsvDatabase}. */
export interface LoadOsvDatabaseOptions {
  dir: string;
  /**
   * Validate every record with zod while loading (reports every invalid record). By default a
   * record is validated when an audit first needs it: an export of 50,000 records is then loaded
   * in a fraction of the time, and no unvalidated field is ever used.
   */
  validateAll?: boolean;
  /**
   * Index only records naming one of these packages ({@link packageKey}); the others are read,
   * counted and dropped at once. An audit that knows its dependencies passes them: the records it
   * does not need then never reach the old generation of the heap, which halves loading time.
   */
  only?: ReadonlySet<string>;
  signal?: AbortSignal;
}

/** The `affected[]` package names of a raw record, read defensively (the record is not validated yet). */
function rawPackages(raw: unknown): { at: number; ecosystem: Ecosystem; name: string }[] {
  const affected = raw !== null && typeof raw === 'object' && 'affected' in raw ? raw.affected : undefined;
  if (!Array.isArray(affected)) return [];
  const out: { at: number; ecosystem: Ecosystem; name: string }[] = [];
  affected.forEach((a: unknown, at) => {
    const pkg = a !== null && typeof a === 'object' && 'package' in a ? a.package : undefined;
    if (pkg === null || typeof pkg !== 'object') return;
    const eco = ecosystemOf('ecosystem' in pkg ? pkg.ecosystem : undefined);
    const name = 'name' in pkg ? pkg.name : undefined;
    if (eco !== undefined && typeof name === 'string') out.push({ at, ecosystem: eco, name });
  });
  return out;
}

/**
 * The validated record behind an index entry (validating it on first use), or undefined when it
 * is not a valid OSV record: the error is then added to `db.errors`, once.
 */
export function validatedRecord(db: OsvDatabase, stored: StoredRecord): OsvRecord | undefined {
  if (stored.checked === undefined) {
    const r = validateOsvRecord(stored.raw, stored.uri);
    if (isError(r)) {
      db.errors.push(r);
      stored.checked = null;
    } else {
      stored.checked = r;
    }
  }
  return stored.checked ?? undefined;
}

/**
 * Loads and indexes an OSV database directory. Unreadable files and invalid records become
 * `errors` (naming file and field), never exceptions; a missing directory is FILE_NOT_FOUND.
 * Withdrawn records are counted and left out of the index. A record id seen twice keeps the later
 * file (extracted JSON after all.zip).
 */
export async function loadOsvDatabase(options: LoadOsvDatabaseOptions | string): Promise<OsvDatabase> {
  const opts: LoadOsvDatabaseOptions = typeof options === 'string' ? { dir: options } : options;
  const byId = new Map<string, StoredRecord>();
  const only = opts.only;
  const seen = only === undefined ? undefined : new Set<string>();
  const withdrawnIds = new Set<string>();
  const wantedNames = only === undefined ? undefined : new Set([...only].map((k) => k.slice(k.indexOf('\u0000') + 1)));
  // Records that cannot concern a wanted package are not JSON-parsed at all: their text is scanned
  // for `"name": "..."` values (a superset of the package names) and, when none is wanted, only
  // their id and withdrawn flag are read. A name written with escapes is always parsed.
  const skip =
    wantedNames === undefined || seen === undefined
      ? undefined
      : (r: RawText): boolean => {
          for (const m of r.text.matchAll(NAME_FIELD)) {
            const n = m[1] ?? '';
            if (n.includes('\\') || wantedNames.has(n) || wantedNames.has(normalizePypiName(n))) return false;
          }
          const id = ID_FIELD.exec(r.text)?.[1] ?? r.uri;
          seen.add(id);
          byId.delete(id);
          if (WITHDRAWN_FIELD.test(r.text)) withdrawnIds.add(id);
          else withdrawnIds.delete(id);
          return true;
        };
  const errors = await readDatabase(
    opts.dir,
    (r) => {
      const w = (r.raw as { withdrawn?: unknown }).withdrawn;
      if (w !== undefined && w !== null) withdrawnIds.add(r.id);
      else withdrawnIds.delete(r.id);
      if (only === undefined || seen === undefined) {
        byId.set(r.id, r);
        return;
      }
      seen.add(r.id);
      if (rawPackages(r.raw).some((p) => only.has(packageKey(p.ecosystem, p.name)))) byId.set(r.id, r);
      else byId.delete(r.id); // a later copy of the same id no longer names a wanted package
    },
    opts.signal,
    skip,
  );
  const db: OsvDatabase = { index: new Map(), records: seen?.size ?? byId.size, withdrawn: 0, errors };
  const index = db.index as Map<string, IndexedAffected[]>;
  for (const stored of byId.values()) {
    if (opts.validateAll === true && validatedRecord(db, stored) === undefined) continue;
    if (withdrawnIds.has(stored.id)) continue;
    for (const { at, ecosystem, name } of rawPackages(stored.raw)) {
      const key = packageKey(ecosystem, name);
      const list = index.get(key);
      if (list === undefined) index.set(key, [{ stored, at }]);
      else list.push({ stored, at });
    }
  }
  return { ...db, withdrawn: withdrawnIds.size };
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
  const keep = (r: StoredRecord): void => {
    const v = validateOsvRecord(r.raw, r.uri);
    if (isError(v)) errors.push(v);
    else records.set(v.id, v);
  };
  if (existing) errors.push(...(await readDatabase(dest, keep, options.signal)));
  let imported = 0;
  for (const file of options.files) {
    const abs = resolve(file);
    let data: Buffer;
    try {
      data = await readFile(abs);
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
    if (sniffZip(data)) {
      await zipRecords(abs, basename(file), (r) => add(isError(r) ? r : parseOsvRecord(r)), options.signal, data);
    } else {
      add(parseOsvRecord({ uri: basename(file), text: data.toString('utf8') }));
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
