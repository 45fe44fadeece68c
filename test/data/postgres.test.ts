/**
 * The SAME metric plan on a real PostgreSQL server (BULWARK_TEST_PG_URL, started by .ci/run; locally
 * `bash .ci/start-postgres.sh`). The fixture tables are loaded from the committed CSVs and the results
 * are compared with DuckDB's on the files: counts exactly, moments to 1e-9 relative, quantiles within
 * 5% of the column's range (DuckDB's approx_quantile is a t-digest; PostgreSQL's percentile_cont is exact).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSuite, openDataset, openDuckDb, profileDataset, validateDataset, type DatasetProfile, type DataSource, type ExpectationSuite } from '../../src/data/index.js';
import type { Report } from '../../src/report/types.js';
import { fixture, tempDir } from '../helpers.js';

const URL = process.env.BULWARK_TEST_PG_URL;
if (process.env.CI && !URL) throw new Error('BULWARK_TEST_PG_URL is not set: CI must start PostgreSQL (.ci/start-postgres.sh)');
const data = (f: string): string => fixture(`data/${f}`);
const SCHEMA = `bw_data_${process.pid}`;
const tmp = tempDir();

const COLUMNS: [string, string][] = [
  ['id', 'integer'],
  ['age', 'integer'],
  ['income', 'double precision'],
  ['country', 'text'],
  ['name', 'text'],
  ['signup', 'text'],
  ['start', 'integer'],
  ['end', 'integer'],
  ['meta', 'text'],
  ['label', 'text'],
];

async function readCsv(path: string): Promise<unknown[][]> {
  const db = await openDuckDb({ readPaths: [path] });
  try {
    const rows = await db.query(`SELECT ${COLUMNS.map(([c]) => `CAST("${c}" AS VARCHAR) AS "${c}"`).join(', ')} FROM read_csv($1, header = true)`, [path]);
    return rows.map((r) => COLUMNS.map(([c]) => r[c] ?? null));
  } finally {
    db.close();
  }
}

describe.skipIf(!URL)('the metric plan on PostgreSQL', () => {
  const client = new pg.Client({ connectionString: URL });
  const source = (table: string): DataSource => ({ kind: 'postgres', connectionString: URL ?? '', table, schema: SCHEMA });

  beforeAll(async () => {
    await client.connect();
    await client.query(`CREATE SCHEMA ${SCHEMA}`);
    for (const name of ['clean', 'broken']) {
      await client.query(`CREATE TABLE ${SCHEMA}.${name} (${COLUMNS.map(([c, t]) => `"${c}" ${t}`).join(', ')})`);
      for (const row of await readCsv(data(`${name}.csv`))) {
        await client.query(`INSERT INTO ${SCHEMA}.${name} VALUES (${COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})`, row);
      }
    }
  }, 60_000);
  afterAll(async () => {
    await client.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
    await client.end();
    tmp.cleanup();
  });

  it('profiles a table with the same numbers as DuckDB on the file', async () => {
    const onPg = await profileDataset({ path: 'clean', source: source('clean') });
    const onDuck = await profileDataset({ path: data('clean.csv') });
    expect(onPg).toMatchObject({ engine: 'postgres', approxQuantiles: false, rows: 200 });
    for (const c of onPg.columns.filter((x) => x.name !== 'signup')) {
      const d = onDuck.columns.find((x) => x.name === c.name);
      expect(d, c.name).toBeDefined();
      if (!d) continue;
      expect(c.kind, c.name).toBe(d.kind);
      expect([c.nulls, c.distinct, c.min, c.max, c.minLength, c.maxLength], c.name).toEqual([d.nulls, d.distinct, d.min, d.max, d.minLength, d.maxLength]);
      for (const k of ['mean', 'std'] as const) if (d[k] !== undefined) expect(Math.abs((c[k] ?? 0) - (d[k] ?? 0)) / Math.max(1, Math.abs(d[k] ?? 0)), `${c.name}.${k}`).toBeLessThan(1e-9);
      const range = (d.max ?? 0) - (d.min ?? 0);
      for (const q of d.quantiles ?? []) {
        const other = c.quantiles?.find((x) => x.q === q.q)?.value ?? Number.NaN;
        expect(Math.abs(other - q.value), `${c.name} q${q.q}`).toBeLessThanOrEqual(0.05 * range + 1e-9);
      }
      expect(c.histogram?.counts, c.name).toEqual(d.histogram?.counts);
      expect(c.top, c.name).toEqual(d.top);
    }
  });

  it('validates with the same suite and reaches the same verdicts as DuckDB', async () => {
    const full = await loadSuite(data('clean-suite.yaml'));
    // PostgreSQL before 16 has no non-throwing JSON check, and signup is stored as text here.
    const suite: ExpectationSuite = { ...full, expectations: full.expectations.filter((e) => e.type !== 'columns' && !(e.type === 'parseable' && e.as === 'json')) };
    const pgClean = await validateDataset({ path: 'clean', source: source('clean'), suite });
    expect(pgClean.errors).toEqual([]);
    expect(pgClean.findings).toEqual([]);
    const pgBroken = await validateDataset({ path: 'broken', source: source('broken'), suite });
    const duckBroken = await validateDataset({ path: 'broken', source: { kind: 'file', path: data('broken.csv') }, suite });
    const strip = (r: typeof pgBroken): unknown => r.findings.map((f) => ({ ruleId: f.ruleId, message: f.message, evidence: f.evidence })).sort((a, b) => a.message.localeCompare(b.message));
    expect(strip(pgBroken)).toEqual(strip(duckBroken));
    expect(pgBroken.metrics?.expectations_failed).toBe(duckBroken.metrics?.expectations_failed);
    expect(pgBroken.subjects[0]?.name).toBe(`${SCHEMA}.broken`);
  });

  it('profiles and validates through one dataset handle (text censuses on PostgreSQL) as DuckDB does on the file', async () => {
    const run = async (path: string, src: DataSource): Promise<{ profile: DatasetProfile; report: Report }> => {
      const ds = await openDataset({ path, source: src });
      try {
        const profile = await ds.profile();
        return { profile, report: await ds.validate({}) };
      } finally {
        await ds.close();
      }
    };
    // 600 rows, 40 distinct contacts: e-mails and a formula payload among them (a census column).
    const contacts = Array.from({ length: 600 }, (_, i) => (i % 100 === 0 ? `user${i}@example.com` : i % 151 === 0 ? '=HYPERLINK("http://example.invalid","x")' : `desk ${i % 34}`));
    await client.query(`CREATE TABLE ${SCHEMA}.contacts (id integer, contact text)`);
    await client.query(`INSERT INTO ${SCHEMA}.contacts SELECT i - 1, c FROM unnest($1::text[]) WITH ORDINALITY AS u(c, i)`, [contacts]);
    const csv = join(tmp.dir, 'contacts.csv');
    writeFileSync(csv, `id,contact\n${contacts.map((c, i) => `${i},"${c.replaceAll('"', '""')}"`).join('\n')}\n`);
    const onPg = await run('contacts', source('contacts'));
    const onDuck = await run('contacts', { kind: 'file', path: csv });
    expect(onPg.report.errors).toEqual([]);
    expect(onDuck.report.findings.map((f) => f.ruleId).sort()).toEqual(['BW-INJ-001', 'BW-PII-001']);
    expect(onDuck.report.metrics?.queries).toBe(0);
    expect(onPg.report.metrics?.queries).toBe(0);
    for (const c of onPg.profile.columns.filter((x) => x.kind === 'text')) {
      const d = onDuck.profile.columns.find((x) => x.name === c.name);
      expect([c.nulls, c.distinct, c.distinctApprox, c.minLength, c.maxLength, c.top], c.name).toEqual([d?.nulls, d?.distinct, d?.distinctApprox, d?.minLength, d?.maxLength, d?.top]);
    }
    const strip = (r: Report): unknown => r.findings.map((f) => ({ ruleId: f.ruleId, evidence: f.evidence })).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    expect(strip(onPg.report)).toEqual(strip(onDuck.report));
    expect(onPg.report.metrics?.pii_values).toBe(onDuck.report.metrics?.pii_values);
  });

  it('does not take a table profile from an earlier session as the table now (its subject digest names the table, not its rows)', async () => {
    await client.query(`CREATE TABLE ${SCHEMA}.grows (id integer, code text)`);
    await client.query(`INSERT INTO ${SCHEMA}.grows SELECT i, 'c' || (i % 3) FROM generate_series(1, 10) AS i`);
    const before = await profileDataset({ path: 'grows', source: source('grows') });
    await client.query(`INSERT INTO ${SCHEMA}.grows VALUES (11, NULL), (12, 'zz')`);
    const suite: ExpectationSuite = {
      version: 1,
      expectations: [
        { type: 'row_count', min: 10, max: 10 },
        { type: 'not_null', column: 'code' },
        { type: 'in_set', column: 'code', values: ['c0', 'c1', 'c2'] },
      ],
    };
    const r = await validateDataset({ path: 'grows', source: source('grows'), suite, profile: before });
    expect(r.metrics?.metrics_from_profile).toBe(0);
    expect(r.metrics?.expectations_failed).toBe(3);
    // Through one handle the profile is of the same transaction's rows: it stands in for the scan.
    const ds = await openDataset({ path: 'grows', source: source('grows') });
    try {
      await ds.profile();
      const same = await ds.validate({ suite });
      expect(same.metrics?.metrics_from_profile).toBeGreaterThan(0);
      expect(same.metrics?.expectations_failed).toBe(3);
    } finally {
      await ds.close();
    }
  });

  it('runs the SQL escape hatch inside a READ ONLY transaction', async () => {
    const sql = (query: string): ExpectationSuite => ({ version: 1, expectations: [{ type: 'sql', name: 'q', query }] });
    const ok = await validateDataset({ path: 'broken', source: source('broken'), suite: sql('SELECT * FROM dataset WHERE age > 100') });
    expect(ok.findings[0]).toMatchObject({ ruleId: 'BW-DAT-009', evidence: { unexpected_count: 1 } });
    for (const q of [`DELETE FROM ${SCHEMA}.broken`, `SELECT 1; DROP TABLE ${SCHEMA}.broken`, `WITH d AS (DELETE FROM ${SCHEMA}.broken RETURNING *) SELECT * FROM d`]) {
      const r = await validateDataset({ path: 'broken', source: source('broken'), suite: sql(q) });
      expect(r.errors[0]?.code, q).toBe('CONFIG_INVALID');
    }
    expect((await client.query(`SELECT count(*)::int AS n FROM ${SCHEMA}.broken`)).rows[0]).toEqual({ n: 200 });
  });

  it('reports a missing table as an error naming it', async () => {
    const r = await validateDataset({ path: 'nope', source: source('nope') });
    expect(r.errors[0]).toMatchObject({ code: 'FILE_NOT_FOUND', message: expect.stringContaining(`${SCHEMA}.nope`) as string });
  });
});
