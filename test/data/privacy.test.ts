import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import { diffSubcommand, fingerprintSubcommand, pseudonymizeSubcommand } from '../../src/cli/commands/data-privacy.js';
import { EXIT, type CliIo } from '../../src/cli/io.js';
import { DuckDBInstance } from '@duckdb/node-api';
import {
  base32,
  canonicalRow,
  diffFingerprints,
  fingerprintDataset,
  parseFingerprintReport,
  pseudonymizeDataset,
  pseudonymValue,
} from '../../src/data/privacy/index.js';
import { isBulwarkError } from '../../src/errors.js';
import { fixture, tempDir } from '../helpers.js';

const KEY = Buffer.from('0123456789abcdef0123456789abcdef-test-key', 'utf8');
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});
function tmp(): string {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return t.dir;
}

async function readRows(path: string): Promise<Record<string, unknown>[]> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    const reader = path.endsWith('.parquet') ? 'read_parquet($1)' : path.endsWith('.jsonl') ? "read_json($1, format = 'newline_delimited')" : 'read_csv($1, header = true)';
    const r = await conn.runAndReadAll(`SELECT * FROM ${reader}`, [path]);
    return r.getRowObjectsJS();
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

/** Mounts one subcommand on a program, as part 1's `bulwark data` does, and runs it in-process. */
async function runSub(make: (io: CliIo, setExit: (c: number) => void) => Command, args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  let code: number = EXIT.PASS;
  const io: CliIo = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), stdoutIsTty: false, stderrIsTty: false, env, today: '2026-11-21' };
  const program = new Command('data').exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  program.addCommand(make(io, (c) => (code = c)).exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr }));
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) code = EXIT.USAGE;
    else if (isBulwarkError(err) && ['USAGE', 'FILE_NOT_FOUND', 'OUTPUT_UNWRITABLE'].includes(err.code)) {
      stderr += `bulwark: ${err.message}\n`;
      code = EXIT.USAGE;
    } else throw err;
  }
  return { code, stdout, stderr };
}

describe('pseudonymValue', () => {
  it('is the documented format: key id, colon, base32 of the first 16 HMAC bytes', () => {
    const p = pseudonymValue(KEY, 'k1', 'alice@example.com');
    expect(p).toMatch(/^k1:[a-z2-7]{26}$/);
    expect(pseudonymValue(KEY, 'k1', 'alice@example.com')).toBe(p);
    expect(pseudonymValue(KEY, 'k1', 'bob@example.com')).not.toBe(p);
    expect(pseudonymValue(Buffer.from(`${KEY.toString()}x`), 'k1', 'alice@example.com')).not.toBe(p);
    expect(base32(Buffer.from('foobar'))).toBe('mzxw6ytboi'); // RFC 4648 test vector, lower case, unpadded
  });

  it('refuses a short key and a bad key id', () => {
    expect(() => pseudonymValue(Buffer.from('short'), 'k1', 'x')).toThrow(/at least 32 bytes/);
    expect(() => pseudonymValue(KEY, 'bad id', 'x')).toThrow(/key id/);
  });
});

describe('pseudonymizeDataset', () => {
  it('replaces the columns over distinct values, keeps order, nulls and other columns, never modifies the input', async () => {
    const dir = tmp();
    const input = fixture('data-detect/people.csv');
    const before = readFileSync(input);
    const out = join(dir, 'people.csv');
    const r = await pseudonymizeDataset({ input, output: out, columns: ['email', 'city'], key: KEY });
    expect(r).toEqual({ rows: 5, format: 'csv', distinct: { email: 4, city: 4 } });
    expect(readFileSync(input)).toEqual(before);
    const rows = await readRows(out);
    expect(rows.map((x) => Number(x.id))).toEqual([1, 2, 3, 4, 5]);
    expect(rows[0]?.email).toBe(pseudonymValue(KEY, 'k1', 'alice@example.com'));
    expect(rows[3]?.email).toBe(rows[0]?.email); // consistent
    expect(rows[3]?.age).toBeNull();
    expect(Number(rows[1]?.age)).toBe(41);
    expect(readdirSync(dir)).toEqual(['people.csv']);
  });

  it('gives the same pseudonyms in another file and format (Parquet in, Parquet out)', async () => {
    const dir = tmp();
    const out = join(dir, 'p.parquet');
    await pseudonymizeDataset({ input: fixture('data-detect/people.parquet'), output: out, columns: ['email'], key: KEY, keyId: 'k1' });
    const rows = await readRows(out);
    expect(rows[0]?.email).toBe(pseudonymValue(KEY, 'k1', 'alice@example.com'));
    expect(readFileSync(out).subarray(0, 4).toString()).toBe('PAR1');
  });

  it('writes JSON Lines for JSON Lines input', async () => {
    const dir = tmp();
    const input = join(dir, 'in.jsonl');
    writeFileSync(input, '{"user":"alice","n":1}\n{"user":"bob","n":2}\n{"user":null,"n":3}\n');
    const out = join(dir, 'out.jsonl');
    const r = await pseudonymizeDataset({ input, output: out, columns: ['user'], key: KEY });
    expect(r).toMatchObject({ rows: 3, format: 'jsonl', distinct: { user: 2 } });
    const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { user: string | null; n: number });
    expect(lines).toEqual([
      { user: pseudonymValue(KEY, 'k1', 'alice'), n: 1 },
      { user: pseudonymValue(KEY, 'k1', 'bob'), n: 2 },
      { user: null, n: 3 },
    ]);
  });

  it('leaves nothing behind on error and names the file and problem', async () => {
    const dir = tmp();
    await expect(pseudonymizeDataset({ input: fixture('data-detect/people.csv'), output: join(dir, 'o.csv'), columns: ['nope'], key: KEY })).rejects.toThrow(/no column 'nope'/);
    await expect(pseudonymizeDataset({ input: fixture('data-detect/ragged.csv'), output: join(dir, 'o.csv'), columns: ['a'], key: KEY })).rejects.toThrow(/ragged\.csv/);
    await expect(pseudonymizeDataset({ input: fixture('data-detect/truncated.parquet'), output: join(dir, 'o.parquet'), columns: ['email'], key: KEY })).rejects.toThrow(/truncated\.parquet/);
    await expect(pseudonymizeDataset({ input: fixture('data-detect/people.csv'), output: fixture('data-detect/people.csv'), columns: ['email'], key: KEY })).rejects.toThrow(/must not be the input/);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('fingerprintDataset', () => {
  it('gives the same content digest for the same rows in another order and as Parquet with other declared types', async () => {
    const a = await fingerprintDataset({ path: fixture('data-detect/people.csv') });
    const b = await fingerprintDataset({ path: fixture('data-detect/people-shuffled.csv') });
    const c = await fingerprintDataset({ path: fixture('data-detect/people.parquet') });
    expect(a.kind).toBe('data-fingerprint');
    expect(a.subjects[0]?.digest.sha256).toBe(a.fingerprint.fileSha256);
    expect(a.fingerprint.fileSha256).not.toBe(b.fingerprint.fileSha256);
    expect(b.fingerprint.contentSha256).toBe(a.fingerprint.contentSha256);
    expect(c.fingerprint.contentSha256).toBe(a.fingerprint.contentSha256);
    expect(c.fingerprint.schemaSha256).toBe(a.fingerprint.schemaSha256);
    expect(a.fingerprint.rows).toBe(5);
    expect(a.metrics).toEqual({ fingerprint_rows: 5, fingerprint_columns: 7, fingerprint_null_cells: 1 });
    const age = a.fingerprint.columns.find((x) => x.name === 'age');
    expect(age).toMatchObject({ family: 'number', nulls: 1, distinct: 4, min: 29, max: 52, mean: 39 });
  });

  it('changes the content digest when one value changes, and is deterministic', async () => {
    const a = await fingerprintDataset({ path: fixture('data-detect/people.csv') });
    const d = await fingerprintDataset({ path: fixture('data-detect/people-changed.csv') });
    expect(d.fingerprint.contentSha256).not.toBe(a.fingerprint.contentSha256);
    expect(await fingerprintDataset({ path: fixture('data-detect/people.csv') })).toEqual(a);
  });

  it('encodes rows canonically (numbers, strings, null)', () => {
    expect(canonicalRow([1n, 1.5, 'x', null, true], ['number', 'number', 'string', 'string', 'boolean'])).toBe('["n:1","n:1.5","s:x",null,"b:true"]');
    expect(canonicalRow([5], ['number'])).toBe(canonicalRow([5n], ['number']));
  });

  it('names the file on malformed input', async () => {
    await expect(fingerprintDataset({ path: fixture('data-detect/ragged.csv') })).rejects.toMatchObject({ code: 'PARSE_ERROR', message: expect.stringMatching(/ragged\.csv.*line/is) as unknown });
    await expect(fingerprintDataset({ path: fixture('data-detect/truncated.parquet') })).rejects.toMatchObject({ code: 'PARSE_ERROR' });
  });
});

describe('fingerprint diff', () => {
  it('reports same content, changed statistics and schema changes', async () => {
    const a = (await fingerprintDataset({ path: fixture('data-detect/people.csv') })).fingerprint;
    const b = (await fingerprintDataset({ path: fixture('data-detect/people-shuffled.csv') })).fingerprint;
    const d = (await fingerprintDataset({ path: fixture('data-detect/people-changed.csv') })).fingerprint;
    expect(diffFingerprints(a, b)).toMatchObject({ same: true, sameFile: false, stats: [] });
    const changed = diffFingerprints(a, d);
    expect(changed.same).toBe(false);
    expect(changed.stats).toContainEqual({ column: 'age', stat: 'max', a: 52, b: 53 });
    const renamed = { ...d, schemaSha256: 'f'.repeat(64), columns: d.columns.map((c) => (c.name === 'city' ? { ...c, name: 'town' } : c)) };
    expect(diffFingerprints(a, renamed)).toMatchObject({ addedColumns: ['town'], removedColumns: ['city'], sameSchema: false });
  });

  it('rejects a file that is not a fingerprint report, naming the field', () => {
    expect(() => parseFingerprintReport('{"schemaVersion":1,"kind":"scan"}', 'x.json')).toThrow(/x\.json: not a data-fingerprint report: at kind/);
    expect(() => parseFingerprintReport('nope', 'y.json')).toThrow(/y\.json: not JSON/);
  });
});

describe('CLI subcommands', () => {
  it('pseudonymize: key from the env var named by --key-env; a missing or short key is a usage error', async () => {
    const dir = tmp();
    const out = join(dir, 'o.csv');
    const args = ['pseudonymize', fixture('data-detect/people.csv'), '--columns', 'email', '--key-env', 'BW_KEY', '--output', out];
    const missing = await runSub(pseudonymizeSubcommand, args);
    expect(missing.code).toBe(EXIT.USAGE);
    expect(missing.stderr).toMatch(/BW_KEY.*not set/);
    const short = await runSub(pseudonymizeSubcommand, args, { BW_KEY: 'short' });
    expect(short.code).toBe(EXIT.USAGE);
    expect(short.stderr).toMatch(/at least 32/);
    expect(existsSync(out)).toBe(false);
    const ok = await runSub(pseudonymizeSubcommand, [...args, '--key-id', 'k7'], { BW_KEY: KEY.toString() });
    expect(ok.code).toBe(EXIT.PASS);
    expect(ok.stderr).toMatch(/pseudonymised 5 row/);
    expect(readFileSync(out, 'utf8')).toContain(pseudonymValue(KEY, 'k7', 'alice@example.com'));
  });

  it('pseudonymize: malformed input exits 3 with the file named and no output', async () => {
    const dir = tmp();
    const r = await runSub(pseudonymizeSubcommand, ['pseudonymize', fixture('data-detect/ragged.csv'), '--columns', 'a', '--key-env', 'K', '--output', join(dir, 'o.csv')], { K: KEY.toString() });
    expect(r.code).toBe(EXIT.INCOMPLETE);
    expect(r.stderr).toMatch(/ragged\.csv/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('fingerprint + diff: same rows exit 0, changed rows exit 1', async () => {
    const dir = tmp();
    const fa = join(dir, 'a.json');
    const fb = join(dir, 'b.json');
    const fc = join(dir, 'c.json');
    expect((await runSub(fingerprintSubcommand, ['fingerprint', fixture('data-detect/people.csv'), '--output', fa])).code).toBe(0);
    expect((await runSub(fingerprintSubcommand, ['fingerprint', fixture('data-detect/people.parquet'), '--output', fb])).code).toBe(0);
    const printed = await runSub(fingerprintSubcommand, ['fingerprint', fixture('data-detect/people-changed.csv')]);
    writeFileSync(fc, printed.stdout);
    const report = JSON.parse(readFileSync(fa, 'utf8')) as { kind: string; fingerprint: { rows: number } };
    expect(report.kind).toBe('data-fingerprint');
    const same = await runSub(diffSubcommand, ['diff', fa, fb]);
    expect(same.code).toBe(EXIT.PASS);
    expect(same.stdout).toMatch(/same content and schema/);
    const different = await runSub(diffSubcommand, ['diff', fa, fc, '--format', 'json']);
    expect(different.code).toBe(EXIT.FINDINGS);
    expect((JSON.parse(different.stdout) as { sameContent: boolean }).sameContent).toBe(false);
    const text = await runSub(fingerprintSubcommand, ['fingerprint', fixture('data-detect/people.csv'), '--format', 'text']);
    expect(text.stdout).toMatch(/content sha256:[0-9a-f]{64}/);
  });

  it('diff: a file that is not a fingerprint exits 3 naming it', async () => {
    const dir = tmp();
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"schemaVersion":1,"kind":"scan"}');
    const r = await runSub(diffSubcommand, ['diff', bad, bad]);
    expect(r.code).toBe(EXIT.INCOMPLETE);
    expect(r.stderr).toMatch(/bad\.json/);
  });
});
